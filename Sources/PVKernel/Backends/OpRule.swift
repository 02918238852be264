/// What a backend does for one pv op: the row of its op → action table.
///
/// The same rows price calls (through `PricedRules`) and print the coverage document
/// (`ModelCoverage`), so the documentation cannot drift from the model.
public struct OpRule: Sendable {
    /// Cost class: what kind of step the op takes.
    public enum Kind: String, Sendable, CaseIterable {
        /// A native instruction or plain code: no transition.
        case instruction = "I"
        /// A read or write of memory shared with the hypervisor (vcpu_info, lguest_data, steal_time).
        case memory = "M"
        /// A hypercall issued on its own.
        case hypercall = "H"
        /// Queued into the backend's batch (multicall / deferred queue / async ring) when lazy.
        case batched = "B"
        /// A call into VMware's VMI ROM.
        case romCall = "R"
        /// A VM exit.
        case vmExit = "X"
        /// A privileged instruction or page-table write trapped and emulated, or a guest event
        /// bounced through the hypervisor.
        case trap = "T"
        /// Nothing at all (paravirt_nop).
        case nop = "-"
        /// The kernel this backend supports never makes this call; priced as nothing if it does.
        case neverSeen = "n/a"
    }

    public var kind: Kind
    /// What happens, in the hypervisor's words (`mmuext MMUEXT_NEW_BASEPTR`, `VMCALL KICK_CPU`).
    public var action: String
    /// The transition counted when the call is issued (hypercall / exit reason / ROM call name).
    public var transition: String?
    /// Profile key of the cycles charged per call; nil = free.
    public var costKey: String?
    /// Whether lazy mode can queue it.
    public var batched: Bool
    /// Where the fact comes from: file + function in Linux or the hypervisor, or the paper.
    public var source: String
    /// What happens when the call is made, run by the shared `ActionInterpreter` for every
    /// backend: `.asWritten` (cost + its one transition) unless the row says more (by MSR
    /// number, per target, depending on a pv feature or the lazy mode, queued into the batch);
    /// custom code only as an `Action.exception` that names its function.
    public var does: Action = .asWritten

    public init(_ kind: Kind, _ action: String, cost costKey: String? = nil, transition: String? = nil,
                batched: Bool = false, source: String) {
        self.kind = kind; self.action = action; self.costKey = costKey; self.transition = transition
        self.batched = batched; self.source = source
    }

    /// What this row does when made, when it is more than its cost and one transition.
    public func does(_ action: Action) -> OpRule {
        var r = self
        r.does = action
        return r
    }

    /// The transitions this row can emit, derived from its action (custom code declares its own).
    public func emittable(in table: [PVOp: OpRule]) -> Set<String> {
        does.transitions(own: transition, table: table)
    }

    public static func never(_ why: String) -> OpRule {
        OpRule(.neverSeen, "never seen by this backend", source: why)
    }
}

/// A backend whose heart is a table op → rule.
public protocol RuleTableBackend: Backend {
    static var id: BackendID { get }
    /// The table: every `PVOp` has a row (tested).
    static var rules: [PVOp: OpRule] { get }
    /// The transition that carries a flushed batch of several entries (`multicall`), if the
    /// backend batches: a `.batched` row emits its own transition when issued alone, this one
    /// when flushed with others.
    static var batchTransition: String? { get }
}

extension RuleTableBackend {
    public static var batchTransition: String? { nil }
}

extension RuleTableBackend {
    /// The rule of `op`; the table is total (tested), so a missing row is a programming error.
    public static func rule(_ op: PVOp) -> OpRule {
        guard let r = rules[op] else { preconditionFailure("\(Self.self) has no rule for \(op)") }
        return r
    }
}

/// Rules resolved against one profile and one descriptor: cycles and transition id per op,
/// indexed by `PVOp.rawValue`, so pricing a plain op is two array loads.
struct PricedRules {
    private(set) var cycles: [Double]
    private(set) var transition: [Int]

