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

/// One terminal cell, as ncurses keeps it (a `cchar_t`): one spacing code point and its style.
/// A wide character (CJK, emoji: `CellWidth`) takes two cells, the second with width 0; zero-width
/// scalars that follow a character (combining marks, ZWJ) are kept by the buffer
/// (`CellBuffer.symbol`). A plain value without references: a frame of 12,000 cells is filled,
/// copied and compared without retain/release or grapheme breaking.
public struct Cell: Equatable, Sendable {
    public var scalar: Unicode.Scalar
    public var style: Style
    /// 1; 2 on the first cell of a wide character; 0 on the cell that character covers.
    public var width: UInt8
    /// Zero-width scalars follow `scalar` (the buffer holds them).
    public var hasMarks: Bool

    public init(_ scalar: Unicode.Scalar = " ", _ style: Style = Style(), width: UInt8 = 1) {
        self.scalar = scalar; self.style = style; self.width = width; hasMarks = false
    }

    /// The cell's spacing character (without any zero-width marks the buffer holds for it).
    public var character: Character { Character(scalar) }
}

/// The frame every widget draws into (ratatui's `Buffer`). Only the terminal layer copies it to
/// the screen; tests read it back as text.
public struct CellBuffer: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Zero-width scalars (combining marks, ZWJ, variation selectors) after a cell's own, by
    /// cell index: rare (task names), so kept aside rather than in every cell.
    private var marks: [Int: [Unicode.Scalar]] = [:]

    public init(width: Int, height: Int, style: Style = Style()) {
        self.width = max(width, 0); self.height = max(height, 0)
        cells = Array(repeating: Cell(" ", style), count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// What the terminal is given for the cell: its character and any zero-width marks after
    /// it; empty for the right half of a wide character.
    public func symbol(x: Int, y: Int) -> String {
        let i = y * width + x
        let c = cells[i]
        guard c.width > 0 else { return "" }
        var s = String(c.scalar)
        if c.hasMarks, let m = marks[i] { s.unicodeScalars.append(contentsOf: m) }
        return s
    }

    /// The zero-width scalars that follow the character of cell `(x, y)` (usually none).
    public func marks(x: Int, y: Int) -> [Unicode.Scalar] {
        let i = y * width + x
        return cells[i].hasMarks ? marks[i] ?? [] : []
    }

    @inline(__always)
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `string` from (x, y) on one row, clipped to `clip` (and the buffer); returns the
    /// column after the last character written. Wide characters take two columns and are not
    /// split at the clip's edge; zero-width scalars join the character before them; control
    /// characters are drawn as U+FFFD, never sent to the terminal.
    @discardableResult
    public mutating func put(_ string: String, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Int {
        let bounds = (clip ?? area).intersection(area)
        guard y >= bounds.y, y < bounds.maxY else { return x + CellWidth.columns(of: string) }
        let row = y * width
        var cx = x
        var last = -1   // the cell the next zero-width scalar joins
        for scalar in string.unicodeScalars {
            let w = CellWidth.columns(scalar)
            if w == 0 {
                if last >= 0 { addMark(scalar, at: last) }
                continue
            }
            if cx + w > bounds.maxX { break }
            if cx >= bounds.x {
                let shown = CellWidth.isControl(scalar) ? CellWidth.replacement : scalar
                set(row + cx, Cell(shown, style, width: UInt8(w)))
                if w == 2 { set(row + cx + 1, Cell(" ", style, width: 0)) }
                last = row + cx
            } else {
                last = -1
            }
            cx += w
        }
        return cx
    }

    /// Stores `cell` at `i`, first undoing any wide character it cuts in half (the other half
    /// becomes a space) and dropping the marks of what was there.
    @inline(__always)
    private mutating func set(_ i: Int, _ cell: Cell) {
        let old = cells[i]
        if old.width != 1 || old.hasMarks { clearOverlap(i, old) }
        cells[i] = cell
    }

    private mutating func clearOverlap(_ i: Int, _ old: Cell) {
        if old.hasMarks { marks[i] = nil }
        if old.width == 0, i > 0, cells[i - 1].width == 2 { blank(i - 1) }
        if old.width == 2, i + 1 < cells.count, cells[i + 1].width == 0 { blank(i + 1) }
    }

    private mutating func blank(_ i: Int) {
        if cells[i].hasMarks { marks[i] = nil }
        cells[i] = Cell(" ", cells[i].style)
    }

    private mutating func addMark(_ scalar: Unicode.Scalar, at i: Int) {
        cells[i].hasMarks = true
        marks[i, default: []].append(scalar)
    }

    /// Writes `string` into the one-row `area`, padded or cut to its width; `alignRight`
    /// right-aligns it (keeping its end when it is too long).
    public mutating func put(_ string: String, in area: Rect, style: Style, alignRight: Bool = false) {
        guard !area.isEmpty else { return }
        guard alignRight else {
            put(string, x: area.x, y: area.y, style: style, clip: area)
            return
        }
        var text = Substring(string)
        var columns = CellWidth.columns(of: string)
        // Too long: drop from the front until the end fits.
        while columns > area.width, let first = text.unicodeScalars.first {
            columns -= CellWidth.columns(first)
            text = Substring(text.unicodeScalars.dropFirst())
        }
        put(String(text), x: area.maxX - columns, y: area.y, style: style, clip: area)
    }

    /// Restyles cells without changing their characters.
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.y..<r.maxY { for x in r.x..<r.maxX { cells[y * width + x].style = style } }
    }

    public mutating func fill(_ rect: Rect, with character: Unicode.Scalar = " ", style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        let w = CellWidth.columns(character)
        guard w == 1 else {
            // Wide or zero-width fillers go through `put`, which lays them out.
            let line = String(repeating: String(character), count: max(r.width / max(w, 1), 1))
            for y in r.y..<r.maxY { put(line, x: r.x, y: y, style: style, clip: r) }
            return
        }
        let cell = Cell(CellWidth.isControl(character) ? CellWidth.replacement : character, style)
        for y in r.y..<r.maxY {
            let row = y * width
            // Only the edges can cut a wide character in half; marks are dropped with their cells.
            if cells[row + r.x].width == 0 || cells[row + r.maxX - 1].width == 2 || !marks.isEmpty {
                for x in r.x..<r.maxX { set(row + x, cell) }
            } else {
                cells.withUnsafeMutableBufferPointer { p in
                    UnsafeMutableBufferPointer(rebasing: p[(row + r.x)..<(row + r.maxX)]).update(repeating: cell)
                }
            }
        }
    }

    /// A single-line box around `rect`, with an optional title after the top-left corner and a
    /// right-aligned title before the top-right one (`┌ native ───── 1.00× ┐`).
    public mutating func box(_ rect: Rect, title: String = "", rightTitle: String = "",
                             border: Style, titleStyle: Style, rightTitleStyle: Style? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let top = rect.y, bottom = rect.maxY - 1, left = rect.x, right = rect.maxX - 1
        // Through `fill`, which also mends any wide character a border cuts in half.
        fill(Rect(x: left, y: top, width: rect.width, height: 1), with: "─", style: border)
        fill(Rect(x: left, y: bottom, width: rect.width, height: 1), with: "─", style: border)
        fill(Rect(x: left, y: top, width: 1, height: rect.height), with: "│", style: border)
        fill(Rect(x: right, y: top, width: 1, height: rect.height), with: "│", style: border)
        put("┌", x: left, y: top, style: border); put("┐", x: right, y: top, style: border)
        put("└", x: left, y: bottom, style: border); put("┘", x: right, y: bottom, style: border)
        let titleClip = Rect(x: left + 1, y: top, width: rect.width - 2, height: 1)
        var afterTitle = left + 1
        if !title.isEmpty {
            afterTitle = put(" \(title) ", x: left + 1, y: top, style: titleStyle, clip: titleClip)
        }
        if !rightTitle.isEmpty {
            let text = " \(rightTitle) "
            let x = right - CellWidth.columns(of: text)
            if x > afterTitle { put(text, x: x, y: top, style: rightTitleStyle ?? titleStyle, clip: titleClip) }
        }
    }

    /// Row `y` as text (each wide character once), trailing spaces trimmed.
    public func line(_ y: Int) -> String {
        var scalars: [Unicode.Scalar] = []
        var end = 0   // scalars up to the last non-space
        for x in 0..<width {
            let i = y * width + x
            let c = cells[i]
            guard c.width > 0 else { continue }
            scalars.append(c.scalar)
            if c.hasMarks, let m = marks[i] { scalars.append(contentsOf: m) }
            if c.scalar != " " || c.hasMarks { end = scalars.count }
        }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[..<end])
        return String(s)
    }

    /// The whole buffer as text, one line per row with trailing spaces trimmed (ratatui's
    /// `Buffer::with_lines` idiom for tests).
    public var text: String { (0..<height).map(line).joined(separator: "\n") }
}
