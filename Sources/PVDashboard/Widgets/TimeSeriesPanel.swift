import PVKernel
import PVReplay

/// The time-series view (`g`): every engine's slowdown per interval on one labelled axis over
/// trace time, and under it the rate of one counter (`n` picks it), so a talk can show *when*
/// a backend pays (a fork storm, a shootdown burst) and not only its total. Each engine has
/// its own glyph as well as its colour, so the mono theme and a projector keep them apart.
public struct TimeSeriesPanel: Widget {
    public var series: TimeSeries
    public var engines: [EngineSnapshot]
    public var counter: TimeSeries.Counter
    /// The trace's length (the x axis); nil = up to the last sample.
    public var durationNanoseconds: UInt64?
    public var theme: Theme

    public init(series: TimeSeries, engines: [EngineSnapshot], counter: TimeSeries.Counter,
                durationNanoseconds: UInt64?, theme: Theme) {
        self.series = series; self.engines = engines; self.counter = counter
        self.durationNanoseconds = durationNanoseconds; self.theme = theme
    }

    public static let glyphs: [Character] = ["·", "●", "■", "▲", "◆", "✚", "○"]
    static let axisWidth = 9

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 6 else { return }
        buffer.box(area, title: "time series", rightTitle: "slowdown per interval · n: rate of another counter",
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        // Legend: glyph and name per engine, in its colour.
        var x = inner.x + 1
        for (e, engine) in engines.enumerated() {
            x = buffer.put("\(Self.glyphs[e % Self.glyphs.count]) \(engine.descriptor.id.rawValue)  ", x: x, y: inner.y,
                           style: e == 0 ? theme.dim : theme.engineBar(e), clip: inner)
        }
        let intervals = series.intervals(counter: counter)
        let chartArea = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 2)
        guard !intervals.isEmpty, let last = series.positions.last else {
            buffer.put(" Play a moment: the chart starts after two snapshots.", in: chartArea.row(0), style: theme.dim)
            return
        }
        let end = max(durationNanoseconds ?? last, last, 1)
        let (upper, lower) = chartArea.splitTop(max(chartArea.height * 2 / 3, 3))
        chart(upper, intervals, end: end, label: "slowdown", format: { Format.slowdown($0, withPercent: false) },
              values: { $0.slowdown }, baseline: 1, into: &buffer)
        chart(lower, intervals, end: end, label: counter.rawValue + "/s", format: { Format.count($0) },
              values: { $0.rate.map { Optional($0) } }, baseline: nil, into: &buffer)
        // The x axis: trace seconds at the start, middle and end.
        let axisRow = inner.row(inner.height - 1)
        let plotX = axisRow.x + Self.axisWidth, plotWidth = axisRow.width - Self.axisWidth
        buffer.put("trace s", x: axisRow.x, y: axisRow.y, style: theme.dim, clip: axisRow)
        buffer.put(Format.seconds(nanoseconds: 0), x: plotX, y: axisRow.y, style: theme.dim, clip: axisRow)
        let mid = Format.seconds(nanoseconds: end / 2), endText = Format.seconds(nanoseconds: end)
        buffer.put(mid, x: plotX + plotWidth / 2 - mid.count / 2, y: axisRow.y, style: theme.dim, clip: axisRow)
        buffer.put(endText, x: axisRow.maxX - endText.count, y: axisRow.y, style: theme.dim, clip: axisRow)
    }

    /// One chart: a y axis labelled at its top, middle and bottom, and each engine's value per
    /// interval as a step line of its glyph across the columns the interval spans.
    private func chart(_ area: Rect, _ intervals: [TimeSeries.Interval], end: UInt64, label: String,
                       format: (Double) -> String, values: (TimeSeries.Interval) -> [Double?], baseline: Double?,
                       into buffer: inout CellBuffer) {
        guard area.height >= 2, area.width > Self.axisWidth + 4 else { return }
        var low = baseline ?? .infinity, high = baseline ?? -.infinity
        for i in intervals { for v in values(i) { if let v, v.isFinite { low = min(low, v); high = max(high, v) } } }
        guard low.isFinite, high.isFinite else { return }
        if baseline == nil { low = min(low, 0) }
        if high - low < 1e-9 { high = low + (baseline == nil ? 1 : 0.01) }
        let plot = Rect(x: area.x + Self.axisWidth, y: area.y, width: area.width - Self.axisWidth, height: area.height)
        for (r, v) in [(0, high), (plot.height / 2, (high + low) / 2), (plot.height - 1, low)] {
            buffer.put(Format.pad(format(v), Self.axisWidth - 2, right: true) + " ┤", x: area.x, y: area.y + r, style: theme.dim, clip: area)
        }
        func row(_ v: Double) -> Int { plot.y + Int(((high - v) / (high - low) * Double(plot.height - 1)).rounded()) }
        // Native first, so the others draw over its flat line.
        for interval in intervals {
            let c0 = plot.x + Int(Double(interval.start) / Double(end) * Double(plot.width - 1))
            let c1 = max(plot.x + Int(Double(interval.end) / Double(end) * Double(plot.width - 1)), c0)
            for (e, v) in values(interval).enumerated() {
                guard let v, v.isFinite else { continue }
                let y = min(max(row(v), plot.y), plot.maxY - 1)
                for c in c0...min(c1, plot.maxX - 1) {
                    buffer.put(String(Self.glyphs[e % Self.glyphs.count]), x: c, y: y,
                               style: e == 0 ? theme.dim : theme.engineBar(e), clip: plot)
                }
            }
        }
        // What the chart shows, at its top right (after the data, so it stays readable).
        buffer.put(" " + label, in: plot.row(0), style: theme.title, alignRight: true)
    }
}
