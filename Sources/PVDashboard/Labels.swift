/// Names that fit their column: a transition or event-class name is shown whole when it fits,
/// else as its entry in the one abbreviation table below, else cut in the middle with `…` so
/// its distinctive end stays (`LHCALL_SET_PMD` and `LHCALL_SET_PTE` must not both read
/// `LHCALL_`). A set of labels is always made unique: two rows never read the same.
public enum Labels {
    /// The one abbreviation table: each entry keeps the kernel's spelling recognisable
    /// (`PREEMPT_TMR` for EXIT_REASON_PREEMPTION_TIMER) and is shorter than its name (a test
    /// checks both that and that no two entries collide).
    public static let abbreviations: [String: String] = [
        // KVM / VirtualBox VMX exit reasons (arch/x86/include/uapi/asm/vmx.h EXIT_REASON_*)
        "PREEMPTION_TIMER": "PREEMPT_TMR",
        "EXTERNAL_INTERRUPT": "EXT_INTR",
        "PENDING_INTERRUPT": "PEND_INTR",
        "INTERRUPT_WINDOW": "INTR_WIN",
        "EXCEPTION_NMI": "EXCEPT_NMI",
        "EPT_VIOLATION": "EPT_VIOL",
        "EPT_MISCONFIG": "EPT_MISCFG",
        "IO_INSTRUCTION": "IO_INSTR",
        "EOI_INDUCED": "EOI_IND",
        "APIC_ACCESS": "APIC_ACC",
        "APIC_WRITE": "APIC_WR",
        "CR_ACCESS": "CR_ACC",
        "DR_ACCESS": "DR_ACC",
        "MSR_WRITE": "MSR_WR",
        "MSR_READ": "MSR_RD",
        "VMCALL KICK_CPU": "VMCALL_KICK",
        "VMCALL SEND_IPI": "VMCALL_IPI",
        // Xen PV hypercalls and traps (xen/include/public/xen.h __HYPERVISOR_*)
        "exception_bounce": "exc_bounce",
        "syscall_bounce": "sys_bounce",
        "update_va_mapping": "upd_va_map",
        "update_descriptor": "upd_desc",
        "set_segment_base": "set_segbase",
        "set_trap_table": "set_trap_tb",
        "fpu_taskswitch": "fpu_tasksw",
        "get_debugreg": "get_dbgreg",
        "set_debugreg": "set_dbgreg",
        "event_channel_op": "evtchn_op",
        "evtchn_upcall": "evtchn_up",
        "ptwr_emulate": "ptwr_emul",
        "emulate_insn": "emul_insn",
        "stack_switch": "stack_sw",
        "mmu_update": "mmu_upd",
        // VMware VMI ROM calls (the VMI_CALL_* names of Linux's 2.6.21 vmi.h)
        "WriteGDTEntry": "WrGDTEntry",
        "WriteLDTEntry": "WrLDTEntry",
        "WriteIDTEntry": "WrIDTEntry",
        "UpdateKernelStack": "UpdKernStk",
        "GetInterruptMask": "GetIntrMask",
        "SetInterruptMask": "SetIntrMask",
        "DisableInterrupts": "DisableIntr",
        "EnableInterrupts": "EnableIntr",
        "GetCycleCounter": "GetCycleCtr",
        "deferred flush": "defer_flush",
        // lguest hypercalls (LHCALL_* of Linux's lguest_hcall.h)
        "LHCALL_LOAD_GDT_ENTRY": "LH_LOAD_GDT",
        "LHCALL_LOAD_IDT_ENTRY": "LH_LOAD_IDT",
        "LHCALL_LOAD_TLS": "LH_LOAD_TLS",
        "LHCALL_SET_STACK": "LH_SET_STK",
        "LHCALL_FLUSH_ASYNC": "LH_FL_ASYNC",
        "LHCALL_NEW_PGTABLE": "LH_NEW_PGT",
        "LHCALL_FLUSH_TLB": "LH_FL_TLB",
        "LHCALL_SET_PTE": "LH_SET_PTE",
        "LHCALL_SET_PMD": "LH_SET_PMD",
        "LHCALL_SET_CLOCKEVENT": "LH_SET_CLK",
        "LHCALL_HALT": "LH_HALT",
        // Batch flush reasons (the backends' flushReasons)
        "context-switch": "ctx-switch",
        // Event classes (pvtop's EventClass labels)
        "context_switch": "ctx_switch",
        "tlb_shootdown": "shootdown",
        "page_fault": "pg_fault",
        "mm_syscall": "mm_sys",
        "tlb_flush": "tlb_fl",
        "interrupt": "irq",
    ]

    /// The longest table entry: a column this wide shows every name whole or as its entry.
    public static var longestAbbreviation: Int { abbreviations.values.map(\.count).max() ?? 0 }

    /// True when `label` is `name` itself or its table entry (not cut).
    public static func isWhole(_ label: String, of name: String) -> Bool {
        label == name || abbreviations[name] == label
    }

    /// One label per name, each at most `width` characters, no two equal (when `width` allows
    /// it at all: a width of 1 cannot tell 30 names apart).
    public static func fit(_ names: [String], width: Int) -> [String] {
        guard width > 0 else { return names.map { _ in "" } }
        var labels = names.map { shorten($0, width: width) }
        // Collisions: cut those rows in the middle instead, keeping more of each end.
        var seen: [String: Int] = [:]
        for l in labels { seen[l, default: 0] += 1 }
        for i in labels.indices where seen[labels[i], default: 0] > 1 {
            labels[i] = middleCut(names[i], width: width)
        }
        // Still equal (long shared head and tail): number them by row, so no two read alike.
        var counts: [String: Int] = [:]
        for l in labels { counts[l, default: 0] += 1 }
        for i in labels.indices where counts[labels[i], default: 0] > 1 {
            let suffix = String("#\(i + 1)".suffix(width))
            labels[i] = String(labels[i].prefix(max(width - suffix.count, 0))) + suffix
        }
        return labels
    }

    /// The name, its table abbreviation, or its middle cut, whichever first fits.
    public static func shorten(_ name: String, width: Int) -> String {
        guard width > 0 else { return "" }   // a column narrower than nothing (tiny terminals)
        if name.count <= width { return name }
        // A KVM child row reads `vm_exit(PREEMPTION_TIMER)`: abbreviate inside the parentheses.
        if let open = name.firstIndex(of: "("), name.hasSuffix(")") {
            let head = String(name[..<open]), inner = String(name[name.index(after: open)..<name.index(before: name.endIndex)])
            if let a = abbreviations[inner], head.count + a.count + 2 <= width { return "\(head)(\(a))" }
        }
        if let a = abbreviations[name], a.count <= width { return a }
        return middleCut(name, width: width)
    }

    /// `LHCALL_SET_PMD` at 9 → `LHCA…_PMD`: the start says the family, the end which one.
    public static func middleCut(_ name: String, width: Int) -> String {
        guard width > 0 else { return "" }
        if name.count <= width { return name }
        if width <= 2 { return String(name.prefix(width)) }
        let keep = width - 1
        let tail = keep / 2, head = keep - tail
        return String(name.prefix(head)) + "…" + String(name.suffix(tail))
    }
}
