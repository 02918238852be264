import Testing
@testable import PVKernel
import PVTrace

/// A backend plus its ledger, driven call by call, for backend tests.
struct BackendRig {
    var backend: any Backend
    var ledger: Ledger

    init(_ id: BackendID, profile: String = "modern-2020", options: BackendOptions = BackendOptions(cpuCount: 4)) throws {
        let p = try CostProfile.load(profile)
        backend = try BackendFactory.make(id, profile: p, options: options)
        ledger = Ledger(descriptor: backend.descriptor)
    }

    mutating func call(_ op: PVOp, count: UInt32 = 1, arg: UInt64 = 0, cpu: Int = 0,
                       inInterrupt: Bool = false, cause: CallContext.IPICause = .none) {
        call(PVCall(op, count: count, arg: arg), cpu: cpu, inInterrupt: inInterrupt, cause: cause)
    }

    mutating func call(_ c: PVCall, cpu: Int = 0, inInterrupt: Bool = false, cause: CallContext.IPICause = .none) {
        backend.perform(c, CallContext(cpu: cpu, inInterrupt: inInterrupt, ipiCause: cause), &ledger)
    }

    mutating func finish() { backend.finish(&ledger) }

    /// Cycles charged by `body` alone.
    mutating func cost(_ body: (inout BackendRig) -> Void) -> Double {
        let before = ledger.cycles
        body(&self)
        return ledger.cycles - before
    }

    func count(_ transition: String) -> UInt64 {
        guard let id = backend.descriptor.transitionID(transition) else { return 0 }
        return ledger.transitionCounts[id]
    }

    var totalTransitions: UInt64 { ledger.transitionCounts.reduce(0, +) }

    func flushes(_ reason: String) -> UInt64 {
        guard let i = backend.descriptor.flushReasons.firstIndex(of: reason) else { return 0 }
        return ledger.flushReasonCounts[i]
    }

    var xen: XenPVBackend { backend as! XenPVBackend }
}

/// Recorded-style events through the one kernel and a real backend's engine.
func replay(_ events: [KernelEvent], on id: BackendID, profile: String = "modern-2020",
            options: BackendOptions = BackendOptions(cpuCount: 2)) throws -> (EngineMetrics, BackendDescriptor) {
    let parameters = try KernelParameters.load()
    let p = try CostProfile.load(profile)
    let backend = try BackendFactory.make(id, profile: p, options: options)
    var kernel = Kernel(parameters: parameters, cpuCount: options.cpuCount)
    let engine = makeEngine(backend: backend, profile: p, cpuCount: options.cpuCount)
    var out = Expansion()
    for (i, e) in events.enumerated() {
        kernel.expand(e, into: &out)
        engine.consume(e, out, step: RecordedStep(gapNanoseconds: 0, mode: .kernel), eventIndex: UInt64(i))
    }
    kernel.finish(into: &out)
    if !out.isEmpty { engine.consumeTrailing(out) }
    engine.finish()
    return (engine.snapshotMetrics(), engine.descriptor)
}

extension EngineMetrics {
    func count(_ transition: String, in d: BackendDescriptor) -> UInt64 {
        d.transitionID(transition).map { transitionCounts[$0] } ?? 0
    }
}

/// `sched_switch` bash → true, then `tlb_flush pages:-1 reason:flush on task switch (0)`.
let switchWithCR3: [KernelEvent] = [
    KernelEvent(timestampNanoseconds: 1_000, cpu: 0, pid: 2079, kind: .schedSwitch(prevPid: 2079, prevState: UInt8(ascii: "S"), nextPid: 2087)),
    KernelEvent(timestampNanoseconds: 1_001, cpu: 0, pid: 2087, kind: .tlbFlush(reason: .taskSwitch, pages: -1)),
]
