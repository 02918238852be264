import PVTrace

/// The one kernel: expands each recorded event into the pv_ops calls Linux makes for it.
///
/// It knows nothing of backends (the paravirt-ops split: one kernel, pluggable hypervisor interface); every engine prices the same expansion.
/// Some events only make sense with the next one on the same CPU (a `sched_switch` is followed
/// by `tlb_flush reason 0` when it loads CR3; a shootdown's `tlb_flush reason 4` by the
/// `ipi_send_cpu` naming its targets), so the kernel keeps a little per-CPU state and closes
/// such a path when the CPU's next event arrives.
public struct Kernel {
    public let parameters: KernelParameters
    private var cpus: [CPUState]
    private let p: Resolved
    /// Per-process estimate of present / private / writable user pages (fork and teardown
    /// are priced from it).
    var mm: AddressSpaces
    /// Set by the first tlb:tlb_flush event: from then on every flush is priced from the trace
    /// (a COW fault's, fork's, exec's), and the model adds none of its own.
    private var tlbFlushTraced = false

    public init(parameters: KernelParameters, cpuCount: Int) {
        self.parameters = parameters
        self.cpus = Array(repeating: CPUState(), count: max(cpuCount, 1))
        self.p = Resolved(parameters)
        self.mm = AddressSpaces(untracedPrivatePages: p.untracedPrivatePages, faultAroundPages: p.faultAroundPages)
    }

