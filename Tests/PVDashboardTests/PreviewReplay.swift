import PVKernel
import PVReplay
import PVTrace

/// SYNTHETIC DATA — a stand-in `ReplayControl` for developing and testing the dashboard before
/// (and without) the real replay: deterministic made-up events whose counters and latencies
/// change plausibly over time. Nothing here is a measurement. The `pvtop` command path must
/// never use it; only the dashboard tests and the hidden `pvtop dev-preview` command do.
public final class PreviewReplay: ReplayControl {
    public private(set) var configuration: ReplayConfiguration
    public let durationNanoseconds: UInt64
    public let eventsPerSecond: UInt64
    public let cpuCount: Int

    private var nextEvent: UInt64 = 0
    private var position: UInt64 = 0
    private var engines: [PreviewEngine] = []

    public init(configuration: ReplayConfiguration = ReplayConfiguration(options: BackendOptions(cpuCount: 2)),
                durationNanoseconds: UInt64 = 10_000_000_000, eventsPerSecond: UInt64 = 50_000, cpuCount: Int = 2) {
        self.configuration = configuration
        self.durationNanoseconds = durationNanoseconds
        self.eventsPerSecond = eventsPerSecond
        self.cpuCount = cpuCount
        rebuild()
    }

    private var gapNanoseconds: UInt64 { 1_000_000_000 / eventsPerSecond }
    private var eventCount: UInt64 { durationNanoseconds / gapNanoseconds }

    private func rebuild() {
        engines = ([BackendID.native] + configuration.backends).map {
            PreviewEngine(id: $0, options: configuration.options, cpuCount: cpuCount)
        }
        nextEvent = 0
        position = 0
    }

    public var isFinished: Bool { nextEvent >= eventCount }

    public func advance(toTraceTime nanoseconds: UInt64, eventBudget: Int) throws {
        var budget = eventBudget
        while budget > 0, nextEvent < eventCount, nextEvent * gapNanoseconds <= nanoseconds {
            replayOne(); budget -= 1
        }
        position = budget > 0 || isFinished ? min(nanoseconds, durationNanoseconds) : nextEvent * gapNanoseconds
        if isFinished { position = durationNanoseconds }
    }

    public func step() throws {
        guard !isFinished else { return }
        replayOne()
        position = (nextEvent - 1) * gapNanoseconds
    }

    public func restart() throws { rebuild() }

    public func seek(toTraceTime nanoseconds: UInt64) throws {
        if nanoseconds < position { rebuild() }
        try advance(toTraceTime: nanoseconds, eventBudget: Int.max)
    }

    public func reconfigure(_ configuration: ReplayConfiguration) throws {
        let target = position
        self.configuration = configuration
        rebuild()
        try advance(toTraceTime: target, eventBudget: Int.max)
    }

    public func snapshot() -> Snapshot {
        let nativeTime = max(engines[0].metrics.simulatedNanoseconds, 1)
        return Snapshot(
            trace: TraceInfo(name: "preview (synthetic)", cpuCount: cpuCount, durationNanoseconds: durationNanoseconds),
            positionNanoseconds: position, eventsReplayed: nextEvent, profileName: configuration.profile,
            engines: engines.map { e in
                EngineSnapshot(descriptor: e.descriptor, metrics: e.metrics,
                               slowdown: e.id == .native ? 1 : e.metrics.simulatedNanoseconds / nativeTime)
            },
            diagnostics: TraceDiagnostics(), finished: isFinished)
    }

    private func replayOne() {
        let i = nextEvent
        nextEvent += 1
        var random = SplitMix64(seed: i &* 0x9E37_79B9 &+ 17)
        // A workload whose mix drifts over time (fork-heavy at first, then fault and syscall heavy).
        let phase = Double(i) / Double(max(eventCount, 1))
        let weights: [(EventClass, Double)] = [
            (.syscall, 30 + 20 * phase), (.pageFault, 25 + 10 * phase), (.contextSwitch, 10),
            (.tlbFlush, 4), (.tlbShootdown, 2), (.ipi, 3), (.interrupt, 6), (.timer, 5), (.idle, 4),
            (.fork, 3 * (1 - phase)), (.exec, 2 * (1 - phase)), (.exit, 2 * (1 - phase)), (.memoryMap, 4), (.msr, 1),
        ]
        let total = weights.reduce(0) { $0 + $1.1 }
        var pick = random.nextUnit() * total
        var eventClass = EventClass.syscall
        for (c, w) in weights { if pick < w { eventClass = c; break }; pick -= w }
        let cpu = Int(i % UInt64(cpuCount))
        let filter = configuration.filter
        if let c = filter.eventClass, c != eventClass { return }
        if let c = filter.cpu, c != cpu { return }
        let jitter = 0.6 + random.nextUnit() * 0.8 + (random.nextUnit() < 0.01 ? 6 : 0)
        for e in engines.indices {
            engines[e].replay(eventClass, cpu: cpu, gap: Double(gapNanoseconds), jitter: jitter, random: &random)
        }
    }
}

