import PVKernel

/// perf kvm stat report's per-event table for one engine, ranked by cost: per transition
/// (hypercall, VM exit, ROM call, trap) its count, share of the count, share of the engine's
/// transition cycles (time), and cycles per event (xenalyze's `avg_cycles`). The ledger keeps
/// a sum of cycles per transition, not a distribution, so there is no min / max. The headless
/// summary and the JSON read it; the dashboard's counter table ranks the same way.
public struct TransitionCost: Sendable, Equatable {
    public var name: String
    public var kind: TransitionKind
    public var count: UInt64
    public var cycles: Double
    /// Share of the engine's transitions (0…1).
    public var countShare: Double
    /// Share of the engine's transition cycles (0…1).
    public var timeShare: Double
    public var averageCycles: Double { count > 0 ? cycles / Double(count) : 0 }

    /// Transitions that happened, costliest first (ties: more frequent, then by name, so the
    /// order is deterministic).
    public static func table(_ engine: EngineSnapshot) -> [TransitionCost] {
        let m = engine.metrics, d = engine.descriptor
        let ids = d.transitions.indices.filter { m.transitionCounts.indices.contains($0) && m.transitionCounts[$0] > 0 }
        let totalCount = Double(ids.reduce(UInt64(0)) { $0 &+ m.transitionCounts[$1] })
        let totalCycles = ids.reduce(0.0) { $0 + m.transitionCycles[$1] }
        return ids.map { id in
            TransitionCost(name: d.transitions[id].name, kind: d.transitions[id].kind, count: m.transitionCounts[id],
                           cycles: m.transitionCycles[id],
                           countShare: totalCount > 0 ? Double(m.transitionCounts[id]) / totalCount : 0,
                           timeShare: totalCycles > 0 ? m.transitionCycles[id] / totalCycles : 0)
        }.sorted { a, b in
            if a.cycles != b.cycles { return a.cycles > b.cycles }
            if a.count != b.count { return a.count > b.count }
            return a.name < b.name
        }
    }
}
