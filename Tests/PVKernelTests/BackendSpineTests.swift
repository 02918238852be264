import Testing
@testable import PVKernel

/// One spine per backend: every row's documented transition is the one its backend emits.
/// A plain row emits exactly its transition once per call (or none for I, M, -, n/a); a row
/// whose action says more (by MSR, per target, queued …) emits only what its action can; custom
/// code is a named exception inside an action and declares what it may emit.
@Suite struct BackendSpineTests {
    static func call(for op: PVOp) -> PVCall {
        switch op {
        case .flush_tlb_multi: return .flushTLBMulti(targets: 1, pages: 1)
        case .send_ipi: return PVCall(op, arg: 1)
        case .interrupt_entry: return PVCall(op, arg: 2)
        default: return PVCall(op)
        }
    }

    static let lazyBoundaries: Set<PVOp> = [.lazy_mmu_enter, .lazy_mmu_leave, .lazy_mmu_flush,
                                            .start_context_switch, .end_context_switch]

    static func batchTransition(_ id: BackendID) -> String? {
        switch id {
        case .xenPV: return XenPVBackend.batchTransition
        case .vmi: return VMIBackend.batchTransition
        case .lguest: return LguestBackend.batchTransition
        case .native, .kvm, .vbox: return nil
        }
    }

