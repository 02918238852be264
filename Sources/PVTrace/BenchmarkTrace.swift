import Foundation

/// A long trace for the benchmark suite, made from a recorded one: the recorded event lines
/// repeated, each copy re-timed to start 1 ms after the previous one ends, so the result is a
/// valid trace of any size with the recorded mix of events. The header is kept once; its
/// counts (`entries-in-buffer/entries-written`, provenance `events-total`, `count.*`,
/// `traced-ms`) are rewritten to what the file really holds, so a reader's truncation check
/// sees a whole file. Deterministic: the same source and size give the same bytes.
public enum BenchmarkTrace {
    public struct Summary: Sendable, Equatable {
        public var copies: Int
        public var eventLines: UInt64
        public var bytes: UInt64
        public init(copies: Int, eventLines: UInt64, bytes: UInt64) {
            self.copies = copies; self.eventLines = eventLines; self.bytes = bytes
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noEvents(String)
        case cannotWrite(String, String)
        public var description: String {
            switch self {
            case .noEvents(let path): return "\(path): no timestamped event lines to repeat"
            case .cannotWrite(let path, let why): return "\(path): cannot write: \(why)"
            }
        }
    }

    /// Writes at least `targetBytes` (whole copies) of `sourcePath` (plain, .gz or .xz) to `path`.
    public static func write(from sourcePath: String, to path: String, targetBytes: UInt64) throws -> Summary {
        let source = try readAll(sourcePath)
        let lines = splitLines(source)
        var header: [ArraySlice<UInt8>] = []
        var body: [(line: ArraySlice<UInt8>, stamp: Range<Int>, microseconds: UInt64)] = []
        for line in lines {
            if body.isEmpty, line.first == UInt8(ascii: "#") { header.append(line); continue }
            guard let (range, us) = timestamp(in: line) else { continue }
            body.append((line, range, us))
        }
        guard let first = body.first?.microseconds, let lastLine = body.last else { throw Failure.noEvents(sourcePath) }
        let span = lastLine.microseconds &- min(first, lastLine.microseconds)
        let period = span + 1_000
        let bodyBytes = body.reduce(0) { $0 + UInt64($1.line.count) + 1 }
        let copies = Int(max(1, (targetBytes + bodyBytes - 1) / max(bodyBytes, 1)))
        let eventLines = UInt64(body.count) * UInt64(copies)

        guard let file = fopen(path, "w") else {
            throw Failure.cannotWrite(path, String(cString: strerror(errno)))
        }
        var out = [UInt8]()
        out.reserveCapacity(1 << 22)
        var written: UInt64 = 0
        func flush() throws {
            let n = out.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            guard n == out.count else { throw Failure.cannotWrite(path, String(cString: strerror(errno))) }
            written += UInt64(n)
            out.removeAll(keepingCapacity: true)
        }
        do {
            for line in header {
                out += rewriteHeader(line, copies: copies, eventLines: eventLines,
                                     tracedMilliseconds: Double(period) * Double(copies) / 1000)
                out.append(UInt8(ascii: "\n"))
            }
            out += Array("# pvtop-provenance: benchmark=\(copies) copies of \((sourcePath as NSString).lastPathComponent), each re-timed by \(period) us\n".utf8)
            for copy in 0..<UInt64(copies) {
                let shift = copy * period
                for entry in body {
                    out += entry.line[entry.line.startIndex..<entry.stamp.lowerBound]
                    appendTimestamp(entry.microseconds + shift, to: &out)
                    out += entry.line[entry.stamp.upperBound...]
                    out.append(UInt8(ascii: "\n"))
                    if out.count >= 1 << 22 { try flush() }
                }
            }
            try flush()
        } catch {
            fclose(file)
            unlink(path)
            throw error
        }
        guard fclose(file) == 0 else { unlink(path); throw Failure.cannotWrite(path, String(cString: strerror(errno))) }
        return Summary(copies: copies, eventLines: eventLines, bytes: written)
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        let stream = try openTraceStream(path: path)
        defer { stream.close() }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    private static func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    }

    /// The `SECONDS.MICROS:` token after the `[CPU]` column: its byte range and value in µs.
    static func timestamp(in line: ArraySlice<UInt8>) -> (Range<Int>, UInt64)? {
        guard let bracket = line.firstIndex(of: UInt8(ascii: "]")) else { return nil }
        var i = bracket + 1
        while i < line.endIndex {
            if line[i] == UInt8(ascii: ":"), i > bracket + 1, isDigit(line[i - 1]) {
                var start = i
                while start > bracket + 1, line[start - 1] != UInt8(ascii: " ") { start -= 1 }
                let token = line[start..<i]
                guard let dot = token.firstIndex(of: UInt8(ascii: ".")), token.endIndex - dot == 7,
                      let seconds = number(token[start..<dot]), let micros = number(token[(dot + 1)...])
                else { return nil }
                return (start..<i, seconds * 1_000_000 + micros)
            }
            i += 1
        }
        return nil
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var v: UInt64 = 0
        for b in digits {
            guard isDigit(b) else { return nil }
            v = v * 10 + UInt64(b - 0x30)
        }
        return v
    }

    private static func appendTimestamp(_ microseconds: UInt64, to out: inout [UInt8]) {
        // The line's own padding stays in front of the token: print the digits alone.
        out += Array(String(microseconds / 1_000_000).utf8)
        out.append(UInt8(ascii: "."))
        var frac = microseconds % 1_000_000
        var digits = [UInt8](repeating: 0x30, count: 6)
        for k in stride(from: 5, through: 0, by: -1) { digits[k] = UInt8(0x30 + frac % 10); frac /= 10 }
        out += digits
    }

    private static func rewriteHeader(_ line: ArraySlice<UInt8>, copies: Int, eventLines: UInt64,
                                      tracedMilliseconds: Double) -> [UInt8] {
        let text = String(decoding: line, as: UTF8.self)
        let provenance = "# pvtop-provenance: "
        if text.hasPrefix(provenance) {
            let pair = text.dropFirst(provenance.count)
            guard let eq = pair.firstIndex(of: "=") else { return Array(line) }
            let key = pair[..<eq], value = pair[pair.index(after: eq)...]
            if key == "events-total" { return Array("\(provenance)events-total=\(eventLines)".utf8) }
            if key == "traced-ms" { return Array("\(provenance)traced-ms=\(String(format: "%.1f", tracedMilliseconds))".utf8) }
            if key.hasPrefix("count."), let n = UInt64(value) {
                return Array("\(provenance)\(key)=\(n * UInt64(copies))".utf8)
            }
            return Array(line)
        }
        if let r = text.range(of: "entries-in-buffer/entries-written: ") {
            let rest = text[r.upperBound...]
            let tail = rest.firstIndex(where: { $0 == " " || $0 == "\t" }).map { String(rest[$0...]) } ?? ""
            return Array((String(text[..<r.upperBound]) + "\(eventLines)/\(eventLines)" + tail).utf8)
        }
        return Array(line)
    }
}
