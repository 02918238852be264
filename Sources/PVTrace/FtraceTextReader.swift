#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming reader of ftrace text: tracefs `trace` (with or without the TGID column),
/// `trace_pipe`, and `trace-cmd report` (plain, `-l`, `-t`, `-R`, with an `instance:` prefix
/// and its `CPU:n [k EVENTS DROPPED]` lines).
///
/// Lines are parsed in place in one fixed buffer, so memory does not grow with the trace;
/// strings are built only for a new task name, a new event name, a marker or a warning.
///
/// ```swift
/// let reader = try FtraceTextReader(path: "compile.trace.xz")   // or `-` for stdin
/// while let record = try reader.next() {
///     switch record {
///     case .event(let e): …                 // reader.strings[e.commID] is the task name
///     case .lost(let cpu, let count, _): …  // cpu == TraceRecord.unknownCPU: header gap
///     }
/// }
/// reader.header.cpuCount; reader.diagnostics.firstWarnings
/// ```
/// A `.lost` record for the header's `entries-in-buffer < entries-written` gap comes before
/// the first event. Malformed lines are skipped with a warning (`strict`: thrown); input with
/// no usable event throws `TraceError`.
public final class FtraceTextReader: TraceSource {
    public let name: String
    public let strict: Bool
    public var header: TraceHeader {
        var h = headerFields
        h.cpuCount = max(h.cpuCount, state.pointee.cpusSeen)
        return h
    }
    /// What the header lines said; `cpuCount` is completed from the CPUs seen.
    private var headerFields = TraceHeader()
    public let strings = StringTable()

    public var diagnostics: TraceDiagnostics {
        var d = warnings
        d.lostEvents = lostEvents
        d.linesRead = lineNumber
        let names = state.pointee.names
        for i in names.entries.indices where names.decoders[i] == .other && names.lines[i] > 0 {
            d.otherEvents[names.entries[i].name, default: 0] += names.lines[i]
        }
        return d
    }

    /// Events decoded so far (not counting `.lost` records).
    public private(set) var eventCount: UInt64 {
        get { state.pointee.eventCount } set { state.pointee.eventCount = newValue }
    }
    /// Bytes consumed from the (decompressed) stream.
    public var bytesRead: UInt64 { state.pointee.bytesRead }

    static let defaultBufferBytes = 256 * 1024
    /// Warnings kept for display; the count goes on.
    public static let keptWarnings = 20
    /// Without one parseable event among this many non-comment lines the input is not a trace.
    static let maxLinesBeforeFirstEvent = 1000
    /// CONFIG_NR_CPUS is at most 8192 (arch/x86/Kconfig): a larger CPU number is garbage.
    static let maxCPU = 8191
    /// Distinct event names kept (each with its decoder and counts); further names count under
    /// `EventNameTable.overflowName`. A recorded trace has a few dozen (the bundled ones 40 at most).
    static let maxEventNames = 4096

    private let stream: ByteStream
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int

    /// The per-line mutable state sits behind a `let` pointer: Swift checks exclusive access to
    /// a class's stored `var`s at run time on every access (about 12% of the read time in a
    /// profile), not to a pointee. Safe because the reader is used from one thread at a time
    /// (it is not Sendable) and no access to the state overlaps another.
    private struct State {
        var start = 0
        var end = 0
        var lineNumber: UInt64 = 0
        var eventCount: UInt64 = 0
        var bytesRead: UInt64 = 0
        var atEOF = false
        var skippingLongLine = false
        /// Highest CPU number seen + 1.
        var cpusSeen = 0
        var sawTGID = false
        var names = EventNameTable(capacity: FtraceTextReader.maxEventNames)
        var comms = CommCache()
        var timeline: TraceTimeline
        /// Lines that should be trace entries (events, parsed or not), for the header's count.
        var entryLines: UInt64 = 0
        var sniffed = false
        var lastLineUnterminated = false
        var reportedMissingEntries = false
    }
    private let state: UnsafeMutablePointer<State>

    @inline(__always) private var start: Int {
        get { state.pointee.start } set { state.pointee.start = newValue }
    }
    @inline(__always) private var end: Int {
        get { state.pointee.end } set { state.pointee.end = newValue }
    }
    @inline(__always) private var lineNumber: UInt64 {
        get { state.pointee.lineNumber } set { state.pointee.lineNumber = newValue }
    }
    @inline(__always) private var atEOF: Bool {
        get { state.pointee.atEOF } set { state.pointee.atEOF = newValue }
    }
    @inline(__always) private var skippingLongLine: Bool {
        get { state.pointee.skippingLongLine } set { state.pointee.skippingLongLine = newValue }
    }

    private var warnings = TraceDiagnostics()
    private var lostEvents: UInt64 = 0
    private var linesBeforeFirstEvent = 0
    private var quietLinesBeforeFirstEvent = 0
    private var sawHeader = false
    /// The trace's own CPU count (`#P:`, trace-cmd's `cpus=`, provenance `cpus=`); 0 = not said.
    /// A CPU number at or above it is skipped with a warning rather than made a new CPU range
    /// (one corrupt `[8191]` made a 2-CPU trace 8,192 CPUs). Caveat: `#P:` is num_online_cpus()
    /// when `trace` was read (kernel/trace/trace.c, print_event_info), so a machine with CPUs
    /// offline (a sparse online set, `nosmt`) can log higher CPU numbers; the warning says so.
    private var declaredCPUs = 0
    private var sawTraceCmdPreamble = false

    /// - Parameter maxGapNanoseconds: a jump of the trace clock beyond this is cut out and
    ///   reported (`TraceTimeline`).
    public convenience init(path: String, strict: Bool = false,
                            maxGapNanoseconds: UInt64 = TraceTimeline.defaultMaxJumpNanoseconds) throws {
        let stream = try openTraceStream(path: path)
        self.init(stream: stream, name: path == "-" ? "<stdin>" : path, strict: strict,
                  bufferBytes: Self.defaultBufferBytes, maxGapNanoseconds: maxGapNanoseconds)
    }

