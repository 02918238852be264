/// VirtualBox 5.0+ with VT-x and nested paging, running a Linux guest through its KVM
/// paravirtualization provider (GIM KVM): the guest sees KVM's CPUID leaves and enables what
/// VirtualBox offers, which is kvmclock and pv spinlocks (PV_UNHALT + KICK_CPU) only: no steal
/// time, PV EOI, PV TLB flush, PV IPI, NOP_IO_DELAY or poll control. Everything else runs the
/// native instruction, and the cost is whether it exits, as under KVM. VirtualBox handles most
/// exits in its ring-0 VMM (VMMR0) and defers device work to ring 3 (src/VBox/VMM/VMMR3/IOM.cpp,
/// "deferred to ring-3" counters); the row says which it takes.
///
/// The VMX exit machinery is KVM's (`KVMBackend`), run with this table, the `vbox.*` costs and
/// VirtualBox's feature set: the named exception to "one backend, one state machine".
///
/// Sources: VirtualBox/virtualbox src/VBox/VMM/VMMR3/GIMKvm.cpp (gimR3KvmInit), VMMAll/GIMAllKvm.cpp
/// (gimKvmHypercall), include/GIMKvmInternal.h; Linux arch/x86/kernel/kvm.c (what the guest
/// enables per feature); cycles: NemRawBench-1.cpp's VirtualBox results. No per-exit-reason
/// VirtualBox cycle counts are published: those costs are assumptions (see the profile).
public struct VirtualBoxBackend: RuleTableBackend, Sendable {
    public static let id = BackendID.vbox

    /// GIM_KVM_BASE_FEAT_CLOCK(_OLD) → kvmclock; GIM_KVM_BASE_FEAT_PV_UNHALT → pv spinlocks.
    public static let offeredFeatures: Set<KVMFeature> = [.kvmclock, .pv_spinlocks]

    private static let gim = "VBox GIMKvm.cpp gimR3KvmInit"
    private static let kvm = "linux kernel/kvm.c"
    private static let vmx = "Intel SDM Vol. 3C ch. 25"

