import Testing
import PVTrace
@testable import PVRecord

@Suite struct RecordingCropTests {
    @Test func lineScanReadsPidCPUContextAndEventNameOfRealLines() {
        let cases: [(String, Int32, Int, UInt8, String)] = [
            ("            bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)",
             2079, 0, UInt8(ascii: "."), "sys_enter"),
            ("          <idle>-0       (-------) [001] d.h1.    98.495365: call_function_single_entry: vector=251",
             0, 1, UInt8(ascii: "h"), "call_function_single_entry"),
            ("             seq-2087    (   2087) [001] .....    98.498244: sys_mmap(addr: 0, len: 0x2000, prot: 3, flags: 0x22, fd: 0xffffffff, off: 0)",
             2087, 1, UInt8(ascii: "."), "sys_enter_mmap"),
            ("             seq-2087    (   2087) [001] .....    98.498249: sys_mmap -> 0x7fabb561b000",
             2087, 1, UInt8(ascii: "."), "sys_exit_mmap"),
            ("  swift-frontend-17974   (  17966) [001] d.s4.   728.400920: write_msr: 830, value fd",
             17974, 1, UInt8(ascii: "s"), "write_msr"),
            ("     memfd:sealed-91-4131  (   4131) [000] d..2.   620.459666: sched_switch: prev_comm=x prev_pid=4131 prev_prio=120 prev_state=S ==> next_comm=y next_pid=0 next_prio=120",
             4131, 0, UInt8(ascii: "."), "sched_switch"),
        ]
        for (line, pid, cpu, ctx, name) in cases {
            withLineBytes(line) { b in
                let s = TraceLineScan(b)
                #expect(s?.pid == pid && s?.cpu == cpu && s?.contextFlag == ctx, "\(line)")
                #expect(s?.eventName(b) == name)
            }
        }
        withLineBytes("# tracer: nop") { #expect(TraceLineScan($0) == nil) }
        withLineBytes("CPU:0 [LOST 246 EVENTS]") { #expect(TraceLineScan($0) == nil) }
    }

    @Test func integerFieldsMatchWholeKeysOnly() {
        let line = "bash-2079 (2079) [000] .....  1.0: sched_process_fork: comm=bash pid=2079 child_comm=bash child_pid=2087"
        withLineBytes(line) { b in
            #expect(integerField(b, "pid=") == 2079)
            #expect(integerField(b, "child_pid=") == 2087)
            #expect(integerField(b, "prev_pid=") == nil)
        }
        withLineBytes("x: tlb_flush: pages:-1 reason:x") { #expect(integerField($0, "pages:") == -1) }
    }

    /// The fixture: bash 2079 writes the markers and forks seq, 50 × true and ls.
    private func cropFixture() -> (TraceCropper, kept: [String], dropped: [String]) {
        let c = TraceCropper(startMarker: "WORKLOAD_START forkexec", endMarker: "WORKLOAD_END forkexec",
                             workloadPid: 2079, recorderPid: -1)
        var kept: [String] = [], dropped: [String] = []
        for line in RecordingFixture.forkexecLines where !line.hasPrefix("#") {
            if withLineBytes(line, { c.keep($0) }) { kept.append(line) } else { dropped.append(line) }
        }
        return (c, kept, dropped)
    }

    @Test func cropKeepsOnlyTheLinesBetweenTheMarkers() {
        let (c, kept, _) = cropFixture()
        #expect(c.sawStart && c.sawEnd)
        #expect(kept.first?.hasSuffix("tracing_mark_write: WORKLOAD_START forkexec") == true)
        #expect(kept.last?.hasSuffix("tracing_mark_write: WORKLOAD_END forkexec") == true)
        // The 2093 lines before the START marker (bash writing its prompt) are gone.
        #expect(!kept.contains { $0.contains("98.494454: sys_enter: NR 33") })
    }

    @Test func cropFollowsForksFromTheWorkloadPid() {
        let (c, kept, _) = cropFixture()
        // 52 sched_process_fork lines from bash 2079 in the fixture, all inside the markers.
        #expect(c.tree.count == 53)
        #expect(c.tree.contains(2087) && c.tree.contains(2138))
        #expect(kept.contains { $0.contains("ls-2138") })
        #expect(kept.filter { $0.contains("sched_process_exec:") }.count == 52)
    }

    @Test func cropDropsForeignTasksButKeepsTheirInterruptsAndSwitchesToIdle() {
        let (_, kept, dropped) = cropFixture()
        // kworker/1:1 -> ksoftirqd/1: both foreign, dropped; kworker/1:1 -> swapper/1 kept
        // (the CPU goes idle), ksoftirqd's own task-context lines dropped.
        #expect(dropped.contains { $0.contains("98.512908: sched_switch: prev_comm=kworker/1:1 prev_pid=41") })
        #expect(kept.contains { $0.contains("98.512950: sched_switch: prev_comm=kworker/1:1 prev_pid=41") })
        for line in kept {
            let ok = withLineBytes(line) { b -> Bool in
                guard let s = TraceLineScan(b) else { return false }
                if s.pid == 0 || s.inInterrupt || s.nameIs(b, "tracing_mark_write") { return true }
                if (2079...2138).contains(s.pid) { return true }
                if s.nameIs(b, "sched_switch") {
                    let prev = integerField(b, "prev_pid=")!, next = integerField(b, "next_pid=")!
                    return prev == 0 || next == 0 || (2079...2138).contains(next) || (2079...2138).contains(prev)
                }
                if s.nameIs(b, "sched_wakeup") { return (2079...2138).contains(Int32(integerField(b, "pid=", from: s.nameEnd)!)) }
                // The CR3 load after a switch into the workload, logged by the previous task.
                return s.nameIs(b, "tlb_flush")
            }
            #expect(ok, "kept a foreign line: \(line)")
        }
    }

    @Test func withoutAWorkloadOnlyTheRecordersOwnLinesGo() {
        let c = TraceCropper(startMarker: "WORKLOAD_START forkexec", endMarker: "WORKLOAD_END forkexec",
                             workloadPid: nil, recorderPid: 2079)
        var keptPids = Set<Int32>()
        for line in RecordingFixture.forkexecLines where !line.hasPrefix("#") {
            withLineBytes(line) { b in
                if c.keep(b), let s = TraceLineScan(b), !s.inInterrupt, !s.nameIs(b, "tracing_mark_write") {
                    keptPids.insert(s.pid)
                }
            }
        }
        #expect(!keptPids.contains(2079))
        #expect(keptPids.contains(41) && keptPids.contains(2087))
    }
}
