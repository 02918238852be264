import Foundation
import Testing
@testable import PVTrace

/// `trace-cmd report` text of an ftrace instance, from Fixtures/instance.dat (made by
/// Fixtures/make-trace-dat.sh with trace-cmd 3.1.6).
@Suite struct TraceCmdReportTests {
    static let instanceReport = Fixture.directory.appendingPathComponent("instance-report.txt").path

    @Test func instanceDropLinesAreLostEventsNotMalformedLines() throws {
        let r = try FtraceTextReader(path: Self.instanceReport, strict: true)
        let all = try records(r)
        let lost = all.compactMap { record -> (UInt16, UInt64)? in
            if case .lost(let cpu, let count, _) = record { (cpu, count) } else { nil }
        }
        #expect(lost.map(\.0) == [0, 1])
        #expect(lost.map(\.1) == [3006, 10710])
        #expect(r.diagnostics.lostEvents == 3006 + 10710)
        #expect(r.diagnostics.warningCount == 0)
        // 16 lines: `cpus=2`, two drop lines, 13 events (the line after a drop line has no prefix).
        let events = all.compactMap { if case .event(let e) = $0 { e } else { nil } }
        #expect(events.count == 13)
        #expect(events.first?.pid == 18982 && events.first?.kind == .syscallEnter(number: 0))
        #expect(events.last?.kind == .memorySyscall(.mprotect, address: 0x7fe6b6719000, length: 0x1000))
        #expect(r.header.cpuCount == 2)
    }

    @Test func instanceDropLineWithoutCountIsCountedAsZeroNotMalformed() throws {
        // trace-read.c prints `CPU:%d [EVENTS DROPPED]` when the ring buffer did not say how many.
        let r = reader("cpus=2\nname: CPU:1 [EVENTS DROPPED]\n"
            + "name:         pingpong-18982 [001]   844.008537: sys_enter:            NR 0 (5, 7ffd3b53a88b, 1, 7f4502708b60, 0, 0)\n",
            strict: true)
        let all = try records(r)
        #expect(all.count == 2)
        if case .lost(let cpu, let count, _) = all[0] { #expect(cpu == 1 && count == 0) } else { Issue.record("no lost record") }
    }

    @Test func aWordWithAColonBeforeCPUIsNotADropLineUnlessItSaysSo() throws {
        let r = reader("name: CPU:1 [lots of EVENTS DROPPED]\n"
            + "name:         pingpong-18982 [001]   844.008537: sys_enter:            NR 0 (5, 7ffd3b53a88b, 1, 7f4502708b60, 0, 0)\n")
        let all = try records(r)
        #expect(all.count == 1)
        #expect(r.diagnostics.warningCount == 1)
        #expect(r.diagnostics.lostEvents == 0)
    }

    /// `trace-cmd report -l -t instance.dat`: CPU and latency flags glued (`0dNh..`), ns.
    @Test func latencyFormatLinesCarryCPUContextAndNanoseconds() throws {
        let lines = """
            pvtop-fixture-18979: pingpong-18982   0d..2.   844.008540169: sched_switch:         pingpong:18982 [120] S ==> pvtop:18904 [120]
            pvtop-fixture-18979:    pvtop-18904   0dNh..   844.008551661: reschedule_entry:     vector=253
            pvtop-fixture-18979:    pvtop-18904   0.Ns..   844.016145000: softirq_entry:        vec=9 [action=RCU]
            pvtop-fixture-18979:   swiftc-18984  11d..2.   844.030114000: sched_switch:         swiftc:18984 [120] R ==> swapper/11:0 [120]

            """
        let r = reader(lines, strict: true)
        let es = try events(r)
        #expect(es.count == 4)
        #expect(es[0] == KernelEvent(timestampNanoseconds: 844_008_540_169, cpu: 0, pid: 18982, commID: es[0].commID,
                                     context: .task, line: 1,
                                     kind: .schedSwitch(prevPid: 18982, prevState: UInt8(ascii: "S"), nextPid: 18904)))
        #expect(r.strings[es[0].commID] == "pingpong")
        #expect(es[1].context == .hardirq && es[1].kind == .vectorEntry(.reschedule))
        #expect(es[2].context == .softirq && es[2].kind == .softirqEntry(vec: 9))
        #expect(es[3].cpu == 11 && es[3].kind == .schedSwitch(prevPid: 18984, prevState: UInt8(ascii: "R"), nextPid: 0))
    }

    @Test func pluginPriorityBracketIsNotTakenForTheCPUColumn() throws {
        // Without the `comm-pid` before it, `[120]` is sched_switch text, not a CPU.
        let r = reader("  pingpong-18982   0d..2.   844.008540169: sched_switch:         pingpong:18982 [120] S ==> pvtop:18904 [120]\n")
        let e = try #require(try events(r).first)
        #expect(e.cpu == 0)
    }
}
