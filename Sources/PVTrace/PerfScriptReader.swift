#if canImport(Glibc)
import Glibc
#endif

/// Reads `perf script` text of tracepoint events (`perf record -e 'sched:*,raw_syscalls:*,
/// exceptions:*,tlb:*,irq_vectors:*' …` then `perf script`):
///
/// ```
///             perf 25852 [000]  1100.892344:                     sched:sched_switch: prev_comm=perf prev_pid=25852 …
///   swift-frontend 25873 [000]  1100.892586:             exceptions:page_fault_user: address=0x56470c6a0000 …
/// ```
///
/// perf prints each event's fields with the tracepoint's own print format, as tracefs does;
/// only the columns differ (`comm tid` instead of `comm-pid`, `system:event:` instead of
/// `event:`). Each line is rewritten into the tracefs shape and read by `FtraceTextReader`, so
/// the fields are decoded by the same code for every text format, line numbers are the
/// file's own. perf script has no irq-context flags (every event counts as task context) and
/// prints no lost events unless `--show-lost-events` (perf warns about them on stderr).
public final class PerfScriptReader: TraceSource {
    private let text: FtraceTextReader

    public init(stream: ByteStream, name: String, strict: Bool = false) {
        text = FtraceTextReader(stream: PerfScriptLineStream(stream), name: name, strict: strict)
    }

    public convenience init(path: String, strict: Bool = false) throws {
        try self.init(stream: openTraceStream(path: path), name: path == "-" ? "<stdin>" : path, strict: strict)
    }

    public func next() throws -> TraceRecord? { try text.next() }
    public var header: TraceHeader {
        var h = text.header
        h.format = .perfScript
        return h
    }
    public var strings: StringTable { text.strings }
    public var diagnostics: TraceDiagnostics { text.diagnostics }

    /// Whether the first event line of `start` has perf script's columns:
    /// `comm tid [cpu] secs.frac: system:event: …`.
    public static func looksLikePerfScript(_ start: [UInt8]) -> Bool {
        var lineStart = 0
        var checked = 0
        while lineStart < start.count && checked < 20 {
            let end = start[lineStart...].firstIndex(of: 0x0a) ?? start.count
            let line = Array(start[lineStart..<end])
            lineStart = end + 1
            let first = line.firstIndex { $0 != 0x20 && $0 != 0x09 }
            guard let first, line[first] != UInt8(ascii: "#") else { continue }
            checked += 1
            return line.withUnsafeBufferPointer { p in
                PerfScriptLineStream.rewrite(LineBytes(base: p.baseAddress!, count: p.count)) != nil
            }
        }
        return false
    }
}

/// perf script lines → tracefs-shaped lines, one for one (a line that does not have perf's
/// columns passes through unchanged, so the text reader reports it with its line number).
final class PerfScriptLineStream: ByteStream {
    private let source: ByteStream
    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    private var outputStart = 0
    private var atEOF = false
    static let chunk = 256 * 1024

    init(_ source: ByteStream) { self.source = source }

    /// Input bytes held waiting for their line's end: at most a long line plus a chunk.
    var bufferedInputBytes: Int { input.count - inputStart }

