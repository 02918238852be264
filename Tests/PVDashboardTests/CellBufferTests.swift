import PVDashboard
import Testing

@Suite struct CellBufferTests {
    @Test func textTrimsTrailingSpacesPerLine() {
        var b = CellBuffer(width: 10, height: 2)
        b.put("hi", x: 1, y: 0, style: Style())
        #expect(b.text == " hi\n")
    }

    @Test func putClipsToTheRectangleAndBuffer() {
        var b = CellBuffer(width: 6, height: 1)
        let end = b.put("abcdefgh", x: 2, y: 0, style: Style(), clip: Rect(x: 0, y: 0, width: 5, height: 1))
        #expect(b.text == "  abc")
        #expect(end == 5)
        b.put("xyz", in: Rect(x: 0, y: 0, width: 6, height: 1), style: Style(), alignRight: true)
        #expect(b.text == "  axyz")
    }

    @Test func boxDrawsTitlesInsideTheTopBorder() {
        var b = CellBuffer(width: 24, height: 3)
        b.box(b.area, title: "xen-pv", rightTitle: "1.37×", border: Style(), titleStyle: Style(bold: true))
        #expect(b.text == """
            ┌ xen-pv ─────── 1.37× ┐
            │                      │
            └──────────────────────┘
            """)
        #expect(b[2, 0].style.bold)
        #expect(!b[0, 0].style.bold)
    }

    @Test func rightTitleIsDroppedWhenItWouldOverlap() {
        var b = CellBuffer(width: 14, height: 2)
        b.box(b.area, title: "lguest", rightTitle: "1.09× +9%", border: Style(), titleStyle: Style())
        #expect(b.line(0) == "┌ lguest ────┐")
    }

    @Test func columnsSplitTheWidthExactly() {
        let cols = Rect(x: 0, y: 0, width: 80, height: 5).columns(3)
        #expect(cols.map(\.width) == [27, 27, 26])
        #expect(cols.map(\.x) == [0, 27, 54])
        #expect(Rect(x: 0, y: 0, width: 10, height: 10).centered(width: 4, height: 2) == Rect(x: 3, y: 4, width: 4, height: 2))
    }

    /// Columns each row takes on the terminal: every cell's width (a wide character's right
    /// half counts 0, its left half 2), which must be the buffer's width on every row.
    static func columns(_ b: CellBuffer, row y: Int) -> Int { (0..<b.width).reduce(0) { $0 + Int(b[$1, y].width) } }

    @Test func wideCharactersTakeTwoCellsAndReadBackOnce() {
        var b = CellBuffer(width: 10, height: 1)
        let end = b.put("名前a🚀", x: 1, y: 0, style: Style())
        #expect(end == 8)
        #expect(b.line(0) == " 名前a🚀")
        #expect((0..<10).map { b[$0, 0].width } == [1, 2, 0, 2, 0, 1, 2, 0, 1, 1])
        #expect(b.symbol(x: 1, y: 0) == "名" && b.symbol(x: 2, y: 0) == "")
        #expect(Self.columns(b, row: 0) == 10)
    }

    @Test func aWideCharacterIsNotSplitAtTheClipEdge() {
        var b = CellBuffer(width: 6, height: 1)
        b.fill(b.area, with: ".", style: Style())
        let end = b.put("ab名c", x: 0, y: 0, style: Style(), clip: Rect(x: 0, y: 0, width: 3, height: 1))
        #expect(end == 2)
        #expect(b.line(0) == "ab....")
        // Right-aligned text that is too long keeps its end, whole characters only.
        b.put("名前の", in: Rect(x: 0, y: 0, width: 5, height: 1), style: Style(), alignRight: true)
        #expect(b.line(0) == "a前の.")
        #expect(Self.columns(b, row: 0) == 6)
    }

    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var b = CellBuffer(width: 6, height: 1)
        b.put("名前", x: 0, y: 0, style: Style())
        b.put("x", x: 1, y: 0, style: Style())      // the right half of 名
        #expect(b.line(0) == " x前")
        b.put("y", x: 2, y: 0, style: Style())      // the left half of 前
        #expect(b.line(0) == " xy")
        #expect(Self.columns(b, row: 0) == 6)
        b.put("名前", x: 0, y: 0, style: Style())
        b.box(Rect(x: 1, y: 0, width: 2, height: 2), border: Style(), titleStyle: Style())   // a border cuts both
        #expect(Self.columns(b, row: 0) == 6)
        #expect(b.line(0) == " ┌┐")
    }

    @Test func combiningMarksAndJoinersStayOnTheirCharacter() {
        var b = CellBuffer(width: 8, height: 1)
        // e + COMBINING ACUTE ACCENT is one column; 👩 + ZWJ + 💻 is two wide cells, as
        // ncurses lays it out (wcwidth per code point, zero-width ones on the cell before).
        let end = b.put("e\u{301}x👩\u{200D}💻", x: 0, y: 0, style: Style())
        #expect(end == 6)
        #expect(b.line(0) == "e\u{301}x👩\u{200D}💻")
        #expect(b.symbol(x: 0, y: 0) == "é")
        #expect(b.marks(x: 2, y: 0) == ["\u{200D}"])
        b.put("ab", x: 0, y: 0, style: Style())     // overwriting drops the marks with the cell
        #expect(b.line(0) == "ab👩\u{200D}💻")
        #expect(b.marks(x: 0, y: 0).isEmpty)
    }

    @Test func controlCharactersNeverReachTheTerminal() {
        var b = CellBuffer(width: 8, height: 1)
        b.put("a\nb\u{1B}[2J", x: 0, y: 0, style: Style())
        #expect(b.line(0) == "a\u{FFFD}b\u{FFFD}[2J")
        #expect((0..<b.width).allSatisfy { b[$0, 0].scalar.value >= 0x20 })
    }
}

