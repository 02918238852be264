/// Xen PV (64-bit guest): vcpu_info shared memory for the irq ops, hypercalls for everything
/// privileged, a per-CPU multicall buffer for lazy MMU / lazy CPU mode, pinned page tables
/// validated by Xen, and kernel entries (syscall, exceptions, events) bounced through Xen.
///
/// Sources (Linux 6.x): arch/x86/xen/enlighten_pv.c, mmu_pv.c,
/// [XEN-MC] multicalls.c, [XEN-IRQ] irq.c, [XEN-ASM] xen-asm.S; hypercall numbers [XEN-IF].
public struct XenPVBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.xenPV
    public static let batchTransition: String? = "multicall"

    private static let mmu = "xen/mmu_pv.c"
    private static let pv = "xen/enlighten_pv.c"
    private static let irq = "xen/irq.c"

    public static let rules: [PVOp: OpRule] = [
        // MARK: cpu
        .io_delay: OpRule(.nop, "paravirt_nop", source: "\(pv) xen_cpu_ops (.io_delay = xen_io_delay: nop)"),
        .cpuid: OpRule(.trap, "XEN_EMULATE_PREFIX cpuid (forced emulation)", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_cpuid"),
        .read_msr: OpRule(.trap, "rdmsr #GP → Xen emulates (PMU MSRs via xen_pmu)", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_do_read_msr → native_read_msr_safe"),
        .write_msr: OpRule(.hypercall, "FS/GS bases → set_segment_base; STAR/LSTAR/CSTAR/SYSENTER ignored; others emulated (T)", cost: "xen.simple_item", transition: "set_segment_base", source: "\(pv) xen_do_write_msr")
            .does(.byMSR([.init([MSR.fsBase, MSR.gsBase, MSR.kernelGSBase], .asWritten), .init([MSR.star, MSR.lstar, MSR.cstar, MSR.syscallMask, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP], .charge("xen.vcpu_info_access"))], otherwise: .transition("emulate_insn", cost: "xen.emulate_insn"))),
        .read_pmc: OpRule(.trap, "rdpmc → Xen vPMU", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_read_pmc"),
        .wbinvd: OpRule(.trap, "native wbinvd traps (ring 3)", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) .wbinvd = native_wbinvd"),
        .get_debugreg: OpRule(.hypercall, "HYPERVISOR_get_debugreg", cost: "xen.simple_item", transition: "get_debugreg", source: "\(pv) xen_get_debugreg"),
        .set_debugreg: OpRule(.hypercall, "HYPERVISOR_set_debugreg", cost: "xen.simple_item", transition: "set_debugreg", source: "\(pv) xen_set_debugreg"),
        .read_cr0: OpRule(.memory, "per-CPU cached cr0", cost: "xen.vcpu_info_access", source: "\(pv) xen_read_cr0"),
        .write_cr0: OpRule(.batched, "MULTI_fpu_taskswitch (only CR0.TS honoured)", cost: "xen.simple_item", transition: "fpu_taskswitch", batched: true, source: "\(pv) xen_write_cr0")
            .does(queued([fpuTaskswitch], issue: .cpu)),
        .clts: OpRule(.batched, "MULTI_fpu_taskswitch(0)", cost: "xen.simple_item", transition: "fpu_taskswitch", batched: true, source: "xen/enlighten.c xen_clts (≤4.13)")
            .does(queued([fpuTaskswitch], issue: .cpu)),
        .read_cr4: OpRule(.memory, "per-CPU cr4 shadow", cost: "xen.vcpu_info_access", source: "asm/tlbflush.h cr4_read_shadow"),
        .write_cr4: OpRule(.trap, "native mov to cr4 (PGE/PSE/PCE cleared) → emulated", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_write_cr4"),
        .load_tr_desc: OpRule(.nop, "paravirt_nop", source: "\(pv) .load_tr_desc = paravirt_nop"),
        .load_gdt: OpRule(.hypercall, "update_va_mapping RO ×2 + HYPERVISOR_set_gdt", cost: "xen.simple_item", transition: "set_gdt", source: "\(pv) xen_load_gdt")
            .does(.sequence([.repeated(.times(2), direct("update_va_mapping", "xen.update_va_mapping_item")), .asWritten])),
        .load_idt: OpRule(.hypercall, "xen_mc_flush + HYPERVISOR_set_trap_table", cost: "xen.simple_item", transition: "set_trap_table", source: "\(pv) xen_load_idt")
            .does(.sequence([.flushBatch(reason: "explicit"), .asWritten])),
        .set_ldt: OpRule(.batched, "mmuext MMUEXT_SET_LDT", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(pv) xen_set_ldt")
            .does(queued([mmuext()], issue: .cpu)),
        .store_tr: OpRule(.memory, "returns 0", source: "\(pv) xen_store_tr"),
        .load_tls: OpRule(.batched, "≤3 MULTI_update_descriptor (changed slots only)", cost: "xen.update_descriptor_item", transition: "update_descriptor", batched: true, source: "\(pv) xen_load_tls / load_TLS_descriptor")
            .does(.sequence([.repeated(.profileQuantity("xen.load_tls_changed_slots", atMost: 3), .entry(updateDescriptor)), .issue(unlessLazy: .cpu, reason: "not-lazy")])),
        .load_gs_index: OpRule(.hypercall, "set_segment_base(SEGBASE_GS_USER_SEL)", cost: "xen.simple_item", transition: "set_segment_base", source: "\(pv) xen_load_gs_index"),
        .write_ldt_entry: OpRule(.hypercall, "xen_mc_flush + update_descriptor", cost: "xen.update_descriptor_item", transition: "update_descriptor", source: "\(pv) xen_write_ldt_entry")
            .does(.sequence([.flushBatch(reason: "explicit"), .asWritten])),
        .write_gdt_entry: OpRule(.hypercall, "xen_mc_flush + update_descriptor", cost: "xen.update_descriptor_item", transition: "update_descriptor", source: "\(pv) xen_write_gdt_entry")
            .does(.sequence([.flushBatch(reason: "explicit"), .asWritten])),
        .write_idt_entry: OpRule(.hypercall, "native write + set_trap_table (1 entry)", cost: "xen.simple_item", transition: "set_trap_table", source: "\(pv) xen_write_idt_entry"),
        .alloc_ldt: OpRule(.hypercall, "update_va_mapping RO per LDT page (×2 aliases)", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", source: "\(pv) xen_alloc_ldt")
            .does(.repeated(.times(2), .asWritten)),
        .free_ldt: OpRule(.hypercall, "update_va_mapping RW per LDT page (×2 aliases)", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", source: "\(pv) xen_free_ldt")
            .does(.repeated(.times(2), .asWritten)),
        .load_sp0: OpRule(.batched, "MULTI_stack_switch(__KERNEL_DS, sp0)", cost: "xen.simple_item", transition: "stack_switch", batched: true, source: "\(pv) xen_load_sp0")
            .does(queued([stackSwitch], issue: .cpu)),
        .invalidate_io_bitmap: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iobitmap)", cost: "xen.simple_item", transition: "physdev_op", source: "\(pv) xen_invalidate_io_bitmap"),
        .update_io_bitmap: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iobitmap)", cost: "xen.simple_item", transition: "physdev_op", source: "\(pv) xen_update_io_bitmap"),
        .set_iopl_mask: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iopl)", cost: "xen.simple_item", transition: "physdev_op", source: "xen/enlighten.c xen_set_iopl_mask (≤4.13)"),
        .start_context_switch: OpRule(.memory, "leave lazy MMU (flush, TIF_LAZY_MMU_UPDATES), enter XEN_LAZY_CPU", source: "\(pv) xen_start_context_switch")
            .does(.sequence([.when(.inLazy(.mmu), .sequence([.flushBatch(reason: "lazy-leave"), .resumeLazyMMUAfterSwitch]), otherwise: .nothing), .enterLazy(.cpu), .fullMMTeardown(begins: false)])),
        .end_context_switch: OpRule(.batched, "xen_mc_flush; leave lazy CPU; re-enter lazy MMU if flagged", transition: "multicall", batched: true, source: "\(pv) xen_end_context_switch")
            .does(.leaveLazy(reason: "context-switch")),
        .iret: OpRule(.hypercall, "xen_iret: syscall with __HYPERVISOR_iret", cost: "xen.iret_item", transition: "iret", source: "xen/xen-asm.S xen_iret"),
        .irq_enable_sysexit: OpRule.never("32-bit only: xen_sysexit fakes sysexit with iret; pvtop models the 64-bit PV guest"),
        .usergs_sysret64: OpRule(.hypercall, "xen_sysret64 → __HYPERVISOR_iret (VGCF_in_syscall)", cost: "xen.iret_item", transition: "iret", source: "xen/xen-asm.S xen_sysret64 (≤4.13), xen_iret"),
        .swapgs: OpRule(.nop, "paravirt_nop (Xen takes care of %gs)", source: "xen/enlighten.c .swapgs = paravirt_nop (≤4.13)"),
        .read_tsc: OpRule(.instruction, "rdtsc (not trapped in default tsc_mode)", cost: "native.rdtsc", source: "xen/enlighten.c .read_tsc = native_read_tsc (≤4.13)"),
        // MARK: irq
        .save_fl: OpRule(.memory, "read vcpu_info.evtchn_upcall_mask", cost: "xen.vcpu_info_access", source: "\(irq) xen_save_fl / xen-asm.S xen_save_fl_direct"),
        .restore_fl: OpRule(.memory, "write mask (+xen_version if unmasked with events pending)", cost: "xen.vcpu_info_access", source: "xen/irq.c xen_restore_fl (≤5.x)"),
        .irq_disable: OpRule(.memory, "movb $1,vcpu_info.evtchn_upcall_mask", cost: "xen.vcpu_info_access", source: "xen/xen-asm.S xen_irq_disable_direct"),
        .irq_enable: OpRule(.memory, "clear mask; check_events → xen_version(0) only if an event is pending", cost: "xen.vcpu_info_access", source: "xen/xen-asm.S xen_irq_enable_direct"),
        .safe_halt: OpRule(.hypercall, "sched_op(SCHEDOP_block)", cost: "xen.sched_block", transition: "sched_op", source: "\(irq) xen_safe_halt"),
        .halt: OpRule(.hypercall, "vcpu_op(VCPUOP_down) with IRQs off, else SCHEDOP_block", cost: "xen.sched_block", transition: "sched_op", source: "\(irq) xen_halt"),
        // MARK: mmu
        .read_cr2: OpRule(.memory, "vcpu_info.arch.cr2", cost: "xen.vcpu_info_access", source: "\(mmu) xen_read_cr2"),
        .write_cr2: OpRule(.memory, "store vcpu_info.arch.cr2", cost: "xen.vcpu_info_access", source: "\(mmu) xen_write_cr2"),
        .read_cr3: OpRule(.memory, "per-CPU xen_cr3", cost: "xen.vcpu_info_access", source: "\(mmu) xen_read_cr3"),
        .write_cr3: OpRule(.batched, "mmuext NEW_BASEPTR + NEW_USER_BASEPTR (one coalesced entry)", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_write_cr3 / __xen_write_cr3")
            .does(queued([mmuext(coalesces: true), mmuext(coalesces: true)], issue: .cpu)),
        .enter_mmap: OpRule(.batched, "pin: per table page update_va_mapping RO + PIN_L1_TABLE; MMUEXT_PIN_L4_TABLE ×2 (~16 pages per multicall)", cost: "xen.pin_table_page", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_enter_mmap → __xen_pgd_pin / xen_pin_page (read at 2519003d)")
            .does(.sequence([.repeated(.pageTablePages, .sequence([.entry(uvm), .entry(pin)])), .repeated(.times(2), .sequence([.entry(uvm), .entry(pin)])), .issue(unlessLazy: .none, reason: "not-lazy"), .fullMMTeardown(begins: false)])),
        .exit_mmap: OpRule(.batched, "unpin: MMUEXT_UNPIN_TABLE ×2, then per page UNPIN + update_va_mapping RW; teardown becomes plain stores", cost: "xen.unpin_table_page", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_exit_mmap → __xen_pgd_unpin / xen_unpin_page (drop_mm_ref IPIs not modelled)")
            .does(.sequence([.entry(unpin), .entry(unpin), .entry(uvm), .repeated(.pageTablePages, .sequence([.entry(unpin), .entry(uvm)])), .issue(unlessLazy: .none, reason: "not-lazy"), .fullMMTeardown(begins: true)])),
        .pgd_alloc: OpRule(.memory, "allocate the user-mode pgd page", cost: "native.memory_op", source: "\(mmu) xen_pgd_alloc"),
        .pgd_free: OpRule(.memory, "free the user-mode pgd page", cost: "native.memory_op", source: "\(mmu) xen_pgd_free")
            .does(.sequence([.fullMMTeardown(begins: false), .asWritten])),
        .flush_tlb_user: OpRule(.batched, "mmuext MMUEXT_TLB_FLUSH_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb")
            .does(queued([mmuext(work: ["native.tlb_flush_cr3"], coalesces: false)], issue: .mmu)),
        .flush_tlb_kernel: OpRule(.batched, "mmuext MMUEXT_TLB_FLUSH_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb")
            .does(queued([mmuext(work: ["native.tlb_flush_cr3"], coalesces: false)], issue: .mmu)),
        .flush_tlb_one_user: OpRule(.batched, "mmuext MMUEXT_INVLPG_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb_one_user")
            .does(queued([mmuext(work: ["native.invlpg"], coalesces: false)], issue: .mmu)),
        .flush_tlb_multi: OpRule(.batched, "one mmuext TLB_FLUSH_MULTI (INVLPG_MULTI if 1 page): no guest IPIs", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb_multi")
            .does(.exception(Multicalls.Exception.flushTLBMulti.rawValue, why: "one MMUEXT_TLB_FLUSH_MULTI (INVLPG_MULTI for one page) entry with the cpumask, whose work is Xen's own local flush and its IPIs to the other pCPUs; the receivers' handlers never run", emits: ["mmuext_op", "multicall"])),
        .tlb_remove_table: OpRule(.instruction, "tlb_remove_page", cost: "native.memory_op", source: "\(mmu) .tlb_remove_table = tlb_remove_table"),
        .alloc_pte: OpRule(.batched, "pinned mm: update_va_mapping RO + MMUEXT_PIN_L1_TABLE", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pte → xen_alloc_ptpage")
            .does(queued([uvm, mmuext(work: ["xen.pin_table_page"], coalesces: false)], issue: .mmu)),
        .alloc_pmd: OpRule(.batched, "pinned mm: update_va_mapping RO", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pmd")
            .does(queued([uvm], issue: .mmu)),
        .alloc_pud: OpRule(.batched, "pinned mm: update_va_mapping RO", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pud")
            .does(queued([uvm], issue: .mmu)),
        .alloc_p4d: OpRule(.nop, "p4d folded (4-level paging)", source: "asm/pgtable_types.h (CONFIG_PGTABLE_LEVELS=4)"),
        .release_pte: OpRule(.batched, "pinned mm: MMUEXT_UNPIN_TABLE + update_va_mapping RW; unpinned: nothing", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pte → xen_release_ptpage")
            .does(.when(.fullMMTeardown, .row(.pgd_free), otherwise: queued([mmuext(coalesces: false), uvm], issue: .mmu))),
        .release_pmd: OpRule(.batched, "pinned mm: update_va_mapping RW", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pmd")
            .does(.when(.fullMMTeardown, .row(.pgd_free), otherwise: queued([uvm], issue: .mmu))),
        .release_pud: OpRule(.batched, "pinned mm: update_va_mapping RW", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pud")
            .does(.when(.fullMMTeardown, .row(.pgd_free), otherwise: queued([uvm], issue: .mmu))),
        .release_p4d: OpRule(.nop, "p4d folded (4-level paging)", source: "asm/pgtable_types.h (CONFIG_PGTABLE_LEVELS=4)"),
        .set_pte: OpRule(.batched, "mmu_update (coalesced in lazy MMU; otherwise a direct HYPERVISOR_mmu_update(1))", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) __xen_set_pte → xen_batched_set_pte (read at gregkh/linux 2519003d)")
            .does(.when(.batchingIn(.mmu), .entry(mmuUpdate), otherwise: direct("mmu_update", "xen.mmu_update_item"))),
        .set_pmd: OpRule(.batched, "pinned: mmu_update", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_pmd → xen_set_pmd_hyper")
            .does(queued([mmuUpdate], issue: .mmu)),
        .set_pud: OpRule(.batched, "pinned: mmu_update", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_pud → xen_set_pud_hyper")
            .does(queued([mmuUpdate], issue: .mmu)),
        .set_p4d: OpRule(.batched, "pinned: mmu_update ×2 (kernel + user pgd)", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_p4d")
            .does(queued([mmuUpdate, mmuUpdate], issue: .mmu)),
        .pte_clear: OpRule(.batched, "mmu_update (set_pte of 0)", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "asm/paravirt.h pte_clear → set_pte")
            .does(.when(.batchingIn(.mmu), .entry(mmuUpdate), otherwise: direct("mmu_update", "xen.mmu_update_item"))),
        .ptep_modify_prot_start: OpRule(.memory, "plain read of the PTE", cost: "native.memory_op", source: "\(mmu) xen_ptep_modify_prot_start"),
        .ptep_modify_prot_commit: OpRule(.batched, "mmu_update MMU_PT_UPDATE_PRESERVE_AD", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_ptep_modify_prot_commit; commit e57778a1: \"a single hypercall whose cost is amortized in a batched multicall\"")
            .does(queued([mmuUpdate], issue: .mmu)),
        .pte_val: OpRule(.memory, "mfn → pfn via the m2p table", cost: "xen.p2m_lookup", source: "\(mmu) xen_pte_val"),
        .make_pte: OpRule(.memory, "pfn → mfn via the p2m table", cost: "xen.p2m_lookup", source: "\(mmu) xen_make_pte"),
        .lazy_mmu_enter: OpRule(.memory, "enter XEN_LAZY_MMU", source: "\(mmu) xen_enter_lazy_mmu")
            .does(.enterLazy(.mmu)),
        .lazy_mmu_leave: OpRule(.batched, "xen_mc_flush + leave XEN_LAZY_MMU", transition: "multicall", batched: true, source: "\(mmu) xen_leave_lazy_mmu")
            .does(.sequence([.flushBatch(reason: "lazy-leave"), .when(.inLazy(.mmu), .enterLazy(.none), otherwise: .nothing)])),
        .lazy_mmu_flush: OpRule(.batched, "xen_mc_flush if lazy MMU", transition: "multicall", batched: true, source: "\(mmu) xen_flush_lazy_mmu")
            .does(.when(.batchingIn(.mmu), .flushBatch(reason: "lazy-flush"), otherwise: .nothing)),
        .set_fixmap: OpRule(.hypercall, "update_va_mapping(UVMF_INVLPG)", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", source: "\(mmu) xen_set_fixmap"),
        // MARK: lock
        .queued_spin_lock_slowpath: OpRule(.instruction, "__pv_queued_spin_lock_slowpath: spin, then lock.wait", cost: "native.spin_slowpath", source: "xen/spinlock.c xen_init_spinlocks"),
        .queued_spin_unlock: OpRule(.instruction, "__pv_queued_spin_unlock (callee-save)", cost: "native.memory_op", source: "xen/spinlock.c xen_init_spinlocks"),
        .wait: OpRule(.hypercall, "xen_poll_irq → sched_op(SCHEDOP_poll)", cost: "xen.sched_block", transition: "sched_op", source: "xen/spinlock.c xen_qlock_wait"),
        .kick: OpRule(.hypercall, "xen_send_IPI_one → event_channel_op(EVTCHNOP_send)", cost: "xen.evtchn_send_item", transition: "event_channel_op", source: "xen/spinlock.c xen_qlock_kick"),
        .vcpu_is_preempted: OpRule(.memory, "runstate in shared memory (xen_vcpu_stolen; unverified)", cost: "xen.vcpu_info_access", source: "xen/spinlock.c (not verified in the source)"),
        // MARK: time
        .sched_clock: OpRule(.memory, "pvclock in vcpu_info (rdtsc + scale)", cost: "xen.pvclock_read", source: "xen/time.c xen_sched_clock"),
        .steal_clock: OpRule(.memory, "runstate area (xen_steal_clock)", cost: "xen.vcpu_info_access", source: "xen/time.c xen_steal_clock"),
        // MARK: arch
        .syscall_entry: OpRule(.trap, "syscall enters Xen, which switches to the kernel pgd and bounces to xen_entry_SYSCALL_64", cost: "xen.syscall_bounce", transition: "syscall_bounce", source: "xen/xen-asm.S xen_entry_SYSCALL_64 (\"much like ordinary exceptions\")"),
        .exception_entry: OpRule(.trap, "fault taken by Xen and bounced to the guest handler (cr2 in vcpu_info)", cost: "xen.exception_bounce", transition: "exception_bounce", source: "xen/xen-asm.S xen_<exception> trap entries; \(mmu) xen_read_cr2"),
        .interrupt_entry: OpRule(.trap, "event-channel upcall (xen_hypervisor_callback → xen_evtchn_do_upcall)", cost: "xen.event_upcall", transition: "evtchn_upcall", source: "xen/xen-asm.S xen_asm_exc_xen_hypervisor_callback"),
        .apic_eoi: OpRule(.memory, "clear the event-channel pending bit (no APIC)", cost: "xen.vcpu_info_access", source: "drivers/xen/events/events_base.c (no local APIC in PV)"),
        .send_ipi: OpRule(.hypercall, "EVTCHNOP_send per target CPU", cost: "xen.evtchn_send_item", transition: "event_channel_op", source: "xen/smp.c __xen_send_IPI_mask")
            .does(.repeated(.ipiTargets, .asWritten)),
        .set_next_event: OpRule(.hypercall, "vcpu_op(VCPUOP_set_singleshot_timer)", cost: "xen.simple_item", transition: "vcpu_op", source: "xen/time.c xen_vcpuop_set_next_event"),
        .x86_fsgsbase_load: OpRule(.hypercall, "wrfsbase; __wrgsbase_inactive → wrmsr(MSR_KERNEL_GS_BASE) → xen_write_msr → HYPERVISOR_set_segment_base(SEGBASE_GS_USER), unbatched, after the lazy CPU section", cost: "xen.simple_item", transition: "set_segment_base", source: "kernel/process_64.c __wrgsbase_inactive (cpu_feature_enabled(X86_FEATURE_XENPV) branch) → \(pv) xen_do_write_msr"),
        .pte_direct_write: OpRule(.trap, "write to a pinned (RO) page table: Xen traps and emulates (unpinned after exit_mmap: plain store)", cost: "xen.ptwr_emulate", transition: "ptwr_emulate", source: "\(mmu) xen_pin_page comment (\"Xen won't do the trap'n'emulate\" unless pinned); commit e57778a1 (mprotect PTE writes were \"two expensive trap-and-emulate faults\"); x86 ptep_get_and_clear = native xchg, no pv hook (asm/pgtable.h, 6.x)")
            .does(.when(.fullMMTeardown, .row(.pgd_free), otherwise: .asWritten)),
    ]

    /// The hypercalls (kind .hypercall) and guest traps (kind .trap) it can emit.
    private static let transitionKinds: [TransitionInfo] = {
        let traps: Set<String> = ["emulate_insn", "syscall_bounce", "exception_bounce", "evtchn_upcall", "ptwr_emulate"]
        return transitionNames(rules, extra: ["multicall", "mmuext_op", "update_va_mapping", "mmu_update", "set_segment_base"])
            .map { TransitionInfo(traps.contains($0) ? .trap : .hypercall, $0) }
    }()

    public static let flushReasons = ["lazy-leave", "context-switch", "slots-full", "args-full", "explicit", "not-lazy", "lazy-flush", "end"]
    enum Reason: Int { case lazyLeave, contextSwitch, slotsFull, argsFull, explicit, notLazy, lazyFlush, end }

    // MARK: multicall buffer (xen/multicalls.c: MC_BATCH 32, MC_ARGS = MC_BATCH * 16)

    public static let multicallSlots = 32
    public static let multicallArgBytes = 512
    /// Argument bytes one entry reserves (xen/interface/xen.h structures on x86-64).
    static let mmuUpdateBytes = 16   // struct mmu_update { u64 ptr, val; }
    static let mmuextOpBytes = 24    // struct mmuext_op { u32 cmd; arg1 (8); arg2 (8) } with padding
    static let cpumaskBytes = 8      // cpumask_size() for ≤64 CPUs, after the mmuext_op (xen_flush_tlb_multi)

    // MARK: the entries rows append (xen/multicalls.h xen_mc_entry, xen_extend_mmu_update / _mmuext_op)

    static let mmuUpdate = Action.BatchEntry("mmu_update", argBytes: mmuUpdateBytes, work: ["xen.mmu_update_item"], coalesces: true)
    static let uvm = Action.BatchEntry("update_va_mapping", work: ["xen.update_va_mapping_item"])
    static let updateDescriptor = Action.BatchEntry("update_descriptor", work: ["xen.update_descriptor_item"])
    static let stackSwitch = Action.BatchEntry("stack_switch", work: ["xen.simple_item"])
    static let fpuTaskswitch = Action.BatchEntry("fpu_taskswitch", work: ["xen.simple_item"])
    /// xen_pin_page / __xen_pgd_pin: a PIN_L1/L4_TABLE op, merged into a like last mmuext entry.
    static let pin = mmuext(work: ["xen.pin_table_page"])
    static let unpin = mmuext(work: ["xen.unpin_table_page"])

    /// An mmuext_op entry (NEW_BASEPTR, SET_LDT, TLB_FLUSH_LOCAL …): consecutive ones coalesce
    /// through xen_extend_mmuext_op unless the caller starts its own entry.
    static func mmuext(work: [String] = [], coalesces: Bool = true) -> Action.BatchEntry {
        Action.BatchEntry("mmuext_op", argBytes: mmuextOpBytes, work: ["xen.mmuext_item"] + work, coalesces: coalesces)
    }

    /// xen_mc_batch; entries; xen_mc_issue(mode): queued, issued unless the CPU is lazy in `mode`.
    static func queued(_ entries: [Action.BatchEntry], issue mode: LazyMode) -> Action {
        .sequence(entries.map { .entry($0) } + [.issue(unlessLazy: mode, reason: "not-lazy")])
    }

    /// A direct hypercall outside the multicall buffer: its item plus the round trip.
    static func direct(_ hypercall: String, _ item: String) -> Action {
        .sequence([.transition(hypercall, cost: item), .billedTo(hypercall, cost: "xen.hypercall")])
    }

    public let descriptor: BackendDescriptor
    private var interpreter: ActionInterpreter<Multicalls>

    public init(profile: CostProfile, options: BackendOptions) throws {
        let singleCallFlush = try profile.flag("xen.single_call_flush")
        descriptor = BackendDescriptor(
            id: .xenPV, displayName: "xen-pv (\(profile.name))", transitions: Self.transitionKinds,
            flushReasons: Self.flushReasons,
            settings: [("batching", options.batching ? "on" : "off"),
                       ("single-entry flush", singleCallFlush ? "plain hypercall" : "multicall")])
        let hypercall = try profile.cycles("xen.hypercall")
        let d = descriptor
        let machine = Multicalls(
            singleCallFlush: singleCallFlush, hypercall: hypercall, multicallEntry: try profile.cycles("xen.multicall_entry"),
            mmuext: try profile.cycles("xen.mmuext_item"), flushLocal: try profile.cycles("native.tlb_flush_cr3"),
            invlpg: try profile.cycles("native.invlpg"), icr: try profile.cycles("native.x2apic_icr_write"),
            shootdownWait: try profile.cycles("native.tlb_shootdown_wait"),
            multicall: try d.requiredTransitionID("multicall"), mmuextOp: try d.requiredTransitionID("mmuext_op"))
        var settings = ActionSettings(profile: profile, options: options)
        settings.batching = options.batching
        interpreter = try ActionInterpreter(rules: Self.rules, descriptor: descriptor, settings: settings,
                                            overhead: [.hypercall: hypercall], machine: machine)
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        // The TLB-shootdown IPI never exists under Xen PV: flush_tlb_multi was one MMUEXT.
        if context.ipiCause == .tlbShootdown { return }
        interpreter.perform(call, context, &ledger)
    }

    public mutating func finish(_ ledger: inout Ledger) {
        interpreter.finish(reason: Reason.end.rawValue, &ledger)
    }

    /// Queued entries on `cpu` (for tests).
    public func queuedEntries(cpu: Int) -> [(hypercall: String, items: Int)] {
        interpreter.cpus[cpu].queue.entries.map { (descriptor.transitions[$0.hypercall].name, $0.items) }
    }

    /// The per-CPU multicall buffer (xen/multicalls.c): 32 entries, 512 bytes of arguments.
    struct Buffer: BatchQueue {
        struct Entry: Sendable {
            var hypercall: TransitionID
            var items: Int
            var workCycles: Double
        }
        var entries: [Entry] = []
        var argBytes = 0
        var isEmpty: Bool { entries.isEmpty }
    }

    /// The multicall machinery beside the table: appending (with coalescing and the two
    /// "full" rules) and flushing, plus the one named exception, `xen_flush_tlb_multi`.
    struct Multicalls: BackendStateMachine {
        typealias Queue = Buffer
        enum Exception: String, Sendable { case flushTLBMulti = "xen_flush_tlb_multi" }

        let singleCallFlush: Bool
        let hypercall, multicallEntry, mmuext, flushLocal, invlpg, icr, shootdownWait: Double
        let multicall, mmuextOp: TransitionID

        /// xen_mc_entry / xen_mc_extend_args (multicalls.c __xen_mc_entry: slots are checked
        /// before argument space; argument offsets are 8-byte aligned, which all sizes here
        /// already are).
        func append(_ e: ResolvedEntry, _ cpu: inout LazyCPU<Buffer>, _ ledger: inout Ledger) {
            if e.coalesces, let last = cpu.queue.entries.last, last.hypercall == e.hypercall,
               cpu.queue.argBytes + e.argBytes < XenPVBackend.multicallArgBytes {
                cpu.queue.entries[cpu.queue.entries.count - 1].items += 1
                cpu.queue.entries[cpu.queue.entries.count - 1].workCycles += e.work
                cpu.queue.argBytes += e.argBytes
                return
            }
            if cpu.queue.entries.count == XenPVBackend.multicallSlots {
                flush(&cpu, reason: Reason.slotsFull.rawValue, &ledger)
            } else if cpu.queue.argBytes + e.argBytes >= XenPVBackend.multicallArgBytes {
                flush(&cpu, reason: Reason.argsFull.rawValue, &ledger)
            }
            cpu.queue.entries.append(Buffer.Entry(hypercall: e.hypercall, items: 1, workCycles: e.work))
            cpu.queue.argBytes += e.argBytes
        }

        /// xen_mc_flush: one entry → that hypercall alone (modern); otherwise HYPERVISOR_multicall.
        func flush(_ cpu: inout LazyCPU<Buffer>, reason: Int, _ ledger: inout Ledger) {
            let entries = cpu.queue.entries
            guard !entries.isEmpty else { return }
            if entries.count == 1 && singleCallFlush {
                ledger.transition(entries[0].hypercall, cycles: hypercall + entries[0].workCycles)
            } else {
                var cycles = hypercall
                for e in entries { cycles += multicallEntry + e.workCycles }
                ledger.transition(multicall, cycles: cycles)
            }
            ledger.batchFlushed(entries: entries.count, reason: reason)
            cpu.queue.entries.removeAll(keepingCapacity: true)
            cpu.queue.argBytes = 0
        }

        /// xen_flush_tlb_multi: MMUEXT_INVLPG_MULTI for one page, else TLB_FLUSH_MULTI, with the
        /// cpumask after the op; the mask includes this CPU when it was in mm_cpumask. Xen
        /// flushes the other pCPUs itself (its own IPIs, not the guest's).
        func run(_ exception: Exception, _ call: PVCall, lazy: LazyMode, _ cpu: inout LazyCPU<Buffer>, _ ledger: inout Ledger) {
            let targets = call.flushTargets
            let local = !call.flushIncludesLocal ? 0 : call.flushPages == 1 ? invlpg : flushLocal
            let remote = targets > 0 ? Double(targets) * icr + shootdownWait : 0
            append(ResolvedEntry(hypercall: mmuextOp, argBytes: XenPVBackend.mmuextOpBytes + XenPVBackend.cpumaskBytes,
                                 work: mmuext + local + remote, coalesces: false), &cpu, &ledger)
            if lazy != .mmu { flush(&cpu, reason: Reason.notLazy.rawValue, &ledger) }
        }
    }
}
