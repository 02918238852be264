#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FtraceTextReader {
    // MARK: event lines

    /// `<comm>-<pid> [(<tgid>)] [<cpu>] [<flags>] <secs>.<frac>: <event>: <fields>`
    /// `wordEnd`: where the line's first word ends (`firstWordEnd`).
    func parseEvent(_ b: LineBytes, from k0: Int, wordEnd: Int) throws -> KernelEvent? {
        // The CPU column `[NNN]` anchors the line: the comm before it may hold spaces and dashes.
        var open = k0
        var cpuValue = -1
        var close = 0
        while open + 1 < b.count, let hit = memchr(b.base + open + 1, 0x5b, b.count - open - 1) {
            let o = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - b.base
            var q = o + 1
            if b[o - 1] == 0x20, let v = b.decimal(&q), b[q] == 0x5d, b[q + 1] == 0x20,
               Self.followsTaskPid(b, bracket: o, floor: k0) {
                guard v <= UInt64(Self.maxCPU) else {
                    try warn(.cpuOutOfRange, "CPU number \(v) out of range (Linux has at most \(Self.maxCPU + 1)): line skipped")
                    return nil
                }
                if declaredCPUs > 0 && v >= UInt64(declaredCPUs) {
                    try warn(.cpuOutOfRange, "CPU \(v), but the trace's header says it has \(declaredCPUs) CPUs (online when recorded): line skipped")
                    return nil
                }
                cpuValue = Int(v); open = o; close = q
                break
            }
            open = o
        }
        if cpuValue < 0, let column = Self.latencyCPUColumn(b, from: k0) {
            guard column.cpu <= UInt64(Self.maxCPU) else {
                try warn(.cpuOutOfRange, "CPU number \(column.cpu) out of range (Linux has at most \(Self.maxCPU + 1)): line skipped")
                return nil
            }
            if declaredCPUs > 0 && column.cpu >= UInt64(declaredCPUs) {
                try warn(.cpuOutOfRange, "CPU \(column.cpu), but the trace's header says it has \(declaredCPUs) CPUs (online when recorded): line skipped")
                return nil
            }
            cpuValue = Int(column.cpu); open = column.start; close = column.flags - 1
        }
        guard cpuValue >= 0 else { try malformed(b, "no [CPU] column"); return nil }

        // Backwards from the CPU column: optional `(  tgid)`, then `comm-pid`.
        var j = open - 1
        while j > k0 && b[j] == 0x20 { j -= 1 }
        var tgid: Int32 = -1
        var tgidUnknown = false
        if b[j] == 0x29 {  // ')'
            guard let paren = b.lastIndex(of: 0x28, before: j, notBefore: k0) else {
                try malformed(b, "unbalanced TGID column"); return nil
            }
            var q = paren + 1
            b.skipSpaces(&q)
            if b[q] == 0x2d {
                tgidUnknown = true  // `(-------)`: no saved tgid (the idle task)
            } else {
                guard let t = b.int32(&q), t >= 0 else { try malformed(b, "bad TGID column"); return nil }
                tgid = t
            }
            j = paren - 1
            while j > k0 && b[j] == 0x20 { j -= 1 }
            if !state.pointee.sawTGID { state.pointee.sawTGID = true; headerFields.hasTGIDColumn = true }
        }
        let pidEnd = j + 1
        while j >= k0 && LineBytes.isDigit(b[j]) { j -= 1 }
        guard j < pidEnd - 1, j > k0, b[j] == 0x2d else { try malformed(b, "no task-pid before the CPU column"); return nil }
        var q = j + 1
        guard let pid = b.int32(&q), pid >= 0 else { try malformed(b, "bad pid"); return nil }
        if tgidUnknown && pid == 0 { tgid = 0 }
        var commStart = k0
        let commEnd = j
        // trace-cmd's `instance:` prefix (`study:  pingpong-20252`): a word, a colon, spaces.
        let s = min(wordEnd, commEnd)
        if s < commEnd && b[s] == 0x3a && b[s + 1] == 0x20 {
            var t = s + 1
            b.skipSpaces(&t)
            if t < commEnd { commStart = t }
        }

        // After the CPU column: optional flags (`d.h1.`), then the timestamp.
        var k = close + 1
        b.skipSpaces(&k)
        var context = KernelEvent.ExecutionContext.task
        if !LineBytes.isDigit(b[k]) {
            let flags = k
            while k < b.count && b[k] != 0x20 { k += 1 }
            if k - flags >= 3 {
                switch b[flags + 2] {
                case 0x68, 0x48: context = .hardirq  // h, H (hardirq inside softirq)
                case 0x73: context = .softirq        // s
                case 0x7a, 0x5a: context = .nmi      // z, Z (NMI inside hardirq)
                default: break
                }
            }
            b.skipSpaces(&k)
        }
        guard let ns = timestamp(b, &k), b[k] == 0x3a else { try malformed(b, "bad timestamp"); return nil }
        k += 1
        b.skipSpaces(&k)

        // Event name: `name: fields`, or syscalls' `sys_mmap(args)` / `sys_mmap -> ret`.
        let nameStart = k
        var style: UInt8 = 0
        if b[k] == 0x3c, let close = b.find(">", from: k) {
            // `<stack trace>` / `<user stack trace>`: the stacktrace option's event, whose
            // frames follow on ` => func+0x…/0x…` lines.
            k = close + 1
            style = 3
        } else {
            while k < b.count, b[k] != 0x3a && b[k] != 0x28 && b[k] != 0x20 { k += 1 }
        }
        let nameLength = k - nameStart
        guard nameLength > 0 else { try malformed(b, "no event name"); return nil }
        var body = k + 1
        switch b[k] {
        case _ where style == 3: break
        case 0x3a: break
        case 0x28 where b.hasPrefix("sys_", at: nameStart): style = 1
        case 0x20 where b.hasPrefix("sys_", at: nameStart) && b.hasPrefix(" -> ", at: k):
            style = 2; body = k + 4
        default:
            try malformed(b, "no ':' after the event name"); return nil
        }
        b.skipSpaces(&body)
        let entry = state.pointee.names.index(b.base + nameStart, nameLength, style: style, strings: strings)
        if entry == state.pointee.names.overflowIndex {
            try warn(.namesCapped, "more than \(Self.maxEventNames) distinct event names: this one is counted as \"\(EventNameTable.overflowName)\"")
        }
        guard let kind = try decode(state.pointee.names.decoders[entry], nameID: state.pointee.names.nameIDs[entry],
                                    b, body: body, cpu: cpuValue) else {
            return nil
        }
        state.pointee.names.lines[entry] &+= 1
        let (time, verdict) = state.pointee.timeline.admit(cpu: cpuValue, timestamp: ns)
        switch verdict {
        case .inOrder: break
        case let .backwards(by):
            try warn(.clockBackwards, "timestamp \(Self.seconds(ns)) is \(Self.seconds(by)) s before the previous one on CPU \(cpuValue): clamped (the event costs no time)")
        case let .jump(by, forward):
            let limit = Self.seconds(state.pointee.timeline.maxJumpNanoseconds)
            try warn(.clockJump, "the trace clock jumps \(forward ? "forward" : "back") \(Self.seconds(by)) s at \(Self.seconds(ns)) on CPU \(cpuValue) (more than --max-gap \(limit) s): the jump is cut out")
        }
        noteCPU(cpuValue)
        let commsBefore = strings.overflowCount
        let commID = state.pointee.comms.id(pid: pid, b.base + commStart, commEnd - commStart, strings: strings)
        if strings.overflowCount != commsBefore {
            try warn(.namesCapped, "more than \(strings.capacity) distinct task names and texts: this one is counted as \"\(StringTable.overflowName)\"")
        }
        return KernelEvent(timestampNanoseconds: time, cpu: UInt16(cpuValue), pid: pid, tgid: tgid,
                           commID: commID, context: context, line: lineNumber, kind: kind)
    }

    /// Whether `[` at `bracket` comes after `comm-pid` or a `(tgid)` column: trace-cmd's
    /// `-l` lines have no bracketed CPU, and their sched plugin text holds `comm:pid [prio]`.
    @inline(__always) static func followsTaskPid(_ b: LineBytes, bracket: Int, floor: Int) -> Bool {
        var j = bracket - 1
        while j > floor && b[j] == 0x20 { j -= 1 }
        if b[j] == 0x29 { return true }
        let pidEnd = j
        while j > floor && LineBytes.isDigit(b[j]) { j -= 1 }
        return j < pidEnd && b[j] == 0x2d
    }

    /// `trace-cmd report -l`: no brackets; the CPU number right-aligned after `comm-pid` with
    /// the latency flags glued to it (`rec.sh-9984    0d..2.   333.688807072: …`), as
    /// trace-read.c prints it (`%8.8s-%-5d %3d`, then libtraceevent's flag columns, whose first
    /// is `d`, `X` or `.`). Returns the first digit and the first flag.
    static func latencyCPUColumn(_ b: LineBytes, from k0: Int) -> (start: Int, flags: Int, cpu: UInt64)? {
        var i = k0
        while i + 1 < b.count {
            defer { i += 1 }
            guard b[i] == 0x20, LineBytes.isDigit(b[i + 1]) else { continue }
            // Before the spaces: `-pid`.
            var j = i
            while j > k0 && b[j] == 0x20 { j -= 1 }
            guard LineBytes.isDigit(b[j]) else { continue }
            while j > k0 && LineBytes.isDigit(b[j]) { j -= 1 }
            guard b[j] == 0x2d else { continue }
            var q = i + 1
            guard let cpu = b.decimal(&q), b[q] == 0x2e || b[q] == 0x64 || b[q] == 0x58 else { continue }
            // After the flags: spaces and a timestamp.
            var t = q
            while t < b.count && b[t] != 0x20 { t += 1 }
            b.skipSpaces(&t)
            guard t > q + 1, LineBytes.isDigit(b[t]) else { continue }
            return (i + 1, q, cpu)
        }
        return nil
    }

    private func malformed(_ b: LineBytes, _ why: String) throws {
        try warn(.malformed, "malformed line (\(why)): \(excerpt(b))")
    }

    /// `seconds.micros` of a nanosecond count, as ftrace prints timestamps.
    static func seconds(_ ns: UInt64) -> String {
        let micros = String(ns / 1000 % 1_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 6 - micros.count) + micros
    }

    /// The start of a line for a message, control bytes shown as `?` (never echo them to a terminal).
    func excerpt(_ b: LineBytes) -> String {
        var bytes = Array(UnsafeBufferPointer(start: b.base, count: min(b.count, 120)))
        for i in bytes.indices where bytes[i] < 0x20 || bytes[i] == 0x7f { bytes[i] = 0x3f }
        let text = String(decoding: bytes, as: UTF8.self).trimmingLeadingSpaces()
        return b.count > 120 ? text + "…" : text
    }

    /// `98.494454` (usec), `539.695341123` (nsec, trace-cmd -t) or a bare integer (x86-tsc /
    /// counter clocks, kept as is) -> nanoseconds.
    private func timestamp(_ b: LineBytes, _ k: inout Int) -> UInt64? {
        guard let seconds = b.decimal(&k) else { return nil }
        guard b[k] == 0x2e else { return seconds }
        k += 1
        if let micros = LineBytes.sixDigits(b, at: k), seconds < 18_446_744_073 {
            k += 6
            return seconds * 1_000_000_000 + micros * 1000
        }
        var fraction: UInt64 = 0
        var digits = 0
        while k < b.count, LineBytes.isDigit(b[k]) {
            if digits < 9 { fraction = fraction * 10 + UInt64(b[k] &- 0x30); digits += 1 }
            k += 1
        }
        guard digits > 0 else { return nil }
        for _ in digits..<9 { fraction *= 10 }
        let (whole, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = whole.addingReportingOverflow(fraction)
        return o1 || o2 ? nil : sum
    }
}
