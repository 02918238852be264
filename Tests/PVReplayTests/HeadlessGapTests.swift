import Foundation
import Testing
@testable import PVReplay
import PVKernel
import PVTrace

/// The headless loop is O(events + non-empty intervals): an empty stretch is one row however
/// many intervals it spans (issue 10: a 10^9 s jump stepped through every empty 100 ms).
@Suite struct HeadlessGapTests {
    func rows(_ events: [KernelEvent], interval: UInt64) throws -> [[String]] {
        let replay = try ReplayTests().makeReplay(events, backends: [])
        var csv = ""
        _ = try Headless.run(replay, intervalNanoseconds: interval, emit: { csv += $0 })
        return csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            .map { $0.components(separatedBy: ",") }  // the test backend's quoted setting holds a comma: count from the end
    }

    func fault(at t: UInt64) -> KernelEvent {
        KernelEvent(timestampNanoseconds: t, cpu: 0, pid: 42, kind: .pageFault(user: true, address: 0x1000, errorCode: 0x6))
    }

    @Test func anEmptyStretchIsOneRowSpanningIt() throws {
        // Events at 0, 1.5 µs and 1000 s, 1 µs intervals: 10^9 intervals if stepped one by one.
        let r = try rows([fault(at: 7), fault(at: 1_507), fault(at: 1_000_000_000_007)], interval: 1_000)
        #expect(r.map { [$0[0], $0[1], $0[$0.count - 15]] } == [
            ["0.000000", "0.000001", "1"],
            ["0.000001", "0.000002", "1"],
            ["0.000002", "1000.000000", "0"],
            ["1000.000000", "1000.000000", "1"],
        ])
    }

    @Test(.timeLimit(.minutes(1))) func aClockAtTheEndOfUInt64Ends() throws {
        let r = try rows([fault(at: 0), fault(at: .max)], interval: 86_400_000_000_000)
        #expect(r.count <= 3)
        #expect(r.map { Int($0[$0.count - 15])! }.reduce(0, +) == 2)
    }
}
