/// htop's one-line function bar: key in one style, label in another. Items that do not fit are
/// dropped from the least important end; Quit and Help always stay. A status message (`speed
/// 4×`, `paused`) takes the right end while it is fresh.
public struct KeyBar: Widget {
    public var state: DashboardState
    public var theme: Theme

    public init(state: DashboardState, theme: Theme) { self.state = state; self.theme = theme }

    /// (key, label, priority: lower survives longer).
    public func items() -> [(key: String, label: String, priority: Int)] {
        switch state.overlay {
        case .help: return [("Esc", "Close", 0), ("↑↓", "Scroll", 1), ("q", "Quit", 0)]
        case .backends, .kvmFeatures:
            return [("↑↓", "Move", 1), ("Space", "Toggle", 0), ("Enter", "Apply", 0), ("Esc", "Cancel", 0), ("q", "Quit", 0)]
        case .filter:
            return [("↑↓", "Field", 1), ("←→", "Change", 0), ("type", "Process", 2), ("Enter", "Apply", 0),
                    ("Esc", "Cancel", 0), ("F10", "Quit", 0)]
        case .search:
            return [("Enter", "Find", 0), ("Esc", "Cancel", 0)]
        case nil:
            return KeyMap.barItems(countersFocused: state.focus == .counters, filterSet: !state.configuration.filter.isEmpty,
                                   playing: state.playing)
        }
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        buffer.fill(row, style: theme.keyLabel)
        var kept = items()
        let status = state.status.map { " \($0) " } ?? ""
        func width(_ items: [(key: String, label: String, priority: Int)]) -> Int {
            items.reduce(0) { $0 + $1.key.count + $1.label.count + 1 }
        }
        while width(kept) + status.count > row.width, let worst = kept.map(\.priority).max(), worst > 0 {
            kept.remove(at: kept.lastIndex { $0.priority == worst }!)
        }
        var x = row.x
        for item in kept {
            x = buffer.put(item.key, x: x, y: row.y, style: theme.keyName, clip: row)
            x = buffer.put(item.label + " ", x: x, y: row.y, style: theme.keyLabel, clip: row)
        }
        if !status.isEmpty && x + status.count <= row.maxX {
            buffer.put(status, in: row, style: theme.headerAccent, alignRight: true)
        }
    }
}
