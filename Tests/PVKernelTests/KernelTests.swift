import Testing
@testable import PVKernel
import PVTrace

/// Expansion tests. Events mirror real lines from a trace recorded on the development machine
/// (Tests/PVTraceTests/Fixtures/forkexec-quick.trace) and tracing.md §2.
@Suite struct KernelExpansionTests {
    let parameters = try! KernelParameters.load()

    func event(_ kind: KernelEvent.Kind, cpu: UInt16 = 0, t: UInt64 = 1_000, pid: Int32 = 2079,
               context: KernelEvent.ExecutionContext = .task) -> KernelEvent {
        KernelEvent(timestampNanoseconds: t, cpu: cpu, pid: pid, context: context, kind: kind)
    }

    /// Expands a sequence and returns (class, final, ops with counts) per segment, in order.
    func expand(_ events: [KernelEvent], cpus: Int = 2, finish: Bool = false) -> [(EventClass, Bool, [String])] {
        var kernel = Kernel(parameters: parameters, cpuCount: cpus)
        var out = Expansion()
        var result: [(EventClass, Bool, [String])] = []
        func collect() {
            for s in out.segments {
                let ops = out.calls[s.start..<s.end].map { $0.count == 1 ? $0.op.name : "\($0.op.name)×\($0.count)" }
                result.append((s.eventClass, s.isFinal, ops))
            }
        }
        for e in events { kernel.expand(e, into: &out); collect() }
        if finish { kernel.finish(into: &out); collect() }
        return result
    }

    @Test func syscallIsOneSampleFromEnterToExit() {
        // bash-2079 [000] ..... 98.494454: sys_enter: NR 33 (…) / sys_exit: NR 33 = 1
        let r = expand([event(.syscallEnter(number: 33)), event(.syscallExit(number: 33, returnValue: 1))])
        #expect(r.count == 2)
        #expect(r[0].0 == .syscall && r[0].1 == false)
        #expect(r[0].2 == ["syscall_entry", "save_fl", "irq_disable", "irq_enable"])
        #expect(r[1].0 == .syscall && r[1].1 == true)
        #expect(r[1].2 == ["usergs_sysret64"])
    }

    @Test func contextSwitchLoadsCR3OnlyWhenTLBFlushReasonZeroFollows() {
        // sched_switch, then `tlb_flush: pages:0 reason:flush on task switch (0)` on the same CPU.
        let withCR3 = expand([
            event(.schedSwitch(prevPid: 2079, prevState: UInt8(ascii: "S"), nextPid: 2087)),
            event(.tlbFlush(reason: .taskSwitch, pages: 0)),
        ])
        #expect(withCR3.map(\.0) == [.contextSwitch, .contextSwitch])
        #expect(withCR3[0].1 == false && withCR3[1].1 == true)
        #expect(withCR3[1].2 == ["write_cr3", "load_tls", "end_context_switch", "load_sp0"])
        #expect(withCR3[0].2.first == "start_context_switch")

        // A switch to a kernel thread is lazy TLB: no reason-0 flush, no CR3 load.
        let lazy = expand([
            event(.schedSwitch(prevPid: 2079, prevState: UInt8(ascii: "S"), nextPid: 15)),
            event(.syscallEnter(number: 0), pid: 15),
        ])
        #expect(lazy[1].0 == .contextSwitch && lazy[1].1)
        #expect(!lazy[1].2.contains("write_cr3"))
        #expect(lazy[2].0 == .syscall)
    }

    @Test func switchStillOpenAtEndIsClosedByFinish() {
        let r = expand([event(.schedSwitch(prevPid: 1, prevState: 0, nextPid: 2))], finish: true)
        #expect(r.last?.1 == true)
        #expect(r.last?.2 == ["load_tls", "end_context_switch", "load_sp0"])
    }

