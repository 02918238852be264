import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// Writes a trace-cmd `trace.dat`, file format version 6, as `trace-cmd report`, KernelShark
/// and pvtop's `TraceDatReader` read it.
///
/// Written here, byte by byte, because no library offers it: Debian's libtracecmd 1.3.1 (trace-cmd
/// 3.1.6) exports only the *input* API in `/usr/include/trace-cmd/trace-cmd.h`; its writer
/// (`tracecmd_output_create`, `tracecmd_write_cpu_data`, …) is declared only in the private
/// `lib/trace-cmd/include/private/trace-cmd-private.h` and hidden from the shared library.
///
/// The layout follows trace-cmd's `Documentation/trace-cmd/trace-cmd.dat.v6.5.txt` and its
/// writer `lib/trace-cmd/trace-output.c` (rostedt/trace-cmd): magic, the ring buffer's
/// `header_page` and `header_event`, the ftrace and event formats, kallsyms, printk formats,
/// saved cmdlines, the CPU count, the options (`write_options_v6`), then `flyrecord` with
/// each CPU's (offset, size), and each CPU's raw ring-buffer pages at a page-aligned offset
/// (`tcmd_out_write_cpu_data`). Little-endian, 8-byte longs: what x86-64 writes.
public struct TraceDatLayout: Sendable {
    /// The ring buffer's page (sub-buffer) size: every CPU's data is whole pages of it.
    public var pageSize: Int
    /// `events/header_page` and `events/header_event`, verbatim.
    public var headerPage: [UInt8]
    public var headerEvent: [UInt8]
    /// `events/ftrace/*/format` (the `print` event of trace markers among them).
    public var ftraceFormats: [[UInt8]]
    /// The other systems' `events/SYSTEM/EVENT/format` files, by system.
    public var eventSystems: [(name: String, formats: [[UInt8]])]
    public var kallsyms: [UInt8]
    /// `printk_formats`.
    public var printkFormats: [UInt8]
    /// `saved_cmdlines`: pid → comm for the records, which carry only the pid.
    public var savedCmdlines: [UInt8]
    public var options: [TraceDatOption]
    /// Bytes of ring-buffer pages per CPU, in CPU order.
    public var cpuDataSizes: [UInt64]

    public init(pageSize: Int, headerPage: [UInt8], headerEvent: [UInt8], ftraceFormats: [[UInt8]],
                eventSystems: [(name: String, formats: [[UInt8]])], kallsyms: [UInt8] = [],
                printkFormats: [UInt8] = [], savedCmdlines: [UInt8] = [], options: [TraceDatOption] = [],
                cpuDataSizes: [UInt64]) {
        self.pageSize = pageSize
        self.headerPage = headerPage
        self.headerEvent = headerEvent
        self.ftraceFormats = ftraceFormats
        self.eventSystems = eventSystems
        self.kallsyms = kallsyms
        self.printkFormats = printkFormats
        self.savedCmdlines = savedCmdlines
        self.options = options
        self.cpuDataSizes = cpuDataSizes
    }

    /// The file up to the first CPU's data (padding included), and where each CPU's data starts.
    public func header() -> (bytes: [UInt8], cpuOffsets: [UInt64]) {
        var b = DatBytes()
        b.raw([0x17, 0x08, 0x44])
        b.string("tracing")
        b.cString("6")
        b.raw([0, 8])  // little-endian; 8-byte user-space long
        b.u32(UInt32(pageSize))
        b.cString("header_page")
        b.u64(UInt64(headerPage.count))
        b.raw(headerPage)
        b.cString("header_event")
        b.u64(UInt64(headerEvent.count))
        b.raw(headerEvent)
        b.u32(UInt32(ftraceFormats.count))
        for f in ftraceFormats { b.u64(UInt64(f.count)); b.raw(f) }
        b.u32(UInt32(eventSystems.count))
        for system in eventSystems {
            b.cString(system.name)
            b.u32(UInt32(system.formats.count))
            for f in system.formats { b.u64(UInt64(f.count)); b.raw(f) }
        }
        b.u32(UInt32(kallsyms.count))
        b.raw(kallsyms)
        b.u32(UInt32(printkFormats.count))
        b.raw(printkFormats)
        b.u64(UInt64(savedCmdlines.count))
        b.raw(savedCmdlines)
        b.u32(UInt32(cpuDataSizes.count))
        b.raw(Array("options  ".utf8) + [0])
        for o in options {
            b.u16(o.id)
            b.u32(UInt32(o.data.count))
            b.raw(o.data)
        }
        b.u16(0)  // TRACECMD_OPTION_DONE
        b.raw(Array("flyrecord".utf8) + [0])
        // The (offset, size) table, then each CPU's data at the next page boundary.
        var position = UInt64(b.bytes.count + 16 * cpuDataSizes.count)
        var offsets: [UInt64] = []
        for size in cpuDataSizes {
            position = aligned(position)
            offsets.append(position)
            position += size
        }
        for (offset, size) in zip(offsets, cpuDataSizes) { b.u64(offset); b.u64(size) }
        if let first = offsets.first { b.raw([UInt8](repeating: 0, count: Int(first) - b.bytes.count)) }
        return (b.bytes, offsets)
    }

