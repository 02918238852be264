/// A paravirt operation: one member of Linux's `pv_ops` (arch/x86/include/asm/paravirt_types.h),
/// a 2.6.20-era `struct paravirt_ops` member that VMI and lguest used, or one of the few x86
/// hooks outside `pv_ops` whose cost still depends on the hypervisor (`.arch`: APIC, clockevents,
/// kernel entry). Names are Linux's, so a kernel engineer can grep for them.
public enum PVOp: UInt8, Sendable, CaseIterable, Comparable {
    // MARK: cpu (pv_cpu_ops)
    case io_delay, cpuid, read_msr, write_msr, read_pmc, wbinvd
    case get_debugreg, set_debugreg
    case read_cr0, write_cr0, clts, read_cr4, write_cr4
    case load_tr_desc, load_gdt, load_idt, set_ldt, store_tr, load_tls, load_gs_index
    case write_ldt_entry, write_gdt_entry, write_idt_entry, alloc_ldt, free_ldt
    case load_sp0, invalidate_io_bitmap, update_io_bitmap, set_iopl_mask
    case start_context_switch, end_context_switch
    /// 2.6.20-era: return paths and TSC (jumped to, not called; later `paravirt_iret`, then gone).
    case iret, irq_enable_sysexit, usergs_sysret64, swapgs, read_tsc

    // MARK: irq (pv_irq_ops)
    case save_fl, restore_fl, irq_disable, irq_enable, safe_halt, halt

    // MARK: mmu (pv_mmu_ops)
    case read_cr2, write_cr2, read_cr3, write_cr3
    case enter_mmap, exit_mmap, pgd_alloc, pgd_free
    case flush_tlb_user, flush_tlb_kernel, flush_tlb_one_user, flush_tlb_multi, tlb_remove_table
    case alloc_pte, alloc_pmd, alloc_pud, alloc_p4d
    case release_pte, release_pmd, release_pud, release_p4d
    case set_pte, set_pmd, set_pud, set_p4d, pte_clear
    case ptep_modify_prot_start, ptep_modify_prot_commit
    case pte_val, make_pte
    case lazy_mmu_enter, lazy_mmu_leave, lazy_mmu_flush
    case set_fixmap

    // MARK: lock (pv_lock_ops, qspinlock era)
    case queued_spin_lock_slowpath, queued_spin_unlock, wait, kick, vcpu_is_preempted

    // MARK: time (pv_time_ops; static calls today)
    case sched_clock, steal_clock

    // MARK: arch: x86 paths outside pv_ops whose cost the hypervisor decides
    /// `syscall` instruction from user mode (Xen PV 64-bit bounces it through the hypervisor).
    case syscall_entry
    /// An exception (#PF, …) delivered to the kernel (Xen PV: bounced; shadow paging: exits).
    case exception_entry
    /// A hardware or IPI interrupt delivered (Xen PV: event-channel upcall).
    case interrupt_entry
    /// apic->eoi (KVM: PV EOI avoids the write; lguest/Xen: no APIC).
    case apic_eoi
    /// apic->send_IPI (x2APIC ICR write natively; Xen: EVTCHNOP_send; KVM: PV IPI hypercall).
    case send_ipi
    /// clockevents set_next_event (TSC-deadline MSR natively; Xen: VCPUOP_set_singleshot_timer).
    case set_next_event
    /// A direct write to a live page table that no pv op covers (`ptep_get_and_clear` = xchg,
    /// `ptep_set_wrprotect`): native store; Xen PV traps and emulates it on a pinned table.
    case pte_direct_write
    /// `x86_fsgsbase_load` in x86-64 `__switch_to` (arch/x86/kernel/process_64.c): the next
    /// task's FS and inactive GS bases. Natively `wrfsbase` and `swapgs; wrgsbase; swapgs`; on
    /// Xen PV `__wrgsbase_inactive` takes the `wrmsr(MSR_KERNEL_GS_BASE)` branch
    /// (X86_FEATURE_XENPV) → `xen_write_msr` → `HYPERVISOR_set_segment_base`, unbatched.
    case x86_fsgsbase_load

    public enum Group: String, Sendable, CaseIterable {
        case cpu, irq, mmu, lock, time, arch
    }

