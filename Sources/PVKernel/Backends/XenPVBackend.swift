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
        .write_msr: OpRule(.hypercall, "FS/GS bases → set_segment_base; STAR/LSTAR/CSTAR/SYSENTER ignored; others emulated (T)", cost: "xen.simple_item", transition: "set_segment_base", source: "\(pv) xen_do_write_msr").custom("by MSR number: FS/GS bases → set_segment_base, syscall MSRs ignored, others emulated", emits: ["emulate_insn"]),
        .read_pmc: OpRule(.trap, "rdpmc → Xen vPMU", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_read_pmc"),
        .wbinvd: OpRule(.trap, "native wbinvd traps (ring 3)", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) .wbinvd = native_wbinvd"),
        .get_debugreg: OpRule(.hypercall, "HYPERVISOR_get_debugreg", cost: "xen.simple_item", transition: "get_debugreg", source: "\(pv) xen_get_debugreg"),
        .set_debugreg: OpRule(.hypercall, "HYPERVISOR_set_debugreg", cost: "xen.simple_item", transition: "set_debugreg", source: "\(pv) xen_set_debugreg"),
        .read_cr0: OpRule(.memory, "per-CPU cached cr0", cost: "xen.vcpu_info_access", source: "\(pv) xen_read_cr0"),
        .write_cr0: OpRule(.batched, "MULTI_fpu_taskswitch (only CR0.TS honoured)", cost: "xen.simple_item", transition: "fpu_taskswitch", batched: true, source: "\(pv) xen_write_cr0"),
        .clts: OpRule(.batched, "MULTI_fpu_taskswitch(0)", cost: "xen.simple_item", transition: "fpu_taskswitch", batched: true, source: "xen/enlighten.c xen_clts (≤4.13)"),
        .read_cr4: OpRule(.memory, "per-CPU cr4 shadow", cost: "xen.vcpu_info_access", source: "asm/tlbflush.h cr4_read_shadow"),
        .write_cr4: OpRule(.trap, "native mov to cr4 (PGE/PSE/PCE cleared) → emulated", cost: "xen.emulate_insn", transition: "emulate_insn", source: "\(pv) xen_write_cr4"),
        .load_tr_desc: OpRule(.nop, "paravirt_nop", source: "\(pv) .load_tr_desc = paravirt_nop"),
        .load_gdt: OpRule(.hypercall, "update_va_mapping RO ×2 + HYPERVISOR_set_gdt", cost: "xen.simple_item", transition: "set_gdt", source: "\(pv) xen_load_gdt").custom("two update_va_mapping (RO aliases) before set_gdt", emits: ["update_va_mapping"]),
        .load_idt: OpRule(.hypercall, "xen_mc_flush + HYPERVISOR_set_trap_table", cost: "xen.simple_item", transition: "set_trap_table", source: "\(pv) xen_load_idt"),
        .set_ldt: OpRule(.batched, "mmuext MMUEXT_SET_LDT", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(pv) xen_set_ldt"),
        .store_tr: OpRule(.memory, "returns 0", source: "\(pv) xen_store_tr"),
        .load_tls: OpRule(.batched, "≤3 MULTI_update_descriptor (changed slots only)", cost: "xen.update_descriptor_item", transition: "update_descriptor", batched: true, source: "\(pv) xen_load_tls / load_TLS_descriptor").custom("xen.load_tls_changed_slots entries (0 on x86-64 glibc)", emits: ["multicall"]),
        .load_gs_index: OpRule(.hypercall, "set_segment_base(SEGBASE_GS_USER_SEL)", cost: "xen.simple_item", transition: "set_segment_base", source: "\(pv) xen_load_gs_index"),
        .write_ldt_entry: OpRule(.hypercall, "xen_mc_flush + update_descriptor", cost: "xen.update_descriptor_item", transition: "update_descriptor", source: "\(pv) xen_write_ldt_entry"),
        .write_gdt_entry: OpRule(.hypercall, "xen_mc_flush + update_descriptor", cost: "xen.update_descriptor_item", transition: "update_descriptor", source: "\(pv) xen_write_gdt_entry"),
        .write_idt_entry: OpRule(.hypercall, "native write + set_trap_table (1 entry)", cost: "xen.simple_item", transition: "set_trap_table", source: "\(pv) xen_write_idt_entry"),
        .alloc_ldt: OpRule(.hypercall, "update_va_mapping RO per LDT page (×2 aliases)", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", source: "\(pv) xen_alloc_ldt").custom("one update_va_mapping per alias (vmap + linear map)"),
        .free_ldt: OpRule(.hypercall, "update_va_mapping RW per LDT page (×2 aliases)", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", source: "\(pv) xen_free_ldt").custom("one update_va_mapping per alias (vmap + linear map)"),
        .load_sp0: OpRule(.batched, "MULTI_stack_switch(__KERNEL_DS, sp0)", cost: "xen.simple_item", transition: "stack_switch", batched: true, source: "\(pv) xen_load_sp0"),
        .invalidate_io_bitmap: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iobitmap)", cost: "xen.simple_item", transition: "physdev_op", source: "\(pv) xen_invalidate_io_bitmap"),
        .update_io_bitmap: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iobitmap)", cost: "xen.simple_item", transition: "physdev_op", source: "\(pv) xen_update_io_bitmap"),
        .set_iopl_mask: OpRule(.hypercall, "physdev_op(PHYSDEVOP_set_iopl)", cost: "xen.simple_item", transition: "physdev_op", source: "xen/enlighten.c xen_set_iopl_mask (≤4.13)"),
        .start_context_switch: OpRule(.memory, "leave lazy MMU (flush, TIF_LAZY_MMU_UPDATES), enter XEN_LAZY_CPU", source: "\(pv) xen_start_context_switch"),
        .end_context_switch: OpRule(.batched, "xen_mc_flush; leave lazy CPU; re-enter lazy MMU if flagged", transition: "multicall", batched: true, source: "\(pv) xen_end_context_switch"),
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
        .write_cr3: OpRule(.batched, "mmuext NEW_BASEPTR + NEW_USER_BASEPTR (one coalesced entry)", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_write_cr3 / __xen_write_cr3"),
        .enter_mmap: OpRule(.batched, "pin: per table page update_va_mapping RO + PIN_L1_TABLE; MMUEXT_PIN_L4_TABLE ×2 (~16 pages per multicall)", cost: "xen.pin_table_page", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_enter_mmap → __xen_pgd_pin / xen_pin_page (read at 2519003d)").custom("pins arg page-table pages: RO + PIN_L1 entries, then the pgd pair", emits: ["mmuext_op", "multicall"]),
        .exit_mmap: OpRule(.batched, "unpin: MMUEXT_UNPIN_TABLE ×2, then per page UNPIN + update_va_mapping RW; teardown becomes plain stores", cost: "xen.unpin_table_page", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_exit_mmap → __xen_pgd_unpin / xen_unpin_page (drop_mm_ref IPIs not modelled)").custom("unpins the pgd pair, then arg pages: UNPIN + RW entries", emits: ["mmuext_op", "multicall"]),
        .pgd_alloc: OpRule(.memory, "allocate the user-mode pgd page", cost: "native.memory_op", source: "\(mmu) xen_pgd_alloc"),
        .pgd_free: OpRule(.memory, "free the user-mode pgd page", cost: "native.memory_op", source: "\(mmu) xen_pgd_free"),
        .flush_tlb_user: OpRule(.batched, "mmuext MMUEXT_TLB_FLUSH_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb"),
        .flush_tlb_kernel: OpRule(.batched, "mmuext MMUEXT_TLB_FLUSH_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb"),
        .flush_tlb_one_user: OpRule(.batched, "mmuext MMUEXT_INVLPG_LOCAL", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb_one_user"),
        .flush_tlb_multi: OpRule(.batched, "one mmuext TLB_FLUSH_MULTI (INVLPG_MULTI if 1 page): no guest IPIs", cost: "xen.mmuext_item", transition: "mmuext_op", batched: true, source: "\(mmu) xen_flush_tlb_multi").custom("one MMUEXT_*_MULTI with the cpumask; the receivers' IPI handlers never run", emits: ["multicall"]),
        .tlb_remove_table: OpRule(.instruction, "tlb_remove_page", cost: "native.memory_op", source: "\(mmu) .tlb_remove_table = tlb_remove_table"),
        .alloc_pte: OpRule(.batched, "pinned mm: update_va_mapping RO + MMUEXT_PIN_L1_TABLE", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pte → xen_alloc_ptpage").custom("RO entry, then a PIN_L1_TABLE entry", emits: ["mmuext_op", "multicall"]),
        .alloc_pmd: OpRule(.batched, "pinned mm: update_va_mapping RO", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pmd"),
        .alloc_pud: OpRule(.batched, "pinned mm: update_va_mapping RO", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_alloc_pud"),
        .alloc_p4d: OpRule(.nop, "p4d folded (4-level paging)", source: "asm/pgtable_types.h (CONFIG_PGTABLE_LEVELS=4)"),
        .release_pte: OpRule(.batched, "pinned mm: MMUEXT_UNPIN_TABLE + update_va_mapping RW; unpinned: nothing", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pte → xen_release_ptpage").custom("UNPIN entry, then RW; plain store after exit_mmap", emits: ["mmuext_op", "multicall"]),
        .release_pmd: OpRule(.batched, "pinned mm: update_va_mapping RW", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pmd").custom("RW entry; plain store after exit_mmap", emits: ["multicall"]),
        .release_pud: OpRule(.batched, "pinned mm: update_va_mapping RW", cost: "xen.update_va_mapping_item", transition: "update_va_mapping", batched: true, source: "\(mmu) xen_release_pud").custom("RW entry; plain store after exit_mmap", emits: ["multicall"]),
        .release_p4d: OpRule(.nop, "p4d folded (4-level paging)", source: "asm/pgtable_types.h (CONFIG_PGTABLE_LEVELS=4)"),
        .set_pte: OpRule(.batched, "mmu_update (coalesced in lazy MMU; otherwise a direct HYPERVISOR_mmu_update(1))", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) __xen_set_pte → xen_batched_set_pte (read at gregkh/linux 2519003d)").custom("lazy MMU: coalesced mmu_update entry; otherwise HYPERVISOR_mmu_update(1) directly", emits: ["multicall"]),
        .set_pmd: OpRule(.batched, "pinned: mmu_update", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_pmd → xen_set_pmd_hyper"),
        .set_pud: OpRule(.batched, "pinned: mmu_update", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_pud → xen_set_pud_hyper"),
        .set_p4d: OpRule(.batched, "pinned: mmu_update ×2 (kernel + user pgd)", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_set_p4d"),
        .pte_clear: OpRule(.batched, "mmu_update (set_pte of 0)", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "asm/paravirt.h pte_clear → set_pte").custom("lazy MMU: coalesced mmu_update entry; otherwise HYPERVISOR_mmu_update(1) directly", emits: ["multicall"]),
        .ptep_modify_prot_start: OpRule(.memory, "plain read of the PTE", cost: "native.memory_op", source: "\(mmu) xen_ptep_modify_prot_start"),
        .ptep_modify_prot_commit: OpRule(.batched, "mmu_update MMU_PT_UPDATE_PRESERVE_AD", cost: "xen.mmu_update_item", transition: "mmu_update", batched: true, source: "\(mmu) xen_ptep_modify_prot_commit; commit e57778a1: \"a single hypercall whose cost is amortized in a batched multicall\""),
        .pte_val: OpRule(.memory, "mfn → pfn via the m2p table", cost: "xen.p2m_lookup", source: "\(mmu) xen_pte_val"),
        .make_pte: OpRule(.memory, "pfn → mfn via the p2m table", cost: "xen.p2m_lookup", source: "\(mmu) xen_make_pte"),
        .lazy_mmu_enter: OpRule(.memory, "enter XEN_LAZY_MMU", source: "\(mmu) xen_enter_lazy_mmu"),
        .lazy_mmu_leave: OpRule(.batched, "xen_mc_flush + leave XEN_LAZY_MMU", transition: "multicall", batched: true, source: "\(mmu) xen_leave_lazy_mmu"),
        .lazy_mmu_flush: OpRule(.batched, "xen_mc_flush if lazy MMU", transition: "multicall", batched: true, source: "\(mmu) xen_flush_lazy_mmu"),
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
        .send_ipi: OpRule(.hypercall, "EVTCHNOP_send per target CPU", cost: "xen.evtchn_send_item", transition: "event_channel_op", source: "xen/smp.c __xen_send_IPI_mask").custom("one EVTCHNOP_send per target"),
        .set_next_event: OpRule(.hypercall, "vcpu_op(VCPUOP_set_singleshot_timer)", cost: "xen.simple_item", transition: "vcpu_op", source: "xen/time.c xen_vcpuop_set_next_event"),
        .x86_fsgsbase_load: OpRule(.hypercall, "wrfsbase; __wrgsbase_inactive → wrmsr(MSR_KERNEL_GS_BASE) → xen_write_msr → HYPERVISOR_set_segment_base(SEGBASE_GS_USER), unbatched, after the lazy CPU section", cost: "xen.simple_item", transition: "set_segment_base", source: "kernel/process_64.c __wrgsbase_inactive (cpu_feature_enabled(X86_FEATURE_XENPV) branch) → \(pv) xen_do_write_msr"),
        .pte_direct_write: OpRule(.trap, "write to a pinned (RO) page table: Xen traps and emulates (unpinned after exit_mmap: plain store)", cost: "xen.ptwr_emulate", transition: "ptwr_emulate", source: "\(mmu) xen_pin_page comment (\"Xen won't do the trap'n'emulate\" unless pinned); commit e57778a1 (mprotect PTE writes were \"two expensive trap-and-emulate faults\"); x86 ptep_get_and_clear = native xchg, no pv hook (asm/pgtable.h, 6.x)").custom("a plain store after exit_mmap unpinned the tree"),
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

    struct Entry {
        var hypercall: TransitionID
        var items: Int
        var workCycles: Double
    }


    struct CPUState {
        var lazy: LazyMode = .none
        /// TIF_LAZY_MMU_UPDATES: lazy MMU was interrupted by a context switch.
        var resumeLazyMMU = false
        var entries: [Entry] = []
        var argBytes = 0
        /// After exit_mmap unpinned the tree, teardown writes and releases are plain stores.
        var unpinned = false
    }

    public let descriptor: BackendDescriptor
    private let priced: PricedRules
    private var cpus: [CPUState]
    private let singleCallFlush: Bool
    private let tlsChangedSlots: Int
    private let c: Costs
    private let t: IDs

    struct Costs {
        var hypercall, multicallEntry, mmuUpdate, mmuext, uvm, updateDescriptor, simple, iret: Double
        var pin, unpin, flushLocal, invlpg, icr, shootdownWait, vcpuInfo, emulate: Double
    }
    struct IDs {
        var multicall, mmuUpdate, mmuext, uvm, updateDescriptor, stackSwitch, fpuTaskswitch: TransitionID
        var setSegmentBase, emulate, eventChannel: TransitionID
    }

    public init(profile: CostProfile, options: BackendOptions) throws {
        singleCallFlush = try profile.flag("xen.single_call_flush")
        tlsChangedSlots = Int(min(3, try profile.quantity("xen.load_tls_changed_slots")))
        descriptor = BackendDescriptor(
            id: .xenPV, displayName: "xen-pv (\(profile.name))", transitions: Self.transitionKinds,
            flushReasons: Self.flushReasons,
            settings: [("batching", options.batching ? "on" : "off"),
                       ("single-entry flush", singleCallFlush ? "plain hypercall" : "multicall")])
        let hypercall = try profile.cycles("xen.hypercall")
        priced = try PricedRules(rules: Self.rules, profile: profile, descriptor: descriptor,
                                 overhead: [.hypercall: hypercall])
        c = Costs(hypercall: hypercall, multicallEntry: try profile.cycles("xen.multicall_entry"),
                  mmuUpdate: try profile.cycles("xen.mmu_update_item"), mmuext: try profile.cycles("xen.mmuext_item"),
                  uvm: try profile.cycles("xen.update_va_mapping_item"),
                  updateDescriptor: try profile.cycles("xen.update_descriptor_item"),
                  simple: try profile.cycles("xen.simple_item"), iret: try profile.cycles("xen.iret_item"),
                  pin: try profile.cycles("xen.pin_table_page"), unpin: try profile.cycles("xen.unpin_table_page"),
                  flushLocal: try profile.cycles("native.tlb_flush_cr3"), invlpg: try profile.cycles("native.invlpg"),
                  icr: try profile.cycles("native.x2apic_icr_write"), shootdownWait: try profile.cycles("native.tlb_shootdown_wait"),
                  vcpuInfo: try profile.cycles("xen.vcpu_info_access"), emulate: try profile.cycles("xen.emulate_insn"))
        let d = descriptor
        func id(_ n: String) throws -> TransitionID { try d.requiredTransitionID(n) }
        t = IDs(multicall: try id("multicall"), mmuUpdate: try id("mmu_update"), mmuext: try id("mmuext_op"),
                uvm: try id("update_va_mapping"), updateDescriptor: try id("update_descriptor"), stackSwitch: try id("stack_switch"),
                fpuTaskswitch: try id("fpu_taskswitch"), setSegmentBase: try id("set_segment_base"),
                emulate: try id("emulate_insn"), eventChannel: try id("event_channel_op"))
        cpus = Array(repeating: CPUState(), count: max(options.cpuCount, 1))
        batching = options.batching
    }

    private let batching: Bool

    // MARK: pricing

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        // The TLB-shootdown IPI never exists under Xen PV: flush_tlb_multi was one MMUEXT.
        if context.ipiCause == .tlbShootdown { return }
        if context.cpu >= cpus.count { cpus.append(contentsOf: repeatElement(CPUState(), count: context.cpu + 1 - cpus.count)) }
        for _ in 0..<call.count { performOne(call, context, &ledger) }
    }

    private mutating func performOne(_ call: PVCall, _ ctx: CallContext, _ ledger: inout Ledger) {
        let cpu = ctx.cpu
        switch call.op {
        // lazy modes
        case .lazy_mmu_enter:
            cpus[cpu].lazy = .mmu
        case .lazy_mmu_leave:
            flush(cpu, .lazyLeave, &ledger)
            if cpus[cpu].lazy == .mmu { cpus[cpu].lazy = .none }
        case .lazy_mmu_flush:
            if mode(ctx) == .mmu { flush(cpu, .lazyFlush, &ledger) }
        case .start_context_switch:
            if cpus[cpu].lazy == .mmu {
                flush(cpu, .lazyLeave, &ledger)
                cpus[cpu].resumeLazyMMU = true
            }
            cpus[cpu].lazy = .cpu
            cpus[cpu].unpinned = false
        case .end_context_switch:
            flush(cpu, .contextSwitch, &ledger)
            cpus[cpu].lazy = cpus[cpu].resumeLazyMMU ? .mmu : .none
            cpus[cpu].resumeLazyMMU = false

        // batched page-table updates (mmu_update records coalesce into one entry)
        case .set_pte, .pte_clear:
            // __xen_set_pte: batched only in lazy MMU mode; otherwise a direct
            // HYPERVISOR_mmu_update(1) that leaves the multicall buffer alone ("a hypercall is
            // much cheaper" than trap-and-emulate).
            if mode(ctx) == .mmu {
                queue(cpu, t.mmuUpdate, bytes: Self.mmuUpdateBytes, work: c.mmuUpdate, coalesce: true, &ledger)
            } else {
                ledger.transition(t.mmuUpdate, cycles: c.hypercall + c.mmuUpdate)
            }
        case .set_pmd, .set_pud, .ptep_modify_prot_commit:
            // xen_set_pmd_hyper / xen_ptep_modify_prot_commit: xen_mc_batch + extend + issue(MMU).
            queue(cpu, t.mmuUpdate, bytes: Self.mmuUpdateBytes, work: c.mmuUpdate, coalesce: true, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .set_p4d:
            queue(cpu, t.mmuUpdate, bytes: Self.mmuUpdateBytes, work: c.mmuUpdate, coalesce: true, &ledger)
            queue(cpu, t.mmuUpdate, bytes: Self.mmuUpdateBytes, work: c.mmuUpdate, coalesce: true, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .write_cr3:
            // NEW_BASEPTR + NEW_USER_BASEPTR via xen_extend_mmuext_op: one entry, two ops.
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext, coalesce: true, &ledger)
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext, coalesce: true, &ledger)
            issue(cpu, ctx, .cpu, &ledger)
        case .set_ldt:
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext, coalesce: true, &ledger)
            issue(cpu, ctx, .cpu, &ledger)
        case .flush_tlb_user, .flush_tlb_kernel:
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.flushLocal, coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .flush_tlb_one_user:
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.invlpg, coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .flush_tlb_multi:
            // Xen flushes the other pCPUs itself (its own IPIs, not the guest's).
            // xen_flush_tlb_multi: MMUEXT_INVLPG_MULTI for one page, else TLB_FLUSH_MULTI; the
            // mask includes this CPU when it was in mm_cpumask.
            let targets = call.flushTargets
            let local = !call.flushIncludesLocal ? 0 : call.flushPages == 1 ? c.invlpg : c.flushLocal
            let remote = targets > 0 ? Double(targets) * c.icr + c.shootdownWait : 0
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes + Self.cpumaskBytes, work: c.mmuext + local + remote,
                  coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .load_tls:
            for _ in 0..<tlsChangedSlots {
                queue(cpu, t.updateDescriptor, bytes: 0, work: c.updateDescriptor, coalesce: false, &ledger)
            }
            issue(cpu, ctx, .cpu, &ledger)
        case .load_sp0:
            queue(cpu, t.stackSwitch, bytes: 0, work: c.simple, coalesce: false, &ledger)
            issue(cpu, ctx, .cpu, &ledger)
        case .write_cr0, .clts:
            queue(cpu, t.fpuTaskswitch, bytes: 0, work: c.simple, coalesce: false, &ledger)
            issue(cpu, ctx, .cpu, &ledger)
        case .alloc_pte:
            // xen_alloc_ptpage: __set_pfn_prot RO, then __pin_pagetable_pfn(PIN_L1) as its own entry.
            queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.pin, coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .alloc_pmd, .alloc_pud:
            queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .release_pte, .release_pmd, .release_pud:
            if cpus[cpu].unpinned { ledger.charge(priced.cycles(of: .pgd_free)); return }
            if call.op == .release_pte {  // xen_release_ptpage: UNPIN entry, then RW
                queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext, coalesce: false, &ledger)
            }
            queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
            issue(cpu, ctx, .mmu, &ledger)
        case .enter_mmap:
            // __xen_pgd_pin walks the tree: xen_pin_page = update_va_mapping RO entry, plus a
            // PIN_L1_TABLE mmuext entry for PTE pages (split PTE locks; `arg` pages are taken as
            // PTE pages); then the pgd (RO + PIN_L4) and the user pgd (RO + PIN_L4);
            // xen_mc_issue(0). Slots run out every 16 pages: "never more than a batch size".
            for _ in 0..<Int(call.arg) {
                queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
                queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.pin, coalesce: true, &ledger)
            }
            for _ in 0..<2 {
                queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
                queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.pin, coalesce: true, &ledger)
            }
            issue(cpu, ctx, .none, &ledger)
            cpus[cpu].unpinned = false
        case .exit_mmap:
            // __xen_pgd_unpin: UNPIN pgd + user pgd (one coalesced mmuext entry), user pgd RW,
            // then per PTE page an UNPIN entry and an update_va_mapping RW entry; xen_mc_issue(0).
            // (xen_drop_mm_ref's IPIs to CPUs still on this cr3 are not modelled: normally none.)
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.unpin, coalesce: true, &ledger)
            queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.unpin, coalesce: true, &ledger)
            queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
            for _ in 0..<Int(call.arg) {
                queue(cpu, t.mmuext, bytes: Self.mmuextOpBytes, work: c.mmuext + c.unpin, coalesce: true, &ledger)
                queue(cpu, t.uvm, bytes: 0, work: c.uvm, coalesce: false, &ledger)
            }
            issue(cpu, ctx, .none, &ledger)
            cpus[cpu].unpinned = true
        case .pgd_free:
            cpus[cpu].unpinned = false
            priced.price(call.op, count: 1, &ledger)
        case .pte_direct_write where cpus[cpu].unpinned:
            ledger.charge(priced.cycles(of: .pgd_free))

        // explicit xen_mc_flush before these direct hypercalls
        case .write_gdt_entry, .write_ldt_entry, .load_idt:
            flush(cpu, .explicit, &ledger)
            priced.price(call.op, count: 1, &ledger)
        case .load_gdt:
            // two update_va_mapping (RO aliases) + set_gdt
            ledger.transition(t.uvm, cycles: 2 * (c.hypercall + c.uvm), count: 2)
            priced.price(call.op, count: 1, &ledger)
        case .alloc_ldt, .free_ldt:
            ledger.transition(t.uvm, cycles: 2 * (c.hypercall + c.uvm), count: 2)
        case .send_ipi:
            let n = max(call.arg, 1)
            ledger.transition(t.eventChannel, cycles: Double(n) * priced.cycles(of: .send_ipi), count: n)
        case .write_msr:
            switch call.arg {
            case MSR.fsBase, MSR.gsBase, MSR.kernelGSBase:
                ledger.transition(t.setSegmentBase, cycles: c.hypercall + c.simple)
            case MSR.star, MSR.lstar, MSR.cstar, MSR.syscallMask, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP:
                ledger.charge(c.vcpuInfo)
            default:
                ledger.transition(t.emulate, cycles: c.emulate)
            }
        default:
            priced.price(call.op, count: 1, &ledger)
        }
    }

    public mutating func finish(_ ledger: inout Ledger) {
        for cpu in cpus.indices { flush(cpu, .end, &ledger) }
    }

    /// The lazy mode calls see: NONE in interrupt context (xen_get_lazy_mode: in_interrupt()).
    @inline(__always)
    private func mode(_ ctx: CallContext) -> LazyMode {
        ctx.inInterrupt || !batching ? .none : cpus[ctx.cpu].lazy
    }

    /// xen_mc_entry / xen_mc_extend_args (multicalls.c __xen_mc_entry: slots are checked before
    /// argument space; argument offsets are 8-byte aligned, which all sizes here already are).
    private mutating func queue(_ cpu: Int, _ hypercall: TransitionID, bytes: Int, work: Double, coalesce: Bool,
                                _ ledger: inout Ledger) {
        if coalesce, let last = cpus[cpu].entries.last, last.hypercall == hypercall,
           cpus[cpu].argBytes + bytes < Self.multicallArgBytes {
            cpus[cpu].entries[cpus[cpu].entries.count - 1].items += 1
            cpus[cpu].entries[cpus[cpu].entries.count - 1].workCycles += work
            cpus[cpu].argBytes += bytes
            return
        }
        if cpus[cpu].entries.count == Self.multicallSlots {
            flush(cpu, .slotsFull, &ledger)
        } else if cpus[cpu].argBytes + bytes >= Self.multicallArgBytes {
            flush(cpu, .argsFull, &ledger)
        }
        cpus[cpu].entries.append(Entry(hypercall: hypercall, items: 1, workCycles: work))
        cpus[cpu].argBytes += bytes
    }

    /// xen_mc_issue(mode): flush unless the CPU is in that lazy mode.
    private mutating func issue(_ cpu: Int, _ ctx: CallContext, _ lazy: LazyMode, _ ledger: inout Ledger) {
        let m = mode(ctx)
        if lazy == .none || m != lazy { flush(cpu, .notLazy, &ledger) }
    }

    /// xen_mc_flush: one entry → that hypercall alone (modern); otherwise HYPERVISOR_multicall.
    private mutating func flush(_ cpu: Int, _ reason: Reason, _ ledger: inout Ledger) {
        let entries = cpus[cpu].entries
        guard !entries.isEmpty else { return }
        if entries.count == 1 && singleCallFlush {
            ledger.transition(entries[0].hypercall, cycles: c.hypercall + entries[0].workCycles)
        } else {
            var cycles = c.hypercall
            for e in entries { cycles += c.multicallEntry + e.workCycles }
            ledger.transition(t.multicall, cycles: cycles)
        }
        ledger.batchFlushed(entries: entries.count, reason: reason.rawValue)
        cpus[cpu].entries.removeAll(keepingCapacity: true)
        cpus[cpu].argBytes = 0
    }

    /// Queued entries on `cpu` (for tests).
    public func queuedEntries(cpu: Int) -> [(hypercall: String, items: Int)] {
        cpus[cpu].entries.map { (descriptor.transitions[$0.hypercall].name, $0.items) }
    }
}
