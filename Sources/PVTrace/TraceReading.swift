/// The reader's contract (implemented by `FtraceTextReader`).
///
/// Streaming: one line at a time from a fixed buffer, so memory stays constant in the trace
/// length. Errors and warnings name `file:line`.
public protocol TraceSource: AnyObject {
    /// The next record, or nil at the end of input. Throws `TraceError` for input that cannot
    /// be used (and, with `strict`, for what would otherwise be a warning).
    func next() throws -> TraceRecord?
    /// What the header said (CPU count, entries written vs in buffer, provenance lines).
    var header: TraceHeader { get }
    /// Interned task names and marker texts.
    var strings: StringTable { get }
    /// Warnings so far, and lines of events the model does not use, counted by name.
    var diagnostics: TraceDiagnostics { get }
}

public struct TraceHeader: Sendable, Equatable {
    /// `#P:n` from the header, or the highest CPU seen + 1 when the header has none.
    public var cpuCount: Int = 0
    public var entriesInBuffer: UInt64?
    public var entriesWritten: UInt64?
    public var tracer: String?
    /// `# pvtop-provenance: key=value` lines written by `pvtop record`, in order.
    public var provenance: [(key: String, value: String)] = []
    public var hasTGIDColumn = false
    /// What the input is and which tool wrote it.
    public var format: TraceInputFormat = .ftraceText
    /// The trace clock, where the input names it (trace.dat's header).
    public var clock: String?

    public init() {}

    public static func == (a: TraceHeader, b: TraceHeader) -> Bool {
        a.cpuCount == b.cpuCount && a.entriesInBuffer == b.entriesInBuffer
            && a.entriesWritten == b.entriesWritten && a.tracer == b.tracer
            && a.hasTGIDColumn == b.hasTGIDColumn && a.format == b.format && a.clock == b.clock
            && a.provenance.map { "\($0.key)=\($0.value)" } == b.provenance.map { "\($0.key)=\($0.value)" }
    }
}

/// Interning table: the same text always gets the same id within one reader.
public final class StringTable {
    private var ids: [String: UInt32] = [:]
    public private(set) var strings: [String] = [""]

    public init() {}

    public func intern(_ s: String) -> UInt32 {
        if let id = ids[s] { return id }
        let id = UInt32(strings.count)
        strings.append(s)
        ids[s] = id
        return id
    }

    public subscript(id: UInt32) -> String {
        Int(id) < strings.count ? strings[Int(id)] : "?"
    }
}

public struct TraceWarning: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: UInt64
    public var message: String
    public init(file: String, line: UInt64, message: String) {
        self.file = file; self.line = line; self.message = message
    }
    public var description: String { "\(file):\(line): warning: \(message)" }
}

public struct TraceDiagnostics: Sendable {
    public var warningCount: UInt64 = 0
    /// The first warnings, kept for display (the count goes on past the cap).
    public var firstWarnings: [TraceWarning] = []
    /// Lines of well-formed events the model does not use, by event name.
    public var otherEvents: [String: UInt64] = [:]
    public var lostEvents: UInt64 = 0
    public var linesRead: UInt64 = 0
    public init() {}
}

public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: UInt64
    public var message: String
    public init(file: String, line: UInt64, message: String) {
        self.file = file; self.line = line; self.message = message
    }
    public var description: String {
        line > 0 ? "\(file):\(line): error: \(message)" : "\(file): error: \(message)"
    }
}

/// Raw bytes in: a file (plain, .gz, .xz), a pipe, or tracefs `trace_pipe`.
/// `read` returns 0 at end of input; a live source blocks (or polls) until data or a stop.
public protocol ByteStream: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func close()
}
