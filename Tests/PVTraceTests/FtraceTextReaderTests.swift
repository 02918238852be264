import Foundation
import Testing
@testable import PVTrace

/// Lines copied from Fixtures/forkexec-quick.trace.
@Suite struct TracefsLineTests {
    @Test func rawSyscallEnterAndExit() throws {
        let enter = try #require(try event(
            "            bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)"))
        #expect(enter == KernelEvent(timestampNanoseconds: 98_494_454_000, cpu: 0, pid: 2079, tgid: 2079,
                                     commID: enter.commID, context: .task, line: 1,
                                     kind: .syscallEnter(number: 33)))
        let exit = try #require(try event(
            "            bash-2079    (   2079) [000] .....    98.494517: sys_exit: NR 1 = 22"))
        #expect(exit.kind == .syscallExit(number: 1, returnValue: 22))
        let negative = try #require(try event("  a-1 [000] .....    98.494517: sys_exit: NR 61 = -10"))
        #expect(negative.kind == .syscallExit(number: 61, returnValue: -10))
    }

    @Test func pageFaults() throws {
        let user = try #require(try event(
            "            bash-2079    (   2079) [000] d....    98.496613: page_fault_user: address=0x55af9e58a0e0 ip=0x7fa624d84247 error_code=0x7"))
        #expect(user.kind == .pageFault(user: true, address: 0x55af9e58a0e0, errorCode: 7))
        let kernel = try #require(try event(
            "             seq-2087    (   2087) [001] d....    98.496920: page_fault_kernel: address=0x7fa624ceba10 ip=__put_user_4 error_code=0x3"))
        #expect(kernel.kind == .pageFault(user: false, address: 0x7fa624ceba10, errorCode: 3))
        #expect(kernel.cpu == 1)
    }

    @Test func tlbFlushReasonComesFromTheNumberInParentheses() throws {
        let full = try #require(try event(
            "            bash-2079    (   2079) [000] d..1.    98.494722: tlb_flush: pages:-1 reason:flush on task switch (0)"))
        #expect(full.kind == .tlbFlush(reason: .taskSwitch, pages: -1))
        let remote = try #require(try event(
            "        tlbshoot-6950    (   6949) [001] d.h..   375.017668: tlb_flush: pages:8 reason:remote shootdown (1)"))
        #expect(remote.kind == .tlbFlush(reason: .remoteShootdown, pages: 8))
        #expect(remote.tgid == 6949 && remote.pid == 6950 && remote.context == .hardirq)
    }

    @Test func msrWritesAreHex() throws {
        let icr = try #require(try event(
            "            bash-2079    (   2079) [000] ...1.    98.494830: write_msr: 830, value 1000000fb"))
        #expect(icr.kind == .msrWrite(msr: 0x830, value: 0x1_0000_00fb))
        let deadline = try #require(try event(
            "          <idle>-0       (-------) [001] dNh1.   457.982371: write_msr: 6e0, value 114e1ec55b3"))
        #expect(deadline.kind == .msrWrite(msr: 0x6e0, value: 0x114e1ec55b3))
        #expect(deadline.pid == 0 && deadline.tgid == 0 && deadline.context == .hardirq)
        let read = try #require(try event("  <idle>-0 [000] d..1.   1.000000: read_msr: 3b, value 0 #GP"))
        #expect(read.kind == .msrRead(msr: 0x3b, value: 0))
    }

    @Test func idleTaskAndIRQVectors() throws {
        let reader = reader("""
                      <idle>-0       (-------) [001] d.h1.    98.495365: call_function_single_entry: vector=251
                      <idle>-0       (-------) [001] d.h1.    98.495369: call_function_single_exit: vector=251
                      <idle>-0       (-------) [001] dnh1.    98.496908: reschedule_entry: vector=253
                        bash-2079    (   2079) [000] d.h..    98.496857: local_timer_entry: vector=236

            """)
        let e = try events(reader)
        #expect(e.map(\.kind) == [.vectorEntry(.callFunctionSingle), .vectorExit(.callFunctionSingle),
                                  .vectorEntry(.reschedule), .vectorEntry(.localTimer)])
        #expect(reader.strings[e[0].commID] == "<idle>")
        #expect(e.allSatisfy { $0.context == .hardirq })
        #expect(e.map(\.line) == [1, 2, 3, 4])
    }

    @Test func schedSwitchTracefsFormat() throws {
        let e = try #require(try event(
            "            bash-2079    (   2079) [000] d..2.    98.496960: sched_switch: prev_comm=bash prev_pid=2079 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120"))
        #expect(e.kind == .schedSwitch(prevPid: 2079, prevState: UInt8(ascii: "S"), nextPid: 0))
        let preempted = try #require(try event(
            "     kworker/1:1-41      (     41) [001] d..2.    98.512908: sched_switch: prev_comm=kworker/1:1 prev_pid=41 prev_prio=120 prev_state=R+ ==> next_comm=ksoftirqd/1 next_pid=22 next_prio=120"))
        #expect(preempted.kind == .schedSwitch(prevPid: 41, prevState: UInt8(ascii: "R"), nextPid: 22))
        // A comm with a space inside prev_comm does not shift the fields.
        let spaced = try #require(try event(
            "     Web Content-77      (     77) [001] d..2.    98.512908: sched_switch: prev_comm=Web Content prev_pid=77 prev_prio=120 prev_state=D ==> next_comm=swapper/1 next_pid=0 next_prio=120"))
        #expect(spaced.kind == .schedSwitch(prevPid: 77, prevState: UInt8(ascii: "D"), nextPid: 0))
    }

    @Test func wakeupsForkExecExit() throws {
        let r = reader("""
                      <idle>-0       (-------) [001] dNs5.    98.497763: sched_wakeup: comm=bash pid=2087 prio=120 target_cpu=001
                        bash-2079    (   2079) [000] d..2.    98.496905: sched_wakeup_new: comm=bash pid=2087 prio=120 target_cpu=001
                        bash-2079    (   2079) [000] .....    98.496899: sched_process_fork: comm=bash pid=2079 child_comm=bash child_pid=2087
                         seq-2087    (   2087) [001] .....    98.498114: sched_process_exec: filename=/usr/bin/seq pid=2087 old_pid=2087
                         seq-2087    (   2087) [001] .....    98.498685: sched_process_exit: comm=seq pid=2087 prio=120 group_dead=true
                    tlbshoot-6950    (   6949) [001] .....    98.498685: sched_process_exit: comm=tlbshoot pid=6950 prio=120 group_dead=false

            """)
        let e = try events(r)
        #expect(e.map(\.kind) == [
            .schedWakeup(pid: 2087, targetCPU: 1, isNew: false),
            .schedWakeup(pid: 2087, targetCPU: 1, isNew: true),
            .processFork(parentPid: 2079, childPid: 2087),
            .processExec(pid: 2087, oldPid: 2087),
            .processExit(pid: 2087, groupDead: true),
            .processExit(pid: 6950, groupDead: false),
        ])
        #expect(e[0].context == .softirq)
    }

    @Test func interruptsIdleAndIPIs() throws {
        let r = reader("""
                      <idle>-0       (-------) [001] d.h1.    98.497749: irq_handler_entry: irq=36 name=virtio1-req.0
                      <idle>-0       (-------) [001] d.h1.    98.497753: irq_handler_exit: irq=36 ret=handled
                        bash-2079    (   2079) [000] ..s..    98.496866: softirq_entry: vec=9 [action=RCU]
                      <idle>-0       (-------) [001] ..s1.    98.496874: softirq_exit: vec=7 [action=SCHED]
                      <idle>-0       (-------) [000] d..1.    98.496962: cpu_idle: state=1 cpu_id=0
                      <idle>-0       (-------) [000] dN.1.    98.498712: cpu_idle: state=4294967295 cpu_id=0
                        bash-2079    (   2079) [000] ...1.    98.496143: ipi_send_cpu: cpu=1 callsite=on_each_cpu_cond_mask+0x20/0x60 callback=generic_smp_call_function_single_interrupt+0x0/0x10
                        bash-2079    (   2079) [000] ...1.    98.496143: ipi_send_cpumask: cpumask=0-1 callsite=smp_call_function_many_cond+0x1a/0x30 callback=x+0x0/0x10
                        bash-2079    (   2079) [000] ...1.    98.496143: ipi_send_cpumask: cpumask=00000000,0000000d callsite=a callback=b
                        bash-2079    (   2079) [000] ...1.    98.496143: ipi_send_cpumask: cpumask=0,2-3,7 callsite=a callback=b

            """)
        #expect(try events(r).map(\.kind) == [
            .irqHandlerEntry(irq: 36), .irqHandlerExit(irq: 36), .softirqEntry(vec: 9), .softirqExit(vec: 7),
            .cpuIdle(state: 1, cpuID: 0), .cpuIdle(state: 4_294_967_295, cpuID: 0), .ipiSend(targetCPU: 1),
            .ipiSendMask(targets: 2), .ipiSendMask(targets: 3), .ipiSendMask(targets: 4),
        ])
    }

    @Test func markerTextIsInterned() throws {
        let r = reader("""
                        bash-2079    (   2079) [000] ...1.    98.496681: tracing_mark_write: WORKLOAD_START forkexec
                        bash-2079    (   2079) [001] ...1.    98.533645: tracing_mark_write: WORKLOAD_END forkexec

            """)
        let e = try events(r)
        guard case .marker(let a) = e[0].kind, case .marker(let b) = e[1].kind else {
            Issue.record("not markers: \(e)"); return
        }
        #expect(r.strings[a] == "WORKLOAD_START forkexec")
        #expect(r.strings[b] == "WORKLOAD_END forkexec")
    }

    @Test func syscallsStyleEnterIsAMemorySyscallAndExitIsOther() throws {
        let r = reader("""
                        date-5940    (   5940) [000] .....   325.958229: sys_mmap(addr: 0, len: 0x2000, prot: 3, flags: 0x22, fd: 0xffffffff, off: 0)
                        date-5940    (   5940) [000] .....   325.958235: sys_mmap -> 0x7fc389ee2000
                         seq-2087    (   2087) [001] .....    98.498130: sys_munmap(addr: 0x7fabb5612000, len: 0x82ef)
                         seq-2087    (   2087) [001] .....    98.498131: sys_mprotect(start: 0x7fabb55ff000, len: 0x4000, prot: 1)
                         seq-2087    (   2087) [001] .....    98.498135: sys_brk(brk: 0)
                         seq-2087    (   2087) [001] .....    98.498136: sys_brk -> 0x556dd41d3000
                         seq-2087    (   2087) [001] .....    98.498136: sys_openat(dfd: 0xffffff9c, filename: 0x7f, flags: 0x80000, mode: 0)

            """)
        let e = try events(r)
        #expect(e[0].kind == .memorySyscall(.mmap, address: 0, length: 0x2000))
        #expect(e[2].kind == .memorySyscall(.munmap, address: 0x7fabb5612000, length: 0x82ef))
        #expect(e[3].kind == .memorySyscall(.mprotect, address: 0x7fabb55ff000, length: 0x4000))
        #expect(e[4].kind == .memorySyscall(.brk, address: 0, length: 0))
        guard case .other(let exitName) = e[1].kind, case .other(let openat) = e[6].kind else {
            Issue.record("exits should be .other: \(e)"); return
        }
        #expect(r.strings[exitName] == "sys_exit_mmap")
        #expect(r.strings[openat] == "sys_enter_openat")
        #expect(r.diagnostics.otherEvents == ["sys_exit_mmap": 1, "sys_exit_brk": 1, "sys_enter_openat": 1])
        #expect(r.diagnostics.warningCount == 0)
    }

    @Test func unknownEventsAreCountedNeverFatal() throws {
        let r = reader("""
              rec.sh-5937    (   5937) [001] .....   325.957405: mm_page_alloc: page=000000001fe4c96a pfn=0x175703 order=0 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP
              rec.sh-5937    (   5937) [001] .....   325.957406: mm_page_alloc: page=000000001fe4c96b pfn=0x175704 order=0 migratetype=0 gfp_flags=GFP_KERNEL
              rec.sh-5937    (   5937) [001] .....   325.957407: x86_fpu_regs_deactivated: x86/fpu: 00000000a2b3c4d5 load: 0 xfeatures: 2 xcomp_bv: 0

            """, strict: true)
        let e = try events(r)
        #expect(e.count == 3)
        #expect(r.diagnostics.otherEvents == ["mm_page_alloc": 2, "x86_fpu_regs_deactivated": 1])
    }

    @Test func commsWithDashesAndSpaces() throws {
        let r = reader("""
             kworker/u4:1-events_unbound-123     (    123) [001] d..2.    98.512908: sys_exit: NR 0 = 0
             tokio-rt-worker-812     (    801) [000] .....    98.512909: sys_exit: NR 0 = 0
                 Web Content-77      (     77) [001] .....    98.512910: sys_exit: NR 0 = 0
                       <...>-2140    (   2140) [000] .....    98.512911: sys_exit: NR 0 = 0

            """)
        let e = try events(r)
        #expect(e.map { r.strings[$0.commID] } == ["kworker/u4:1-events_unbound", "tokio-rt-worker", "Web Content", "<...>"])
        #expect(e.map(\.pid) == [123, 812, 77, 2140])
        #expect(e.map(\.tgid) == [123, 801, 77, 2140])
        // Same pid and comm again: the same id, no new string.
        let again = reader("""
             tokio-rt-worker-812 [000] .....    1.000000: sys_exit: NR 0 = 0
             tokio-rt-worker-812 [000] .....    1.000001: sys_exit: NR 0 = 0
             renamed-812 [000] .....    1.000002: sys_exit: NR 0 = 0

            """)
        let ids = try events(again).map(\.commID)
        #expect(ids[0] == ids[1] && ids[1] != ids[2])
        #expect(again.strings[ids[2]] == "renamed")
    }

    @Test func stackTraceEventsAndTheirFramesAreNotWarnings() throws {
        // options/stacktrace output; `CPU 0/KVM` is how QEMU names its vCPU threads.
        let r = reader("""
                   CPU 0/KVM-3001    [001] d..1.   100.000001: tlb_flush: pages:1 reason:local MM shootdown (3)
                   CPU 0/KVM-3001    [001] d..1.   100.000002: <stack trace>
             => flush_tlb_mm_range+0x151/0x1a0
             => ptep_clear_flush+0x4c/0x60
                   CPU 0/KVM-3001    [001] d..1.   100.000003: <user stack trace>
             =>  <00007f0e1a2b3c4d>

            """, strict: true)
        let e = try events(r)
        #expect(e.count == 3)
        #expect(r.strings[e[0].commID] == "CPU 0/KVM")
        #expect(r.diagnostics.otherEvents == ["<stack trace>": 1, "<user stack trace>": 1])
    }

    @Test func withoutTGIDColumnTheTGIDIsMinusOne() throws {
        let r = reader("""
            # tracer: nop
            #
            # entries-in-buffer/entries-written: 2/2   #P:4
            #
            #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
            #              | |         |   |||||     |         |
                        bash-2079    [000] d..1.    98.494722: tlb_flush: pages:-1 reason:flush on task switch (0)
                      <idle>-0       [001] d.h1.    98.495365: call_function_single_entry: vector=251

            """)
        let e = try events(r)
        #expect(e.map(\.tgid) == [-1, -1])
        #expect(e.map(\.pid) == [2079, 0])
        #expect(r.header.hasTGIDColumn == false)
        #expect(r.header.cpuCount == 4)
        #expect(r.header.tracer == "nop")
        #expect(r.header.entriesInBuffer == 2 && r.header.entriesWritten == 2)
    }

    @Test func executionContextFromTheFlagsColumn() throws {
        func context(_ flags: String) throws -> KernelEvent.ExecutionContext? {
            try event("  a-1 [000] \(flags)   1.000000: sys_exit: NR 0 = 0")?.context
        }
        #expect(try context("d.h1.") == .hardirq)
        #expect(try context("dNH2.") == .hardirq)
        #expect(try context("..s1.") == .softirq)
        #expect(try context("d.z1.") == .nmi)
        #expect(try context("d.Z1.") == .nmi)
        #expect(try context("dN.1.") == .task)
        #expect(try context("d.h2") == .hardirq)  // older kernels: 4 columns
    }
}

