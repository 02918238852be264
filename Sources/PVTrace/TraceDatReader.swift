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

    public var diagnostics: TraceDiagnostics { decoder.diagnostics }

    /// One buffer of the file: the top buffer or an instance (`trace-cmd record -B`).
    private struct Buffer {
        var handle: OpaquePointer
        var tep: OpaquePointer
        var name: String
        var cpus: Int
    }

    private let input: OpaquePointer
    private var buffers: [Buffer] = []
    /// The next record of each (buffer, CPU), in the order ties are broken.
    private var slots: [(buffer: Int, cpu: Int32, record: UnsafeMutablePointer<tep_record>?)] = []
    private let decoder: TepRecordDecoder
    private var queued: TraceRecord?

    /// The first bytes of every trace.dat: `\x17\x08\x44tracing` (trace-cmd.dat(5)).
    public static let magic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing".utf8)

    /// `name` is what messages call the file (default: `path`).
    public init(path: String, name: String? = nil, strict: Bool = false) throws {
        self.name = name ?? path
        self.strict = strict
        decoder = TepRecordDecoder(strings: strings)
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
        // A pvtop recording's own block (`pvtop record --format dat`); version 7 files keep
        // options in sections, which pvtop does not write.
        if version == 6 {
            header.provenance += TraceDatProvenance.read(path: path, optionsOffset: Int(tracecmd_get_options_offset(top)))
        }
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
            let lost = decoder.count(record)
            let event = try decode(record, buffer: slots[best].buffer, tep: buffer.tep)
            if let lost {
                if let event { queued = .event(event) }
                return lost
            }
            if let event { return .event(event) }
        }
    }

    private func decode(_ record: UnsafeMutablePointer<tep_record>, buffer: Int, tep: OpaquePointer) throws -> KernelEvent? {
        if let event = decoder.decode(record, tep: tep, key: buffer, line: decoder.recordsRead) { return event }
        if let problem = decoder.problem { try warn(line: decoder.recordsRead, problem) }
        return nil
    }

    /// `line` is the record's position in the merged stream (1-based), as `KernelEvent.line`.
    private func warn(line: UInt64, _ message: String) throws {
        if strict { throw TraceError(file: name, line: line, message: message) }
        decoder.warn(file: name, line: line, message)
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
