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
}