@Suite struct TracePipeAndTraceCmdTests {
    @Test func tracePipeLostLinesBecomeLostRecords() throws {
        let r = reader("""
                        bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)
            CPU:0 [LOST 246 EVENTS]
                        bash-2079    (   2079) [003] .....    98.494517: sys_exit: NR 1 = 22

            """)
        let all = try records(r)
        #expect(all.count == 3)
        #expect(all[1] == .lost(cpu: 0, count: 246, line: 2))
        #expect(r.diagnostics.lostEvents == 246)
        #expect(r.header.cpuCount == 4)  // no #P: highest CPU + 1
    }

    @Test func headerGapIsOneLostRecord() throws {
        let r = reader("""
            # tracer: nop
            #
            # entries-in-buffer/entries-written: 2621/24308   #P:2
            #
                        bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)

            """)
        let all = try records(r)
        #expect(all.first == .lost(cpu: TraceRecord.unknownCPU, count: 24308 - 2621, line: 3))
        #expect(all.count == 2)
        #expect(r.diagnostics.lostEvents == 21687)
        #expect(r.header.cpuCount == 2)
    }

    @Test func traceCmdReportLines() throws {
        let r = reader("""
            cpus=2
            CPU 1 is empty
            study:  pingpong-20252 [000]   539.695341: sched_switch:  pingpong:20252 [120] R ==> pingpong:20253 [120]
            study:  pingpong-20253 [000]   539.695345: sched_switch:  pingpong:20253 [120] S ==> swapper/0:0 [120]
            study:  pingpong-20253 [001]   539.695350: sched_wakeup:  pingpong:20252 [120] CPU:001
            study:  pingpong-20252 [001]   539.695360: write_msr: msr=830 val=1000000fd failed=0
            study:  pingpong-20252 [001]   539.695361: sched_switch: prev_comm=pingpong prev_pid=20252 prev_prio=120 prev_state=0 next_comm=swapper/1 next_pid=0 next_prio=120
            study:  pingpong-20252 [001]   539.695362: sched_switch: prev_comm=pingpong prev_pid=20252 prev_prio=120 prev_state=1 next_comm=swapper/1 next_pid=0 next_prio=120
                    pingpong-20252 [001]   539.695362123: sys_exit: id=1 ret=-11
                    pingpong-20252 [001] d..2   539.695363: tlb_flush: pages=-1 reason=0
            CPU:1 [12 EVENTS DROPPED]

            """, strict: true)
        let all = try records(r)
        let e = all.compactMap { if case .event(let e) = $0 { e } else { nil } }
        #expect(e.map(\.kind) == [
            .schedSwitch(prevPid: 20252, prevState: UInt8(ascii: "R"), nextPid: 20253),
            .schedSwitch(prevPid: 20253, prevState: UInt8(ascii: "S"), nextPid: 0),
            .schedWakeup(pid: 20252, targetCPU: 1, isNew: false),
            .msrWrite(msr: 0x830, value: 0x1_0000_00fd),
            .schedSwitch(prevPid: 20252, prevState: UInt8(ascii: "R"), nextPid: 0),
            .schedSwitch(prevPid: 20252, prevState: UInt8(ascii: "S"), nextPid: 0),
            .syscallExit(number: 1, returnValue: -11),
            .tlbFlush(reason: .taskSwitch, pages: -1),
        ])
        #expect(r.strings[e[0].commID] == "pingpong")
        #expect(e[0].timestampNanoseconds == 539_695_341_000)
        #expect(e[6].timestampNanoseconds == 539_695_362_123)  // -t: nanoseconds
        #expect(e[0].tgid == -1)
        #expect(all.last == .lost(cpu: 1, count: 12, line: 11))
        #expect(r.header.cpuCount == 2)
    }

    @Test func traceCmdPluginCommsWithColons() throws {
        let r = reader("""
                      <idle>-0     [001] d..2.  1419.584399: sched_switch:         swapper/1:0 [120] R ==> kworker/1:1:41 [120]
                 kworker/1:1-41    [001] d..2.  1419.584402: sched_switch:         kworker/1:1:41 [120] I ==> swapper/1:0 [120]
                 kworker/1:1-41    [001] d..2.  1419.584403: sched_wakeup_new:     true:2088 [120] success=1 CPU:000

            """, strict: true)
        #expect(try events(r).map(\.kind) == [
            .schedSwitch(prevPid: 0, prevState: UInt8(ascii: "R"), nextPid: 41),
            .schedSwitch(prevPid: 41, prevState: UInt8(ascii: "I"), nextPid: 0),
            .schedWakeup(pid: 2088, targetCPU: 0, isNew: true),
        ])
    }

    @Test func provenanceHeaderLines() throws {
        let r = reader("""
            # tracer: nop
            # pvtop-provenance: kernel=6.18.44-fc-v657
            # pvtop-provenance: clock=local
            # pvtop-provenance: workload=make -j2
                        bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)

            """)
        _ = try records(r)
        #expect(r.header.provenance.map { "\($0.key)=\($0.value)" } ==
                ["kernel=6.18.44-fc-v657", "clock=local", "workload=make -j2"])
    }
}

