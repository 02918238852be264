/// What a CPU was doing during a recorded gap between two of its events: decides which
/// time-proportional rates apply to that stretch of time.
public enum ExecutionMode: Int, Sendable, CaseIterable {
    case user = 0, kernel = 1, idle = 2
}

/// The host's page size behind a guest under two-dimensional paging: it sets how many
/// references a nested walk makes (`--host-pages`).
public enum HostPageSize: String, Sendable, CaseIterable, Codable {
    case k4 = "4k", m2 = "2m"
}

/// How an engine translates guest virtual addresses, which decides what a TLB miss costs.
public enum PagingMode: String, Sendable {
    /// Bare metal: the one-dimensional walk already in the recorded time.
    case native
    /// EPT / NPT: each guest reference is itself translated by a host walk.
    case twoDimensional = "2d"
    /// The hypervisor keeps shadow tables that the hardware walks in one dimension.
    case shadow
    /// Xen PV direct paging: the guest's tables are the hardware's (validated by Xen).
    case direct
}

/// The costs that grow with simulated execution time rather than with events, resolved once
/// from the profile for one engine (the hot path reads three doubles, never a dictionary):
/// - extra TLB-miss cost per nanosecond of user / kernel execution (misses/µs × extra cycles
///   per miss under this engine's paging, over the native walk already in the recorded gaps);
/// - the indirect cost of each world switch (caches refilled; the TLB too when the switch
///   flushes it: VM entry without VPID, lguest's Switcher loading a new CR3).
public struct TimeCosts: Sendable, Equatable {
    public var paging: PagingMode
    /// Extra simulated ns per ns of recorded execution, indexed by `ExecutionMode.rawValue`.
    public var overheadPerNanosecond: [Double]
    /// Cycles added per transition (hypercall, VM exit, trap, ROM call) beyond its direct cost.
    public var indirectCyclesPerTransition: Double
    /// Whether a transition flushes the guest's TLB (its refill is in the indirect cost).
    public var flushesTLBOnTransition: Bool

    public static let none = TimeCosts(paging: .native, overheadPerNanosecond: [0, 0, 0],
                                       indirectCyclesPerTransition: 0, flushesTLBOnTransition: false)

    public init(paging: PagingMode, overheadPerNanosecond: [Double], indirectCyclesPerTransition: Double,
                flushesTLBOnTransition: Bool) {
        self.paging = paging; self.overheadPerNanosecond = overheadPerNanosecond
        self.indirectCyclesPerTransition = indirectCyclesPerTransition; self.flushesTLBOnTransition = flushesTLBOnTransition
    }

    /// The profile entries these costs read (every profile must have them; `pvtop model --costs` lists them).
    public static let cycleKeys = [
        "tlb.cycles_per_walk_reference", "kvm.exit.indirect_cycles", "xen.transition.indirect_cycles",
        "vmi.transition.indirect_cycles", "lguest.transition.indirect_cycles",
    ]
    public static let quantityKeys = [
        "tlb.misses_per_us.user", "tlb.misses_per_us.kernel", "tlb.walk_references.native", "tlb.walk_references.shadow",
        "tlb.walk_references.2d_host_4k", "tlb.walk_references.2d_host_2m", "tlb.entries_refilled_after_flush",
    ]
    public static let flagKeys = ["kvm.vpid", "lguest.transition_flushes_tlb"]

    /// The costs of the engine `id` (with EPT or not) on `profile`; `hostPages` matters only
    /// under two-dimensional paging.
    public init(backend id: BackendID, ept: Bool, profile: CostProfile, hostPages: HostPageSize) throws {
        guard id != .native else { self = .none; return }
        let nativeRefs = try profile.quantity("tlb.walk_references.native")
        let cyclesPerRef = try profile.cycles("tlb.cycles_per_walk_reference")
        let paging: PagingMode
        let transitionKey: String
        var flushes = false
        switch id {
        case .xenPV:
            paging = .direct; transitionKey = "xen.transition.indirect_cycles"
        case .vmi:
            paging = .shadow; transitionKey = "vmi.transition.indirect_cycles"
        case .lguest:
            paging = .shadow; transitionKey = "lguest.transition.indirect_cycles"
            flushes = try profile.flag("lguest.transition_flushes_tlb")
        default:
            // KVM, and any hardware-assisted backend added later: VT-x exits, EPT or shadow.
            paging = ept ? .twoDimensional : .shadow; transitionKey = "kvm.exit.indirect_cycles"
            flushes = try !profile.flag("kvm.vpid")
        }
        let refs: Double
        switch paging {
        case .twoDimensional:
            refs = try profile.quantity(hostPages == .k4 ? "tlb.walk_references.2d_host_4k" : "tlb.walk_references.2d_host_2m")
        case .shadow:
            refs = try profile.quantity("tlb.walk_references.shadow")
        case .native, .direct:
            refs = nativeRefs
        }
        let extraCyclesPerMiss = max(refs - nativeRefs, 0) * cyclesPerRef
        // misses/µs × cycles/miss = cycles per µs; / (GHz × 1000) = ns per ns.
        let perNs = { (key: String) throws -> Double in
            try profile.quantity(key) * extraCyclesPerMiss / (profile.clockGHz * 1000)
        }
        let refill = flushes ? try profile.quantity("tlb.entries_refilled_after_flush") * refs * cyclesPerRef : 0
        self.init(paging: paging,
                  overheadPerNanosecond: [try perNs("tlb.misses_per_us.user"), try perNs("tlb.misses_per_us.kernel"), 0],
                  indirectCyclesPerTransition: try profile.cycles(transitionKey) + refill,
                  flushesTLBOnTransition: flushes)
    }
}

/// What an engine needs to carry time between CPUs.
public struct CausalityCosts: Sendable, Equatable {
    /// Wire latency of an IPI or a cross-CPU wakeup beyond the priced send and receive ops.
    public var deliveryNanoseconds: Double
    /// Chance that the target vCPU is preempted by the host when an IPI or wakeup reaches it
    /// (`--overcommit`); 0 for native.
    public var preemptionChance: Double
    /// How long a preempted vCPU waits for the host to run it again.
    public var preemptedDelayNanoseconds: Double

    public static let none = CausalityCosts(deliveryNanoseconds: 0, preemptionChance: 0, preemptedDelayNanoseconds: 0)

    public init(deliveryNanoseconds: Double, preemptionChance: Double, preemptedDelayNanoseconds: Double) {
        self.deliveryNanoseconds = deliveryNanoseconds; self.preemptionChance = preemptionChance
        self.preemptedDelayNanoseconds = preemptedDelayNanoseconds
    }

    public static let profileKeys = ["ipi.delivery_cycles", "kvm.wait_preempted_vcpu"]

    public init(backend id: BackendID, profile: CostProfile, overcommit: Double) throws {
        self.init(deliveryNanoseconds: profile.nanoseconds(cycles: try profile.cycles("ipi.delivery_cycles")),
                  preemptionChance: id == .native ? 0 : overcommit,
                  preemptedDelayNanoseconds: profile.nanoseconds(cycles: try profile.cycles("kvm.wait_preempted_vcpu")))
    }
}