    @Test(arguments: BackendID.allCases)
    func everyRowEmitsTheTransitionItDocuments(_ id: BackendID) throws {
        for profile in ["modern-2020", "vtx-2006"] {
            let p = try CostProfile.load(profile)
            var rules = BackendFactory.rules(id)
            if !p.ept {
                if id == .kvm { for (op, r) in KVMBackend.shadowRules { rules[op] = r } }
                if id == .vbox { for (op, r) in VirtualBoxBackend.shadowRules { rules[op] = r } }
            }
            for op in PVOp.allCases {
                let rule = try #require(rules[op])
                var backend = try BackendFactory.make(id, profile: p, options: BackendOptions(cpuCount: 2))
                var ledger = Ledger(descriptor: backend.descriptor)
                backend.perform(Self.call(for: op), CallContext(cpu: 0), &ledger)
                backend.finish(&ledger)
                let emitted = Dictionary(uniqueKeysWithValues: ledger.transitionCounts.enumerated()
                    .filter { $0.element > 0 }.map { (backend.descriptor.transitions[$0.offset].name, $0.element) })
                let row = "\(id.rawValue) (\(profile)) \(op): \(rule.kind.rawValue) \(rule.transition ?? "-")"
                let total = emitted.values.reduce(0, +)
                let plain = rule.does.isAsWritten
                if plain && (rule.kind == .batched || rule.batched) {
                    // Issued outside lazy mode: its own hypercall alone, or the batch flushed;
                    // a lazy-mode boundary flushes what is queued (here nothing).
                    let allowed = Set([rule.transition, Self.batchTransition(id)].compactMap { $0 })
                    #expect(Set(emitted.keys).isSubset(of: allowed), "\(row) emitted \(emitted)")
                    #expect(Self.lazyBoundaries.contains(op) ? total <= 1 : total == 1, "\(row) emitted \(emitted)")
                } else if plain {
                    let expected = rule.transition.map { [$0: UInt64(1)] } ?? [:]
                    #expect(emitted == expected, "\(row) emitted \(emitted)")
                } else {
                    // What the action can emit, derived from it (a batch flush for a step that
                    // queues or flushes).
                    var allowed = rule.emittable(in: rules)
                    if let b = Self.batchTransition(id) { allowed.insert(b) }
                    #expect(Set(emitted.keys).isSubset(of: allowed), "\(row) [does: \(rule.does.summary)] emitted \(emitted)")
                }
                if rule.kind == .nop || rule.kind == .neverSeen { #expect(ledger.cycles == 0, "\(row) costs \(ledger.cycles)") }
                // A plain row costs what it says: its cycles exactly when it leaves nothing
                // (I, M), at least its cycles when it transitions (plus the round trip).
                if plain, !(rule.kind == .batched || rule.batched), let key = rule.costKey {
                    let cycles = try p.cycles(key)
                    if rule.transition == nil { #expect(ledger.cycles == cycles, "\(row) costs \(ledger.cycles), row says \(cycles)") }
                    else { #expect(ledger.cycles >= cycles, "\(row) costs \(ledger.cycles), row says ≥ \(cycles)") }
                }
            }
        }
    }

    /// Every row of every table is run by the shared interpreter: custom code is rare and
    /// named in the row's action, and every table's actions resolve (costs, flags, transitions,
    /// flush reasons, exceptions) on every profile and setting.
    @Test(arguments: BackendID.allCases)
    func everyRowIsAnActionTheInterpreterRuns(_ id: BackendID) throws {
        var tables = [BackendFactory.rules(id)]
        if id == .kvm { tables.append(KVMBackend.shadowRules) }
        if id == .vbox { tables.append(VirtualBoxBackend.shadowRules) }
        let named = tables.flatMap { $0.values.flatMap(\.does.exceptions) }
        #expect(named.count <= 2, "\(id.rawValue): custom code should be the rare exception: \(named)")
        for profile in ["modern-2020", "vtx-2006"] {
            let p = try CostProfile.load(profile)
            for options in [BackendOptions(cpuCount: 2), BackendOptions(cpuCount: 2, overcommit: 0.5, kvmFeatures: [], batching: false, apicv: false),
                            BackendOptions(cpuCount: 2, ept: false, apicv: true)] {
                _ = try BackendFactory.make(id, profile: p, options: options)
            }
        }
    }

    /// An action that names a transition, flush reason or custom function the backend lacks
    /// fails when the backend is built, never mid-replay.
    @Test func anActionNamingWhatTheBackendLacksFailsAtConstruction() throws {
        let p = try CostProfile.load("modern-2020")
        let d = BackendDescriptor(id: .vmi, displayName: "vmi", transitions: [TransitionInfo(.romCall, "SetPxE")], flushReasons: ["end"])
        let s = ActionSettings(profile: p, options: BackendOptions(cpuCount: 1))
        typealias Interpreter = ActionInterpreter<NoStateMachine>
        #expect(throws: MissingTransition.self) { try Interpreter.resolve(.transition("NoSuchCall", cost: "native.rdtsc"), op: .set_pte, descriptor: d, settings: s) }
        #expect(throws: MissingFlushReason.self) { try Interpreter.resolve(.leaveLazy(reason: "lazy-leave"), op: .set_pte, descriptor: d, settings: s) }
        #expect(throws: MissingException.self) { try Interpreter.resolve(.exception("vmi_magic", why: "", emits: []), op: .set_pte, descriptor: d, settings: s) }
        #expect(throws: CostProfile.LoadError.self) { try Interpreter.resolve(.charge("native.no_such_cost"), op: .set_pte, descriptor: d, settings: s) }
        _ = try Interpreter.resolve(.transition("SetPxE", cost: "native.rdtsc"), op: .set_pte, descriptor: d, settings: s)
    }

    /// The interpreter runs a composed row exactly as it reads: a native shootdown with the
    /// local CPU in the mask, 3 pages and 2 remote targets is 3 INVLPGs, 2 ICR writes and the wait.
    @Test func aComposedRowCostsTheSumOfItsSteps() throws {
        let p = try CostProfile.load("modern-2020")
        var rig = try BackendRig(.native, options: BackendOptions(cpuCount: 4))
        let cost = rig.cost { $0.call(.flushTLBMulti(targets: 2, pages: 3)) }
        let expected = try 3 * p.cycles("native.invlpg") + 2 * p.cycles("native.x2apic_icr_write") + p.cycles("native.tlb_shootdown_wait")
        #expect(cost == expected)
        let remoteOnly = rig.cost { $0.call(.flushTLBMulti(targets: 1, pages: 0, includesLocal: false)) }
        #expect(remoteOnly == (try p.cycles("native.x2apic_icr_write") + p.cycles("native.tlb_shootdown_wait")))
    }
}
