import Foundation
import Testing
@testable import PVReplay
import PVKernel
import PVTrace

/// perf-kvm-stat-style tables in the headless outputs, and empty results that say so.
@Suite struct TransitionCostTests {
    /// KVM with the shape: MSR_WRITE most frequent, HLT dearest.
    static func kvmSnapshot() -> Snapshot {
        let d = BackendDescriptor(id: .kvm, displayName: "kvm",
                                  transitions: [TransitionInfo(.vmExit, "MSR_WRITE"), TransitionInfo(.vmExit, "HLT"),
                                                TransitionInfo(.vmExit, "CPUID")])
        var m = EngineMetrics(cpuCount: 1, transitionCount: 3, flushReasonCount: 0)
        m.events = 1000
        m.transitionCounts = [630, 10, 0]
        m.transitionCycles = [630 * 1_200, 10 * 40_000, 0]
        let native = BackendDescriptor(id: .native, displayName: "native", transitions: [])
        var n = EngineMetrics(cpuCount: 1, transitionCount: 0, flushReasonCount: 0)
        n.events = 1000
        return Snapshot(trace: TraceInfo(name: "t", cpuCount: 1, durationNanoseconds: 1), positionNanoseconds: 1,
                        eventsReplayed: 1000, profileName: "modern-2020",
                        engines: [EngineSnapshot(descriptor: native, metrics: n, slowdown: 1),
                                  EngineSnapshot(descriptor: d, metrics: m, slowdown: 1.1)],
                        diagnostics: TraceDiagnostics(), finished: true)
    }

    @Test func tableRanksByTimeNotCountAndLeavesOutWhatNeverHappened() {
        let t = TransitionCost.table(Self.kvmSnapshot().engines[1])
        #expect(t.map(\.name) == ["MSR_WRITE", "HLT"])   // 756k cycles before 400k
        #expect(abs(t[1].countShare - 10.0 / 640) < 1e-12)
        #expect(abs(t[1].timeShare - 400_000.0 / 1_156_000) < 1e-12)
        #expect(t[1].averageCycles == 40_000)
        var cheapExits = Self.kvmSnapshot()
        cheapExits.engines[1].metrics.transitionCycles = [630 * 100, 10 * 40_000, 0]
        #expect(TransitionCost.table(cheapExits.engines[1]).map(\.name) == ["HLT", "MSR_WRITE"])
    }

    @Test func summaryTextHasTheTimeTable() {
        let text = Summary.text(Self.kvmSnapshot())
        #expect(text.contains("kvm transitions by time:"))
        #expect(text.contains("  transition     kind  count  count%  time%  avg cycles"))
        #expect(text.contains("MSR_WRITE   vm_exit    630   98.4%  65.4%        1200"))
        #expect(text.contains("HLT         vm_exit     10    1.6%  34.6%       40000"))
    }

    @Test func jsonCarriesSharesAverageAndTheFilter() throws {
        let json = Summary.json(Self.kvmSnapshot(), filter: EventFilter(cpu: 1))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect((object["filter"] as! [String: Any])["cpu"] as? Int == 1)
        let kvm = (object["engines"] as! [[String: Any]])[1]
        let hlt = (kvm["transitions"] as! [[String: Any]]).first { $0["name"] as? String == "HLT" }!
        #expect(hlt["avg_cycles"] as? Double == 40000)
        #expect(abs((hlt["time_share"] as! Double) - 0.346021) < 1e-6)
        #expect(object["warning"] == nil)   // native priced 1000 events
    }

    @Test func transitionsCSVIsLongFormatCostliestFirst() {
        let csv = TransitionsCSV.text(Self.kvmSnapshot())
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines == [
            "engine,profile,kind,transition,count,count_share,cycles,time_share,avg_cycles",
            "kvm,modern-2020,vm_exit,MSR_WRITE,630,0.984375,756000,0.653979,1200.0",
            "kvm,modern-2020,vm_exit,HLT,10,0.015625,400000,0.346021,40000.0",
        ])
    }

    @Test func aFilterThatMatchesNothingIsAWarningEverywhere() throws {
        var s = Self.kvmSnapshot()
        s.engines[0].metrics.events = 0
        let filter = EventFilter(cpu: 5)
        #expect(EmptyResult.warning(s, filter: filter, finished: true) == "filter cpu=5 matched none of the 1,000 events read")
        #expect(EmptyResult.warning(s, filter: EventFilter(), finished: true) == nil)   // no filter: nothing to blame
        #expect(Summary.text(s, filter: filter).contains("warning: filter cpu=5 matched none"))
        #expect(Summary.text(s, filter: filter).contains("filter: cpu=5 (0 events matched)"))
        let object = try JSONSerialization.jsonObject(with: Data(Summary.json(s, filter: filter).utf8)) as! [String: Any]
        #expect((object["warning"] as? String)?.hasPrefix("filter cpu=5") == true)
        s.eventsReplayed = 0
        #expect(EmptyResult.warning(s, filter: EventFilter(), finished: true)?.hasPrefix("no event was replayed") == true)
        #expect(EmptyResult.warning(s, filter: EventFilter(), finished: false) == nil)   // not yet is not never
    }

    @Test func anEventClassFilterWithNoSampleIsEmptyToo() {
        let s = Self.kvmSnapshot()   // native has events but no syscall
        #expect(EmptyResult.warning(s, filter: EventFilter(eventClass: .syscall), finished: true)?.contains("class=syscall") == true)
    }
}