@Suite struct ReaderErrorTests {
    static let good = "            bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)\n"

    @Test func malformedLineIsAWarningWithFileAndLine() throws {
        let r = reader(Self.good + "            bash-2079    (   2079) [000] .....    98.4944xx: sys_enter: NR 33\n"
                       + "            bash-2079    (   2079) [000] .....    98.494455: sched_switch: prev_comm=bash prev_pid=zz\n"
                       + Self.good, name: "broken.trace")
        let e = try events(r)
        #expect(e.count == 2)
        let d = r.diagnostics
        #expect(d.warningCount == 2)
        #expect(d.firstWarnings.map(\.line) == [2, 3])
        #expect(d.firstWarnings[0].description.hasPrefix("broken.trace:2: warning: malformed line (bad timestamp)"))
        #expect(d.firstWarnings[1].description.hasPrefix("broken.trace:3: warning: malformed sched_switch fields"))
    }

    @Test func strictModeThrowsOnTheFirstMalformedLine() throws {
        let r = reader(Self.good + "garbage that is not a trace line\n" + Self.good, name: "s.trace", strict: true)
        #expect(try r.next() != nil)
        #expect(throws: TraceError.self) { _ = try r.next() }
        do { _ = try r.next() } catch {}
        let r2 = reader(Self.good + "garbage that is not a trace line\n", name: "s.trace", strict: true)
        _ = try r2.next()
        do {
            _ = try r2.next()
            Issue.record("no error")
        } catch let error as TraceError {
            #expect(error.file == "s.trace" && error.line == 2)
            #expect(error.description.hasPrefix("s.trace:2: error: malformed line"))
        }
    }

