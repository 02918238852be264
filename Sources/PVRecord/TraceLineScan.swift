import PVTrace
/// The few columns of an ftrace text line the recorder needs for cropping and counting:
/// `comm-PID (TGID) [CPU] flags TIMESTAMP: event: fields` (Documentation/trace/ftrace.rst, "Output format").
/// Not the reader: no event decoding beyond the pids that decide what to keep.
struct TraceLineScan {
    var pid: Int32
    var cpu: Int
    /// The third flags character: `h` hardirq, `s` softirq, `H`, `z`/`Z` NMI, `.` task.
    var contextFlag: UInt8
    /// Byte range of the event name (for `sys_mmap(…)` / `sys_mmap -> …`: `sys_mmap`).
    var nameStart: Int
    var nameEnd: Int
    /// 0 for `name:` events, 1 for `sys_x(args)` (syscall entry), 2 for `sys_x -> ret`.
    var syscallForm: UInt8

    /// nil for header/comment lines and lines that do not have the trace columns.
    init?(_ line: UnsafeRawBufferPointer) {
        let n = line.count
        guard n > 0, line[0] != UInt8(ascii: "#") else { return nil }
        // The CPU column: the first "[digits] " after the task column.
        var i = 0
        var bracket = -1
        var close = -1
        while i < n {
            if line[i] == UInt8(ascii: "[") {
                var j = i + 1
                while j < n, line[j] >= 48, line[j] <= 57 { j += 1 }
                if j > i + 1, j + 1 < n, line[j] == UInt8(ascii: "]"), line[j + 1] == 32 {
                    bracket = i
                    close = j
                    break
                }
            }
            i += 1
        }
        guard bracket > 0 else { return nil }
        var cpu = 0
        for k in (bracket + 1)..<close { cpu = cpu * 10 + Int(line[k] - 48) }
        // Backwards from "[": optional "(TGID)", then "comm-PID".
        var k = bracket - 1
        while k >= 0, line[k] == 32 { k -= 1 }
        if k >= 0, line[k] == UInt8(ascii: ")") {
            while k >= 0, line[k] != UInt8(ascii: "(") { k -= 1 }
            k -= 1
            while k >= 0, line[k] == 32 { k -= 1 }
        }
        var pid: Int32 = 0
        var scale: Int32 = 1
        var digits = 0
        while k >= 0, line[k] >= 48, line[k] <= 57 {
            pid += Int32(line[k] - 48) * scale
            scale &*= 10
            digits += 1
            k -= 1
        }
        guard digits > 0, k >= 0, line[k] == UInt8(ascii: "-") else { return nil }
        // Flags (5 characters), then the timestamp ending in ':'.
        var p = close + 2
        guard p + 5 <= n else { return nil }
        let contextFlag = line[p + 2]
        p += 5
        while p < n, line[p] == 32 { p += 1 }
        while p < n, line[p] != UInt8(ascii: ":") { p += 1 }
        p += 1
        while p < n, line[p] == 32 { p += 1 }
        let start = p
        while p < n, line[p] != UInt8(ascii: ":"), line[p] != UInt8(ascii: "("), line[p] != 32 { p += 1 }
        guard p > start else { return nil }
        var form: UInt8 = 0
        if p < n, line[p] == UInt8(ascii: "(") { form = 1 } else if p < n, line[p] == 32 { form = 2 }
        self.pid = pid
        self.cpu = cpu
        self.contextFlag = contextFlag
        nameStart = start
        nameEnd = p
        syscallForm = form
    }

    /// Tracepoint name: `sched_switch`; syscalls:* lines map back to `sys_enter_mmap` / `sys_exit_mmap`.
    func eventName(_ line: UnsafeRawBufferPointer) -> String {
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[nameStart..<nameEnd]), as: UTF8.self)
        guard syscallForm != 0, name.hasPrefix("sys_") else { return name }
        return (syscallForm == 1 ? "sys_enter_" : "sys_exit_") + name.dropFirst(4)
    }

    func nameIs(_ line: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        guard nameEnd - nameStart == s.utf8CodeUnitCount, syscallForm == 0 else { return false }
        let p = s.utf8Start
        for k in 0..<s.utf8CodeUnitCount where line[nameStart + k] != p[k] { return false }
        return true
    }

    var inInterrupt: Bool {
        switch contextFlag {
        case UInt8(ascii: "h"), UInt8(ascii: "s"), UInt8(ascii: "H"), UInt8(ascii: "z"), UInt8(ascii: "Z"): return true
        default: return false
        }
    }
}

/// The integer after `key` (e.g. `prev_pid=`) in the fields of a line, searching from `from`.
func integerField(_ line: UnsafeRawBufferPointer, _ key: StaticString, from: Int = 0) -> Int64? {
    let kn = key.utf8CodeUnitCount
    let kp = key.utf8Start
    var i = from
    let n = line.count
    outer: while i + kn <= n {
        for k in 0..<kn where line[i + k] != kp[k] {
            i += 1
            continue outer
        }
        // Whole-key match only: "pid=" must not match inside "prev_pid=".
        if i > 0, kp[0] != 32, line[i - 1] != 32 {
            i += 1
            continue
        }
        var j = i + kn
        var negative = false
        if j < n, line[j] == UInt8(ascii: "-") {
            negative = true
            j += 1
        }
        var v: Int64 = 0
        var any = false
        while j < n, line[j] >= 48, line[j] <= 57 {
            v = v * 10 + Int64(line[j] - 48)
            any = true
            j += 1
        }
        return any ? (negative ? -v : v) : nil
    }
    return nil
}

/// Whether the marker line carries `text` (a `tracing_mark_write: TEXT` line).
func lineContains(_ line: UnsafeRawBufferPointer, _ text: [UInt8]) -> Bool {
    let n = line.count, m = text.count
    guard m > 0, n >= m else { return false }
    var i = 0
    outer: while i + m <= n {
        for k in 0..<m where line[i + k] != text[k] {
            i += 1
            continue outer
        }
        return true
    }
    return false
}
