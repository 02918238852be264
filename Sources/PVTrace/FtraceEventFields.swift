#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FtraceTextReader {
    // MARK: event fields

    func decode(_ decoder: EventDecoder, nameID: UInt32, _ b: LineBytes, body: Int,
                        cpu: Int) throws -> KernelEvent.Kind? {
        let kind: KernelEvent.Kind?
        switch decoder {
        case .schedSwitch: kind = schedSwitch(b, body)
        case .schedWakeup(let isNew): kind = schedWakeup(b, body, isNew: isNew)
        case .processFork:
            if let parent = b.int32Field("pid", from: body) ?? b.int32Field("parent_pid", from: body),
               let child = b.int32Field("child_pid", from: body) {
                kind = .processFork(parentPid: parent, childPid: child)
            } else { kind = nil }
        case .processExec:
            if let old = b.int32Field("old_pid", from: body), let pid = b.int32Field("pid", from: body) {
                kind = .processExec(pid: pid, oldPid: old)
            } else { kind = nil }
        case .processExit:
            if let pid = b.int32Field("pid", from: body) {
                // group_dead appeared in 6.x kernels; older ones exit one task per event.
                var groupDead = true
                if let g = b.value(of: "group_dead", from: body) { groupDead = b[g] == 0x74 || b[g] == 0x31 }
                kind = .processExit(pid: pid, groupDead: groupDead)
            } else { kind = nil }
        case .rawSyscallEnter:
            var k = body
            if b.hasPrefix("NR ", at: k) { k += 3 } else if let v = b.value(of: "id", from: body) { k = v } else { k = -1 }
            if k >= 0, let nr = b.int32(&k), b.endsToken(at: k) { kind = .syscallEnter(number: nr) } else { kind = nil }
        case .rawSyscallExit: kind = rawSyscallExit(b, body)
        case .pageFault(let user):
            if let code = b.numberField("error_code", from: body), code <= UInt64(UInt32.max) {
                var address: UInt64 = 0
                // `address=%ps`: a kernel address may print as a symbol; the model only needs user ones.
                if let v = b.numberField("address", from: body) { address = v }
                kind = .pageFault(user: user, address: address, errorCode: UInt32(code))
            } else { kind = nil }
        case .tlbFlush: kind = tlbFlush(b, body)
        case .msrWrite, .msrRead:
            if let (msr, value) = msr(b, body) {
                kind = decoder == .msrWrite ? .msrWrite(msr: msr, value: value) : .msrRead(msr: msr, value: value)
            } else { kind = nil }
        case .vectorEntry(let v): kind = .vectorEntry(v)
        case .vectorExit(let v): kind = .vectorExit(v)
        case .irqHandlerEntry:
            kind = b.int32Field("irq", from: body).map { .irqHandlerEntry(irq: $0) }
        case .irqHandlerExit:
            kind = b.int32Field("irq", from: body).map { .irqHandlerExit(irq: $0) }
        case .softirqEntry, .softirqExit:
            if let vec = b.uint32Field("vec", from: body), vec <= 255 {
                kind = decoder == .softirqEntry ? .softirqEntry(vec: UInt8(vec)) : .softirqExit(vec: UInt8(vec))
            } else { kind = nil }
        case .cpuIdle:
            if let state = b.uint32Field("state", from: body), let id = b.uint32Field("cpu_id", from: body),
               id <= UInt32(Self.maxCPU) {
                kind = .cpuIdle(state: state, cpuID: UInt16(id))
            } else { kind = nil }
        case .ipiSendCPU:
            if let target = b.uint32Field("cpu", from: body), target <= UInt32(Self.maxCPU) {
                kind = .ipiSend(targetCPU: UInt16(target))
            } else { kind = nil }
        case .ipiSendCPUMask:
            if let v = b.value(of: "cpumask", from: body), let n = Self.cpuCount(inMask: b, from: v) {
                kind = .ipiSendMask(targets: n)
            } else { kind = nil }
        case .marker:
            kind = .marker(textID: strings.intern(b.string(body..<b.count).trimmingTrailingSpaces()))
        case .print:
            var t = body
            if b.hasPrefix("tracing_mark_write:", at: t) { t += 19; b.skipSpaces(&t) }
            kind = .marker(textID: strings.intern(b.string(t..<b.count).trimmingTrailingSpaces()))
        case .memorySyscall(let call): kind = memorySyscall(call, b, body)
        case .other: kind = .other(nameID: nameID)
        }
        if kind == nil {
            try warn(.malformed, "malformed \(strings[nameID]) fields: \(excerpt(b))")
        }
        return kind
    }

    /// tracefs: `prev_comm=bash prev_pid=2079 prev_prio=120 prev_state=S ==> next_comm=… next_pid=0 …`;
    /// trace-cmd -R: the same fields, numeric prev_state, no `==>`;
    /// trace-cmd's sched plugin: `pingpong:20252 [120] R ==> pingpong:20253 [120]`.
    private func schedSwitch(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        if let prevPid = b.int32Field("prev_pid", from: body) {
            guard let s = b.value(of: "prev_state", from: body),
                  let nextPid = b.int32Field("next_pid", from: s) else { return nil }
            var state = b[s]
            if LineBytes.isDigit(state) {
                var q = s
                guard let raw = b.decimal(&q), b.endsToken(at: q) else { return nil }
                state = Self.taskStateLetter(raw)
            }
            guard state != 0 && state != 0x20 else { return nil }
            return .schedSwitch(prevPid: prevPid, prevState: state, nextPid: nextPid)
        }
        guard let arrow = b.find(" ==> ", from: body) else { return nil }
        // Left of the arrow: `comm:pid [prio] STATE`.
        var j = arrow - 1
        while j > body && b[j] != 0x20 { j -= 1 }
        let state = b[j + 1]
        guard let prevPid = Self.pluginPid(b, before: j, floor: body),
              let nextPid = Self.pluginPid(b, before: b.count, floor: arrow + 5),
              state != 0x20 && state != 0 else { return nil }
        return .schedSwitch(prevPid: prevPid, prevState: state, nextPid: nextPid)
    }

    /// trace-cmd plugin style `comm:pid [prio]` before `limit`: the pid after the last ':'
    /// before the last `[prio]` group.
    private static func pluginPid(_ b: LineBytes, before limit: Int, floor: Int) -> Int32? {
        guard let bracket = b.lastIndex(of: 0x5b, before: limit, notBefore: floor) else { return nil }
        var j = bracket - 1
        while j > floor && b[j] == 0x20 { j -= 1 }
        let end = j + 1
        while j >= floor && LineBytes.isDigit(b[j]) { j -= 1 }
        guard b[j] == 0x3a, j + 1 < end else { return nil }
        var q = j + 1
        return b.int32(&q)
    }

    /// The letter the kernel prints for a numeric prev_state (`__trace_sched_switch_state`,
    /// include/trace/events/sched.h): bit i of TASK_REPORT -> "SDTtXZPI"[i], 0 -> R.
    static func taskStateLetter(_ raw: UInt64) -> UInt8 {
        let letters: StaticString = "SDTtXZPI"
        let bits = raw & 0xff
        if bits == 0 { return 0x52 }  // R (also R+ for a preempted task, TASK_REPORT_MAX bit)
        return letters.utf8Start[bits.trailingZeroBitCount]
    }

    /// tracefs / -R `comm=bash pid=2087 prio=120 target_cpu=001`;
    /// trace-cmd plugin `bash:2087 [120] success=1 CPU:001`.
    private func schedWakeup(_ b: LineBytes, _ body: Int, isNew: Bool) -> KernelEvent.Kind? {
        if let pid = b.int32Field("pid", from: body) {
            guard let target = b.uint32Field("target_cpu", from: body), target <= UInt32(Self.maxCPU) else { return nil }
            return .schedWakeup(pid: pid, targetCPU: UInt16(target), isNew: isNew)
        }
        guard let cpuTag = b.find(" CPU:", from: body) else { return nil }
        var q = cpuTag + 5
        guard let target = b.decimal(&q), b.endsToken(at: q), target <= UInt64(Self.maxCPU),
              let pid = Self.pluginPid(b, before: cpuTag, floor: body) else { return nil }
        return .schedWakeup(pid: pid, targetCPU: UInt16(target), isNew: isNew)
    }

    /// `NR 1 = 22` (tracefs) or `id=1 ret=22` (trace-cmd -R).
    private func rawSyscallExit(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        var k = body
        if b.hasPrefix("NR ", at: k) {
            k += 3
            guard let nr = b.int32(&k), b.hasPrefix(" = ", at: k) else { return nil }
            k += 3
            guard let ret = b.signedDecimal(&k), b.endsToken(at: k) else { return nil }
            return .syscallExit(number: nr, returnValue: ret)
        }
        guard let nr = b.int32Field("id", from: body), let ret = b.signedField("ret", from: body) else { return nil }
        return .syscallExit(number: nr, returnValue: ret)
    }

    /// `pages:-1 reason:flush on task switch (0)` (tracefs) or `pages=-1 reason=0` (-R).
    private func tlbFlush(_ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        guard let pages = b.signedField("pages", from: body), var r = b.value(of: "reason", from: body) else { return nil }
        var reasonNumber: UInt64?
        if LineBytes.isDigit(b[r]) {
            reasonNumber = b.decimal(&r)
            if !b.endsToken(at: r) { return nil }
        } else if let paren = b.lastIndex(of: 0x28, before: b.count, notBefore: r) {
            var q = paren + 1
            reasonNumber = b.decimal(&q)
            if b[q] != 0x29 { return nil }
        }
        guard let n = reasonNumber, n <= 255, let reason = KernelEvent.TLBFlushReason(rawValue: UInt8(n)) else {
            return nil
        }
        // pages is a long; -1 (TLB_FLUSH_ALL) or a page count that fits comfortably in Int32.
        let clamped = Int32(clamping: pages)
        return .tlbFlush(reason: reason, pages: clamped)
    }

    /// `830, value fb` (tracefs, `%x, value %llx`, maybe ` #GP`) or `msr=830 val=fb failed=0` (-R).
    private func msr(_ b: LineBytes, _ body: Int) -> (UInt32, UInt64)? {
        var k = body
        if let m = b.hex(&k), b[k] == 0x2c {
            guard let v = b.find("value ", from: k) else { return nil }
            var q = v + 6
            guard m <= UInt64(UInt32.max), let value = b.hex(&q), b.endsToken(at: q) else { return nil }
            return (UInt32(m), value)
        }
        guard let msr = b.hexField("msr", from: body), msr <= UInt64(UInt32.max),
              let value = b.hexField("val", from: body) else { return nil }
        return (UInt32(msr), value)
    }

    /// syscalls:sys_enter_{mmap,munmap,mprotect,brk}: `sys_mmap(addr: 0, len: 0x2000, …)` or
    /// trace-cmd's `sys_enter_mmap: addr: 0x00000000, len: …` / `addr=0 len=8192` (-R).
    private func memorySyscall(_ call: KernelEvent.MemorySyscall, _ b: LineBytes, _ body: Int) -> KernelEvent.Kind? {
        func field(_ key: StaticString) -> UInt64? { b.numberField(key, from: body) }
        switch call {
        case .mmap, .munmap:
            guard let addr = field("addr"), let len = field("len") else { return nil }
            return .memorySyscall(call, address: addr, length: len)
        case .mprotect:
            guard let addr = field("start"), let len = field("len") else { return nil }
            return .memorySyscall(call, address: addr, length: len)
        case .brk:
            guard let brk = field("brk") else { return nil }
            return .memorySyscall(call, address: brk, length: 0)
        }
    }

    /// Number of CPUs in an ipi_send_cpumask mask. Two printings exist: the bitmap list
    /// (`0-1`, `0,2-3`, `%*pbl`) and the hex mask of `__get_cpumask` (`%*pb`), which is printed
    /// over the whole cpumask in comma-separated 32-bit groups of 8 hex digits
    /// (`00000000,00000003`). A token of such groups is read as hex, anything else as a list.
    static func cpuCount(inMask b: LineBytes, from k: Int) -> UInt16? {
        var end = k
        while end < b.count && b[end] != 0x20 { end += 1 }
        guard end > k else { return nil }
        var isHexGroups = true
        var groupLength = 0
        for i in k..<end {
            let c = b[i]
            if c == 0x2c {
                if groupLength != 8 { isHexGroups = false; break }
                groupLength = 0
            } else if LineBytes.hexValue(c) != nil {
                groupLength += 1
            } else {
                isHexGroups = false; break
            }
        }
        if isHexGroups && groupLength == 8 {
            var total = 0
            for i in k..<end where b[i] != 0x2c {
                total += LineBytes.hexValue(b[i])!.nonzeroBitCount
            }
            return UInt16(clamping: total)
        }
        // List: ranges `a-b` separated by commas.
        var total = 0
        var q = k
        while q < end {
            guard let lo = b.decimal(&q), lo <= UInt64(maxCPU) else { return nil }
            var hi = lo
            if b[q] == 0x2d {
                q += 1
                guard let h = b.decimal(&q), h >= lo, h <= UInt64(maxCPU) else { return nil }
                hi = h
            }
            total += Int(hi - lo) + 1
            if q < end {
                guard b[q] == 0x2c else { return nil }
                q += 1
            }
        }
        return UInt16(clamping: total)
    }
}
