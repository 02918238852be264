import Testing
@testable import PVKernel

@Suite struct BackendVMITests {
    @Test func vmiDeferredModeQueuesPTEUpdatesUntilLeave() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 10)
        #expect(rig.count("SetPxE") == 0)
        #expect((rig.backend as! VMIBackend).queuedUpdates(cpu: 0) == 10)
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("SetLazyMode") == 2)
        #expect(rig.count("deferred flush") == 1)
        #expect(rig.flushes("lazy-leave") == 1)
        #expect(rig.ledger.batchSizes[10] == 1)
    }

    @Test func vmiOutsideDeferredModeEveryUpdateIsARomCall() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        rig.call(.set_pte, count: 3)
        #expect(rig.count("SetPxE") == 3)
        #expect(rig.count("deferred flush") == 0)
    }

    @Test func vmiInterruptHandlersDoNotDefer() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, inInterrupt: true)
        #expect(rig.count("SetPxE") == 1)
    }

    @Test func vmiContextSwitchDefersCPUStateIntoOneFlush() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        rig.call(.start_context_switch)
        rig.call(.write_cr3)
        rig.call(.load_tls)
        rig.call(.load_sp0)
        rig.call(.end_context_switch)
        #expect(rig.count("SetCR3") == 0)
        #expect(rig.count("deferred flush") == 1)
        #expect(rig.flushes("context-switch") == 1)
        rig.call(.write_cr3)
        #expect(rig.count("SetCR3") == 1)
    }

    @Test func vmiDirectPTEWritesGoThroughThePTEUpdateHookExceptInTeardown() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        rig.call(.pte_direct_write, count: 2)
        #expect(rig.count("UpdatePxE") == 2)
        rig.call(.exit_mmap)
        rig.call(.pte_direct_write, count: 5)
        #expect(rig.count("UpdatePxE") == 2)
        rig.call(.pgd_free)
        rig.call(.pte_direct_write)
        #expect(rig.count("UpdatePxE") == 3)
    }

    @Test func vmiIrqOpsAreRomCallsNotExits() throws {
        var rig = try BackendRig(.vmi, profile: "vtx-2006")
        let cost = rig.cost { $0.call(.irq_disable); $0.call(.irq_enable) }
        #expect(rig.count("DisableInterrupts") == 1)
        #expect(rig.count("EnableInterrupts") == 1)
        #expect(cost < 100)
    }
}

@Suite struct BackendLguestTests {
    @Test func lguestRingTakes64LazyCallsAndThe65thIsSynchronous() throws {
        var rig = try BackendRig(.lguest, profile: "vtx-2006")
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 64)
        #expect(rig.count("LHCALL_SET_PTE") == 0)
        #expect((rig.backend as! LguestBackend).ringEntries(cpu: 0) == 64)
        rig.call(.set_pte)
        #expect(rig.count("LHCALL_SET_PTE") == 1)
        #expect(rig.flushes("ring-full") == 1)
        #expect(rig.ledger.batchSizes[64] == 1)
        #expect((rig.backend as! LguestBackend).ringEntries(cpu: 0) == 0)
        rig.call(.lazy_mmu_leave)
        #expect(rig.count("LHCALL_FLUSH_ASYNC") == 1)
    }

    @Test func lguestLazyLeaveFlushesTheRingWithOneHypercall() throws {
        var rig = try BackendRig(.lguest, profile: "vtx-2006")
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, count: 20)
        rig.call(.flush_tlb_one_user, count: 5)
        rig.call(.lazy_mmu_leave)
        #expect(rig.totalTransitions == 1)
        #expect(rig.count("LHCALL_FLUSH_ASYNC") == 1)
        #expect(rig.ledger.batchSizes[25] == 1)
    }

    @Test func lguestContextSwitchQueuesCR3TLSAndStack() throws {
        var rig = try BackendRig(.lguest, profile: "vtx-2006")
        rig.call(.start_context_switch)
        rig.call(.write_cr3)
        rig.call(.load_tls)
        rig.call(.end_context_switch)
        rig.call(.load_sp0)
        #expect(rig.count("LHCALL_FLUSH_ASYNC") == 1)
        #expect(rig.flushes("context-switch") == 1)
        #expect(rig.count("LHCALL_SET_STACK") == 1, "after the switch ended, load_sp0 is synchronous")
    }

    @Test func lguestTeardownWritesSkipThePTEUpdateHook() throws {
        var rig = try BackendRig(.lguest, profile: "vtx-2006")
        rig.call(.exit_mmap)
        rig.call(.pte_direct_write, count: 100)
        #expect(rig.totalTransitions == 0)
        rig.call(.pgd_free)
        rig.call(.pte_direct_write)
        #expect(rig.count("LHCALL_SET_PTE") == 1)
    }

    @Test func lguestIrqOpsAreSharedMemoryAndHaltIsAHypercall() throws {
        var rig = try BackendRig(.lguest)
        rig.call(.irq_disable)
        rig.call(.irq_enable)
        rig.call(.save_fl)
        #expect(rig.totalTransitions == 0)
        rig.call(.safe_halt)
        #expect(rig.count("LHCALL_HALT") == 1)
    }

    @Test func lguestInterruptContextCallsAreSynchronous() throws {
        var rig = try BackendRig(.lguest)
        rig.call(.lazy_mmu_enter)
        rig.call(.set_pte, inInterrupt: true)
        #expect(rig.count("LHCALL_SET_PTE") == 1)
    }
}

@Suite struct I386SwitchOrderTests {
    @Test func lguestStackSwitchJoinsTheAsyncRingOfTheSwitch() throws {
        let (m, d) = try replay(switchWithCR3, on: .lguest)
        // load_esp0 ran inside lazy CPU mode: queued, drained by the one LHCALL_FLUSH_ASYNC.
        #expect(m.count("LHCALL_SET_STACK", in: d) == 0)
        #expect(m.count("LHCALL_FLUSH_ASYNC", in: d) == 1)
        #expect(m.batchSizes[3] == 1) // NEW_PGTABLE, SET_STACK, LOAD_TLS
    }

    @Test func vmiUpdateKernelStackIsDeferredWithTheSwitch() throws {
        let (m, d) = try replay(switchWithCR3, on: .vmi)
        #expect(m.count("UpdateKernelStack", in: d) == 0)
        #expect(m.count("deferred flush", in: d) == 1)
    }
}
