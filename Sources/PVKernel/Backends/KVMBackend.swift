/// KVM guest on Intel VT-x. A KVM guest installs very few pv ops: almost everything runs the
/// native instruction, and the cost is whether that instruction causes a VM exit (by exit
/// reason). With EPT the MMU runs natively; without it (first-generation VT-x, the `vtx-2006`
/// profile) KVM shadows the guest page tables and page faults, PTE writes, CR3 writes and
/// invlpg all exit. Each KVM pv feature is a toggle (`BackendOptions.kvmFeatures`).
///
/// Sources (Linux): arch/x86/kernel/kvm.c, kvmclock.c, KVM's arch/x86/kvm/vmx/vmx.c and lapic.c;
/// cycles: Adams & Agesen ASPLOS'06, VirtualBox's NemRawBench-1.cpp results, Shalabi 2014.
public struct KVMBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.kvm

    private static let kvm = "kernel/kvm.c"
    private static let vmx = "kvm/vmx/vmx.c"
    private static let eptNoExit = "vmx.c setup_vmcs_config: \"CR3 accesses and invlpg don't need to cause VM Exits when EPT enabled\""

    /// The table with EPT (two-dimensional paging). `shadowRules` overrides rows without EPT.
    public static let rules: [PVOp: OpRule] = [
        // MARK: cpu
        .io_delay: OpRule(.vmExit, "kvm_io_delay: nop with KVM_FEATURE_NOP_IO_DELAY; without it `out 0x80` → IO_INSTRUCTION", cost: "kvm.exit.IO_INSTRUCTION", transition: "IO_INSTRUCTION", source: "\(kvm) paravirt_ops_setup: pv_ops.cpu.io_delay = kvm_io_delay")
            .does(.when(.flag("kvm.nop_io_delay"), .nothing, otherwise: .asWritten)),
        .cpuid: OpRule(.vmExit, "CPUID exits unconditionally", cost: "kvm.exit.CPUID", transition: "CPUID", source: "\(vmx) kvm_vmx_exit_handlers[EXIT_REASON_CPUID] (architectural)"),
        .read_msr: OpRule(.vmExit, "MSR_READ, except pass-through FS/GS/KERNEL_GS base, SYSENTER_*, TSC", cost: "kvm.exit.MSR_READ", transition: "MSR_READ", source: "\(vmx) vmx_create_vcpu: vmx_disable_intercept_for_msr(MSR_FS_BASE…)")
            .does(KVMBackend.readMSR),
        .write_msr: OpRule(.vmExit, "MSR_WRITE (TSC_DEADLINE / x2APIC ICR in the irqoff fastpath), except pass-through FS/GS bases", cost: "kvm.exit.MSR_WRITE", transition: "MSR_WRITE", source: "\(vmx) vmx_exit_handlers_fastpath → handle_fastpath_set_msr_irqoff")
            .does(KVMBackend.writeMSR),
        .read_pmc: OpRule(.vmExit, "RDPMC exiting", cost: "kvm.exit.RDPMC", transition: "RDPMC", source: "\(vmx) handle_rdpmc"),
        .wbinvd: OpRule(.vmExit, "WBINVD exiting", cost: "kvm.exit.WBINVD", transition: "WBINVD", source: "\(vmx) setup_vmcs_config SECONDARY_EXEC_WBINVD_EXITING"),
        .get_debugreg: OpRule(.vmExit, "MOV DR exiting (until KVM switches DRs to the guest)", cost: "kvm.exit.DR_ACCESS", transition: "DR_ACCESS", source: "\(vmx) handle_dr"),
        .set_debugreg: OpRule(.vmExit, "MOV DR exiting", cost: "kvm.exit.DR_ACCESS", transition: "DR_ACCESS", source: "\(vmx) handle_dr"),
        .read_cr0: OpRule(.instruction, "mov from cr0 reads the CR0 read shadow", cost: "native.mov_from_cr", source: "Intel SDM: CR0 read shadow; no exit"),
        .write_cr0: OpRule(.vmExit, "CR_ACCESS for host-owned CR0 bits", cost: "kvm.exit.CR_ACCESS", transition: "CR_ACCESS", source: "\(vmx) handle_cr; kvm_cache_regs.h KVM_POSSIBLE_CR0_GUEST_BITS"),
        .clts: OpRule(.instruction, "CR0.TS is guest-owned", cost: "native.clts", source: "kvm_cache_regs.h KVM_POSSIBLE_CR0_GUEST_BITS X86_CR0_TS"),
        .read_cr4: OpRule(.memory, "per-CPU cr4 shadow", cost: "native.memory_op", source: "asm/tlbflush.h cr4_read_shadow"),
        .write_cr4: OpRule(.vmExit, "CR_ACCESS for host-owned CR4 bits", cost: "kvm.exit.CR_ACCESS", transition: "CR_ACCESS", source: "\(vmx) handle_cr"),
        .load_tr_desc: OpRule(.instruction, "ltr (descriptor-table exiting off by default; unverified)", cost: "native.descriptor_load", source: "vmx.c setup_vmcs_config: descriptor-table exiting not requested (not verified)"),
        .load_gdt: OpRule(.instruction, "lgdt (no exit)", cost: "native.descriptor_load", source: "vmx.c setup_vmcs_config: descriptor-table exiting not requested (not verified)"),
        .load_idt: OpRule(.instruction, "lidt (no exit)", cost: "native.descriptor_load", source: "vmx.c setup_vmcs_config: descriptor-table exiting not requested (not verified)"),
        .set_ldt: OpRule(.instruction, "lldt (no exit)", cost: "native.descriptor_load", source: "vmx.c setup_vmcs_config: descriptor-table exiting not requested (not verified)"),
        .store_tr: OpRule(.instruction, "str", cost: "native.memory_op", source: "native"),
        .load_tls: OpRule(.instruction, "GDT stores", cost: "native.memory_op", source: "native_load_tls"),
        .load_gs_index: OpRule(.instruction, "swapgs; mov %gs", cost: "native.swapgs", source: "native"),
        .write_ldt_entry: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .write_gdt_entry: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .write_idt_entry: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .alloc_ldt: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .free_ldt: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .load_sp0: OpRule(.instruction, "TSS store", cost: "native.memory_op", source: "native_load_sp0"),
        .invalidate_io_bitmap: OpRule(.instruction, "TSS store", cost: "native.memory_op", source: "native"),
        .update_io_bitmap: OpRule(.instruction, "TSS copy", cost: "native.memory_op", source: "native"),
        .set_iopl_mask: OpRule(.instruction, "popf", cost: "native.popf", source: "native"),
        .start_context_switch: OpRule(.nop, "paravirt_nop (no lazy CPU mode)", source: "kernel/paravirt.c"),
        .end_context_switch: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .iret: OpRule(.instruction, "iretq", cost: "native.iret", source: "native"),
        .irq_enable_sysexit: OpRule(.instruction, "sysexit (i386)", cost: "native.sysret", source: "native"),
        .usergs_sysret64: OpRule(.instruction, "swapgs; sysretq", cost: "native.sysret", source: "native"),
        .swapgs: OpRule(.instruction, "swapgs", cost: "native.swapgs", source: "native"),
        .read_tsc: OpRule(.instruction, "rdtsc (TSC offsetting, no exit)", cost: "native.rdtsc", source: "\(vmx) (RDTSC exiting off)"),
        // MARK: irq
        .save_fl: OpRule(.instruction, "pushf; pop", cost: "native.pushf", source: "asm/paravirt.h ALT_NOT_XEN"),
        .restore_fl: OpRule(.instruction, "push; popf", cost: "native.popf", source: "native"),
        .irq_disable: OpRule(.instruction, "cli (no exit)", cost: "native.cli", source: "asm/paravirt.h ALT_NOT_XEN"),
        .irq_enable: OpRule(.instruction, "sti (no exit)", cost: "native.sti", source: "asm/paravirt.h ALT_NOT_XEN"),
        .safe_halt: OpRule(.vmExit, "sti; hlt → HLT (haltpoll: the guest polls first)", cost: "kvm.exit.HLT", transition: "HLT", source: "\(vmx) handle_halt; drivers/cpuidle/cpuidle-haltpoll.c")
            .does(KVMBackend.haltpoll),
        .halt: OpRule(.vmExit, "hlt → HLT", cost: "kvm.exit.HLT", transition: "HLT", source: "\(vmx) handle_halt")
            .does(KVMBackend.haltpoll),
        // MARK: mmu
        .read_cr2: OpRule(.instruction, "mov %cr2 (no exit)", cost: "native.mov_from_cr", source: "Intel SDM: CR2 is not intercepted"),
        .write_cr2: OpRule(.instruction, "mov to %cr2 (no exit)", cost: "native.mov_from_cr", source: "native"),
        .read_cr3: OpRule(.instruction, "mov %cr3 (no exit with EPT)", cost: "native.mov_from_cr", source: eptNoExit),
        .write_cr3: OpRule(.instruction, "mov to %cr3 (no exit with EPT)", cost: "native.mov_to_cr3", source: eptNoExit),
        .enter_mmap: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .exit_mmap: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .pgd_alloc: OpRule(.nop, "native", source: "kernel/paravirt.c"),
        .pgd_free: OpRule(.nop, "native", source: "kernel/paravirt.c"),
        .flush_tlb_user: OpRule(.instruction, "CR3 reload (no exit with EPT)", cost: "native.tlb_flush_cr3", source: eptNoExit),
        .flush_tlb_kernel: OpRule(.instruction, "CR4.PGE toggle: guest-owned with EPT", cost: "native.tlb_flush_global", source: "kvm_cache_regs.h KVM_POSSIBLE_CR4_GUEST_BITS includes X86_CR4_PGE"),
        .flush_tlb_one_user: OpRule(.instruction, "invlpg (no exit with EPT)", cost: "native.invlpg", source: eptNoExit),
        .flush_tlb_multi: OpRule(.memory, "kvm_flush_tlb_multi: preempted targets get KVM_VCPU_FLUSH_TLB in steal_time (no IPI, no handler); IPIs to the rest", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_flush_tlb_multi")
            .does(KVMBackend.flushTLBMulti),
        .tlb_remove_table: OpRule(.instruction, "tlb_remove_table (RCU free)", cost: "native.memory_op", source: "\(kvm) pv_ops.mmu.tlb_remove_table"),
        .alloc_pte: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .alloc_pmd: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .alloc_pud: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .alloc_p4d: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .release_pte: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .release_pmd: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .release_pud: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .release_p4d: OpRule(.nop, "paravirt_nop", source: "kernel/paravirt.c"),
        .set_pte: OpRule(.instruction, "store (EPT: no exit)", cost: "native.memory_op", source: "native_set_pte; with EPT guest page tables are plain memory (KVM_HC_MMU_OP not even reported with TDP, commit 2f333bcb)"),
        .set_pmd: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .set_pud: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .set_p4d: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .pte_clear: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .ptep_modify_prot_start: OpRule(.instruction, "xchg", cost: "native.memory_op", source: "native"),
        .ptep_modify_prot_commit: OpRule(.instruction, "store", cost: "native.memory_op", source: "native"),
        .pte_val: OpRule(.instruction, "mov", source: "native"),
        .make_pte: OpRule(.instruction, "mov", source: "native"),
        .lazy_mmu_enter: OpRule(.nop, "no lazy-mode ops in KVM", source: "kernel/kvm.c installs no pv_ops.mmu.lazy_mode hooks (paravirt.c defaults: nop)"),
        .lazy_mmu_leave: OpRule(.nop, "no lazy-mode ops in KVM", source: "kernel/kvm.c: no lazy_mode hooks"),
        .lazy_mmu_flush: OpRule(.nop, "no lazy-mode ops in KVM", source: "kernel/kvm.c: no lazy_mode hooks"),
        .set_fixmap: OpRule(.instruction, "set_pte + invlpg", cost: "native.invlpg", source: "native_set_fixmap"),
        // MARK: lock
        .queued_spin_lock_slowpath: OpRule(.instruction, "__pv_queued_spin_lock_slowpath (pv_spinlocks) / native spin", cost: "native.spin_slowpath", source: "\(kvm) kvm_spinlock_init")
            .does(.sequence([.asWritten, .when(.feature(.pv_spinlocks), .nothing,
                                               otherwise: .chance(.overcommit, .charge("kvm.wait_preempted_vcpu"), otherwise: .nothing))])),
        .queued_spin_unlock: OpRule(.instruction, "__pv_queued_spin_unlock", cost: "native.memory_op", source: "\(kvm) kvm_spinlock_init"),
        .wait: OpRule(.vmExit, "kvm_wait: halt() → HLT", cost: "kvm.exit.HLT", transition: "HLT", source: "\(kvm) kvm_wait")
            .does(.when(.feature(.pv_spinlocks), .asWritten, otherwise: .charge("native.spin_slowpath"))),
        .kick: OpRule(.vmExit, "kvm_kick_cpu: VMCALL KVM_HC_KICK_CPU", cost: "kvm.exit.VMCALL", transition: "VMCALL KICK_CPU", source: "\(kvm) kvm_kick_cpu")
            .does(.when(.feature(.pv_spinlocks), .asWritten, otherwise: .nothing)),
        .vcpu_is_preempted: OpRule(.memory, "steal_time.preempted (asm thunk)", cost: "kvm.pv.shared_memory", source: "\(kvm) __kvm_vcpu_is_preempted")
            .does(.when(.feature(.steal_time), .asWritten, otherwise: .nothing)),
        // MARK: time
        .sched_clock: OpRule(.memory, "kvmclock: rdtsc + pvclock page (off: acpi_pm read → IO_INSTRUCTION, assumption)", cost: "kvm.pv.shared_memory", source: "kvmclock.c kvm_sched_clock_read")
            .does(KVMBackend.kvmclock),
        .steal_clock: OpRule(.memory, "steal_time.steal with version retry", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_steal_clock")
            .does(.when(.feature(.steal_time), .asWritten, otherwise: .nothing)),
        // MARK: arch
        .syscall_entry: OpRule(.instruction, "native syscall (no exit)", cost: "native.syscall_entry", source: "Adams & Agesen ASPLOS'06: hardware VMM syscall = native"),
        .exception_entry: OpRule(.instruction, "#PF handled in the guest (EPT: no exit)", cost: "native.exception_entry", source: "\(vmx): #PF not intercepted with EPT (except async PF)"),
        .interrupt_entry: OpRule(.vmExit, "host IRQ → EXTERNAL_INTERRUPT; timer → PREEMPTION_TIMER; IPIs posted (no exit) when the profile has posted interrupts", cost: "kvm.exit.EXTERNAL_INTERRUPT", transition: "EXTERNAL_INTERRUPT", source: "\(vmx) handle_external_interrupt, handle_preemption_timer")
            .does(KVMBackend.interruptExit),
        .apic_eoi: OpRule(.memory, "kvm_guest_apic_eoi_write: clear KVM_PV_EOI_BIT (off: x2APIC EOI → MSR_WRITE)", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_guest_apic_eoi_write")
            .does(.when(.apicv, .sequence([.when(.feature(.pv_eoi), .asWritten, otherwise: .nothing), .charge("native.x2apic_eoi_write")]),
                        otherwise: .when(.feature(.pv_eoi), .asWritten, otherwise: .transition("MSR_WRITE", cost: "kvm.exit.MSR_WRITE")))),
        .send_ipi: OpRule(.vmExit, "single target: x2APIC ICR MSR_WRITE; mask with pv_ipi: one VMCALL KVM_HC_SEND_IPI per 128-APIC-ID window (off: ICR MSR_WRITE per target)", cost: "kvm.exit.VMCALL", transition: "VMCALL SEND_IPI", source: "\(kvm) kvm_send_ipi_mask / __send_ipi_mask (KVM_IPI_CLUSTER_SIZE)")
            .does(.when(.feature(.pv_ipi), .when(.ipiToMask, .repeated(.apicIDWindows, .asWritten), otherwise: KVMBackend.icrPerTarget),
                        otherwise: KVMBackend.icrPerTarget)),
        .set_next_event: OpRule(.vmExit, "wrmsr TSC_DEADLINE → MSR_WRITE (irqoff fastpath)", cost: "kvm.exit.MSR_WRITE_fastpath", transition: "MSR_WRITE", source: "\(vmx) vmx_exit_handlers_fastpath → handle_fastpath_set_msr_irqoff"),
        .pte_direct_write: OpRule(.instruction, "store / xchg (EPT: no exit)", cost: "native.memory_op", source: "native"),
        .x86_fsgsbase_load: OpRule(.instruction, "wrfsbase; swapgs; wrgsbase; swapgs (no exit)", cost: "native.wrfsgsbase", source: "kernel/process_64.c x86_fsgsbase_load; WRFSBASE/WRGSBASE are not VMX exit conditions (Intel SDM Vol. 3C ch. 25)"),
    ]

    private static let shadowSource = "kvm/mmu (shadow paging, !tdp_enabled); Adams & Agesen ASPLOS'06 HW VMM"
    /// Rows that differ without EPT (shadow paging): the guest's page tables are write-protected
    /// and traced, CR3 loads and invlpg are intercepted, #PF exits.
    public static let shadowRules: [PVOp: OpRule] = [
        .exception_entry: OpRule(.vmExit, "#PF exits; shadow walk finds a true fault; injected", cost: "kvm.exit.EXCEPTION_NMI", transition: "EXCEPTION_NMI", source: "\(shadowSource) pgfault 11242 vs native 1093")
            .does(.sequence([.charge("native.exception_entry"), .asWritten])),
        .set_pte: OpRule(.vmExit, "write to a traced guest page table → exit + emulate + shadow update", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: "\(shadowSource) ptemod 12733; kvm_mmu_pte_write"),
        .set_pmd: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .set_pud: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .set_p4d: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .pte_clear: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .ptep_modify_prot_commit: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .pte_direct_write: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .set_fixmap: OpRule(.vmExit, "traced page-table write", cost: "kvm.shadow.ptemod", transition: "EXCEPTION_NMI", source: shadowSource),
        .read_cr3: OpRule(.vmExit, "CR3-store exiting", cost: "kvm.exit.CR_ACCESS", transition: "CR_ACCESS", source: "\(vmx) setup_vmcs_config: CR3 load/store exiting without EPT"),
        .write_cr3: OpRule(.vmExit, "CR3-load exiting: switch shadow root", cost: "kvm.shadow.cr3_switch", transition: "CR_ACCESS", source: "\(vmx) setup_vmcs_config; kvm_mmu_new_pgd"),
        .flush_tlb_user: OpRule(.vmExit, "CR3 reload → CR_ACCESS + shadow sync", cost: "kvm.shadow.cr3_switch", transition: "CR_ACCESS", source: "\(vmx) handle_cr"),
        .flush_tlb_kernel: OpRule(.vmExit, "CR4.PGE host-owned without EPT → CR_ACCESS", cost: "kvm.exit.CR_ACCESS", transition: "CR_ACCESS", source: "old vmx.h KVM_GUEST_CR4_MASK includes X86_CR4_PGE"),
        .flush_tlb_one_user: OpRule(.vmExit, "INVLPG exiting", cost: "kvm.exit.INVLPG", transition: "INVLPG", source: "\(vmx) handle_invlpg"),
    ]

    // MARK: actions shared by several rows (and by VirtualBox's table: `kvm.` keys are read
    // under the hypervisor's own prefix)

    /// vmx_create_vcpu: FS/GS/KERNEL_GS base, SYSENTER_* (and TSC for reads) are passed through.
    static let readMSR: Action = .byMSR([.init([MSR.fsBase, MSR.gsBase, MSR.kernelGSBase, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP, MSR.tsc],
                                               .charge("native.rdmsr"))], otherwise: .asWritten)
    /// Pass-through bases and SYSENTER_*; TSC_DEADLINE and the x2APIC ICR exit into the irqoff
    /// fastpath (handle_fastpath_set_msr_irqoff).
    static let writeMSR: Action = .byMSR([.init([MSR.fsBase, MSR.gsBase, MSR.kernelGSBase, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP],
                                                .charge("native.wrmsr")),
                                          .init([MSR.tscDeadline, MSR.x2apicICR], .transition("MSR_WRITE", cost: "kvm.exit.MSR_WRITE_fastpath"))],
                                         otherwise: .asWritten)
    /// cpuidle-haltpoll: the guest polls before HLT; a wake-up within the poll window avoids
    /// the exit (the fraction is an assumption in the profile).
    static let haltpoll: Action = .when(.feature(.haltpoll), .chance(.quantity("kvm.haltpoll.avoided_fraction"), .charge("kvm.haltpoll.poll_cycles"),
                                                                     otherwise: .asWritten), otherwise: .asWritten)
    /// Without kvmclock the clocksource falls back to acpi_pm: an I/O port read (assumption).
    static let kvmclock: Action = .when(.feature(.kvmclock), .sequence([.asWritten, .charge("native.rdtsc")]),
                                        otherwise: .transition("IO_INSTRUCTION", cost: "kvm.exit.IO_INSTRUCTION"))
    /// One x2APIC ICR write per target, each an MSR_WRITE exit in the fastpath. kvm_setup_pv_ipi
    /// replaces only apic->send_IPI_mask(_allbutself) (arch/x86/kernel/kvm.c), so a
    /// single-target IPI stays an ICR write even with pv_ipi: the recorded guest shows
    /// `write_msr: 830` after every `ipi_send_cpu`.
    static let icrPerTarget: Action = .repeated(.ipiTargets, .transition("MSR_WRITE", cost: "kvm.exit.MSR_WRITE_fastpath"))
    /// The timer: the host's hrtimer or the VMX preemption timer fires for the guest's deadline;
    /// an IPI is posted without an exit to a running vCPU with APICv; a device IRQ exits.
    static let interruptExit: Action = .sequence([
        .charge("native.interrupt_entry"),
        .byVector(timer: .when(.flag("kvm.preemption_timer"), .transition("PREEMPTION_TIMER", cost: "kvm.exit.PREEMPTION_TIMER"), otherwise: .asWritten),
                  ipi: .when(.apicv, .nothing, otherwise: .asWritten), device: .asWritten)])
    /// kvm_flush_tlb_multi: the local flush (an exit without EPT), then the remote targets.
    static let flushTLBMulti: Action = .sequence([
        .when(.flushIncludesLocal, .when(.flushHasPages, .repeated(.flushPages, .row(.flush_tlb_one_user)), otherwise: .row(.flush_tlb_user)),
              otherwise: .nothing),
        .exception(ShootdownState.Exception.kvmFlushTLBOthers.rawValue,
                   why: "per target a preemption coin: with pv_tlb_flush + steal_time a preempted target is marked KVM_VCPU_FLUSH_TLB and its handler never runs; the rest get IPIs (pv_ipi) and the sender waits, longer for a preempted one",
                   emits: ["MSR_WRITE", "VMCALL SEND_IPI"])])

    static let extraTransitions = ["MSR_WRITE", "HLT", "IO_INSTRUCTION", "EXTERNAL_INTERRUPT", "PREEMPTION_TIMER",
                                   "EXCEPTION_NMI", "CR_ACCESS", "INVLPG", "VMCALL SEND_IPI", "VMCALL KICK_CPU"]

    public let descriptor: BackendDescriptor
    public let ept: Bool
    public let features: Set<KVMFeature>
    /// APICv: virtualized EOI and posted interrupts (arch/x86/kvm/vmx/vmx.c enable_apicv).
    public let apicv: Bool
    private var interpreter: ActionInterpreter<ShootdownState>

    public init(profile: CostProfile, options: BackendOptions) throws {
        try self.init(profile: profile, options: options, hypervisor: .kvm)
    }

    /// The hypervisors that offer a Linux guest KVM's paravirtual interface on VT-x: KVM itself,
    /// and VirtualBox (GIM KVM provider), which prices the same exits from its own table and
    /// `vbox.*` costs and offers only some of the features.
    struct Hypervisor {
        var id: BackendID
        var rules: [PVOp: OpRule]
        var shadowRules: [PVOp: OpRule]
        /// Profile key prefix of its costs and flags (`kvm`, `vbox`).
        var prefix: String
        /// The KVM_FEATURE_* it offers the guest.
        var offered: Set<KVMFeature>
        static let kvm = Hypervisor(id: .kvm, rules: KVMBackend.rules, shadowRules: KVMBackend.shadowRules,
                                    prefix: "kvm", offered: Set(KVMFeature.allCases))
    }

    init(profile: CostProfile, options: BackendOptions, hypervisor h: Hypervisor) throws {
        func key(_ suffix: String) -> String { "\(h.prefix).\(suffix)" }
        ept = options.ept ?? profile.ept
        // A guest of a profile's era enables only the features its hypervisor had (none in
        // 2006), and only those the hypervisor offers.
        features = options.kvmFeatures.intersection(KVMBackend.defaultFeatures(for: profile, prefix: h.prefix))
            .intersection(h.offered)
        apicv = try options.apicv ?? profile.flag(key("apicv"))
        var table = h.rules
        if !ept { for (op, r) in h.shadowRules { table[op] = r } }
        let enabled = features
        descriptor = BackendDescriptor(
            id: h.id, displayName: "\(h.id.rawValue) (\(profile.name), \(ept ? "EPT" : "shadow"))",
            transitions: transitionNames(h.rules, extra: Self.extraTransitions).map { TransitionInfo(.vmExit, $0) },
            settings: [("ept", ept ? "on" : "off"), ("apicv", apicv ? "on" : "off")] + KVMFeature.allCases.map { ($0.rawValue, enabled.contains($0) ? "on" : "off") }
                + [("overcommit", String(options.overcommit))])
        let d = descriptor
        let state = ShootdownState(
            pvFlush: features.contains(.pv_tlb_flush) && features.contains(.steal_time), pvIPI: features.contains(.pv_ipi),
            cpuCount: max(options.cpuCount, 1), overcommit: options.overcommit,
            shared: try profile.cycles(key("pv.shared_memory")), icrWait: try profile.cycles("native.tlb_shootdown_wait"),
            waitPreempted: try profile.cycles(key("wait_preempted_vcpu")), vmcall: try profile.cycles(key("exit.VMCALL")),
            msrWriteFast: try profile.cycles(key("exit.MSR_WRITE_fastpath")),
            sendIPI: try d.requiredTransitionID("VMCALL SEND_IPI"), msrWrite: try d.requiredTransitionID("MSR_WRITE"))
        interpreter = try ActionInterpreter(
            rules: table, descriptor: descriptor,
            settings: ActionSettings(profile: profile, options: options, features: features, apicv: apicv,
                                     keyPrefix: (from: "kvm", to: h.prefix)),
            machine: state)
    }

    /// The pv features a guest of the profile's era would enable (use for `BackendOptions.kvmFeatures`
    /// when the user chose none): all of them on a modern profile, none on `vtx-2006`.
    public static func defaultFeatures(for profile: CostProfile, prefix: String = "kvm") -> Set<KVMFeature> {
        (profile.flags["\(prefix).pv_features_available"]?.on ?? true) ? Set(KVMFeature.allCases) : []
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        guard context.ipiCause == .tlbShootdown else { return interpreter.perform(call, context, &ledger) }
        var one = call
        one.count = 1
        for _ in 0..<call.count where !interpreter.machine.suppresses(call.op, cpu: context.cpu) {
            interpreter.perform(one, context, &ledger)
        }
    }

    public mutating func finish(_ ledger: inout Ledger) {}

    /// What KVM's exit machinery keeps across calls: the shootdowns pv TLB flush did not send.
    struct ShootdownState: BackendStateMachine {
        enum Exception: String, Sendable { case kvmFlushTLBOthers = "kvm_flush_tlb_multi (remote targets)" }

        let pvFlush, pvIPI: Bool
        let cpuCount: Int
        let overcommit: Double
        let shared, icrWait, waitPreempted, vmcall, msrWriteFast: Double
        let sendIPI, msrWrite: TransitionID
        /// Shootdown IPIs pv TLB flush did not send (preempted targets): that many receiving
        /// handlers never run; the host flushes those vCPUs' TLBs on their next entry instead.
        var skippedShootdowns = 0
        /// Per CPU: inside a receiving handler whose IPI was never sent (until its iret).
        var suppressing: [Bool] = []


        /// In a TLB-shootdown handler: whether this call belongs to a handler whose IPI pv TLB
        /// flush never sent.
        mutating func suppresses(_ op: PVOp, cpu: Int) -> Bool {
            if cpu >= suppressing.count { suppressing += Array(repeating: false, count: cpu + 1 - suppressing.count) }
            if op == .interrupt_entry && skippedShootdowns > 0 {
                skippedShootdowns -= 1
                suppressing[cpu] = true
                return true
            }
            if suppressing[cpu] {
                if op == .iret { suppressing[cpu] = false }
                return true
            }
            return false
        }

        /// kvm_flush_tlb_multi's remote half: with pv TLB flush (needs steal time) preempted
        /// targets are marked KVM_VCPU_FLUSH_TLB in shared memory and dropped; the rest get the
        /// native IPI flush (kvm_send_ipi_mask with pv_ipi), and the sender waits for every ack.
        mutating func run(_ exception: Exception, _ call: PVCall, lazy: LazyMode, _ cpu: inout LazyCPU<QueuedCalls>, _ ledger: inout Ledger) {
            var ipis = 0
            var preemptedWaits = 0
            for _ in 0..<call.flushTargets {
                let preempted = ledger.chance(overcommit)
                if preempted && pvFlush { ledger.charge(shared); skippedShootdowns += 1; continue }
                ipis += 1
                if preempted { preemptedWaits += 1 }
            }
            guard ipis > 0 else { return }
            if pvIPI && ipis > 1 {
                let windows = min(ipis, (cpuCount + 127) / 128)
                ledger.transition(sendIPI, cycles: Double(windows) * vmcall, count: UInt64(windows))
            } else {
                ledger.transition(msrWrite, cycles: Double(ipis) * msrWriteFast, count: UInt64(ipis))
            }
            ledger.charge(icrWait + Double(preemptedWaits) * waitPreempted)
        }
    }
}
