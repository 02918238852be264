import Testing
@testable import PVKernel
import PVTrace

/// A backend for engine tests: 10 cycles per call, and one "HLT" exit of 1000 cycles per halt.
struct TenCyclesBackend: Backend {
    let descriptor = BackendDescriptor(id: .kvm, displayName: "test", transitions: [TransitionInfo(.vmExit, "HLT")])
    mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        if call.op == .safe_halt {
            ledger.transition(0, cycles: 1000 * Double(call.count), count: UInt64(call.count))
        } else {
            ledger.charge(10 * Double(call.count))
        }
    }
    mutating func finish(_ ledger: inout Ledger) {}
}

/// Drives a kernel and one engine over events, handing each the recorded gap since its CPU's
/// previous event (bare metal: nothing removed) as execution in kernel mode.
struct EngineHarness {
    var kernel: Kernel
    let engine: any PricingEngine
    var last: [UInt64]
    var out = Expansion()
    var index: UInt64 = 0

    init(cpus: Int, start: UInt64 = 0, time: TimeCosts = .none, causality: CausalityCosts = .none,
         backend: some Backend = TenCyclesBackend()) {
        let parameters = try! KernelParameters.load()
        kernel = Kernel(parameters: parameters, cpuCount: cpus)
        // 1 GHz: one cycle is one nanosecond, so the arithmetic in the tests reads directly.
        let profile = CostProfile(name: "test", description: "", clockGHz: 1, ept: true, costs: [:], origin: "test")
        engine = makeEngine(backend: backend, profile: profile, cpuCount: cpus, time: time, causality: causality)
        last = Array(repeating: start, count: cpus)
    }

    mutating func feed(_ events: [KernelEvent], mode: ExecutionMode = .kernel) {
        for e in events {
            let cpu = Int(e.cpu)
            let gap = Double(e.timestampNanoseconds - last[cpu])
            last[cpu] = e.timestampNanoseconds
            kernel.expand(e, into: &out)
            index += 1
            engine.consume(e, out, step: RecordedStep(gapNanoseconds: gap, mode: mode), eventIndex: index)
        }
    }

    var metrics: EngineMetrics { engine.snapshotMetrics() }
}

@Suite struct EngineTests {
    @Test func clockAdvancesByRecordedGapPlusPricedCost() {
        var h = EngineHarness(cpus: 1, start: 1_000)
        h.feed([
            KernelEvent(timestampNanoseconds: 1_000, cpu: 0, pid: 1, kind: .syscallEnter(number: 0)),
            KernelEvent(timestampNanoseconds: 3_000, cpu: 0, pid: 1, kind: .syscallExit(number: 0, returnValue: 0)),
        ])
        let m = h.metrics
        // enter: syscall_entry + save_fl + irq_disable + irq_enable = 4 calls; exit: 1 call.
        #expect(m.ops == 5)
        #expect(m.simulatedNanoseconds == 2_000 + 50)
        #expect(m.count(of: .syscall) == 1)
        // One sample from enter (before its ops) to exit (after its ops): the gap and 50 ns of ops.
        #expect(m.latency(of: .syscall).totalCount == 1)
        #expect(abs(Double(m.latency(of: .syscall).max) - 2_050) <= 2_050 * 0.01) // 2 significant digits
        #expect(m.opCounts[Int(PVOp.syscall_entry.rawValue)] == 1)
        #expect(m.opCycles[Int(PVOp.usergs_sysret64.rawValue)] == 10)
    }

    @Test func transitionsAreCountedByName() {
        var h = EngineHarness(cpus: 1)
        h.feed([
            KernelEvent(timestampNanoseconds: 10, cpu: 0, pid: 5, kind: .schedSwitch(prevPid: 5, prevState: 0, nextPid: 0)),
            KernelEvent(timestampNanoseconds: 20, cpu: 0, pid: 0, kind: .cpuIdle(state: 1, cpuID: 0)),
        ])
        let m = h.metrics
        #expect(m.transitionCounts == [1])
        #expect(m.transitions(of: .vmExit, in: h.engine.descriptor) == 1)
        #expect(m.count(of: .idle) == 1)
    }

    @Test func perCPUClocksAreIndependentWithoutCrossCPUEvents() {
        var h = EngineHarness(cpus: 2)
        h.feed([
            KernelEvent(timestampNanoseconds: 100, cpu: 0, pid: 1, kind: .msrWrite(msr: 0x6e0, value: 1)),
            KernelEvent(timestampNanoseconds: 5_000, cpu: 1, pid: 2, kind: .msrWrite(msr: 0x6e0, value: 1)),
        ])
        let m = h.metrics
        #expect(m.cpuClockNanoseconds == [110, 5_010])
        #expect(m.simulatedNanoseconds == 5_010)
    }
}
