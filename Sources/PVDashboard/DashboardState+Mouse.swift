/// Mouse (htop and btop: click to select, wheel to scroll); the session turns a press into a
/// `ClickTarget` from the frame's layout, so this stays pure.
extension DashboardState {
    mutating func applyMouse(_ event: MouseEvent) -> [Command] {
        switch event.kind {
        case .wheelUp where focus == .counters: moveCounterCursor(to: counterCursor - 3)
        case .wheelDown where focus == .counters: moveCounterCursor(to: counterCursor + 3)
        default: break
        }
        return []
    }

    mutating func applyClick(_ target: ClickTarget) -> [Command] {
        switch target {
        case .engine(let i):
            guard i > 0, i < engineCount else { return [] }   // native has no transitions
            if focusedEngine != i { focusedEngine = i; counterCursor = 0 }
            focus = .counters
        case .panel(let panel):
            focus = panel
        case .counterRow(let row):
            focus = .counters
            moveCounterCursor(to: row)
        }
        return []
    }
}