/// One synthetic engine: invented per-class costs and transitions loosely shaped like each
/// backend (Xen PV's mmu_update batches, KVM's exits, VMI's ROM calls, lguest's hypercalls).
struct PreviewEngine {
    let id: BackendID
    let descriptor: BackendDescriptor
    var metrics: EngineMetrics
    let features: Set<KVMFeature>

    init(id: BackendID, options: BackendOptions, cpuCount: Int) {
        self.id = id
        features = options.kvmFeatures
        switch id {
        case .native:
            descriptor = BackendDescriptor(id: .native, displayName: "native", transitions: [])
        case .xenPV:
            descriptor = BackendDescriptor(
                id: .xenPV, displayName: "xen-pv",
                transitions: [TransitionInfo(.hypercall, "mmu_update"), TransitionInfo(.hypercall, "mmuext_op"),
                              TransitionInfo(.hypercall, "multicall"), TransitionInfo(.hypercall, "iret"),
                              TransitionInfo(.hypercall, "event_channel_op"), TransitionInfo(.hypercall, "set_segment_base"),
                              TransitionInfo(.trap, "pte_write")],
                flushReasons: ["full-slots", "full-args", "lazy-leave", "single", "end"],
                settings: [("batching", options.batching ? "on" : "off")])
        case .kvm, .vbox:
            let f = options.kvmFeatures
            descriptor = BackendDescriptor(
                id: id, displayName: id == .kvm ? "kvm (vt-x, ept)" : "vbox (vt-x, nested paging)",
                transitions: [TransitionInfo(.vmExit, "MSR_WRITE"), TransitionInfo(.vmExit, "HLT"),
                              TransitionInfo(.vmExit, "EPT_VIOLATION"), TransitionInfo(.vmExit, "VMCALL"),
                              TransitionInfo(.vmExit, "EXTERNAL_INTERRUPT")],
                settings: [("tlb", f.contains(.pv_tlb_flush) ? "on" : "off"), ("ipi", f.contains(.pv_ipi) ? "on" : "off"),
                           ("eoi", f.contains(.pv_eoi) ? "on" : "off"), ("haltpoll", f.contains(.haltpoll) ? "on" : "off")])
        case .vmi:
            descriptor = BackendDescriptor(
                id: .vmi, displayName: "vmi",
                transitions: [TransitionInfo(.romCall, "SetPte"), TransitionInfo(.romCall, "SetCR3"),
                              TransitionInfo(.romCall, "FlushTLB"), TransitionInfo(.romCall, "DisableInterrupts")],
                flushReasons: ["deferred-full", "lazy-leave", "end"])
        case .lguest:
            descriptor = BackendDescriptor(
                id: .lguest, displayName: "lguest",
                transitions: [TransitionInfo(.hypercall, "LHCALL_SET_PTE"), TransitionInfo(.hypercall, "LHCALL_NEW_PGTABLE"),
                              TransitionInfo(.hypercall, "LHCALL_FLUSH_TLB"), TransitionInfo(.trap, "iret")],
                flushReasons: ["ring-full", "lazy-leave", "end"])
        }
        metrics = EngineMetrics(cpuCount: cpuCount, transitionCount: descriptor.transitions.count,
                                flushReasonCount: descriptor.flushReasons.count)
    }

    /// Native cost of each class in ns (invented, order of magnitude only).
    static func nativeCost(_ c: EventClass) -> Double {
        switch c {
        case .syscall: return 90
        case .pageFault: return 600
        case .contextSwitch: return 1_400
        case .tlbFlush: return 250
        case .tlbShootdown: return 2_000
        case .ipi: return 400
        case .interrupt: return 700
        case .timer: return 300
        case .idle: return 150
        case .fork: return 45_000
        case .exec: return 120_000
        case .exit: return 30_000
        case .memoryMap: return 1_500
        case .msr: return 80
        case .micro: return 50
        case .wakeup: return 3_000
        }
    }