    public convenience init(stream: ByteStream, name: String, strict: Bool = false,
                            maxGapNanoseconds: UInt64 = TraceTimeline.defaultMaxJumpNanoseconds) {
        self.init(stream: stream, name: name, strict: strict, bufferBytes: Self.defaultBufferBytes,
                  maxGapNanoseconds: maxGapNanoseconds)
    }

    /// `bufferBytes` is the longest line the reader accepts; tests make it tiny to exercise
    /// lines straddling reads.
    init(stream: ByteStream, name: String, strict: Bool, bufferBytes: Int,
         maxGapNanoseconds: UInt64 = TraceTimeline.defaultMaxJumpNanoseconds) {
        self.stream = stream
        self.name = name
        self.strict = strict
        capacity = max(bufferBytes, 16)
        buffer = .allocate(capacity: capacity)
        state = .allocate(capacity: 1)
        state.initialize(to: State(timeline: TraceTimeline(maxJumpNanoseconds: maxGapNanoseconds)))
    }

    deinit {
        buffer.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        stream.close()
    }

    public func next() throws -> TraceRecord? {
        if !state.pointee.sniffed { try sniff() }
        while let line = try nextLine() {
            if let record = try parse(line) { return record }
        }
        try checkUsableAtEnd()
        try checkCompleteAtEnd()
        return nil
    }

