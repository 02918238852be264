/// What a backend's batch holds on one CPU.
protocol BatchQueue: Sendable {
    init()
    var isEmpty: Bool { get }
}

/// Calls queued since the last flush (VMI's deferred queue, lguest's async ring).
struct QueuedCalls: BatchQueue {
    var count = 0
    var isEmpty: Bool { count == 0 }
}

/// Per-CPU lazy mode (paravirt_lazy_mode: arch/x86/kernel/paravirt.c) and what the backend's
/// batch holds, kept by the interpreter for every backend.
struct LazyCPU<Queue: BatchQueue>: Sendable {
    var lazy: LazyMode = .none
    var queue = Queue()
    /// Between exit_mmap and pgd_free the mm is torn down with fullmm set: no pte_update hook
    /// (VMI, lguest); under Xen PV the tree is unpinned and its writes are plain stores.
    var tearingDown = false
    /// TIF_LAZY_MMU_UPDATES: lazy MMU was interrupted by a context switch, resumed after it.
    var resumeLazyMMU = false
}

/// One entry appended to a batch (a multicall entry), resolved: its hypercall, the argument
/// bytes it reserves, the work its items cost, whether it merges into a like last entry.
struct ResolvedEntry: Sendable {
    var hypercall: TransitionID
    var argBytes: Int
    var work: Double
    var coalesces: Bool
}

/// The state machine a backend keeps beside its table: its batch (what queueing a deferred
/// call costs, when the batch is full, what a flush issues) and its named exceptions.
/// The interpreter owns the per-CPU lazy state and calls these.
protocol BackendStateMachine: Sendable {
    associatedtype Queue: BatchQueue = QueuedCalls
    /// The custom functions rows may name (`Action.exception`), by name.
    associatedtype Exception: RawRepresentable, Sendable = NoException where Exception.RawValue == String

    /// A `deferred` row made in lazy mode: queue it, or issue it when the batch is full.
    /// `alone` is the row's own cycles and transition (what it costs issued by itself).
    mutating func queue(_ op: PVOp, alone: (cycles: Double, transition: TransitionID),
                        _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger)
    /// An `entry` step: append it to the batch (flushing first when full).
    mutating func append(_ entry: ResolvedEntry, _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger)
    /// Issue what is queued on this CPU, counted under flush reason `reason`.
    mutating func flush(_ cpu: inout LazyCPU<Queue>, reason: Int, _ ledger: inout Ledger)
    /// Custom code a row names; `lazy` is the lazy mode the call sees.
    mutating func run(_ exception: Exception, _ call: PVCall, lazy: LazyMode,
                      _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger)
}

extension BackendStateMachine {
    func queue(_ op: PVOp, alone: (cycles: Double, transition: TransitionID), _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger) {}
    func append(_ entry: ResolvedEntry, _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger) {}
    func flush(_ cpu: inout LazyCPU<Queue>, reason: Int, _ ledger: inout Ledger) {}
    func run(_ exception: Exception, _ call: PVCall, lazy: LazyMode, _ cpu: inout LazyCPU<Queue>, _ ledger: inout Ledger) {}
}

/// A state machine that names no custom code: every name a row could give is unknown.
struct NoException: RawRepresentable, Sendable {
    let rawValue: String
    init?(rawValue: String) { return nil }
}

/// A backend that never batches and names no custom code.
struct NoStateMachine: BackendStateMachine {}

/// Settings an action may depend on, resolved once per backend.
struct ActionSettings {
    var profile: CostProfile
    var options: BackendOptions
    /// The pv features the guest enabled (KVM, VirtualBox).
    var features: Set<KVMFeature> = []
    /// APICv in force (KVM, VirtualBox).
    var apicv = false
    /// Whether lazy calls are queued at all (`--batching`).
    var batching = true
    /// Profile cost and flag keys in an action are written `kvm.…`; a hypervisor reusing KVM's
    /// table (VirtualBox) reads them under its own prefix.
    var keyPrefix: (from: String, to: String)? = nil

