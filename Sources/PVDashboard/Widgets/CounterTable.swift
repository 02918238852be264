import PVKernel
import PVReplay

/// kvm_stat's table for one engine: `Event  Total  %Total  Rate/s`, one parent row per
/// transition kind (`vm_exit`), with `x` the per-name children (`vm_exit(HLT)`), sorted by rate
/// (kvm_stat's default), total or name, and a bold Total row. For native, which makes no
/// transitions, the rows are the event classes.
public struct CounterTable: Widget {
    public var engine: EngineSnapshot
    public var previous: EngineSnapshot?
    public var basis: RateBasis
    public var sort: DashboardState.CounterSort
    public var drillDown: Bool
    public var theme: Theme

    public init(engine: EngineSnapshot, previous: EngineSnapshot?, basis: RateBasis,
                sort: DashboardState.CounterSort, drillDown: Bool, theme: Theme) {
        self.engine = engine; self.previous = previous; self.basis = basis; self.sort = sort
        self.drillDown = drillDown; self.theme = theme
    }

    public struct Row: Equatable, Sendable {
        public var name: String
        public var total: UInt64
        public var rate: Double?
        public var isChild: Bool
    }

    /// Rows in display order (children right under their parent), without the Total row.
    public func rows() -> [Row] {
        let d = engine.descriptor, m = engine.metrics
        let before = previous?.metrics
        func ordered(_ rows: [Row]) -> [Row] {
            rows.sorted { a, b in
                switch sort {
                case .name: return a.name < b.name
                case .total: return a.total != b.total ? a.total > b.total : a.name < b.name
                case .rate:
                    let ra = a.rate ?? -1, rb = b.rate ?? -1
                    if ra != rb { return ra > rb }
                    return a.total != b.total ? a.total > b.total : a.name < b.name
                }
            }
        }
        if d.transitions.isEmpty {
            let rows = EventClass.allCases.enumerated().compactMap { i, c -> Row? in
                let n = m.classCounts[i]
                guard n > 0 else { return nil }
                return Row(name: c.label, total: n, rate: basis.rate(n, before?.classCounts[i]), isChild: false)
            }
            return ordered(rows)
        }
        var parents: [(Row, [Row])] = []
        for kind in TransitionKind.allCases {
            let ids = d.transitions.indices.filter { d.transitions[$0].kind == kind }
            guard !ids.isEmpty else { continue }
            let n = ids.reduce(UInt64(0)) { $0 &+ m.transitionCounts[$1] }
            guard n > 0 else { continue }
            let was = before.map { b in ids.reduce(UInt64(0)) { $0 &+ (b.transitionCounts.indices.contains($1) ? b.transitionCounts[$1] : 0) } }
            let children = ids.filter { m.transitionCounts[$0] > 0 }.map { id in
                Row(name: "\(kind.rawValue)(\(d.transitions[id].name))", total: m.transitionCounts[id],
                    rate: basis.rate(m.transitionCounts[id], before.flatMap { $0.transitionCounts.indices.contains(id) ? $0.transitionCounts[id] : nil }),
                    isChild: true)
            }
            parents.append((Row(name: kind.rawValue, total: n, rate: basis.rate(n, was), isChild: false), children))
        }
        let sortedParents = ordered(parents.map(\.0))
        var result: [Row] = []
        for p in sortedParents {
            result.append(p)
            if drillDown, let children = parents.first(where: { $0.0 == p })?.1 { result += ordered(children) }
        }
        return result
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 3 else { return }
        let sortLabel = "sort: \(sort.rawValue) (o)" + (engine.descriptor.transitions.isEmpty ? "" : drillDown ? "  x: fold" : "  x: drill-down")
        buffer.box(area, title: "counters · \(engine.descriptor.id.rawValue)", rightTitle: sortLabel,
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        let numberWidth = 8, pctWidth = 7, rateWidth = 9
        let nameWidth = inner.width - numberWidth - pctWidth - rateWidth
        func put(_ y: Int, _ name: String, _ total: String, _ pct: String, _ rate: String, _ style: Style) {
            let line = Format.pad(name, nameWidth) + Format.pad(total, numberWidth, right: true)
                + Format.pad(pct, pctWidth, right: true) + Format.pad(rate, rateWidth, right: true)
            buffer.put(line, in: inner.row(y), style: style)
        }
        put(0, " Event", "Total", "%Total", "Rate/s", theme.dim)
        let rows = rows()
        let grand = Double(rows.filter { !$0.isChild }.reduce(UInt64(0)) { $0 &+ $1.total })
        let grandRate = rows.filter { !$0.isChild }.compactMap(\.rate)
        if rows.isEmpty {
            if inner.height > 1 { buffer.put(" No matching events reported yet", in: inner.row(1), style: theme.dim) }
            return
        }
        let visible = max(inner.height - 2, 0)
        for (i, r) in rows.prefix(visible).enumerated() {
            put(i + 1, (r.isChild ? "   " : " ") + r.name, Format.count(r.total),
                Format.percent(Double(r.total), of: grand), r.rate.map { Format.count($0) } ?? "-",
                r.isChild ? theme.dim : theme.text)
        }
        let totalRow = min(rows.count, visible) + 1
        if totalRow < inner.height {
            put(totalRow, " Total", Format.count(UInt64(grand)), "", grandRate.isEmpty ? "-" : Format.count(grandRate.reduce(0, +)),
                theme.text.bolded)
        }
    }
}
