/// The page switcher where the screen is too small for every panel (80×24): the panels below
/// the engine columns as tabs, the focused one highlighted; Tab / Shift-Tab move between them.
public struct PageTabs: Widget {
    public var focus: DashboardState.Focus
    public var theme: Theme

    public init(focus: DashboardState.Focus, theme: Theme) { self.focus = focus; self.theme = theme }

    /// The ` Tab ` lead before the first tab (`DashboardLayout` places the tabs for the mouse).
    static let leadWidth = 5

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        var x = buffer.put(" Tab ", x: row.x, y: row.y, style: theme.dim, clip: row)
        // Brackets and the title style mark the page shown (no background of its own, so the
        // light themes stay light).
        for page in DashboardState.Focus.allCases {
            let shown = page == focus
            x = buffer.put(shown ? "[\(page.rawValue)]" : " \(page.rawValue) ", x: x, y: row.y,
                           style: shown ? theme.title.bolded : theme.dim, clip: row)
            x = buffer.put(" ", x: x, y: row.y, style: theme.dim, clip: row)
        }
    }
}