    private func aligned(_ n: UInt64) -> UInt64 {
        let p = UInt64(pageSize)
        return (n + p - 1) / p * p
    }

    /// Writes the header, then each CPU's pages (`cpuData(cpu, sink)` hands them over in
    /// order), padding between CPUs to the offsets the header promised.
    public func write(to out: TraceFileWriter,
                      cpuData: (Int, (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let (bytes, offsets) = header()
        try bytes.withUnsafeBytes { try out.write($0) }
        var position = UInt64(bytes.count)
        for cpu in cpuDataSizes.indices {
            if position < offsets[cpu] {
                let pad = [UInt8](repeating: 0, count: Int(offsets[cpu] - position))
                try pad.withUnsafeBytes { try out.write($0) }
                position = offsets[cpu]
            }
            var written: UInt64 = 0
            try cpuData(cpu) { chunk in
                try out.write(chunk)
                written += UInt64(chunk.count)
            }
            guard written == cpuDataSizes[cpu] else {
                throw RecordingError.temporaryFile(reason: "CPU \(cpu): \(written) bytes of ring-buffer pages, \(cpuDataSizes[cpu]) expected")
            }
            position += written
        }
    }
}

/// One trace.dat option (`enum tracecmd_file_options` in trace-cmd's
/// `lib/trace-cmd/include/private/trace-cmd-private.h`), as `trace-cmd record` writes it.
public struct TraceDatOption: Sendable, Equatable {
    public var id: UInt16
    public var data: [UInt8]

    public init(id: UInt16, data: [UInt8]) {
        self.id = id
        self.data = data
    }

    /// TRACECMD_OPTION_CPUSTAT: `CPU: N` and the CPU's `per_cpu/cpuN/stats`
    /// (`trace-cmd report --stat` prints them).
    public static func cpuStat(cpu: Int, stats: String) -> Self {
        Self(id: 2, data: Array("\nCPU: \(cpu)\n\(stats)".utf8) + [0])
    }

    /// TRACECMD_OPTION_TRACECLOCK: the instance's `trace_clock` file, `[selected]` in brackets,
    /// which tells the reader whether timestamps are nanoseconds.
    public static func traceClock(_ text: String) -> Self { Self(id: 4, data: Array(text.utf8) + [0]) }

    /// TRACECMD_OPTION_UNAME: `sysname nodename release version machine` (`trace-cmd report --uname`).
    public static func uname(_ text: String) -> Self { Self(id: 5, data: Array(text.utf8) + [0]) }

    /// TRACECMD_OPTION_VERSION: the writer's version (`trace-cmd report --version`).
    public static func version(_ text: String) -> Self { Self(id: 9, data: Array(text.utf8) + [0]) }
}

/// Little-endian bytes of the trace.dat header.
private struct DatBytes {
    var bytes: [UInt8] = []
    mutating func raw(_ b: [UInt8]) { bytes += b }
    mutating func string(_ s: String) { bytes += Array(s.utf8) }
    mutating func cString(_ s: String) { bytes += Array(s.utf8) + [0] }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
}