    func close() { source.close() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputStart >= output.count {
            output.removeAll(keepingCapacity: true)
            outputStart = 0
            if !(try fill()) { return 0 }
        }
        let n = min(buffer.count, output.count - outputStart)
        output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + outputStart, byteCount: n) }
        outputStart += n
        return n
    }

    /// Rewrites the complete lines of the next input chunk into `output`; false at the end.
    private func fill() throws -> Bool {
        if inputStart > 0 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        if !atEOF {
            var scratch = [UInt8](repeating: 0, count: Self.chunk)
            let n = try scratch.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { atEOF = true } else { input.append(contentsOf: scratch[0..<n]) }
        }
        guard !input.isEmpty else { return false }
        input.withUnsafeBufferPointer { p in
            var start = 0
            while start < p.count {
                guard let nl = memchr(p.baseAddress! + start, 0x0a, p.count - start) else {
                    if atEOF {
                        emit(p, start, p.count, newline: false)
                        start = p.count
                    } else if p.count - start > FtraceTextReader.defaultBufferBytes {
                        // A line longer than the text reader takes is passed on unchanged and
                        // skipped there as a long line: buffering it here would grow for ever.
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: p[start...]))
                        start = p.count
                    }
                    break
                }
                let end = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - p.baseAddress!
                emit(p, start, end, newline: true)
                start = end + 1
            }
            inputStart = start
        }
        if atEOF && inputStart == input.count { input.removeAll(); inputStart = 0 }
        return true
    }

    private func emit(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, newline: Bool) {
        let line = LineBytes(base: p.baseAddress! + start, count: end - start)
        if let r = Self.rewrite(line) {
            if let tid = r.tid {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<(start + r.commEnd)]))
                output.append(0x2d)  // '-'
                output.append(contentsOf: UnsafeBufferPointer(rebasing: p[(start + tid.lowerBound)..<(start + r.nameStart)]))
            } else {
                output.append(contentsOf: Self.unknownThread)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: p[(start + r.cpuColumn)..<(start + r.nameStart)]))
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: p[(start + r.eventStart)..<end]))
        } else {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<end]))
        }
        if newline { output.append(0x0a) }
    }

    /// perf prints a sample whose thread it no longer knows as `:-1    -1`. The kernel model
    /// does not use the logging task's pid; only `--process` does, so the event keeps its
    /// place under a pid no task can have: PID_MAX_LIMIT + 1 (4 * 1024 * 1024 + 1,
    /// include/linux/threads.h).
    static let unknownThread = Array("<...>-4194305 ".utf8)

    /// Offsets in a perf script line: the comm ends at `commEnd`; `tid` is the thread id (nil
    /// for perf's unknown thread `:-1 -1`); the CPU column starts at `cpuColumn`; the event name
    /// at `nameStart`, its `system:` prefix ends at `eventStart`. `pid/tid` (`-F +pid`) keeps the tid.
    static func rewrite(_ b: LineBytes) -> (commEnd: Int, tid: Range<Int>?, cpuColumn: Int, nameStart: Int, eventStart: Int)? {
        // The CPU column `[NNN]`, the first bracketed number after `comm tid `.
        var open = -1
        var i = 0
        while i < b.count {
            if b[i] == 0x5b && b[i - 1] == 0x20 {
                var q = i + 1
                if b.decimal(&q) != nil, b[q] == 0x5d, b[q + 1] == 0x20 { open = i; break }
            }
            i += 1
        }
        guard open > 0 else { return nil }
        var j = open - 1
        while j > 0 && b[j] == 0x20 { j -= 1 }
        let tidEnd = j + 1
        while j >= 0 && LineBytes.isDigit(b[j]) { j -= 1 }
        guard j < tidEnd - 1 else { return nil }
        var tid: Range<Int>? = (j + 1)..<tidEnd
        if b[j] == 0x2d && b[j - 1] == 0x20 && tidEnd - j == 2 && b[j + 1] == 0x31 {
            tid = nil  // `-1`: perf's unknown thread
            j -= 1
        } else if b[j] == 0x2f {  // `pid/tid`
            j -= 1
            while j >= 0 && LineBytes.isDigit(b[j]) { j -= 1 }
        }
        // A space before the tid (tracefs has `comm-pid`), and a comm before that.
        guard j > 0, b[j] == 0x20 else { return nil }
        while j > 0 && b[j] == 0x20 { j -= 1 }
        let commEnd = j + 1
        guard commEnd > 0, b[commEnd - 1] != 0x20 else { return nil }
        // After the CPU: the timestamp and `:`, then `system:event:`.
        var k = open + 1
        while k < b.count && b[k] != 0x5d { k += 1 }
        k += 1
        b.skipSpaces(&k)
        guard LineBytes.isDigit(b[k]) else { return nil }
        while k < b.count && (LineBytes.isDigit(b[k]) || b[k] == 0x2e) { k += 1 }
        guard b[k] == 0x3a else { return nil }
        k += 1
        b.skipSpaces(&k)
        let nameStart = k
        while k < b.count && b[k] != 0x3a && b[k] != 0x20 { k += 1 }
        guard b[k] == 0x3a, k > nameStart, LineBytes.isIdentifier(b[k + 1]) else { return nil }
        return (commEnd, tid, open, nameStart, k + 1)
    }
}