    func key(_ k: String) -> String {
        guard let p = keyPrefix, k.hasPrefix(p.from + ".") else { return k }
        return p.to + k.dropFirst(p.from.count)
    }
}

/// Runs every row of one backend's table: the one interpreter all backends share.
struct ActionInterpreter<Machine: BackendStateMachine>: Sendable {
    /// An action resolved against one profile and descriptor: cycles and transition ids.
    indirect enum Step: Sendable {
        case priced(PVOp)
        case charge(Double)
        case transition(TransitionID, Double)
        case billed(TransitionID, Double)
        case nothing
        case sequence([Step])
        case repeated(Action.Repeat, Step)
        case when(Test, Step, Step)
        case byMSR([UInt64: Step], Step)
        case byVector(Step, Step, Step)
        case chance(Double, Step, Step)
        case deferred(LazyMode?, PVOp)
        case entry(ResolvedEntry)
        case issue(LazyMode, Int)
        case resumeLazyMMUAfterSwitch
        case enterLazy(LazyMode)
        case leaveLazy(Int)
        case flushBatch(Int)
        case fullMMTeardown(Bool)
        case exception(Machine.Exception)
    }

    enum Test: Sendable {
        case constant(Bool)
        case flushIncludesLocal, flushHasPages, hasShootdownTargets, ipiToMask, fullMMTeardown
        case inLazy(LazyMode)
        case batchingIn(LazyMode)
    }

    let priced: PricedRules
    /// By `PVOp.rawValue`; nil = the row as written (priced with its count in one step).
    private let steps: [Step?]
    private(set) var cpus: [LazyCPU<Machine.Queue>]
    var machine: Machine
    private let batching: Bool
    private let cpuCount: Int
    private let overcommit: Double

    init(rules: [PVOp: OpRule], descriptor: BackendDescriptor, settings s: ActionSettings,
         overhead: [OpRule.Kind: Double] = [:], machine: Machine) throws {
        var resolvedRules = rules
        if s.keyPrefix != nil {
            for (op, r) in rules { resolvedRules[op]?.costKey = r.costKey.map(s.key) }
        }
        priced = try PricedRules(rules: resolvedRules, profile: s.profile, descriptor: descriptor, overhead: overhead)
        let n = Int(PVOp.allCases.map(\.rawValue).max() ?? 0) + 1
        var steps = [Step?](repeating: nil, count: n)
        for (op, rule) in rules where !rule.does.isAsWritten {
            steps[Int(op.rawValue)] = try Self.resolve(rule.does, op: op, descriptor: descriptor, settings: s)
        }
        self.steps = steps
        self.machine = machine
        cpus = Array(repeating: LazyCPU(), count: max(s.options.cpuCount, 1))
        batching = s.batching
        cpuCount = max(s.options.cpuCount, 1)
        overcommit = s.options.overcommit
    }

