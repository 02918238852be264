import Testing
@testable import PVKernel

@Suite struct BackendXenTests {
    @Test func xenPVCoalescesConsecutiveMMUUpdatesIntoOneEntry() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 5)
        #expect(rig.xen.queuedEntries(cpu: 0).map(\.items) == [5])
        #expect(rig.totalTransitions == 0)
        rig.call(.lazy_mmu_leave)
        // One entry flushed alone: the plain hypercall, not a multicall (modern xen_mc_flush).
        #expect(rig.count("mmu_update") == 1)
        #expect(rig.count("multicall") == 0)
        #expect(rig.flushes("lazy-leave") == 1)
        #expect(rig.ledger.batchSizes[1] == 1)
    }

    @Test func xenPVFlushesWhenTheArgumentSpaceWouldReach512Bytes() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        // 16-byte mmu_update records: 31 fit under 512 bytes, the 32nd forces FL_ARGS.
        rig.call(.set_pte, count: 31)
        #expect(rig.totalTransitions == 0)
        rig.call(.set_pte)
        #expect(rig.flushes("args-full") == 1)
        #expect(rig.count("mmu_update") == 1)
        #expect(rig.xen.queuedEntries(cpu: 0).map(\.items) == [1])
    }

    @Test func xenPVFlushesWhenAll32SlotsAreUsed() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.start_context_switch)
        // stack_switch entries carry no argument bytes and never coalesce: slots run out first.
        rig.call(.load_sp0, count: 32)
        #expect(rig.totalTransitions == 0)
        #expect(rig.xen.queuedEntries(cpu: 0).count == 32)
        rig.call(.load_sp0)
        #expect(rig.flushes("slots-full") == 1)
        #expect(rig.count("multicall") == 1)
        #expect(rig.ledger.batchSizes[32] == 1)
        rig.call(.end_context_switch)
        #expect(rig.flushes("context-switch") == 1)
        #expect(rig.count("stack_switch") == 1)
    }

    @Test func xenPVAlternatingHypercallsDoNotCoalesce() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 2)
        rig.call(.flush_tlb_one_user)
        rig.call(.set_pte, count: 2)
        #expect(rig.xen.queuedEntries(cpu: 0).map(\.items) == [2, 1, 2])
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("multicall") == 1)
        #expect(rig.ledger.batchSizes[3] == 1)
    }

    @Test func xenPVSingleEntryFlushIsAMulticallOnOldKernels() throws {
        var rig = try BackendRig(.xenPV, profile: "vtx-2006")
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 3)
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("multicall") == 1)
        #expect(rig.count("mmu_update") == 0)
    }

    @Test func xenPVOutsideLazyModeEveryUpdateIsIssuedAlone() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.set_pte, count: 4)
        // __xen_set_pte: a direct HYPERVISOR_mmu_update, not a multicall flush.
        #expect(rig.count("mmu_update") == 4)
        #expect(rig.flushes("not-lazy") == 0)
        rig.call(.set_pmd, count: 2)
        #expect(rig.count("mmu_update") == 6)
        #expect(rig.flushes("not-lazy") == 2)
        var old = try BackendRig(.xenPV, profile: "vtx-2006")
        old.call(.set_pte)
        #expect(old.count("mmu_update") == 1)
    }

    @Test func xenPVInterruptsNeverBatch() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 3)
        // An interrupt handler's update is issued at once (xen_get_lazy_mode: NONE in interrupt):
        // set_pte as a direct hypercall that leaves the queue alone…
        rig.call(.set_pte, inInterrupt: true)
        #expect(rig.count("mmu_update") == 1)
        #expect(rig.xen.queuedEntries(cpu: 0).map(\.items) == [3])
        // …other ops through xen_mc_issue, whose flush carries the interrupted section's entries.
        rig.call(.flush_tlb_one_user, inInterrupt: true)
        #expect(rig.flushes("not-lazy") == 1)
        #expect(rig.count("multicall") == 1)
        #expect(rig.xen.queuedEntries(cpu: 0).isEmpty)
        rig.call(.set_pte)
        #expect(rig.xen.queuedEntries(cpu: 0).map(\.items) == [1])
    }

    @Test func xenPVBatchingOffIssuesEveryCallAlone() throws {
        var rig = try BackendRig(.xenPV, options: BackendOptions(cpuCount: 1, batching: false))
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 5)
        #expect(rig.count("mmu_update") == 5)
    }

    @Test func xenPVContextSwitchIsOneFlushThenStackSwitchAlone() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.start_context_switch)
        rig.call(.write_cr3, arg: 1)
        rig.call(.load_tls)
        rig.call(.end_context_switch)
        // modern: NEW_BASEPTR + NEW_USER_BASEPTR in one mmuext entry, no TLS change on x86-64.
        #expect(rig.count("mmuext_op") == 1)
        #expect(rig.count("multicall") == 0)
        rig.call(.load_sp0)
        #expect(rig.count("stack_switch") == 1)
        #expect(rig.flushes("not-lazy") == 1)

        var old = try BackendRig(.xenPV, profile: "vtx-2006")
        old.call(.start_context_switch)
        old.call(.write_cr3)
        old.call(.load_tls)
        old.call(.end_context_switch)
        #expect(old.count("multicall") == 1)
        #expect(old.ledger.batchSizes[2] == 1)
    }

    @Test func xenPVContextSwitchInterruptsLazyMMUAndResumesIt() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 2)
        rig.call(.start_context_switch)
        #expect(rig.flushes("lazy-leave") == 1)
        rig.call(.end_context_switch)
        rig.call(.set_pte)
        #expect(rig.xen.queuedEntries(cpu: 0).count == 1, "lazy MMU resumed after the switch")
    }

    @Test func xenPVExplicitFlushBeforeUpdateDescriptor() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 2)
        rig.call(.write_gdt_entry)
        #expect(rig.flushes("explicit") == 1)
        #expect(rig.count("update_descriptor") == 1)
    }

    @Test func xenPVTLBShootdownIsOneMMUExtAndNoIPI() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.flushTLBMulti(targets: 3, pages: 1))
        #expect(rig.count("mmuext_op") == 1)
        #expect(rig.count("event_channel_op") == 0)
        // The receivers' handler never runs under Xen: it costs nothing.
        let receiver = rig.cost { r in
            for op in [PVOp.interrupt_entry, .flush_tlb_one_user, .apic_eoi, .iret] {
                r.call(op, arg: 1, cpu: 1, inInterrupt: true, cause: .tlbShootdown)
            }
        }
        #expect(receiver == 0)
        #expect(rig.totalTransitions == 1)
        // A reschedule IPI is an event channel per target.
        rig.call(.send_ipi, arg: 3)
        #expect(rig.count("event_channel_op") == 3)
    }

    @Test func xenPVTLBFlushesJoinTheLazyMMUBatch() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.pte_direct_write, count: 2)
        rig.call(.flush_tlb_one_user, count: 2)
        rig.call(.flushTLBMulti(targets: 2, pages: 0))
        #expect(rig.count("mmuext_op") == 0)
        #expect(rig.xen.queuedEntries(cpu: 0).count == 3)
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("multicall") == 1)
        #expect(rig.ledger.batchSizes[3] == 1)
    }

    @Test func xenPVPinnedTableWritesTrapUntilExitMmapUnpins() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.pte_direct_write, count: 4)
        #expect(rig.count("ptwr_emulate") == 4)
        rig.call(.exit_mmap, arg: 10)
        rig.call(.lazy_mmu_enter)
        rig.call(.pte_direct_write, count: 4)
        rig.call(.release_pte, count: 2)
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("ptwr_emulate") == 4)
        rig.call(.pgd_free)
        rig.call(.pte_direct_write)
        #expect(rig.count("ptwr_emulate") == 5)
    }

    @Test func xenPVPinningFillsAMulticallEvery16PageTablePages() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.enter_mmap, arg: 64)
        // (64 + 2 pgds) × (update_va_mapping + PIN entry) = 132 entries: 4 full batches + 4.
        #expect(rig.flushes("slots-full") == 4)
        #expect(rig.flushes("not-lazy") == 1)
        #expect(rig.count("multicall") == 5)
        #expect(rig.ledger.batchSizes[32] == 4)
        rig.call(.exit_mmap, arg: 64)
        // 1 + 1 + 64 × 2 = 130 entries.
        #expect(rig.count("multicall") == 10)
    }

    @Test func xenPVSyscallBouncesAndReturnsThroughTheIretHypercall() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.syscall_entry)
        rig.call(.irq_disable)
        rig.call(.irq_enable)
        rig.call(.usergs_sysret64)
        #expect(rig.count("syscall_bounce") == 1)
        #expect(rig.count("iret") == 1)
        #expect(rig.totalTransitions == 2)
    }

    @Test func xenPVMSRWritesByNumber() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.write_msr, arg: 0xc000_0100)
        rig.call(.write_msr, arg: 0xc000_0082)
        rig.call(.write_msr, arg: 0x1a0)
        #expect(rig.count("set_segment_base") == 1)
        #expect(rig.count("emulate_insn") == 1)
        #expect(rig.totalTransitions == 2)
    }

    @Test func xenPVFinishFlushesWhatIsQueued() throws {
        var rig = try BackendRig(.xenPV)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 3, cpu: 2)
        rig.call(.lazy_mmu_enter, cpu: 2)
        rig.call(.set_pte, count: 3, cpu: 2)
        rig.finish()
        #expect(rig.flushes("end") == 1)
    }
}

@Suite struct XenSwitchTests {
    @Test func xenPVWritesTheGSBaseWithAHypercallOnEverySwitch() throws {
        // The recording CPU used wrgsbase (no msr event); a Xen PV guest's __wrgsbase_inactive
        // cannot: set_segment_base, unbatched, after the switch's multicall.
        let (m, d) = try replay(switchWithCR3, on: .xenPV)
        #expect(m.count("set_segment_base", in: d) == 1)
        #expect(m.count("stack_switch", in: d) == 1) // x86-64: load_sp0 after the lazy CPU section
        let (native, _) = try replay(switchWithCR3, on: .native)
        #expect(native.transitionCounts.reduce(0, +) == 0)
        let (kvm, kd) = try replay(switchWithCR3, on: .kvm)
        #expect(kvm.count("MSR_WRITE", in: kd) == 0)
    }
}