    @Test func controlBytesAreNotEchoedInWarnings() throws {
        let r = reader(Self.good + "  a-1 [000] .....  1.0\u{1b}[2J\u{07}: sys_exit: NR 0 = 0\n")
        _ = try records(r)
        #expect(r.diagnostics.firstWarnings.first?.message == "malformed line (bad timestamp): a-1 [000] .....  1.0?[2J?: sys_exit: NR 0 = 0")
    }

    @Test func warningsAreCappedButCounted() throws {
        let text = Self.good + String(repeating: "  x-1 [000] .....  1.0: sys_exit: NR\n", count: 50)
        let r = reader(text)
        _ = try records(r)
        #expect(r.diagnostics.warningCount == 50)
        #expect(r.diagnostics.firstWarnings.count == FtraceTextReader.keptWarnings)
    }

    @Test func emptyInputIsAnError() throws {
        #expect(throws: TraceError.self) { _ = try reader("").next() }
    }

    @Test func binaryGarbageIsAnError() throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let r = FtraceTextReader(stream: MemoryByteStream(bytes: bytes), name: "g.bin", strict: false)
        #expect(throws: TraceError.self) { _ = try records(r) }
    }

    @Test func traceDatIsRecognised() throws {
        let bytes: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing6\0\0\0\0".utf8)
        let r = FtraceTextReader(stream: MemoryByteStream(bytes: bytes), name: "trace.dat", strict: false)
        do { _ = try r.next(); Issue.record("no error") } catch let e as TraceError {
            #expect(e.message.contains("trace-cmd report"))
        }
    }

    @Test func textWithoutEventsIsAnError() throws {
        let prose = String(repeating: "The quick brown fox jumps over the lazy dog.\n", count: 1200)
        do { _ = try records(reader(prose)); Issue.record("no error") } catch let e as TraceError {
            #expect(e.message.contains("first 1000 lines"))
        }
        #expect(throws: TraceError.self) { _ = try records(reader("hello\nworld\n")) }
    }

    @Test func oneEndlessLineOrBlankLinesAreErrors() throws {
        let endless = String(repeating: "abc", count: 400)
        #expect(throws: TraceError.self) { _ = try records(reader(endless, bufferBytes: 256)) }
        #expect(throws: TraceError.self) { _ = try records(reader("\n\n   \n")) }
    }

    @Test func headerOnlyTraceIsEmptyNotAnError() throws {
        let r = reader("# tracer: nop\n#\n# entries-in-buffer/entries-written: 0/0   #P:2\n")
        #expect(try records(r).isEmpty)
        #expect(r.header.cpuCount == 2)
    }

    @Test func hugeNumbersAreWarningsNotTraps() throws {
        let lines = [
            "  a-99999999999999999999 [000] .....  1.000000: sys_exit: NR 0 = 0",
            "  a-1 [99999999999999999999] .....  1.000000: sys_exit: NR 0 = 0",
            "  a-1 [9000] .....  1.000000: sys_exit: NR 0 = 0",
            "  a-1 [000] .....  99999999999999999999.000000: sys_exit: NR 0 = 0",
            "  a-1 [000] .....  18446744073.709552: sys_exit: NR 0 = 0",
            "  a-1 [000] .....  1.000000: sys_exit: NR 99999999999 = 0",
            "  a-1 [000] .....  1.000000: sys_exit: NR 1 = 99999999999999999999",
            "  a-1 [000] .....  1.000000: sys_exit: NR 1 = -9223372036854775809",
            "  a-1 [000] .....  1.000000: write_msr: 1ffffffff, value 0",
            "  a-1 [000] .....  1.000000: write_msr: 830, value 1ffffffffffffffff",
            "  a-1 [000] .....  1.000000: tlb_flush: pages:99999999999999999999 reason:x (0)",
            "  a-1 [000] .....  1.000000: tlb_flush: pages:1 reason:x (999)",
            "  a-1 [000] .....  1.000000: softirq_entry: vec=300 [action=X]",
            "  a-1 [000] .....  1.000000: cpu_idle: state=4294967296 cpu_id=0",
            "  a-1 [000] .....  1.000000: ipi_send_cpumask: cpumask=0-99999 callsite=x",
        ]
        let r = reader(ReaderErrorTests.good + lines.joined(separator: "\n") + "\n")
        let e = try events(r)
        #expect(e.count == 1)
        #expect(r.diagnostics.warningCount == UInt64(lines.count))
        // Extremes that do fit are kept exactly.
        let big = try #require(try event("  a-1 [000] .....  1.000000: sys_exit: NR 1 = -9223372036854775808"))
        #expect(big.kind == .syscallExit(number: 1, returnValue: Int64.min))
        let tlb = try #require(try event("  a-1 [000] .....  1.000000: tlb_flush: pages:99999999999 reason:x (2)"))
        #expect(tlb.kind == .tlbFlush(reason: .localShootdown, pages: Int32.max))
    }

    @Test func fuzzedLinesNeverTrap() throws {
        let sample = Array(Fixture.forkexecText.split(separator: "\n").prefix(400))
        var rng = SystemRandomNumberGenerator()
        var text = ReaderErrorTests.good
        for line in sample {
            var bytes = Array(line.utf8)
            // Truncate, flip bytes, or splice in digits.
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 1:
                for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 1...255, using: &rng) }
            case 2: bytes.insert(contentsOf: Array("999999999999999999999".utf8), at: Int.random(in: 0...bytes.count, using: &rng))
            default: break
            }
            bytes.removeAll { $0 == 0x0a || $0 == 0 }
            text += String(decoding: bytes, as: UTF8.self) + "\n"
        }
        let r = reader(text)
        let e = try events(r)
        #expect(e.count > 50)
        for n in [1, 7, 60, 200] {  // every truncation length through the tokenizer
            for line in sample.prefix(40) {
                _ = try? records(reader(ReaderErrorTests.good + String(line.prefix(n)) + "\n"))
            }
        }
    }
}

