/// The kernel paths the engine counts and prices, and whose latency it samples (one
/// HdrHistogram each) where the trace has a begin and an end for them (`hasLatencySamples`).
public enum EventClass: String, Sendable, CaseIterable, Codable {
    case syscall
    case pageFault = "page_fault"
    case contextSwitch = "context_switch"
    case tlbFlush = "tlb_flush"
    case tlbShootdown = "tlb_shootdown"
    case ipi
    case interrupt
    case timer
    case idle
    case fork
    case exec
    case exit
    case memoryMap = "mm_syscall"
    case msr
    /// Synthetic op probes (`pvtop-op` markers in `pvtop synth nanobench-*` traces).
    case micro
    /// `sched_wakeup` → the `sched_switch` that runs the woken task (latency only: no ops).
    case wakeup

    public var label: String { rawValue }

    /// Whether a trace shows this path's begin and end, so that its latency is measured
    /// (the rest are counted and priced but have no duration to sample).
    public var hasLatencySamples: Bool { PathLatency.measuredClasses.contains(self) }

    /// How a sample of this class is delimited, for the dashboard and the docs.
    public var latencyDefinition: String {
        switch self {
        case .syscall: return "sys_enter → sys_exit"
        case .pageFault: return "fault → next event on the CPU (proxy)"
        case .contextSwitch: return "sched_switch → switch done"
        case .ipi: return "IPI vector entry → exit"
        case .interrupt: return "irq entry → exit"
        case .timer: return "local_timer entry → exit"
        case .wakeup: return "sched_wakeup → sched_switch to the task"
        default: return "no begin/end pair in a trace"
        }
    }

}
