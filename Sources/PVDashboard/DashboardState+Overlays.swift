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
            switch menu.handle(input, closeKey: "b") {
            case .quit: return [.quit]
            case .cancel: overlay = nil
            case .stay: overlay = .backends(menu)
            case .apply:
                let chosen = DashboardState.backendChoices.filter { menu.isOn($0.rawValue) }
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
                let chosen = WhatIf.apply(menu, to: configuration)
                guard chosen != configuration else { return [] }
                configuration = chosen
                say(WhatIf.describe(chosen))
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
