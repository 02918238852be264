import Foundation
import Testing
import PVTrace
@testable import PVRecord

/// trace.dat written from fixed ring-buffer pages, read back by libtracecmd (`TraceDatReader`).
struct TraceDatWriterTests {
    /// Formats as this project's kernel prints them (tracefs `events/header_page`,
    /// `events/header_event`, `events/tlb/tlb_flush/format`, kernel 6.18).
    static let headerPage = """
        \tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;
        \tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;
        \tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;
        \tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;

        """
    static let headerEvent = """
        # compressed entry header
        \ttype_len    :    5 bits
        \ttime_delta  :   27 bits
        \tarray       :   32 bits

        \tpadding     : type == 29
        \ttime_extend : type == 30
        \ttime_stamp : type == 31
        \tdata max type_len  == 28

        """
    static let tlbFlushFormat = """
        name: tlb_flush
        ID: 188
        format:
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
        \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
        \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

        \tfield:int reason;\toffset:8;\tsize:4;\tsigned:1;
        \tfield:unsigned long pages;\toffset:16;\tsize:8;\tsigned:0;

        print fmt: "pages:%ld reason:%d", REC->pages, REC->reason

        """

    /// One 4 KiB ring-buffer page (include/linux/ring_buffer.h layout: u64 timestamp, u64
    /// commit, then records with a u32 `type_len:5 | time_delta:27` header) of tlb_flush events.
    static func page(timestamp: UInt64, events: [(delta: UInt32, pid: Int32, pages: UInt64)]) -> [UInt8] {
        var data: [UInt8] = []
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        for e in events {
            append(UInt32(24 / 4) | e.delta << 5)  // type_len 6: a 24-byte payload
            append(UInt16(188)); append(UInt8(0)); append(UInt8(0)); append(e.pid)
            append(Int32(1)); append(UInt32(0)); append(e.pages)
        }
        var page: [UInt8] = []
        withUnsafeBytes(of: timestamp.littleEndian) { page += $0 }
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { page += $0 }
        page += data
        return page + [UInt8](repeating: 0, count: 4096 - page.count)
    }

    @Test func pagesWrittenAsTraceDatDecodeInTimestampOrderWithTheirProvenance() throws {
        let cpu0 = Self.page(timestamp: 1_000_000_000, events: [(0, 42, 8), (1000, 42, 16)])
        let cpu1 = Self.page(timestamp: 1_000_000_500, events: [(0, 43, 1)])
        var provenance = RecordingProvenance()
        provenance.add("command", "fixed pages")
        let layout = TraceDatLayout(
            pageSize: 4096, headerPage: Array(Self.headerPage.utf8), headerEvent: Array(Self.headerEvent.utf8),
            ftraceFormats: [], eventSystems: [(name: "tlb", formats: [Array(Self.tlbFlushFormat.utf8)])],
            savedCmdlines: Array("42 worker\n43 other\n".utf8),
            options: [.traceClock("local [global]\n"), .version("pvtop test"),
                      TraceDatOption(id: TraceDatProvenance.optionID, data: Array(provenance.text.utf8) + [0])],
            cpuDataSizes: [4096, 4096])
        let (header, offsets) = layout.header()
        #expect(Array(header.prefix(10)) == [0x17, 0x08, 0x44] + Array("tracing".utf8))
        #expect(offsets.allSatisfy { $0 % 4096 == 0 } && offsets[1] == offsets[0] + 4096)
        #expect(UInt64(header.count) == offsets[0])

        let path = NSTemporaryDirectory() + "pvtop-datwriter-\(getpid()).dat"
        defer { unlink(path) }
        let writer = try TraceFileWriter(path: path)
        try layout.write(to: writer) { cpu, sink in
            try (cpu == 0 ? cpu0 : cpu1).withUnsafeBytes { try sink($0) }
        }
        try writer.finish()

        let reader = try TraceDatReader(path: path)
        var events: [KernelEvent] = []
        while let record = try reader.next() {
            if case .event(let e) = record { events.append(e) }
        }
        #expect(events.map(\.timestampNanoseconds) == [1_000_000_000, 1_000_000_500, 1_000_001_000])
        #expect(events.map(\.cpu) == [0, 1, 0])
        #expect(events.map(\.pid) == [42, 43, 42])
        let pages: [Int32] = events.compactMap { if case .tlbFlush(_, let p) = $0.kind { return p } else { return nil } }
        #expect(pages == [8, 1, 16])
        #expect(reader.header.clock == "global")
        #expect(reader.header.provenance.contains { $0.key == "command" && $0.value == "fixed pages" })
        #expect(reader.header.provenance.contains { $0.key == "trace-cmd-version" && $0.value == "pvtop test" })
        #expect(reader.diagnostics.warningCount == 0)
    }

    /// The header promises sizes; pages that do not match them are an error, not a corrupt file.
    @Test func cpuDataOfTheWrongSizeIsRefused() throws {
        let layout = TraceDatLayout(pageSize: 4096, headerPage: [], headerEvent: [], ftraceFormats: [],
                                    eventSystems: [], cpuDataSizes: [4096])
        let path = NSTemporaryDirectory() + "pvtop-datwriter-short-\(getpid()).dat"
        let writer = try TraceFileWriter(path: path)
        #expect(throws: RecordingError.self) {
            try layout.write(to: writer) { _, sink in try [UInt8](repeating: 0, count: 100).withUnsafeBytes { try sink($0) } }
        }
        writer.abandon()
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
