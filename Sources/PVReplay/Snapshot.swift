import PVKernel
import PVTrace

/// Everything a frame of the dashboard or a row of the CSV shows, copied out of the replay at
/// one instant. Both views read only this (DESIGN.md rule 2).
public struct Snapshot: Sendable {
    public var trace: TraceInfo
    /// Trace time replayed so far, nanoseconds since the first event.
    public var positionNanoseconds: UInt64
    public var eventsReplayed: UInt64
    public var profileName: String
    /// Engines in display order; `engines[0]` is always native (the baseline).
    public var engines: [EngineSnapshot]
    public var diagnostics: TraceDiagnostics
    /// True once the reader reached the end of the trace.
    public var finished: Bool

    public init(trace: TraceInfo, positionNanoseconds: UInt64, eventsReplayed: UInt64,
                profileName: String, engines: [EngineSnapshot], diagnostics: TraceDiagnostics,
                finished: Bool) {
        self.trace = trace; self.positionNanoseconds = positionNanoseconds
        self.eventsReplayed = eventsReplayed; self.profileName = profileName
        self.engines = engines; self.diagnostics = diagnostics; self.finished = finished
    }

    public var native: EngineSnapshot { engines[0] }
}

public struct TraceInfo: Sendable {
    /// File name as given (for the header line).
    public var name: String
    public var cpuCount: Int
    /// Total trace duration when known (a file read once), else nil (live).
    public var durationNanoseconds: UInt64?
    public var provenance: [(key: String, value: String)]
    public init(name: String, cpuCount: Int, durationNanoseconds: UInt64?, provenance: [(key: String, value: String)] = []) {
        self.name = name; self.cpuCount = cpuCount; self.durationNanoseconds = durationNanoseconds
        self.provenance = provenance
    }
}

public struct EngineSnapshot: Sendable {
    public var descriptor: BackendDescriptor
    public var metrics: EngineMetrics
    /// This engine's simulated time over native's (1.0 for native).
    public var slowdown: Double
    public init(descriptor: BackendDescriptor, metrics: EngineMetrics, slowdown: Double) {
        self.descriptor = descriptor; self.metrics = metrics; self.slowdown = slowdown
    }
}
