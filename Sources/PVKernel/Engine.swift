import Histogram
import PVTrace

/// What the replay drives: one engine per backend, whatever its type.
public protocol PricingEngine: AnyObject {
    var descriptor: BackendDescriptor { get }
    /// Price one event; `step` is the recorded time since the CPU's previous event, with the
    /// recording environment's own costs already removed (the native baseline).
    func consume(_ event: KernelEvent, _ expansion: ExpansionView, step: RecordedStep, eventIndex: UInt64)
    func consumeTrailing(_ expansion: Expansion)
    func finish()
    func snapshotMetrics() -> EngineMetrics
    func takeWindow() -> Histogram<UInt64>
    /// What pricing `expansion` would do, call by call, from the engine's present state,
    /// without changing it (the dashboard's step panel).
    func explain(_ expansion: ExpansionView, eventIndex: UInt64) -> [PricedOp]
}

extension PricingEngine {
    public func consume(_ event: KernelEvent, _ expansion: Expansion, step: RecordedStep, eventIndex: UInt64) {
        expansion.withView { consume(event, $0, step: step, eventIndex: eventIndex) }
    }
}

/// An event's expansion as the pricers read it: its storage borrowed, not its arrays. Passing
/// an `Expansion` to each of five engines retained and released its two arrays every time:
/// 18 % of a five-engine replay's profile in swift_retain.
public struct ExpansionView {
    public let calls: UnsafeBufferPointer<PVCall>
    public let segments: UnsafeBufferPointer<Expansion.Segment>
    public init(calls: UnsafeBufferPointer<PVCall>, segments: UnsafeBufferPointer<Expansion.Segment>) {
        self.calls = calls; self.segments = segments
    }
    public var isEmpty: Bool { segments.isEmpty }
}

extension Expansion {
    /// This expansion's storage, borrowed for `body` (valid only inside it).
    @inline(__always)
    public func withView<R>(_ body: (ExpansionView) throws -> R) rethrows -> R {
        try calls.withUnsafeBufferPointer { c in
            try segments.withUnsafeBufferPointer { s in try body(ExpansionView(calls: c, segments: s)) }
        }
    }
}

/// The stretch of recorded time before an event on its CPU, on the de-virtualized clock.
public struct RecordedStep: Sendable, Equatable {
    public var gapNanoseconds: Double
    /// What the CPU did in that stretch (user, kernel, idle): which time-proportional rate applies.
    public var mode: ExecutionMode
    /// What the recording environment spent on this event's ops (removed from the gap).
    public var recordedCostNanoseconds: Double
    /// Recording cost still to be removed from the CPU's next gaps (µs timestamps put several
    /// events in one µs): until then the clock is that much ahead of the event's tracepoint.
    public var owedNanoseconds: Double
    public init(gapNanoseconds: Double, mode: ExecutionMode, recordedCostNanoseconds: Double = 0, owedNanoseconds: Double = 0) {
        self.gapNanoseconds = gapNanoseconds; self.mode = mode
        self.recordedCostNanoseconds = recordedCostNanoseconds; self.owedNanoseconds = owedNanoseconds
    }
}

/// An engine for `backend` on its concrete type (an `any Backend` opens here), so no call goes
/// through an existential box; `Engine.consume`'s `@_specialize` list makes the calls direct.
public func makeEngine<B: Backend>(backend: B, profile: CostProfile, cpuCount: Int,
                                   time: TimeCosts = .none, causality: CausalityCosts = .none) -> any PricingEngine {
    Engine(backend: backend, profile: profile, cpuCount: cpuCount, time: time, causality: causality)
}

