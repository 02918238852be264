import Histogram
import PVKernel
import PVReplay

/// Latency of one event class for every engine, side by side: bcc/bpftrace log2 rows
/// (`[512, 1K)   41k ████████`) over the same buckets for all engines, then the HdrHistogram
/// ladder p50 / p95 / p99 / p99.9 with each engine's difference from native.
public struct LatencyPanel: Widget {
    public var engines: [EngineSnapshot]
    public var eventClass: EventClass
    public var theme: Theme

    public init(engines: [EngineSnapshot], eventClass: EventClass, theme: Theme) {
        self.engines = engines; self.eventClass = eventClass; self.theme = theme
    }

    public static let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p95", 95), ("p99", 99), ("p99.9", 99.9)]

    /// Counts per log2 bucket k = [2^k, 2^(k+1)) (k = 0 holds 0 and 1, as bpftrace's `[0, 2)`
    /// would). HdrHistogram's sub-bucket ranges never straddle a power of two, so each
    /// recorded range falls in exactly one log2 bucket.
    public static func log2Buckets(_ h: Histogram<UInt64>) -> [Int: UInt64] {
        var out: [Int: UInt64] = [:]
        guard h.totalCount > 0 else { return out }
        for v in h.recordedValues() {
            let low = h.lowestEquivalentForValue(v.value)
            let k = low < 2 ? 0 : 63 - low.leadingZeroBitCount
            out[k, default: 0] &+= UInt64(v.count)
        }
        return out
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 4, !engines.isEmpty else { return }
        let histograms = engines.map { $0.metrics.latency(of: eventClass) }
        let samples = histograms[0].totalCount
        buffer.box(area, title: "latency · \(eventClass.label) · log2 ns",
                   rightTitle: "n=\(Format.count(samples))  v/Tab: class",
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        guard histograms.contains(where: { $0.totalCount > 0 }) else {
            buffer.put(" no \(eventClass.label) events yet (or filtered out): v/Tab picks another class",
                       in: inner.row(0), style: theme.dim)
            return
        }
        let labelWidth = 12
        let columns = Rect(x: inner.x + labelWidth, y: inner.y, width: inner.width - labelWidth, height: inner.height)
            .columns(engines.count)
        // Engine names.
        for (i, e) in engines.enumerated() {
            buffer.put(" " + e.descriptor.id.rawValue, in: columns[i].row(0), style: theme.title)
        }
        let ladderRows = min(LatencyPanel.percentiles.count, max(inner.height - 3, 0))
        let bucketRows = inner.height - 1 - ladderRows - (ladderRows > 0 ? 1 : 0)
        let buckets = histograms.map(LatencyPanel.log2Buckets)
        let keys = buckets.flatMap(\.keys)
        if bucketRows > 0, let lo = keys.min(), let hi = keys.max() {
            // When there are more buckets than rows, keep the rows around the busiest bucket.
            var first = lo, last = hi
            if hi - lo + 1 > bucketRows {
                let peak = buckets[0].max { $0.value < $1.value }?.key ?? lo
                first = max(lo, min(peak - bucketRows / 2, hi - bucketRows + 1))
                last = first + bucketRows - 1
            }
            let largest = buckets.map { $0.values.max() ?? 0 }
            for (r, k) in (first...last).enumerated() {
                let y = inner.y + 1 + r
                buffer.put(Format.pad(Format.log2Bucket(k), labelWidth - 1, right: true), x: inner.x, y: y,
                           style: theme.dim, clip: inner)
                for (i, col) in columns.enumerated() {
                    let n = buckets[i][k] ?? 0
                    let numbers = Format.pad(n == 0 ? "" : Format.count(n), 6, right: true)
                    let x = buffer.put(numbers, x: col.x, y: y, style: theme.text, clip: col)
                    let barWidth = col.maxX - x - 2
                    if n > 0, barWidth > 0, largest[i] > 0 {
                        buffer.put(Format.bar(Double(n) / Double(largest[i]), width: barWidth), x: x + 1, y: y,
                                   style: theme.engineBar(i), clip: col)
                    }
                }
            }
        }
        guard ladderRows > 0 else { return }
        let ladderTop = inner.maxY - ladderRows
        for (r, p) in LatencyPanel.percentiles.prefix(ladderRows).enumerated() {
            let y = ladderTop + r
            buffer.put(Format.pad(p.label, labelWidth - 1, right: true), x: inner.x, y: y, style: theme.title, clip: inner)
            let nativeValue = Double(histograms[0].valueAtPercentile(p.value))
            for (i, col) in columns.enumerated() {
                let h = histograms[i]
                guard h.totalCount > 0 else { continue }
                let v = Double(h.valueAtPercentile(p.value))
                let text = Format.pad(Format.duration(nanoseconds: v), 9, right: true)
                let x = buffer.put(text, x: col.x, y: y, style: theme.text, clip: col)
                if i > 0, histograms[0].totalCount > 0 {
                    let delta = " " + Format.delta(nanoseconds: v - nativeValue)
                    if x + delta.count <= col.maxX {
                        buffer.put(delta, x: x, y: y, style: v > nativeValue ? theme.worse : theme.better, clip: col)
                    }
                }
            }
        }
    }
}
