import Histogram
import PVTrace

/// Latency samples taken on an engine's simulated clock between the trace's own begin and end
/// of a path on one CPU:
/// - syscall: `sys_enter` → `sys_exit`;
/// - interrupt / IPI / timer: `*_entry` → `*_exit` (irq_vectors, irq_handler), by vector;
/// - page fault: the fault → the CPU's next event (a proxy: no tracepoint marks the return);
/// - context switch: `sched_switch` → the end of the switch (the CR3-load `tlb_flush` or the
///   CPU's next event);
/// - wakeup: `sched_wakeup` → the `sched_switch` that runs the woken task (from the waker's
///   IPI send when the wakeup is logged in that IPI's handler on the target).
/// Other classes have no begin/end pair in a trace and get no samples.
struct PathLatency {
    /// Classes that have samples, in `EventClass` order.
    static let measuredClasses: [EventClass] = [.syscall, .pageFault, .contextSwitch, .ipi, .interrupt, .timer, .wakeup]

    @inline(__always) private static var none: Double { -.infinity }
    private static let maxDepth = 4
    private var syscallStart: [Double] = []
    private var faultStart: [Double] = []
    private var switchStart: [Double] = []
    /// Open interrupt handlers per CPU: start time and class, `maxDepth` slots per CPU.
    private var irqStart: [Double] = []
    private var irqClass: [EventClass] = []
    private var irqDepth: [Int] = []
    /// Simulated time each woken task was woken at, until a switch runs it.
    private var wokenAt: [Int32: Double] = [:]
    /// The task each CPU runs (from its last `sched_switch`; -1 before one).
    private var running: [Int32] = []

    init(cpuCount: Int) { grow(to: max(cpuCount, 1)) }

    mutating func grow(to n: Int) {
        guard n > syscallStart.count else { return }
        let add = n - syscallStart.count
        syscallStart += repeatElement(Self.none, count: add)
        faultStart += repeatElement(Self.none, count: add)
        switchStart += repeatElement(Self.none, count: add)
        irqStart += repeatElement(Self.none, count: add * Self.maxDepth)
        irqClass += repeatElement(.interrupt, count: add * Self.maxDepth)
        irqDepth += repeatElement(0, count: add)
        running += repeatElement(-1, count: add)
    }

    /// `before` is the CPU's clock when the event's ops start, `after` once they are priced (where its tracepoint is on
    /// the simulated clock), `begin` where a path this event opens starts (earlier by what the
    /// engine spends on the event beyond the recording); `switchCloseNanoseconds` the part of
    /// this event's cost that closes a context switch begun by the CPU's previous event.
    @inline(__always)
    /// `wakerSentAt` is when the IPI whose handler logs this event was sent: a wakeup queued to
    /// the target's wake list (ttwu_queue_wakelist) is logged there, but began at the send.
    mutating func record(_ event: KernelEvent, cpu: Int, before: Double, begin: Double, after: Double,
                         switchCloseNanoseconds: Double, wakerSentAt: Double?,
                         into latency: inout [Histogram<UInt64>], window: inout Histogram<UInt64>) {
        @inline(__always) func sample(_ c: EventClass, _ ns: Double) {
            // A clock jump in hostile input can make any duration: clamp to the histogram's range.
            let v = ns.isNaN ? 1 : UInt64(min(max(ns.rounded(), 1), Double(EngineMetrics.highestTrackableNanoseconds)))
            latency[c.index].record(v)
            window.record(v)
        }
        if event.pid != running[cpu] && event.context == .task && event.pid > 0 {
            // The task runs here although no switch to it was seen (cropped, or the trace began
            // with it running): a wakeup still open for it is not measurable.
            running[cpu] = event.pid
            wokenAt.removeValue(forKey: event.pid)
        }
        if faultStart[cpu] != Self.none {
            sample(.pageFault, begin - faultStart[cpu])
            faultStart[cpu] = Self.none
        }
        if switchStart[cpu] != Self.none {
            sample(.contextSwitch, before + switchCloseNanoseconds - switchStart[cpu])
            switchStart[cpu] = Self.none
        }
        switch event.kind {
        case .syscallEnter:
            syscallStart[cpu] = begin
        case .syscallExit:
            // An exit without its enter (the trace began inside the syscall) has no sample.
            if syscallStart[cpu] != Self.none {
                sample(.syscall, after - syscallStart[cpu])
                syscallStart[cpu] = Self.none
            }
        case .pageFault:
            faultStart[cpu] = begin
        case let .schedSwitch(_, _, nextPid):
            switchStart[cpu] = begin
            running[cpu] = nextPid
            if nextPid != 0, let woken = wokenAt.removeValue(forKey: nextPid) {
                sample(.wakeup, after - woken)
            }
        case let .schedWakeup(pid, _, _):
            // A running task's wakeup (it had not slept yet) is not a wakeup latency; woken twice
            // before it runs, the first counts.
            if wokenAt[pid] == nil && !running.contains(pid) { wokenAt[pid] = min(wakerSentAt ?? after, after) }
        case let .vectorEntry(vector):
            push(cpu, Self.eventClass(of: vector), begin)
        case .irqHandlerEntry:
            push(cpu, .interrupt, begin)
        case .vectorExit, .irqHandlerExit:
            let depth = irqDepth[cpu]
            guard depth > 0 else { return } // the trace began inside the handler
            irqDepth[cpu] = depth - 1
            if depth <= Self.maxDepth {
                let slot = cpu * Self.maxDepth + depth - 1
                sample(irqClass[slot], after - irqStart[slot])
            }
        default:
            break
        }
    }

    private mutating func push(_ cpu: Int, _ c: EventClass, _ start: Double) {
        let depth = irqDepth[cpu]
        irqDepth[cpu] = depth + 1
        guard depth < Self.maxDepth else { return }
        irqStart[cpu * Self.maxDepth + depth] = start
        irqClass[cpu * Self.maxDepth + depth] = c
    }

    /// Which latency class an interrupt vector's handler belongs to.
    static func eventClass(of vector: KernelEvent.IRQVector) -> EventClass {
        switch vector {
        case .localTimer: return .timer
        case .reschedule, .callFunction, .callFunctionSingle, .irqWork: return .ipi
        default: return .interrupt
        }
    }
}
