import Histogram

/// A latency histogram as one frame reads it: its recorded ranges in value order with running
/// totals, taken in one walk (HdrHistogram's `recordedValues()`), from which the frame draws its
/// log2 rows and every percentile of the ladder.
///
/// Why not ask the histogram each time: hdrhistogram-swift's `valueAtPercentile` is not
/// `@inlinable`, so from this module it runs the generic build (a `BinaryInteger` witness call
/// per bucket for `Count`) and walks the counts again for every percentile; at 200×60 that was
/// most of a frame. The iterators are inlinable and specialise here.
public struct RecordedLatency: Sendable {
    /// Lowest and highest value of each recorded range (HdrHistogram's equivalent ranges),
    /// ascending; `runningCount[i]` counts every sample up to and including range `i`.
    public private(set) var lowest: [UInt64] = []
    public private(set) var highest: [UInt64] = []
    public private(set) var runningCount: [UInt64] = []
    public let totalCount: UInt64
    /// The histogram's `min` and `maxRecorded`, which bound every percentile.
    let min: UInt64
    let maxRecorded: UInt64

    public init(_ h: Histogram<UInt64>) {
        totalCount = h.totalCount
        min = totalCount > 0 ? h.min : 0
        maxRecorded = totalCount > 0 ? h.maxRecorded : 0
        guard totalCount > 0 else { return }
        for v in h.recordedValues() {
            lowest.append(h.lowestEquivalentForValue(v.value))
            highest.append(v.value)
            runningCount.append(v.totalCountToThisValue)
        }
    }

    /// `(lowest value, count)` of each recorded range, ascending.
    public var ranges: [(value: UInt64, count: UInt64)] {
        lowest.indices.map { (lowest[$0], runningCount[$0] - ($0 > 0 ? runningCount[$0 - 1] : 0)) }
    }

    /// HdrHistogram's `valueAtPercentile`, same definition (a test holds the two equal): the
    /// highest value equivalent to the first range whose running count reaches the percentile's
    /// share of the samples, bounded by the smallest and largest recorded values.
    public func valueAtPercentile(_ percentile: Double) -> UInt64 {
        guard totalCount > 0 else { return 0 }
        guard percentile != 0 else { return min }
        guard percentile < 100 else { return maxRecorded }
        let wanted = Self.countAtPercentile(percentile, of: totalCount)
        // First range whose running count reaches `wanted` (running counts ascend).
        var lo = 0, hi = runningCount.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if runningCount[mid] >= wanted { hi = mid } else { lo = mid + 1 }
        }
        return Swift.max(Swift.min(highest[lo], maxRecorded), min)
    }

    /// The same answer without keeping the ranges: walks only as far as the percentile (the
    /// native column asks one median per event class per frame).
    public static func valueAtPercentile(_ percentile: Double, of h: Histogram<UInt64>) -> UInt64 {
        let total = h.totalCount
        guard total > 0 else { return 0 }
        guard percentile != 0 else { return h.min }
        guard percentile < 100 else { return h.maxRecorded }
        let wanted = countAtPercentile(percentile, of: total)
        for v in h.recordedValues() where v.totalCountToThisValue >= wanted {
            return Swift.max(Swift.min(v.value, h.maxRecorded), h.min)
        }
        return h.maxRecorded
    }

    /// HdrHistogram's rounding: one ulp below the percentile, rounded up to a whole sample, at
    /// least the first.
    static func countAtPercentile(_ percentile: Double, of total: UInt64) -> UInt64 {
        let requested = Swift.min(Swift.max(percentile.nextDown, 0), 100)
        return Swift.max(1, UInt64((requested * Double(total) / 100).rounded(.up)))
    }
}
