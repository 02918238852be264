import Histogram
@testable import PVDashboard
import PVKernel
import Testing

/// `RecordedLatency` answers percentiles from one walk; it must answer exactly what
/// HdrHistogram's own `valueAtPercentile` answers, for every shape of histogram a frame meets.
@Suite struct RecordedLatencyTests {
    /// Deterministic spreads: one value, a few values in one range, a wide log-normal-like
    /// tail, zeros and values past the highest trackable one.
    static func histograms() -> [Histogram<UInt64>] {
        var shapes: [[UInt64]] = [[600], [600, 601, 602], [0, 0, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return seed >> 33 }
        for n in [17, 100, 1_000, 10_000] {
            shapes.append((0..<n).map { _ in 1 << (next() % 30) + next() % 1_000 })
        }
        shapes.append((0..<500).map { i in UInt64(i % 7 == 0 ? 90_000_000_000 : 300 + i) })
        return shapes.map { values in
            var h = EngineMetrics.makeHistogram()
            for v in values { h.record(Swift.min(v, EngineMetrics.highestTrackableNanoseconds)) }
            return h
        }
    }

    static let percentiles: [Double] = [0, 0.1, 1, 10, 25, 33.3, 50, 66.7, 90, 95, 99, 99.9, 99.99, 99.999, 100, 120]

    @Test func percentilesMatchHdrHistogram() {
        for (n, h) in Self.histograms().enumerated() {
            let r = RecordedLatency(h)
            #expect(r.totalCount == h.totalCount)
            for p in Self.percentiles {
                #expect(r.valueAtPercentile(p) == h.valueAtPercentile(p), "histogram \(n) p\(p)")
                #expect(RecordedLatency.valueAtPercentile(p, of: h) == h.valueAtPercentile(p), "histogram \(n) p\(p), early stop")
            }
        }
    }

    @Test func rangesAreTheRecordedValuesInOrder() {
        for h in Self.histograms() {
            let r = RecordedLatency(h)
            let expected = h.recordedValues().map { (h.lowestEquivalentForValue($0.value), UInt64($0.count)) }
            #expect(r.ranges.map(\.value) == expected.map(\.0))
            #expect(r.ranges.map(\.count) == expected.map(\.1))
            #expect(r.ranges.map(\.count).reduce(0, +) == h.totalCount)
        }
    }

    @Test func anEmptyHistogramHasNoRangesAndAnswersZero() {
        let r = RecordedLatency(EngineMetrics.makeHistogram())
        #expect(r.ranges.isEmpty)
        #expect(r.valueAtPercentile(50) == 0)
        #expect(RecordedLatency.valueAtPercentile(99, of: EngineMetrics.makeHistogram()) == 0)
    }

    /// The latency panel coarsens its rows by halving keys; that must be the same as bucketing
    /// the recorded ranges at the coarser split directly.
    @Test func halvingBucketsEqualsBucketingAtOneSubdivisionLess() {
        for h in Self.histograms() {
            let r = RecordedLatency(h)
            for k in 1...3 {
                let halved = LatencyPanel.halved(LatencyPanel.buckets(r, subdivisions: k))
                let direct = LatencyPanel.buckets(r, subdivisions: k - 1)
                #expect(halved.map(\.key) == direct.map(\.key), "k \(k)")
                #expect(halved.map(\.count) == direct.map(\.count), "k \(k)")
            }
        }
    }
}
