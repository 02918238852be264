/// What happens when the kernel makes one pv op call: the behaviour of a row of a backend's
/// op table, run for every backend by one interpreter (`ActionInterpreter`).
///
/// A row's `kind`, `costKey` and `transition` say what the op *is* (a hypercall, an exit by
/// reason, a ROM call …); its action says what happens when it is made, composed from the
/// steps Linux and the hypervisors take: priced as written, by MSR number, per target, per
/// page, depending on a pv feature or the lazy mode, queued into the backend's batch with
/// its flush rule. Custom code is a named exception (`exception`), the rare case no
/// composition says well.
public indirect enum Action: Sendable {
    /// The row as written: its cost and its one transition (plus the backend's round trip for
    /// that kind of row), issued alone.
    case asWritten
    /// Priced as another row of the same table is written (the local flush of a shootdown is
    /// the backend's own `flush_tlb_user`).
    case row(PVOp)
    /// Cycles of a profile cost, no transition (a native instruction, a shared-memory access).
    case charge(String)
    /// One transition by name, costing a profile cost (a per-MSR exit, the fallback exit when
    /// a pv feature is off).
    case transition(String, cost: String)
    /// Cycles of a profile cost billed to a transition already counted, without another one
    /// (the wait for shootdown acks is part of the IPI's ROM call).
    case billedTo(String, cost: String)
    /// Nothing at all.
    case nothing
    /// The steps in order.
    case sequence([Action])
    /// The step repeated.
    case repeated(Repeat, Action)
    /// One step or the other, decided by the call, the backend's settings or its state.
    case when(Condition, Action, otherwise: Action)
    /// By MSR number (`write_msr` / `read_msr` `arg`); MSRs not listed take `otherwise`.
    case byMSR([MSRCase], otherwise: Action)
    /// By the vector class of an interrupt (`interrupt_entry` `arg`: 0 timer, 1 IPI, 2 device).
    case byVector(timer: Action, ipi: Action, device: Action)
    /// A coin with this probability (deterministic per event, see `Ledger.chance`).
    case chance(Probability, Action, otherwise: Action)
    /// Queued into the backend's batch when the CPU is in this lazy mode (`nil`: any lazy mode)
    /// outside interrupt context with batching on; otherwise as written. The batch's own rule
    /// (`LazyBatch`) says what queueing costs and when it flushes.
    case deferred(in: LazyMode?)
    /// An entry appended to the backend's batch (a multicall entry), flushed first when the
    /// batch is full.
    case entry(BatchEntry)
    /// xen_mc_issue(mode): issue the batch for `reason` unless the CPU is in lazy `mode`
    /// (`.none`: always).
    case issue(unlessLazy: LazyMode, reason: String)
    /// TIF_LAZY_MMU_UPDATES: lazy MMU resumes after the context switch that interrupted it.
    case resumeLazyMMUAfterSwitch
    /// Enter a lazy mode (paravirt_enter_lazy_mmu / paravirt_start_context_switch).
    case enterLazy(LazyMode)
    /// Flush the batch for `reason` (a name of the backend's `flushReasons`) and leave lazy mode.
    case leaveLazy(reason: String)
    /// Flush the batch for `reason`, staying in the lazy mode.
    case flushBatch(reason: String)
    /// exit_mmap … pgd_free: the mm is torn down with `fullmm` set (no pte_update hook).
    case fullMMTeardown(begins: Bool)
    /// Custom code: the backend's function `name`, for the reason `why`, which may emit
    /// `emits`. The exception.
    case exception(String, why: String, emits: [String])

    /// When a step repeats.
    public enum Repeat: Sendable, Equatable {
        case times(Int)
        /// Once per target of `send_ipi` (`arg`, at least one).
        case ipiTargets
        /// Once per remote CPU of `flush_tlb_multi`.
        case shootdownTargets
        /// Once per page of a ranged `flush_tlb_multi`.
        case flushPages
        /// Once per 128-APIC-ID window of a `send_ipi` mask (KVM_IPI_CLUSTER_SIZE).
        case apicIDWindows
        /// Once per page-table page pinned / unpinned (`enter_mmap` / `exit_mmap` `arg`).
        case pageTablePages
        /// A profile quantity's times, at most `atMost`.
        case profileQuantity(String, atMost: Int)
    }

    /// A batch entry: the hypercall it carries, the argument bytes it reserves, the profile
    /// costs of its work, and whether it merges into a last entry of the same hypercall.
    public struct BatchEntry: Sendable {
        public var hypercall: String
        public var argBytes: Int
        public var work: [String]
        public var coalesces: Bool
        public init(_ hypercall: String, argBytes: Int = 0, work: [String], coalesces: Bool = false) {
            self.hypercall = hypercall; self.argBytes = argBytes; self.work = work; self.coalesces = coalesces
        }
    }

    public enum Condition: Sendable, Equatable {
        /// The calling CPU is in the `flush_tlb_multi` mask.
        case flushIncludesLocal
        /// A ranged `flush_tlb_multi` (pages > 0; a full flush has 0).
        case flushHasPages
        /// `flush_tlb_multi` has remote targets.
        case hasShootdownTargets
        /// `send_ipi` to more than one CPU (a mask rather than one target).
        case ipiToMask
        /// The CPU's lazy mode, as recorded (interrupt context and `--batching` aside).
        case inLazy(LazyMode)
        /// The lazy mode a call sees: NONE in interrupt context or with `--batching off`.
        case batchingIn(LazyMode)
        /// Between exit_mmap and pgd_free.
        case fullMMTeardown
        /// A profile flag (`kvm.nop_io_delay`).
        case flag(String)
        /// A KVM pv feature the guest enabled.
        case feature(KVMFeature)
        /// APIC virtualization with posted interrupts (the option, else the profile's flag).
        case apicv
    }

    public enum Probability: Sendable, Equatable {
        /// `--overcommit`: the chance a target vCPU is preempted.
        case overcommit
        /// A profile quantity (`kvm.haltpoll.avoided_fraction`).
        case quantity(String)
    }

    public struct MSRCase: Sendable {
        public var msrs: [UInt64]
        public var action: Action
        public init(_ msrs: [UInt64], _ action: Action) { self.msrs = msrs; self.action = action }
    }

    /// The transitions this action can emit, given the row's own (`asWritten`) and the table
    /// (`row`); custom code declares its own in the row.
    func transitions(own: String?, table: [PVOp: OpRule]) -> Set<String> {
        switch self {
        case .asWritten, .deferred: return Set([own].compactMap { $0 })
        case .row(let op): return Set([table[op]?.transition].compactMap { $0 })
        case .transition(let name, _): return [name]
        case .exception(_, _, let emits): return Set(emits)
        case .entry(let e): return [e.hypercall]
        case .charge, .billedTo, .nothing, .enterLazy, .fullMMTeardown, .issue, .resumeLazyMMUAfterSwitch: return []
        case .leaveLazy, .flushBatch: return []
        case .sequence(let steps): return steps.reduce(into: []) { $0.formUnion($1.transitions(own: own, table: table)) }
        case .repeated(_, let a): return a.transitions(own: own, table: table)
        case .when(_, let a, let b), .chance(_, let a, let b):
            return a.transitions(own: own, table: table).union(b.transitions(own: own, table: table))
        case .byMSR(let cases, let otherwise):
            return cases.reduce(otherwise.transitions(own: own, table: table)) { $0.union($1.action.transitions(own: own, table: table)) }
        case .byVector(let t, let i, let d):
            return t.transitions(own: own, table: table).union(i.transitions(own: own, table: table))
                .union(d.transitions(own: own, table: table))
        }
    }

    /// Custom-code functions this action names.
    var exceptions: [String] {
        switch self {
        case .exception(let name, _, _): return [name]
        case .sequence(let steps): return steps.flatMap(\.exceptions)
        case .repeated(_, let a): return a.exceptions
        case .when(_, let a, let b), .chance(_, let a, let b): return a.exceptions + b.exceptions
        case .byMSR(let cases, let otherwise): return otherwise.exceptions + cases.flatMap(\.action.exceptions)
        case .byVector(let t, let i, let d): return t.exceptions + i.exceptions + d.exceptions
        default: return []
        }
    }

    /// Whether it only prices the row as written (the fast path: two array loads).
    var isAsWritten: Bool { if case .asWritten = self { return true } else { return false } }

    /// One line for the coverage document, in the domain's words.
    public var summary: String {
        switch self {
        case .asWritten: return "as written"
        case .row(let op): return "as `\(op.name)`"
        case .charge(let key): return "`\(key)`"
        case .transition(let name, let key): return "`\(name)` (`\(key)`)"
        case .billedTo(let name, let key): return "+`\(key)` billed to `\(name)`"
        case .nothing: return "nothing"
        case .sequence(let steps): return steps.map(\.summary).joined(separator: ", then ")
        case .repeated(let r, let a): return "\(a.summary) \(r.summary)"
        case .when(let c, let a, let b):
            if case .nothing = b { return "if \(c.summary): \(a.summary)" }
            return "if \(c.summary): \(a.summary); else \(b.summary)"
        case .byMSR(let cases, let otherwise):
            let listed = cases.map { c in c.msrs.map(MSR.name).joined(separator: "/") + " → " + c.action.summary }
            return "by MSR: " + (listed + ["other → " + otherwise.summary]).joined(separator: "; ")
        case .byVector(let t, let i, let d): return "by vector: timer → \(t.summary); IPI → \(i.summary); device → \(d.summary)"
        case .chance(let p, let a, let b): return "with chance \(p.summary): \(a.summary); else \(b.summary)"
        case .deferred(let mode): return "queued in lazy \(mode.map { "\($0)".uppercased() } ?? "") mode, else as written".replacingOccurrences(of: "  ", with: " ")
        case .entry(let e):
            return "\(e.coalesces ? "coalesced " : "")`\(e.hypercall)` entry (\(e.work.map { "`\($0)`" }.joined(separator: " + "))\(e.argBytes > 0 ? ", \(e.argBytes) B" : ""))"
        case .issue(let mode, let reason): return mode == .none ? "issue (\(reason))" : "issue unless lazy \("\(mode)".uppercased()) (\(reason))"
        case .resumeLazyMMUAfterSwitch: return "resume lazy MMU after the switch"
        case .enterLazy(let mode): return "enter lazy \("\(mode)".uppercased()) mode"
        case .leaveLazy(let reason): return "flush the batch (\(reason)) and leave lazy mode"
        case .flushBatch(let reason): return "flush the batch (\(reason))"
        case .fullMMTeardown(let begins): return begins ? "fullmm teardown begins" : "fullmm teardown ends"
        case .exception(let name, let why, _): return "custom `\(name)`: \(why)"
        }
    }
}

extension Action.Repeat {
    var summary: String {
        switch self {
        case .times(let n): return "×\(n)"
        case .ipiTargets: return "per target"
        case .shootdownTargets: return "per remote target"
        case .flushPages: return "per page"
        case .apicIDWindows: return "per 128-APIC-ID window"
        case .pageTablePages: return "per page-table page"
        case .profileQuantity(let key, let most): return "×`\(key)` (≤\(most))"
        }
    }
}

extension Action.Condition {
    var summary: String {
        switch self {
        case .flushIncludesLocal: return "this CPU is in the mask"
        case .flushHasPages: return "a page range"
        case .hasShootdownTargets: return "remote targets"
        case .ipiToMask: return "more than one target"
        case .inLazy(let mode): return "lazy \("\(mode)".uppercased())"
        case .batchingIn(let mode): return "batching in lazy \("\(mode)".uppercased())"
        case .fullMMTeardown: return "after exit_mmap (fullmm)"
        case .flag(let key): return "`\(key)`"
        case .feature(let f): return f.rawValue
        case .apicv: return "APICv"
        }
    }
}

extension Action.Probability {
    var summary: String {
        switch self {
        case .overcommit: return "--overcommit"
        case .quantity(let key): return "`\(key)`"
        }
    }
}
