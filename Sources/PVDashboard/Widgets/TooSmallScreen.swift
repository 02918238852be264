/// btop's wall, but still quitting on `q` (bashtop#81): the terminal is smaller than the
/// layout's minimum.
public struct TooSmallScreen: Widget {
    public var needWidth: Int
    public var needHeight: Int
    public var theme: Theme

    public init(needWidth: Int, needHeight: Int, theme: Theme) {
        self.needWidth = needWidth; self.needHeight = needHeight; self.theme = theme
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        buffer.fill(area, style: theme.base)
        let lines = [
            "pvtop needs \(needWidth)×\(needHeight)",
            "this terminal is \(area.width)×\(area.height)",
            "enlarge it, or press q to quit",
        ]
        let top = area.y + max((area.height - lines.count) / 2, 0)
        for (i, l) in lines.enumerated() where top + i < area.maxY {
            let text = l.count > area.width ? String(l.prefix(area.width)) : l
            let x = area.x + max((area.width - text.count) / 2, 0)
            buffer.put(text, x: x, y: top + i, style: i == 0 ? theme.worse : theme.text, clip: area)
        }
    }
}