    /// Reads the first bytes and rejects binary input before any line is taken from it: an
    /// endless source (/dev/zero, a FIFO) is refused within 64 KiB instead of read for ever
    /// as one line. Reading stops at the first line break, so a live `trace_pipe` starts at once.
    private func sniff() throws {
        state.pointee.sniffed = true
        let want = min(capacity, TextInputCheck.lineBreakWindowBytes)
        while end < want && !atEOF {
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: want - end))
            if n == 0 { atEOF = true } else { end += n; state.pointee.bytesRead &+= UInt64(n) }
            // trace-cmd's trace.dat starts with 0x17 0x08 0x44 "tracing" (trace-cmd.dat(5)).
            if end >= 10 && buffer[0] == 0x17 && buffer[1] == 0x08 && buffer[2] == 0x44
                && memcmp(buffer + 3, "tracing", 7) == 0 {
                throw TraceError(file: name, line: 0, message: "this is a binary trace-cmd trace.dat; convert it with `trace-cmd report` first")
            }
            let prefix = UnsafeRawBufferPointer(start: buffer, count: end)
            if end >= want || atEOF || memchr(buffer, 0, min(end, TextInputCheck.nulWindowBytes)) != nil {
                if let reason = TextInputCheck.rejectionReason(prefix) { throw TraceError(file: name, line: 0, message: reason) }
            }
            if memchr(buffer, 0x0a, end) != nil { break }
        }
    }

    /// The next line without its newline (valid until the next call), or nil at the end.
    private func nextLine() throws -> LineBytes? {
        while true {
            if start < end {
                if let nl = memchr(buffer + start, 0x0a, end - start) {
                    let lineEnd = UnsafeMutablePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - buffer
                    let line = lineAt(start, lineEnd)
                    start = lineEnd + 1
                    if skippingLongLine { skippingLongLine = false; continue }
                    lineNumber += 1
                    return line
                }
                if atEOF {  // last line without a newline
                    let line = lineAt(start, end)
                    start = end
                    if skippingLongLine { skippingLongLine = false; continue }
                    lineNumber += 1
                    state.pointee.lastLineUnterminated = true
                    return line
                }
            } else if atEOF {
                return nil
            }
            if start > 0 {
                if end > start { memmove(buffer, buffer + start, end - start) }
                end -= start
                start = 0
            }
            if end == capacity {
                // One line fills the whole buffer: drop what we have and the rest up to its newline.
                if !skippingLongLine {
                    lineNumber += 1
                    state.pointee.entryLines &+= 1
                    try warn(.longLine, "line longer than \(capacity) bytes skipped")
                    try countLineBeforeFirstEvent()
                }
                skippingLongLine = true
                end = 0
            }
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if n == 0 { atEOF = true } else { end += n; state.pointee.bytesRead &+= UInt64(n) }
        }
    }

    @inline(__always) private func lineAt(_ from: Int, _ to: Int) -> LineBytes {
        var to = to
        if to > from && buffer[to - 1] == 0x0d { to -= 1 }  // CRLF files
        return LineBytes(base: UnsafePointer(buffer + from), count: to - from)
    }

    // MARK: errors

    private func warn(_ kind: TraceWarningKind, _ message: String, line: UInt64? = nil) throws {
        let at = line ?? lineNumber
        if strict { throw TraceError(file: name, line: at, message: message) }
        warnings.record(TraceWarning(file: name, line: at, message: message, kind: kind), keep: Self.keptWarnings)
    }

    private func unusable(_ message: String) -> TraceError {
        TraceError(file: name, line: lineNumber, message: message)
    }

    /// A file cut short: fewer entries than the header's `entries-in-buffer`, or a last line
    /// without its newline (ftrace ends every line with one).
    private func checkCompleteAtEnd() throws {
        if state.pointee.lastLineUnterminated {
            state.pointee.lastLineUnterminated = false
            try warn(.truncated, "the file ends mid-line (no newline after the last line): truncated?")
        }
        if let announced = headerFields.entriesInBuffer, state.pointee.entryLines < announced,
           !state.pointee.reportedMissingEntries {
            let arrived = state.pointee.entryLines
            state.pointee.reportedMissingEntries = true  // once, even if next() is called again
            try warn(.truncated, "the header announces \(announced) entries but \(arrived) arrived (\(announced - arrived) missing): truncated file?",
                     line: 0)
        }
    }

    private func countLineBeforeFirstEvent() throws {
        guard eventCount == 0 else { return }
        linesBeforeFirstEvent += 1
        if linesBeforeFirstEvent >= Self.maxLinesBeforeFirstEvent {
            throw unusable("no parseable ftrace event in the first \(Self.maxLinesBeforeFirstEvent) lines")
        }
    }

    /// Blank and comment lines before the first event: a header has tens (perf script's ~50);
    /// a file of nothing else (a decompressed run of newlines) is refused instead of read to its end.
    static let maxQuietLinesBeforeFirstEvent = 100_000

    private func countQuietLineBeforeFirstEvent() throws {
        quietLinesBeforeFirstEvent += 1
        if quietLinesBeforeFirstEvent >= Self.maxQuietLinesBeforeFirstEvent {
            throw unusable("no ftrace event in the first \(Self.maxQuietLinesBeforeFirstEvent) lines (only blank or # lines)")
        }
    }

    private func checkUsableAtEnd() throws {
        guard eventCount == 0 else { return }
        if lineNumber == 0 { throw TraceError(file: name, line: 0, message: "empty trace (no lines)") }
        // A header with no events is an empty recording; anything else without one event
        // (prose, blank lines, one endless binary line) is not a trace.
        if !sawHeader && !sawTraceCmdPreamble {
            throw TraceError(file: name, line: 0, message: "no ftrace event lines found (not an ftrace text trace?)")
        }
    }

    // MARK: line dispatch

    private func parse(_ b: LineBytes) throws -> TraceRecord? {
        var k = 0
        b.skipSpaces(&k)
        if k >= b.count || b[k] == 0x23 {  // blank, or '#'
            if eventCount == 0 { try countQuietLineBeforeFirstEvent() }
            return k >= b.count ? nil : try parseComment(b, from: k)
        }
        let c = b[k]
        if c == 0x3d && b[k + 1] == 0x3e { return nil }  // ` => frame` of a `<stack trace>` event
        if eventCount == 0 { try checkNotBinary(b) }
        if c == 0x43 && b.hasPrefix("CPU", at: k) {  // 'C'
            if let record = try parseCPULine(b, from: k) { return record }
        } else if let j = Self.afterInstancePrefix(b, from: k), b.hasPrefix("CPU:", at: j) {
            // trace-cmd report of an instance: `pvuxtc: CPU:1 [31707 EVENTS DROPPED]`.
            if let record = try parseCPULine(b, from: j) { return record }
        }
        if eventCount == 0 && parseTraceCmdPreamble(b, from: k) { return nil }
        state.pointee.entryLines &+= 1
        if let event = try parseEvent(b, from: k) {
            eventCount += 1
            return .event(event)
        }
        try countLineBeforeFirstEvent()
        return nil
    }

    private func checkNotBinary(_ b: LineBytes) throws {
        if memchr(b.base, 0, b.count) != nil {
            throw unusable("binary data, not ftrace text")
        }
    }

    /// `# tracer: nop`, `# entries-in-buffer/entries-written: 18552/18552   #P:2`,
    /// `# pvtop-provenance: key=value`, the TGID column header, and ftrace's
    /// `##### CPU 1 buffer started ####`. Other comments are ignored.
    private func parseComment(_ b: LineBytes, from k0: Int) throws -> TraceRecord? {
        var k = k0 + 1
        b.skipSpaces(&k)
        if b.hasPrefix("tracer:", at: k) {
            var v = k + 7
            b.skipSpaces(&v)
            headerFields.tracer = b.string(v..<b.count)
            sawHeader = true
        } else if b.hasPrefix("entries-in-buffer/entries-written:", at: k) {
            sawHeader = true
            var v = k + 34
            b.skipSpaces(&v)
            let inBuffer = b.decimal(&v)
            var w = v + 1
            guard let inBuffer, b[v] == 0x2f, let written = b.decimal(&w) else {
                try warn(.malformed, "cannot parse entries-in-buffer/entries-written header")
                return nil
            }
            v = w
            headerFields.entriesInBuffer = inBuffer
            headerFields.entriesWritten = written
            if let p = b.find("#P:", from: v) {
                var q = p + 3
                if let cpus = b.decimal(&q), cpus > 0, cpus <= UInt64(Self.maxCPU + 1) {
                    headerFields.cpuCount = max(headerFields.cpuCount, Int(cpus))
                    declaredCPUs = max(declaredCPUs, Int(cpus))
                } else {
                    try warn(.malformed, "#P: is not a CPU count from 1 to \(Self.maxCPU + 1): ignored")
                }
            }
            // Only sign of overwritten events in `trace` (Documentation/trace/ftrace.rst, "entries-in-buffer/entries-written"): no per-CPU split.
            if written > inBuffer {
                lostEvents &+= written - inBuffer
                return .lost(cpu: TraceRecord.unknownCPU, count: written - inBuffer, line: lineNumber)
            }
        } else if b.hasPrefix("pvtop-provenance:", at: k) {
            var v = k + 17
            b.skipSpaces(&v)
            let text = b.string(v..<b.count)
            if let eq = text.firstIndex(of: "=") {
                let key = String(text[..<eq]), value = String(text[text.index(after: eq)...])
                headerFields.provenance.append((key: key, value: value))
                // The recording machine's CPU count (RecordingProvenance): CPU numbers beyond it are garbage.
                if key == "cpus" {
                    if let n = Int(value), n > 0, n <= Self.maxCPU + 1 {
                        declaredCPUs = max(declaredCPUs, n)
                    } else {
                        try warn(.malformed, "pvtop-provenance cpus=\(value) is not a CPU count from 1 to \(Self.maxCPU + 1): ignored")
                    }
                }
            } else {
                try warn(.malformed, "pvtop-provenance line without key=value")
            }
        } else if b.hasPrefix("TASK-PID", at: k) {
            sawHeader = true
            if b.find("TGID", from: k) != nil { headerFields.hasTGIDColumn = true }
        }
        return nil
    }

    /// `CPU:0 [LOST 246 EVENTS]` (kernel trace_pipe), `CPU:0 [246 EVENTS DROPPED]` /
    /// `CPU:0 [EVENTS DROPPED]` (trace-cmd report).
    private func parseCPULine(_ b: LineBytes, from k0: Int) throws -> TraceRecord? {
        var k = k0 + 3
        if b[k] == 0x3a {
            k += 1
            guard let cpu = b.decimal(&k), cpu <= UInt64(Self.maxCPU) else { return nil }
            b.skipSpaces(&k)
            guard b[k] == 0x5b else { return nil }  // '['
            k += 1
            var count: UInt64 = 0
            if b.hasPrefix("LOST ", at: k) {
                k += 5
                guard let n = b.decimal(&k), b.hasPrefix(" EVENTS]", at: k) else { return nil }
                count = n
            } else if let n = b.decimal(&k) {
                guard b.hasPrefix(" EVENTS DROPPED]", at: k) else { return nil }
                count = n
            } else if !b.hasPrefix("EVENTS DROPPED]", at: k) {
                return nil
            }
            if declaredCPUs > 0 && cpu >= UInt64(declaredCPUs) {
                try warn(.cpuOutOfRange, "CPU \(cpu) in a lost-events line, but the trace has \(declaredCPUs) CPUs: line skipped")
                return nil
            }
            lostEvents &+= count
            noteCPU(Int(cpu))
            return .lost(cpu: UInt16(cpu), count: count, line: lineNumber)
        }
        return nil
    }

    /// Where the line goes on after trace-cmd report's buffer-name prefix (`name: `, printed
    /// before each line of an instance buffer, trace-cmd tracecmd/trace-read.c
    /// print_handle_file), or nil when the first word does not end in a colon.
    static func afterInstancePrefix(_ b: LineBytes, from k0: Int) -> Int? {
        var k = k0
        while k < b.count && b[k] != 0x20 && b[k] != 0x3a { k += 1 }
        guard k > k0, b[k] == 0x3a, b[k + 1] == 0x20 else { return nil }
        k += 1
        b.skipSpaces(&k)
        return k
    }

    /// trace-cmd report's first lines: `version = 6`, `cpus=2`, `CPU 0 is empty`.
    private func parseTraceCmdPreamble(_ b: LineBytes, from k0: Int) -> Bool {
        if b.hasPrefix("cpus=", at: k0) {
            var k = k0 + 5
            if let n = b.decimal(&k), k == b.count, n > 0, n <= UInt64(Self.maxCPU + 1) {
                headerFields.cpuCount = max(headerFields.cpuCount, Int(n))
                declaredCPUs = max(declaredCPUs, Int(n))
                sawTraceCmdPreamble = true
                headerFields.format = .traceCmdReport
                return true
            }
        }
        if b.hasPrefix("version = ", at: k0) || (b.hasPrefix("CPU ", at: k0) && b.find(" is empty", from: k0) != nil) {
            sawTraceCmdPreamble = true
            headerFields.format = .traceCmdReport
            return true
        }
        return false
    }

    @inline(__always) private func noteCPU(_ cpu: Int) {
        if cpu >= state.pointee.cpusSeen { state.pointee.cpusSeen = cpu + 1 }
    }

    // MARK: event lines

    /// `<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <secs>.<frac>: <event>: <fields>`
    private func parseEvent(_ b: LineBytes, from k0: Int) throws -> KernelEvent? {
        // The CPU column `[NNN]` anchors the line: the comm before it may hold spaces and dashes.
        var open = k0
        var cpuValue = -1
        var close = 0
        while open + 1 < b.count, let hit = memchr(b.base + open + 1, 0x5b, b.count - open - 1) {
            let o = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - b.base
            var q = o + 1
            if b[o - 1] == 0x20, let v = b.decimal(&q), b[q] == 0x5d, b[q + 1] == 0x20,
               Self.followsTaskPid(b, bracket: o, floor: k0) {
                guard v <= UInt64(Self.maxCPU) else {
                    try warn(.cpuOutOfRange, "CPU number \(v) out of range (Linux has at most \(Self.maxCPU + 1)): line skipped")
                    return nil
                }
                if declaredCPUs > 0 && v >= UInt64(declaredCPUs) {
                    try warn(.cpuOutOfRange, "CPU \(v), but the trace's header says it has \(declaredCPUs) CPUs (online when recorded): line skipped")
                    return nil
                }
                cpuValue = Int(v); open = o; close = q
                break
            }
            open = o
        }
        if cpuValue < 0, let column = Self.latencyCPUColumn(b, from: k0) {
            guard column.cpu <= UInt64(Self.maxCPU) else {
                try warn(.cpuOutOfRange, "CPU number \(column.cpu) out of range (Linux has at most \(Self.maxCPU + 1)): line skipped")
                return nil
            }
            if declaredCPUs > 0 && column.cpu >= UInt64(declaredCPUs) {
                try warn(.cpuOutOfRange, "CPU \(column.cpu), but the trace's header says it has \(declaredCPUs) CPUs (online when recorded): line skipped")
                return nil
            }
            cpuValue = Int(column.cpu); open = column.start; close = column.flags - 1
        }
        guard cpuValue >= 0 else { try malformed(b, "no [CPU] column"); return nil }

        // Backwards from the CPU column: optional `(  tgid)`, then `comm-pid`.
        var j = open - 1
        while j > k0 && b[j] == 0x20 { j -= 1 }
        var tgid: Int32 = -1
        var tgidUnknown = false
        if b[j] == 0x29 {  // ')'
            guard let paren = b.lastIndex(of: 0x28, before: j, notBefore: k0) else {
                try malformed(b, "unbalanced TGID column"); return nil
            }
            var q = paren + 1
            b.skipSpaces(&q)
            if b[q] == 0x2d {
                tgidUnknown = true  // `(-------)`: no saved tgid (the idle task)
            } else {
                guard let t = b.int32(&q), t >= 0 else { try malformed(b, "bad TGID column"); return nil }
                tgid = t
            }
            j = paren - 1
            while j > k0 && b[j] == 0x20 { j -= 1 }
            if !state.pointee.sawTGID { state.pointee.sawTGID = true; headerFields.hasTGIDColumn = true }
        }
        let pidEnd = j + 1
        while j >= k0 && LineBytes.isDigit(b[j]) { j -= 1 }
        guard j < pidEnd - 1, j > k0, b[j] == 0x2d else { try malformed(b, "no task-pid before the CPU column"); return nil }
        var q = j + 1
        guard let pid = b.int32(&q), pid >= 0 else { try malformed(b, "bad pid"); return nil }
        if tgidUnknown && pid == 0 { tgid = 0 }
        var commStart = k0
        let commEnd = j
        // trace-cmd's `instance:` prefix (`study:  pingpong-20252`): a word, a colon, spaces.
        var s = k0
        while s < commEnd && b[s] != 0x20 && b[s] != 0x3a { s += 1 }
        if s < commEnd && b[s] == 0x3a && b[s + 1] == 0x20 {
            var t = s + 1
            b.skipSpaces(&t)
            if t < commEnd { commStart = t }
        }

        // After the CPU column: optional flags (`d.h1.`), then the timestamp.
        var k = close + 1
        b.skipSpaces(&k)
        var context = KernelEvent.ExecutionContext.task
        if !LineBytes.isDigit(b[k]) {
            let flags = k
            while k < b.count && b[k] != 0x20 { k += 1 }
            if k - flags >= 3 {
                switch b[flags + 2] {
                case 0x68, 0x48: context = .hardirq  // h, H (hardirq inside softirq)
                case 0x73: context = .softirq        // s
                case 0x7a, 0x5a: context = .nmi      // z, Z (NMI inside hardirq)
                default: break
                }
            }
            b.skipSpaces(&k)
        }
        guard let ns = timestamp(b, &k), b[k] == 0x3a else { try malformed(b, "bad timestamp"); return nil }
        k += 1
        b.skipSpaces(&k)

        // Event name: `name: fields`, or syscalls' `sys_mmap(args)` / `sys_mmap -> ret`.
        let nameStart = k
        var style: UInt8 = 0
        if b[k] == 0x3c, let close = b.find(">", from: k) {
            // `<stack trace>` / `<user stack trace>`: the stacktrace option's event, whose
            // frames follow on ` => func+0x…/0x…` lines.
            k = close + 1
            style = 3
        } else {
            while k < b.count, b[k] != 0x3a && b[k] != 0x28 && b[k] != 0x20 { k += 1 }
        }
        let nameLength = k - nameStart
        guard nameLength > 0 else { try malformed(b, "no event name"); return nil }
        var body = k + 1
        switch b[k] {
        case _ where style == 3: break
        case 0x3a: break
        case 0x28 where b.hasPrefix("sys_", at: nameStart): style = 1
        case 0x20 where b.hasPrefix("sys_", at: nameStart) && b.hasPrefix(" -> ", at: k):
            style = 2; body = k + 4
        default:
            try malformed(b, "no ':' after the event name"); return nil
        }
        b.skipSpaces(&body)
        let entry = state.pointee.names.index(b.base + nameStart, nameLength, style: style, strings: strings)
        if entry == state.pointee.names.overflowIndex {
            try warn(.namesCapped, "more than \(Self.maxEventNames) distinct event names: this one is counted as \"\(EventNameTable.overflowName)\"")
        }
        guard let kind = try decode(state.pointee.names.decoders[entry], nameID: state.pointee.names.nameIDs[entry],
                                    b, body: body, cpu: cpuValue) else {
            return nil
        }
        state.pointee.names.lines[entry] &+= 1
        let (time, verdict) = state.pointee.timeline.admit(cpu: cpuValue, timestamp: ns)
        switch verdict {
        case .inOrder: break
        case let .backwards(by):
            try warn(.clockBackwards, "timestamp \(Self.seconds(ns)) is \(Self.seconds(by)) s before the previous one on CPU \(cpuValue): clamped (the event costs no time)")
        case let .jump(by, forward):
            let limit = Self.seconds(state.pointee.timeline.maxJumpNanoseconds)
            try warn(.clockJump, "the trace clock jumps \(forward ? "forward" : "back") \(Self.seconds(by)) s at \(Self.seconds(ns)) on CPU \(cpuValue) (more than --max-gap \(limit) s): the jump is cut out")
        }
        noteCPU(cpuValue)
        let commsBefore = strings.overflowCount
        let commID = state.pointee.comms.id(pid: pid, b.base + commStart, commEnd - commStart, strings: strings)
        if strings.overflowCount != commsBefore {
            try warn(.namesCapped, "more than \(strings.capacity) distinct task names and texts: this one is counted as \"\(StringTable.overflowName)\"")
        }
        return KernelEvent(timestampNanoseconds: time, cpu: UInt16(cpuValue), pid: pid, tgid: tgid,
                           commID: commID, context: context, line: lineNumber, kind: kind)
    }

    /// Whether `[` at `bracket` comes after `comm-pid` or a `(tgid)` column: trace-cmd's
    /// `-l` lines have no bracketed CPU, and their sched plugin text holds `comm:pid [prio]`.
    @inline(__always) static func followsTaskPid(_ b: LineBytes, bracket: Int, floor: Int) -> Bool {
        var j = bracket - 1
        while j > floor && b[j] == 0x20 { j -= 1 }
        if b[j] == 0x29 { return true }
        let pidEnd = j
        while j > floor && LineBytes.isDigit(b[j]) { j -= 1 }
        return j < pidEnd && b[j] == 0x2d
    }

    /// `trace-cmd report -l`: no brackets; the CPU number right-aligned after `comm-pid` with
    /// the latency flags glued to it (`rec.sh-9984    0d..2.   333.688807072: …`), as
    /// trace-read.c prints it (`%8.8s-%-5d %3d`, then libtraceevent's flag columns, whose first
    /// is `d`, `X` or `.`). Returns the first digit and the first flag.
    static func latencyCPUColumn(_ b: LineBytes, from k0: Int) -> (start: Int, flags: Int, cpu: UInt64)? {
        var i = k0
        while i + 1 < b.count {
            defer { i += 1 }
            guard b[i] == 0x20, LineBytes.isDigit(b[i + 1]) else { continue }
            // Before the spaces: `-pid`.
            var j = i
            while j > k0 && b[j] == 0x20 { j -= 1 }
            guard LineBytes.isDigit(b[j]) else { continue }
            while j > k0 && LineBytes.isDigit(b[j]) { j -= 1 }
            guard b[j] == 0x2d else { continue }
            var q = i + 1
            guard let cpu = b.decimal(&q), b[q] == 0x2e || b[q] == 0x64 || b[q] == 0x58 else { continue }
            // After the flags: spaces and a timestamp.
            var t = q
            while t < b.count && b[t] != 0x20 { t += 1 }
            b.skipSpaces(&t)
            guard t > q + 1, LineBytes.isDigit(b[t]) else { continue }
            return (i + 1, q, cpu)
        }
        return nil
    }

    private func malformed(_ b: LineBytes, _ why: String) throws {
        try warn(.malformed, "malformed line (\(why)): \(excerpt(b))")
    }

    /// `seconds.micros` of a nanosecond count, as ftrace prints timestamps.
    static func seconds(_ ns: UInt64) -> String {
        let micros = String(ns / 1000 % 1_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 6 - micros.count) + micros
    }

    /// The start of a line for a message, control bytes shown as `?` (never echo them to a terminal).
    private func excerpt(_ b: LineBytes) -> String {
        var bytes = Array(UnsafeBufferPointer(start: b.base, count: min(b.count, 120)))
        for i in bytes.indices where bytes[i] < 0x20 || bytes[i] == 0x7f { bytes[i] = 0x3f }
        let text = String(decoding: bytes, as: UTF8.self).trimmingLeadingSpaces()
        return b.count > 120 ? text + "…" : text
    }

    /// `98.494454` (usec), `539.695341123` (nsec, trace-cmd -t) or a bare integer (x86-tsc /
    /// counter clocks, kept as is) -> nanoseconds.
    private func timestamp(_ b: LineBytes, _ k: inout Int) -> UInt64? {
        guard let seconds = b.decimal(&k) else { return nil }
        guard b[k] == 0x2e else { return seconds }
        k += 1
        var fraction: UInt64 = 0
        var digits = 0
        while k < b.count, LineBytes.isDigit(b[k]) {
            if digits < 9 { fraction = fraction * 10 + UInt64(b[k] &- 0x30); digits += 1 }
            k += 1
        }
        guard digits > 0 else { return nil }
        for _ in digits..<9 { fraction *= 10 }
        let (whole, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = whole.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : sum
    }

    // MARK: event fields

    private func decode(_ decoder: EventDecoder, nameID: UInt32, _ b: LineBytes, body: Int,
                        cpu: Int) throws -> KernelEvent.Kind? {
        let kind: KernelEvent.Kind?
        switch decoder {
        case .schedSwitch: kind = schedSwitch(b, body)
        case .schedWakeup(let isNew): kind = schedWakeup(b, body, isNew: isNew)
        case .processFork:
            if let parent = b.int32Field("pid", from: body) ?? b.int32Field("parent_pid", from: body),
               let child = b.int32Field("child_pid", from: body) {
                kind = .processFork(parentPid: parent, childPid: child)
            } else { kind = nil }
        case .processExec:
            if let old = b.int32Field("old_pid", from: body), let pid = b.int32Field("pid", from: body) {
                kind = .processExec(pid: pid, oldPid: old)
            } else { kind = nil }
        case .processExit:
            if let pid = b.int32Field("pid", from: body) {
                // group_dead appeared in 6.x kernels; older ones exit one task per event.
                var groupDead = true
                if let g = b.value(of: "group_dead", from: body) { groupDead = b[g] == 0x74 || b[g] == 0x31 }
                kind = .processExit(pid: pid, groupDead: groupDead)
            } else { kind = nil }
        case .rawSyscallEnter:
            var k = body
            if b.hasPrefix("NR ", at: k) { k += 3 } else if let v = b.value(of: "id", from: body) { k = v } else { k = -1 }
            if k >= 0, let nr = b.int32(&k), b.endsToken(at: k) { kind = .syscallEnter(number: nr) } else { kind = nil }
        case .rawSyscallExit: kind = rawSyscallExit(b, body)
        case .pageFault(let user):
            if let code = b.numberField("error_code", from: body), code <= UInt64(UInt32.max) {
                var address: UInt64 = 0
                // `address=%ps`: a kernel address may print as a symbol; the model only needs user ones.
                if let v = b.numberField("address", from: body) { address = v }
                kind = .pageFault(user: user, address: address, errorCode: UInt32(code))
            } else { kind = nil }
        case .tlbFlush: kind = tlbFlush(b, body)
        case .msrWrite, .msrRead:
            if let (msr, value) = msr(b, body) {
                kind = decoder == .msrWrite ? .msrWrite(msr: msr, value: value) : .msrRead(msr: msr, value: value)
            } else { kind = nil }
        case .vectorEntry(let v): kind = .vectorEntry(v)
        case .vectorExit(let v): kind = .vectorExit(v)
        case .irqHandlerEntry:
            kind = b.int32Field("irq", from: body).map { .irqHandlerEntry(irq: $0) }
        case .irqHandlerExit:
            kind = b.int32Field("irq", from: body).map { .irqHandlerExit(irq: $0) }
        case .softirqEntry, .softirqExit:
            if let vec = b.uint32Field("vec", from: body), vec <= 255 {
                kind = decoder == .softirqEntry ? .softirqEntry(vec: UInt8(vec)) : .softirqExit(vec: UInt8(vec))
            } else { kind = nil }
        case .cpuIdle:
            if let state = b.uint32Field("state", from: body), let id = b.uint32Field("cpu_id", from: body),
               id <= UInt32(Self.maxCPU) {
                kind = .cpuIdle(state: state, cpuID: UInt16(id))
            } else { kind = nil }
        case .ipiSendCPU:
            if let target = b.uint32Field("cpu", from: body), target <= UInt32(Self.maxCPU) {
                kind = .ipiSend(targetCPU: UInt16(target))
            } else { kind = nil }
        case .ipiSendCPUMask:
            if let v = b.value(of: "cpumask", from: body), let n = Self.cpuCount(inMask: b, from: v) {
                kind = .ipiSendMask(targets: n)
            } else { kind = nil }
        case .marker:
            kind = .marker(textID: strings.intern(b.string(body..<b.count).trimmingTrailingSpaces()))
        case .print:
            var t = body
            if b.hasPrefix("tracing_mark_write:", at: t) { t += 19; b.skipSpaces(&t) }
            kind = .marker(textID: strings.intern(b.string(t..<b.count).trimmingTrailingSpaces()))
        case .memorySyscall(let call): kind = memorySyscall(call, b, body)
        case .other: kind = .other(nameID: nameID)
        }
        if kind == nil {
            try warn(.malformed, "malformed \(strings[nameID]) fields: \(excerpt(b))")
        }
        return kind
    }

    /// tracefs: `prev_comm=bash prev_pid=2079 prev_prio=120 prev_state=S ==> next_comm=… next_pid=0 …`;
    /// trace-cmd -R: the same fields, numeric prev_state, no `==>`;
    /// trace-cmd's sched plugin: `pingpong:20252 [120] R ==> pingpong:20253 [120]`.
    private func schedSwitch(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        if let prevPid = b.int32Field("prev_pid", from: body) {
            guard let s = b.value(of: "prev_state", from: body),
                  let nextPid = b.int32Field("next_pid", from: s) else { return nil }
            var state = b[s]
            if LineBytes.isDigit(state) {
                var q = s
                guard let raw = b.decimal(&q), b.endsToken(at: q) else { return nil }
                state = Self.taskStateLetter(raw)
            }
            guard state != 0 && state != 0x20 else { return nil }
            return .schedSwitch(prevPid: prevPid, prevState: state, nextPid: nextPid)
        }
        guard let arrow = b.find(" ==> ", from: body) else { return nil }
        // Left of the arrow: `comm:pid [prio] STATE`.
        var j = arrow - 1
        while j > body && b[j] != 0x20 { j -= 1 }
        let state = b[j + 1]
        guard let prevPid = Self.pluginPid(b, before: j, floor: body),
              let nextPid = Self.pluginPid(b, before: b.count, floor: arrow + 5),
              state != 0x20 && state != 0 else { return nil }
        return .schedSwitch(prevPid: prevPid, prevState: state, nextPid: nextPid)
    }

    /// trace-cmd plugin style `comm:pid [prio]` before `limit`: the pid after the last ':'
    /// before the last `[prio]` group.
    private static func pluginPid(_ b: LineBytes, before limit: Int, floor: Int) -> Int32? {
        guard let bracket = b.lastIndex(of: 0x5b, before: limit, notBefore: floor) else { return nil }
        var j = bracket - 1
        while j > floor && b[j] == 0x20 { j -= 1 }
        let end = j + 1
        while j >= floor && LineBytes.isDigit(b[j]) { j -= 1 }
        guard b[j] == 0x3a, j + 1 < end else { return nil }
        var q = j + 1
        return b.int32(&q)
    }

    /// The letter the kernel prints for a numeric prev_state (`__trace_sched_switch_state`,
    /// include/trace/events/sched.h): bit i of TASK_REPORT -> "SDTtXZPI"[i], 0 -> R.
    static func taskStateLetter(_ raw: UInt64) -> UInt8 {
        let letters: StaticString = "SDTtXZPI"
        let bits = raw & 0xff
        if bits == 0 { return 0x52 }  // R (also R+ for a preempted task, TASK_REPORT_MAX bit)
        return letters.utf8Start[bits.trailingZeroBitCount]
    }

    /// tracefs / -R `comm=bash pid=2087 prio=120 target_cpu=001`;
    /// trace-cmd plugin `bash:2087 [120] success=1 CPU:001`.
    private func schedWakeup(_ b: LineBytes, _ body: Int, isNew: Bool) -> KernelEvent.Kind? {
        if let pid = b.int32Field("pid", from: body) {
            guard let target = b.uint32Field("target_cpu", from: body), target <= UInt32(Self.maxCPU) else { return nil }
            return .schedWakeup(pid: pid, targetCPU: UInt16(target), isNew: isNew)
        }
        guard let cpuTag = b.find(" CPU:", from: body) else { return nil }
        var q = cpuTag + 5
        guard let target = b.decimal(&q), b.endsToken(at: q), target <= UInt64(Self.maxCPU),
              let pid = Self.pluginPid(b, before: cpuTag, floor: body) else { return nil }
        return .schedWakeup(pid: pid, targetCPU: UInt16(target), isNew: isNew)
    }

    /// `NR 1 = 22` (tracefs) or `id=1 ret=22` (trace-cmd -R).
    private func rawSyscallExit(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        var k = body
        if b.hasPrefix("NR ", at: k) {
            k += 3
            guard let nr = b.int32(&k), b.hasPrefix(" = ", at: k) else { return nil }
            k += 3
            guard let ret = b.signedDecimal(&k), b.endsToken(at: k) else { return nil }
            return .syscallExit(number: nr, returnValue: ret)
        }
        guard let nr = b.int32Field("id", from: body), let ret = b.signedField("ret", from: body) else { return nil }
        return .syscallExit(number: nr, returnValue: ret)
    }

    /// `pages:-1 reason:flush on task switch (0)` (tracefs) or `pages=-1 reason=0` (-R).
    private func tlbFlush(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        guard let pages = b.signedField("pages", from: body), var r = b.value(of: "reason", from: body) else { return nil }
        var reasonNumber: UInt64?
        if LineBytes.isDigit(b[r]) {
            reasonNumber = b.decimal(&r)
            if !b.endsToken(at: r) { return nil }
        } else if let paren = b.lastIndex(of: 0x28, before: b.count, notBefore: r) {
            var q = paren + 1
            reasonNumber = b.decimal(&q)
            if b[q] != 0x29 { return nil }
        }
        guard let n = reasonNumber, n <= 255, let reason = KernelEvent.TLBFlushReason(rawValue: UInt8(n)) else {
            return nil
        }
        // pages is a long; -1 (TLB_FLUSH_ALL) or a page count that fits comfortably in Int32.
        let clamped = Int32(clamping: pages)
        return .tlbFlush(reason: reason, pages: clamped)
    }

    /// `830, value fb` (tracefs, `%x, value %llx`, maybe ` #GP`) or `msr=830 val=fb failed=0` (-R).
    private func msr(_ b: LineBytes, _ body: Int) -> (UInt32, UInt64)? {
        var k = body
        if let m = b.hex(&k), b[k] == 0x2c {
            guard let v = b.find("value ", from: k) else { return nil }
            var q = v + 6
            guard m <= UInt64(UInt32.max), let value = b.hex(&q), b.endsToken(at: q) else { return nil }
            return (UInt32(m), value)
        }
        guard let msr = b.hexField("msr", from: body), msr <= UInt64(UInt32.max),
              let value = b.hexField("val", from: body) else { return nil }
        return (UInt32(msr), value)
    }

    /// syscalls:sys_enter_{mmap,munmap,mprotect,brk}: `sys_mmap(addr: 0, len: 0x2000, …)` or
    /// trace-cmd's `sys_enter_mmap: addr: 0x00000000, len: …` / `addr=0 len=8192` (-R).
    private func memorySyscall(_ call: KernelEvent.MemorySyscall, _ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        func field(_ key: StaticString) -> UInt64? { b.numberField(key, from: body) }
        switch call {
        case .mmap, .munmap:
            guard let addr = field("addr"), let len = field("len") else { return nil }
            return .memorySyscall(call, address: addr, length: len)
        case .mprotect:
            guard let addr = field("start"), let len = field("len") else { return nil }
            return .memorySyscall(call, address: addr, length: len)
        case .brk:
            guard let brk = field("brk") else { return nil }
            return .memorySyscall(call, address: brk, length: 0)
        }
    }

    /// Number of CPUs in an ipi_send_cpumask mask. Two printings exist: the bitmap list
    /// (`0-1`, `0,2-3`, `%*pbl`) and the hex mask of `__get_cpumask` (`%*pb`), which is printed
    /// over the whole cpumask in comma-separated 32-bit groups of 8 hex digits
    /// (`00000000,00000003`). A token of such groups is read as hex, anything else as a list.
    static func cpuCount(inMask b: LineBytes, from k: Int) -> UInt16? {
        var end = k
        while end < b.count && b[end] != 0x20 { end += 1 }
        guard end > k else { return nil }
        var isHexGroups = true
        var groupLength = 0
        for i in k..<end {
            let c = b[i]
            if c == 0x2c {
                if groupLength != 8 { isHexGroups = false; break }
                groupLength = 0
            } else if LineBytes.hexValue(c) != nil {
                groupLength += 1
            } else {
                isHexGroups = false; break
            }
        }
        if isHexGroups && groupLength == 8 {
            var total = 0
            for i in k..<end where b[i] != 0x2c {
                total += LineBytes.hexValue(b[i])!.nonzeroBitCount
            }
            return UInt16(clamping: total)
        }
        // List: ranges `a-b` separated by commas.
        var total = 0
        var q = k
        while q < end {
            guard let lo = b.decimal(&q), lo <= UInt64(maxCPU) else { return nil }
            var hi = lo
            if b[q] == 0x2d {
                q += 1
                guard let h = b.decimal(&q), h >= lo, h <= UInt64(maxCPU) else { return nil }
                hi = h
            }
            total += Int(hi - lo) + 1
            if q < end {
                guard b[q] == 0x2c else { return nil }
                q += 1
            }
        }
        return UInt16(clamping: total)
    }
}

