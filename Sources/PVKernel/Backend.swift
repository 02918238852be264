/// A pv_ops backend: prices each `PVCall` the kernel makes, in its own context (lazy modes,
/// batch queues, pv features, the CPU cost profile). One backend per file, whose heart is a
/// table op → action with the source of each row.
///
/// Backends never see trace events (the paravirt-ops split: one kernel, pluggable hypervisor interface): only ops and the `CallContext`.
public protocol Backend {
    /// Name, display label and the transitions (hypercalls / exits / ROM calls) it can emit.
    var descriptor: BackendDescriptor { get }
    /// Price one call (`call.count` repetitions) into the ledger.
    mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger)
    /// End of input: flush whatever is still queued (counted with reason "end").
    mutating func finish(_ ledger: inout Ledger)
}

public enum BackendID: String, Sendable, CaseIterable, Codable {
    case native
    case xenPV = "xen-pv"
    case vmi
    case kvm
    case lguest
    /// VirtualBox 5.0+ on VT-x with nested paging, through its KVM paravirtualization provider.
    case vbox

    /// The guest kernel each backend's pv_ops serve: VMI and lguest existed only for i386
    /// 2.6.2x kernels (VMI removed in 2.6.37, lguest i386-only until its removal in 4.14).
    public var guestKernel: GuestKernel {
        switch self {
        case .vmi, .lguest: return .i386_2_6
        default: return .x86_64
        }
    }
}

public enum TransitionKind: String, Sendable, CaseIterable, Codable {
    /// A hypercall (Xen, lguest `int $0x1f`, KVM `vmcall` counted under `.vmExit`).
    case hypercall
    /// A VM exit (KVM), by exit reason.
    case vmExit = "vm_exit"
    /// A call into VMware's VMI ROM.
    case romCall = "rom_call"
    /// A privileged instruction or page-table write trapped and emulated by the hypervisor.
    case trap
}

public struct TransitionInfo: Sendable, Equatable {
    public var kind: TransitionKind
    /// As the hypervisor names it: `mmu_update`, `EXIT_REASON_HLT` as `HLT`, `LHCALL_SET_PTE`.
    public var name: String
    public init(_ kind: TransitionKind, _ name: String) { self.kind = kind; self.name = name }
}

public typealias TransitionID = Int

public struct BackendDescriptor: Sendable {
    public var id: BackendID
    /// `xen-pv`, `kvm (vtx-2006, shadow)`, …
    public var displayName: String
    /// Transition ids index this table.
    public var transitions: [TransitionInfo]
    /// Batch flush reasons (`full-slots`, `full-args`, `lazy-leave`, …) for batching backends;
    /// empty where the backend does not batch.
    public var flushReasons: [String]
    /// The toggles in force, shown in the dashboard and the CSV header (`pv_tlb_flush=on`).
    public var settings: [(key: String, value: String)]

    public init(id: BackendID, displayName: String, transitions: [TransitionInfo],
                flushReasons: [String] = [], settings: [(key: String, value: String)] = []) {
        self.id = id; self.displayName = displayName; self.transitions = transitions
        self.flushReasons = flushReasons; self.settings = settings
    }

    public func transitionID(_ name: String) -> TransitionID? {
        transitions.firstIndex { $0.name == name }
    }

    /// The id of a transition the backend's own code names; a name missing from its table is
    /// a programming error reported at construction, never a trap mid-replay.
    public func requiredTransitionID(_ name: String) throws -> TransitionID {
        guard let id = transitionID(name) else { throw MissingTransition(backend: id.rawValue, name: name) }
        return id
    }
}

public struct MissingTransition: Error, CustomStringConvertible {
    public var backend: String
    public var name: String
    public var description: String { "\(backend): no transition named \"\(name)\" in its table" }
}

/// Where a call is made from: backends may price by it, never by event.
public struct CallContext: Sendable, Equatable {
    public var cpu: Int
    /// In interrupt context, `paravirt_get_lazy_mode()` reports NONE: nothing batches.
    public var inInterrupt: Bool
    /// Why this interrupt handler runs, when the kernel knows it is the receiving half of
    /// another CPU's pv op (Xen PV's `flush_tlb_multi` is one MMUEXT: no IPI reaches a guest).
    public var ipiCause: IPICause

    public init(cpu: Int, inInterrupt: Bool = false, ipiCause: IPICause = .none) {
        self.cpu = cpu; self.inInterrupt = inInterrupt; self.ipiCause = ipiCause
    }

    public enum IPICause: UInt8, Sendable {
        case none
        /// The handler of a TLB-shootdown IPI sent by another CPU's `flush_tlb_multi`.
        case tlbShootdown
        /// A reschedule or call-function IPI sent by `send_ipi`.
        case ipi
    }
}

