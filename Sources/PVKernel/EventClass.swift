/// The kernel paths whose latency the engine samples (one HdrHistogram each).
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

    public var label: String { rawValue }

}
