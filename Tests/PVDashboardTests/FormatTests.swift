import PVDashboard
import Testing

@Suite struct FormatTests {
    @Test func countsShortenWithThreeSignificantDigits() {
        #expect(Format.count(UInt64(0)) == "0")
        #expect(Format.count(UInt64(999)) == "999")
        #expect(Format.count(UInt64(1000)) == "1.00k")
        #expect(Format.count(UInt64(12_345)) == "12.3k")
        #expect(Format.count(UInt64(883_000)) == "883k")
        #expect(Format.count(UInt64(4_100_000)) == "4.10M")
        #expect(Format.count(UInt64(999_999)) == "1.00M")
        #expect(Format.count(Double(2.5)) == "2.50")
        #expect(Format.count(Double(575.7)) == "576")
        #expect(Format.count(Double(57.57)) == "57.6")
    }

    @Test func durationsPickTheirUnit() {
        #expect(Format.duration(nanoseconds: 850) == "850 ns")
        #expect(Format.duration(nanoseconds: 610) == "610 ns")
        #expect(Format.duration(nanoseconds: 1_250) == "1.25 µs")
        #expect(Format.duration(nanoseconds: 12_500_000) == "12.5 ms")
        #expect(Format.duration(nanoseconds: 3_020_000_000) == "3.02 s")
        #expect(Format.delta(nanoseconds: 1_300) == "+1.30 µs")
        #expect(Format.delta(nanoseconds: -20) == "-20 ns")
        #expect(Format.delta(nanoseconds: 0) == "±0")
    }

    @Test func slowdownShowsRatioAndPercent() {
        #expect(Format.slowdown(1.37) == "1.37× +37%")
        #expect(Format.slowdown(1) == "1.00×")
        #expect(Format.slowdown(0.98) == "0.98× -2%")
        #expect(Format.slowdown(12.3) == "12.3× +1.13k%")
        #expect(Format.slowdown(1.37, withPercent: false) == "1.37×")
        #expect(Format.slowdown(.nan) == "-")
    }

    @Test func percentRoundsAndMarksSmallShares() {
        #expect(Format.percent(38, of: 100) == "38%")
        #expect(Format.percent(1, of: 1000) == "<1%")
        #expect(Format.percent(0, of: 10) == "0%")
        #expect(Format.percent(5, of: 0) == "0%")
    }

    @Test func barsUseEighthBlocks() {
        #expect(Format.bar(1, width: 4) == "████")
        #expect(Format.bar(0.5, width: 4) == "██")
        #expect(Format.bar(0.5625, width: 4) == "██▎")
        #expect(Format.bar(0.001, width: 4) == "▏")
        #expect(Format.bar(0, width: 4) == "")
    }

    @Test func log2LabelsFollowBpftrace() {
        #expect(Format.log2Bucket(9) == "[512, 1K)")
        #expect(Format.log2Bucket(10) == "[1K, 2K)")
        #expect(Format.log2Bucket(20) == "[1M, 2M)")
        #expect(Format.log2Bucket(0) == "[0, 2)")
        #expect(Format.bound(1280) == "1.25K")
        #expect(Format.bound(768) == "768")
    }

    @Test func fixedNeverUsesFoundation() {
        #expect(Format.fixed(0.005, 2) == "0.01")
        #expect(Format.fixed(-1.25, 1) == "-1.3" || Format.fixed(-1.25, 1) == "-1.2")
        #expect(Format.fixed(3, 0) == "3")
        #expect(Format.pad("ab", 4, right: true) == "  ab")
        #expect(Format.pad("abcdef", 3) == "abc")
    }

    @Test func sparklineScalesBetweenTheExtremesAndFlattensNoise() {
        #expect(Format.sparkline([1, 1.5, 2], width: 10, flatSpan: 0.01) == "▁▅█")
        #expect(Format.sparkline([1.91, 1.912, 1.911], width: 10, flatSpan: 0.01) == "▄▄▄")
        #expect(Format.sparkline([1, 2, 3, 4], width: 2, flatSpan: 0.01) == "▁█")   // the latest values
        #expect(Format.sparkline([], width: 5, flatSpan: 0.01) == "")
    }
}
