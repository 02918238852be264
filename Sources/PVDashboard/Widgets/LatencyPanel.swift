import Histogram
import PVKernel
import PVReplay

/// Simulated latency of one event class for every engine, side by side: bcc/bpftrace log2 rows
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
    /// Shown below the ladder when rows are left over.
    public static let extraPercentiles: [(label: String, value: Double)] = [("p99.99", 99.99), ("max", 100)]

    /// Counts per log2 bucket, each power of two split into 2^`subdivisions` equal parts
    /// (bpftrace's `hist(x, k)`): key = exponent × 2^k + part, so keys are in value order;
    /// values 0 and 1 share key 0. HdrHistogram's equivalent ranges are narrower than these
    /// parts for k ≤ 3 at 3 significant digits and never straddle a power of two, so each
    /// recorded range falls in exactly one bucket.
    public static func buckets(_ h: Histogram<UInt64>, subdivisions k: Int = 0) -> [Int: UInt64] {
        Dictionary(uniqueKeysWithValues: buckets(RecordedLatency(h), subdivisions: k).map { ($0.key, $0.count) })
    }

    /// The non-empty buckets in key order: the recorded ranges ascend and `key` never
    /// decreases with the value, so equal keys are neighbours and one pass merges them.
    static func buckets(_ r: RecordedLatency, subdivisions k: Int) -> [(key: Int, count: UInt64)] {
        var out: [(key: Int, count: UInt64)] = []
        var before: UInt64 = 0
        for (value, running) in zip(r.lowest, r.runningCount) {
            let key = key(value, k), n = running - before
            before = running
            if let last = out.last, last.key == key { out[out.count - 1].count &+= n } else { out.append((key, n)) }
        }
        return out
    }

    /// The same buckets at one subdivision less: key at k − 1 is key at k shifted right by one
    /// (the exponent's bits move down, the part loses its lowest bit), and neighbours merge.
    static func halved(_ buckets: [(key: Int, count: UInt64)]) -> [(key: Int, count: UInt64)] {
        var out: [(key: Int, count: UInt64)] = []
        out.reserveCapacity(buckets.count)
        for b in buckets {
            let key = b.key >> 1
            if let last = out.last, last.key == key { out[out.count - 1].count &+= b.count } else { out.append((key, b.count)) }
        }
        return out
    }

    static func key(_ v: UInt64, _ k: Int) -> Int {
        guard v >= 2 else { return 0 }
        let e = 63 - v.leadingZeroBitCount
        let part = e >= k ? Int((v - (1 << UInt64(e))) >> UInt64(e - k)) : Int(v - (1 << UInt64(e))) << (k - e)
        return e << k + part
    }

    /// `[lo, hi)` of bucket `key` at `k` subdivisions, with bpftrace's K/M/G suffixes.
    public static func label(_ key: Int, subdivisions k: Int) -> String {
        if key < 1 << k { return "[0, 2)" }
        let e = key >> k, part = key & ((1 << k) - 1)
        let base = Double(UInt64(1) << UInt64(e)), step = base / Double(1 << k)
        return "[\(Format.bound(base + step * Double(part))), \(Format.bound(base + step * Double(part + 1))))"
    }

    static func keyRange(_ buckets: [[(key: Int, count: UInt64)]]) -> ClosedRange<Int>? {
        guard let lo = buckets.compactMap({ $0.first?.key }).min(), let hi = buckets.compactMap({ $0.last?.key }).max()
        else { return nil }
        return lo...hi
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 4, !engines.isEmpty else { return }
        let histograms = engines.map { RecordedLatency($0.metrics.latency(of: eventClass)) }
        let samples = histograms[0].totalCount
        let inner = area.inner
        guard histograms.contains(where: { $0.totalCount > 0 }) else {
            buffer.box(area, title: "latency · \(eventClass.label)", rightTitle: "v: class",
                       border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
            let why = eventClass.hasLatencySamples
                ? " no \(eventClass.label) samples yet (or filtered out): v picks another class"
                : " \(eventClass.label): no latency, a trace shows no begin/end pair for it; v picks another class"
            buffer.put(why, in: inner.row(0), style: theme.dim)
            return
        }
        let labelWidth = 15
        let columns = Rect(x: inner.x + labelWidth, y: inner.y, width: inner.width - labelWidth, height: inner.height)
            .columns(engines.count)
        // Engine names.
        for (i, e) in engines.enumerated() {
            buffer.put(" " + e.descriptor.id.rawValue, in: columns[i].row(0), style: theme.title)
        }
        let ladderRows = min(LatencyPanel.percentiles.count, max(inner.height - 3, 0))
        let bucketRows = inner.height - 1 - ladderRows - (ladderRows > 0 ? 1 : 0)
        // The finest split of each power of two (up to 8 parts) whose rows still fit, but no
        // finer than shows something new: when a coarser split has as many non-empty buckets
        // for every engine, the finer one only adds empty rows.
        var k = 3
        var buckets = histograms.map { LatencyPanel.buckets($0, subdivisions: k) }
        var keyRange = Self.keyRange(buckets)
        while k > 0, (keyRange?.count ?? 0) > bucketRows {
            buckets = buckets.map(LatencyPanel.halved)
            keyRange = Self.keyRange(buckets)
            k -= 1
        }
        while k > 0 {
            let coarser = buckets.map(LatencyPanel.halved)
            guard coarser.map({ $0.count }) == buckets.map({ $0.count }) else { break }
            buckets = coarser
            k -= 1
        }
        keyRange = Self.keyRange(buckets)
        var ladderTop = inner.maxY - ladderRows
        // Samples are durations on each engine's simulated clock (native: the de-virtualized recording).
        buffer.box(area, title: "latency · \(eventClass.label) · simulated ns, log2" + (k == 0 ? "" : " ÷\(1 << k)"),
                   rightTitle: "n=\(Format.count(samples))  v: class",
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        if bucketRows > 0, let lo = keyRange?.lowerBound, let hi = keyRange?.upperBound {
            // When there are more buckets than rows, keep the rows around native's busiest one.
            var first = lo, last = hi
            if hi - lo + 1 > bucketRows {
                // The lowest of equally busy buckets, so the choice does not depend on order.
                let peak = buckets[0].max { $0.count != $1.count ? $0.count < $1.count : $0.key > $1.key }?.key ?? lo
                first = max(lo, min(peak - bucketRows / 2, hi - bucketRows + 1))
                last = first + bucketRows - 1
            }
            // The ladder follows the rows directly; spare rows below it get more percentiles.
            ladderTop = min(ladderTop, inner.y + 1 + (last - first + 1) + 1)
            let largest = buckets.map { b in b.reduce(0) { max($0, $1.count) } }
            // Rows ascend by key, so each engine's list is read once, front to back.
            var next = buckets.map { b in b.firstIndex { $0.key >= first } ?? b.count }
            for (r, key) in (first...last).enumerated() {
                let y = inner.y + 1 + r
                buffer.put(Format.pad(LatencyPanel.label(key, subdivisions: k), labelWidth - 1, right: true), x: inner.x, y: y,
                           style: theme.dim, clip: inner)
                for (i, col) in columns.enumerated() {
                    var n: UInt64 = 0
                    if next[i] < buckets[i].count, buckets[i][next[i]].key == key { n = buckets[i][next[i]].count; next[i] += 1 }
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
        let ladder = LatencyPanel.percentiles.prefix(ladderRows)
            + LatencyPanel.extraPercentiles.prefix(max(inner.maxY - ladderTop - ladderRows, 0))
        for (r, p) in ladder.enumerated() {
            let y = ladderTop + r
            buffer.put(Format.pad(p.label, labelWidth - 1, right: true), x: inner.x, y: y, style: theme.title, clip: inner)
            let nativeValue = Double(histograms[0].valueAtPercentile(p.value))
            for (i, col) in columns.enumerated() {
                let h = histograms[i]
                guard h.totalCount > 0 else { continue }
                let v = Double(h.valueAtPercentile(p.value))
                let text = Format.pad(Format.duration(nanoseconds: v), col.width >= 22 ? 9 : 7, right: true)
                let x = buffer.put(text, x: col.x, y: y, style: theme.text, clip: col)
                if i > 0, histograms[0].totalCount > 0 {
                    // Absolute difference where it fits, else relative (`+63%`).
                    var delta = " " + Format.delta(nanoseconds: v - nativeValue)
                    if x + delta.count > col.maxX - 1, nativeValue > 0 {
                        delta = v == nativeValue ? " ±0" : " " + Format.slowdown(v / nativeValue).split(separator: " ").dropFirst().joined()
                    }
                    if x + delta.count <= col.maxX - 1 {
                        buffer.put(delta, x: x, y: y, style: v > nativeValue ? theme.worse : theme.better, clip: col)
                    }
                }
            }
        }
    }
}