    /// `overhead` adds a per-kind base cost (e.g. the hypercall round trip to every `.hypercall` row).
    init(rules: [PVOp: OpRule], profile: CostProfile, descriptor: BackendDescriptor,
         overhead: [OpRule.Kind: Double] = [:]) throws {
        let n = Int(PVOp.allCases.map(\.rawValue).max()!) + 1
        cycles = Array(repeating: 0, count: n)
        transition = Array(repeating: -1, count: n)
        for (op, rule) in rules {
            if let key = rule.costKey { cycles[Int(op.rawValue)] = try profile.cycles(key) }
            if rule.transition != nil { cycles[Int(op.rawValue)] += overhead[rule.kind] ?? 0 }
            if let t = rule.transition {
                transition[Int(op.rawValue)] = try descriptor.requiredTransitionID(t)
            }
        }
    }

    /// Price `call` exactly as its table row says (`count` separate calls).
    @inline(__always)
    func price(_ call: PVCall, _ ledger: inout Ledger) {
        price(call.op, count: call.count, &ledger)
    }

    @inline(__always)
    func price(_ op: PVOp, count: UInt32, _ ledger: inout Ledger) {
        let i = Int(op.rawValue)
        let c = cycles[i] * Double(count)
        let t = transition[i]
        if t >= 0 { ledger.transition(t, cycles: c, count: UInt64(count)) } else { ledger.charge(c) }
    }

    @inline(__always) func cycles(of op: PVOp) -> Double { cycles[Int(op.rawValue)] }
}

/// Transition names a table uses, in first-seen op order, then `extra` (state-machine only).
func transitionNames(_ rules: [PVOp: OpRule], extra: [String] = []) -> [String] {
    var seen: [String] = []
    for op in PVOp.allCases {
        if let t = rules[op]?.transition, !seen.contains(t) { seen.append(t) }
    }
    for t in extra where !seen.contains(t) { seen.append(t) }
    return seen
}

/// Well-known MSR numbers the kernel model and the backends recognise
/// (arch/x86/include/asm/msr-index.h, apicdef.h).
public enum MSR {
    public static let fsBase: UInt64 = 0xc000_0100
    public static let gsBase: UInt64 = 0xc000_0101
    public static let kernelGSBase: UInt64 = 0xc000_0102
    public static let star: UInt64 = 0xc000_0081
    public static let lstar: UInt64 = 0xc000_0082
    public static let cstar: UInt64 = 0xc000_0083
    public static let syscallMask: UInt64 = 0xc000_0084
    public static let sysenterCS: UInt64 = 0x174
    public static let sysenterESP: UInt64 = 0x175
    public static let sysenterEIP: UInt64 = 0x176
    public static let tscDeadline: UInt64 = 0x6e0
    public static let x2apicICR: UInt64 = 0x830
    public static let x2apicEOI: UInt64 = 0x80b
    public static let tsc: UInt64 = 0x10

    /// msr-index.h's name of a well-known MSR, for the coverage document.
    public static func name(_ msr: UInt64) -> String {
        switch msr {
        case fsBase: return "FS_BASE"
        case gsBase: return "GS_BASE"
        case kernelGSBase: return "KERNEL_GS_BASE"
        case star: return "STAR"
        case lstar: return "LSTAR"
        case cstar: return "CSTAR"
        case syscallMask: return "SYSCALL_MASK"
        case sysenterCS: return "SYSENTER_CS"
        case sysenterESP: return "SYSENTER_ESP"
        case sysenterEIP: return "SYSENTER_EIP"
        case tscDeadline: return "TSC_DEADLINE"
        case x2apicICR: return "x2APIC ICR"
        case x2apicEOI: return "x2APIC EOI"
        case tsc: return "TSC"
        default: return "0x" + String(msr, radix: 16)
        }
    }
}

/// Per-CPU lazy mode (paravirt_lazy_mode: arch/x86/kernel/paravirt.c), shared by the batching backends.
public enum LazyMode: Sendable, Equatable { case none, mmu, cpu }