    /// Expand one event into `out` (cleared first). Segments are priced in order.
    public mutating func expand(_ event: KernelEvent, into out: inout Expansion) {
        out.removeAll()
        let cpu = Int(event.cpu)
        if cpu >= cpus.count { cpus.append(contentsOf: repeatElement(CPUState(), count: cpu + 1 - cpus.count)) }
        let irq = event.context == .hardirq || event.context == .nmi
        var context = CallContext(cpu: cpu, inInterrupt: irq, ipiCause: irq ? cpus[cpu].handlerCause : .none)
        // The mm is the thread group's (tgid when the trace has the column).
        let mmKey = event.tgid >= 0 ? event.tgid : event.pid
        if case .tlbFlush = event.kind { tlbFlushTraced = true }

        // A pending path on this CPU ends here unless this event belongs to it.
        switch cpus[cpu].pending {
        case .contextSwitch:
            if case let .tlbFlush(.taskSwitch, pages) = event.kind {
                closeSwitch(cpu: cpu, cr3Flush: pages < 0 ? 1 : 0, into: &out)
                return
            }
            // A CPU without FSGSBASE writes the bases with wrmsr inside __switch_to
            // (load_seg_legacy): that is the switch's own x86_fsgsbase_load, priced once there.
            if case let .msrWrite(msr, _) = event.kind,
               [MSR.fsBase, MSR.kernelGSBase, MSR.gsBase].contains(UInt64(msr)) {
                return
            }
            closeSwitch(cpu: cpu, cr3Flush: nil, into: &out)
        case let .shootdownSend(targets, pages):
            switch event.kind {
            case let .ipiSend(target):
                cpus[cpu].pending = .shootdownSend(targets: targets + 1, pages: pages)
                cpus[cpu].absorbICR += 1 // its x2APIC ICR write follows
                markShootdownTarget(Int(target))
                return
            case let .ipiSendMask(n):
                cpus[cpu].pending = .shootdownSend(targets: targets + Int(n), pages: pages)
                cpus[cpu].shootdownMaskTargets += Int(n)
                cpus[cpu].absorbICR += Int(n)
                return
            case let .msrWrite(msr, value) where UInt64(msr) == MSR.x2apicICR:
                if cpus[cpu].absorbICR > 0 {
                    cpus[cpu].absorbICR -= 1
                } else {
                    cpus[cpu].pending = .shootdownSend(targets: targets + 1, pages: pages)
                    markShootdownTarget(Int(value >> 32))
                }
                return
            case .tlbFlush(.localMMShootdown, _), .tlbFlush(.localShootdown, _):
                // native_flush_tlb_multi runs flush_tlb_func on the sender too (it is in the
                // mask): this local flush is part of the one flush_tlb_multi, priced there.
                closeShootdown(cpu: cpu, context: CallContext(cpu: cpu), includesLocal: true, into: &out)
                return
            default:
                closeShootdown(cpu: cpu, context: CallContext(cpu: cpu), includesLocal: false, into: &out)
            }
        case .none:
            break
        }

        switch event.kind {
        case let .schedSwitch(prevPid, _, nextPid):
            if prevPid == 0, cpus[cpu].idlePending {
                // Leaving idle without a cpu_idle event: the halt happened (derive idle from
                // the switch pair: on the recording KVM guest power:cpu_idle fired on CPU 0 only).
                out.segment(.idle, context) { $0.add(.safe_halt) }
                cpus[cpu].idlePending = false
            }
            out.segment(.contextSwitch, context, final: false) {
                $0.add(.start_context_switch)
                $0.add(.sched_clock)
                $0.addIRQPairs(p.switchIRQPairs)
            }
            cpus[cpu].pending = .contextSwitch
            if nextPid == 0 { cpus[cpu].idlePending = true }

        case let .cpuIdle(state, _):
            if state != UInt32.max, cpus[cpu].idlePending {
                out.segment(.idle, context) { $0.add(.safe_halt) }
                cpus[cpu].idlePending = false
            }

        case .syscallEnter:
            out.segment(.syscall, context, final: false) {
                $0.add(.syscall_entry)
                $0.addIRQPairs(p.syscallIRQPairs)
            }
        case .syscallExit:
            // An exit without its enter (trace started mid-syscall) still returns to user.
            out.segment(.syscall, context, final: true) { $0.add(.usergs_sysret64) }

        case let .memorySyscall(kind, address, length):
            // Only present PTEs are touched (zap_pte_range and change_pte_range skip pte_none).
            switch kind {
            case .munmap, .brk:
                let cleared = kind == .munmap
                    ? mm.presentPages(mm: mmKey, address: address, length: length, clear: true)
                    : mm.setBreak(mm: mmKey, to: address)
                guard cleared > 0 else { return }
                // zap_pte_range in lazy MMU mode: ptep_get_and_clear_full is a plain xchg.
                out.segment(.memoryMap, context) {
                    $0.add(.lazy_mmu_enter)
                    $0.add(.pte_direct_write, count: cleared)
                    $0.add(.lazy_mmu_leave)
                }
            case .mprotect:
                let pages = mm.presentPages(mm: mmKey, address: address, length: length, clear: false)
                guard pages > 0 else { return }
                // change_pte_range in lazy MMU mode: modify_prot start/commit per PTE.
                out.segment(.memoryMap, context) {
                    $0.add(.lazy_mmu_enter)
                    $0.add(.ptep_modify_prot_start, count: pages)
                    $0.add(.ptep_modify_prot_commit, count: pages)
                    $0.add(.lazy_mmu_leave)
                }
            case .mmap:
                return // VMAs only: the PTEs come with the page faults that follow.
            }

        case let .pageFault(_, address, errorCode):
            var allocPTEPage = false
            cpus[cpu].pteAllocDebt += p.pteAllocFraction
            if cpus[cpu].pteAllocDebt >= 1 { cpus[cpu].pteAllocDebt -= 1; allocPTEPage = true }
            let mapping = mm.fault(mm: mmKey, address: address, errorCode: errorCode)
            let modelFlush = mapping.isCOW && !tlbFlushTraced
            out.segment(.pageFault, context) {
                $0.add(.exception_entry)
                $0.add(.read_cr2)
                $0.addIRQPairs(p.faultIRQPairs)
                if allocPTEPage {
                    $0.add(.alloc_pte)
                    $0.add(.set_pmd)
                }
                if mapping.faultAround {
                    // filemap_map_pages → set_pte_range → set_ptes(nr): one lazy MMU section
                    // (include/linux/pgtable.h set_ptes: arch_enter/leave_lazy_mmu_mode).
                    $0.add(.lazy_mmu_enter)
                    $0.add(.set_pte, count: mapping.ptes)
                    $0.add(.lazy_mmu_leave)
                } else {
                    $0.add(.set_pte)
                }
                // A COW break's ptep_clear_flush: its flush is in the trace when tlb_flush is
                // recorded (every such fault is followed by `tlb_flush pages:1 reason 3`).
                if modelFlush { $0.add(.flush_tlb_one_user, count: 1) }
                $0.add(.iret)
            }

        case let .tlbFlush(reason, pages):
            switch reason {
            case .taskSwitch:
                // A CR3 load outside a switch (exec's activate_mm, use_mm in a kthread).
                out.segment(.contextSwitch, context) { $0.add(.write_cr3, arg: pages < 0 ? 1 : 0) }
            case .remoteShootdown, .localShootdown, .localMMShootdown:
                out.segment(.tlbFlush, context) { $0.addLocalFlush(pages: pages, ceiling: p.flushCeiling) }
            case .remoteSendIPI:
                cpus[cpu].pending = .shootdownSend(targets: 0, pages: pages)
            case .remoteWrongCPU:
                return // the target had switched away: nothing flushed.
            }

        case let .msrWrite(msr, _):
            switch UInt64(msr) {
            case MSR.tscDeadline:
                out.segment(.timer, context) { $0.add(.set_next_event) }
            case MSR.x2apicICR:
                if cpus[cpu].absorbICR > 0 {
                    cpus[cpu].absorbICR -= 1 // the APIC write of an ipi_send_cpu already priced
                } else {
                    out.segment(.ipi, context) { $0.add(.send_ipi, arg: 1) }
                }
            case MSR.x2apicEOI:
                if cpus[cpu].handlerDepth > 0 { cpus[cpu].handlerSawEOI = true }
                out.segment(.interrupt, context) { $0.add(.apic_eoi) }
            default:
                out.segment(.msr, context) { $0.add(.write_msr, arg: UInt64(msr)) }
            }
        case let .msrRead(msr, _):
            out.segment(.msr, context) { $0.add(.read_msr, arg: UInt64(msr)) }

        case .ipiSend:
            cpus[cpu].absorbICR += 1
            out.segment(.ipi, context) { $0.add(.send_ipi, arg: 1) }
        case let .ipiSendMask(targets):
            cpus[cpu].absorbICR += Int(targets)
            out.segment(.ipi, context) { $0.add(.send_ipi, arg: UInt64(targets)) }

        case let .vectorEntry(vector):
            let cause: CallContext.IPICause
            let vectorClass: UInt64
            switch vector {
            case .localTimer:
                cause = .none; vectorClass = 0
            case .callFunction, .callFunctionSingle:
                if cpus[cpu].expectedShootdowns > 0 {
                    cpus[cpu].expectedShootdowns -= 1; cause = .tlbShootdown
                } else { cause = .ipi }
                vectorClass = 1
            case .reschedule, .irqWork:
                cause = .ipi; vectorClass = 1
            default:
                cause = .none; vectorClass = 2
            }
            enterHandler(cpu: cpu, cause: cause)
            context.inInterrupt = true
            context.ipiCause = cause
            out.segment(.interrupt, context, final: false) {
                $0.add(.interrupt_entry, arg: vectorClass)
                if vector == .localTimer {
                    $0.add(.sched_clock)   // update_rq_clock in the tick
                    $0.add(.steal_clock)   // steal-time accounting in the tick
                }
            }
        case .irqHandlerEntry:
            enterHandler(cpu: cpu, cause: .none)
            context.inInterrupt = true
            context.ipiCause = .none
            out.segment(.interrupt, context, final: false) { $0.add(.interrupt_entry, arg: 2) }
        case .vectorExit, .irqHandlerExit:
            context.inInterrupt = true
            let sawEOI = cpus[cpu].handlerSawEOI
            out.segment(.interrupt, context, final: true) {
                if !sawEOI { $0.add(.apic_eoi) } // EOI is not traced under PV EOI: synthesize it
                $0.add(.iret)
            }
            exitHandler(cpu: cpu)

        case .softirqEntry:
            // __do_softirq runs its actions with interrupts enabled.
            out.segment(.interrupt, context) { $0.add(.irq_enable) }
        case .softirqExit:
            out.segment(.interrupt, context) { $0.add(.irq_disable) }

        case let .processFork(_, childPid):
            // dup_mm: pgd_alloc, dup_mmap -> enter_mmap(child) pins it, copy_pte_range in lazy
            // MMU mode writes the child's copies of the private PTEs and write-protects the
            // writable ones in the parent (copy_present_pte: is_cow_mapping && pte_write), then
            // flush_tlb_mm of the parent: recorded as `tlb_flush pages:-1 reason 3` when traced.
            let copy = mm.fork(parent: mmKey, child: childPid)
            let modelFlush = !tlbFlushTraced
            out.segment(.fork, context) {
                $0.add(.pgd_alloc)
                $0.add(.enter_mmap, arg: UInt64(p.forkPTPages))
                $0.add(.lazy_mmu_enter)
                $0.add(.set_pte, count: copy.copied)
                $0.add(.pte_direct_write, count: copy.writeProtected)
                $0.add(.lazy_mmu_leave)
                if modelFlush { $0.add(.flush_tlb_user) }
            }
        case .processExec:
            // exec_mmap: new mm pinned and loaded (activate_mm: its CR3 load is the trace's
            // `tlb_flush reason 0` when traced), old mm torn down (its present PTEs).
            let cleared = mm.tearDown(mmKey, replaceWithEmpty: true)
            let modelCR3 = !tlbFlushTraced
            out.segment(.exec, context) {
                $0.add(.pgd_alloc)
                $0.add(.enter_mmap, arg: UInt64(p.forkPTPages))
                if modelCR3 { $0.add(.write_cr3, arg: 0) }
                $0.add(.exit_mmap, arg: UInt64(p.forkPTPages))
                $0.add(.lazy_mmu_enter)
                $0.add(.pte_direct_write, count: cleared)
                $0.add(.lazy_mmu_leave)
                $0.add(.release_pte, count: max(p.forkPTPages - 4, 1))
                $0.add(.pgd_free)
            }
        case let .processExit(_, groupDead):
            guard groupDead else { return } // a thread: the mm lives on
            let cleared = mm.tearDown(mmKey, replaceWithEmpty: false)
            out.segment(.exit, context) {
                $0.add(.exit_mmap, arg: UInt64(p.exitPTPages))
                $0.add(.lazy_mmu_enter)
                $0.add(.pte_direct_write, count: cleared)
                $0.add(.lazy_mmu_leave)
                $0.add(.release_pte, count: max(p.exitPTPages - 4, 1))
                $0.add(.pgd_free)
            }

        case .schedWakeup, .marker, .other:
            return
        }
    }

