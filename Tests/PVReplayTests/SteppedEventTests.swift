import Foundation
import PVKernel
import PVTrace
import Testing
@testable import PVReplay

/// The step panel's data: the stepped event and each engine's priced calls, explained from
/// copies of the engines' state, so stepping changes no number and the explanation is what
/// the engines then did.
@Suite struct SteppedEventTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../traces").standardized.path

    func replay(_ trace: String) throws -> Replay {
        let path = "\(Self.traces)/\(trace)"
        return try Replay(name: trace, configuration: ReplayConfiguration(), parameters: try KernelParameters.load(),
                          pricingThreads: 1) { try FtraceTextReader(path: path) }
    }

    @Test func eachStepsExplanationIsWhatTheEnginesThenCounted() throws {
        let r = try replay("forkexec.trace.xz")
        var explainedTransitions = 0
        for _ in 0..<400 {
            let before = r.snapshot()
            try r.step()
            let after = r.snapshot()
            let stepped = try #require(after.stepped)
            #expect(stepped.ops.count == after.engines.count)
            for (e, engine) in after.engines.enumerated() {
                let counted = zip(engine.metrics.transitionCounts, before.engines[e].metrics.transitionCounts).map { $0 &- $1 }
                var explained = Array(repeating: UInt64(0), count: counted.count)
                for op in stepped.ops[e] {
                    for t in op.transitions { explained[engine.descriptor.transitionID(t.name)!] += t.count }
                }
                #expect(explained == counted, "\(engine.descriptor.id) at event \(after.eventsReplayed)")
                explainedTransitions += explained.reduce(0) { $0 + Int($1) }
                let cycles = stepped.ops[e].reduce(0) { $0 + $1.cycles }
                #expect(abs(cycles - (engine.metrics.pricedCycles - before.engines[e].metrics.pricedCycles)) < 1e-6)
            }
            // Native makes no transitions: its ops are instructions.
            #expect(stepped.ops[0].allSatisfy { $0.transitions.isEmpty })
        }
        #expect(explainedTransitions > 50)
    }

    @Test func steppingChangesNoNumber() throws {
        let stepped = try replay("pipe-cross-cpu.trace.xz")
        for _ in 0..<300 { try stepped.step() }
        let advanced = try replay("pipe-cross-cpu.trace.xz")
        try advanced.advance(toTraceTime: UInt64.max, eventBudget: 300)
        let a = stepped.snapshot(), b = advanced.snapshot()
        #expect(a.eventsReplayed == b.eventsReplayed)
        for (x, y) in zip(a.engines, b.engines) {
            #expect(x.metrics.transitionCounts == y.metrics.transitionCounts)
            #expect(x.metrics.simulatedNanoseconds == y.metrics.simulatedNanoseconds)
        }
        // Playing on clears the explanation: it belongs to the one event.
        #expect(a.stepped != nil)
        try stepped.advance(toTraceTime: UInt64.max, eventBudget: 10)
        #expect(stepped.snapshot().stepped == nil)
    }

    @Test func theEventIsDescribedWithItsTaskAndFields() throws {
        let r = try replay("mmap-touch.trace.xz")
        try r.step()
        let s = try #require(r.snapshot().stepped)
        #expect(s.task.contains("-"))
        #expect(s.line > 0)
        let (name, fields) = SteppedEvent.describe(.pageFault(user: true, address: 0x7f12_3000, errorCode: 6))
        #expect(name == "pageFault")
        #expect(fields == "user=true address=0x7f123000 errorCode=6")
        #expect(SteppedEvent.describe(.vectorEntry(.localTimer)) == ("vectorEntry", "localTimer"))
    }
}