    public var group: Group {
        switch self {
        case .io_delay, .cpuid, .read_msr, .write_msr, .read_pmc, .wbinvd, .get_debugreg,
             .set_debugreg, .read_cr0, .write_cr0, .clts, .read_cr4, .write_cr4, .load_tr_desc,
             .load_gdt, .load_idt, .set_ldt, .store_tr, .load_tls, .load_gs_index,
             .write_ldt_entry, .write_gdt_entry, .write_idt_entry, .alloc_ldt, .free_ldt,
             .load_sp0, .invalidate_io_bitmap, .update_io_bitmap, .set_iopl_mask,
             .start_context_switch, .end_context_switch, .iret, .irq_enable_sysexit,
             .usergs_sysret64, .swapgs, .read_tsc:
            return .cpu
        case .save_fl, .restore_fl, .irq_disable, .irq_enable, .safe_halt, .halt:
            return .irq
        case .read_cr2, .write_cr2, .read_cr3, .write_cr3, .enter_mmap, .exit_mmap, .pgd_alloc,
             .pgd_free, .flush_tlb_user, .flush_tlb_kernel, .flush_tlb_one_user, .flush_tlb_multi,
             .tlb_remove_table, .alloc_pte, .alloc_pmd, .alloc_pud, .alloc_p4d, .release_pte,
             .release_pmd, .release_pud, .release_p4d, .set_pte, .set_pmd, .set_pud, .set_p4d,
             .pte_clear, .ptep_modify_prot_start, .ptep_modify_prot_commit, .pte_val, .make_pte,
             .lazy_mmu_enter, .lazy_mmu_leave, .lazy_mmu_flush, .set_fixmap:
            return .mmu
        case .queued_spin_lock_slowpath, .queued_spin_unlock, .wait, .kick, .vcpu_is_preempted:
            return .lock
        case .sched_clock, .steal_clock:
            return .time
        case .syscall_entry, .exception_entry, .interrupt_entry, .apic_eoi, .send_ipi,
             .set_next_event, .pte_direct_write, .x86_fsgsbase_load:
            return .arch
        }
    }

    /// Linux's spelling, with the group as `pv_ops` writes it (`mmu.write_cr3`).
    public var qualifiedName: String { "\(group.rawValue).\(self)" }
    public var name: String { "\(self)" }

    public static func < (a: PVOp, b: PVOp) -> Bool { a.rawValue < b.rawValue }

    /// Ops by their Linux name (`write_cr3`).
    public static let byName: [String: PVOp] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.name, $0) })
}

/// One call of a pv op as the kernel model makes it.
///
/// `count` repeats the call (e.g. 24 `set_pte`s in a fork's copy loop) so the kernel need not
/// emit each; backends must price it exactly as `count` separate calls (batching included).
/// `arg` is op-specific:
/// - `read_msr` / `write_msr`: the MSR number (0x6e0 TSC_DEADLINE, 0xc0000100 FS_BASE …).
/// - `send_ipi`: the number of target CPUs.
/// - `flush_tlb_multi`: remote target CPUs in the low 31 bits, bit 31 set when the local CPU
///   is in the mask too (Linux's `flush_tlb_multi` flushes it as well), pages in the high 32
///   (0 = full flush: the kernel already applied tlb_single_page_flush_ceiling); use
///   `PVCall.flushTLBMulti`, `flushTargets`, `flushIncludesLocal`, `flushPages`.
/// - `enter_mmap` / `exit_mmap`: the page-table pages to pin / unpin.
/// - `write_cr3`: 1 when the load also flushes (new ASID, `tlb_flush pages:-1`), else 0.
/// - `interrupt_entry`: the vector class (0 timer, 1 IPI, 2 device).
public struct PVCall: Sendable, Equatable {
    public var op: PVOp
    public var count: UInt32
    public var arg: UInt64
    /// The guest kernels whose code makes this call here (most calls: both).
    public var kernels: GuestKernel.Set

    public init(_ op: PVOp, count: UInt32 = 1, arg: UInt64 = 0, kernels: GuestKernel.Set = .all) {
        self.op = op; self.count = count; self.arg = arg; self.kernels = kernels
    }
}

/// The Linux a backend's guest runs. One event → ops table serves both: where their call
/// sites differ (the order of a context switch), a call says which kernel makes it and an
/// engine skips calls its guest's kernel does not make.
public enum GuestKernel: Sendable {
    /// x86-64, 6.x (native, Xen PV, KVM, VirtualBox).
    case x86_64
    /// i386 2.6.2x, the kernels VMI (2.6.21–2.6.36) and lguest (2.6.23–4.13, i386 only) ran.
    case i386_2_6

    public struct Set: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let x86_64 = Set(rawValue: 1)
        public static let i386_2_6 = Set(rawValue: 2)
        public static let all: Set = [.x86_64, .i386_2_6]
    }

    public var member: Set { self == .x86_64 ? .x86_64 : .i386_2_6 }
}

extension PVCall {
    public static func flushTLBMulti(targets: Int, pages: Int, includesLocal: Bool = true) -> PVCall {
        let t = UInt64(min(max(targets, 0), 0x7fff_ffff)) | (includesLocal ? 1 << 31 : 0)
        return PVCall(.flush_tlb_multi, arg: t | (UInt64(UInt32(clamping: max(pages, 0))) << 32))
    }
    /// Remote CPUs flushed.
    public var flushTargets: Int { Int(arg & 0x7fff_ffff) }
    /// Whether the calling CPU is flushed too (it was in the mask).
    public var flushIncludesLocal: Bool { arg & (1 << 31) != 0 }
    /// 0 = full flush.
    public var flushPages: Int { Int(arg >> 32) }
}
