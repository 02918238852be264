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
/// Lines are parsed in place, so memory does not grow with the trace: in the mapped file
/// itself when the input is a plain regular file (no copy through read(2)), else in one fixed
/// buffer. Strings are built only for a new task name, a new event name, a marker or a warning.
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
    var headerFields = TraceHeader()
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
    /// The read(2) buffer (unused when the file is mapped).
    private let buffer: UnsafeMutablePointer<UInt8>
    /// Where lines are parsed: `buffer`, or the mapped file.
    private let bytes: UnsafePointer<UInt8>
    /// The input is a mapped file: `bytes[0..<end]` is all of it, nothing is read.
    let isMapped: Bool
    private let capacity: Int
    /// A mapped file's pages behind the current line are dropped from this process every so
    /// many bytes (madvise MADV_DONTNEED): the page cache keeps them, the peak RSS stays flat.
    static let mappedReleaseStride = 8 << 20

    /// The per-line mutable state sits behind a `let` pointer: Swift checks exclusive access to
    /// a class's stored `var`s at run time on every access (about 12% of the read time in a
    /// profile), not to a pointee. Safe because the reader is used from one thread at a time
    /// (it is not Sendable) and no access to the state overlaps another.
    struct State {
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
        /// Mapped input: bytes below this offset are no longer mapped in (see `mappedReleaseStride`).
        var releasedUpTo = 0
    }
    let state: UnsafeMutablePointer<State>

    @inline(__always) private var start: Int {
        get { state.pointee.start } set { state.pointee.start = newValue }
    }
    @inline(__always) private var end: Int {
        get { state.pointee.end } set { state.pointee.end = newValue }
    }
    @inline(__always) var lineNumber: UInt64 {
        get { state.pointee.lineNumber } set { state.pointee.lineNumber = newValue }
    }
    @inline(__always) private var atEOF: Bool {
        get { state.pointee.atEOF } set { state.pointee.atEOF = newValue }
    }
    @inline(__always) private var skippingLongLine: Bool {
        get { state.pointee.skippingLongLine } set { state.pointee.skippingLongLine = newValue }
    }

    var warnings = TraceDiagnostics()
    var lostEvents: UInt64 = 0
    private var linesBeforeFirstEvent = 0
    private var quietLinesBeforeFirstEvent = 0
    var sawHeader = false
    /// The trace's own CPU count (`#P:`, trace-cmd's `cpus=`, provenance `cpus=`); 0 = not said.
    /// A CPU number at or above it is skipped with a warning rather than made a new CPU range
    /// (one corrupt `[8191]` made a 2-CPU trace 8,192 CPUs). Caveat: `#P:` is num_online_cpus()
    /// when `trace` was read (kernel/trace/trace.c, print_event_info), so a machine with CPUs
    /// offline (a sparse online set, `nosmt`) can log higher CPU numbers; the warning says so.
    @exclusivity(unchecked) var declaredCPUs = 0
    var sawTraceCmdPreamble = false

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
        if let mapped = (stream as? MappableByteStream)?.mapRemainder(), let base = mapped.baseAddress {
            bytes = base.assumingMemoryBound(to: UInt8.self)
            isMapped = true
            state.pointee.end = mapped.count
            state.pointee.atEOF = true
            state.pointee.bytesRead = UInt64(mapped.count)
        } else {
            bytes = UnsafePointer(buffer)
            isMapped = false
        }
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
        if isMapped { return try checkStart(min(end, want), whole: true) }
        while end < want && !atEOF {
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: want - end))
            if n == 0 { atEOF = true } else { end += n; state.pointee.bytesRead &+= UInt64(n) }
            try checkStart(end, whole: end >= want || atEOF)
            if memchr(buffer, 0x0a, end) != nil { break }
        }
    }

    /// Rejects the first `count` bytes if they are not text; `whole`: they are all the check
    /// needs (the window, or the whole input).
    private func checkStart(_ count: Int, whole: Bool) throws {
        // trace-cmd's trace.dat starts with 0x17 0x08 0x44 "tracing" (trace-cmd.dat(5)).
        if count >= 10 && bytes[0] == 0x17 && bytes[1] == 0x08 && bytes[2] == 0x44
            && memcmp(bytes + 3, "tracing", 7) == 0 {
            throw TraceError(file: name, line: 0, message: "this is a binary trace-cmd trace.dat; convert it with `trace-cmd report` first")
        }
        if whole || memchr(bytes, 0, min(count, TextInputCheck.nulWindowBytes)) != nil {
            if let reason = TextInputCheck.rejectionReason(UnsafeRawBufferPointer(start: bytes, count: count)) {
                throw TraceError(file: name, line: 0, message: reason)
            }
        }
    }

    /// The next line without its newline (valid until the next call), or nil at the end.
    private func nextLine() throws -> LineBytes? {
        while true {
            if start < end {
                // A line is at most `capacity` bytes (the buffer holds no more; a mapped file the same).
                let window = min(end - start, capacity)
                if let nl = memchr(bytes + start, 0x0a, window) {
                    let lineEnd = UnsafePointer<UInt8>(nl.assumingMemoryBound(to: UInt8.self)) - bytes
                    let line = lineAt(start, lineEnd)
                    start = lineEnd + 1
                    if skippingLongLine { skippingLongLine = false; continue }
                    lineNumber += 1
                    if isMapped && start &- state.pointee.releasedUpTo >= Self.mappedReleaseStride { releaseMappedPages() }
                    return line
                }
                if isMapped && window == capacity {
                    try skipLongLine()
                    start = memchr(bytes + start + capacity, 0x0a, end - start - capacity)
                        .map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - bytes + 1 } ?? end
                    continue
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
                if !skippingLongLine { try skipLongLine() }
                skippingLongLine = true
                end = 0
            }
            let n = try stream.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if n == 0 { atEOF = true } else { end += n; state.pointee.bytesRead &+= UInt64(n) }
        }
    }

    private func skipLongLine() throws {
        lineNumber += 1
        state.pointee.entryLines &+= 1
        try warn(.longLine, "line longer than \(capacity) bytes skipped")
        try countLineBeforeFirstEvent()
    }

    /// Unmaps the pages of the mapped file before the current line (they are never read again).
    private func releaseMappedPages() {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let from = (Int(bitPattern: bytes + state.pointee.releasedUpTo) + page - 1) / page * page
        let to = Int(bitPattern: bytes + start) / page * page
        if to > from { _ = madvise(UnsafeMutableRawPointer(bitPattern: from), to - from, MADV_DONTNEED) }
        state.pointee.releasedUpTo = start
    }

    @inline(__always) private func lineAt(_ from: Int, _ to: Int) -> LineBytes {
        var to = to
        if to > from && bytes[to - 1] == 0x0d { to -= 1 }  // CRLF files
        return LineBytes(base: bytes + from, count: to - from)
    }

    // MARK: errors

    func warn(_ kind: TraceWarningKind, _ message: String, line: UInt64? = nil) throws {
        let at = line ?? lineNumber
        if strict { throw TraceError(file: name, line: at, message: message) }
        warnings.record(TraceWarning(file: name, line: at, message: message, kind: kind), keep: Self.keptWarnings)
    }

    func unusable(_ message: String) -> TraceError {
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

    func countLineBeforeFirstEvent() throws {
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
        // The first word is scanned once, here: the instance check and parseEvent share it.
        let wordEnd = Self.firstWordEnd(b, from: k)
        if c == 0x43 && b.hasPrefix("CPU", at: k) {  // 'C'
            if let record = try parseCPULine(b, from: k) { return record }
        } else if let j = Self.afterInstancePrefix(b, from: k, wordEnd: wordEnd), b.hasPrefix("CPU:", at: j) {
            // trace-cmd report of an instance: `pvuxtc: CPU:1 [31707 EVENTS DROPPED]`.
            if let record = try parseCPULine(b, from: j) { return record }
        }
        if eventCount == 0 && parseTraceCmdPreamble(b, from: k) { return nil }
        state.pointee.entryLines &+= 1
        if let event = try parseEvent(b, from: k, wordEnd: wordEnd) {
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

    @inline(__always) func noteCPU(_ cpu: Int) {
        if cpu >= state.pointee.cpusSeen { state.pointee.cpusSeen = cpu + 1 }
    }
}

extension TraceRecord {
    /// The CPU of a `.lost` record when the source does not say which CPU lost events
    /// (the `entries-in-buffer < entries-written` gap of a `trace` header).
    public static let unknownCPU = UInt16.max
}