    static func resolve(_ action: Action, op: PVOp, descriptor d: BackendDescriptor, settings s: ActionSettings) throws -> Step {
        func r(_ a: Action) throws -> Step { try resolve(a, op: op, descriptor: d, settings: s) }
        switch action {
        case .asWritten: return .priced(op)
        case .row(let other): return .priced(other)
        case .charge(let key): return .charge(try s.profile.cycles(s.key(key)))
        case .transition(let name, let key):
            return .transition(try d.requiredTransitionID(name), try s.profile.cycles(s.key(key)))
        case .billedTo(let name, let key):
            return .billed(try d.requiredTransitionID(name), try s.profile.cycles(s.key(key)))
        case .nothing: return .nothing
        case .sequence(let steps): return .sequence(try steps.map(r))
        case .repeated(.profileQuantity(let key, let most), let a):
            return .repeated(.times(Int(min(Double(most), try s.profile.quantity(s.key(key))))), try r(a))
        case .repeated(let n, let a): return .repeated(n, try r(a))
        case .when(let c, let a, let b):
            let test: Test
            switch c {
            case .flushIncludesLocal: test = .flushIncludesLocal
            case .flushHasPages: test = .flushHasPages
            case .hasShootdownTargets: test = .hasShootdownTargets
            case .ipiToMask: test = .ipiToMask
            case .inLazy(let m): test = .inLazy(m)
            case .batchingIn(let m): test = .batchingIn(m)
            case .fullMMTeardown: test = .fullMMTeardown
            case .flag(let key): test = .constant(try s.profile.flag(s.key(key)))
            case .feature(let f): test = .constant(s.features.contains(f))
            case .apicv: test = .constant(s.apicv)
            }
            // A setting decided at construction leaves one branch.
            if case .constant(let on) = test { return try r(on ? a : b) }
            return .when(test, try r(a), try r(b))
        case .byMSR(let cases, let otherwise):
            var table: [UInt64: Step] = [:]
            for c in cases { let step = try r(c.action); for msr in c.msrs { table[msr] = step } }
            return .byMSR(table, try r(otherwise))
        case .byVector(let t, let i, let dev): return .byVector(try r(t), try r(i), try r(dev))
        case .chance(let p, let a, let b):
            let probability: Double
            switch p {
            case .overcommit: probability = s.options.overcommit
            case .quantity(let key): probability = try s.profile.quantity(s.key(key))
            }
            return .chance(probability, try r(a), try r(b))
        case .deferred(let mode): return .deferred(mode, op)
        case .entry(let e):
            return .entry(ResolvedEntry(hypercall: try d.requiredTransitionID(e.hypercall), argBytes: e.argBytes,
                                        work: try e.work.reduce(0) { $0 + (try s.profile.cycles(s.key($1))) }, coalesces: e.coalesces))
        case .issue(let mode, let reason): return .issue(mode, try reasonIndex(reason, d))
        case .resumeLazyMMUAfterSwitch: return .resumeLazyMMUAfterSwitch
        case .enterLazy(let m): return .enterLazy(m)
        case .leaveLazy(let reason): return .leaveLazy(try reasonIndex(reason, d))
        case .flushBatch(let reason): return .flushBatch(try reasonIndex(reason, d))
        case .fullMMTeardown(let begins): return .fullMMTeardown(begins)
        case .exception(let name, _, _):
            guard let e = Machine.Exception(rawValue: name) else {
                throw MissingException(backend: d.id.rawValue, name: name)
            }
            return .exception(e)
        }
    }

    static func reasonIndex(_ reason: String, _ d: BackendDescriptor) throws -> Int {
        guard let i = d.flushReasons.firstIndex(of: reason) else { throw MissingFlushReason(backend: d.id.rawValue, name: reason) }
        return i
    }

    mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        if context.cpu >= cpus.count { cpus.append(contentsOf: repeatElement(LazyCPU(), count: context.cpu + 1 - cpus.count)) }
        guard let step = steps[Int(call.op.rawValue)] else {
            priced.price(call, &ledger)
            return
        }
        for _ in 0..<call.count { run(step, call, context, &ledger) }
    }

    /// End of input: flush what a CPU still has queued.
    mutating func finish(reason: Int, _ ledger: inout Ledger) {
        for cpu in cpus.indices where !cpus[cpu].queue.isEmpty { machine.flush(&cpus[cpu], reason: reason, &ledger) }
    }

    private mutating func run(_ step: Step, _ call: PVCall, _ ctx: CallContext, _ ledger: inout Ledger) {
        switch step {
        case .priced(let op): priced.price(op, count: 1, &ledger)
        case .charge(let cycles): ledger.charge(cycles)
        case .transition(let id, let cycles): ledger.transition(id, cycles: cycles)
        case .billed(let id, let cycles): ledger.transition(id, cycles: cycles, count: 0)
        case .nothing: break
        case .sequence(let steps): for s in steps { run(s, call, ctx, &ledger) }
        case .repeated(let n, let s):
            let times: Int
            switch n {
            case .times(let k): times = k
            case .ipiTargets: times = Int(max(call.arg, 1))
            case .shootdownTargets: times = call.flushTargets
            case .flushPages: times = call.flushPages
            case .apicIDWindows: times = min(Int(max(call.arg, 1)), (cpuCount + 127) / 128)
            case .pageTablePages: times = Int(clamping: call.arg)
            case .profileQuantity: times = 0  // resolved to .times at construction
            }
            for _ in 0..<max(times, 0) { run(s, call, ctx, &ledger) }
        case .when(let test, let a, let b):
            run(holds(test, call, ctx) ? a : b, call, ctx, &ledger)
        case .byMSR(let table, let otherwise): run(table[call.arg] ?? otherwise, call, ctx, &ledger)
        case .byVector(let timer, let ipi, let device):
            run(call.arg == 0 ? timer : call.arg == 1 ? ipi : device, call, ctx, &ledger)
        case .chance(let p, let a, let b): run(ledger.chance(p) ? a : b, call, ctx, &ledger)
        case .deferred(let mode, let op):
            // paravirt_get_lazy_mode() is NONE in interrupt context; --batching off never queues.
            let lazy = effectiveLazy(ctx)
            let queues = lazy != .none && (mode == nil || mode == lazy)
            let t = priced.transition[Int(op.rawValue)]
            if queues && t >= 0 {
                machine.queue(op, alone: (priced.cycles(of: op), t), &cpus[ctx.cpu], &ledger)
            } else {
                priced.price(op, count: 1, &ledger)
            }
        case .enterLazy(let m): cpus[ctx.cpu].lazy = m
        case .leaveLazy(let reason):
            machine.flush(&cpus[ctx.cpu], reason: reason, &ledger)
            cpus[ctx.cpu].lazy = cpus[ctx.cpu].resumeLazyMMU ? .mmu : .none
            cpus[ctx.cpu].resumeLazyMMU = false
        case .entry(let e): machine.append(e, &cpus[ctx.cpu], &ledger)
        case .issue(let mode, let reason):
            // xen_mc_issue(mode): flush unless the CPU is in that lazy mode.
            if mode == .none || effectiveLazy(ctx) != mode { machine.flush(&cpus[ctx.cpu], reason: reason, &ledger) }
        case .resumeLazyMMUAfterSwitch: cpus[ctx.cpu].resumeLazyMMU = true
        case .flushBatch(let reason): machine.flush(&cpus[ctx.cpu], reason: reason, &ledger)
        case .fullMMTeardown(let begins): cpus[ctx.cpu].tearingDown = begins
        case .exception(let e): machine.run(e, call, lazy: effectiveLazy(ctx), &cpus[ctx.cpu], &ledger)
        }
    }

    /// The lazy mode a call sees: paravirt_get_lazy_mode() is NONE in interrupt context, and
    /// `--batching off` never queues.
    @inline(__always)
    private func effectiveLazy(_ ctx: CallContext) -> LazyMode {
        ctx.inInterrupt || !batching ? .none : cpus[ctx.cpu].lazy
    }

    private func holds(_ test: Test, _ call: PVCall, _ ctx: CallContext) -> Bool {
        switch test {
        case .constant(let on): return on
        case .flushIncludesLocal: return call.flushIncludesLocal
        case .flushHasPages: return call.flushPages > 0
        case .hasShootdownTargets: return call.flushTargets > 0
        case .ipiToMask: return call.arg > 1
        case .fullMMTeardown: return cpus[ctx.cpu].tearingDown
        case .inLazy(let m): return cpus[ctx.cpu].lazy == m
        case .batchingIn(let m): return effectiveLazy(ctx) == m
        }
    }
}

public struct MissingException: Error, CustomStringConvertible {
    public var backend: String
    public var name: String
    public var description: String { "\(backend): a row names custom code \"\(name)\" its state machine does not have" }
}

public struct MissingFlushReason: Error, CustomStringConvertible {
    public var backend: String
    public var name: String
    public var description: String { "\(backend): a row names flush reason \"\(name)\" not in its flushReasons" }
}