/// Kernel output priced by one backend: per-CPU simulated clocks, counters, latency
/// histograms. The kernel is shared (one expansion per event feeds every engine); the engine
/// owns the backend, its ledger, its clocks and its metrics.
///
/// Each CPU's clock advances by: the de-virtualized recorded gap, plus the
/// time-proportional costs of that gap (TLB misses under this engine's paging), plus the
/// event's priced ops and the indirect cost of its transitions; cross-CPU arrivals (IPIs,
/// wakeups, shootdown acknowledgements) can only push it later. Latency samples are durations
/// on that clock between the trace's own begin and end of a path (`PathLatency`).
///
/// Its state is touched only by its own methods, one call at a time (the replay drives it from
/// one thread; nothing hands out inout references to it), so the runtime exclusivity checks
/// of class properties are off for the hot state: measured at about 30 % of replay time.
public final class Engine<B: Backend>: PricingEngine {
    @exclusivity(unchecked) public private(set) var backend: B
    public let descriptor: BackendDescriptor
    public let profile: CostProfile
    public let time: TimeCosts
    private let guestKernel: GuestKernel.Set
    @exclusivity(unchecked) private var ledger: Ledger
    @exclusivity(unchecked) private var metrics: EngineMetrics
    @exclusivity(unchecked) private var paths: PathLatency
    @exclusivity(unchecked) private var crossCPU: CrossCPUTime
    private let classCount = EventClass.allCases.count
    /// Cycles of the segment that closed a context switch in the last priced event.
    @exclusivity(unchecked) private var switchCloseCycles = 0.0
    /// All classes merged, for the current CSV interval; reset by `takeWindow()`.
    @exclusivity(unchecked) private var window: Histogram<UInt64>
    /// The hot per-op, per-class and per-CPU counters of `metrics`, written here and copied
    /// into it by `snapshotMetrics()`.
    private let opCounts = EngineCounters<UInt64>(count: PVOp.allCases.count)
    private let opCycles = EngineCounters<Double>(count: PVOp.allCases.count)
    private let classCounts = EngineCounters<UInt64>(count: EventClass.allCases.count)
    private let classCycles = EngineCounters<Double>(count: EventClass.allCases.count)
    private let cpuClock: EngineCounters<Double>
    private let cpuBusyUntil: EngineCounters<Double>

    public init(backend: B, profile: CostProfile, cpuCount: Int,
                time: TimeCosts = .none, causality: CausalityCosts = .none) {
        self.backend = backend
        self.descriptor = backend.descriptor
        self.guestKernel = backend.descriptor.id.guestKernel.member
        self.profile = profile
        self.time = time
        self.ledger = Ledger(descriptor: descriptor)
        self.metrics = EngineMetrics(cpuCount: cpuCount, transitionCount: descriptor.transitions.count,
                                     flushReasonCount: descriptor.flushReasons.count)
        self.metrics.clockGHz = profile.clockGHz
        self.paths = PathLatency(cpuCount: cpuCount)
        self.crossCPU = CrossCPUTime(costs: causality, cpuCount: cpuCount)
        self.window = EngineMetrics.makeHistogram()
        self.cpuClock = EngineCounters(count: max(cpuCount, 1))
        self.cpuBusyUntil = EngineCounters(count: max(cpuCount, 1))
    }

