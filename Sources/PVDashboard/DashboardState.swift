import PVKernel
import PVReplay

/// Everything the dashboard remembers between frames: transport, view choices, open menus and
/// the replay configuration it last asked for. `apply` maps a key to state changes plus the
/// `Command`s the loop must run on the replay; it is pure, so every key is unit-tested.
public struct DashboardState: Sendable, Equatable {
    public enum View: String, Sendable, CaseIterable {
        /// Engine columns, counter table, batching, latency.
        case overview
        /// The latency panel gets the screen (histogram rows per engine).
        case latency
        /// Per CPU: each engine's slowdown on each CPU (kvm_stat's per-vCPU view).
        case cpus
        /// Big digits of each engine's slowdown: for talks.
        case headline
    }

    /// The counter table ranks by cost (perf kvm stat report's `Time%`) unless `o` picks
    /// count, kvm_stat's current rate, or name.
    public enum CounterSort: String, Sendable, CaseIterable { case time, count, rate, name }

    /// The panel Tab moves to: it gets the highlighted border and ↑/↓ PgUp/PgDn Home/End, and
    /// where the screen is too small for every panel (80×24) it is the one shown below the
    /// engine columns, so each panel is reachable at the smallest size.
    public enum Focus: String, Sendable, CaseIterable { case latency, counters, batching }

    public enum Overlay: Sendable, Equatable {
        case help(scroll: Int)
        case backends(ToggleMenu)
        case kvmFeatures(ToggleMenu)
        case filter(FilterForm)
    }

