import CTraceCmd
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads trace-cmd's binary `trace.dat` (versions 6 and 7, what `trace-cmd record` and
/// `extract` write and KernelShark opens) through libtracecmd, decoding each record's fields
/// with libtraceevent from the event formats stored in the file, into the same `KernelEvent`s
/// the text reader makes of `trace-cmd report -l -t` of that file.
///
/// Every buffer (the top one and each instance) and every CPU is merged in timestamp order the
/// way `trace-cmd report` merges them (tracecmd_iterate_events_multi: earliest first, ties to
/// the first buffer, then the lowest CPU). Timestamps stay in the file's unit: nanoseconds
/// for the ns clocks (local, global, mono, boot, …), raw counts for x86-tsc / counter.
/// A record after dropped events yields `.lost` first (trace-cmd's `CPU:n [k EVENTS DROPPED]`).
public final class TraceDatReader: TraceSource {
    public let name: String
    public let strict: Bool
    public private(set) var header = TraceHeader()
    public let strings = StringTable()

    public var diagnostics: TraceDiagnostics {
        var d = TraceDiagnostics()
        d.warningCount = warningCount
        d.firstWarnings = firstWarnings
        d.lostEvents = lostEvents
        d.linesRead = recordsRead
        for plan in plans.values where plan.decoder == .other && plan.count > 0 {
            d.otherEvents[plan.name, default: 0] += plan.count
        }
        return d
    }

    /// One buffer of the file: the top buffer or an instance (`trace-cmd record -B`).
    private struct Buffer {
        var handle: OpaquePointer
        var tep: OpaquePointer
        var name: String
        var cpus: Int
    }

    /// How one event id is decoded: the model's decoder and its fields, looked up once.
    private final class EventPlan {
        let decoder: EventDecoder
        let name: String
        let nameID: UInt32
        var fields: [UnsafeMutablePointer<tep_format_field>?]
        /// A field the decoder needs that this file's format lacks (every record is skipped).
        var missingField: String?
        var count: UInt64 = 0

        init(decoder: EventDecoder, name: String, nameID: UInt32) {
            self.decoder = decoder
            self.name = name
            self.nameID = nameID
            fields = []
        }
    }

    private let input: OpaquePointer
    private var buffers: [Buffer] = []
    /// The next record of each (buffer, CPU), in the order ties are broken.
    private var slots: [(buffer: Int, cpu: Int32, record: UnsafeMutablePointer<tep_record>?)] = []
    /// Keyed by buffer index << 32 | event id (instances may carry their own formats).
    private var plans: [Int: EventPlan] = [:]
    private var comms: [Int32: UInt32] = [:]
    private var queued: TraceRecord?
    private var recordsRead: UInt64 = 0
    private var warningCount: UInt64 = 0
    private var firstWarnings: [TraceWarning] = []
    private var lostEvents: UInt64 = 0

    /// Kernel `enum trace_flag_type` (include/linux/trace_events.h): the context bits of
    /// `common_flags`, which `tep_data_flags` returns.
    private static let flagHardIRQ: Int32 = 0x08
    private static let flagSoftIRQ: Int32 = 0x10
    private static let flagNMI: Int32 = 0x40

