import PVKernel
import PVReplay

/// The transition table for one engine, ranked by cost: perf kvm stat report's columns
/// (`Samples  Samples%  Time%  Avg time`) on kvm_stat's layout (a parent row per transition kind,
/// `x` the per-name children, a bold Total row, a rate per trace second). Sorted by time (the
/// share of the engine's transition cycles) unless `o` picks count, rate or name. Time per event
/// is in cycles, as xenalyze's `avg_cycles`: the ledger keeps a sum per transition, not a
/// distribution, so there is no min / max to show. For native, which makes no transitions, the
/// rows are the event classes and their priced cycles.
public struct CounterTable: Widget {
    public var engine: EngineSnapshot
    public var previous: EngineSnapshot?
    public var basis: RateBasis
    public var sort: DashboardState.CounterSort
    public var drillDown: Bool
    public var theme: Theme
    /// The selected row (highlighted when focused); the table scrolls to keep it in view.
    public var cursor: Int
    public var focused: Bool

    public init(engine: EngineSnapshot, previous: EngineSnapshot?, basis: RateBasis,
                sort: DashboardState.CounterSort, drillDown: Bool, theme: Theme,
                cursor: Int = 0, focused: Bool = false) {
        self.engine = engine; self.previous = previous; self.basis = basis; self.sort = sort
        self.drillDown = drillDown; self.theme = theme; self.cursor = cursor; self.focused = focused
    }

    public struct Row: Equatable, Sendable {
        /// The transition name (a child row) or kind (a parent row).
        public var name: String
        public var total: UInt64
        public var cycles: Double
        public var rate: Double?
        public var isChild: Bool
        public var averageCycles: Double? { total > 0 ? cycles / Double(total) : nil }
    }

    /// Rows in display order (children right under their parent), without the Total row.
    public func rows() -> [Row] {
        let d = engine.descriptor, m = engine.metrics
        let before = previous?.metrics
        if d.transitions.isEmpty {
            let rows = EventClass.allCases.enumerated().compactMap { i, c -> Row? in
                let n = m.classCounts[i]
                guard n > 0 else { return nil }
                return Row(name: c.label, total: n, cycles: m.classCycles[i], rate: basis.rate(n, before?.classCounts[i]), isChild: false)
            }
            return ordered(rows)
        }
        // The same per-transition numbers as the headless summary, JSON and --transitions-csv
        // (TransitionCost: one Snapshot, two views); only the rate is the screen's.
        let costs = TransitionCost.table(engine)
        func countBefore(_ name: String) -> UInt64? {
            guard let b = previous, let id = b.descriptor.transitionID(name), id < b.metrics.transitionCounts.count else { return nil }
            return b.metrics.transitionCounts[id]
        }
        var parents: [(Row, [Row])] = []
        for kind in TransitionKind.allCases {
            let children = costs.filter { $0.kind == kind }.map { t in
                Row(name: t.name, total: t.count, cycles: t.cycles, rate: basis.rate(t.count, countBefore(t.name)), isChild: true)
            }
            guard !children.isEmpty else { continue }
            let n = children.reduce(UInt64(0)) { $0 &+ $1.total }
            let cycles = children.reduce(0.0) { $0 + $1.cycles }
            let was = previous.map { _ in children.reduce(UInt64(0)) { $0 &+ (countBefore($1.name) ?? 0) } }
            parents.append((Row(name: kind.rawValue, total: n, cycles: cycles, rate: basis.rate(n, was), isChild: false), children))
        }
        var result: [Row] = []
        for p in ordered(parents.map(\.0)) {
            result.append(p)
            if drillDown, let children = parents.first(where: { $0.0 == p })?.1 { result += ordered(children) }
        }
        return result
    }

    private func ordered(_ rows: [Row]) -> [Row] {
        rows.sorted { a, b in
            switch sort {
            case .name: return a.name < b.name
            case .count: if a.total != b.total { return a.total > b.total }
            case .time: if a.cycles != b.cycles { return a.cycles > b.cycles }
            case .rate:
                let ra = a.rate ?? -1, rb = b.rate ?? -1
                if ra != rb { return ra > rb }
            }
            if a.cycles != b.cycles { return a.cycles > b.cycles }
            return a.total != b.total ? a.total > b.total : a.name < b.name
        }
    }

