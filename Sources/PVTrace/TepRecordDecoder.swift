import CTraceCmd

/// Binary ftrace records (`struct tep_record`) → `KernelEvent`s, with each event's fields read
/// through libtraceevent from the event's format (`tep_find_field` once per event id, then
/// `tep_read_number_field` per record), never by printing text and parsing it back.
/// Shared by `TraceDatReader` (trace.dat) and PVRecord's `RawLiveTraceSource` (tracefs raw buffers).
public final class TepRecordDecoder {
    public let strings: StringTable
    /// Why the last `decode` returned nil, when it was a problem with the input.
    public private(set) var problem: String?
    /// Records of events the model does not use, by event name.
    public private(set) var otherEvents: [String: UInt64] = [:]
    /// Keyed by source key << 32 | event id.
    private var plans: [Int: EventPlan] = [:]
    private var comms: [Int32: UInt32] = [:]

    /// Kernel `enum trace_flag_type` (include/linux/trace_events.h): the context bits of
    /// `common_flags`, which `tep_data_flags` returns.
    private static let flagHardIRQ: Int32 = 0x08
    private static let flagSoftIRQ: Int32 = 0x10
    private static let flagNMI: Int32 = 0x40

    public init(strings: StringTable) { self.strings = strings }

    /// How one event id is decoded: the model's decoder and its fields, looked up once.
    private final class EventPlan {
        let decoder: EventDecoder
        let name: String
        let nameID: UInt32
        var fields: [UnsafeMutablePointer<tep_format_field>?] = []
        /// A field the decoder needs that this format lacks (every record is skipped).
        var missingField: String?

        init(decoder: EventDecoder, name: String, nameID: UInt32) {
            self.decoder = decoder
            self.name = name
            self.nameID = nameID
        }
    }

    private func plan(for id: Int32, key buffer: Int, tep: OpaquePointer) -> EventPlan? {
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

    /// The event of `record`, or nil with `problem` saying why (nil `problem`: not an error).
    /// `key` separates formats of different sources (trace.dat buffers); `line` goes into the event.
    public func decode(_ record: UnsafeMutablePointer<tep_record>, tep: OpaquePointer, key: Int, line: UInt64) -> KernelEvent? {
        problem = nil
        let id = tep_data_type(tep, record)
        guard let plan = plan(for: id, key: key, tep: tep) else {
            problem = "record of unknown event id \(id) (no format for it); skipped"
            return nil
        }
        if let missing = plan.missingField {
            problem = "\(plan.name) has no field \(missing) in its format; skipped"
            return nil
        }
        guard let kind = kind(plan, record) else {
            problem = "malformed \(plan.name) record (fields out of range)"
            return nil
        }
        let pid = tep_data_pid(tep, record)
        let flags = tep_data_flags(tep, record)
        let context: KernelEvent.ExecutionContext =
            flags & Self.flagNMI != 0 ? .nmi
            : flags & Self.flagHardIRQ != 0 ? .hardirq
            : flags & Self.flagSoftIRQ != 0 ? .softirq : .task
        let cpu = record.pointee.cpu
        guard cpu >= 0 && cpu <= 8191 else {
            problem = "CPU number \(cpu) out of range"
            return nil
        }
        if plan.decoder == .other { otherEvents[plan.name, default: 0] += 1 }
        return KernelEvent(timestampNanoseconds: record.pointee.ts, cpu: UInt16(cpu), pid: pid, tgid: -1,
                           commID: commID(pid, tep), context: context, line: line, kind: kind)
    }

    private func commID(_ pid: Int32, _ tep: OpaquePointer) -> UInt32 {
        if let id = comms[pid] { return id }
        // The saved cmdlines of the file; trace-cmd report prints the same names.
        let name = pid == 0 ? "<idle>" : tep_data_comm_from_pid(tep, pid).map { String(cString: $0) } ?? "<...>"
        let id = strings.intern(name)
        comms[pid] = id
        return id
    }

    private func kind(_ plan: EventPlan, _ record: UnsafeMutablePointer<tep_record>) -> KernelEvent.Kind? {
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
        return kind
    }
}
