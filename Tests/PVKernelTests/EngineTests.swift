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

@Suite struct EngineTests {
    let parameters = try! KernelParameters.load()
    // 1 GHz: one cycle is one nanosecond, so the arithmetic below reads directly.
    let profile = CostProfile(name: "test", description: "", clockGHz: 1, ept: true, costs: [:], origin: "test")

    @Test func clockAdvancesByRecordedGapPlusPricedCost() {
        var kernel = Kernel(parameters: parameters, cpuCount: 1)
        let engine = Engine(backend: TenCyclesBackend(), profile: profile, parameters: parameters, cpuCount: 1, traceStart: 1_000)
        var out = Expansion()
        let events = [
            KernelEvent(timestampNanoseconds: 1_000, cpu: 0, pid: 1, kind: .syscallEnter(number: 0)),
            KernelEvent(timestampNanoseconds: 3_000, cpu: 0, pid: 1, kind: .syscallExit(number: 0, returnValue: 0)),
        ]
        for (i, e) in events.enumerated() {
            kernel.expand(e, into: &out)
            engine.consume(e, out, eventIndex: UInt64(i))
        }
        let m = engine.snapshotMetrics()
        // enter: syscall_entry + save_fl + irq_disable + irq_enable = 4 calls; exit: 1 call.
        #expect(m.ops == 5)
        #expect(m.simulatedNanoseconds == 2_000 + 50)
        #expect(m.count(of: .syscall) == 1)
        // One sample from enter to exit: 50 ns of ops + the kernel-work term.
        let work = parameters.value("work_ns.syscall")
        #expect(m.latency(of: .syscall).max == UInt64(50 + work))
        #expect(m.opCounts[Int(PVOp.syscall_entry.rawValue)] == 1)
        #expect(m.opCycles[Int(PVOp.usergs_sysret64.rawValue)] == 10)
    }

    @Test func transitionsAreCountedByName() {
        var kernel = Kernel(parameters: parameters, cpuCount: 1)
        let engine = Engine(backend: TenCyclesBackend(), profile: profile, parameters: parameters, cpuCount: 1, traceStart: 0)
        var out = Expansion()
        for (i, e) in [
            KernelEvent(timestampNanoseconds: 10, cpu: 0, pid: 5, kind: .schedSwitch(prevPid: 5, prevState: 0, nextPid: 0)),
            KernelEvent(timestampNanoseconds: 20, cpu: 0, pid: 0, kind: .cpuIdle(state: 1, cpuID: 0)),
        ].enumerated() {
            kernel.expand(e, into: &out)
            engine.consume(e, out, eventIndex: UInt64(i))
        }
        let m = engine.snapshotMetrics()
        #expect(m.transitionCounts == [1])
        #expect(m.transitions(of: .vmExit, in: engine.descriptor) == 1)
        #expect(m.count(of: .idle) == 1)
    }

    @Test func perCPUClocksAreIndependent() {
        var kernel = Kernel(parameters: parameters, cpuCount: 2)
        let engine = Engine(backend: TenCyclesBackend(), profile: profile, parameters: parameters, cpuCount: 2, traceStart: 0)
        var out = Expansion()
        for (i, e) in [
            KernelEvent(timestampNanoseconds: 100, cpu: 0, pid: 1, kind: .msrWrite(msr: 0x6e0, value: 1)),
            KernelEvent(timestampNanoseconds: 5_000, cpu: 1, pid: 2, kind: .msrWrite(msr: 0x6e0, value: 1)),
        ].enumerated() {
            kernel.expand(e, into: &out)
            engine.consume(e, out, eventIndex: UInt64(i))
        }
        let m = engine.snapshotMetrics()
        #expect(m.cpuClockNanoseconds == [110, 5_010])
        #expect(m.simulatedNanoseconds == 5_010)
    }
}
