/// Bare metal: every pv op is the native instruction (patched inline or a direct call to the
/// `native_*` function), and no call ever leaves the CPU: zero transitions.
///
/// Sources: [PV-2.6.30] arch/x86/kernel/paravirt.c (native defaults), [PP64]
/// paravirt_patch_64.c (inlined bodies), [P-mod] arch/x86/include/asm/paravirt.h (ALT_NOT_XEN
/// inline alternatives).
public struct NativeBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.native
    public let descriptor: BackendDescriptor
    private var interpreter: ActionInterpreter<NoStateMachine>

    private static let pp64 = "paravirt_patch_64.c native_patch"
    private static let pmod = "asm/paravirt.h ALTERNATIVE_2 ALT_NOT_XEN"
    private static let pv = "kernel/paravirt.c native default"

    public static let rules: [PVOp: OpRule] = [
        // MARK: cpu
        .io_delay: OpRule(.instruction, "out %al,$0x80", cost: "native.in_port80", source: "asm/io.h native_io_delay (port 0x80)"),
        .cpuid: OpRule(.instruction, "cpuid", cost: "native.cpuid", source: "asm/processor.h native_cpuid"),
        .read_msr: OpRule(.instruction, "rdmsr", cost: "native.rdmsr", source: "asm/msr.h native_read_msr"),
        .write_msr: OpRule(.instruction, "wrmsr (TSC_DEADLINE: non-serializing)", cost: "native.wrmsr", source: "asm/msr.h native_write_msr")
            .does(.byMSR([.init([MSR.tscDeadline], .charge("native.wrmsr_tsc_deadline"))], otherwise: .asWritten)),
        .read_pmc: OpRule(.instruction, "rdpmc", cost: "native.rdpmc", source: "asm/msr.h native_read_pmc"),
        .wbinvd: OpRule(.instruction, "wbinvd", cost: "native.wbinvd", source: pp64),
        .get_debugreg: OpRule(.instruction, "mov %dbN,%rax", cost: "native.dr_access", source: "asm/debugreg.h native_get_debugreg"),
        .set_debugreg: OpRule(.instruction, "mov %rax,%dbN", cost: "native.dr_access", source: "asm/debugreg.h native_set_debugreg"),
        .read_cr0: OpRule(.instruction, "mov %cr0,%rax", cost: "native.mov_from_cr", source: "asm/special_insns.h native_read_cr0"),
        .write_cr0: OpRule(.instruction, "mov %rax,%cr0", cost: "native.mov_to_cr0", source: "asm/special_insns.h native_write_cr0"),
        .clts: OpRule(.instruction, "clts", cost: "native.clts", source: pp64),
        .read_cr4: OpRule(.memory, "per-CPU cr4 shadow (cpu_tlbstate.cr4)", cost: "native.memory_op", source: "asm/tlbflush.h cr4_read_shadow"),
        .write_cr4: OpRule(.instruction, "mov %rax,%cr4", cost: "native.mov_to_cr4", source: "asm/special_insns.h native_write_cr4"),
        .load_tr_desc: OpRule(.instruction, "ltr", cost: "native.descriptor_load", source: "asm/desc.h native_load_tr_desc"),
        .load_gdt: OpRule(.instruction, "lgdt", cost: "native.descriptor_load", source: "asm/desc.h native_load_gdt"),
        .load_idt: OpRule(.instruction, "lidt", cost: "native.descriptor_load", source: "asm/desc.h native_load_idt"),
        .set_ldt: OpRule(.instruction, "lldt", cost: "native.descriptor_load", source: "asm/desc.h native_set_ldt"),
        .store_tr: OpRule(.instruction, "str", cost: "native.memory_op", source: "asm/desc.h native_store_tr"),
        .load_tls: OpRule(.instruction, "3 GDT stores", cost: "native.memory_op", source: "asm/desc.h native_load_tls"),
        .load_gs_index: OpRule(.instruction, "swapgs; mov %di,%gs; swapgs", cost: "native.swapgs", source: "entry_64.S asm_load_gs_index"),
        .write_ldt_entry: OpRule(.instruction, "store into the LDT", cost: "native.memory_op", source: "asm/desc.h native_write_ldt_entry"),
        .write_gdt_entry: OpRule(.instruction, "store into the GDT", cost: "native.memory_op", source: "asm/desc.h native_write_gdt_entry"),
        .write_idt_entry: OpRule(.instruction, "store into the IDT", cost: "native.memory_op", source: "asm/desc.h native_write_idt_entry"),
        .alloc_ldt: OpRule(.nop, "paravirt_nop", source: pv),
        .free_ldt: OpRule(.nop, "paravirt_nop", source: pv),
        .load_sp0: OpRule(.instruction, "store TSS.sp0 (x86_64: cpu_current_top_of_stack)", cost: "native.memory_op", source: "asm/processor.h native_load_sp0"),
        .invalidate_io_bitmap: OpRule(.instruction, "TSS io_bitmap offset store", cost: "native.memory_op", source: "kernel/process.c native_tss_invalidate_io_bitmap"),
        .update_io_bitmap: OpRule(.instruction, "copy io bitmap into the TSS", cost: "native.memory_op", source: "kernel/process.c native_tss_update_io_bitmap"),
        .set_iopl_mask: OpRule(.instruction, "pushf/popf with IOPL", cost: "native.popf", source: "processor.h native_set_iopl_mask (≤5.x)"),
        .start_context_switch: OpRule(.nop, "paravirt_start_context_switch: no lazy mode", source: pv),
        .end_context_switch: OpRule(.nop, "paravirt_end_context_switch: no lazy mode", source: pv),
        .iret: OpRule(.instruction, "iretq", cost: "native.iret", source: "entry_64.S native_iret"),
        .irq_enable_sysexit: OpRule(.instruction, "sti; sysexit (i386)", cost: "native.sysret", source: "paravirt_patch_32.c"),
        .usergs_sysret64: OpRule(.instruction, "swapgs; sysretq", cost: "native.sysret", source: pp64),
        .swapgs: OpRule(.instruction, "swapgs", cost: "native.swapgs", source: pp64),
        .read_tsc: OpRule(.instruction, "rdtsc", cost: "native.rdtsc", source: "paravirt_patch_32.c / asm/msr.h rdtsc"),
        // MARK: irq
        .save_fl: OpRule(.instruction, "pushf; pop %rax", cost: "native.pushf", source: pmod),
        .restore_fl: OpRule(.instruction, "push %rdi; popf", cost: "native.popf", source: pp64),
        .irq_disable: OpRule(.instruction, "cli", cost: "native.cli", source: pmod),
        .irq_enable: OpRule(.instruction, "sti", cost: "native.sti", source: pmod),
        .safe_halt: OpRule(.instruction, "sti; hlt", cost: "native.hlt", source: "asm/irqflags.h native_safe_halt"),
        .halt: OpRule(.instruction, "hlt", cost: "native.hlt", source: "asm/irqflags.h native_halt"),
        // MARK: mmu
        .read_cr2: OpRule(.instruction, "mov %cr2,%rax", cost: "native.mov_from_cr", source: pmod),
        .write_cr2: OpRule(.instruction, "mov %rdi,%cr2", cost: "native.mov_from_cr", source: "native_write_cr2"),
        .read_cr3: OpRule(.instruction, "mov %cr3,%rax", cost: "native.mov_from_cr", source: pmod),
        .write_cr3: OpRule(.instruction, "mov %rdi,%cr3", cost: "native.mov_to_cr3", source: pmod),
        .enter_mmap: OpRule(.nop, "paravirt_nop", source: "paravirt_types.h enter_mmap (native: nop)"),
        .exit_mmap: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c .mmu.exit_mmap = paravirt_nop"),
        .pgd_alloc: OpRule(.nop, "__paravirt_pgd_alloc = 0", source: pv),
        .pgd_free: OpRule(.nop, "paravirt_nop", source: pv),
        .flush_tlb_user: OpRule(.instruction, "CR3 reload (native_flush_tlb_local)", cost: "native.tlb_flush_cr3", source: "mm/tlb.c native_flush_tlb_local"),
        .flush_tlb_kernel: OpRule(.instruction, "CR4.PGE toggle (native_flush_tlb_global)", cost: "native.tlb_flush_global", source: "mm/tlb.c native_flush_tlb_global"),
        .flush_tlb_one_user: OpRule(.instruction, "invlpg", cost: "native.invlpg", source: "mm/tlb.c native_flush_tlb_one_user"),
        .flush_tlb_multi: OpRule(.instruction, "local flush + x2APIC ICR write per target + wait for acks", cost: "native.tlb_shootdown_wait", source: "mm/tlb.c native_flush_tlb_multi → on_each_cpu_cond_mask")
            .does(shootdown(local: .when(.flushHasPages, .repeated(.flushPages, .row(.flush_tlb_one_user)), otherwise: .row(.flush_tlb_user)),
                            ipi: .row(.send_ipi), wait: .asWritten)),
        .tlb_remove_table: OpRule(.instruction, "tlb_remove_page (free after flush)", cost: "native.memory_op", source: "mm/pgtable.c tlb_remove_table"),
        .alloc_pte: OpRule(.nop, "paravirt_nop", source: pv),
        .alloc_pmd: OpRule(.nop, "paravirt_nop", source: pv),
        .alloc_pud: OpRule(.nop, "paravirt_nop", source: pv),
        .alloc_p4d: OpRule(.nop, "paravirt_nop", source: pv),
        .release_pte: OpRule(.nop, "paravirt_nop", source: pv),
        .release_pmd: OpRule(.nop, "paravirt_nop", source: pv),
        .release_pud: OpRule(.nop, "paravirt_nop", source: pv),
        .release_p4d: OpRule(.nop, "paravirt_nop", source: pv),
        .set_pte: OpRule(.instruction, "store", cost: "native.memory_op", source: "asm/pgtable_64.h native_set_pte"),
        .set_pmd: OpRule(.instruction, "store", cost: "native.memory_op", source: "native_set_pmd"),
        .set_pud: OpRule(.instruction, "store", cost: "native.memory_op", source: "native_set_pud"),
        .set_p4d: OpRule(.instruction, "store", cost: "native.memory_op", source: "native_set_p4d"),
        .pte_clear: OpRule(.instruction, "store 0", cost: "native.memory_op", source: "native_pte_clear"),
        .ptep_modify_prot_start: OpRule(.instruction, "xchg (ptep_get_and_clear)", cost: "native.memory_op", source: "mm/memory.c __ptep_modify_prot_start"),
        .ptep_modify_prot_commit: OpRule(.instruction, "store (set_pte_at)", cost: "native.memory_op", source: "mm/memory.c __ptep_modify_prot_commit"),
        .pte_val: OpRule(.instruction, "mov %rdi,%rax", source: pmod),
        .make_pte: OpRule(.instruction, "mov %rdi,%rax", source: pmod),
        .lazy_mmu_enter: OpRule(.nop, "paravirt_nop", source: pv),
        .lazy_mmu_leave: OpRule(.nop, "paravirt_nop", source: pv),
        .lazy_mmu_flush: OpRule(.nop, "paravirt_nop", source: pv),
        .set_fixmap: OpRule(.instruction, "set_pte + invlpg", cost: "native.invlpg", source: "mm/pgtable.c native_set_fixmap"),
        // MARK: lock
        .queued_spin_lock_slowpath: OpRule(.instruction, "native_queued_spin_lock_slowpath (MCS spin)", cost: "native.spin_slowpath", source: "kernel/locking/qspinlock.c"),
        .queued_spin_unlock: OpRule(.instruction, "movb $0,(%rdi)", cost: "native.memory_op", source: pmod),
        .wait: OpRule.never("native has no pv qspinlock: pv_ops.lock.wait is only called by __pv_queued_spin_lock_slowpath"),
        .kick: OpRule.never("native has no pv qspinlock: pv_ops.lock.kick is only called by __pv_queued_spin_unlock_slowpath"),
        .vcpu_is_preempted: OpRule(.instruction, "xor %rax,%rax", source: pmod),
        // MARK: time
        .sched_clock: OpRule(.instruction, "rdtsc (native_sched_clock)", cost: "native.rdtsc", source: "kernel/tsc.c native_sched_clock"),
        .steal_clock: OpRule(.nop, "native_steal_clock = 0", source: "kernel/paravirt.c native_steal_clock"),
        // MARK: arch
        .syscall_entry: OpRule(.instruction, "syscall → entry_SYSCALL_64", cost: "native.syscall_entry", source: "entry_64.S entry_SYSCALL_64"),
        .exception_entry: OpRule(.instruction, "exception through the IDT", cost: "native.exception_entry", source: "Adams & Agesen ASPLOS'06 §6: pgfault / divzero nanobenchmarks"),
        .interrupt_entry: OpRule(.instruction, "interrupt through the IDT", cost: "native.interrupt_entry", source: "entry_64.S common_interrupt"),
        .apic_eoi: OpRule(.instruction, "x2APIC EOI wrmsr 0x80b", cost: "native.x2apic_eoi_write", source: "apic/x2apic_*.c native_apic_msr_eoi"),
        .send_ipi: OpRule(.instruction, "x2APIC ICR wrmsr 0x830 per target", cost: "native.x2apic_icr_write", source: "apic/x2apic_phys.c __x2apic_send_IPI_mask").does(.repeated(.ipiTargets, .asWritten)),
        .set_next_event: OpRule(.instruction, "wrmsr TSC_DEADLINE", cost: "native.wrmsr_tsc_deadline", source: "apic/apic.c lapic_next_deadline"),
        .pte_direct_write: OpRule(.instruction, "store / xchg", cost: "native.memory_op", source: "asm/pgtable.h ptep_get_and_clear"),
        .x86_fsgsbase_load: OpRule(.instruction, "wrfsbase; swapgs; wrgsbase; swapgs", cost: "native.wrfsgsbase", source: "kernel/process_64.c x86_fsgsbase_load, __wrgsbase_inactive (X86_FEATURE_FSGSBASE)"),
    ]

    public init(profile: CostProfile, options: BackendOptions) throws {
        descriptor = BackendDescriptor(id: .native, displayName: "native (\(profile.name))", transitions: [])
        interpreter = try ActionInterpreter(rules: Self.rules, descriptor: descriptor,
                                            settings: ActionSettings(profile: profile, options: options),
                                            machine: NoStateMachine())
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        interpreter.perform(call, context, &ledger)
    }

    public mutating func finish(_ ledger: inout Ledger) {}
}

/// native_flush_tlb_multi and the IPI-based shootdowns of the i386-era backends
/// (on_each_cpu_cond_mask): the local flush when this CPU is in the mask, one IPI per remote
/// target, then the wait for every ack (the kernel already turned a range above the ceiling
/// into a full flush: pages 0).
func shootdown(local: Action, ipi: Action, wait: Action) -> Action {
    .sequence([.when(.flushIncludesLocal, local, otherwise: .nothing),
               .when(.hasShootdownTargets, .sequence([.repeated(.shootdownTargets, ipi), wait]), otherwise: .nothing)])
}
