import PVKernel
import PVReplay

/// One boxed column per engine: slowdown vs native in the title (`xen-pv ── 1.37× +37%`),
/// simulated time, events and ops, then what makes it slow: for native the busiest event
/// classes with their mean latency, for a paravirt engine its transitions by kind and the
/// breakdown by name (bars and %), then its settings (`pv: tlb ✓ ipi ✗`).
public struct EngineColumn: Widget {
    public var engine: EngineSnapshot
    public var previous: EngineSnapshot?
    public var basis: RateBasis
    public var index: Int
    public var theme: Theme
    public var focused: Bool
    /// Recent slowdowns, oldest first (the trend line); empty hides it.
    public var history: [Double]

    public init(engine: EngineSnapshot, previous: EngineSnapshot?, basis: RateBasis, index: Int,
                theme: Theme, focused: Bool = false, history: [Double] = []) {
        self.engine = engine; self.previous = previous; self.basis = basis; self.index = index
        self.theme = theme; self.focused = focused; self.history = history
    }

    public var isNative: Bool { engine.descriptor.id == .native }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 8, area.height >= 3 else { return }
        let name = engine.descriptor.id.rawValue
        let slow = isNative ? Format.slowdown(1, withPercent: false) : Format.slowdown(engine.slowdown)
        let slowStyle = isNative ? theme.title : (engine.slowdown > 1.0005 ? theme.worse : theme.better)
        // Narrow columns (80×24 with six engines): the slowdown moves to the first line
        // rather than be cut from the title, since it is the number the column is for.
        let titleFits = name.count + slow.count + 8 <= area.width
        buffer.box(area, title: name, rightTitle: titleFits ? slow : "",
                   border: focused ? theme.title : theme.border, titleStyle: theme.title, rightTitleStyle: slowStyle)
        let inner = area.inner
        var y = inner.y
        // When both parts do not fit: `short` (a whole short form of the left part, or nil)
        // first, then `fallback` for the right part, then both; a cut name is the last resort.
        func line(_ left: String, _ right: String = "", fallback: String? = nil, short: ((Int) -> String?)? = nil,
                  style: Style? = nil) {
            guard y < inner.maxY else { return }
            let r = inner.row(y - inner.y)
            var right = right, left = left
            func fits() -> Bool { left.count + 1 + right.count <= r.width }
            func shorten() { if let s = short?(r.width - right.count - 1) { left = s } }
            if !fits(), !right.isEmpty { shorten() }
            if !fits(), let fallback { right = fallback }
            if !fits(), !right.isEmpty { shorten() }
            if !fits(), short != nil, !right.isEmpty { left = Labels.middleCut(left, width: r.width - right.count - 1) }
            let shownLeft = right.isEmpty ? left : String(left.prefix(max(r.width - right.count - 1, 0)))
            buffer.put(shownLeft, in: r, style: style ?? theme.text)
            if !right.isEmpty && shownLeft.count + 1 + right.count <= r.width {
                buffer.put(right, in: r, style: theme.dim, alignRight: true)
            }
            y += 1
        }
        if !titleFits { line(slow, style: slowStyle) }
        let m = engine.metrics
        line("sim " + Format.duration(nanoseconds: m.simulatedNanoseconds),
             "ev " + Format.count(m.events) + " ops " + Format.count(m.ops), fallback: "")
        // How the slowdown moved over the last snapshots (phases of the workload show up as
        // steps); moves under 0.01× are drawn flat. Only where rows are spare.
        if !isNative, history.count >= 2, inner.height >= 9 {
            // The legend is the scale: the sparkline spans the lowest to the highest slowdown
            // of the shown points (`1.02–1.05×`), or one value when it is drawn flat.
            let label = "trend "
            var sparkWidth = inner.width - label.count - 11
            var scale = ""
            if sparkWidth >= 4 {
                scale = Self.trendScale(history.suffix(sparkWidth))
                sparkWidth = inner.width - label.count - scale.count - 1
                scale = Self.trendScale(history.suffix(sparkWidth))   // the points actually drawn
            } else {
                sparkWidth = inner.width - label.count
            }
            let spark = Format.sparkline(history, width: sparkWidth, flatSpan: 0.01)
            if y < inner.maxY {
                var x = buffer.put(label, x: inner.x, y: y, style: theme.dim, clip: inner)
                x = buffer.put(spark, x: x, y: y, style: theme.engineBar(index), clip: inner)
                if !scale.isEmpty { buffer.put(" " + scale, x: x, y: y, style: theme.dim, clip: inner) }
                y += 1
            }
        }
        if isNative {
            if inner.width >= 24 { line("event class", "count   p50", style: theme.dim) }
            let classes = EventClass.allCases.enumerated()
                .filter { m.classCounts[$0.offset] > 0 }
                .sorted { m.classCounts[$0.offset] > m.classCounts[$1.offset] }
            for (i, c) in classes {
                let n = m.classCounts[i]
                // The median, not the mean: HdrHistogram's mean walks every bucket, the median
                // stops half way, and this runs for every class every frame (RecordedLatency
                // says why not the histogram's own valueAtPercentile).
                let median = m.latency[i].totalCount > 0
                    ? Format.duration(nanoseconds: Double(RecordedLatency.valueAtPercentile(50, of: m.latency[i]))) : "-"
                line(c.label, Format.count(n) + "  " + Format.pad(median, 8, right: true), fallback: Format.count(n),
                     short: { w in let a = Labels.shorten(c.label, width: w); return Labels.isWhole(a, of: c.label) ? a : nil })
            }
        } else {
            let total = m.totalTransitions
            for kind in TransitionKind.allCases {
                let n = m.transitions(of: kind, in: engine.descriptor)
                guard n > 0 else { continue }
                var right = Format.count(n)
                let countOnly = right
                if let r = basis.rate(n, previous.map { $0.metrics.transitions(of: kind, in: $0.descriptor) }) {
                    right += " " + Format.count(r) + "/s"
                }
                line(Self.kindLabel(kind, plural: n != 1), right, fallback: countOnly,
                     short: { w in Self.shortKindLabel(kind).count <= w ? Self.shortKindLabel(kind) : nil }, style: theme.title)
            }
            if total == 0 { line("no transitions yet", style: theme.dim) }
            // Transitions by name first (at least three rows), then batching, then settings.
            let breakdownRows = TransitionBreakdown.rowCount(engine)
            let batchLine = batchLine(width: inner.width)
            let spare = inner.maxY - y - min(breakdownRows, 3) - (batchLine == nil ? 0 : 1)
            let settingsLines = Array(settingsText(width: inner.width).prefix(max(spare, 0)))
            let room = inner.maxY - y - settingsLines.count - (batchLine == nil ? 0 : 1)
            if room > 0 {
                TransitionBreakdown(engine: engine, theme: theme, barStyle: theme.engineBar(index))
                    .render(Rect(x: inner.x, y: y, width: inner.width, height: room), into: &buffer)
                y += min(room, TransitionBreakdown.rowCount(engine))
            }
            if let b = batchLine { line(b, style: theme.dim) }
            for s in settingsLines { line(s, style: theme.dim) }
        }
    }

    /// `1.02–1.05×` for the points a sparkline shows; one value when they move less than
    /// the sparkline's flat span (0.01×).
    static func trendScale<C: Collection>(_ values: C) -> String where C.Element == Double {
        guard let lo = values.min(), let hi = values.max() else { return "" }
        func x(_ v: Double) -> String { Format.fixed(v, 2) }
        return hi - lo < 0.01 ? x(lo) + "×" : x(lo) + "–" + x(hi) + "×"
    }

    /// For columns too narrow for `hypercalls 7.47k`.
    static func shortKindLabel(_ kind: TransitionKind) -> String {
        switch kind {
        case .hypercall: return "hcall"
        case .vmExit: return "exits"
        case .romCall: return "ROM"
        case .trap: return "traps"
        }
    }

    static func kindLabel(_ kind: TransitionKind, plural: Bool) -> String {
        switch kind {
        case .hypercall: return plural ? "hypercalls" : "hypercall"
        case .vmExit: return plural ? "VM exits" : "VM exit"
        case .romCall: return plural ? "ROM calls" : "ROM call"
        case .trap: return plural ? "traps" : "trap"
        }
    }

    /// `batches 18k avg 9.3` for batching backends, shortened to what fits `width`: the count
    /// is never cut (at 80×24 `batches 7.47k` was clipped to `batches 7.47`).
    func batchLine(width: Int) -> String? {
        guard !engine.descriptor.flushReasons.isEmpty else { return nil }
        let flushes = engine.metrics.flushReasonCounts.reduce(0, &+)
        let count = Format.count(flushes)
        var forms = ["batches " + count, "batch " + count, count]
        if flushes > 0 {
            forms.insert("batches " + count + " avg "
                         + Format.fixed(Double(engine.metrics.batchedEntries) / Double(flushes), 1), at: 0)
        }
        return forms.first { $0.count <= width } ?? forms.last
    }

    /// Settings as `key=value` words wrapped to the width; on/off shown as ✓/✗.
    func settingsText(width: Int) -> [String] {
        let words = engine.descriptor.settings.map { s -> String in
            switch s.value {
            case "on", "true", "yes": return "\(s.key) ✓"
            case "off", "false", "no": return "\(s.key) ✗"
            default: return "\(s.key)=\(s.value)"
            }
        }
        var lines: [String] = [], current = ""
        for w in words {
            if current.isEmpty { current = w } else if current.count + 2 + w.count <= width { current += "  " + w } else {
                lines.append(current); current = w
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// Transitions by name, costliest first: `mmu_update  120k 38% ██████`, where the share and
/// the bar are of the engine's transition cycles (time), as perf kvm stat's `Time%`; the count
/// stays beside the name. Without priced cycles (none yet) count decides.
public struct TransitionBreakdown: Widget {
    public var engine: EngineSnapshot
    public var theme: Theme
    public var barStyle: Style

    public init(engine: EngineSnapshot, theme: Theme, barStyle: Style) {
        self.engine = engine; self.theme = theme; self.barStyle = barStyle
    }

    static func rowCount(_ engine: EngineSnapshot) -> Int { engine.metrics.transitionCounts.filter { $0 > 0 }.count }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let counts = engine.metrics.transitionCounts
        let cycles = engine.metrics.transitionCycles.count == counts.count ? engine.metrics.transitionCycles : counts.map(Double.init)
        let byTime = cycles.reduce(0, +) > 0
        let weight = byTime ? cycles : counts.map(Double.init)
        let total = weight.reduce(0, +)
        let rows = counts.indices.filter { counts[$0] > 0 }
            .sorted { weight[$0] != weight[$1] ? weight[$0] > weight[$1] : counts[$0] > counts[$1] }
        guard total > 0, !rows.isEmpty, !area.isEmpty else { return }
        let largest = weight[rows[0]]
        // Whole names (or their table entries) come first: the bar goes, then the share,
        // before a name is cut; the count is never cut (six engines at 80×24 cut names).
        let shown = Array(rows.prefix(area.height))
        let names = shown.map { engine.descriptor.transitions[$0].name }
        func tier(_ reserved: Int) -> [String]? {
            let labels = Labels.fit(names, width: area.width - reserved)
            return zip(labels, names).allSatisfy { Labels.isWhole($0, of: $1) } ? labels : nil
        }
        var showPercent = true, showBar = true
        var labels: [String]
        if let l = tier(11 + 3) { labels = l } else if let l = tier(11) { labels = l; showBar = false } else {
            showPercent = false; showBar = false
            labels = tier(6) ?? Labels.fit(names, width: max(area.width - 6, 1))
        }
        let nameWidth = labels.map(\.count).max() ?? 1
        for (r, id) in shown.enumerated() {
            let y = area.y + r
            let numbers = " " + Format.pad(Format.count(counts[id]), 5, right: true)
                + (showPercent ? " " + Format.pad(Format.percent(weight[id], of: total), 4, right: true) : "")
            var x = buffer.put(Format.pad(labels[r], nameWidth), x: area.x, y: y, style: theme.text, clip: area)
            x = buffer.put(numbers, x: x, y: y, style: theme.text, clip: area)
            let barWidth = area.maxX - x - 1
            if showBar && barWidth >= 2 && largest > 0 {
                buffer.put(Format.bar(weight[id] / largest, width: barWidth), x: x + 1, y: y, style: barStyle, clip: area)
            }
        }
    }
}
