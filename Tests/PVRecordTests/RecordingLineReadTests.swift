import Foundation
import Testing
import PVTrace
@testable import PVRecord

@Suite struct RecordingLineReadTests {
    /// The recorder reads `trace` in 1 MiB chunks: lines crossing a chunk boundary, an
    /// unterminated last line and empty lines must all come out whole and in order.
    @Test func linesSurviveChunkBoundaries() throws {
        var lines: [String] = []
        var n = 0
        var size = 0
        while size < 3 << 20 {
            lines.append(n % 97 == 0 ? "" : String(repeating: "x", count: n % 301) + " line \(n)")
            size += lines[n].utf8.count + 1
            n += 1
        }
        let text = lines.joined(separator: "\n")  // no final newline
        let path = NSTemporaryDirectory() + "pvtop-lines-\(getpid()).txt"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        var read: [String] = []
        try forEachLine(ofFile: path) { read.append(String(decoding: $0, as: UTF8.self)) }
        #expect(read.count == lines.count)
        #expect(read == lines)
    }
}
