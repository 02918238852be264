import PVKernel
import PVReplay

/// Keys while an overlay (help, a menu, the filter form, the search line) is open.
extension DashboardState {
    mutating func applyOverlay(_ current: Overlay, _ input: Input) -> [Command] {
        switch current {
        case .help(let scroll):
            switch input {
            case .character("q"), .character("Q"): return [.quit]
            case .character("h"), .character("?"), .function(1), .escape, .enter: overlay = nil
            case .down, .character("j"): overlay = .help(scroll: scroll + 1)
            case .up, .character("k"): overlay = .help(scroll: max(scroll - 1, 0))
            case .mouse(let m) where m.kind == .wheelDown: overlay = .help(scroll: scroll + 3)
            case .mouse(let m) where m.kind == .wheelUp: overlay = .help(scroll: max(scroll - 3, 0))
            case .pageDown, .character(" "): overlay = .help(scroll: scroll + 10)
            case .pageUp: overlay = .help(scroll: max(scroll - 10, 0))
            default: break
            }
            return []

        case .backends(var menu):
            let outcome = menu.handle(input, closeKey: "b")
            return settle(outcome, keepOpen: .backends(menu)) { s in
                let chosen = DashboardState.backendChoices.filter { menu.isOn($0.rawValue) }
                guard !chosen.isEmpty else {
                    s.say("choose at least one backend"); s.overlay = .backends(menu); return nil
                }
                var c = s.configuration
                c.backends = chosen
                return (c, "backends: native " + chosen.map(\.rawValue).joined(separator: " "))
            }

        case .kvmFeatures(var menu):
            let outcome = menu.handle(input, closeKey: "k")
            return settle(outcome, keepOpen: .kvmFeatures(menu)) { s in
                let chosen = WhatIf.apply(menu, to: s.configuration)
                return (chosen, WhatIf.describe(chosen))
            }

        case .filter(var form):
            let outcome = form.handle(input, cpuCount: cpuCount)
            return settle(outcome, keepOpen: .filter(form)) { s in
                var c = s.configuration
                c.filter = form.filter
                return (c, form.filter.isEmpty ? "filter cleared" : "filter: " + FilterForm.describe(form.filter))
            }

        case .search(var text):
            switch input {
            case .escape: overlay = nil
            case .enter:
                overlay = nil
                searchText = text.isEmpty ? searchText : text
                search(after: text.isEmpty ? counterCursor : counterCursor - 1)
            case .backspace:
                if !text.isEmpty { text.removeLast() }
                overlay = .search(text)
            case .character(let c) where !c.isNewline:
                text.append(c)
                overlay = .search(text)
                searchText = text
                search(after: counterCursor - 1)   // incremental: the current row may match
            default: overlay = .search(text)
            }
            return []
        }
    }

    /// What every menu does with its outcome: quit, close, stay open as `keepOpen`, or apply the
    /// configuration `chosen` returns (nil: it refused and said why) when it differs.
    private mutating func settle(_ outcome: MenuOutcome, keepOpen: Overlay,
                                 _ chosen: (inout DashboardState) -> (ReplayConfiguration, String)?) -> [Command] {
        switch outcome {
        case .quit: return [.quit]
        case .cancel: overlay = nil
        case .stay: overlay = keepOpen
        case .apply:
            overlay = nil
            guard let (configuration, message) = chosen(&self), configuration != self.configuration else { return [] }
            self.configuration = configuration
            say(message)
            return [.reconfigure(configuration)]
        }
        return []
    }

    /// Transition names are the drill-down's rows: turn it on, and look once the next snapshot
    /// has them (the loop observes one after every key).
    mutating func search(after row: Int) {
        focus = .counters
        if view != .overview { view = .overview }
        if drillDown { findNextMatch(after: row) } else { drillDown = true; pendingSearchAfter = row }
    }

    /// Moves the counter cursor to the next row (wrapping) after `row` whose name contains the
    /// search text (case-insensitive, htop's F3); says so when nothing matches.
    mutating func findNextMatch(after row: Int) {
        guard let needle = searchText?.lowercased(), !needle.isEmpty else { return }
        let names = counterRowNames
        guard !names.isEmpty else { say("no counters to search"); return }
        for offset in 1...names.count {
            let i = ((row + offset) % names.count + names.count) % names.count
            if names[i].lowercased().contains(needle) {
                counterCursor = i
                say("/\(needle): \(names[i])")
                return
            }
        }
        say("/\(needle): no transition matches")
    }
}