    /// End of input: close what is still open.
    public mutating func finish(into out: inout Expansion) {
        out.removeAll()
        for cpu in cpus.indices {
            switch cpus[cpu].pending {
            case .contextSwitch: closeSwitch(cpu: cpu, cr3Flush: nil, into: &out)
            case .shootdownSend: closeShootdown(cpu: cpu, context: CallContext(cpu: cpu), includesLocal: false, into: &out)
            case .none: break
            }
        }
    }

    // MARK: - per-CPU paths

    private mutating func closeSwitch(cpu: Int, cr3Flush: UInt64?, into out: inout Expansion) {
        cpus[cpu].pending = .none
        // switch_mm_irqs_off (CR3 when the mm changes), then __switch_to, whose order differs:
        // - i386 2.6.2x (arch/i386/kernel/process.c __switch_to, the kernels VMI and lguest
        //   ran): load_esp0 and load_TLS, then arch_leave_lazy_cpu_mode(): the stack switch
        //   joins the lazy batch.
        // - x86-64 6.x (arch/x86/kernel/process_64.c __switch_to): load_TLS,
        //   arch_end_context_switch, x86_fsgsbase_load, then update_task_stack → load_sp0
        //   (XENPV only), after the lazy CPU section ended.
        out.segment(.contextSwitch, CallContext(cpu: cpu), final: true) {
            if let cr3Flush { $0.add(.write_cr3, arg: cr3Flush) }
            $0.add(PVCall(.load_sp0, kernels: .i386_2_6))
            $0.add(.load_tls)
            $0.add(.end_context_switch)
            $0.add(PVCall(.x86_fsgsbase_load, kernels: .x86_64))
            $0.add(PVCall(.load_sp0, kernels: .x86_64))
        }
    }

