/// Columns a code point takes on the terminal, the way ncurses places it: glibc's wcwidth(3) in a
/// UTF-8 locale, which follows Markus Kuhn's wcwidth.c (2007) and Unicode's East Asian Width
/// (UAX #11) and emoji presentation (UTS #51, width 2 since Unicode 9). ncurses keeps one
/// spacing character per cell and hangs zero-width ones (combining marks, ZWJ, variation
/// selectors) on the cell before, so the buffer does the same. A test holds this equal to the
/// C library's wcwidth for the blocks a trace's task names and file names use.
enum CellWidth {
    /// What a control character (which would move the terminal's cursor) is drawn as.
    static let replacement: Unicode.Scalar = "\u{FFFD}"

    /// 0, 1 or 2; control characters are 1 (they are drawn as `replacement`).
    @inline(__always)
    static func columns(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        // Fast paths: ASCII and Latin-1 text, box drawing, block elements and geometric shapes
        // up to U+25FC (U+25FD/25FE are emoji): every border, bar and sparkline cell.
        if v < 0x300 || (v >= 0x2500 && v <= 0x25FC) { return 1 }
        return slowColumns(s)
    }

    static func slowColumns(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return 0
        case .format where v != 0x00AD && !isPrependedConcatenationMark(v): return 0
        default: break
        }
        if v >= 0x1160 && v <= 0x11FF { return 0 }   // Hangul Jamo medial vowels and final consonants
        if v == 0x200B { return 0 }
        if isWide(v) || s.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Format characters that are drawn, above the digits they span (Unicode PropList.txt
    /// Prepended_Concatenation_Mark: the Arabic number sign U+0600 and its kin).
    static func isPrependedConcatenationMark(_ v: UInt32) -> Bool {
        (v >= 0x0600 && v <= 0x0605) || v == 0x06DD || v == 0x070F || v == 0x0890 || v == 0x0891 || v == 0x08E2
            || v == 0x110BD || v == 0x110CD
    }

    /// East Asian Wide and Fullwidth ranges (Kuhn's mk_wcwidth, extended with the Unicode 9–14
    /// ideographic blocks glibc also counts as wide).
    static func isWide(_ v: UInt32) -> Bool {
        v >= 0x1100 && (v <= 0x115F
            || v == 0x2329 || v == 0x232A
            || (v >= 0x2E80 && v <= 0xA4CF && v != 0x303F)
            || (v >= 0xA960 && v <= 0xA97F)
            || (v >= 0xAC00 && v <= 0xD7A3)
            || (v >= 0xF900 && v <= 0xFAFF)
            || (v >= 0xFE10 && v <= 0xFE19)
            || (v >= 0xFE30 && v <= 0xFE6F)
            || (v >= 0xFF00 && v <= 0xFF60)
            || (v >= 0xFFE0 && v <= 0xFFE6)
            || (v >= 0x16FE0 && v <= 0x16FE4)
            || (v >= 0x17000 && v <= 0x18CFF)
            || (v >= 0x1B000 && v <= 0x1B2FF)
            || (v >= 0x1F200 && v <= 0x1F2FF && v != 0x1F203 && !(v >= 0x1F23C && v <= 0x1F23F))
            || (v >= 0x20000 && v <= 0x2FFFD)
            || (v >= 0x30000 && v <= 0x3FFFD))
    }

    /// Total columns of `string` as `CellBuffer.put` lays it out.
    static func columns(of string: String) -> Int {
        var n = 0
        for s in string.unicodeScalars { n += columns(s) }
        return n
    }

    @inline(__always)
    static func isControl(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || (s.value >= 0x7F && s.value < 0xA0) }
}
