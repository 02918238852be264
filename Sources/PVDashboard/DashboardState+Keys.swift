import PVKernel
import PVReplay

/// The reducer: a key becomes state changes plus the `Command`s the loop runs on the replay.
/// Which key does what is `KeyMap`'s table; this file says what each action does.
extension DashboardState {
    public mutating func apply(_ input: Input) -> [Command] {
        // Quit works from every screen, menus and help included (bashtop#81).
        switch input {
        case .function(10), .interrupt, .character("\u{03}"): return [.quit]
        default: break
        }
        if let overlay { return applyOverlay(overlay, input) }
        if case .mouse(let event) = input { return applyMouse(event) }
        if case .click(let target) = input { return applyClick(target) }
        guard let binding = KeyMap.binding(for: input, countersFocused: focus == .counters,
                                           filterSet: !configuration.filter.isEmpty) else { return [] }
        return perform(binding.action, input)
    }

    mutating func perform(_ action: KeyAction, _ input: Input) -> [Command] {
        switch action {
        case .quit: return [.quit]
        case .help: overlay = .help(scroll: 0)
        case .playPause:
            if view == .step { view = .overview }
            if finished {
                playing = true; clockNanoseconds = 0; finished = false
                return [.restart]
            }
            playing.toggle()
            say(playing ? "playing" : "paused")
        case .step:
            playing = false
            view = .step
            return [.step]
        case .faster:
            speedIndex = min(speedIndex + 1, DashboardState.speeds.count)
            say("speed \(speedLabel)")
        case .slower:
            if isMaxSpeed { clockNanoseconds = Double(positionNanoseconds) }
            speedIndex = max(speedIndex - 1, 0)
            say("speed \(speedLabel)")
        case .rowUp: moveCounterCursor(to: counterCursor - 1)
        case .rowDown: moveCounterCursor(to: counterCursor + 1)
        case .rowPageUp: moveCounterCursor(to: counterCursor - 10)
        case .rowPageDown: moveCounterCursor(to: counterCursor + 10)
        case .rowFirst: moveCounterCursor(to: 0)
        case .rowLast: moveCounterCursor(to: counterRowCount - 1)
        case .seekBack: return seek(by: -0.05)
        case .seekForward: return seek(by: 0.05)
        case .seekStart: return seek(to: 0)
        case .seekEnd:
            guard let d = durationNanoseconds else { say("live source: cannot seek"); return [] }
            return seek(to: d)
        case .loop:
            looping.toggle()
            say(looping ? "loop on" : "loop off")
        case .restart:
            clockNanoseconds = 0; finished = false
            say("restarted")
            return [.restart]
        case .nextClass: cycleEventClass(by: 1)
        case .previousClass: cycleEventClass(by: -1)
        case .pickClass:
            guard case .character(let c) = input, let n = c.wholeNumberValue else { return [] }
            let index = n == 0 ? 9 : n - 1
            if index < EventClass.allCases.count { eventClass = EventClass.allCases[index] }
        case .nextPanel:
            focus = next(focus, in: Focus.allCases)
            say("focus: \(focus.rawValue)")
        case .previousPanel:
            focus = next(focus, in: Array(Focus.allCases.reversed()))
            say("focus: \(focus.rawValue)")
        case .view: view = next(view, in: View.cycle)
        case .timeSeries: view = view == .timeSeries ? .overview : .timeSeries
        case .perCPU: view = view == .cpus ? .overview : .cpus
        case .rateCounter:
            rateCounter = next(rateCounter, in: TimeSeries.Counter.allCases)
            say("rate: \(rateCounter.rawValue)")
        case .search: overlay = .search("")
        case .theme:
            theme = next(theme, in: Theme.Name.allCases)
            say("theme \(theme.rawValue)")
        case .drillDown:
            drillDown.toggle()
            counterCursor = 0
        case .sort:
            sort = next(sort, in: CounterSort.allCases)
            say("sort by \(sort.rawValue)")
        case .engine:
            if engineCount > 1 { focusedEngine = focusedEngine % (engineCount - 1) + 1; counterCursor = 0 }
        case .profile:
            guard !profiles.isEmpty else { say("no bundled profiles"); return [] }
            let i = profiles.firstIndex(of: configuration.profile).map { ($0 + 1) % profiles.count } ?? 0
            configuration.profile = profiles[i]
            say("profile \(profiles[i])")
            return [.reconfigure(configuration)]
        case .backends: overlay = .backends(backendMenu())
        case .whatIf: overlay = .kvmFeatures(WhatIf.menu(configuration))
        case .filter: overlay = .filter(FilterForm(filter: configuration.filter))
        case .clearFilter:
            configuration.filter = EventFilter()
            say("filter cleared")
            return [.reconfigure(configuration)]
        }
        return []
    }

    func backendMenu() -> ToggleMenu {
        ToggleMenu(title: "Backends beside native", items: DashboardState.backendChoices.map {
            ToggleMenu.Item(key: $0.rawValue, label: $0.rawValue, isOn: configuration.backends.contains($0))
        })
    }

    mutating func moveCounterCursor(to row: Int) {
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

    /// The value after `value` in `all`, wrapping; the first when `value` is not in it (`t`
    /// from the step view goes to the overview).
    func next<T: Equatable>(_ value: T, in all: [T]) -> T {
        guard let i = all.firstIndex(of: value) else { return all[0] }
        return all[(i + 1) % all.count]
    }
}
