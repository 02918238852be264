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
///
/// Bounded: past `capacity` distinct texts, a new one gets the id of `overflowName`
/// (counted in `overflowCount`), so memory follows the cap, not the input.
public final class StringTable {
    /// What every text past the cap is counted as.
    public static let overflowName = "(other)"
    /// Default cap: 65,536 distinct task names and marker texts. A recorded trace has a few
    /// hundred (the bundled ones under 300); a million distinct names means generated input.
    public static let defaultCapacity = 1 << 16

    private var ids: [String: UInt32] = [:]
    public private(set) var strings: [String] = [""]
    public let capacity: Int
    /// Texts (occurrences, not distinct) that were over the cap.
    public private(set) var overflowCount: UInt64 = 0
    private var overflowID: UInt32?

    public init(capacity: Int = StringTable.defaultCapacity) {
        self.capacity = max(capacity, 2)
    }

    public func intern(_ s: String) -> UInt32 {
        if let id = ids[s] { return id }
        if strings.count >= capacity {
            overflowCount &+= 1
            if let overflowID { return overflowID }
            let id = UInt32(strings.count)
            strings.append(Self.overflowName)
            overflowID = id
            return id
        }
        let id = UInt32(strings.count)
        strings.append(s)
        ids[s] = id
        return id
    }

    /// The id of `s` if it was interned (a lookup that never adds).
    public func existingID(_ s: String) -> UInt32? { ids[s] }

    public subscript(id: UInt32) -> String {
        Int(id) < strings.count ? strings[Int(id)] : "?"
    }
}

/// What the reader did with a line it could not take as written. Each kind is counted, its
/// first occurrence kept, and `--strict` makes any of them an error.
public enum TraceWarningKind: Int, CaseIterable, Sendable, Comparable {
    /// A line or field that does not parse (skipped).
    case malformed
    /// A line longer than the read buffer (skipped).
    case longLine
    /// A timestamp earlier than the previous one on the same CPU (clamped to it).
    case clockBackwards
    /// A jump of the trace clock (forward, or back on one CPU) beyond `--max-gap` (cut out).
    case clockJump
    /// A CPU number the trace's own CPU count (`#P:`, `cpus=`) does not have (skipped).
    case cpuOutOfRange
    /// Fewer entries than the header announces, or a last line cut off.
    case truncated
    /// More distinct event or task names than the reader keeps (the rest counted as other).
    case namesCapped
    /// More pages or processes than the kernel model's page-table estimate keeps (the rest
    /// only counted): a bound on the model's memory, reported by the replay, not the reader.
    case modelCapped

    /// The word used in the summary line and as the key in CSV / JSON.
    public var label: String {
        switch self {
        case .malformed: "malformed"
        case .longLine: "long-line"
        case .clockBackwards: "clock-backwards"
        case .clockJump: "clock-jump"
        case .cpuOutOfRange: "cpu-out-of-range"
        case .truncated: "truncated"
        case .namesCapped: "names-capped"
        case .modelCapped: "model-capped"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

public struct TraceWarning: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: UInt64
    public var message: String
    public var kind: TraceWarningKind
    public init(file: String, line: UInt64, message: String, kind: TraceWarningKind = .malformed) {
        self.file = file; self.line = line; self.message = message; self.kind = kind
    }
    public var description: String { line > 0 ? "\(file):\(line): warning: \(message)" : "\(file): warning: \(message)" }
    /// `file:line` of the warning, for the summary line.
    public var location: String { line > 0 ? "\(file):\(line)" : file }
}

public struct TraceDiagnostics: Sendable {
    public var warningCount: UInt64 = 0
    /// The first warnings, kept for display (the count goes on past the cap).
    public var firstWarnings: [TraceWarning] = []
    /// Warnings by kind, and the first of each kind.
    public var countsByKind: [TraceWarningKind: UInt64] = [:]
    public var firstByKind: [TraceWarningKind: TraceWarning] = [:]
    /// Lines of well-formed events the model does not use, by event name.
    public var otherEvents: [String: UInt64] = [:]
    public var lostEvents: UInt64 = 0
    public var linesRead: UInt64 = 0
    public init() {}

    /// Records one warning, or `times` of the same kind at once (counts saturate: they never trap).
    public mutating func record(_ warning: TraceWarning, keep: Int, times: UInt64 = 1) {
        guard times > 0 else { return }
        warningCount = warningCount.addingReportingOverflow(times).overflow ? .max : warningCount + times
        let n = countsByKind[warning.kind, default: 0]
        countsByKind[warning.kind] = n.addingReportingOverflow(times).overflow ? .max : n + times
        if firstByKind[warning.kind] == nil { firstByKind[warning.kind] = warning }
        if firstWarnings.count < keep { firstWarnings.append(warning) }
    }

    /// `kind=count` pairs in a fixed order, for the CSV settings column and the JSON.
    public var countPairs: [(key: String, value: UInt64)] {
        countsByKind.keys.sorted().map { (key: $0.label, value: countsByKind[$0]!) }
    }

    /// The one stderr line a run prints when it skipped, clamped or reinterpreted anything:
    /// `pvtop: input warnings: 3 malformed (first t.trace:12), 1 clock-backwards (first t.trace:40)`;
    /// nil when there was nothing to say.
    public var summaryLine: String? {
        guard warningCount > 0 else { return nil }
        let parts = countsByKind.keys.sorted().map { kind -> String in
            let first = firstByKind[kind].map { " (first \($0.location))" } ?? ""
            return "\(countsByKind[kind]!) \(kind.label)\(first)"
        }
        return "input warnings: " + parts.joined(separator: ", ") + "; --strict makes them errors"
    }
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
