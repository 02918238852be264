import PVReplay

/// Where each part of the screen goes for a size, a state and the engines shown: computed once
/// per frame and read both by the renderer and by the mouse (a click hits what was drawn).
/// Degrades from 200×60 down to 80×24 by shrinking and then paging the middle row.
public struct DashboardLayout: Equatable, Sendable {
    public var header = Rect(x: 0, y: 0, width: 0, height: 0)
    public var keyBar = Rect(x: 0, y: 0, width: 0, height: 0)
    public var body = Rect(x: 0, y: 0, width: 0, height: 0)
    public var engines: [Rect] = []
    /// The panels below the columns and where each is, when shown.
    public var panels: [DashboardState.Focus: Rect] = [:]
    /// The page strip at 80×24 (Tab turns its pages), and each tab's cells.
    public var tabs: [DashboardState.Focus: Rect] = [:]
    /// The view's own panel (per CPU, time series, headline, step), when the view has one.
    public var main: Rect?
    public var tooSmall = false

    public static let minimumWidth = 80
    public static let minimumHeight = 24
    /// The latency panel keeps at least this many rows beside the other panels; otherwise pages.
    static let latencyMinimumRows = 12

    public init(area: Rect, state: DashboardState, engineCount: Int, hasBatching: Bool) {
        guard area.width >= Self.minimumWidth, area.height >= Self.minimumHeight else { tooSmall = true; return }
        let (headerRow, rest) = area.splitTop(1)
        (body, keyBar) = rest.splitBottom(1)
        header = headerRow
        switch state.view {
        case .headline, .step:
            main = body
        case .cpus, .timeSeries:
            let (top, bottom) = body.splitTop(min(max(body.height * 3 / 10, 9), 16))
            engines = top.columns(engineCount)
            main = bottom
        case .latency:
            let (top, bottom) = body.splitTop(min(6, body.height / 4))
            engines = top.columns(engineCount)
            panels[.latency] = bottom
        case .overview:
            let (top, lower) = body.splitTop(min(max(body.height * 3 / 10, 9), 16))
            engines = top.columns(engineCount)
            // Every panel at once only when the latency panel keeps its rows; otherwise (80×24)
            // the focused one gets the room under a tab strip, and Tab switches pages.
            guard lower.height >= Self.latencyMinimumRows + 8 else {
                let (strip, page) = lower.splitTop(1)
                panels[state.focus] = page
                var x = strip.x + PageTabs.leadWidth
                for p in DashboardState.Focus.allCases {
                    let w = p.rawValue.count + 2
                    tabs[p] = Rect(x: x, y: strip.y, width: w, height: 1)
                    x += w + 1
                }
                stripRect = strip
                return
            }
            let middleHeight = min(max(lower.height - 22, 8), 14)
            let (middle, bottom) = lower.splitTop(middleHeight)
            panels[.latency] = bottom
            if middle.width < 140 || !hasBatching {
                // Too narrow for both side by side without cutting names (or nothing batches):
                // the focused one of the two (Tab), the counters unless batching has the focus.
                panels[state.focus == .batching ? .batching : .counters] = middle
            } else {
                let (left, right) = middle.splitLeft(max(middle.width * 2 / 5, 58))
                panels[.counters] = left
                panels[.batching] = right
            }
        }
    }

    /// The tab strip's row at 80×24 (nil when every panel has room).
    public var stripRect: Rect?

    /// What a press at (x, y) lands on; `counterRows` and `cursor` place the table's rows.
    public func target(x: Int, y: Int, counterRows: Int, cursor: Int) -> ClickTarget? {
        func inside(_ r: Rect) -> Bool { x >= r.x && x < r.maxX && y >= r.y && y < r.maxY }
        for (page, r) in tabs where inside(r) { return .panel(page) }
        if let table = panels[.counters], inside(table) {
            let inner = table.inner
            let visible = max(inner.height - 2, 1)
            let first = CounterTable.firstVisibleRow(cursor: cursor, rows: counterRows, visible: visible)
            let row = y - inner.y - 1
            if row >= 0, row < visible, first + row < counterRows { return .counterRow(first + row) }
            return .panel(.counters)
        }
        for (panel, r) in panels where inside(r) { return .panel(panel) }
        for (i, r) in engines.enumerated() where inside(r) { return .engine(i) }
        return nil
    }
}
