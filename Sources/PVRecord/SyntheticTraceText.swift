// The text of tracefs `trace` as the synthetic traces print it: the header, one event line,
// and the column helpers (kernel/trace/trace_output.c formats).

/// The 11 header lines tracefs prints with record-tgid on (Documentation/trace/ftrace.rst, "record-tgid").
func ftraceHeader(entries: UInt64, cpus: Int) -> String {
    """
    # tracer: nop
    #
    # entries-in-buffer/entries-written: \(entries)/\(entries)   #P:\(cpus)
    #
    #                                          _-----=> irqs-off/BH-disabled
    #                                         / _----=> need-resched
    #                                        | / _---=> hardirq/softirq
    #                                        || / _--=> preempt-depth
    #                                        ||| / _-=> migrate-disable
    #                                        |||| /     delay
    #           TASK-PID       TGID    CPU#  |||||  TIMESTAMP  FUNCTION
    #              | |           |       |   |||||     |         |

    """
}

/// One line as tracefs `trace` prints it with record-tgid on. trace_output.c: "%16s-%-7d "
/// comm/pid, "(%7d) " tgid ("(-------) " for 0), "[%03d] ", flags, " %5lu.%06lu: ".
func ftraceLine(task t: SynthTask, cpu: Int, flags: String, nanoseconds now: UInt64, text: String) -> String {
    let comm = t.pid == 0 ? "<idle>" : t.comm
    var s = pad(comm, 16, right: true) + "-" + pad(String(t.pid), 7, right: false) + " "
    s += t.pid == 0 ? "(-------) " : "(" + pad(String(t.tgid), 7, right: true) + ") "
    s += "[" + zeroPad(cpu, 3) + "] " + flags + " "
    s += pad(String(now / 1_000_000_000), 5, right: true) + "." + zeroPad(Int(now % 1_000_000_000 / 1000), 6)
    return s + ": " + text + "\n"
}

struct SynthTask: Equatable {
    var pid: Int32
    var tgid: Int32
    var comm: String
    static func idle(_ cpu: Int) -> SynthTask { SynthTask(pid: 0, tgid: 0, comm: "swapper/\(cpu)") }
}

func pad(_ s: String, _ width: Int, right: Bool) -> String {
    let n = s.count
    guard n < width else { return s }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
}

func zeroPad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

func hex(_ v: UInt64) -> String { String(v, radix: 16) }