    mutating func replay(_ c: EventClass, cpu: Int, gap: Double, jitter: Double, random: inout SplitMix64) {
        var extra = 0.0
        func t(_ name: String, _ n: UInt64, _ cost: Double) {
            guard let id = descriptor.transitionID(name) else { return }
            metrics.transitionCounts[id] &+= n
            metrics.transitionCycles[id] += cost * Double(n) * 2
            extra += cost * Double(n)
        }
        func batch(_ entries: Int, _ reason: Int) {
            metrics.batchSizes[min(entries, Ledger.maxBatchSize)] &+= 1
            metrics.flushReasonCounts[reason] &+= 1
            metrics.batchedEntries &+= UInt64(entries)
        }
        let r = random.nextUnit()
        switch id {
        case .native: break
        case .xenPV:
            switch c {
            case .syscall: t("iret", 1, 120)
            case .pageFault: t("mmu_update", 1, 350); if r < 0.1 { t("pte_write", 1, 900) }
            case .contextSwitch: t("multicall", 1, 500); t("mmuext_op", 1, 400); batch(2 + Int(r * 6), r < 0.8 ? 2 : 0)
            case .fork, .exec, .exit:
                let n = 20 + Int(r * 40)
                t("multicall", UInt64(n / 16 + 1), 500); t("mmu_update", UInt64(n), 60); batch(min(n, 32), n > 32 ? 0 : 2)
            case .tlbFlush, .tlbShootdown: t("mmuext_op", 1, 450); batch(1, 3)
            case .ipi, .interrupt, .timer: t("event_channel_op", 1, 300)
            case .memoryMap: t("mmu_update", 2, 300); batch(Int(1 + r * 10), r < 0.05 ? 1 : 2)
            default: break
            }
        case .kvm, .vbox:
            switch c {
            case .timer: t("MSR_WRITE", 1, 1_200)
            case .ipi: if features.contains(.pv_ipi) { t("VMCALL", 1, 900) } else { t("MSR_WRITE", 1, 1_300) }
            case .tlbShootdown: if !features.contains(.pv_tlb_flush) { t("MSR_WRITE", 2, 1_300) }
            case .idle: if !features.contains(.haltpoll) || r < 0.3 { t("HLT", 1, 2_500) }
            case .interrupt: t("EXTERNAL_INTERRUPT", 1, 800); if !features.contains(.pv_eoi) { t("MSR_WRITE", 1, 1_100) }
            case .pageFault: if r < 0.05 { t("EPT_VIOLATION", 1, 1_800) }
            case .fork, .exec: t("EPT_VIOLATION", UInt64(3 + Int(r * 5)), 1_800)
            default: break
            }
        case .vmi:
            switch c {
            case .pageFault: t("SetPte", 1, 40)
            case .contextSwitch: t("SetCR3", 1, 300); batch(1 + Int(r * 4), 1)
            case .fork, .exec, .exit: t("SetPte", UInt64(30 + Int(r * 30)), 40); batch(Int(8 + r * 24), r < 0.3 ? 0 : 1)
            case .tlbFlush, .tlbShootdown: t("FlushTLB", 1, 200)
            case .syscall, .interrupt, .timer: t("DisableInterrupts", 1, 15)
            default: break
            }
        case .lguest:
            switch c {
            case .pageFault: t("LHCALL_SET_PTE", 1, 700)
            case .syscall, .interrupt, .timer, .ipi: t("iret", 1, 600)
            case .contextSwitch: t("LHCALL_NEW_PGTABLE", 1, 3_000); batch(1 + Int(r * 3), 1)
            case .fork, .exec, .exit: t("LHCALL_SET_PTE", UInt64(20 + Int(r * 20)), 200); batch(Int(4 + r * 60), r < 0.2 ? 0 : 1)
            case .tlbFlush, .tlbShootdown: t("LHCALL_FLUSH_TLB", 1, 1_500)
            default: break
            }
        }
        let latency = PreviewEngine.nativeCost(c) * jitter + extra * (0.8 + 0.4 * r)
        let k = EventClass.allCases.firstIndex(of: c)!
        metrics.events &+= 1
        metrics.ops &+= 4
        metrics.classCounts[k] &+= 1
        metrics.classCycles[k] += latency * 2
        metrics.latency[k].record(UInt64(max(latency, 1)))
        metrics.pricedCycles += extra * 2
        metrics.cpuClockNanoseconds[cpu] += gap * Double(metrics.cpuClockNanoseconds.count) * 0.2 + latency
    }
}
