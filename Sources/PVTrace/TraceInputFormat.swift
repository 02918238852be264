/// The inputs pvtop reads, each with the tool that writes it (`pvtop inspect` shows both).
public enum TraceInputFormat: String, Sendable, CaseIterable {
    /// tracefs `trace` / `trace_pipe` text, as `cat` or `pvtop record` save it.
    case ftraceText = "ftrace text"
    /// `trace-cmd report [-l] [-t] [-R] trace.dat`.
    case traceCmdReport = "trace-cmd report text"
    /// trace-cmd's binary `trace.dat`, read through libtracecmd and libtraceevent.
    case traceDat = "trace.dat"
    /// `perf script` text of tracepoint events.
    case perfScript = "perf script text"
    /// tracefs `trace_pipe_raw` pages, read live (`pvtop live --capture binary`).
    case tracefsRaw = "tracefs raw ring buffers"

    /// The command that produces this format.
    public var producedBy: String {
        switch self {
        case .ftraceText: return "cat /sys/kernel/tracing/trace (or trace_pipe), pvtop record"
        case .traceCmdReport: return "trace-cmd report trace.dat"
        case .traceDat: return "trace-cmd record / trace-cmd extract"
        case .perfScript: return "perf record -e 'sched:*,...' then perf script"
        case .tracefsRaw: return "pvtop live --capture binary"
        }
    }
}