    /// A numeric column: header, width, and how much it matters when room is short (lower
    /// survives longer). The name column takes what its longest label needs first.
    struct Column { var header: String; var width: Int; var priority: Int }
    static let columns = [Column(header: "Count", width: 7, priority: 0), Column(header: "%Cnt", width: 6, priority: 2),
                          Column(header: "%Time", width: 6, priority: 0), Column(header: "Avg cyc", width: 8, priority: 1),
                          Column(header: "Rate/s", width: 8, priority: 3)]

    /// The first row shown: the cursor row centred where the rows allow (no stored viewport,
    /// so the widget stays a pure function of the state).
    public static func firstVisibleRow(cursor: Int, rows: Int, visible: Int) -> Int {
        min(max(cursor - visible / 2, 0), max(rows - visible, 0))
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 3 else { return }
        let rows = rows()
        let inner = area.inner
        let visible = max(inner.height - 2, 1)
        let first = Self.firstVisibleRow(cursor: cursor, rows: rows.count, visible: visible)
        var right = "sort: \(sort.rawValue) (o)"
        if !engine.descriptor.transitions.isEmpty { right += drillDown ? " x fold" : " x drill" }
        if rows.count > visible { right += " \(first + 1)-\(min(first + visible, rows.count))/\(rows.count)" }
        buffer.box(area, title: "counters · \(engine.descriptor.id.rawValue)", rightTitle: right,
                   border: focused ? theme.title : theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)

        // Names first: the longest label (children indented) decides, then numeric columns
        // are dropped from the least important end until the rest fits.
        let indent = 3
        let wanted = max(rows.map { ($0.isChild ? indent : 1) + $0.name.count }.max() ?? 6, 6) + 1
        var shown = Self.columns
        while wanted + shown.reduce(0, { $0 + $1.width }) > inner.width,
              let worst = shown.map(\.priority).max(), worst > 0 {
            shown.remove(at: shown.lastIndex { $0.priority == worst }!)
        }
        let nameWidth = inner.width - shown.reduce(0) { $0 + $1.width }
        let labels = Labels.fit(rows.map(\.name), width: nameWidth - indent - 1)

        func put(_ y: Int, _ name: String, _ values: [String: String], _ style: Style) {
            var line = Format.pad(name, nameWidth)
            for c in shown { line += Format.pad(values[c.header] ?? "", c.width, right: true) }
            buffer.put(line, in: inner.row(y), style: style)
        }
        put(0, " Event", Dictionary(uniqueKeysWithValues: shown.map { ($0.header, $0.header) }), theme.dim)
        if rows.isEmpty {
            if inner.height > 1 { buffer.put(" No matching events reported yet", in: inner.row(1), style: theme.dim) }
            return
        }
        let parents = rows.filter { !$0.isChild }
        let grand = Double(parents.reduce(UInt64(0)) { $0 &+ $1.total })
        let grandCycles = parents.reduce(0.0) { $0 + $1.cycles }
        let grandRate = parents.compactMap(\.rate)
        for (i, r) in rows.enumerated().dropFirst(first).prefix(visible) {
            put(i - first + 1, (r.isChild ? "   " : " ") + labels[i], [
                "Count": Format.count(r.total), "%Cnt": Format.percent(Double(r.total), of: grand),
                "%Time": Format.percent(r.cycles, of: grandCycles),
                "Avg cyc": r.averageCycles.map { Format.count($0) } ?? "-", "Rate/s": r.rate.map { Format.count($0) } ?? "-",
            ], focused && i == cursor ? theme.selected : r.isChild ? theme.dim : theme.text)
        }
        let totalRow = min(rows.count, visible) + 1
        if totalRow < inner.height {
            put(totalRow, " Total", [
                "Count": Format.count(UInt64(grand)), "%Cnt": "100%", "%Time": "100%",
                "Avg cyc": grand > 0 ? Format.count(grandCycles / grand) : "-",
                "Rate/s": grandRate.isEmpty ? "-" : Format.count(grandRate.reduce(0, +)),
            ], theme.text.bolded)
        }
    }
}