    /// Playback speeds (trace seconds per wall second). Kernel traces are short and dense, so
    /// the range reaches far below 1×; past the last one is "max" (as fast as possible).
    public static let speeds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
                                          1, 2, 5, 10, 20, 50, 100]
    /// Paravirt backends the chooser offers, in display order.
    public static let backendChoices: [BackendID] = [.xenPV, .kvm, .vmi, .lguest, .vbox]
    /// How long a status message stays in the key bar.
    public static let statusLifetimeNanoseconds: UInt64 = 4_000_000_000

    public var playing = true
    /// Index into `speeds`; `speeds.count` means max.
    public var speedIndex: Int
    public var looping = false
    public var view: View = .overview
    public var eventClass: EventClass = .pageFault
    /// kvm_stat's `x`: per-name child rows under each transition kind.
    public var drillDown = false
    public var sort: CounterSort = .time
    public var focus: Focus = .latency
    /// The selected row of the counter table; the table scrolls to keep it in view.
    public var counterCursor = 0
    /// Rows the counter table had at the last snapshot (the cursor's range).
    public var counterRowCount = 0
    /// Engine (display index) whose counters fill the counter table.
    public var focusedEngine = 1
    public var overlay: Overlay?
    public var theme: Theme.Name
    /// The configuration last sent to (or read from) the replay.
    public var configuration: ReplayConfiguration
    /// Bundled cost profiles `p` cycles through.
    public var profiles: [String]
    public var status: String?
    public var statusAgeNanoseconds: UInt64 = 0

    // Observed from the latest snapshot.
    public var positionNanoseconds: UInt64 = 0
    public var durationNanoseconds: UInt64?
    public var finished = false
    public var cpuCount = 1
    public var engineCount = 1
    /// Each engine's slowdown at the last `historyLength` snapshots that brought new events
    /// (oldest first), for the trend sparkline; cleared when the run starts over.
    public var slowdownHistory: [[Double]] = []
    public static let historyLength = 120
    private var lastObservedEvents: UInt64 = 0
    /// `--demo` is walking through the views (the header says so).
    public var demoRunning = false
    /// The trace time the play clock wants to reach (fractional so slow speeds accumulate).
    public var clockNanoseconds: Double = 0

    /// `speed` nil = as fast as possible; otherwise the nearest step at or above it.
    public init(configuration: ReplayConfiguration, profiles: [String] = [], theme: Theme.Name = .dark,
                speed: Double? = 1) {
        self.configuration = configuration
        self.profiles = profiles
        self.theme = theme
        speedIndex = speed.map { s in DashboardState.speeds.firstIndex { $0 >= s } ?? DashboardState.speeds.count - 1 }
            ?? DashboardState.speeds.count
    }

    // MARK: transport

    public var isMaxSpeed: Bool { speedIndex >= DashboardState.speeds.count }
    /// nil = max.
    public var speed: Double? { isMaxSpeed ? nil : DashboardState.speeds[speedIndex] }

    public var speedLabel: String {
        guard let s = speed else { return "max" }
        return (s >= 1 ? Format.fixed(s, 0) : s >= 0.01 ? Format.fixed(s, 2) : Format.fixed(s, 3)) + "×"
    }

    /// The trace time to pass to `ReplayControl.advance` this frame.
    public var traceTarget: UInt64 {
        if isMaxSpeed { return durationNanoseconds ?? UInt64.max }
        return UInt64(max(clockNanoseconds, 0))
    }

    /// Sets the speed to the nearest step at or above `speed` (the demo fits traces to a time).
    public mutating func setSpeed(_ speed: Double?) {
        if let speed { speedIndex = DashboardState.speeds.firstIndex { $0 >= speed } ?? DashboardState.speeds.count - 1 }
        else { speedIndex = DashboardState.speeds.count }
    }

    /// Wall time passed: moves the play clock by speed × elapsed and ages the status line.
    public mutating func tick(wallNanoseconds elapsed: UInt64) {
        if playing && !finished {
            if let s = speed { clockNanoseconds += s * Double(elapsed) }
            if let d = durationNanoseconds { clockNanoseconds = min(clockNanoseconds, Double(d)) }
        }
        if status != nil {
            statusAgeNanoseconds &+= elapsed
            if statusAgeNanoseconds >= DashboardState.statusLifetimeNanoseconds { status = nil }
        }
    }

    /// Reads what the replay reached. `budgetExhausted` = `advance` stopped on its event budget
    /// before the target: the clock is pulled back so a slow frame never builds a backlog
    /// (htop's rule: after a stall, do not catch up). Returns `.restart` when looping at the end.
    public mutating func observe(_ snapshot: Snapshot, budgetExhausted: Bool = false) -> [Command] {
        positionNanoseconds = snapshot.positionNanoseconds
        durationNanoseconds = snapshot.trace.durationNanoseconds
        finished = snapshot.finished
        cpuCount = snapshot.trace.cpuCount
        engineCount = snapshot.engines.count
        recordHistory(snapshot)
        if focusedEngine >= engineCount { focusedEngine = engineCount > 1 ? 1 : 0 }
        if !snapshot.engines.isEmpty {
            counterRowCount = CounterTable(engine: snapshot.engines[focusedEngine], previous: nil, basis: RateBasis(seconds: 0),
                                           sort: sort, drillDown: drillDown, theme: Theme.named(theme)).rows().count
            moveCounterCursor(to: counterCursor)
        }
        if budgetExhausted, let s = speed {
            clockNanoseconds = min(clockNanoseconds, Double(positionNanoseconds) + s * 100_000_000)
        }
        if finished && looping && playing {
            clockNanoseconds = 0
            finished = false
            return [.restart]
        }
        return []
    }

    private mutating func recordHistory(_ snapshot: Snapshot) {
        let ids = snapshot.engines.count
        // A restart, seek back or new configuration starts a new series.
        if snapshot.eventsReplayed < lastObservedEvents || slowdownHistory.count != ids {
            slowdownHistory = Array(repeating: [], count: ids)
        }
        if snapshot.eventsReplayed != lastObservedEvents && snapshot.eventsReplayed > 0 {
            for (i, e) in snapshot.engines.enumerated() {
                slowdownHistory[i].append(e.slowdown)
                if slowdownHistory[i].count > DashboardState.historyLength { slowdownHistory[i].removeFirst() }
            }
        }
        lastObservedEvents = snapshot.eventsReplayed
    }

    public mutating func say(_ message: String) { status = message; statusAgeNanoseconds = 0 }

    // MARK: keys

    public mutating func apply(_ input: Input) -> [Command] {
        // Quit works from every screen, menus and help included (bashtop#81).
        switch input {
        case .function(10), .interrupt, .character("\u{03}"): return [.quit]
        default: break
        }
        if let overlay {
            return applyOverlay(overlay, input)
        }
        switch input {
        case .character("q"), .character("Q"): return [.quit]
        case .character(" "):
            if finished {
                playing = true; clockNanoseconds = 0; finished = false
                return [.restart]
            }
            playing.toggle()
            say(playing ? "playing" : "paused")
        case .character("."):
            playing = false
            return [.step]
        case .character("+"), .character("="):
            speedIndex = min(speedIndex + 1, DashboardState.speeds.count)
            say("speed \(speedLabel)")
        case .character("-"), .character("_"):
            if isMaxSpeed { clockNanoseconds = Double(positionNanoseconds) }
            speedIndex = max(speedIndex - 1, 0)
            say("speed \(speedLabel)")
        case .up where focus == .counters: moveCounterCursor(to: counterCursor - 1)
        case .down where focus == .counters: moveCounterCursor(to: counterCursor + 1)
        case .pageUp where focus == .counters: moveCounterCursor(to: counterCursor - 10)
        case .pageDown where focus == .counters: moveCounterCursor(to: counterCursor + 10)
        case .home where focus == .counters: moveCounterCursor(to: 0)
        case .end where focus == .counters: moveCounterCursor(to: counterRowCount - 1)
        case .left: return seek(by: -0.05)
        case .right: return seek(by: 0.05)
        case .home: return seek(to: 0)
        case .end:
            guard let d = durationNanoseconds else { say("live source: cannot seek"); return [] }
            return seek(to: d)
        case .character("l"):
            looping.toggle()
            say(looping ? "loop on" : "loop off")
        case .character("r"):
            clockNanoseconds = 0; finished = false
            say("restarted")
            return [.restart]
        case .character("v"): cycleEventClass(by: 1)
        case .character("V"): cycleEventClass(by: -1)
        case .tab:
            focus = next(focus, in: Focus.allCases)
            say("focus: \(focus.rawValue)")
        case .backTab:
            focus = next(focus, in: Array(Focus.allCases.reversed()))
            say("focus: \(focus.rawValue)")
        case .character(let c) where c.isASCII && c.isNumber:
            let n = Int(String(c))!
            let index = n == 0 ? 9 : n - 1
            if index < EventClass.allCases.count { eventClass = EventClass.allCases[index] }
        case .character("t"):
            view = next(view, in: View.allCases)
        case .character("T"):
            theme = next(theme, in: Theme.Name.allCases)
            say("theme \(theme.rawValue)")
        case .character("x"):
            drillDown.toggle()
            counterCursor = 0
        case .character("o"):
            sort = next(sort, in: CounterSort.allCases)
            say("sort by \(sort.rawValue)")
        case .character("e"):
            if engineCount > 1 { focusedEngine = focusedEngine % (engineCount - 1) + 1; counterCursor = 0 }
        case .character("p"):
            guard !profiles.isEmpty else { say("no bundled profiles"); return [] }
            let i = profiles.firstIndex(of: configuration.profile).map { ($0 + 1) % profiles.count } ?? 0
            configuration.profile = profiles[i]
            say("profile \(profiles[i])")
            return [.reconfigure(configuration)]
        case .character("b"):
            overlay = .backends(ToggleMenu(
                title: "Backends beside native",
                items: DashboardState.backendChoices.map {
                    ToggleMenu.Item(label: $0.rawValue, isOn: configuration.backends.contains($0))
                }))
        case .character("k"):
            // The what-if knobs: KVM's pv features, then the machine-wide ones.
            let o = configuration.options
            overlay = .kvmFeatures(ToggleMenu(
                title: "What if… (KVM pv features, paging, batching, host)",
                items: KVMFeature.allCases.map {
                    // PV EOI only saves exits when APICv is off (APICv virtualizes the EOI).
                    ToggleMenu.Item(label: $0 == .pv_eoi ? "pv_eoi (inert with APICv on)" : $0.rawValue,
                                    isOn: o.kvmFeatures.contains($0))
                } + [
                    ToggleMenu.Item(label: "kvm: no EPT (shadow paging)", isOn: o.ept == false),
                    ToggleMenu.Item(label: "kvm: no APICv (EOI exits unless pv_eoi)", isOn: o.apicv == false),
                    ToggleMenu.Item(label: "batching (multicall/deferred/ring)", isOn: o.batching),
                    ToggleMenu.Item(label: "host overcommit 20%", isOn: o.overcommit > 0),
                ]))
        case .character("f"):
            overlay = .filter(FilterForm(filter: configuration.filter))
        case .character("c"):
            guard !configuration.filter.isEmpty else { return [] }
            configuration.filter = EventFilter()
            say("filter cleared")
            return [.reconfigure(configuration)]
        case .character("h"), .character("?"), .function(1):
            overlay = .help(scroll: 0)
        default: break
        }
        return []
    }

    private mutating func moveCounterCursor(to row: Int) {
        counterCursor = min(max(row, 0), max(counterRowCount - 1, 0))
    }

    private mutating func seek(by fraction: Double) -> [Command] {
        guard let d = durationNanoseconds else { say("live source: cannot seek"); return [] }
        let target = Double(positionNanoseconds) + fraction * Double(d)
        return seek(to: UInt64(min(max(target, 0), Double(d))))
    }

    private mutating func seek(to target: UInt64) -> [Command] {
        clockNanoseconds = Double(target)
        finished = false
        say("seek \(Format.seconds(nanoseconds: target)) s")
        return [.seek(toTraceTime: target)]
    }

    private mutating func cycleEventClass(by step: Int) {
        let all = EventClass.allCases
        let i = all.firstIndex(of: eventClass)!
        eventClass = all[(i + step + all.count) % all.count]
    }

    private func next<T: Equatable>(_ value: T, in all: [T]) -> T {
        all[((all.firstIndex(of: value) ?? 0) + 1) % all.count]
    }

    private mutating func applyOverlay(_ current: Overlay, _ input: Input) -> [Command] {
        switch current {
        case .help(let scroll):
            switch input {
            case .character("q"), .character("Q"): return [.quit]
            case .character("h"), .character("?"), .function(1), .escape, .enter: overlay = nil
            case .down, .character("j"): overlay = .help(scroll: scroll + 1)
            case .up, .character("k"): overlay = .help(scroll: max(scroll - 1, 0))
            case .pageDown, .character(" "): overlay = .help(scroll: scroll + 10)
            case .pageUp: overlay = .help(scroll: max(scroll - 10, 0))
            default: break
            }
            return []

        case .backends(var menu):
            switch menu.handle(input, closeKey: "b") {
            case .quit: return [.quit]
            case .cancel: overlay = nil
            case .stay: overlay = .backends(menu)
            case .apply:
                let chosen = zip(DashboardState.backendChoices, menu.items).filter { $0.1.isOn }.map(\.0)
                guard !chosen.isEmpty else {
                    say("choose at least one backend"); overlay = .backends(menu); return []
                }
                overlay = nil
                guard chosen != configuration.backends else { return [] }
                configuration.backends = chosen
                say("backends: native " + chosen.map(\.rawValue).joined(separator: " "))
                return [.reconfigure(configuration)]
            }
            return []

        case .kvmFeatures(var menu):
            switch menu.handle(input, closeKey: "k") {
            case .quit: return [.quit]
            case .cancel: overlay = nil
            case .stay: overlay = .kvmFeatures(menu)
            case .apply:
                overlay = nil
                let on = Set(zip(KVMFeature.allCases, menu.items).filter { $0.1.isOn }.map(\.0))
                let knobs = menu.items.dropFirst(KVMFeature.allCases.count).map(\.isOn)
                var options = configuration.options
                options.kvmFeatures = on
                if knobs.count == 4 {
                    options.ept = knobs[0] ? false : nil   // nil: the profile's CPU decides
                    options.apicv = knobs[1] ? false : nil
                    options.batching = knobs[2]
                    options.overcommit = knobs[3] ? max(options.overcommit, 0.2) : 0
                }
                guard options != configuration.options else { return [] }
                configuration.options = options
                let off = KVMFeature.allCases.filter { !on.contains($0) }.map(\.rawValue)
                say((off.isEmpty ? "kvm: all pv features on" : "kvm off: " + off.joined(separator: " "))
                    + (options.ept == false ? ", no EPT" : "") + (options.apicv == false ? ", no APICv" : "")
                    + (options.batching ? "" : ", no batching")
                    + (options.overcommit > 0 ? ", overcommit \(Int(options.overcommit * 100))%" : ""))
                return [.reconfigure(configuration)]
            }
            return []

        case .filter(var form):
            switch form.handle(input, cpuCount: cpuCount) {
            case .quit: return [.quit]
            case .cancel: overlay = nil
            case .stay: overlay = .filter(form)
            case .apply:
                overlay = nil
                let filter = form.filter
                guard filter != configuration.filter else { return [] }
                configuration.filter = filter
                say(filter.isEmpty ? "filter cleared" : "filter: " + FilterForm.describe(filter))
                return [.reconfigure(configuration)]
            }
            return []
        }
    }
}

