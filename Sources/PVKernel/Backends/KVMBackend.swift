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
        .io_delay: OpRule(.vmExit, "kvm_io_delay: nop with KVM_FEATURE_NOP_IO_DELAY; without it `out 0x80` → IO_INSTRUCTION", cost: "kvm.exit.IO_INSTRUCTION", transition: "IO_INSTRUCTION", source: "\(kvm) paravirt_ops_setup: pv_ops.cpu.io_delay = kvm_io_delay").custom("kvm.nop_io_delay flag: a nop with KVM_FEATURE_NOP_IO_DELAY, else `out 0x80` exits"),
        .cpuid: OpRule(.vmExit, "CPUID exits unconditionally", cost: "kvm.exit.CPUID", transition: "CPUID", source: "\(vmx) kvm_vmx_exit_handlers[EXIT_REASON_CPUID] (architectural)"),
        .read_msr: OpRule(.vmExit, "MSR_READ, except pass-through FS/GS/KERNEL_GS base, SYSENTER_*, TSC", cost: "kvm.exit.MSR_READ", transition: "MSR_READ", source: "\(vmx) vmx_create_vcpu: vmx_disable_intercept_for_msr(MSR_FS_BASE…)").custom("by MSR number: FS/GS/SYSENTER/TSC passed through"),
        .write_msr: OpRule(.vmExit, "MSR_WRITE (TSC_DEADLINE / x2APIC ICR in the irqoff fastpath), except pass-through FS/GS bases", cost: "kvm.exit.MSR_WRITE", transition: "MSR_WRITE", source: "\(vmx) vmx_exit_handlers_fastpath → handle_fastpath_set_msr_irqoff").custom("by MSR number: FS/GS/SYSENTER passed through, TSC_DEADLINE/ICR in the fastpath"),
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
        .safe_halt: OpRule(.vmExit, "sti; hlt → HLT (haltpoll: the guest polls first)", cost: "kvm.exit.HLT", transition: "HLT", source: "\(vmx) handle_halt; drivers/cpuidle/cpuidle-haltpoll.c").custom("haltpoll: a wake-up within the guest's poll avoids the exit"),
        .halt: OpRule(.vmExit, "hlt → HLT", cost: "kvm.exit.HLT", transition: "HLT", source: "\(vmx) handle_halt").custom("haltpoll: a wake-up within the guest's poll avoids the exit"),
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
        .flush_tlb_multi: OpRule(.memory, "kvm_flush_tlb_multi: preempted targets get KVM_VCPU_FLUSH_TLB in steal_time (no IPI, no handler); IPIs to the rest", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_flush_tlb_multi").custom("pv_tlb_flush + steal_time: preempted targets marked in steal_time, the rest get IPIs (pv_ipi); local flush exits without EPT", emits: ["MSR_WRITE", "VMCALL SEND_IPI", "INVLPG", "CR_ACCESS"]),
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
        .queued_spin_lock_slowpath: OpRule(.instruction, "__pv_queued_spin_lock_slowpath (pv_spinlocks) / native spin", cost: "native.spin_slowpath", source: "\(kvm) kvm_spinlock_init").custom("without pv_spinlocks a waiter may spin on a preempted holder (overcommit)"),
        .queued_spin_unlock: OpRule(.instruction, "__pv_queued_spin_unlock", cost: "native.memory_op", source: "\(kvm) kvm_spinlock_init"),
        .wait: OpRule(.vmExit, "kvm_wait: halt() → HLT", cost: "kvm.exit.HLT", transition: "HLT", source: "\(kvm) kvm_wait").custom("pv_spinlocks: without them a plain spin"),
        .kick: OpRule(.vmExit, "kvm_kick_cpu: VMCALL KVM_HC_KICK_CPU", cost: "kvm.exit.VMCALL", transition: "VMCALL KICK_CPU", source: "\(kvm) kvm_kick_cpu").custom("pv_spinlocks: without them no kick"),
        .vcpu_is_preempted: OpRule(.memory, "steal_time.preempted (asm thunk)", cost: "kvm.pv.shared_memory", source: "\(kvm) __kvm_vcpu_is_preempted").custom("steal_time: without it native false"),
        // MARK: time
        .sched_clock: OpRule(.memory, "kvmclock: rdtsc + pvclock page (off: acpi_pm read → IO_INSTRUCTION, assumption)", cost: "kvm.pv.shared_memory", source: "kvmclock.c kvm_sched_clock_read").custom("kvmclock: without it an acpi_pm port read exits (assumption)", emits: ["IO_INSTRUCTION"]),
        .steal_clock: OpRule(.memory, "steal_time.steal with version retry", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_steal_clock").custom("steal_time: without it none"),
        // MARK: arch
        .syscall_entry: OpRule(.instruction, "native syscall (no exit)", cost: "native.syscall_entry", source: "Adams & Agesen ASPLOS'06: hardware VMM syscall = native"),
        .exception_entry: OpRule(.instruction, "#PF handled in the guest (EPT: no exit)", cost: "native.exception_entry", source: "\(vmx): #PF not intercepted with EPT (except async PF)"),
        .interrupt_entry: OpRule(.vmExit, "host IRQ → EXTERNAL_INTERRUPT; timer → PREEMPTION_TIMER; IPIs posted (no exit) when the profile has posted interrupts", cost: "kvm.exit.EXTERNAL_INTERRUPT", transition: "EXTERNAL_INTERRUPT", source: "\(vmx) handle_external_interrupt, handle_preemption_timer").custom("by vector class: timer → PREEMPTION_TIMER (or EXTERNAL_INTERRUPT), IPI posted with APICv, device → EXTERNAL_INTERRUPT", emits: ["PREEMPTION_TIMER"]),
        .apic_eoi: OpRule(.memory, "kvm_guest_apic_eoi_write: clear KVM_PV_EOI_BIT (off: x2APIC EOI → MSR_WRITE)", cost: "kvm.pv.shared_memory", source: "\(kvm) kvm_guest_apic_eoi_write").custom("APICv virtualizes the EOI; else pv_eoi skips the write; else MSR_WRITE", emits: ["MSR_WRITE"]),
        .send_ipi: OpRule(.vmExit, "single target: x2APIC ICR MSR_WRITE; mask with pv_ipi: one VMCALL KVM_HC_SEND_IPI per 128-APIC-ID window (off: ICR MSR_WRITE per target)", cost: "kvm.exit.VMCALL", transition: "VMCALL SEND_IPI", source: "\(kvm) kvm_send_ipi_mask / __send_ipi_mask (KVM_IPI_CLUSTER_SIZE)").custom("pv_ipi for a mask of >1 targets; single targets are an ICR MSR_WRITE", emits: ["MSR_WRITE"]),
        .set_next_event: OpRule(.vmExit, "wrmsr TSC_DEADLINE → MSR_WRITE (irqoff fastpath)", cost: "kvm.exit.MSR_WRITE_fastpath", transition: "MSR_WRITE", source: "\(vmx) vmx_exit_handlers_fastpath → handle_fastpath_set_msr_irqoff"),
        .pte_direct_write: OpRule(.instruction, "store / xchg (EPT: no exit)", cost: "native.memory_op", source: "native"),
        .x86_fsgsbase_load: OpRule(.instruction, "wrfsbase; swapgs; wrgsbase; swapgs (no exit)", cost: "native.wrfsgsbase", source: "kernel/process_64.c x86_fsgsbase_load; WRFSBASE/WRGSBASE are not VMX exit conditions (Intel SDM Vol. 3C ch. 25)"),
    ]

    private static let shadowSource = "kvm/mmu (shadow paging, !tdp_enabled); Adams & Agesen ASPLOS'06 HW VMM"
    /// Rows that differ without EPT (shadow paging): the guest's page tables are write-protected
    /// and traced, CR3 loads and invlpg are intercepted, #PF exits.
    public static let shadowRules: [PVOp: OpRule] = [
        .exception_entry: OpRule(.vmExit, "#PF exits; shadow walk finds a true fault; injected", cost: "kvm.exit.EXCEPTION_NMI", transition: "EXCEPTION_NMI", source: "\(shadowSource) pgfault 11242 vs native 1093").custom("the guest's own exception delivery is added to the exit"),
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

    static let extraTransitions = ["MSR_WRITE", "HLT", "IO_INSTRUCTION", "EXTERNAL_INTERRUPT", "PREEMPTION_TIMER",
                                   "EXCEPTION_NMI", "CR_ACCESS", "INVLPG", "VMCALL SEND_IPI", "VMCALL KICK_CPU"]

    public let descriptor: BackendDescriptor
    public let ept: Bool
    public let features: Set<KVMFeature>
    private let priced: PricedRules
    private let overcommit: Double
    private let cpuCount: Int
    private let nopIODelay: Bool
    /// APICv: virtualized EOI and posted interrupts (arch/x86/kvm/vmx/vmx.c enable_apicv).
    public let apicv: Bool
    private let preemptionTimer: Bool
    private let k: Costs
    private let t: IDs

    struct Costs {
        var msrWrite, msrWriteFast, msrRead, io, hlt, vmcall, extInt, preemptTimer, shared: Double
        var nativeInterrupt, nativeEOI, nativeMSR, nativeRDMSR, nativeTSC, icrWait, waitPreempted: Double
        var haltpollFraction, haltpollPoll, spin, localFlush, localInvlpg: Double
    }
    struct IDs { var msrWrite, msrRead, io, hlt, extInt, preemptTimer, sendIPI: TransitionID }

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
        kvmclock = features.contains(.kvmclock); stealTime = features.contains(.steal_time)
        pvTLBFlush = features.contains(.pv_tlb_flush); pvIPI = features.contains(.pv_ipi)
        pvEOI = features.contains(.pv_eoi); pvSpinlocks = features.contains(.pv_spinlocks)
        haltpoll = features.contains(.haltpoll)
        overcommit = options.overcommit
        cpuCount = max(options.cpuCount, 1)
        nopIODelay = try profile.flag(key("nop_io_delay"))
        apicv = try options.apicv ?? profile.flag(key("apicv"))
        preemptionTimer = try profile.flag(key("preemption_timer"))
        var table = h.rules
        if !ept { for (op, r) in h.shadowRules { table[op] = r } }
        let enabled = features
        descriptor = BackendDescriptor(
            id: h.id, displayName: "\(h.id.rawValue) (\(profile.name), \(ept ? "EPT" : "shadow"))",
            transitions: transitionNames(h.rules, extra: Self.extraTransitions).map { TransitionInfo(.vmExit, $0) },
            settings: [("ept", ept ? "on" : "off"), ("apicv", apicv ? "on" : "off")] + KVMFeature.allCases.map { ($0.rawValue, enabled.contains($0) ? "on" : "off") }
                + [("overcommit", String(options.overcommit))])
        let native = try profile.cycles("native.exception_entry")
        priced = try PricedRules(rules: table, profile: profile, descriptor: descriptor)
        // Shadow #PF: the exit comes on top of the guest's own exception delivery.
        shadowFaultNative = ept ? 0 : native
        k = Costs(msrWrite: try profile.cycles(key("exit.MSR_WRITE")), msrWriteFast: try profile.cycles(key("exit.MSR_WRITE_fastpath")),
                  msrRead: try profile.cycles(key("exit.MSR_READ")), io: try profile.cycles(key("exit.IO_INSTRUCTION")),
                  hlt: try profile.cycles(key("exit.HLT")), vmcall: try profile.cycles(key("exit.VMCALL")),
                  extInt: try profile.cycles(key("exit.EXTERNAL_INTERRUPT")), preemptTimer: try profile.cycles(key("exit.PREEMPTION_TIMER")),
                  shared: try profile.cycles(key("pv.shared_memory")),
                  nativeInterrupt: try profile.cycles("native.interrupt_entry"), nativeEOI: try profile.cycles("native.x2apic_eoi_write"),
                  nativeMSR: try profile.cycles("native.wrmsr"), nativeRDMSR: try profile.cycles("native.rdmsr"),
                  nativeTSC: try profile.cycles("native.rdtsc"),
                  icrWait: try profile.cycles("native.tlb_shootdown_wait"), waitPreempted: try profile.cycles(key("wait_preempted_vcpu")),
                  haltpollFraction: try profile.quantity(key("haltpoll.avoided_fraction")),
                  haltpollPoll: try profile.cycles(key("haltpoll.poll_cycles")), spin: try profile.cycles("native.spin_slowpath"),
                  localFlush: priced.cycles(of: .flush_tlb_user), localInvlpg: priced.cycles(of: .flush_tlb_one_user))
        let d = descriptor
        func id(_ n: String) throws -> TransitionID { try d.requiredTransitionID(n) }
        t = IDs(msrWrite: try id("MSR_WRITE"), msrRead: try id("MSR_READ"), io: try id("IO_INSTRUCTION"), hlt: try id("HLT"),
                extInt: try id("EXTERNAL_INTERRUPT"), preemptTimer: try id("PREEMPTION_TIMER"), sendIPI: try id("VMCALL SEND_IPI"))
        localFlushTransition = ept ? nil : try id("CR_ACCESS")
        localInvlpgTransition = ept ? nil : try id("INVLPG")
    }

    private let shadowFaultNative: Double
    private let localFlushTransition: TransitionID?
    private let localInvlpgTransition: TransitionID?

    /// The toggles, resolved once (a Set lookup per call would hash on the hot path).
    private let kvmclock, stealTime, pvTLBFlush, pvIPI, pvEOI, pvSpinlocks, haltpoll: Bool

    /// The pv features a guest of the profile's era would enable (use for `BackendOptions.kvmFeatures`
    /// when the user chose none): all of them on a modern profile, none on `vtx-2006`.
    public static func defaultFeatures(for profile: CostProfile, prefix: String = "kvm") -> Set<KVMFeature> {
        (profile.flags["\(prefix).pv_features_available"]?.on ?? true) ? Set(KVMFeature.allCases) : []
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        for _ in 0..<call.count { performOne(call, context, &ledger) }
    }

    /// Shootdown IPIs pv TLB flush did not send (preempted targets): that many receiving
    /// handlers never run; the host flushes those vCPUs' TLBs on their next entry instead.
    private var skippedShootdowns = 0
    /// Per CPU: inside a receiving handler whose IPI was never sent (until its iret).
    private var suppressing: [Bool] = []

    private mutating func performOne(_ call: PVCall, _ ctx: CallContext, _ ledger: inout Ledger) {
        if ctx.ipiCause == .tlbShootdown {
            if ctx.cpu >= suppressing.count { suppressing += Array(repeating: false, count: ctx.cpu + 1 - suppressing.count) }
            if call.op == .interrupt_entry && skippedShootdowns > 0 {
                skippedShootdowns -= 1
                suppressing[ctx.cpu] = true
                return
            }
            if suppressing[ctx.cpu] {
                if call.op == .iret { suppressing[ctx.cpu] = false }
                return
            }
        }
        switch call.op {
        case .io_delay:
            if nopIODelay { return }
            ledger.transition(t.io, cycles: k.io)
        case .exception_entry where !ept:
            ledger.charge(shadowFaultNative)
            priced.price(call.op, count: 1, &ledger)
        case .safe_halt, .halt:
            // cpuidle-haltpoll: the guest polls before HLT; a wake-up within the poll window
            // avoids the exit (the fraction is an assumption in the profile).
            if haltpoll && ledger.chance(k.haltpollFraction) {
                ledger.charge(k.haltpollPoll)
            } else {
                ledger.transition(t.hlt, cycles: k.hlt)
            }
        case .write_msr:
            switch call.arg {
            case MSR.fsBase, MSR.gsBase, MSR.kernelGSBase, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP:
                ledger.charge(k.nativeMSR)
            case MSR.tscDeadline, MSR.x2apicICR:
                ledger.transition(t.msrWrite, cycles: k.msrWriteFast)
            default:
                ledger.transition(t.msrWrite, cycles: k.msrWrite)
            }
        case .read_msr:
            switch call.arg {
            case MSR.fsBase, MSR.gsBase, MSR.kernelGSBase, MSR.sysenterCS, MSR.sysenterESP, MSR.sysenterEIP, MSR.tsc:
                ledger.charge(k.nativeRDMSR)
            default:
                ledger.transition(t.msrRead, cycles: k.msrRead)
            }
        case .sched_clock:
            if kvmclock { ledger.charge(k.shared + k.nativeTSC) }
            // Without kvmclock the clocksource falls back to acpi_pm: an I/O port read (assumption).
            else { ledger.transition(t.io, cycles: k.io) }
        case .steal_clock:
            if stealTime { ledger.charge(k.shared) }
        case .vcpu_is_preempted:
            if stealTime { ledger.charge(k.shared) }
        case .apic_eoi:
            if apicv {
                // EOI virtualization: the x2APIC EOI write completes in the virtual-APIC page
                // without an exit. PV EOI is inert: with APICv the host keeps
                // highest_isr_cache at -1 (lapic.c apic_set_isr), so apic_sync_pv_eoi_to_guest
                // returns early and never sets KVM_PV_EOI_BIT; the guest's
                // kvm_guest_apic_eoi_write finds it clear and writes the EOI natively.
                ledger.charge((pvEOI ? k.shared : 0) + k.nativeEOI)
            } else if pvEOI {
                ledger.charge(k.shared)
            } else {
                ledger.transition(t.msrWrite, cycles: k.msrWrite)
            }
        case .send_ipi:
            sendIPIs(targets: Int(max(call.arg, 1)), &ledger)
        case .flush_tlb_multi:
            flushTLBMulti(call, &ledger)
        case .interrupt_entry:
            ledger.charge(k.nativeInterrupt)
            switch call.arg {
            case 0: // timer: the host's hrtimer / VMX preemption timer fires for the guest's deadline
                if preemptionTimer { ledger.transition(t.preemptTimer, cycles: k.preemptTimer) }
                else { ledger.transition(t.extInt, cycles: k.extInt) }
            case 1: // IPI: posted interrupts deliver it without an exit on a running vCPU
                if !apicv { ledger.transition(t.extInt, cycles: k.extInt) }
            default:
                ledger.transition(t.extInt, cycles: k.extInt)
            }
        case .queued_spin_lock_slowpath:
            ledger.charge(k.spin)
            // Without pv spinlocks a waiter spins on a preempted lock holder (assumption).
            if !pvSpinlocks && ledger.chance(overcommit) { ledger.charge(k.waitPreempted) }
        case .wait:
            if pvSpinlocks { priced.price(call.op, count: 1, &ledger) } else { ledger.charge(k.spin) }
        case .kick:
            if pvSpinlocks { priced.price(call.op, count: 1, &ledger) }
        default:
            priced.price(call.op, count: 1, &ledger)
        }
    }

    /// kvm_send_ipi_mask (pv_ipi): a bitmap of APIC IDs per 128-ID window, one hypercall each;
    /// otherwise one x2APIC ICR write (MSR_WRITE exit) per target. kvm_setup_pv_ipi replaces
    /// only apic->send_IPI_mask(_allbutself) (arch/x86/kernel/kvm.c), so a single-target IPI
    /// (apic->send_IPI, e.g. smp_call_function_single, reschedule) stays an ICR write even with
    /// pv_ipi: the recorded guest shows `write_msr: 830` after every `ipi_send_cpu`.
    private mutating func sendIPIs(targets: Int, _ ledger: inout Ledger) {
        guard targets > 0 else { return }
        if pvIPI && targets > 1 {
            let windows = min(targets, (cpuCount + 127) / 128)
            ledger.transition(t.sendIPI, cycles: Double(windows) * k.vmcall, count: UInt64(windows))
        } else {
            ledger.transition(t.msrWrite, cycles: Double(targets) * k.msrWriteFast, count: UInt64(targets))
        }
    }

    /// kvm_flush_tlb_multi: with pv TLB flush (needs steal time) preempted targets are marked
    /// KVM_VCPU_FLUSH_TLB in shared memory and dropped; the rest get the native IPI flush.
    private mutating func flushTLBMulti(_ call: PVCall, _ ledger: inout Ledger) {
        let pages = call.flushPages
        if !call.flushIncludesLocal {
            // the calling CPU was not in the mask
        } else if pages > 0 {
            if let tr = localInvlpgTransition { ledger.transition(tr, cycles: Double(pages) * k.localInvlpg, count: UInt64(pages)) }
            else { ledger.charge(Double(pages) * k.localInvlpg) }
        } else if let tr = localFlushTransition {
            ledger.transition(tr, cycles: k.localFlush)
        } else {
            ledger.charge(k.localFlush)
        }
        let pv = pvTLBFlush && stealTime
        var ipis = 0
        var preemptedWaits = 0
        for _ in 0..<call.flushTargets {
            let preempted = ledger.chance(overcommit)
            if preempted && pv { ledger.charge(k.shared); skippedShootdowns += 1; continue }
            ipis += 1
            if preempted { preemptedWaits += 1 }
        }
        if ipis > 0 {
            sendIPIs(targets: ipis, &ledger)
            ledger.charge(k.icrWait + Double(preemptedWaits) * k.waitPreempted)
        }
    }

    public mutating func finish(_ ledger: inout Ledger) {}
}
