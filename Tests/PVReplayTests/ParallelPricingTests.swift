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

    func replay(_ trace: String, threads: Int) throws -> Replay {
        let path = "\(Self.traces)/\(trace)"
        return try Replay(name: trace, configuration: ReplayConfiguration(), parameters: try KernelParameters.load(),
                          pricingThreads: threads) { try FtraceTextReader(path: path) }
    }

    /// One `advance` over the whole trace keeps batches in flight from start to end (no
    /// snapshot drains the pipeline in between): the summary must still be the one-thread one.
    @Test(arguments: ["forkexec.trace.xz", "pipe-cross-cpu.trace.xz"])
    func aWholeTraceInOneAdvanceGivesTheOneThreadSummary(trace: String) throws {
        let one = try replay(trace, threads: 1)
        try one.advance(toTraceTime: .max)
        let two = try replay(trace, threads: 2)
        try two.advance(toTraceTime: .max)
        let s = two.snapshot()
        #expect(s.eventsReplayed > UInt64(PricingBatch.capacity * 3))
        #expect(s.engines.allSatisfy { $0.metrics.events == s.engines[0].metrics.events && $0.metrics.events > 0 })
        #expect(Summary.json(one.snapshot()) == Summary.json(s))
    }

    /// A restart while batches are in flight forgets them: the run after it is a fresh one.
    @Test func aRestartWithBatchesInFlightStartsAfresh() throws {
        let fresh = try replay("forkexec.trace.xz", threads: 2)
        try fresh.advance(toTraceTime: .max)
        let restarted = try replay("forkexec.trace.xz", threads: 2)
        try restarted.advance(toTraceTime: 50_000_000)
        try restarted.restart()
        try restarted.advance(toTraceTime: .max)
        #expect(Summary.json(restarted.snapshot()) == Summary.json(fresh.snapshot()))
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
