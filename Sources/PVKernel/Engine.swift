import Histogram
import PVTrace

/// What the replay drives: one engine per backend, whatever its type.
public protocol PricingEngine: AnyObject {
    var descriptor: BackendDescriptor { get }
    func consume(_ event: KernelEvent, _ expansion: Expansion, eventIndex: UInt64)
    func consumeTrailing(_ expansion: Expansion)
    func finish()
    func snapshotMetrics() -> EngineMetrics
    func takeWindow() -> Histogram<UInt64>
}

/// An engine for `backend`, specialised on its concrete type (an `any Backend` opens here),
/// so the per-op calls are direct, not through an existential box.
public func makeEngine<B: Backend>(backend: B, profile: CostProfile, parameters: KernelParameters,
                                   cpuCount: Int, traceStart: UInt64) -> any PricingEngine {
    Engine(backend: backend, profile: profile, parameters: parameters, cpuCount: cpuCount, traceStart: traceStart)
}

/// Kernel output priced by one backend: per-CPU simulated clocks, counters, latency
/// histograms. The kernel is shared (one expansion per event feeds every engine); the engine
/// owns the backend, its ledger and its metrics.
///
/// Its state is touched only by its own methods, one call at a time (the replay drives it from
/// one thread; nothing hands out inout references to it), so the runtime exclusivity checks
/// of class properties are off for the hot state: measured at about 30 % of replay time.
public final class Engine<B: Backend>: PricingEngine {
    @exclusivity(unchecked) public private(set) var backend: B
    public let descriptor: BackendDescriptor
    public let profile: CostProfile
    private let guestKernel: GuestKernel.Set
    @exclusivity(unchecked) private var ledger: Ledger
    @exclusivity(unchecked) private var metrics: EngineMetrics
    /// Trace time of each CPU's previous event (nil before its first).
    @exclusivity(unchecked) private var lastTimestamp: [UInt64?]
    private let traceStart: UInt64
    /// Cycles of paths still open per CPU and class (syscall enter … exit).
    @exclusivity(unchecked) private var openCycles: [Double]
    private let classCount = EventClass.allCases.count
    /// Fixed kernel work per class in ns, the same for every engine.
    private let workNanoseconds: [Double]
    /// All classes merged, for the current CSV interval; reset by `takeWindow()`.
    @exclusivity(unchecked) private var window: Histogram<UInt64>

    public init(backend: B, profile: CostProfile, parameters: KernelParameters,
                cpuCount: Int, traceStart: UInt64) {
        self.backend = backend
        self.descriptor = backend.descriptor
        self.guestKernel = backend.descriptor.id.guestKernel.member
        self.profile = profile
        self.ledger = Ledger(descriptor: descriptor)
        self.metrics = EngineMetrics(cpuCount: cpuCount, transitionCount: descriptor.transitions.count,
                                     flushReasonCount: descriptor.flushReasons.count)
        self.lastTimestamp = Array(repeating: nil, count: max(cpuCount, 1))
        self.traceStart = traceStart
        self.openCycles = Array(repeating: 0, count: max(cpuCount, 1) * EventClass.allCases.count)
        self.workNanoseconds = EventClass.allCases.map { parameters.value("work_ns.\($0.rawValue)") }
        self.window = EngineMetrics.makeHistogram()
    }

    /// Price one event's expansion; `eventIndex` seeds the per-event random draws so every
    /// engine sees the same coin flips for the same event.
    public func consume(_ event: KernelEvent, _ expansion: Expansion, eventIndex: UInt64) {
        let cpu = Int(event.cpu)
        growIfNeeded(cpu: cpu)
        let gap: UInt64
        if let last = lastTimestamp[cpu] {
            gap = event.timestampNanoseconds &- min(last, event.timestampNanoseconds)
        } else {
            gap = event.timestampNanoseconds &- min(traceStart, event.timestampNanoseconds)
        }
        lastTimestamp[cpu] = event.timestampNanoseconds
        metrics.events &+= 1
        let cycles = price(expansion, eventIndex: eventIndex)
        metrics.cpuClockNanoseconds[cpu] += Double(gap) + profile.nanoseconds(cycles: cycles)
    }

    /// Price segments that belong to no event (the kernel closing open paths at the end).
    public func consumeTrailing(_ expansion: Expansion) {
        let cycles = price(expansion, eventIndex: UInt64.max)
        if let cpu = expansion.segments.first?.context.cpu, cpu < metrics.cpuClockNanoseconds.count {
            metrics.cpuClockNanoseconds[cpu] += profile.nanoseconds(cycles: cycles)
        }
    }

    /// End of input: the backend flushes its queues (charged to CPU 0's clock).
    public func finish() {
        ledger.cycles = 0
        backend.finish(&ledger)
        metrics.pricedCycles += ledger.cycles
        if !metrics.cpuClockNanoseconds.isEmpty {
            metrics.cpuClockNanoseconds[0] += profile.nanoseconds(cycles: ledger.cycles)
        }
        ledger.cycles = 0
    }

    private func price(_ expansion: Expansion, eventIndex: UInt64) -> Double {
        guard !expansion.segments.isEmpty else { return 0 }
        ledger.reseed(eventIndex &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03)
        var total = 0.0
        for segment in expansion.segments {
            ledger.cycles = 0
            for i in segment.start..<segment.end {
                let call = expansion.calls[i]
                if !call.kernels.contains(guestKernel) { continue } // another kernel's call site
                let before = ledger.cycles
                backend.perform(call, segment.context, &ledger)
                let op = Int(call.op.rawValue)
                metrics.opCounts[op] &+= UInt64(call.count)
                metrics.opCycles[op] += ledger.cycles - before
                metrics.ops &+= UInt64(call.count)
            }
            let cycles = ledger.cycles
            total += cycles
            let cls = Int(segment.eventClass.index)
            let slot = segment.context.cpu * classCount + cls
            if slot >= openCycles.count { growIfNeeded(cpu: segment.context.cpu) }
            if segment.isFinal {
                let pathCycles = openCycles[slot] + cycles
                openCycles[slot] = 0
                let ns = profile.nanoseconds(cycles: pathCycles) + workNanoseconds[cls]
                let sample = UInt64(max(ns.rounded(), 1))
                metrics.latency[cls].record(sample)
                window.record(sample)
                metrics.classCounts[cls] &+= 1
                metrics.classCycles[cls] += pathCycles
            } else {
                openCycles[slot] += cycles
            }
        }
        ledger.cycles = 0
        metrics.pricedCycles += total
        return total
    }

    private func growIfNeeded(cpu: Int) {
        guard cpu >= lastTimestamp.count else { return }
        let n = cpu + 1
        lastTimestamp.append(contentsOf: repeatElement(nil, count: n - lastTimestamp.count))
        metrics.cpuClockNanoseconds.append(contentsOf: repeatElement(0, count: n - metrics.cpuClockNanoseconds.count))
        openCycles.append(contentsOf: repeatElement(0, count: n * classCount - openCycles.count))
    }

    /// A copy of the metrics with the ledger's transition and batch counts filled in.
    public func snapshotMetrics() -> EngineMetrics {
        var m = metrics
        m.transitionCounts = ledger.transitionCounts
        m.transitionCycles = ledger.transitionCycles
        m.batchSizes = ledger.batchSizes
        m.flushReasonCounts = ledger.flushReasonCounts
        m.batchedEntries = ledger.batchedEntries
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
        }
    }
}
