import Testing
@testable import PVKernel
import PVTrace

/// Expansion tests. Events mirror real lines from a trace recorded on the development machine
/// (Tests/PVTraceTests/Fixtures/forkexec-quick.trace).
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
        #expect(withCR3[1].2 == ["write_cr3", "load_sp0", "load_tls", "end_context_switch", "x86_fsgsbase_load", "load_sp0"])
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
        #expect(r.last?.2 == ["load_sp0", "load_tls", "end_context_switch", "x86_fsgsbase_load", "load_sp0"])
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

    @Test func shootdownSenderBecomesOneFlushTLBMultiAndItsIPIIsAbsorbed() throws {
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
        // The sender's own reason-3 flush is flush_tlb_multi's local part, not a second flush.
        try #require(segments.map(\.0) == [.tlbShootdown, .interrupt, .tlbFlush, .interrupt])
        let multi = segments[0].1
        #expect(multi.count == 1 && multi[0].op == .flush_tlb_multi)
        #expect(multi[0].flushTargets == 1 && multi[0].flushPages == 8 && multi[0].flushIncludesLocal)
        #expect(segments[2].1 == [PVCall(.flush_tlb_one_user, count: 8)])
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

    /// A process the trace shows from its exec on: its faults decide what fork copies.
    func execThen(_ events: [KernelEvent], flushTraced: Bool = true) -> [(EventClass, Bool, [String])] {
        let prelude = (flushTraced ? [event(.tlbFlush(reason: .localShootdown, pages: 1))] : [])
            + [event(.processExec(pid: 2079, oldPid: 2079))]
        return Array(expand(prelude + events).dropFirst(prelude.count))
    }

    @Test func forkCopiesThePrivatePagesTheTraceShowsAndWriteProtectsOnlyWritableOnes() {
        // Three pages written (error_code 0x6), two pages of text fetched (0x14, fault-around).
        let faults = [0x7f00_0000_1000, 0x7f00_0000_2000, 0x7ffd_fd32_72a8].map {
            event(.pageFault(user: true, address: UInt64($0), errorCode: 0x6))
        } + [event(.pageFault(user: true, address: 0x55d8_a7d2_3108, errorCode: 0x14))]
        let r = execThen(faults + [
            event(.processFork(parentPid: 2079, childPid: 2087)),
            // The parent writes one of its now read-only pages: a COW break.
            event(.pageFault(user: true, address: 0x7f00_0000_1000, errorCode: 0x7)),
            event(.processFork(parentPid: 2079, childPid: 2088)),
            event(.processExit(pid: 2087, groupDead: true), pid: 2087),
        ])
        let forks = r.filter { $0.0 == .fork }.map(\.2)
        #expect(forks.count == 2)
        // copy_pte_range copies the 3 private PTEs (not the file text) and write-protects them.
        #expect(forks[0].contains("set_pte×3") && forks[0].contains("pte_direct_write×3"))
        // After the first fork only the COW-broken page is writable again.
        #expect(forks[1].contains("set_pte×3") && forks[1].contains("pte_direct_write"))
        #expect(!forks[1].contains("pte_direct_write×3"))
        // The child's exit zaps the 3 PTEs it got.
        let exit = r.first { $0.0 == .exit }!.2
        #expect(exit.contains("pte_direct_write×3") && exit.contains("exit_mmap") && exit.contains("pgd_free"))
    }

    @Test func execTearsDownWhatTheOldMMHeldAndThreadsKeepTheirs() {
        let r = expand([
            event(.processFork(parentPid: 2079, childPid: 2087)),
            event(.pageFault(user: true, address: 0x7f00_0000_1000, errorCode: 0x6), pid: 2087),
            event(.pageFault(user: true, address: 0x7f00_0000_9000, errorCode: 0x6), pid: 2087),
            event(.processExec(pid: 2087, oldPid: 2087), pid: 2087),
            event(.processExit(pid: 2090, groupDead: false), pid: 2090),
        ])
        #expect(r.map(\.0) == [.fork, .pageFault, .pageFault, .exec])
        #expect(r[3].2.contains("pte_direct_write×2") && r[3].2.contains("exit_mmap"))
    }

    @Test func flushesArePricedOnceFromTheTraceWhenItRecordsThem() {
        let cow = event(.pageFault(user: true, address: 0x7f00_0000_1000, errorCode: 0x7))
        let fork = event(.processFork(parentPid: 2079, childPid: 2087))
        let exec = event(.processExec(pid: 2079, oldPid: 2079))
        // No tlb_flush events: the model adds the COW INVLPG, fork's flush_tlb_mm, exec's CR3.
        let untraced = expand([cow, fork, exec])
        #expect(untraced[0].2.contains("flush_tlb_one_user") && untraced[1].2.contains("flush_tlb_user"))
        #expect(untraced[2].2.contains("write_cr3"))
        // With them (`tlb_flush pages:1 reason 3` after each COW fault): none of its own.
        let traced = expand([event(.tlbFlush(reason: .localMMShootdown, pages: 1)), cow, fork, exec])
        #expect(!traced[1].2.contains("flush_tlb_one_user") && !traced[2].2.contains("flush_tlb_user"))
        #expect(!traced[3].2.contains("write_cr3"))
    }

    @Test func faultAroundIsOneLazyBatchOfTheWindowsAbsentPages() {
        // A read fault on a file mapping maps the aligned 16-page window in one set_ptes.
        let r = execThen([
            event(.pageFault(user: true, address: 0x55d8_a7d2_3108, errorCode: 0x14)),
            event(.pageFault(user: true, address: 0x55d8_a7d2_5000, errorCode: 0x4)), // same window
        ])
        #expect(r[0].2.contains("set_pte×16"))
        #expect(r[0].2.firstIndex(of: "lazy_mmu_enter")! < r[0].2.firstIndex(of: "set_pte×16")!)
        #expect(r[0].2.firstIndex(of: "set_pte×16")! < r[0].2.firstIndex(of: "lazy_mmu_leave")!)
        // The window is mapped already: the fault maps its own page only.
        #expect(r[1].2.contains("set_pte") && !r[1].2.contains { $0.hasPrefix("set_pte×") })
        // A write fault maps one PTE, outside any lazy section.
        let w = execThen([event(.pageFault(user: true, address: 0x7f00_0000_1000, errorCode: 0x6))])
        #expect(w[0].2.contains("set_pte") && !w[0].2.contains("lazy_mmu_enter"))
    }

    @Test func munmapAndMprotectTouchOnlyPresentPages() {
        // sys_munmap(addr: 0x7fabb5612000, len: 0x82ef) = 9 pages, of which 2 were touched.
        let r = execThen([
            event(.pageFault(user: true, address: 0x7fab_b561_2010, errorCode: 0x6)),
            event(.pageFault(user: true, address: 0x7fab_b561_9000, errorCode: 0x6)),
            event(.pageFault(user: true, address: 0x7fab_b55f_f000, errorCode: 0x6)),
            event(.memorySyscall(.mprotect, address: 0x7fab_b55f_f000, length: 0x4000)),
            event(.memorySyscall(.munmap, address: 0x7fab_b561_2000, length: 0x82ef)),
            event(.memorySyscall(.munmap, address: 0x7fab_b561_2000, length: 0x82ef)), // nothing left
            event(.memorySyscall(.mmap, address: 0, length: 0x2000)),
        ])
        let mm = r.filter { $0.0 == .memoryMap }.map(\.2)
        #expect(mm == [["lazy_mmu_enter", "ptep_modify_prot_start", "ptep_modify_prot_commit", "lazy_mmu_leave"],
                       ["lazy_mmu_enter", "pte_direct_write×2", "lazy_mmu_leave"]])
    }

    @Test func aShrinkingBreakTearsDownThePagesAboveIt() {
        let r = execThen([
            event(.memorySyscall(.brk, address: 0x5600_0002_1000, length: 0)),
            event(.pageFault(user: true, address: 0x5600_0001_f000, errorCode: 0x6)),
            event(.pageFault(user: true, address: 0x5600_0002_0000, errorCode: 0x6)),
            event(.memorySyscall(.brk, address: 0x5600_0002_0000, length: 0)),
        ])
        #expect(r.last?.2 == ["lazy_mmu_enter", "pte_direct_write", "lazy_mmu_leave"])
    }

    @Test func lengthsNearTwoToTheSixtyFourDoNotTrap() {
        let r = execThen([
            event(.pageFault(user: true, address: 0x7fab_b561_2010, errorCode: 0x6)),
            event(.memorySyscall(.munmap, address: 0xffff_ffff_ffff_f000, length: .max)),
            event(.memorySyscall(.mprotect, address: 0x1000, length: .max)),
            event(.memorySyscall(.munmap, address: 0, length: .max)),
            event(.memorySyscall(.brk, address: .max, length: 0)),
            event(.memorySyscall(.brk, address: 1, length: 0)),
        ])
        #expect(r.filter { $0.0 == .memoryMap }.map(\.2) == [
            ["lazy_mmu_enter", "ptep_modify_prot_start", "ptep_modify_prot_commit", "lazy_mmu_leave"],
            ["lazy_mmu_enter", "pte_direct_write", "lazy_mmu_leave"],
        ])
    }

    @Test func switchOrderFollowsEachGuestKernel() {
        var kernel = Kernel(parameters: parameters, cpuCount: 1)
        var out = Expansion()
        kernel.expand(event(.schedSwitch(prevPid: 1, prevState: 0, nextPid: 2)), into: &out)
        kernel.expand(event(.tlbFlush(reason: .taskSwitch, pages: 0)), into: &out)
        func ops(_ k: GuestKernel) -> [PVOp] { out.calls.filter { $0.kernels.contains(k.member) }.map(\.op) }
        // i386 2.6.2x __switch_to: load_esp0 before arch_leave_lazy_cpu_mode.
        #expect(ops(.i386_2_6) == [.write_cr3, .load_sp0, .load_tls, .end_context_switch])
        // x86-64: the stack (XENPV) and the FS/GS bases after arch_end_context_switch.
        #expect(ops(.x86_64) == [.write_cr3, .load_tls, .end_context_switch, .x86_fsgsbase_load, .load_sp0])
    }

    @Test func aLegacyFSBaseWriteInsideTheSwitchIsTheSwitchsOwn() {
        let r = expand([
            event(.schedSwitch(prevPid: 1, prevState: 0, nextPid: 2)),
            event(.msrWrite(msr: 0xc000_0100, value: 0x7f00_0000_0000)),
            event(.syscallEnter(number: 0), pid: 2),
        ])
        #expect(r.map(\.0) == [.contextSwitch, .contextSwitch, .syscall])
        #expect(!r.flatMap(\.2).contains("write_msr"))
    }

    @Test func theFlushCeilingIsTheKernelModelParameter() throws {
        func multiPages(ceiling: Double) throws -> Int {
            var k = parameters
            k.values["tlb.single_page_flush_ceiling"]!.value = ceiling
            var kernel = Kernel(parameters: k, cpuCount: 2)
            var out = Expansion()
            kernel.expand(event(.tlbFlush(reason: .remoteSendIPI, pages: 40)), into: &out)
            kernel.expand(event(.ipiSend(targetCPU: 1)), into: &out)
            kernel.expand(event(.tlbFlush(reason: .localMMShootdown, pages: 40)), into: &out)
            return try #require(out.calls.first { $0.op == .flush_tlb_multi }).flushPages
        }
        #expect(try multiPages(ceiling: 33) == 0)   // above the ceiling: a full flush
        #expect(try multiPages(ceiling: 64) == 40)
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

@Suite struct MarkerTests {
    let parameters = try! KernelParameters.load()

    func expand(_ text: String) throws -> (Bool, [PVCall]) {
        var kernel = Kernel(parameters: parameters, cpuCount: 1)
        var out = Expansion()
        let e = KernelEvent(timestampNanoseconds: 0, cpu: 0, pid: 1, line: 42, kind: .marker(textID: 0))
        let ok = try kernel.expandMarker(text, event: e, into: &out)
        return (ok, out.calls)
    }

    @Test func opNamesAreCheckedAgainstPVOp() throws {
        let (ok, calls) = try expand("pvtop-op class=page_fault exception_entry set_pte×3 iret")
        #expect(ok && calls.map(\.op) == [.exception_entry, .set_pte, .iret] && calls[1].count == 3)
        #expect(try expand("WORKLOAD_START pvtop-28017").0 == false)
        for typo in ["pvtop-op set_ptee", "pvtop-op class=pagefault set_pte", "pvtop-op set_pte×0",
                     "pvtop-op set_pte×x", "pvtop-op ×3", "pvtop-op set_pte×2×3"] {
            #expect(throws: TraceError.self, "\(typo)") { try expand(typo) }
        }
        do { _ = try expand("pvtop-op set_ptee") } catch let e as TraceError { #expect(e.line == 42 && e.message.contains("set_ptee")) }
    }
}