@Suite struct BufferingTests {
    @Test func linesSplitAcrossReadsAndBufferRefills() throws {
        let text = Fixture.forkexecText
        let whole = try events(reader(text))
        // 3-byte reads into a 512-byte buffer: every line straddles many reads and refills.
        let tiny = try events(reader(text, chunk: 3, bufferBytes: 512))
        #expect(whole.count == 18552)
        #expect(tiny == whole)
    }

    @Test func aLineLongerThanTheBufferIsSkippedWithAWarning() throws {
        let long = "  a-1 [000] .....  1.000000: tracing_mark_write: " + String(repeating: "x", count: 1000)
        let r = reader(ReaderErrorTests.good + long + "\n" + ReaderErrorTests.good, name: "l.trace",
                       chunk: 100, bufferBytes: 256)
        let e = try events(r)
        #expect(e.count == 2)
        #expect(e.map(\.line) == [1, 3])
        #expect(r.diagnostics.warningCount == 1)
        #expect(r.diagnostics.firstWarnings.first?.description == "l.trace:2: warning: line longer than 256 bytes skipped")
    }

    @Test func lastLineWithoutNewlineAndCRLF() throws {
        let r = reader("  a-1 [000] .....  1.000000: sys_exit: NR 0 = 5\r\n  a-1 [000] .....  1.000001: sys_exit: NR 0 = 6")
        #expect(try events(r).map(\.kind) == [.syscallExit(number: 0, returnValue: 5), .syscallExit(number: 0, returnValue: 6)])
    }
}

