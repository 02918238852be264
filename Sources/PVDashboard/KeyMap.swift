import PVKernel

/// What a key does on the main screen (menus and the help have their own small maps).
public enum KeyAction: String, Sendable, CaseIterable {
    case help, quit, playPause, step, faster, slower, seekBack, seekForward, seekStart, seekEnd
    case rowUp, rowDown, rowPageUp, rowPageDown, rowFirst, rowLast
    case nextPanel, previousPanel, nextClass, previousClass, pickClass
    case view, timeSeries, perCPU, rateCounter, search, theme, drillDown, sort, engine
    case profile, backends, whatIf, filter, clearFilter, loop, restart
}

/// One row of the key map: the keys, what they do, and how the key bar and the help say it.
public struct KeyBinding: Sendable {
    /// When a binding applies; the first binding in table order whose keys and condition match wins.
    public enum Condition: Sendable { case always, countersFocused, filterSet }

    public var keys: [Input]
    /// How the help and the key bar write the keys (`+ -`, `1-9 0`).
    public var keyLabel: String
    public var action: KeyAction
    /// The key bar's key, word and priority (lower survives longer at narrow widths); nil = not in the bar.
    public var bar: (key: String, label: String, priority: Int)?
    public var help: String
    public var condition: Condition

    init(_ keys: [Input], _ keyLabel: String, _ action: KeyAction, bar: (String, String, Int)? = nil,
         _ help: String, when condition: Condition = .always) {
        self.keys = keys; self.keyLabel = keyLabel; self.action = action
        self.bar = bar.map { (key: $0.0, label: $0.1, priority: $0.2) }; self.help = help; self.condition = condition
    }
}

/// The one key map (htop's function bar, kvm_stat's letters, asciinema's transport keys): the
/// reducer (`DashboardState.apply`), the key bar, the help overlay and the demo script all read
/// this table, so a key cannot do one thing and be documented as another.
public enum KeyMap {
    static func ch(_ s: String) -> [Input] { s.map { .character($0) } }