/// What a menu did with a key.
public enum MenuOutcome: Sendable, Equatable { case stay, apply, cancel, quit }

/// A small checklist (backends, KVM features): ↑/↓ move, Space or a digit toggles, Enter
/// applies, Esc (or the key that opened it) cancels, `q` quits.
public struct ToggleMenu: Sendable, Equatable {
    public struct Item: Sendable, Equatable {
        public var label: String
        public var isOn: Bool
        public init(label: String, isOn: Bool) { self.label = label; self.isOn = isOn }
    }
    public var title: String
    public var items: [Item]
    public var cursor = 0

    public init(title: String, items: [Item]) { self.title = title; self.items = items }

    public mutating func handle(_ input: Input, closeKey: Character) -> MenuOutcome {
        switch input {
        case .character("q"), .character("Q"): return .quit
        case .escape, .character(closeKey): return .cancel
        case .enter: return .apply
        case .up, .backTab: cursor = (cursor + items.count - 1) % items.count
        case .down, .tab: cursor = (cursor + 1) % items.count
        case .character(" "), .left, .right: items[cursor].isOn.toggle()
        case .character(let c) where c.isASCII && c.isNumber:
            let i = Int(String(c))! - 1
            if i >= 0 && i < items.count { items[i].isOn.toggle(); cursor = i }
        default: break
        }
        return .stay
    }
}