@Suite struct FixtureTests {
    @Test func forkexecFixtureReadsCleanly() throws {
        let r = try FtraceTextReader(path: Fixture.forkexec, strict: true)
        var counts: [String: Int] = [:]
        var n = 0
        var last: UInt64 = 0
        while let record = try r.next() {
            guard case .event(let e) = record else { Issue.record("unexpected \(record)"); continue }
            n += 1
            last = e.timestampNanoseconds
            counts[String(describing: e.kind).prefix(while: { $0 != "(" }).description, default: 0] += 1
        }
        #expect(n == 18552)
        #expect(r.header.entriesWritten == 18552 && r.header.cpuCount == 2 && r.header.hasTGIDColumn)
        #expect(last == 98_533_720_000)
        // Counts from `grep -c` on the fixture.
        #expect(counts["pageFault"] == 5180 + 308)
        #expect(counts["syscallEnter"] == 3520)
        #expect(counts["syscallExit"] == 3507)
        #expect(counts["tlbFlush"] == 2792)
        #expect(counts["msrWrite"] == 366)
        #expect(counts["schedSwitch"] == 188)
        #expect(counts["memorySyscall"] == 451 + 158 + 56 + 52)
        #expect(counts["other"] == 451 + 158 + 56 + 52)
        #expect(counts["schedWakeup"] == 77 + 52)
        #expect(counts["marker"] == 2)
        #expect(r.diagnostics.warningCount == 0)
        #expect(r.diagnostics.linesRead == 18564)
    }
}

