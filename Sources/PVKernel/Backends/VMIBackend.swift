/// VMware VMI (i386, ROM ABI v3.0): every pv op is a call into the hypervisor-supplied option
/// ROM mapped in the guest. Whether a ROM call leaves the guest is ROM-internal and
/// not published (the ROM's internals): each row says which calls pvtop assumes run inside the ROM
/// (`vmi.rom_inguest`) and which enter the VMware monitor (`vmi.rom_exit`). VMI guests ran on
/// the binary-translating monitor with shadow page tables (vSphere 4.0 best practices), so
/// kernel entries use Adams & Agesen's software-VMM numbers.
///
/// Deferred mode: `SetLazyMode(1)` (MMU) / `SetLazyMode(2)` (CPU) ROM calls around the generic
/// lazy sections; inside, page-table and CPU-state updates queue in the ROM and
/// `SetLazyMode(0)` applies them with one monitor entry (queueing is an assumption).
///
/// Sources: Linux arch/x86/kernel/vmi_32.c (2.6.2x, commit 014b15be) + arch/x86/include/asm/vmi.h.
public struct VMIBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.vmi
    public static let batchTransition: String? = "deferred flush"
    private static let v = "kernel/vmi_32.c"

    private static func rom(_ call: String, _ n: Int?, exits: Bool, _ source: String, deferrable: Bool = false) -> OpRule {
        OpRule(.romCall, "\(call)\(n.map { " (VMI_CALL \($0))" } ?? "")\(exits ? "; enters the monitor (assumption)" : "; runs in the ROM (assumption)")",
               cost: exits ? "vmi.rom_exit" : "vmi.rom_inguest", transition: call, batched: deferrable, source: source)
    }

    public static let rules: [PVOp: OpRule] = [
        // MARK: cpu
        .io_delay: rom("IODelay", 65, exits: false, "\(v) vmi_init: para_fill(pv_cpu_ops.io_delay, IODelay)"),
        .cpuid: rom("CPUID", 0, exits: true, "\(v) vmi_cpuid"),
        .read_msr: OpRule(.trap, "native rdmsr trapped by the monitor (\"no MSR support yet\")", cost: "vmi.trap", transition: "trap", source: "\(v) vmi_init comment"),
        .write_msr: OpRule(.trap, "native wrmsr trapped by the monitor", cost: "vmi.trap", transition: "trap", source: "\(v) vmi_init comment"),
        .read_pmc: OpRule(.trap, "native rdpmc trapped", cost: "vmi.trap", transition: "trap", source: "\(v) vmi_init comment"),
        .wbinvd: rom("WBINVD", 23, exits: true, "\(v) para_fill(pv_cpu_ops.wbinvd, WBINVD)"),
        .get_debugreg: rom("GetDR", 25, exits: false, "\(v) vmi_get_debugreg"),
        .set_debugreg: rom("SetDR", 24, exits: true, "\(v) vmi_set_debugreg"),
        .read_cr0: rom("GetCR0", 19, exits: false, "\(v) para_fill(read_cr0, GetCR0)"),
        .write_cr0: rom("SetCR0", 15, exits: true, "\(v) para_fill(write_cr0, SetCR0)"),
        .clts: rom("CLTS", 28, exits: false, "\(v) para_fill(clts, CLTS)"),
        .read_cr4: rom("GetCR4", 22, exits: false, "\(v) para_fill(read_cr4, GetCR4)"),
        .write_cr4: rom("SetCR4", 18, exits: true, "\(v) para_fill(write_cr4, SetCR4)"),
        .load_tr_desc: rom("SetTR", 6, exits: true, "\(v) vmi_set_tr"),
        .load_gdt: rom("SetGDT", 3, exits: true, "\(v) para_fill(load_gdt, SetGDT)"),
        .load_idt: rom("SetIDT", 5, exits: true, "\(v) para_fill(load_idt, SetIDT)"),
        .set_ldt: rom("SetLDT", 4, exits: true, "\(v) vmi_set_ldt", deferrable: true).does(.deferred(in: .cpu)),
        .store_tr: rom("GetTR", 10, exits: false, "\(v) para_fill(store_tr, GetTR)"),
        .load_tls: rom("WriteGDTEntry", 11, exits: true, "\(v) vmi_load_tls (changed slots only, ≤3)", deferrable: true).does(.deferred(in: .cpu)),
        .load_gs_index: .never("VMI is i386 only: no 64-bit %gs index load"),
        .write_ldt_entry: rom("WriteLDTEntry", 12, exits: true, "\(v) vmi_write_ldt_entry"),
        .write_gdt_entry: rom("WriteGDTEntry", 11, exits: true, "\(v) vmi_write_gdt_entry"),
        .write_idt_entry: rom("WriteIDTEntry", 13, exits: true, "\(v) vmi_write_idt_entry"),
        .alloc_ldt: OpRule(.nop, "paravirt_nop", source: "2.6.2x paravirt.c"),
        .free_ldt: OpRule(.nop, "paravirt_nop", source: "2.6.2x paravirt.c"),
        .load_sp0: rom("UpdateKernelStack", 14, exits: true, "\(v) vmi_load_esp0", deferrable: true).does(.deferred(in: .cpu)),
        .invalidate_io_bitmap: OpRule(.instruction, "TSS store", cost: "native.memory_op", source: "native (era: io bitmap in the TSS)"),
        .update_io_bitmap: OpRule(.instruction, "TSS copy", cost: "native.memory_op", source: "native"),
        .set_iopl_mask: rom("SetIOPLMask", 61, exits: true, "\(v) para_fill(set_iopl_mask, SetIOPLMask)"),
        .start_context_switch: rom("SetLazyMode", 73, exits: false, "\(v) vmi_enter_lazy_cpu: SetLazyMode(2)")
            .does(.sequence([.fullMMTeardown(begins: false), .when(.inLazy(.mmu), .leaveLazy(reason: "lazy-leave"), otherwise: .nothing),
                             .asWritten, .enterLazy(.cpu)])),
        .end_context_switch: rom("SetLazyMode", 73, exits: false, "\(v) vmi_leave_lazy: SetLazyMode(0) applies the queue")
            .does(.sequence([.asWritten, .leaveLazy(reason: "context-switch")])),
        .iret: rom("IRET", 33, exits: false, "\(v) vmi_patch: iret must be patched to the ROM"),
        .irq_enable_sysexit: rom("SYSEXIT", 34, exits: false, "\(v) vmi_patch: sysexit patched to the ROM"),
        .usergs_sysret64: rom("SYSEXIT", 34, exits: false, "i386 has no sysretq: the syscall return is the patched sysexit (vmi_patch)"),
        .swapgs: .never("VMI is i386 only: no swapgs"),
        .read_tsc: rom("RDTSC", 27, exits: false, "\(v) para_fill(read_tsc, RDTSC)"),
        // MARK: irq
        .save_fl: rom("GetInterruptMask", 31, exits: false, "\(v) vmi_patch CALL_REL into the ROM"),
        .restore_fl: rom("SetInterruptMask", 32, exits: false, "\(v) vmi_patch"),
        .irq_disable: rom("DisableInterrupts", 30, exits: false, "\(v) vmi_patch"),
        .irq_enable: rom("EnableInterrupts", 29, exits: false, "\(v) vmi_patch"),
        .safe_halt: rom("Halt", 35, exits: true, "\(v) vmi_safe_halt (all VMI halts are safe)"),
        .halt: rom("Halt", 35, exits: true, "\(v) para_fill(halt, Halt)"),
        // MARK: mmu
        .read_cr2: rom("GetCR2", 20, exits: false, "\(v) para_fill(read_cr2, GetCR2)"),
        .write_cr2: rom("SetCR2", 16, exits: false, "\(v) para_fill(write_cr2, SetCR2)"),
        .read_cr3: rom("GetCR3", 21, exits: false, "\(v) para_fill(read_cr3, GetCR3)"),
        .write_cr3: rom("SetCR3", 17, exits: true, "\(v) para_fill(write_cr3, SetCR3)", deferrable: true).does(.deferred(in: .cpu)),
        .enter_mmap: OpRule(.nop, "no pinning in VMI (activate_mm / dup_mmap: nop)", source: "2.6.2x paravirt.c defaults"),
        .exit_mmap: OpRule(.nop, "paravirt_nop", source: "2.6.2x paravirt.c defaults").does(.fullMMTeardown(begins: true)),
        .pgd_alloc: rom("AllocatePage", 44, exits: true, "\(v) vmi_allocate_pd(_clone) from the pgd ctor"),
        .pgd_free: rom("ReleasePage", 45, exits: true, "\(v) vmi_release_pd").does(.sequence([.fullMMTeardown(begins: false), .asWritten])),
        .flush_tlb_user: rom("FlushTLB", 47, exits: true, "\(v) vmi_flush_tlb_user (VMI_FLUSH_TLB)", deferrable: true).does(.deferred(in: .mmu)),
        .flush_tlb_kernel: rom("FlushTLB", 47, exits: true, "\(v) vmi_flush_tlb_kernel (|VMI_FLUSH_GLOBAL)", deferrable: true).does(.deferred(in: .mmu)),
        .flush_tlb_one_user: rom("InvalPage", 46, exits: true, "\(v) vmi_flush_tlb_single", deferrable: true).does(.deferred(in: .mmu)),
        .flush_tlb_multi: rom("APICWrite", 63, exits: true, "native flush_tlb_others: local FlushTLB + ICR APICWrite per target + wait")
            .does(shootdown(local: .row(.flush_tlb_user), ipi: .asWritten, wait: .billedTo("APICWrite", cost: "native.tlb_shootdown_wait"))),
        .tlb_remove_table: OpRule(.instruction, "free page", cost: "native.memory_op", source: "native"),
        .alloc_pte: rom("AllocatePage", 44, exits: true, "\(v) vmi_allocate_pt"),
        .alloc_pmd: rom("AllocatePage", 44, exits: true, "\(v) vmi_allocate_pd"),
        .alloc_pud: .never("i386 (≤3 levels): no pud pages"),
        .alloc_p4d: .never("i386: no p4d"),
        .release_pte: rom("ReleasePage", 45, exits: true, "\(v) vmi_release_pt"),
        .release_pmd: rom("ReleasePage", 45, exits: true, "\(v) vmi_release_pd"),
        .release_pud: .never("i386: no pud pages"),
        .release_p4d: .never("i386: no p4d"),
        .set_pte: OpRule(.romCall, "SetPxE (VMI_CALL 38) with VMI_PAGE_PT; queued in deferred mode", cost: "vmi.setpxe", transition: "SetPxE", batched: true, source: "\(v) vmi_set_pte / vmi_set_pte_at").does(.deferred(in: .mmu)),
        .set_pmd: OpRule(.romCall, "SetPxE with VMI_PAGE_PD", cost: "vmi.setpxe", transition: "SetPxE", batched: true, source: "\(v) vmi_set_pmd").does(.deferred(in: .mmu)),
        .set_pud: OpRule(.romCall, "SetPxELong (PAE pud)", cost: "vmi.setpxe", transition: "SetPxE", batched: true, source: "\(v) vmi_set_pud").does(.deferred(in: .mmu)),
        .set_p4d: .never("i386: no p4d"),
        .pte_clear: OpRule(.romCall, "SetPxE of 0", cost: "vmi.setpxe", transition: "SetPxE", batched: true, source: "\(v) vmi_pte_clear").does(.deferred(in: .mmu)),
        .ptep_modify_prot_start: OpRule(.instruction, "xchg (ptep_get_and_clear)", cost: "native.memory_op", source: "2.6.2x: native; UpdatePxE follows"),
        .ptep_modify_prot_commit: OpRule(.romCall, "UpdatePxE (VMI_CALL 40), VMI_PAGE_DEFER", cost: "vmi.setpxe", transition: "UpdatePxE", batched: true, source: "\(v) vmi_update_pte_defer").does(.deferred(in: .mmu)),
        .pte_val: OpRule(.instruction, "mov", source: "native"),
        .make_pte: OpRule(.instruction, "mov", source: "native"),
        .lazy_mmu_enter: rom("SetLazyMode", 73, exits: false, "\(v) vmi_enter_lazy_mmu: SetLazyMode(1)")
            .does(.sequence([.asWritten, .enterLazy(.mmu)])),
        .lazy_mmu_leave: rom("SetLazyMode", 73, exits: false, "\(v) vmi_leave_lazy: SetLazyMode(0)")
            .does(.sequence([.asWritten, .leaveLazy(reason: "lazy-leave")])),
        .lazy_mmu_flush: rom("SetLazyMode", 73, exits: false, "leave + enter (paravirt lazy flush)")
            .does(.when(.inLazy(.mmu), .sequence([.repeated(.times(2), .asWritten), .leaveLazy(reason: "lazy-flush"), .enterLazy(.mmu)]),
                        otherwise: .nothing)),
        .set_fixmap: OpRule(.romCall, "SetPxE + InvalPage", cost: "vmi.setpxe", transition: "SetPxE", source: "\(v) vmi_set_pte + flush"),
        // MARK: lock
        .queued_spin_lock_slowpath: OpRule(.instruction, "native (ticket) spinlock", cost: "native.spin_slowpath", source: "2.6.2x: no pv spinlocks"),
        .queued_spin_unlock: OpRule(.instruction, "native unlock", cost: "native.memory_op", source: "2.6.2x"),
        .wait: .never("no pv spinlocks in the VMI era (pv_lock_ops came later)"),
        .kick: .never("no pv spinlocks in the VMI era"),
        .vcpu_is_preempted: OpRule(.instruction, "false (no such op then)", source: "2.6.2x"),
        // MARK: time
        .sched_clock: rom("GetCycleCounter", nil, exits: false, "vmi_time.c vmi_sched_clock"),
        .steal_clock: .never("no steal clock in 2.6.2x (added with paravirt steal time, 3.x)"),
        // MARK: arch
        .syscall_entry: OpRule(.trap, "int $0x80 / sysenter through the BT monitor (+ native entry)", cost: "vmi.syscall_bounce", transition: "trap", source: "Adams & Agesen ASPLOS'06 software VMM syscall ≈ native + 2000")
            .does(.sequence([.charge("native.syscall_entry"), .asWritten])),
        .exception_entry: OpRule(.trap, "#PF reflected by the monitor (shadow MMU true fault)", cost: "vmi.exception", transition: "trap", source: "Adams & Agesen ASPLOS'06 software VMM pgfault 3927 vs 1093")
            .does(.sequence([.charge("native.exception_entry"), .asWritten])),
        .interrupt_entry: OpRule(.trap, "virtual interrupt delivered by the monitor", cost: "vmi.interrupt", transition: "trap", source: "assumption (VMI ROM internals unverified)")
            .does(.sequence([.charge("native.interrupt_entry"), .asWritten])),
        .apic_eoi: rom("APICWrite", 63, exits: true, "\(v) vmi_apic_write (EOI register)"),
        .send_ipi: rom("APICWrite", 63, exits: true, "\(v) vmi_apic_write (ICR) per target").does(.repeated(.ipiTargets, .asWritten)),
        .set_next_event: rom("SetAlarm", nil, exits: true, "vmi_time.c vmi_timer_set_next_event → SetAlarm"),
        .x86_fsgsbase_load: .never("i386 has no FS/GS base registers to load: %gs is a TLS descriptor (load_tls)"),
        .pte_direct_write: OpRule(.romCall, "native xchg + pte_update hook → UpdatePxE (VMI_CALL 40); after exit_mmap (fullmm teardown) a plain store", cost: "vmi.setpxe", transition: "UpdatePxE", batched: true, source: "2.6.2x asm/pgtable.h ptep_get_and_clear → pte_update; ptep_get_and_clear_full: \"paravirt does not care about updates\" when full")
            .does(.when(.fullMMTeardown, .charge("native.memory_op"), otherwise: .deferred(in: .mmu))),
    ]

    public static let flushReasons = ["lazy-leave", "context-switch", "lazy-flush", "end"]
    enum Reason: Int { case lazyLeave, contextSwitch, lazyFlush, end }

    public let descriptor: BackendDescriptor
    private var interpreter: ActionInterpreter<DeferredQueue>

    public init(profile: CostProfile, options: BackendOptions) throws {
        let names = transitionNames(Self.rules, extra: ["deferred flush"])
        descriptor = BackendDescriptor(
            id: .vmi, displayName: "vmi (\(profile.name))",
            transitions: names.map { TransitionInfo($0 == "trap" ? .trap : .romCall, $0) },
            flushReasons: Self.flushReasons, settings: [("deferred mode", options.batching ? "on" : "off")])
        let queue = DeferredQueue(entry: try profile.cycles("vmi.deferred_entry"), apply: try profile.cycles("vmi.deferred_apply"),
                                  romExit: try profile.cycles("vmi.rom_exit"),
                                  deferredFlush: try descriptor.requiredTransitionID("deferred flush"))
        var settings = ActionSettings(profile: profile, options: options)
        settings.batching = options.batching
        interpreter = try ActionInterpreter(rules: Self.rules, descriptor: descriptor, settings: settings, machine: queue)
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        interpreter.perform(call, context, &ledger)
    }

    public mutating func finish(_ ledger: inout Ledger) {
        interpreter.finish(reason: Reason.end.rawValue, &ledger)
    }

    public func queuedUpdates(cpu: Int) -> Int { interpreter.cpus[cpu].queue.count }

    /// The ROM's deferred queue: which calls it absorbs is each row's `.deferred(in:)` (an
    /// assumption: asm/vmi.h says `VMI_PAGE_DEFER` "may queue update until TLB inval"; what else
    /// the ROM queues is unverified); the call runs in the guest and only queues the update,
    /// and SetLazyMode(0) applies the queue with one monitor entry.
    struct DeferredQueue: BackendStateMachine {
        let entry, apply, romExit: Double
        let deferredFlush: TransitionID

        func queue(_ op: PVOp, alone: (cycles: Double, transition: TransitionID),
                   _ cpu: inout LazyCPU<QueuedCalls>, _ ledger: inout Ledger) {
            ledger.charge(entry)
            cpu.queue.count += 1
        }

        func flush(_ cpu: inout LazyCPU<QueuedCalls>, reason: Int, _ ledger: inout Ledger) {
            let n = cpu.queue.count
            guard n > 0 else { return }
            ledger.transition(deferredFlush, cycles: romExit + Double(n) * apply)
            ledger.batchFlushed(entries: n, reason: reason)
            cpu.queue.count = 0
        }
    }
}
