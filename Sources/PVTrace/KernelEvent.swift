/// One recorded kernel event, decoded from a tracepoint line.
///
/// A plain value with no heap storage, so the reader can hand out millions of them without
/// allocating. Strings that recur (task names) are interned by the reader: `commID` indexes
/// its `CommTable`.
public struct KernelEvent: Sendable, Equatable {
    /// Trace clock in nanoseconds (text traces carry microseconds: the last 3 digits are 0).
    public var timestampNanoseconds: UInt64
    public var cpu: UInt16
    /// The task the event was logged in (`<idle>-0` is pid 0).
    public var pid: Int32
    /// Thread-group id when the trace has the TGID column (`record-tgid`), else -1.
    public var tgid: Int32
    /// Interned task name of `pid` (see `CommTable`).
    public var commID: UInt32
    /// The context the line was logged in (flags column, `h`/`s`/`H`/`z`).
    public var context: ExecutionContext
    /// 1-based line number in the source (for messages and for seeking back to a line).
    public var line: UInt64
    public var kind: Kind

    public init(timestampNanoseconds: UInt64, cpu: UInt16, pid: Int32, tgid: Int32 = -1,
                commID: UInt32 = 0, context: ExecutionContext = .task, line: UInt64 = 0,
                kind: Kind) {
        self.timestampNanoseconds = timestampNanoseconds
        self.cpu = cpu
        self.pid = pid
        self.tgid = tgid
        self.commID = commID
        self.context = context
        self.line = line
        self.kind = kind
    }

    public enum ExecutionContext: UInt8, Sendable {
        case task, softirq, hardirq, nmi
    }

    /// Events the kernel model understands. Payloads are the fields the model uses.
    public enum Kind: Sendable, Equatable {
        /// sched:sched_switch. `prevState` is the first letter of prev_state (R, S, D, …).
        case schedSwitch(prevPid: Int32, prevState: UInt8, nextPid: Int32)
        /// sched:sched_wakeup / sched_wakeup_new (`isNew`).
        case schedWakeup(pid: Int32, targetCPU: UInt16, isNew: Bool)
        /// sched:sched_process_fork.
        case processFork(parentPid: Int32, childPid: Int32)
        /// sched:sched_process_exec.
        case processExec(pid: Int32, oldPid: Int32)
        /// sched:sched_process_exit. `groupDead` is false for a thread that is not the last.
        case processExit(pid: Int32, groupDead: Bool)
        /// raw_syscalls:sys_enter (`NR n (args…)`).
        case syscallEnter(number: Int32)
        /// raw_syscalls:sys_exit (`NR n = ret`).
        case syscallExit(number: Int32, returnValue: Int64)
        /// syscalls:sys_enter_{mmap,munmap,mprotect,brk}: the memory syscalls whose length
        /// decides how many PTEs the kernel touches. `length` is 0 for brk (the arg is the
        /// new break, kept in `address`).
        case memorySyscall(MemorySyscall, address: UInt64, length: UInt64)
        /// exceptions:page_fault_user / page_fault_kernel.
        case pageFault(user: Bool, address: UInt64, errorCode: UInt32)
        /// tlb:tlb_flush. `pages` is -1 for a full flush.
        case tlbFlush(reason: TLBFlushReason, pages: Int32)
        /// msr:write_msr.
        case msrWrite(msr: UInt32, value: UInt64)
        /// msr:read_msr.
        case msrRead(msr: UInt32, value: UInt64)
        /// irq_vectors:*_entry (local_timer, reschedule, call_function(_single), irq_work, …).
        case vectorEntry(IRQVector)
        /// irq_vectors:*_exit.
        case vectorExit(IRQVector)
        /// irq:irq_handler_entry (a device interrupt; `irq` is the Linux irq number).
        case irqHandlerEntry(irq: Int32)
        /// irq:irq_handler_exit.
        case irqHandlerExit(irq: Int32)
        /// irq:softirq_entry / softirq_exit (`vec` 0…9: HI, TIMER, NET_TX, …, RCU).
        case softirqEntry(vec: UInt8)
        case softirqExit(vec: UInt8)
        /// power:cpu_idle. `state` 4294967295 (PWR_EVENT_EXIT) means leaving idle.
        case cpuIdle(state: UInt32, cpuID: UInt16)
        /// ipi:ipi_send_cpu (one target).
        case ipiSend(targetCPU: UInt16)
        /// ipi:ipi_send_cpumask (`targets` = number of CPUs in the mask).
        case ipiSendMask(targets: UInt16)
        /// ftrace:print from trace_marker (`tracing_mark_write: …`); `textID` is interned.
        case marker(textID: UInt32)
        /// A known line whose event the model does not use: counted by name, never fatal.
        case other(nameID: UInt32)
    }

    public enum MemorySyscall: UInt8, Sendable, CaseIterable {
        case mmap, munmap, mprotect, brk
    }

    /// `enum tlb_flush_reason` in include/linux/mm_types.h, as printed by tlb:tlb_flush.
    public enum TLBFlushReason: UInt8, Sendable, CaseIterable {
        case taskSwitch = 0        // "flush on task switch": a CR3 load in switch_mm_irqs_off
        case remoteShootdown = 1   // "remote shootdown": the receiving side of an IPI
        case localShootdown = 2    // "local shootdown"
        case localMMShootdown = 3  // "local MM shootdown": the sender's own flush
        case remoteSendIPI = 4     // "remote IPI send": the sender decided to IPI others
        case remoteWrongCPU = 5    // TLB_REMOTE_WRONG_CPU, printed "remote wrong CPU (5)": the target no longer runs that mm
    }

    /// The irq_vectors tracepoint families (arch/x86/include/asm/trace/irq_vectors.h).
    public enum IRQVector: UInt8, Sendable, CaseIterable {
        case localTimer, reschedule, callFunction, callFunctionSingle, irqWork,
             x86PlatformIPI, errorAPIC, spuriousAPIC, thermalAPIC, deferredError,
             thresholdAPIC, other
    }
}

/// What the reader yields: an event, or a record of events the ring buffer lost.
public enum TraceRecord: Sendable, Equatable {
    case event(KernelEvent)
    /// `CPU:n [LOST k EVENTS]` (trace_pipe) or a gap from `entries-in-buffer < entries-written`.
    case lost(cpu: UInt16, count: UInt64, line: UInt64)
}