    @Test func idleIsOneHaltWhetherOrNotCpuIdleFires() {
        // With power:cpu_idle (CPU 0 on the guest): the halt comes at cpu_idle.
        let withIdle = expand([
            event(.schedSwitch(prevPid: 2079, prevState: 0, nextPid: 0)),
            event(.cpuIdle(state: 1, cpuID: 0), pid: 0),
            event(.cpuIdle(state: UInt32.max, cpuID: 0), pid: 0),
            event(.schedSwitch(prevPid: 0, prevState: 0, nextPid: 2079), pid: 0),
        ])
        #expect(withIdle.filter { $0.0 == .idle }.count == 1)
        // Without it (CPU 1 on the guest): the halt is derived from the switch pair.
        let derived = expand([
            event(.schedSwitch(prevPid: 2079, prevState: 0, nextPid: 0), cpu: 1),
            event(.schedSwitch(prevPid: 0, prevState: 0, nextPid: 2079), cpu: 1, pid: 0),
        ])
        #expect(derived.filter { $0.0 == .idle }.map(\.2) == [["safe_halt"]])
    }

    @Test func pageFaultSetsOnePTEAndCOWFlushesIt() {
        // page_fault_user: address=0x55af9e58a0e0 ip=0x7fa624d84247 error_code=0x7 (write to present: COW)
        let cow = expand([event(.pageFault(user: true, address: 0x55af9e58a0e0, errorCode: 0x7))])
        #expect(cow.count == 1 && cow[0].0 == .pageFault)
        #expect(cow[0].2.contains("set_pte") && cow[0].2.contains("flush_tlb_one_user"))
        #expect(cow[0].2.first == "exception_entry" && cow[0].2.last == "iret")
        let notPresent = expand([event(.pageFault(user: true, address: 0x1000, errorCode: 0x6))])
        #expect(!notPresent[0].2.contains("flush_tlb_one_user"))
    }

    @Test func pageTablePagesAreAllocatedAtTheAssumedRate() {
        let faults = (0..<1000).map { _ in event(.pageFault(user: true, address: 0, errorCode: 0x6)) }
        let allocs = expand(faults).filter { $0.2.contains("alloc_pte") }.count
        let expected = Int(parameters.value("page_fault.pte_page_alloc_fraction") * 1000)
        #expect(allocs == expected)
    }

