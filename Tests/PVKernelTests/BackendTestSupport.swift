import Testing
@testable import PVKernel

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
