import Histogram
import PVDashboard
import PVKernel
import PVReplay
import PVTrace

/// Hand-built engines with known numbers, so widget tests can assert exact lines.
enum Fixtures {
    static let xenDescriptor = BackendDescriptor(
        id: .xenPV, displayName: "xen-pv",
        transitions: [TransitionInfo(.hypercall, "mmu_update"), TransitionInfo(.hypercall, "mmuext_op"),
                      TransitionInfo(.hypercall, "multicall"), TransitionInfo(.trap, "pte_write")],
        flushReasons: ["full-slots", "lazy-leave", "end"],
        settings: [("batching", "on")])

    static let kvmDescriptor = BackendDescriptor(
        id: .kvm, displayName: "kvm (vt-x, ept)",
        transitions: [TransitionInfo(.vmExit, "MSR_WRITE"), TransitionInfo(.vmExit, "HLT")],
        settings: [("pv_eoi", "on"), ("pv_ipi", "off")])

    static func metrics(_ d: BackendDescriptor, events: UInt64 = 1000, transitions: [UInt64] = [],
                        cyclesPerTransition: [Double] = [], latencies: [EventClass: [UInt64]] = [:],
                        nanoseconds: Double = 1_000_000) -> EngineMetrics {
        var m = EngineMetrics(cpuCount: 1, transitionCount: d.transitions.count, flushReasonCount: d.flushReasons.count)
        m.events = events
        m.ops = events * 4
        for (i, n) in transitions.enumerated() {
            m.transitionCounts[i] = n
            if i < cyclesPerTransition.count { m.transitionCycles[i] = Double(n) * cyclesPerTransition[i] }
        }
        for (c, values) in latencies {
            let k = EventClass.allCases.firstIndex(of: c)!
            for v in values { m.latency[k].record(v); m.classCounts[k] += 1 }
        }
        m.cpuClockNanoseconds[0] = nanoseconds
        return m
    }

    static func native(events: UInt64 = 1000, latencies: [EventClass: [UInt64]] = [:]) -> EngineSnapshot {
        let d = BackendDescriptor(id: .native, displayName: "native", transitions: [])
        return EngineSnapshot(descriptor: d, metrics: metrics(d, events: events, latencies: latencies), slowdown: 1)
    }

    /// Cycles per transition: the rare trap is the dearest, so ranking by time and by count differ
    /// (pte_write is 5 % of the count and 38 % of the cycles).
    static let xenCycles: [Double] = [500, 1000, 1000, 8000]

    static func xen(transitions: [UInt64] = [600, 250, 100, 50], slowdown: Double = 1.37,
                    latencies: [EventClass: [UInt64]] = [:]) -> EngineSnapshot {
        var m = metrics(xenDescriptor, transitions: transitions, cyclesPerTransition: xenCycles, latencies: latencies,
                        nanoseconds: 1_370_000)
        m.batchSizes[1] = 10; m.batchSizes[3] = 20; m.batchSizes[12] = 5
        m.flushReasonCounts = [5, 25, 5]
        m.batchedEntries = 10 + 60 + 60
        return EngineSnapshot(descriptor: xenDescriptor, metrics: m, slowdown: slowdown)
    }

    static func kvm(transitions: [UInt64] = [300, 100], slowdown: Double = 1.04) -> EngineSnapshot {
        EngineSnapshot(descriptor: kvmDescriptor, metrics: metrics(kvmDescriptor, transitions: transitions,
                                                                    cyclesPerTransition: [1000, 6000], nanoseconds: 1_040_000),
                       slowdown: slowdown)
    }

    static func snapshot(engines: [EngineSnapshot], position: UInt64 = 212_000_000, duration: UInt64? = 334_000_000,
                         finished: Bool = false) -> Snapshot {
        Snapshot(trace: TraceInfo(name: "compile.trace", cpuCount: 2, durationNanoseconds: duration),
                 positionNanoseconds: position, eventsReplayed: 1000, profileName: "modern-2020",
                 engines: engines, diagnostics: TraceDiagnostics(), finished: finished)
    }

    /// A synthetic replay advanced `seconds` into its (synthetic) trace.
    static func preview(seconds: Double, configuration: ReplayConfiguration = ReplayConfiguration(options: BackendOptions(cpuCount: 2)))
        -> (PreviewReplay, Snapshot) {
        let r = PreviewReplay(configuration: configuration, durationNanoseconds: 10_000_000_000, eventsPerSecond: 5_000)
        try! r.advance(toTraceTime: UInt64(seconds * 1e9), eventBudget: Int.max)
        return (r, r.snapshot())
    }

    /// `widget` drawn into a fresh `width`×`height` buffer.
    static func render(_ widget: some Widget, _ width: Int, _ height: Int) -> CellBuffer {
        var b = CellBuffer(width: width, height: height)
        widget.render(b.area, into: &b)
        return b
    }

    static func state(_ configure: (inout DashboardState) -> Void = { _ in }) -> DashboardState {
        var s = DashboardState(configuration: ReplayConfiguration(options: BackendOptions(cpuCount: 2)),
                               profiles: ["modern-2020", "vtx-2006"])
        _ = s.observe(snapshot(engines: [native(), xen(), kvm()]))
        configure(&s)
        return s
    }
}
