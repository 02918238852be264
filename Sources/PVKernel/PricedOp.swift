/// One pv op call of one event as an engine priced it, for the dashboard's step panel: the
/// op the kernel model made, the row of the backend's table it ran, and what came of it.
public struct PricedOp: Sendable, Equatable {
    public struct Transition: Sendable, Equatable {
        public var kind: TransitionKind
        public var name: String
        public var count: UInt64
        public init(kind: TransitionKind, name: String, count: UInt64) { self.kind = kind; self.name = name; self.count = count }
    }

    public var op: PVOp
    public var count: UInt32
    /// The backend's row: its cost class and what it does in the hypervisor's words.
    public var kind: OpRule.Kind?
    public var action: String?
    public var cycles: Double
    /// Transitions this call made (a hypercall, an exit by reason, a ROM call, a trap).
    public var transitions: [Transition]
    /// Entries of a batch this call flushed (0: it flushed none).
    public var flushedEntries: UInt64

    public init(op: PVOp, count: UInt32, kind: OpRule.Kind?, action: String?, cycles: Double,
                transitions: [Transition], flushedEntries: UInt64) {
        self.op = op; self.count = count; self.kind = kind; self.action = action; self.cycles = cycles
        self.transitions = transitions; self.flushedEntries = flushedEntries
    }

    /// What the backend turned the call into, in words: `hypercall mmu_update`, `queued in
    /// the batch`, `native instruction`.
    public var outcome: String {
        var parts = transitions.map { t in
            "\(t.kind.rawValue.replacingOccurrences(of: "_", with: " ")) \(t.name)" + (t.count > 1 ? " ×\(t.count)" : "")
        }
        if flushedEntries > 0 { parts.append("flushed a batch of \(flushedEntries)") }
        if parts.isEmpty {
            // A batched row that made no transition went into the batch (issued later with others).
            switch kind {
            case .instruction?: return cycles > 0 ? "native instruction" : "native code"
            case .memory?: return "shared-memory access"
            case .nop?, .neverSeen?: return "nothing (paravirt_nop)"
            case .batched?: return "queued in the batch"
            default: return cycles > 0 ? "in-guest work" : "nothing"
            }
        }
        return parts.joined(separator: ", ")
    }
}
