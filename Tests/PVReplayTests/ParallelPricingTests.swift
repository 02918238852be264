import Foundation
import PVKernel
import PVTrace
import Testing
@testable import PVReplay

/// Engines priced on several threads give the same bytes as one event at a time on one thread.
@Suite struct ParallelPricingTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../traces").standardized.path

    func csvAndSummary(_ trace: String, threads: Int) throws -> String {
        let path = "\(Self.traces)/\(trace)"
        let replay = try Replay(name: trace, configuration: ReplayConfiguration(), parameters: try KernelParameters.load(),
                                pricingThreads: threads) { try FtraceTextReader(path: path) }
        var csv = ""
        let final = try Headless.run(replay, intervalNanoseconds: 10_000_000) { csv += $0 }
        return csv + Summary.json(final)
    }

    @Test(arguments: ["pipe-cross-cpu.trace.xz", "tlb-shootdown.trace.xz"])
    func manyThreadsGiveTheSameCSVAndJSONAsOne(trace: String) throws {
        let one = try csvAndSummary(trace, threads: 1)
        let many = try csvAndSummary(trace, threads: 4)
        #expect(one.count > 10_000)
        #expect(one == many)
    }

    @Test func stepAndSnapshotSeeEveryEventPricedAtOnce() throws {
        let path = "\(Self.traces)/forkexec.trace.xz"
        let replay = try Replay(name: "forkexec", configuration: ReplayConfiguration(), parameters: try KernelParameters.load(),
                                pricingThreads: 2) { try FtraceTextReader(path: path) }
        try replay.step()
        try replay.step()
        let s = replay.snapshot()
        #expect(s.eventsReplayed == 2)
        #expect(s.engines.allSatisfy { $0.metrics.events == 2 })
    }
}