extension TraceRecord {
    /// The CPU of a `.lost` record when the source does not say which CPU lost events
    /// (the `entries-in-buffer < entries-written` gap of a `trace` header).
    public static let unknownCPU = UInt16.max
}

/// Task name ids by pid, so the common case (same pid, same comm as last time) is a compare of
/// a few bytes and a new `String` is built only for a new pid/comm pair.
struct CommCache {
    static let slots = 1024
    static let maxBytes = 64
    private var pids = [Int32](repeating: -1, count: slots)
    private var lengths = [UInt8](repeating: 0, count: slots)
    private var ids = [UInt32](repeating: 0, count: slots)
    private var bytes = [UInt8](repeating: 0, count: slots * maxBytes)

    mutating func id(pid: Int32, _ p: UnsafePointer<UInt8>, _ n: Int, strings: StringTable) -> UInt32 {
        let slot = Int(UInt32(bitPattern: pid) & UInt32(Self.slots - 1))
        if n <= Self.maxBytes && pids[slot] == pid && Int(lengths[slot]) == n {
            let same = bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + slot * Self.maxBytes, p, n) == 0 }
            if same { return ids[slot] }
        }
        let id = strings.intern(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
        if n <= Self.maxBytes {
            pids[slot] = pid
            lengths[slot] = UInt8(n)
            ids[slot] = id
            bytes.withUnsafeMutableBufferPointer { dst in
                (dst.baseAddress! + slot * Self.maxBytes).update(from: p, count: n)
            }
        }
        return id
    }
}

extension String {
    func trimmingLeadingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }))
    }
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
