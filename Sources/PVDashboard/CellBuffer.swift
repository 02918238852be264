/// A rectangle of terminal cells; `x`, `y` are columns and rows from the top-left corner.
public struct Rect: Equatable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(width, 0); self.height = max(height, 0)
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var description: String { "\(width)×\(height)@\(x),\(y)" }

    /// The area inside a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }

    /// The first `rows` rows, and the rest.
    public func splitTop(_ rows: Int) -> (top: Rect, rest: Rect) {
        let r = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: r),
                Rect(x: x, y: y + r, width: width, height: height - r))
    }

    /// The last `rows` rows, and the rest above them.
    public func splitBottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let r = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: height - r),
                Rect(x: x, y: y + height - r, width: width, height: r))
    }

    /// The first `columns` columns, and the rest.
    public func splitLeft(_ columns: Int) -> (left: Rect, rest: Rect) {
        let c = min(max(columns, 0), width)
        return (Rect(x: x, y: y, width: c, height: height),
                Rect(x: x + c, y: y, width: width - c, height: height))
    }

    /// `count` columns of (nearly) equal width that together fill this rectangle; the first
    /// `width % count` columns are one cell wider.
    public func columns(_ count: Int) -> [Rect] {
        guard count > 0 else { return [] }
        var result: [Rect] = []
        var cx = x
        for i in 0..<count {
            let w = width / count + (i < width % count ? 1 : 0)
            result.append(Rect(x: cx, y: y, width: w, height: height))
            cx += w
        }
        return result
    }

    /// Rows `index` of this rectangle as a one-row rectangle.
    public func row(_ index: Int) -> Rect { Rect(x: x, y: y + index, width: width, height: 1) }

    /// A rectangle of at most `w`×`h` centred in this one.
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    public func intersection(_ o: Rect) -> Rect {
        let x0 = max(x, o.x), y0 = max(y, o.y)
        return Rect(x: x0, y: y0, width: min(maxX, o.maxX) - x0, height: min(maxY, o.maxY) - y0)
    }
}

/// One terminal cell: a single-width character and its style. Box-drawing and block glyphs are
/// one column wide outside CJK locales (wcwidth(3)), which is all the dashboard draws.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var style: Style
    public init(_ character: Character = " ", _ style: Style = Style()) {
        self.character = character; self.style = style
    }
}

/// The frame every widget draws into (ratatui's `Buffer`). Only the terminal layer copies it to
/// the screen; tests read it back as text.
public struct CellBuffer: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, style: Style = Style()) {
        self.width = max(width, 0); self.height = max(height, 0)
        cells = Array(repeating: Cell(" ", style), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    @inline(__always)
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `string` from (x, y) on one row, clipped to `clip` (and the buffer); returns the
    /// column after the last character written.
    @discardableResult
    public mutating func put(_ string: String, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Int {
        let bounds = (clip ?? area).intersection(area)
        guard y >= bounds.y, y < bounds.maxY else { return x + string.count }
        var cx = x
        for ch in string {
            if cx >= bounds.maxX { break }
            if cx >= bounds.x { cells[y * width + cx] = Cell(ch, style) }
            cx += 1
        }
        return cx
    }

    /// Writes `string` into the one-row `area`, padded or cut to its width; `alignRight`
    /// right-aligns it.
    public mutating func put(_ string: String, in area: Rect, style: Style, alignRight: Bool = false) {
        guard !area.isEmpty else { return }
        let text = alignRight ? String(string.suffix(area.width)) : String(string.prefix(area.width))
        let x = alignRight ? area.maxX - text.count : area.x
        put(text, x: x, y: area.y, style: style, clip: area)
    }

    /// Restyles cells without changing their characters.
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY { for x in r.x..<r.maxX { cells[y * width + x].style = style } }
    }

    public mutating func fill(_ rect: Rect, with character: Character = " ", style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY { for x in r.x..<r.maxX { cells[y * width + x] = Cell(character, style) } }
    }

    /// A single-line box around `rect`, with an optional title after the top-left corner and a
    /// right-aligned title before the top-right one (`┌ native ───── 1.00× ┐`).
    public mutating func box(_ rect: Rect, title: String = "", rightTitle: String = "",
                             border: Style, titleStyle: Style, rightTitleStyle: Style? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let top = rect.y, bottom = rect.maxY - 1, left = rect.x, right = rect.maxX - 1
        for x in left...right {
            put("─", x: x, y: top, style: border); put("─", x: x, y: bottom, style: border)
        }
        for y in top...bottom {
            put("│", x: left, y: y, style: border); put("│", x: right, y: y, style: border)
        }
        put("┌", x: left, y: top, style: border); put("┐", x: right, y: top, style: border)
        put("└", x: left, y: bottom, style: border); put("┘", x: right, y: bottom, style: border)
        let titleClip = Rect(x: left + 1, y: top, width: rect.width - 2, height: 1)
        var afterTitle = left + 1
        if !title.isEmpty {
            afterTitle = put(" \(title) ", x: left + 1, y: top, style: titleStyle, clip: titleClip)
        }
        if !rightTitle.isEmpty {
            let text = " \(rightTitle) "
            let x = right - text.count
            if x > afterTitle { put(text, x: x, y: top, style: rightTitleStyle ?? titleStyle, clip: titleClip) }
        }
    }

    /// Row `y` as text, trailing spaces trimmed.
    public func line(_ y: Int) -> String {
        var s = String(cells[(y * width)..<(y * width + width)].map(\.character))
        while s.last == " " { s.removeLast() }
        return s
    }

    /// The whole buffer as text, one line per row with trailing spaces trimmed (ratatui's
    /// `Buffer::with_lines` idiom for tests).
    public var text: String { (0..<height).map(line).joined(separator: "\n") }
}