/// Settings every backend may read (from the command line and the dashboard's toggles).
public struct BackendOptions: Sendable, Equatable {
    public var cpuCount: Int
    /// Chance that a target vCPU is preempted by the host (what pv TLB flush, pv IPI and
    /// pv spinlocks exist for). 0 = a dedicated host.
    public var overcommit: Double
    /// KVM pv features that are on (default: all).
    public var kvmFeatures: Set<KVMFeature>
    /// nil = the profile's default (EPT where the CPU generation has it).
    public var ept: Bool?
    /// Xen PV multicall batching and VMI/lguest deferred modes (off = every call issued alone).
    public var batching: Bool
    /// APIC virtualization with posted interrupts (VT-x APICv); nil = the profile's CPU decides.
    /// With it, EOIs and IPIs to a running vCPU need no exit and PV EOI is inert.
    public var apicv: Bool?

    public init(cpuCount: Int, overcommit: Double = 0, kvmFeatures: Set<KVMFeature> = Set(KVMFeature.allCases),
                ept: Bool? = nil, batching: Bool = true, apicv: Bool? = nil) {
        self.cpuCount = cpuCount; self.overcommit = overcommit; self.kvmFeatures = kvmFeatures
        self.ept = ept; self.batching = batching; self.apicv = apicv
    }
}

/// KVM's paravirtual features (arch/x86/include/uapi/asm/kvm_para.h KVM_FEATURE_*).
public enum KVMFeature: String, Sendable, CaseIterable, Codable, Comparable {
    case kvmclock, steal_time, pv_tlb_flush, pv_ipi, pv_eoi, pv_spinlocks, haltpoll
    public static func < (a: KVMFeature, b: KVMFeature) -> Bool { a.rawValue < b.rawValue }
}

/// The running account an engine keeps: cycles of the current segment, transition counts,
/// batch statistics. Backends write to it; the engine reads and resets `cycles`.
public struct Ledger {
    /// Cycles charged since the engine last reset it (one event segment).
    public var cycles: Double = 0
    public private(set) var transitionCounts: [UInt64]
    public private(set) var transitionCycles: [Double]
    /// Batch (multicall / deferred queue / async ring) sizes at flush: index = entries.
    public private(set) var batchSizes: [UInt64]
    public private(set) var flushReasonCounts: [UInt64]
    public private(set) var batchedEntries: UInt64 = 0
    /// Transitions of every kind so far (the engine charges each one's indirect cost).
    public private(set) var transitionTotal: UInt64 = 0
    /// The CPU the engine is pricing for (it sets this before each event), and transitions by
    /// CPU: index cpu × transitions + id, grown on a CPU's first transition.
    public var cpu = 0
    public private(set) var cpuTransitionCounts: [UInt64] = []
    private var random: SplitMix64

    public static let maxBatchSize = 64

    public init(descriptor: BackendDescriptor, seed: UInt64 = 0x5eed) {
        transitionCounts = Array(repeating: 0, count: descriptor.transitions.count)
        transitionCycles = Array(repeating: 0, count: descriptor.transitions.count)
        batchSizes = Array(repeating: 0, count: Ledger.maxBatchSize + 1)
        flushReasonCounts = Array(repeating: 0, count: descriptor.flushReasons.count)
        random = SplitMix64(seed: seed)
    }

    @inline(__always)
    public mutating func charge(_ cycles: Double) { self.cycles += cycles }

    /// One transition (hypercall, exit, ROM call, trap) costing `cycles` in all.
    @inline(__always)
    public mutating func transition(_ id: TransitionID, cycles: Double, count: UInt64 = 1) {
        transitionCounts[id] &+= count
        transitionTotal &+= count
        let slot = cpu &* transitionCounts.count &+ id
        if slot >= cpuTransitionCounts.count { growCPUCounts(to: slot) }
        cpuTransitionCounts[slot] &+= count
        transitionCycles[id] += cycles
        self.cycles += cycles
    }

    private mutating func growCPUCounts(to slot: Int) {
        let n = max(transitionCounts.count, 1)
        cpuTransitionCounts.append(contentsOf: repeatElement(0, count: (slot / n + 1) * n - cpuTransitionCounts.count))
    }

    /// A batch of `entries` calls flushed for `reason` (index into `flushReasons`).
    public mutating func batchFlushed(entries: Int, reason: Int) {
        batchSizes[min(entries, Ledger.maxBatchSize)] &+= 1
        flushReasonCounts[reason] &+= 1
        batchedEntries &+= UInt64(entries)
    }

    /// A deterministic coin: the engine reseeds it per event, so every engine draws the same
    /// sequence for the same event.
    public mutating func chance(_ probability: Double) -> Bool {
        probability > 0 && random.nextUnit() < probability
    }

    public mutating func reseed(_ seed: UInt64) { random = SplitMix64(seed: seed) }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, reproducible.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
