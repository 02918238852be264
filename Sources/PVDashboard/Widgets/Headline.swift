import PVKernel
import PVReplay

/// A 3×5 block font for the talk-mode headline (digits, `.`, `×`, `+`, `-`, `%`).
public enum BigDigits {
    static let glyphs: [Character: [String]] = [
        "0": ["███", "█ █", "█ █", "█ █", "███"],
        "1": [" █ ", "██ ", " █ ", " █ ", "███"],
        "2": ["███", "  █", "███", "█  ", "███"],
        "3": ["███", "  █", "███", "  █", "███"],
        "4": ["█ █", "█ █", "███", "  █", "  █"],
        "5": ["███", "█  ", "███", "  █", "███"],
        "6": ["███", "█  ", "███", "█ █", "███"],
        "7": ["███", "  █", "  █", "  █", "  █"],
        "8": ["███", "█ █", "███", "█ █", "███"],
        "9": ["███", "█ █", "███", "  █", "███"],
        ".": [" ", " ", " ", " ", "█"],
        "×": ["   ", "█ █", " █ ", "█ █", "   "],
        "+": ["   ", " █ ", "███", " █ ", "   "],
        "-": ["   ", "   ", "███", "   ", "   "],
        "%": ["█ █", "  █", " █ ", "█  ", "█ █"],
        " ": [" ", " ", " ", " ", " "],
    ]
    public static let height = 5

    /// Five rows of `text` in the block font (unknown characters are skipped), one blank
    /// column between glyphs. `scale` 2 doubles every column: a terminal cell is about twice as
    /// tall as wide, so that gives square font pixels and digits that read from the back row.
    public static func rows(_ text: String, scale: Int = 1) -> [String] {
        var rows = Array(repeating: "", count: height)
        for ch in text {
            guard let g = glyphs[ch] else { continue }
            for r in 0..<height {
                let glyph = scale == 1 ? g[r] : String(g[r].flatMap { Array(repeating: $0, count: scale) })
                rows[r] += (rows[r].isEmpty ? "" : String(repeating: " ", count: scale)) + glyph
            }
        }
        return rows
    }

    public static func width(_ text: String, scale: Int = 1) -> Int { rows(text, scale: scale)[0].count }
}

/// Talk mode: each paravirt engine's slowdown in big digits, in a grid, with the number of
/// transitions that cost it, a stacked bar of where its extra cycles go (ExtraCostBar) and one
/// legend for the bars, and native named as the baseline.
public struct Headline: Widget {
    public var engines: [EngineSnapshot]
    public var theme: Theme

    public init(engines: [EngineSnapshot], theme: Theme) { self.engines = engines; self.theme = theme }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.height >= 3 else { return }
        let others = Array(engines.dropFirst().enumerated())
        buffer.put("slowdown vs native (1.00×): same trace, same kernel, different pv_ops backend",
                   in: area.row(0), style: theme.dim)
        var body = Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1)
        // The legend of the stacked bars takes the bottom row.
        let showBars = body.height >= 10
        if showBars {
            let legendRow = body.row(body.height - 1)
            var x = buffer.put("extra cycles beyond native: ", x: legendRow.x, y: legendRow.y, style: theme.dim, clip: legendRow)
            for item in ExtraCostBar.legend(theme: theme, width: legendRow.maxX - x) {
                x = buffer.put(item.text, x: x, y: legendRow.y, style: item.style, clip: legendRow)
            }
            body.height -= 2
        }
        guard !others.isEmpty else {
            buffer.put("only native shown: press b to add backends", in: body.row(0), style: theme.text)
            return
        }
        let columnCount = body.width >= 38 * others.count ? others.count : max(min(others.count, body.width / 38), 1)
        let rowCount = (others.count + columnCount - 1) / columnCount
        let cellHeight = body.height / rowCount
        for (n, (i, e)) in others.enumerated() {
            let cellRow = n / columnCount, cellColumn = n % columnCount
            let rowRect = Rect(x: body.x, y: body.y + cellRow * cellHeight, width: body.width, height: cellHeight)
            let cell = rowRect.columns(columnCount)[cellColumn]
            let ratio = Format.slowdown(e.slowdown, withPercent: false)
            let pct = Format.slowdown(e.slowdown).split(separator: " ").dropFirst().joined()
            let scale = BigDigits.width(ratio, scale: 2) <= cell.width - 2 ? 2 : 1
            let big = BigDigits.width(ratio, scale: scale) <= cell.width - 2 && cell.height >= BigDigits.height + 2
            let barRows = showBars ? 1 : 0
            let blockHeight = (big ? BigDigits.height + 2 : 2) + barRows
            let top = cell.y + max((cell.height - blockHeight) / 2, 0)
            let style = e.slowdown > 1.0005 ? theme.worse : theme.better
            buffer.put(center(e.descriptor.displayName, cell.width), in: Rect(x: cell.x, y: top, width: cell.width, height: 1),
                       style: theme.title)
            if big {
                for (r, line) in BigDigits.rows(ratio, scale: scale).enumerated() {
                    let x = cell.x + (cell.width - line.count) / 2
                    // Spaces of the glyphs stay in the base style, so only the blocks take colour.
                    for (c, ch) in line.enumerated() where ch != " " {
                        buffer.put(String(ch), x: x + c, y: top + 1 + r, style: style, clip: cell)
                    }
                }
            } else {
                buffer.put(center(ratio, cell.width), in: Rect(x: cell.x, y: top + 1, width: cell.width, height: 1), style: style)
            }
            let detail = (pct.isEmpty ? "" : pct + " · ") + Format.count(e.metrics.totalTransitions) + " transitions"
            let detailY = top + blockHeight - 1 - barRows
            if big, detailY < cell.maxY {
                buffer.put(center(detail, cell.width), in: Rect(x: cell.x, y: detailY, width: cell.width, height: 1),
                           style: theme.engineBar(i + 1))
            }
            if showBars, detailY + 1 < cell.maxY, cell.width >= 8 {
                ExtraCostBar(engine: e, native: engines[0], theme: theme)
                    .render(Rect(x: cell.x + 2, y: detailY + 1, width: cell.width - 4, height: 1), into: &buffer)
            }
        }
    }

    private func center(_ s: String, _ width: Int) -> String {
        s.count >= width ? String(s.prefix(width)) : String(repeating: " ", count: (width - s.count) / 2) + s
    }
}