    public static let bindings: [KeyBinding] = [
        KeyBinding([.function(1)] + ch("h?"), "h ? F1", .help, bar: ("F1", "Help", 0), "this help"),
        KeyBinding(ch(" "), "Space", .playPause, bar: ("Space", "Pause", 1), "play / pause (at the end: replay)"),
        KeyBinding(ch("."), ".", .step, bar: (".", "Step", 3),
                   "step one event (pauses) and show it: each engine's pv_ops and what they became"),
        KeyBinding(ch("+="), "+ -", .faster, bar: ("+-", "Speed", 2), "speed (down to 0.001×, up to max = as fast as possible)"),
        KeyBinding(ch("-_"), "-", .slower, ""),
        KeyBinding([.left], "← →", .seekBack, bar: ("←→", "Seek", 3), "seek ∓5%"),
        KeyBinding([.right], "", .seekForward, ""),
        KeyBinding([.tab], "Tab", .nextPanel, bar: ("Tab", "Panel", 1),
                   "next panel: latency, counters, batching (Shift-Tab back); at 80×24 the panels below the columns are pages and Tab turns them"),
        KeyBinding([.backTab], "", .previousPanel, ""),
        KeyBinding(ch("b"), "b", .backends, bar: ("b", "Backends", 4), "backends shown"),
        KeyBinding(ch("v"), "v V", .nextClass, bar: ("v", "Class", 4), "next / previous event class of the latency panel"),
        KeyBinding(ch("V"), "", .previousClass, ""),
        KeyBinding(ch("1234567890"), "1-9 0", .pickClass, "pick an event class: " + EventClass.allCases.prefix(10).enumerated()
            .map { "\($0.offset == 9 ? 0 : $0.offset + 1) \($0.element.label)" }.joined(separator: "  ")),
        KeyBinding(ch("t"), "t", .view, bar: ("t", "View", 5),
                   "view: overview, latency, per CPU, time series, headline (big slowdowns for talks)"),
        KeyBinding(ch("g"), "g", .timeSeries, bar: ("g", "Graph", 6), "time series: every engine's slowdown over trace time"),
        KeyBinding(ch("u"), "u", .perCPU, bar: ("u", "CPUs", 6), "per CPU: each engine's slowdown and top transitions on each CPU"),
        KeyBinding(ch("n"), "n", .rateCounter, "time series: next counter whose rate is drawn under the slowdowns"),
        KeyBinding(ch("k"), "k", .whatIf, bar: ("k", "What-if", 6),
                   "what-if knobs: KVM pv features, EPT, APICv, batching, overcommit, 2M host pages (pv_eoi saves exits only with APICv off: APICv virtualizes the EOI and leaves PV EOI inert)"),
        KeyBinding(ch("p"), "p", .profile, bar: ("p", "Profile", 6), "next cost profile"),
        KeyBinding(ch("f"), "f", .filter, bar: ("f", "Filter", 5), "filter by event class / CPU / process"),
        KeyBinding(ch("c"), "c", .clearFilter, bar: ("c", "Clear", 5), "clear the filter", when: .filterSet),
        // With the counters focused, the arrows and Home/End move through its rows.
        KeyBinding([.up], "↑ ↓", .rowUp, bar: ("↑↓", "Rows", 2), "with the counters focused: move through its rows (PgUp PgDn Home End too; the wheel scrolls)",
                   when: .countersFocused),
        KeyBinding([.down], "", .rowDown, "", when: .countersFocused),
        KeyBinding([.pageUp], "", .rowPageUp, "", when: .countersFocused),
        KeyBinding([.pageDown], "", .rowPageDown, "", when: .countersFocused),
        KeyBinding([.home], "", .rowFirst, "", when: .countersFocused),
        KeyBinding([.end], "", .rowLast, "", when: .countersFocused),
        KeyBinding([.home], "Home End", .seekStart, "start / end of the trace"),
        KeyBinding([.end], "", .seekEnd, ""),
        KeyBinding(ch("/"), "/", .search, bar: ("/", "Search", 6), "search a transition name in the counter table (Enter: next match)"),
        KeyBinding(ch("e"), "e", .engine, bar: ("e", "Engine", 7), "engine of the counter table"),
        KeyBinding(ch("x"), "x", .drillDown, bar: ("x", "Drill", 7), "drill-down: per-reason rows under each transition kind"),
        KeyBinding(ch("o"), "o", .sort, bar: ("o", "Sort", 7), "sort the counters by time / count / rate / name"),
        KeyBinding(ch("T"), "T", .theme, bar: ("T", "Theme", 9), "theme: dark, light, high-contrast, mono"),
        KeyBinding(ch("l"), "l", .loop, bar: ("l", "Loop", 8), "loop at the end"),
        KeyBinding(ch("r"), "r", .restart, bar: ("r", "Reset", 8), "restart (reset counters)"),
        KeyBinding([.function(10)] + ch("qQ"), "q F10 Ctrl-C", .quit, bar: ("q", "Quit", 0), "quit (from every screen)"),
    ]

    /// The binding `input` selects, given what is focused and whether a filter is set.
    public static func binding(for input: Input, countersFocused: Bool, filterSet: Bool) -> KeyBinding? {
        bindings.first { b in
            guard b.keys.contains(input) else { return false }
            switch b.condition {
            case .always: return true
            case .countersFocused: return countersFocused
            case .filterSet: return filterSet
            }
        }
    }

    /// The first key of `action` (the demo script presses keys by what they do).
    public static func key(for action: KeyAction) -> Input {
        guard let b = bindings.first(where: { $0.action == action }), let k = b.keys.first else {
            preconditionFailure("no key for \(action)")   // every action has a row (tested)
        }
        return k
    }

    /// The key bar's items on the main screen, in table order: those whose condition holds.
    public static func barItems(countersFocused: Bool, filterSet: Bool, playing: Bool)
        -> [(key: String, label: String, priority: Int)] {
        bindings.compactMap { b in
            guard var item = b.bar else { return nil }
            switch b.condition {
            case .always: break
            case .countersFocused: if !countersFocused { return nil }
            case .filterSet: if !filterSet { return nil }
            }
            if b.action == .playPause && !playing { item.label = "Play" }
            return item
        }
    }

    /// A digit that picks `eventClass` (the demo script presses keys by what they do).
    public static func key(for eventClass: EventClass) -> Input {
        let i = EventClass.allCases.firstIndex(of: eventClass)!
        precondition(i < 10, "only the first ten classes have a digit")
        return .character(Character(String((i + 1) % 10)))
    }

    /// The help's key lines: each documented binding as `keys  text`.
    public static var helpLines: [String] {
        bindings.filter { !$0.help.isEmpty }.map { b in
            b.keyLabel + String(repeating: " ", count: max(9 - b.keyLabel.count, 2)) + b.help
        }
    }
}
