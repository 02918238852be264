import Glibc
@testable import PVDashboard
import Testing

/// The buffer must lay characters out where ncurses will put them, and ncurses asks the C
/// library's wcwidth(3): the two are compared code point by code point over the blocks task
/// names and file names use, in C.UTF-8 (set for this thread only).
@Suite struct CellWidthTests {
    static let blocks: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0xA0...0x2FF,                   // ASCII, Latin-1, Latin Extended
        0x300...0x36F,                               // combining diacritics (width 0)
        0x370...0x52F, 0x5D0...0x5EA, 0x600...0x8FF, // Greek, Cyrillic, Hebrew, Arabic, Syriac
        0x1100...0x11FF,                             // Hangul Jamo (wide leads, zero-width vowels)
        0x2000...0x206F, 0x2190...0x23FF,            // punctuation, arrows, technical (⏸ ⌚)
        0x2500...0x27BF,                             // box drawing, blocks, shapes, dingbats (✓ ✗)
        0x2E80...0x2FDF, 0x3000...0x30FF,            // CJK radicals, punctuation, kana
        0x4E00...0x4FFF, 0x9F00...0x9FFF,            // CJK ideographs
        0xAC00...0xAD00, 0xFE00...0xFE0F,            // Hangul syllables, variation selectors
        0xFF00...0xFFEE,                             // half- and fullwidth forms
        0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F900...0x1F9FF,   // emoji
        0x20000...0x200FF,                           // CJK extension B
    ]

    /// glibc declares wcwidth only under _XOPEN_SOURCE, which Swift's Glibc module leaves out.
    typealias WCWidth = @convention(c) (wchar_t) -> Int32

    @Test func widthsAreTheCLibrarysWcwidth() throws {
        let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), "wcwidth"))
        let wcwidth = unsafeBitCast(symbol, to: WCWidth.self)
        guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else {
            Issue.record("no C.UTF-8 locale on this machine"); return
        }
        let previous = uselocale(utf8)
        defer { uselocale(previous); freelocale(utf8) }
        var compared = 0, mismatches: [String] = []
        for block in Self.blocks {
            for v in block {
                guard let s = Unicode.Scalar(v) else { continue }
                let c = wcwidth(wchar_t(bitPattern: v))
                guard c >= 0 else { continue }   // unassigned in the C library's tables
                compared += 1
                if Int(c) != CellWidth.columns(s) { mismatches.append(String(v, radix: 16) + ": libc \(c), ours \(CellWidth.columns(s))") }
            }
        }
        #expect(compared > 6_000)
        #expect(mismatches.isEmpty, "\(mismatches.count) differ: \(mismatches.prefix(20).joined(separator: "; "))")
    }

    @Test func controlCharactersTakeOneColumnAsTheirReplacement() {
        for v: UInt32 in [0, 7, 10, 13, 27, 0x7F, 0x85, 0x9B] {
            let s = Unicode.Scalar(v)!
            #expect(CellWidth.isControl(s))
            #expect(CellWidth.columns(s) == 1)
        }
        #expect(CellWidth.columns(CellWidth.replacement) == 1)
        #expect(CellWidth.columns(of: "ab名🚀e\u{301}") == 7)
    }
}
