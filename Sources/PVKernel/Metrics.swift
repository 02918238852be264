import Histogram

/// What one engine has measured so far. A value type: copying it is how a Snapshot is taken.
public struct EngineMetrics: Sendable {
    /// Events replayed through this engine.
    public var events: UInt64 = 0
    /// pv-op calls priced (a call with `count` n counts n).
    public var ops: UInt64 = 0
    /// Per `EventClass` (index = `EventClass.allCases` order): samples and cycles.
    public var classCounts: [UInt64]
    public var classCycles: [Double]
    /// Latency in nanoseconds per event class, measured on this engine's simulated clock
    /// between the trace's own begin and end of each path (`PathLatency`); empty for classes
    /// whose begin and end a trace does not show.
    public var latency: [Histogram<UInt64>]
    /// Calls and cycles per op (index = `PVOp.rawValue`).
    public var opCounts: [UInt64]
    public var opCycles: [Double]
    /// Transition counts and cycles (index = the backend's TransitionID).
    public var transitionCounts: [UInt64]
    public var transitionCycles: [Double]
    /// Transition counts by CPU (index = cpu × transitions + TransitionID; CPUs past the end
    /// made none), for the per-CPU view.
    public var cpuTransitionCounts: [UInt64] = []
    /// Batch sizes at flush (index = entries, capped at `Ledger.maxBatchSize`) and reasons.
    public var batchSizes: [UInt64]
    public var flushReasonCounts: [UInt64]
    public var batchedEntries: UInt64 = 0
    /// Per-CPU simulated clock, nanoseconds since the first event.
    public var cpuClockNanoseconds: [Double]
    /// Cycles priced for ops (the virtualization-relevant part of the simulated time).
    public var pricedCycles: Double = 0
    /// What the simulated time is made of, summed over CPUs (the report's explanation):
    /// de-virtualized recorded gaps, the extra TLB-miss cost of those gaps under this engine's
    /// paging, the indirect cost of its transitions, and time waited for other CPUs.
    public var recordedNanoseconds: Double = 0
    public var tlbMissNanoseconds: Double = 0
    public var indirectCycles: Double = 0
    public var waitNanoseconds: Double = 0
    /// Recorded idle time not replayed because another CPU's IPI or wakeup ended it earlier on
    /// this engine's clock (the recording's own delivery and wake-up latency).
    public var absorbedIdleNanoseconds: Double = 0
    /// The profile's clock, to turn the cycle totals above into time.
    public var clockGHz: Double = 1
    /// Shootdown acknowledgements that arrived after the trace showed the sender resuming.
    public var lateShootdownAcks: UInt64 = 0

    public init(cpuCount: Int, transitionCount: Int, flushReasonCount: Int) {
        let classes = EventClass.allCases.count
        classCounts = Array(repeating: 0, count: classes)
        classCycles = Array(repeating: 0, count: classes)
        latency = (0..<classes).map { _ in EngineMetrics.makeHistogram() }
        opCounts = Array(repeating: 0, count: PVOp.allCases.count)
        opCycles = Array(repeating: 0, count: PVOp.allCases.count)
        transitionCounts = Array(repeating: 0, count: transitionCount)
        transitionCycles = Array(repeating: 0, count: transitionCount)
        batchSizes = Array(repeating: 0, count: Ledger.maxBatchSize + 1)
        flushReasonCounts = Array(repeating: 0, count: flushReasonCount)
        cpuClockNanoseconds = Array(repeating: 0, count: max(cpuCount, 1))
        cpuBusyUntilNanoseconds = cpuClockNanoseconds
    }

    /// Transitions `cpu` made, by TransitionID (zeros where it made none).
    public func transitionCounts(cpu: Int) -> ArraySlice<UInt64> {
        let n = transitionCounts.count, start = cpu * n
        guard n > 0, start + n <= cpuTransitionCounts.count else { return ArraySlice(repeatElement(0, count: n)) }
        return cpuTransitionCounts[start..<(start + n)]
    }

    /// ns from 1 to 100 s at 2 significant digits (1 % resolution, as the dashboard prints
    /// them). Three digits up to an hour made each histogram 262 KB, and every snapshot
    /// (copy-on-write) then copied each touched one: 26 % of dashboard CPU in memmove.
    /// Latency histograms hold 1 ns … 100 s; a longer sample is recorded as 100 s.
    public static let highestTrackableNanoseconds: UInt64 = 100_000_000_000

    public static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: highestTrackableNanoseconds,
                          numberOfSignificantValueDigits: .two)
    }

    /// Per CPU: its clock after the last event a task (not the idle task) logged there.
    public var cpuBusyUntilNanoseconds: [Double]

    /// Simulated elapsed time: when the last CPU finished its tasks' work (the makespan). A CPU
    /// that only idles and takes ticks until the trace ends does not count: its clock is the
    /// recording's wall clock, which would pin every engine to the recorded span.
    public var simulatedNanoseconds: Double {
        let busy = cpuBusyUntilNanoseconds.max() ?? 0
        return busy > 0 ? busy : cpuClockNanoseconds.max() ?? 0
    }

    public func latency(of eventClass: EventClass) -> Histogram<UInt64> {
        latency[eventClass.index]
    }

    public func count(of eventClass: EventClass) -> UInt64 {
        classCounts[eventClass.index]
    }

    public func transitions(of kind: TransitionKind, in descriptor: BackendDescriptor) -> UInt64 {
        var n: UInt64 = 0
        for (i, t) in descriptor.transitions.enumerated() where t.kind == kind { n &+= transitionCounts[i] }
        return n
    }

    public var totalTransitions: UInt64 { transitionCounts.reduce(0, &+) }
}