    @Test func shootdownSenderBecomesOneFlushTLBMultiAndItsIPIIsAbsorbed() {
        // tlb_flush reason 4 (remote IPI send), ipi_send_cpu cpu=1, write_msr 830 value 1000000fb, then reason 3.
        var kernel = Kernel(parameters: parameters, cpuCount: 2)
        var out = Expansion()
        var segments: [(EventClass, [PVCall])] = []
        for e in [
            event(.tlbFlush(reason: .remoteSendIPI, pages: 8)),
            event(.ipiSend(targetCPU: 1)),
            event(.msrWrite(msr: 0x830, value: 0x1_0000_00fb)),
            event(.tlbFlush(reason: .localMMShootdown, pages: 8)),
            // The target: call_function_single_entry, tlb_flush reason 1, exit (in hardirq).
            event(.vectorEntry(.callFunctionSingle), cpu: 1, context: .hardirq),
            event(.tlbFlush(reason: .remoteShootdown, pages: 8), cpu: 1, context: .hardirq),
            event(.vectorExit(.callFunctionSingle), cpu: 1, context: .hardirq),
        ] {
            kernel.expand(e, into: &out)
            for s in out.segments {
                segments.append((s.eventClass, Array(out.calls[s.start..<s.end])))
                if s.context.cpu == 1 { #expect(s.context.ipiCause == .tlbShootdown && s.context.inInterrupt) }
            }
        }
        #expect(segments.map(\.0) == [.tlbShootdown, .tlbFlush, .interrupt, .tlbFlush, .interrupt])
        let multi = segments[0].1
        #expect(multi.count == 1 && multi[0].op == .flush_tlb_multi)
        #expect(multi[0].flushTargets == 1 && multi[0].flushPages == 8)
        #expect(segments[1].1 == [PVCall(.flush_tlb_one_user, count: 8)])
        #expect(!segments.flatMap(\.1).contains { $0.op == .send_ipi })
    }

    @Test func plainIPIIsOneSendAndItsICRWriteIsNotCountedTwice() {
        let r = expand([
            event(.ipiSend(targetCPU: 0), cpu: 1),
            event(.msrWrite(msr: 0x830, value: 0xfd), cpu: 1),
            // An ICR write with no ipi tracepoint before it is an IPI of its own.
            event(.msrWrite(msr: 0x830, value: 0xfd), cpu: 1),
        ])
        #expect(r.map(\.0) == [.ipi, .ipi])
        #expect(r.allSatisfy { $0.2 == ["send_ipi"] })
    }

    @Test func timerMSRWriteProgramsTheClockevent() {
        let r = expand([event(.msrWrite(msr: 0x6e0, value: 0x114e1ec55b3))])
        #expect(r.map(\.0) == [.timer] && r[0].2 == ["set_next_event"])
        let other = expand([event(.msrWrite(msr: 0xc000_0100, value: 0))])
        #expect(other.map(\.0) == [.msr] && other[0].2 == ["write_msr"])
    }

    @Test func interruptSynthesizesEOIUnlessTheTraceShowsIt() {
        let timer = expand([
            event(.vectorEntry(.localTimer), context: .hardirq),
            event(.vectorExit(.localTimer), context: .hardirq),
        ])
        #expect(timer[0].2 == ["interrupt_entry", "sched_clock", "steal_clock"])
        #expect(timer[1].2 == ["apic_eoi", "iret"])
        let seenEOI = expand([
            event(.vectorEntry(.localTimer), context: .hardirq),
            event(.msrWrite(msr: 0x80b, value: 0), context: .hardirq),
            event(.vectorExit(.localTimer), context: .hardirq),
        ])
        #expect(seenEOI.flatMap(\.2).filter { $0 == "apic_eoi" }.count == 1)
    }

    @Test func forkExecExitTouchTheAssumedPageTables() {
        let ptes = Int(parameters.value("fork.ptes_copied"))
        let r = expand([
            event(.processFork(parentPid: 2079, childPid: 2087)),
            event(.processExec(pid: 2087, oldPid: 2087), pid: 2087),
            event(.processExit(pid: 2087, groupDead: true), pid: 2087),
            event(.processExit(pid: 2090, groupDead: false), pid: 2090),
        ])
        #expect(r.map(\.0) == [.fork, .exec, .exit])
        #expect(r[0].2.contains("set_pte×\(ptes)") && r[0].2.contains("enter_mmap"))
        #expect(r[0].2.firstIndex(of: "lazy_mmu_enter")! < r[0].2.firstIndex(of: "lazy_mmu_leave")!)
        #expect(r[1].2.contains("write_cr3") && r[1].2.contains("exit_mmap"))
        #expect(r[2].2.contains("exit_mmap") && r[2].2.contains("pgd_free"))
    }

    @Test func munmapAndMprotectRunInLazyMMUMode() {
        // sys_munmap(addr: 0x7fabb5612000, len: 0x82ef) -> 9 pages
        let r = expand([
            event(.memorySyscall(.munmap, address: 0x7fabb5612000, length: 0x82ef)),
            event(.memorySyscall(.mprotect, address: 0x7fabb55ff000, length: 0x4000)),
            event(.memorySyscall(.mmap, address: 0, length: 0x2000)),
        ])
        #expect(r.count == 2)
        #expect(r[0].2 == ["lazy_mmu_enter", "pte_direct_write×9", "lazy_mmu_leave"])
        #expect(r[1].2 == ["lazy_mmu_enter", "ptep_modify_prot_start×4", "ptep_modify_prot_commit×4", "lazy_mmu_leave"])
    }

    @Test func largeFlushesBecomeFullFlushesAboveTheCeiling() {
        let r = expand([event(.tlbFlush(reason: .localMMShootdown, pages: 200)),
                        event(.tlbFlush(reason: .localShootdown, pages: -1))])
        #expect(r.map(\.2) == [["flush_tlb_user"], ["flush_tlb_user"]])
    }

    @Test func eventsTheModelDoesNotUseExpandToNothing() {
        #expect(expand([event(.schedWakeup(pid: 1, targetCPU: 0, isNew: false)), event(.other(nameID: 3)),
                        event(.marker(textID: 1))]).isEmpty)
    }
}
