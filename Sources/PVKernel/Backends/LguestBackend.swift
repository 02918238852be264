/// lguest (i386, 2.6.23–4.13): the guest kernel runs in ring 1 under a tiny Switcher;
/// hypercalls are `int $0x1f` with the LHCALL number in %eax; the irq flag lives in
/// `lguest_data`; lazy hypercalls go into a 64-slot async ring that the Host drains on the
/// next hypercall (LHCALL_FLUSH_ASYNC at lazy leave / end of context switch). lguest shadows
/// the guest page tables, so page faults go to the Host first. Guests are uniprocessor.
/// Removed in Linux 4.14 "due to lack of interest and maintenance" (Wikipedia "Lguest").
///
/// Sources: [LG] arch/x86/lguest/boot.c + arch/x86/include/asm/lguest_hcall.h;
/// drivers/lguest/{hypercalls.c, page_tables.c, interrupts_and_traps.c} (Linux 2.6.23–4.13).
public struct LguestBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.lguest
    public static let batchTransition: String? = "LHCALL_FLUSH_ASYNC"
    private static let b = "lguest/boot.c"

    /// A hypercall; `lazy`: made through lazy_hcall, so queued in the async ring in lazy mode.
    private static func hcall(_ name: String, _ action: String, lazy: Bool, _ source: String) -> OpRule {
        let row = OpRule(lazy ? .batched : .hypercall, "\(lazy ? "lazy " : "")LHCALL_\(name)\(action.isEmpty ? "" : ": \(action)")",
                         cost: "lguest.hcall_work", transition: "LHCALL_\(name)", batched: lazy, source: source)
        return lazy ? row.does(.deferred(in: nil)) : row
    }

    public static let rules: [PVOp: OpRule] = [
        // MARK: cpu
        .io_delay: OpRule(.nop, "lguest_io_delay: nothing (no real ports)", source: "\(b) lguest_io_delay"),
        .cpuid: OpRule(.instruction, "native cpuid + feature masking (not privileged in ring 1)", cost: "native.cpuid", source: "\(b) lguest_cpuid"),
        .read_msr: OpRule(.trap, "ring-1 rdmsr #GP → Host (never made by an lguest guest)", cost: "lguest.trap", transition: "trap", source: "\(b) keeps native_read_msr; drivers/lguest/x86/core.c lguest_arch_handle_trap"),
        .write_msr: OpRule(.trap, "ring-1 wrmsr #GP → Host", cost: "lguest.trap", transition: "trap", source: "\(b); drivers/lguest/x86/core.c"),
        .read_pmc: OpRule(.trap, "ring-1 rdpmc #GP → Host", cost: "lguest.trap", transition: "trap", source: "drivers/lguest/x86/core.c"),
        .wbinvd: OpRule(.nop, "ignored", source: "\(b) lguest_wbinvd"),
        .get_debugreg: OpRule(.nop, "ignored", source: "\(b) .get_debugreg = lguest_get_debugreg (0)"),
        .set_debugreg: OpRule(.nop, "ignored", source: "\(b) lguest_set_debugreg"),
        .read_cr0: OpRule(.memory, "cached current_cr0", cost: "lguest.shared_memory", source: "\(b) lguest_read_cr0"),
        .write_cr0: hcall("TS", "only CR0.TS", lazy: true, "\(b) lguest_write_cr0"),
        .clts: hcall("TS", "TS=0", lazy: true, "\(b) lguest_clts"),
        .read_cr4: OpRule(.nop, "returns 0", source: "\(b) lguest_read_cr4"),
        .write_cr4: OpRule(.nop, "ignored", source: "\(b) lguest_write_cr4"),
        .load_tr_desc: OpRule(.nop, "ignored (Switcher owns the TSS)", source: "\(b) lguest_load_tr_desc"),
        .load_gdt: hcall("LOAD_GDT_ENTRY", "one per GDT entry (32)", lazy: false, "\(b) lguest_load_gdt").does(.repeated(.times(32), .asWritten)),
        .load_idt: hcall("LOAD_IDT_ENTRY", "one per IDT entry", lazy: false, "\(b) lguest_load_idt").does(.repeated(.times(256), .asWritten)),
        .set_ldt: OpRule(.nop, "ignored (no LDT support)", source: "\(b) lguest_set_ldt"),
        .store_tr: OpRule(.instruction, "str", cost: "native.memory_op", source: "native"),
        .load_tls: hcall("LOAD_TLS", "after clearing %gs", lazy: true, "\(b) lguest_load_tls"),
        .load_gs_index: .never("lguest is i386 only"),
        .write_ldt_entry: OpRule(.instruction, "native store (LDT unsupported by the Host)", cost: "native.memory_op", source: "\(b) .write_ldt_entry = native_write_ldt_entry"),
        .write_gdt_entry: hcall("LOAD_GDT_ENTRY", "", lazy: false, "\(b) lguest_write_gdt_entry"),
        .write_idt_entry: hcall("LOAD_IDT_ENTRY", "", lazy: false, "\(b) lguest_write_idt_entry"),
        .alloc_ldt: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .free_ldt: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .load_sp0: hcall("SET_STACK", "", lazy: true, "\(b) lguest_load_sp0"),
        .invalidate_io_bitmap: OpRule(.nop, "no I/O ports", source: "\(b)"),
        .update_io_bitmap: OpRule(.nop, "no I/O ports", source: "\(b)"),
        .set_iopl_mask: OpRule(.nop, "ignored", source: "\(b)"),
        .start_context_switch: OpRule(.memory, "enter lazy CPU mode", source: "\(b) paravirt_start_context_switch")
            .does(.sequence([.fullMMTeardown(begins: false), .enterLazy(.cpu)])),
        .end_context_switch: hcall("FLUSH_ASYNC", "Host drains the ring; leave lazy CPU", lazy: false, "\(b) lguest_end_context_switch")
            .does(.leaveLazy(reason: "context-switch")),
        .iret: OpRule(.instruction, "lguest_iret: restore irq_enabled from the frame, iret (patched template)", cost: "native.iret", source: "lguest/i386_head.S lguest_iret (cost unverified)"),
        .irq_enable_sysexit: .never("lguest disables sysenter: syscalls use int $0x80"),
        .usergs_sysret64: OpRule(.instruction, "i386 has no sysretq: int $0x80 syscalls return with lguest_iret", cost: "native.iret", source: "lguest/i386_head.S lguest_iret"),
        .swapgs: .never("lguest is i386 only"),
        .read_tsc: OpRule(.instruction, "rdtsc", cost: "native.rdtsc", source: "native"),
        // MARK: irq
        .save_fl: OpRule(.memory, "read lguest_data.irq_enabled", cost: "lguest.shared_memory", source: "\(b) lguest_save_fl / lguest_patch templates"),
        .restore_fl: OpRule(.memory, "write lguest_data.irq_enabled", cost: "lguest.shared_memory", source: "\(b) lguest_restore_fl"),
        .irq_disable: OpRule(.memory, "lguest_data.irq_enabled = 0", cost: "lguest.shared_memory", source: "\(b) lguest_irq_disable"),
        .irq_enable: OpRule(.memory, "lguest_data.irq_enabled = X86_EFLAGS_IF (+SEND_INTERRUPTS if pending: not modelled)", cost: "lguest.shared_memory", source: "\(b) lguest_irq_enable"),
        .safe_halt: hcall("HALT", "", lazy: false, "\(b) lguest_safe_halt"),
        .halt: hcall("HALT", "", lazy: false, "\(b) lguest_safe_halt"),
        // MARK: mmu
        .read_cr2: OpRule(.memory, "lguest_data.cr2", cost: "lguest.shared_memory", source: "\(b) lguest_read_cr2"),
        .write_cr2: OpRule(.memory, "lguest_data.cr2", cost: "lguest.shared_memory", source: "\(b) lguest_write_cr2"),
        .read_cr3: OpRule(.memory, "cached current_cr3", cost: "lguest.shared_memory", source: "\(b) lguest_read_cr3"),
        .write_cr3: hcall("NEW_PGTABLE", "", lazy: true, "\(b) lguest_write_cr3"),
        .enter_mmap: OpRule(.nop, "nothing (Host builds shadows on demand)", source: "paravirt.c defaults"),
        .exit_mmap: OpRule(.nop, "nothing", source: "paravirt.c defaults").does(.fullMMTeardown(begins: true)),
        .pgd_alloc: OpRule(.nop, "native", source: "paravirt.c defaults"),
        .pgd_free: OpRule(.nop, "native", source: "paravirt.c defaults").does(.fullMMTeardown(begins: false)),
        .flush_tlb_user: hcall("FLUSH_TLB", "(0): user mappings", lazy: true, "\(b) lguest_flush_tlb_user"),
        .flush_tlb_kernel: hcall("FLUSH_TLB", "(1): all", lazy: true, "\(b) lguest_flush_tlb_kernel"),
        .flush_tlb_one_user: hcall("SET_PTE", "(cr3, addr, 0)", lazy: true, "\(b) lguest_flush_tlb_single"),
        .flush_tlb_multi: hcall("FLUSH_TLB", "(0): uniprocessor guest, a local flush", lazy: true, "lguest guests are UP: flush_tlb_others never has targets"),
        .tlb_remove_table: OpRule(.instruction, "free page", cost: "native.memory_op", source: "native"),
        .alloc_pte: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .alloc_pmd: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .alloc_pud: .never("i386: no pud pages"),
        .alloc_p4d: .never("i386: no p4d"),
        .release_pte: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .release_pmd: OpRule(.nop, "paravirt_nop", source: "paravirt.c"),
        .release_pud: .never("i386: no pud pages"),
        .release_p4d: .never("i386: no p4d"),
        .set_pte: hcall("SET_PTE", "write + tell the Host (set_pte_at with mm)", lazy: true, "\(b) lguest_set_pte_at / lguest_pte_update"),
        .set_pmd: hcall("SET_PMD", "write + tell the Host", lazy: true, "\(b) lguest_set_pmd"),
        .set_pud: .never("i386 (non-PAE lguest): no pud"),
        .set_p4d: .never("i386: no p4d"),
        .pte_clear: hcall("SET_PTE", "write 0 + tell the Host", lazy: true, "\(b) lguest_pte_clear"),
        .ptep_modify_prot_start: OpRule(.instruction, "xchg", cost: "native.memory_op", source: "native"),
        .ptep_modify_prot_commit: hcall("SET_PTE", "set_pte_at", lazy: true, "\(b) lguest_set_pte_at"),
        .pte_val: OpRule(.instruction, "mov", source: "native"),
        .make_pte: OpRule(.instruction, "mov", source: "native"),
        .lazy_mmu_enter: OpRule(.memory, "paravirt_enter_lazy_mmu", source: "\(b) .lazy_mode.enter = paravirt_enter_lazy_mmu").does(.enterLazy(.mmu)),
        .lazy_mmu_leave: hcall("FLUSH_ASYNC", "Host drains the ring", lazy: false, "\(b) lguest_leave_lazy_mmu_mode")
            .does(.leaveLazy(reason: "lazy-leave")),
        .lazy_mmu_flush: hcall("FLUSH_ASYNC", "", lazy: false, "leave + enter")
            .does(.when(.inLazy(.mmu), .flushBatch(reason: "lazy-leave"), otherwise: .nothing)),
        .set_fixmap: hcall("SET_PTE", "", lazy: true, "\(b) lguest_set_pte"),
        // MARK: lock
        .queued_spin_lock_slowpath: OpRule(.instruction, "native spin (UP guest: never contended)", cost: "native.spin_slowpath", source: "UP"),
        .queued_spin_unlock: OpRule(.instruction, "native unlock", cost: "native.memory_op", source: "native"),
        .wait: .never("uniprocessor guest: no pv spinlocks"),
        .kick: .never("uniprocessor guest: no pv spinlocks"),
        .vcpu_is_preempted: OpRule(.instruction, "false", source: "native"),
        // MARK: time
        .sched_clock: OpRule(.instruction, "TSC if the Host gave tsc_khz, else lguest_data.time", cost: "native.rdtsc", source: "\(b) lguest_time_init / lguest_clock_read"),
        .steal_clock: .never("no steal clock in lguest"),
        // MARK: arch
        .syscall_entry: OpRule(.instruction, "int $0x80 direct trap to the guest (no Host)", cost: "native.syscall_entry", source: "drivers/lguest/interrupts_and_traps.c direct_trap (SYSCALL_VECTOR)"),
        .exception_entry: OpRule(.trap, "#PF goes to the Host (shadow demand_page), reflected if a true fault", cost: "lguest.trap", transition: "trap", source: "drivers/lguest/x86/core.c lguest_arch_handle_trap; page_tables.c demand_page")
            .does(.sequence([.charge("native.exception_entry"), .asWritten])),
        .interrupt_entry: OpRule(.trap, "interrupts hit the Host; the Switcher delivers a virtual IRQ", cost: "lguest.trap", transition: "trap", source: "drivers/lguest/interrupts_and_traps.c try_deliver_interrupt")
            .does(.sequence([.charge("native.interrupt_entry"), .asWritten])),
        .apic_eoi: OpRule(.nop, "no local APIC (lguest_apic ops ignore writes)", source: "\(b) lguest_apic_write"),
        .send_ipi: .never("lguest guests are uniprocessor"),
        .set_next_event: hcall("SET_CLOCKEVENT", "delta", lazy: false, "\(b) lguest_clockevent_set_next_event"),
        .x86_fsgsbase_load: .never("i386 has no FS/GS base registers to load: %gs is a TLS descriptor (load_tls)"),
        .pte_direct_write: hcall("SET_PTE", "native xchg + pte_update hook; after exit_mmap (fullmm teardown) a plain store", lazy: true, "\(b) lguest_pte_update; asm/pgtable.h ptep_get_and_clear → pte_update, ptep_get_and_clear_full skips it when full")
            .does(.when(.fullMMTeardown, .charge("native.memory_op"), otherwise: .deferred(in: nil))),
    ]

    /// LHCALL_RING_SIZE (lguest_hcall.h).
    public static let ringSize = 64
    public static let flushReasons = ["lazy-leave", "context-switch", "ring-full", "end"]
    enum Reason: Int { case lazyLeave, contextSwitch, ringFull, end }


    public let descriptor: BackendDescriptor
    private var interpreter: ActionInterpreter<AsyncRing>

    public init(profile: CostProfile, options: BackendOptions) throws {
        descriptor = BackendDescriptor(
            id: .lguest, displayName: "lguest (\(profile.name))",
            transitions: transitionNames(Self.rules).map { TransitionInfo($0 == "trap" ? .trap : .hypercall, $0) },
            flushReasons: Self.flushReasons, settings: [("async ring", options.batching ? "on" : "off")])
        let hypercall = try profile.cycles("lguest.hypercall")
        let ring = AsyncRing(hypercall: hypercall, work: try profile.cycles("lguest.hcall_work"),
                             slotWrite: try profile.cycles("lguest.ring_slot_write"),
                             flushAsync: try descriptor.requiredTransitionID("LHCALL_FLUSH_ASYNC"))
        var settings = ActionSettings(profile: profile, options: options)
        settings.batching = options.batching
        interpreter = try ActionInterpreter(rules: Self.rules, descriptor: descriptor, settings: settings,
                                            overhead: [.hypercall: hypercall, .batched: hypercall], machine: ring)
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        interpreter.perform(call, context, &ledger)
    }

    public mutating func finish(_ ledger: inout Ledger) {
        interpreter.finish(reason: Reason.end.rawValue, &ledger)
    }

    public func ringEntries(cpu: Int) -> Int { interpreter.cpus[cpu].queue.count }

    /// The async hypercall ring (lguest/boot.c async_hcall, lguest_hcall.h LHCALL_RING_SIZE):
    /// lazy hypercalls take a free slot; LHCALL_FLUSH_ASYNC makes the Host drain the ring.
    struct AsyncRing: BackendStateMachine {
        let hypercall, work, slotWrite: Double
        let flushAsync: TransitionID

        func queue(_ op: PVOp, alone: (cycles: Double, transition: TransitionID),
                   _ cpu: inout LazyCPU<QueuedCalls>, _ ledger: inout Ledger) {
            // A free slot (hcall_status 0xFF) takes the call; if the next slot is still pending,
            // "Table full, so do normal hcall which will flush table" (async_hcall, read in
            // several 2.6.2x-4.x copies).
            if cpu.queue.count < LguestBackend.ringSize {
                cpu.queue.count += 1
                ledger.charge(slotWrite)
            } else {
                ledger.transition(alone.transition, cycles: alone.cycles + Double(cpu.queue.count) * work)
                ledger.batchFlushed(entries: cpu.queue.count, reason: Reason.ringFull.rawValue)
                cpu.queue.count = 0
            }
        }

        /// LHCALL_FLUSH_ASYNC is made unconditionally: its only effect is the ring drain.
        func flush(_ cpu: inout LazyCPU<QueuedCalls>, reason: Int, _ ledger: inout Ledger) {
            let n = cpu.queue.count
            ledger.transition(flushAsync, cycles: hypercall + Double(n) * work)
            if n > 0 { ledger.batchFlushed(entries: n, reason: reason) }
            cpu.queue.count = 0
        }
    }
}
