import Testing
@testable import PVKernel

/// One spine per backend: every row's documented transition is the one its backend emits.
/// A plain row emits exactly its transition once per call (or none for I, M, -, n/a); a
/// row run by custom code names the code and everything it may emit.
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
                if rule.custom == nil && (rule.kind == .batched || rule.batched) {
                    // Issued outside lazy mode: its own hypercall alone, or the batch flushed;
                    // a lazy-mode boundary flushes what is queued (here nothing).
                    let allowed = Set([rule.transition, Self.batchTransition(id)].compactMap { $0 })
                    #expect(Set(emitted.keys).isSubset(of: allowed), "\(row) emitted \(emitted)")
                    #expect(Self.lazyBoundaries.contains(op) ? total <= 1 : total == 1, "\(row) emitted \(emitted)")
                } else if rule.custom == nil {
                    let expected = rule.transition.map { [$0: UInt64(1)] } ?? [:]
                    #expect(emitted == expected, "\(row) emitted \(emitted)")
                } else {
                    let allowed = Set([rule.transition].compactMap { $0} + rule.alsoEmits)
                    #expect(Set(emitted.keys).isSubset(of: allowed), "\(row) [custom: \(rule.custom!)] emitted \(emitted)")
                }
                if rule.kind == .nop || rule.kind == .neverSeen { #expect(ledger.cycles == 0, "\(row) costs \(ledger.cycles)") }
                // A plain row costs what it says: its cycles exactly when it leaves nothing
                // (I, M), at least its cycles when it transitions (plus the round trip).
                if rule.custom == nil, !(rule.kind == .batched || rule.batched), let key = rule.costKey {
                    let cycles = try p.cycles(key)
                    if rule.transition == nil { #expect(ledger.cycles == cycles, "\(row) costs \(ledger.cycles), row says \(cycles)") }
                    else { #expect(ledger.cycles >= cycles, "\(row) costs \(ledger.cycles), row says ≥ \(cycles)") }
                }
            }
        }
    }
}