    /// Price one event's expansion; `eventIndex` seeds the per-event random draws so every
    /// engine sees the same coin flips for the same event.
    ///
    /// Specialized per backend: the replay calls it through `PricingEngine`, and a generic
    /// class's method reached that way runs its unspecialized body (field offsets and every
    /// `backend.perform` looked up at run time), whatever type built the engine. With these,
    /// the generic entry checks B once and jumps to the specialized copy (`perf report` shows
    /// the `…Tg5` copies, one per backend; without them no specialized engine code existed).
    @_specialize(where B == NativeBackend)
    @_specialize(where B == XenPVBackend)
    @_specialize(where B == VMIBackend)
    @_specialize(where B == KVMBackend)
    @_specialize(where B == LguestBackend)
    @_specialize(where B == VirtualBoxBackend)
    public func consume(_ event: KernelEvent, _ expansion: ExpansionView, step: RecordedStep, eventIndex: UInt64) {
        let cpu = Int(event.cpu)
        growIfNeeded(cpu: cpu)
        metrics.events &+= 1
        let gap = max(step.gapNanoseconds, 0)
        let tlb = gap * time.overheadPerNanosecond[step.mode.rawValue]
        metrics.recordedNanoseconds += gap
        metrics.tlbMissNanoseconds += tlb
        let waitedBefore = crossCPU.waitedNanoseconds, absorbedBefore = crossCPU.absorbedNanoseconds
        let previous = cpuClock[cpu]
        let before = crossCPU.arrive(event, cpu: cpu, clock: previous + gap + tlb,
                                     idleSince: step.mode == .idle ? previous : nil)
        metrics.waitNanoseconds += crossCPU.waitedNanoseconds - waitedBefore
        metrics.absorbedIdleNanoseconds += crossCPU.absorbedNanoseconds - absorbedBefore
        let transitionsBefore = ledger.transitionTotal
        ledger.cpu = cpu
        switchCloseCycles = 0
        let cycles = price(expansion, eventIndex: eventIndex)
        let indirect = Double(ledger.transitionTotal &- transitionsBefore) * time.indirectCyclesPerTransition
        metrics.indirectCycles += indirect
        let after = before + profile.nanoseconds(cycles: cycles + indirect)
        cpuClock[cpu] = after
        if event.pid != 0 { cpuBusyUntil[cpu] = after }
        let close = profile.nanoseconds(cycles: switchCloseCycles)
        // Paths begin and end at the trace's tracepoints: on this clock, after the event's ops
        // less what the recording still owes. A path also holds what this engine spends on its
        // first event beyond the recording (Xen's syscall bounce before sys_enter).
        let tracepoint = after - step.owedNanoseconds
        let extra = max(after - before - step.recordedCostNanoseconds, 0)
        paths.record(event, cpu: cpu, before: before - step.owedNanoseconds, begin: tracepoint - extra, after: tracepoint,
                     switchCloseNanoseconds: close,
                     wakerSentAt: crossCPU.handlerIPISentAt[cpu], into: &metrics.latency, window: &window)
        crossCPU.depart(event, cpu: cpu, clock: after, eventIndex: eventIndex)
    }

    /// Price segments that belong to no event (the kernel closing open paths at the end).
    public func consumeTrailing(_ expansion: Expansion) {
        let cpu = expansion.segments.first?.context.cpu ?? 0
        ledger.cpu = cpu
        let cycles = expansion.withView { price($0, eventIndex: UInt64.max) }
        if cpu < cpuClock.count {
            cpuClock[cpu] += profile.nanoseconds(cycles: cycles)
        }
    }

    /// End of input: the backend flushes its queues (charged to CPU 0's clock).
    public func finish() {
        ledger.cycles = 0
        ledger.cpu = 0   // the final flush is charged to CPU 0's clock
        backend.finish(&ledger)
        metrics.pricedCycles += ledger.cycles
        cpuClock[0] += profile.nanoseconds(cycles: ledger.cycles)   // at least one CPU from init
        ledger.cycles = 0
    }

    private func price(_ expansion: ExpansionView, eventIndex: UInt64) -> Double {
        guard !expansion.segments.isEmpty else { return 0 }
        ledger.reseed(Self.seed(eventIndex))
        var total = 0.0
        for segment in expansion.segments {
            ledger.cycles = 0
            for i in segment.start..<segment.end {
                let call = expansion.calls[i]
                if !call.kernels.contains(guestKernel) { continue } // another kernel's call site
                let before = ledger.cycles
                backend.perform(call, segment.context, &ledger)
                let op = Int(call.op.rawValue)
                opCounts[op] &+= UInt64(call.count)
                opCycles[op] += ledger.cycles - before
                metrics.ops &+= UInt64(call.count)
            }
            let cycles = ledger.cycles
            total += cycles
            if segment.isFinal {
                let cls = Int(segment.eventClass.index)
                classCounts[cls] &+= 1
                classCycles[cls] += cycles
                if segment.eventClass == .contextSwitch { switchCloseCycles += cycles }
            } else {
                classCycles[Int(segment.eventClass.index)] += cycles
            }
        }
        ledger.cycles = 0
        metrics.pricedCycles += total
        return total
    }

