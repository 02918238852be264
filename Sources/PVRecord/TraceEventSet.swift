import PVTrace
/// The tracepoints `pvtop record` enables: the events the kernel model expands into pv_ops
/// (include/trace/events/*.h of Linux 6.x).
public enum TraceEventSet: String, Sendable, CaseIterable {
    /// Scheduling, faults, TLB, MSR writes, interrupt vectors, idle and IPIs: the events
    /// that carry most pv_ops, at ~0-6% recording overhead (measured with `pvtop record` on this project's workloads).
    case light
    /// `light` + every syscall entry/exit, the memory syscalls with their arguments, device
    /// irqs, softirqs, irq_work and MSR reads (+12-55% wall time on the guest).
    case full

    public struct Event: Sendable, Equatable {
        /// `system:event` as written to `set_event`.
        public var name: String
        /// A required event missing from the kernel is an error; an optional one a warning.
        public var required: Bool

        public init(_ name: String, required: Bool = false) {
            self.name = name
            self.required = required
        }

        public var system: String { String(name.prefix { $0 != ":" }) }
        public var event: String { String(name.drop { $0 != ":" }.dropFirst()) }
    }

    /// The events without which a replay means nothing: scheduling, faults and TLB flushes.
    private static let core: [Event] = [
        Event("sched:sched_switch", required: true),
        Event("sched:sched_wakeup", required: true),
        Event("sched:sched_wakeup_new", required: true),
        Event("sched:sched_process_fork", required: true),
        Event("sched:sched_process_exec", required: true),
        Event("sched:sched_process_exit", required: true),
        Event("exceptions:page_fault_user", required: true),
        Event("exceptions:page_fault_kernel", required: true),
        Event("tlb:tlb_flush", required: true),
    ]

    /// Arch- or config-specific events (CONFIG_TRACEPOINTS on x86 with the APIC vectors
    /// traced); missing ones are listed in the provenance instead of failing.
    private static let lightExtras: [Event] = [
        Event("msr:write_msr"),
        Event("irq_vectors:local_timer_entry"), Event("irq_vectors:local_timer_exit"),
        Event("irq_vectors:reschedule_entry"), Event("irq_vectors:reschedule_exit"),
        Event("irq_vectors:call_function_entry"), Event("irq_vectors:call_function_exit"),
        Event("irq_vectors:call_function_single_entry"), Event("irq_vectors:call_function_single_exit"),
        Event("power:cpu_idle"),
        Event("ipi:ipi_send_cpu"),
        Event("ipi:ipi_send_cpumask"),
    ]

    private static let fullExtras: [Event] = [
        Event("raw_syscalls:sys_enter"), Event("raw_syscalls:sys_exit"),
        Event("msr:read_msr"),
        Event("irq:irq_handler_entry"), Event("irq:irq_handler_exit"),
        Event("irq:softirq_entry"), Event("irq:softirq_exit"),
        Event("irq_vectors:irq_work_entry"), Event("irq_vectors:irq_work_exit"),
        Event("syscalls:sys_enter_mmap"), Event("syscalls:sys_exit_mmap"),
        Event("syscalls:sys_enter_munmap"), Event("syscalls:sys_exit_munmap"),
        Event("syscalls:sys_enter_mprotect"), Event("syscalls:sys_exit_mprotect"),
        Event("syscalls:sys_enter_brk"), Event("syscalls:sys_exit_brk"),
    ]

    public var events: [Event] {
        switch self {
        case .light: return Self.core + Self.lightExtras
        case .full: return Self.core + Self.lightExtras + Self.fullExtras
        }
    }
}
