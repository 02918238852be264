import PVKernel
import PVTrace

/// Everything a frame of the dashboard or a row of the CSV shows, copied out of the replay at
/// one instant. Both views read only this.
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
    /// Which recording environment's costs were removed from the recorded gaps.
    public var baseline = Baseline()
    /// The event the last `step()` replayed and how each engine priced it (nil after any
    /// other move).
    public var stepped: SteppedEvent?

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

/// The native baseline: where the trace was recorded and what removing that environment's own
/// costs from the recorded gaps did.
public struct Baseline: Sendable, Equatable {
    /// `native` or `kvm[:…]`, as `--recorded-on` spells it.
    public var recordedOn: String
    /// Why: `provenance virtualized=yes (…)`, `--recorded-on`, `no provenance: …`.
    public var reason: String
    /// Host page size behind the engines' two-dimensional paging (`--host-pages`).
    public var hostPages: String
    /// Recorded gaps shorter than the recording environment's priced cost, clamped at zero.
    public var clampedGaps: UInt64
    /// Recorded nanoseconds removed as the recording environment's own costs (all CPUs).
    public var removedNanoseconds: Double

    public init(recordedOn: String = "native", reason: String = "", hostPages: String = "4k",
                clampedGaps: UInt64 = 0, removedNanoseconds: Double = 0) {
        self.recordedOn = recordedOn; self.reason = reason; self.hostPages = hostPages
        self.clampedGaps = clampedGaps; self.removedNanoseconds = removedNanoseconds
    }

    /// `recorded_on=kvm;host_pages=4k`, for the CSV settings column.
    public var settings: String { "recorded_on=\(recordedOn);host_pages=\(hostPages)" }
}