    /// The per-event seed of the backend's coins (the same for every engine).
    @inline(__always)
    static func seed(_ eventIndex: UInt64) -> UInt64 { eventIndex &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03 }

    public func explain(_ expansion: ExpansionView, eventIndex: UInt64) -> [PricedOp] {
        // Backend and ledger are values: these copies price the event while the engine's own
        // state stays as it was (the replay then prices the event for real).
        var backend = self.backend
        var ledger = self.ledger
        ledger.reseed(Self.seed(eventIndex))
        let rules = (B.self as? any RuleTableBackend.Type)
        var out: [PricedOp] = []
        for segment in expansion.segments {
            for i in segment.start..<segment.end {
                let call = expansion.calls[i]
                if !call.kernels.contains(guestKernel) { continue }
                let cyclesBefore = ledger.cycles, counts = ledger.transitionCounts
                let flushesBefore = ledger.flushReasonCounts.reduce(0, &+), entriesBefore = ledger.batchedEntries
                backend.perform(call, segment.context, &ledger)
                let transitions = ledger.transitionCounts.indices.compactMap { t -> PricedOp.Transition? in
                    let n = ledger.transitionCounts[t] &- counts[t]
                    guard n > 0 else { return nil }
                    return PricedOp.Transition(kind: descriptor.transitions[t].kind, name: descriptor.transitions[t].name, count: n)
                }
                let flushed = ledger.flushReasonCounts.reduce(0, &+) > flushesBefore ? ledger.batchedEntries &- entriesBefore : 0
                let rule = rules?.rule(call.op)
                out.append(PricedOp(op: call.op, count: call.count, kind: rule?.kind, action: rule?.action,
                                    cycles: ledger.cycles - cyclesBefore, transitions: transitions, flushedEntries: flushed))
            }
        }
        return out
    }

    @inline(__always)
    private func growIfNeeded(cpu: Int) {
        if cpu >= cpuClock.count { grow(cpu: cpu) }
    }

    private func grow(cpu: Int) {
        let n = cpu + 1
        cpuClock.grow(to: n)
        cpuBusyUntil.grow(to: n)
        paths.grow(to: n)
        crossCPU.grow(to: n)
    }

    /// A copy of the metrics with the ledger's transition and batch counts filled in.
    public func snapshotMetrics() -> EngineMetrics {
        var m = metrics
        m.opCounts = opCounts.array
        m.opCycles = opCycles.array
        m.classCounts = classCounts.array
        m.classCycles = classCycles.array
        m.cpuClockNanoseconds = cpuClock.array
        m.cpuBusyUntilNanoseconds = cpuBusyUntil.array
        m.transitionCounts = ledger.transitionCounts
        m.transitionCycles = ledger.transitionCycles
        m.cpuTransitionCounts = ledger.cpuTransitionCounts
        m.batchSizes = ledger.batchSizes
        m.flushReasonCounts = ledger.flushReasonCounts
        m.batchedEntries = ledger.batchedEntries
        m.lateShootdownAcks = crossCPU.lateAcks
        return m
    }

    /// Latency samples of all classes since the last call (for per-interval CSV percentiles).
    public func takeWindow() -> Histogram<UInt64> {
        let w = window
        window.reset()
        return w
    }
}

extension EventClass {
    /// Position in `allCases`, the index of per-class arrays (a switch: this is on the hot path).
    @inline(__always)
    public var index: Int {
        switch self {
        case .syscall: return 0
        case .pageFault: return 1
        case .contextSwitch: return 2
        case .tlbFlush: return 3
        case .tlbShootdown: return 4
        case .ipi: return 5
        case .interrupt: return 6
        case .timer: return 7
        case .idle: return 8
        case .fork: return 9
        case .exec: return 10
        case .exit: return 11
        case .memoryMap: return 12
        case .msr: return 13
        case .micro: return 14
        case .wakeup: return 15
        }
    }
}