    private mutating func closeShootdown(cpu: Int, context: CallContext, includesLocal: Bool, into out: inout Expansion) {
        guard case let .shootdownSend(targets, pages) = cpus[cpu].pending else { return }
        cpus[cpu].pending = .none
        // Without ipi tracepoints or ICR writes (e.g. a PV IPI hypercall on the recording
        // guest) the targets are unknown: assume every other CPU.
        let n = targets > 0 ? targets : max(cpus.count - 1, 1)
        if cpus[cpu].shootdownMaskTargets > 0 {
            // Mask sends name no CPU: expect the shootdown on every other CPU in turn.
            for other in cpus.indices where other != cpu { cpus[other].expectedShootdowns += 1 }
            cpus[cpu].shootdownMaskTargets = 0
        } else if targets == 0 {
            for other in cpus.indices where other != cpu { cpus[other].expectedShootdowns += 1 }
        }
        // Above tlb_single_page_flush_ceiling the range becomes a full flush (flush_tlb_mm_range).
        let flushPages = pages < 0 || Int(pages) > p.flushCeiling ? 0 : Int(pages)
        out.segment(.tlbShootdown, context) {
            $0.add(PVCall.flushTLBMulti(targets: n, pages: flushPages, includesLocal: includesLocal))
        }
    }

    private mutating func markShootdownTarget(_ target: Int) {
        guard target >= 0, target < 4096 else { return }
        if target >= cpus.count { cpus.append(contentsOf: repeatElement(CPUState(), count: target + 1 - cpus.count)) }
        cpus[target].expectedShootdowns += 1
    }

    private mutating func enterHandler(cpu: Int, cause: CallContext.IPICause) {
        cpus[cpu].handlerDepth += 1
        cpus[cpu].handlerCause = cause
        cpus[cpu].handlerSawEOI = false
    }

    private mutating func exitHandler(cpu: Int) {
        cpus[cpu].handlerDepth = max(cpus[cpu].handlerDepth - 1, 0)
        cpus[cpu].handlerSawEOI = false
        if cpus[cpu].handlerDepth == 0 { cpus[cpu].handlerCause = .none }
    }

    private struct CPUState {
        enum Pending: Equatable { case none, contextSwitch, shootdownSend(targets: Int, pages: Int32) }
        var pending: Pending = .none
        var idlePending = false
        var absorbICR = 0
        var expectedShootdowns = 0
        var shootdownMaskTargets = 0
        var handlerDepth = 0
        var handlerCause: CallContext.IPICause = .none
        var handlerSawEOI = false
        var pteAllocDebt = 0.0
    }
}