    /// KVM's rows for what is plain native (instructions, nops, with nested paging); VirtualBox's
    /// own rows wherever an exit, a pv feature or a cost differs.
    public static let rules: [PVOp: OpRule] = {
        var t = KVMBackend.rules.filter { $0.value.costKey.map { !$0.hasPrefix("kvm.") } ?? true }
        let own: [PVOp: OpRule] = [
            .io_delay: OpRule(.vmExit, "`out 0x80` → IO_INSTRUCTION, finished in ring 3 (no NOP_IO_DELAY; ring 3 for port 0x80 is an assumption)", cost: "vbox.exit.IO_INSTRUCTION", transition: "IO_INSTRUCTION", source: "\(gim): GIM_KVM_BASE_FEAT_NOP_IO_DELAY commented out")
                .does(.when(.flag("vbox.nop_io_delay"), .nothing, otherwise: .asWritten)),
            .cpuid: OpRule(.vmExit, "CPUID exits unconditionally; ring 0 (KVM leaves 0x40000000/1 from GIM)", cost: "vbox.exit.CPUID", transition: "CPUID", source: "\(vmx) (architectural); VBox NemRawBench-1.cpp results"),
            .read_msr: OpRule(.vmExit, "MSR_READ in ring 0 (FS/GS bases and SYSENTER passed through, as under KVM: assumption)", cost: "vbox.exit.MSR_READ", transition: "MSR_READ", source: "VBox HMVMXR0.cpp MSR bitmap (not checked: assumption)").does(KVMBackend.readMSR),
            .write_msr: OpRule(.vmExit, "MSR_WRITE in ring 0 (x2APIC through the ring-0 APIC; kvmclock MSRs go to ring 3: VINF_CPUM_R3_MSR_WRITE)", cost: "vbox.exit.MSR_WRITE", transition: "MSR_WRITE", source: "VBox GIMAllKvm.cpp gimKvmWriteMsr").does(KVMBackend.writeMSR),
            .read_pmc: OpRule(.vmExit, "RDPMC exiting", cost: "vbox.exit.RDPMC", transition: "RDPMC", source: vmx),
            .wbinvd: OpRule(.vmExit, "WBINVD exiting", cost: "vbox.exit.WBINVD", transition: "WBINVD", source: vmx),
            .get_debugreg: OpRule(.vmExit, "MOV DR exiting", cost: "vbox.exit.DR_ACCESS", transition: "DR_ACCESS", source: vmx),
            .set_debugreg: OpRule(.vmExit, "MOV DR exiting", cost: "vbox.exit.DR_ACCESS", transition: "DR_ACCESS", source: vmx),
            .write_cr0: OpRule(.vmExit, "CR_ACCESS for host-owned CR0 bits", cost: "vbox.exit.CR_ACCESS", transition: "CR_ACCESS", source: vmx),
            .write_cr4: OpRule(.vmExit, "CR_ACCESS for host-owned CR4 bits", cost: "vbox.exit.CR_ACCESS", transition: "CR_ACCESS", source: vmx),
            .safe_halt: OpRule(.vmExit, "sti; hlt → HLT, halted in ring 0 (no poll control: the guest's haltpoll does not load)", cost: "vbox.exit.HLT", transition: "HLT", source: "VBox GIMKvmInternal.h: no KVM_FEATURE_POLL_CONTROL").does(KVMBackend.haltpoll),
            .halt: OpRule(.vmExit, "hlt → HLT", cost: "vbox.exit.HLT", transition: "HLT", source: vmx).does(KVMBackend.haltpoll),
            .flush_tlb_multi: OpRule(.vmExit, "no PV TLB flush (needs STEAL_TIME): native_flush_tlb_multi, one x2APIC ICR MSR_WRITE per target", cost: "vbox.exit.MSR_WRITE", transition: "MSR_WRITE", source: "\(gim): STEAL_TIME commented out; \(kvm) kvm_setup_pv_tlb_flush").does(KVMBackend.flushTLBMulti),
            .wait: OpRule(.vmExit, "kvm_wait: halt() → HLT", cost: "vbox.exit.HLT", transition: "HLT", source: "\(kvm) kvm_wait (PV_UNHALT offered)")
                .does(.when(.feature(.pv_spinlocks), .asWritten, otherwise: .charge("native.spin_slowpath"))),
            .kick: OpRule(.vmExit, "VMCALL KVM_HC_KICK_CPU → EMUnhaltAndWakeUp in ring 0", cost: "vbox.exit.VMCALL", transition: "VMCALL KICK_CPU", source: "VBox GIMAllKvm.cpp gimKvmHypercall")
                .does(.when(.feature(.pv_spinlocks), .asWritten, otherwise: .nothing)),
            .vcpu_is_preempted: OpRule(.instruction, "native: false (no STEAL_TIME, no preempted flag)", source: "\(kvm) kvm_guest_init: vcpu_is_preempted needs KVM_FEATURE_STEAL_TIME"),
            .sched_clock: OpRule(.memory, "kvmclock: rdtsc + pvclock page (GIM_KVM_BASE_FEAT_CLOCK)", cost: "vbox.pv.shared_memory", source: "\(gim); linux kvmclock.c kvm_sched_clock_read").does(KVMBackend.kvmclock),
            .steal_clock: OpRule(.nop, "none: no STEAL_TIME, native_steal_clock = 0", source: "\(gim): STEAL_TIME commented out"),
            .interrupt_entry: OpRule(.vmExit, "host IRQ → EXTERNAL_INTERRUPT; the guest timer too (TM timers, no preemption timer: assumption); IPIs exit without posted interrupts", cost: "vbox.exit.EXTERNAL_INTERRUPT", transition: "EXTERNAL_INTERRUPT", source: "profile flags vbox.apicv, vbox.preemption_timer (assumptions)").does(KVMBackend.interruptExit),
            .apic_eoi: OpRule(.vmExit, "no PV EOI: x2APIC EOI wrmsr → MSR_WRITE in the ring-0 APIC (no APICv: assumption)", cost: "vbox.exit.MSR_WRITE", transition: "MSR_WRITE", source: "\(gim): PV_EOI commented out")
                .does(.when(.apicv, .charge("native.x2apic_eoi_write"), otherwise: .asWritten)),
            .send_ipi: OpRule(.vmExit, "no PV IPI: x2APIC ICR wrmsr → MSR_WRITE per target", cost: "vbox.exit.MSR_WRITE", transition: "MSR_WRITE", source: "VBox GIMKvmInternal.h: no KVM_FEATURE_PV_SEND_IPI; \(kvm) kvm_setup_pv_ipi")
                // The ICR exits are priced at the MSR_WRITE fastpath cost, as KVM's are.
                .does(KVMBackend.icrPerTarget),
            .set_next_event: OpRule(.vmExit, "wrmsr TSC_DEADLINE → MSR_WRITE in the ring-0 APIC", cost: "vbox.exit.MSR_WRITE_fastpath", transition: "MSR_WRITE", source: "VBox VMMAll/APICAll.cpp (ring-0 APIC MSR handling; not checked in detail)"),
        ]
        for (op, r) in own { t[op] = r }
        return t
    }()

    /// Without nested paging (`--ept off`, `vtx-2006`) VirtualBox shadows the guest page
    /// tables like KVM's shadow MMU (PGM): the same rows with VirtualBox's costs.
    public static let shadowRules: [PVOp: OpRule] = KVMBackend.shadowRules.mapValues { r in
        var v = r
        v.costKey = r.costKey.map { $0.hasPrefix("kvm.") ? "vbox." + $0.dropFirst(4) : $0 }
        v.source = "VBox PGM shadow paging (src/VBox/VMM/VMMAll/PGMAllBth.h); mechanics as: " + r.source
        return v
    }

    static let hypervisor = KVMBackend.Hypervisor(id: .vbox, rules: rules, shadowRules: shadowRules,
                                                  prefix: "vbox", offered: offeredFeatures)

    private var vmx: KVMBackend
    public var descriptor: BackendDescriptor { vmx.descriptor }

    public init(profile: CostProfile, options: BackendOptions) throws {
        vmx = try KVMBackend(profile: profile, options: options, hypervisor: Self.hypervisor)
    }

    public mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        vmx.perform(call, context, &ledger)
    }

    public mutating func finish(_ ledger: inout Ledger) { vmx.finish(&ledger) }

    public var features: Set<KVMFeature> { vmx.features }
}