@Suite struct MixedEventsFixtureTests {
    /// Fixtures/mixed-events.trace.xz: the first 40 lines of each of 43 event types from a real
    /// recording on the 6.18 guest (pvtop-reader instance, record-tgid, 50 tracepoints), in
    /// their original order; the header's entries line was set to the excerpt's 1647 lines.
    static let path = Fixture.directory.appendingPathComponent("mixed-events.trace.xz").path

    @Test func everyLineOfARealMixedRecordingParsesStrictly() throws {
        let r = try FtraceTextReader(path: Self.path, strict: true)
        let e = try events(r)
        #expect(e.count == 1647)
        #expect(r.diagnostics.warningCount == 0)
        #expect(r.header.entriesWritten == 1647 && r.header.cpuCount == 2)
        // Counts from grep on the uncompressed excerpt.
        #expect(r.diagnostics.otherEvents == [
            "mm_page_alloc": 40, "mm_page_free": 40, "mm_page_free_batched": 40, "exit_mmap": 40,
            "hrtimer_cancel": 40, "hrtimer_expire_entry": 40, "hrtimer_expire_exit": 40, "hrtimer_start": 40,
            "sched_migrate_task": 40, "sched_process_free": 40, "sched_waking": 40, "softirq_raise": 40,
            "task_newtask": 40, "vm_unmapped_area": 40, "x86_fpu_regs_activated": 40,
            "x86_fpu_regs_deactivated": 40, "sys_enter_execve": 40, "sys_enter_clone": 40,
            "sys_enter_clone3": 40, "sys_exit_mmap": 20, "sys_exit_mprotect": 20, "sys_exit_brk": 20,
            "sys_exit_munmap": 20,
        ])
        func count(_ match: (KernelEvent.Kind) -> Bool) -> Int { e.filter { match($0.kind) }.count }
        #expect(count { if case .memorySyscall = $0 { true } else { false } } == 80)
        #expect(count { if case .msrRead(0x3b, _) = $0 { true } else { false } } == 5)
        #expect(count { if case .cpuIdle = $0 { true } else { false } } == 40)
        #expect(e.filter { $0.pid == 0 }.allSatisfy { $0.tgid == 0 })
        #expect(e.filter { $0.context == .hardirq }.count == 252)  // grep ' d.h\| dNh\| d.H\| dnh'
        // A comm that fills the 16-byte column (15 chars, no leading space left).
        #expect(e.contains { r.strings[$0.commID] == "oot.default-qos" && $0.pid == 1467 && $0.tgid == 1461 })
    }
}