/// The `f` form: event class and CPU cycle with ←/→, the process field takes typed text
/// (a comm or a pid, as `EventFilter.process`).
public struct FilterForm: Sendable, Equatable {
    public enum Field: Int, Sendable, CaseIterable { case eventClass, cpu, process }
    public var filter: EventFilter
    public var field: Field = .eventClass

    public init(filter: EventFilter) { self.filter = filter }

    public static func describe(_ f: EventFilter) -> String {
        var parts: [String] = []
        if let c = f.eventClass { parts.append("class=\(c.label)") }
        if let c = f.cpu { parts.append("cpu=\(c)") }
        if let p = f.process { parts.append("proc=\(p)") }
        return parts.joined(separator: " ")
    }

    public mutating func handle(_ input: Input, cpuCount: Int) -> MenuOutcome {
        switch input {
        case .escape: return .cancel
        case .enter: return .apply
        case .up, .backTab: field = Field(rawValue: (field.rawValue + 2) % 3)!
        case .down, .tab: field = Field(rawValue: (field.rawValue + 1) % 3)!
        case .left, .right:
            let step = input == .right ? 1 : -1
            switch field {
            case .eventClass:
                // nil (all) followed by every class, as a ring.
                let all: [EventClass?] = [nil] + EventClass.allCases.map { Optional($0) }
                let i = all.firstIndex(of: filter.eventClass) ?? 0
                filter.eventClass = all[(i + step + all.count) % all.count]
            case .cpu:
                let all: [Int?] = [nil] + (0..<max(cpuCount, 1)).map { Optional($0) }
                let i = all.firstIndex(of: filter.cpu) ?? 0
                filter.cpu = all[(i + step + all.count) % all.count]
            case .process: break
            }
        case .backspace:
            if field == .process, var p = filter.process {
                p.removeLast()
                filter.process = p.isEmpty ? nil : p
            } else if field == .eventClass { filter.eventClass = nil } else if field == .cpu { filter.cpu = nil }
        case .character(let c):
            if field == .process {
                if !c.isWhitespace { filter.process = (filter.process ?? "") + String(c) }
            } else if c == "q" || c == "Q" {
                return .quit
            } else if c == "f" {
                return .cancel
            }
        default: break
        }
        return .stay
    }
}