    /// The first bytes of every trace.dat: `\x17\x08\x44tracing` (trace-cmd.dat(5)).
    public static let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)

    /// `name` is what messages call the file (default: `path`).
    public init(path: String, name: String? = nil, strict: Bool = false) throws {
        self.name = name ?? path
        self.strict = strict
        // The libraries print their own warnings to stderr; pvtop reports one line itself.
        tracecmd_set_loglevel(TEP_LOG_NONE)
        tep_set_loglevel(TEP_LOG_NONE)
        guard access(path, R_OK) == 0 else {
            throw TraceError(file: self.name, line: 0, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        switch Self.probe(path) {
        case 1:
            throw TraceError(file: self.name, line: 0, message:
                "not a trace.dat libtracecmd 1.3 can read (truncated, corrupt, or a newer file version); "
                + "try `trace-cmd report \(self.name)`")
        case 2:
            throw TraceError(file: self.name, line: 0, message:
                "corrupt trace.dat: libtracecmd crashed reading it (`trace-cmd report` would too)")
        default: break
        }
        guard let top = tracecmd_open(path, pvtop_tracecmd_open_flags()) else {
            throw TraceError(file: self.name, line: 0, message:
                "not a trace.dat libtracecmd 1.3 can read (truncated, corrupt, or a newer file version); "
                + "try `trace-cmd report \(self.name)`")
        }
        input = top
        addBuffer(top, name: "")
        for i in 0..<max(0, tracecmd_buffer_instances(top)) {
            let instanceName = tracecmd_buffer_instance_name(top, i).map { String(cString: $0) } ?? "instance \(i)"
            guard let handle = tracecmd_buffer_instance_handle(top, i) else {
                try warn(line: 0, "buffer \(instanceName) cannot be read; skipped")
                continue
            }
            addBuffer(handle, name: instanceName)
        }
        header.format = .traceDat
        header.cpuCount = buffers.map(\.cpus).max() ?? 0
        // The clock of the first buffer holding records (the top one is often empty).
        let clockBuffer = slots.first { $0.record != nil }.map { buffers[$0.buffer] } ?? buffers.first
        header.clock = clockBuffer.flatMap { tracecmd_get_trace_clock($0.handle).map { String(cString: $0) } }
        let version = tracecmd_get_in_file_version(top)
        header.provenance.append((key: "trace.dat-version", value: String(version)))
        if let clock = header.clock { header.provenance.append((key: "clock", value: clock)) }
        if let uname = tracecmd_get_uname(top) { header.provenance.append((key: "uname", value: String(cString: uname))) }
        if let v = tracecmd_get_version(top) { header.provenance.append((key: "trace-cmd-version", value: String(cString: v))) }
        let withRecords = Set(slots.filter { $0.record != nil }.map(\.buffer))
        let names = buffers.indices.filter { withRecords.contains($0) }.map { buffers[$0].name.isEmpty ? "top" : buffers[$0].name }
        header.provenance.append((key: "buffers", value: names.joined(separator: ",")))
    }

    /// Probe results by file identity: a replay reopens its trace (restart, seek back), and
    /// one full read in a child per file is enough.
    private static let probed = Mutex<[String: Int32]>([:])

    /// `pvtop_tracedat_probe` (shim.h): 0 readable, 1 unreadable, 2 crashed the library.
    private static func probe(_ path: String) -> Int32 {
        var st = stat()
        let key = stat(path, &st) == 0
            ? "\(st.st_dev):\(st.st_ino):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(path)" : path
        if let known = probed.withLock({ $0[key] }) { return known }
        let result = pvtop_tracedat_probe(path)
        probed.withLock { $0[key] = result }
        return result
    }

    /// A trace.dat that arrives as a stream (standard input, inside .gz / .xz): libtracecmd
    /// seeks, so it is copied to an unlinked temporary file first.
    public convenience init(spooling stream: ByteStream, name: String, strict: Bool = false) throws {
        var template = Array("/tmp/pvtop-trace-dat.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw TraceError(file: name, line: 0, message: "cannot create a temporary copy in /tmp: \(String(cString: strerror(errno)))")
        }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { close(fd); unlink(path) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try stream.read(into: buffer)
            if n == 0 { break }
            var done = 0
            while done < n {
                let w = write(fd, buffer.baseAddress! + done, n - done)
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else {
                    throw TraceError(file: name, line: 0, message: "cannot write a temporary copy in /tmp: \(String(cString: strerror(errno)))")
                }
                done += w
            }
        }
        stream.close()
        // libtracecmd holds its own descriptor: the copy disappears when the reader closes.
        try self.init(path: path, name: name, strict: strict)
    }

    deinit {
        for s in slots { if let r = s.record { tracecmd_free_record(r) } }
        for b in buffers where b.handle != input { tracecmd_close(b.handle) }
        tracecmd_close(input)
    }

    private func addBuffer(_ handle: OpaquePointer, name: String) {
        guard let tep = tracecmd_get_tep(handle) else {
            if handle != input { tracecmd_close(handle) }
            return
        }
        let cpus = Int(max(0, tracecmd_cpus(handle)))
        buffers.append(Buffer(handle: handle, tep: tep, name: name, cpus: cpus))
        let index = buffers.count - 1
        for cpu in 0..<cpus {
            slots.append((index, Int32(cpu), tracecmd_read_data(handle, Int32(cpu))))
        }
    }

    public func next() throws -> TraceRecord? {
        if let q = queued { queued = nil; return q }
        while true {
            // Earliest timestamp; ties go to the earlier slot, as in tracecmd_iterate_events_multi.
            var best = -1
            var bestTS: UInt64 = 0
            for i in slots.indices {
                guard let r = slots[i].record else { continue }
                if best < 0 || r.pointee.ts < bestTS { best = i; bestTS = r.pointee.ts }
            }
            guard best >= 0, let record = slots[best].record else { return nil }
            let buffer = buffers[slots[best].buffer]
            slots[best].record = tracecmd_read_data(buffer.handle, slots[best].cpu)
            defer { tracecmd_free_record(record) }
            recordsRead += 1
            let cpu = UInt16(clamping: record.pointee.cpu)
            var lost: TraceRecord?
            let missed = record.pointee.missed_events
            if missed != 0 {
                // < 0: the ring buffer said events were lost but not how many.
                let count = missed > 0 ? UInt64(missed) : 0
                lostEvents &+= count
                lost = .lost(cpu: cpu, count: count, line: recordsRead)
            }
            let event = try decode(record, buffer: slots[best].buffer, tep: buffer.tep)
            if let lost {
                if let event { queued = .event(event) }
                return lost
            }
            if let event { return .event(event) }
        }
    }

    // MARK: decoding

    private func plan(for id: Int32, buffer: Int, tep: OpaquePointer) -> EventPlan? {
        let key = buffer << 32 | Int(UInt32(bitPattern: id))
        if let p = plans[key] { return p }
        guard let event = tep_find_event(tep, id) else { return nil }
        let name = event.pointee.name.map { String(cString: $0) } ?? "event \(id)"
        let decoder = EventDecoder.forName(name)
        let p = EventPlan(decoder: decoder, name: name, nameID: strings.intern(name))
        for (field, required) in Self.fields(decoder) {
            let f = tep_find_field(event, field)
            if f == nil && required && p.missingField == nil { p.missingField = field }
            p.fields.append(f)
        }
        plans[key] = p
        return p
    }

    /// The fields each decoder reads, by their names in the tracepoint formats
    /// (reference: the `format` files of include/trace/events/*.h tracepoints).
    private static func fields(_ decoder: EventDecoder) -> [(String, required: Bool)] {
        switch decoder {
        case .schedSwitch: return [("prev_pid", true), ("prev_state", true), ("next_pid", true)]
        case .schedWakeup: return [("pid", true), ("target_cpu", true)]
        case .processFork: return [("parent_pid", true), ("child_pid", true)]
        case .processExec: return [("pid", true), ("old_pid", true)]
        // group_dead appeared in 6.x kernels; older ones exit one task per event.
        case .processExit: return [("pid", true), ("group_dead", false)]
        case .rawSyscallEnter: return [("id", true)]
        case .rawSyscallExit: return [("id", true), ("ret", true)]
        case .pageFault: return [("address", true), ("error_code", true)]
        case .tlbFlush: return [("reason", true), ("pages", true)]
        case .msrWrite, .msrRead: return [("msr", true), ("val", true)]
        case .irqHandlerEntry, .irqHandlerExit: return [("irq", true)]
        case .softirqEntry, .softirqExit: return [("vec", true)]
        case .cpuIdle: return [("state", true), ("cpu_id", true)]
        case .ipiSendCPU: return [("cpu", true)]
        case .ipiSendCPUMask: return [("cpumask", true)]
        case .marker, .print: return [("buf", true)]
        case .memorySyscall(.mprotect): return [("start", true), ("len", true)]
        case .memorySyscall(.brk): return [("brk", true)]
        case .memorySyscall: return [("addr", true), ("len", true)]
        case .vectorEntry, .vectorExit, .other: return []
        }
    }

    private func decode(_ record: UnsafeMutablePointer<tep_record>, buffer: Int, tep: OpaquePointer) throws -> KernelEvent? {
        let id = tep_data_type(tep, record)
        guard let plan = plan(for: id, buffer: buffer, tep: tep) else {
            try warn(line: recordsRead, "record of unknown event id \(id) (no format in the file); skipped")
            return nil
        }
        if let missing = plan.missingField {
            try warn(line: recordsRead, "\(plan.name) has no field \(missing) in this file's format; skipped")
            return nil
        }
        guard let kind = try kind(plan, record) else { return nil }
        plan.count += 1
        let pid = tep_data_pid(tep, record)
        let flags = tep_data_flags(tep, record)
        let context: KernelEvent.ExecutionContext =
            flags & Self.flagNMI != 0 ? .nmi
            : flags & Self.flagHardIRQ != 0 ? .hardirq
            : flags & Self.flagSoftIRQ != 0 ? .softirq : .task
        let cpu = record.pointee.cpu
        guard cpu >= 0 && cpu <= 8191 else {
            try warn(line: recordsRead, "CPU number \(cpu) out of range")
            return nil
        }
        return KernelEvent(timestampNanoseconds: record.pointee.ts, cpu: UInt16(cpu), pid: pid, tgid: -1,
                           commID: commID(pid, tep), context: context, line: recordsRead, kind: kind)
    }

    private func commID(_ pid: Int32, _ tep: OpaquePointer) -> UInt32 {
        if let id = comms[pid] { return id }
        // The saved cmdlines of the file; trace-cmd report prints the same names.
        let name = pid == 0 ? "<idle>" : tep_data_comm_from_pid(tep, pid).map { String(cString: $0) } ?? "<...>"
        let id = strings.intern(name)
        comms[pid] = id
        return id
    }

    private func kind(_ plan: EventPlan, _ record: UnsafeMutablePointer<tep_record>) throws -> KernelEvent.Kind? {
        let f = plan.fields
        let size = Int(record.pointee.size)
        guard let data = record.pointee.data else { return nil }
        // Fields are read only inside the record: a corrupt size must not read past it.
        func u(_ i: Int) -> UInt64? {
            guard let field = f[i] else { return nil }
            let off = Int(field.pointee.offset), n = Int(field.pointee.size)
            guard off >= 0, n > 0, n <= 8, off + n <= size else { return nil }
            var v: UInt64 = 0
            return tep_read_number_field(field, data, &v) == 0 ? v : nil
        }
        func s(_ i: Int) -> Int64? {
            guard let v = u(i), let field = f[i] else { return nil }
            let bits = Int(field.pointee.size) * 8
            return bits >= 64 ? Int64(bitPattern: v) : Int64(bitPattern: v << (64 - bits)) >> (64 - bits)
        }
        func bytes(_ i: Int) -> UnsafeRawBufferPointer? {
            guard let field = f[i] else { return nil }
            var off = Int(field.pointee.offset)
            var n = Int(field.pointee.size)
            if field.pointee.flags & UInt(TEP_FIELD_IS_DYNAMIC.rawValue) != 0 {
                // __data_loc: u32 len << 16 | offset (__rel_loc: offset from the field's end).
                guard off >= 0, off + 4 <= size else { return nil }
                let loc = data.loadUnaligned(fromByteOffset: off, as: UInt32.self)
                let base = field.pointee.flags & UInt(TEP_FIELD_IS_RELATIVE.rawValue) != 0 ? off + 4 : 0
                off = base + Int(loc & 0xffff)
                n = Int(loc >> 16)
            } else if n == 0 {
                n = size - off  // `char buf[]`: the rest of the record
            }
            guard off >= 0, n >= 0, off + n <= size else { return nil }
            return UnsafeRawBufferPointer(start: data + off, count: n)
        }
        func cpuNumber(_ v: UInt64?) -> UInt16? { v.flatMap { $0 <= 8191 ? UInt16($0) : nil } }

        let kind: KernelEvent.Kind?
        switch plan.decoder {
        case .schedSwitch:
            if let prev = s(0), let state = u(1), let next = s(2) {
                kind = .schedSwitch(prevPid: Int32(truncatingIfNeeded: prev),
                                    prevState: FtraceTextReader.taskStateLetter(state),
                                    nextPid: Int32(truncatingIfNeeded: next))
            } else { kind = nil }
        case .schedWakeup(let isNew):
            if let pid = s(0), let target = cpuNumber(u(1)) {
                kind = .schedWakeup(pid: Int32(truncatingIfNeeded: pid), targetCPU: target, isNew: isNew)
            } else { kind = nil }
        case .processFork:
            if let parent = s(0), let child = s(1) {
                kind = .processFork(parentPid: Int32(truncatingIfNeeded: parent), childPid: Int32(truncatingIfNeeded: child))
            } else { kind = nil }
        case .processExec:
            if let pid = s(0), let old = s(1) {
                kind = .processExec(pid: Int32(truncatingIfNeeded: pid), oldPid: Int32(truncatingIfNeeded: old))
            } else { kind = nil }
        case .processExit:
            if let pid = s(0) {
                kind = .processExit(pid: Int32(truncatingIfNeeded: pid), groupDead: f[1] == nil ? true : (u(1) ?? 1) != 0)
            } else { kind = nil }
        case .rawSyscallEnter:
            kind = s(0).map { .syscallEnter(number: Int32(truncatingIfNeeded: $0)) }
        case .rawSyscallExit:
            if let nr = s(0), let ret = s(1) {
                kind = .syscallExit(number: Int32(truncatingIfNeeded: nr), returnValue: ret)
            } else { kind = nil }
        case .pageFault(let user):
            if let address = u(0), let code = u(1), code <= UInt64(UInt32.max) {
                kind = .pageFault(user: user, address: address, errorCode: UInt32(code))
            } else { kind = nil }
        case .tlbFlush:
            if let reason = u(0), reason <= 255, let r = KernelEvent.TLBFlushReason(rawValue: UInt8(reason)),
               let pages = s(1) {
                kind = .tlbFlush(reason: r, pages: Int32(clamping: pages))
            } else { kind = nil }
        case .msrWrite, .msrRead:
            if let msr = u(0), msr <= UInt64(UInt32.max), let value = u(1) {
                kind = plan.decoder == .msrWrite ? .msrWrite(msr: UInt32(msr), value: value)
                    : .msrRead(msr: UInt32(msr), value: value)
            } else { kind = nil }
        case .vectorEntry(let v): kind = .vectorEntry(v)
        case .vectorExit(let v): kind = .vectorExit(v)
        case .irqHandlerEntry: kind = s(0).map { .irqHandlerEntry(irq: Int32(truncatingIfNeeded: $0)) }
        case .irqHandlerExit: kind = s(0).map { .irqHandlerExit(irq: Int32(truncatingIfNeeded: $0)) }
        case .softirqEntry, .softirqExit:
            if let vec = u(0), vec <= 255 {
                kind = plan.decoder == .softirqEntry ? .softirqEntry(vec: UInt8(vec)) : .softirqExit(vec: UInt8(vec))
            } else { kind = nil }
        case .cpuIdle:
            if let state = u(0), state <= UInt64(UInt32.max), let id = cpuNumber(u(1)) {
                kind = .cpuIdle(state: UInt32(state), cpuID: id)
            } else { kind = nil }
        case .ipiSendCPU:
            kind = cpuNumber(u(0)).map { .ipiSend(targetCPU: $0) }
        case .ipiSendCPUMask:
            if let mask = bytes(0) {
                kind = .ipiSendMask(targets: UInt16(clamping: mask.reduce(0) { $0 + $1.nonzeroBitCount }))
            } else { kind = nil }
        case .marker, .print:
            if let text = bytes(0) {
                let upToNUL = text.prefix { $0 != 0 }
                kind = .marker(textID: strings.intern(String(decoding: upToNUL, as: UTF8.self).trimmingTrailingWhitespace()))
            } else { kind = nil }
        case .memorySyscall(let call):
            if call == .brk {
                kind = u(0).map { .memorySyscall(.brk, address: $0, length: 0) }
            } else if let address = u(0), let length = u(1) {
                kind = .memorySyscall(call, address: address, length: length)
            } else { kind = nil }
        case .other: kind = .other(nameID: plan.nameID)
        }
        if kind == nil { try warn(line: recordsRead, "malformed \(plan.name) record (fields out of range)") }
        return kind
    }

    /// `line` is the record's position in the merged stream (1-based), as `KernelEvent.line`.
    private func warn(line: UInt64, _ message: String) throws {
        if strict { throw TraceError(file: name, line: line, message: message) }
        warningCount += 1
        if firstWarnings.count < FtraceTextReader.keptWarnings {
            firstWarnings.append(TraceWarning(file: name, line: line, message: message))
        }
    }
}

extension String {
    /// ftrace:print's buf ends in the newline trace_marker was given.
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\t" || last == "\n" || last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
