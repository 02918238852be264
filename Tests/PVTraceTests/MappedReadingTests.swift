import Foundation
import Testing
@testable import PVTrace

/// A plain file is parsed in its mapping; every answer must be the one the buffered reader
/// gives for the same bytes (records, header, warnings with their line numbers).
@Suite struct MappedReadingTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../traces").standardized.path

    struct Outcome: Equatable {
        var records: [TraceRecord]
        var header: TraceHeader
        var warnings: [String]
        var warningCount: UInt64
        var linesRead: UInt64
        var error: String?
    }

    static func outcome(_ source: TraceSource) -> Outcome {
        var out: [TraceRecord] = []
        var failure: String?
        do { while let r = try source.next() { out.append(r) } } catch { failure = "\(error)" }
        let d = source.diagnostics
        return Outcome(records: out, header: source.header, warnings: d.firstWarnings.map { "\($0.location) \($0.message)" },
                       warningCount: d.warningCount, linesRead: d.linesRead, error: failure)
    }

    /// The same bytes through the mapping (a file) and through read(2)-style chunks in memory.
    static func bothWays(_ bytes: [UInt8], bufferBytes: Int = FtraceTextReader.defaultBufferBytes,
                         strict: Bool = false) throws -> (mapped: Outcome, buffered: Outcome, wasMapped: Bool) {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.trace"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let mapped = FtraceTextReader(stream: try FileByteStream(path: path), name: "t.trace", strict: strict,
                                      bufferBytes: bufferBytes)
        let buffered = FtraceTextReader(stream: MemoryByteStream(bytes: bytes, chunk: 4096), name: "t.trace",
                                        strict: strict, bufferBytes: bufferBytes)
        return (outcome(mapped), outcome(buffered), mapped.isMapped)
    }

    static func decompressed(_ trace: String) throws -> [UInt8] {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/plain"
        #expect(try run(["xz", "-dc", "\(traces)/\(trace)"], stdout: out) == 0)
        return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    @Test(arguments: ["compile.trace.xz", "forkexec.trace.xz", "tlb-shootdown.trace.xz", "idle.trace.xz"])
    func aMappedBundledTraceReadsAsTheBufferedReaderReadsIt(trace: String) throws {
        let (mapped, buffered, wasMapped) = try Self.bothWays(try Self.decompressed(trace))
        #expect(wasMapped)
        #expect(mapped.records.count > 10_000)
        #expect(mapped == buffered)
    }

    @Test func openTraceMapsAPlainFileAfterSniffingItsStart() throws {
        let bytes = try Self.decompressed("forkexec.trace.xz")
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/forkexec.trace"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // openTrace peeks 16 KiB before it picks the reader: those bytes must not be lost or doubled.
        let opened = try openTrace(path: path)
        #expect((opened as? FtraceTextReader)?.isMapped == true)
        let viaOpen = Self.outcome(opened)
        let viaPath = try FtraceTextReader(path: path)
        #expect(viaPath.isMapped)
        let buffered = Self.outcome(FtraceTextReader(stream: MemoryByteStream(bytes: bytes), name: path))
        #expect(viaOpen == buffered)
        #expect(Self.outcome(viaPath) == buffered)
    }

    @Test func compressedInputIsNotMapped() throws {
        let reader = try FtraceTextReader(path: "\(Self.traces)/idle.trace.xz")
        #expect(!reader.isMapped)
        #expect(try events(reader).count > 1000)
    }

    @Test func aLineLongerThanTheLimitIsSkippedAsTheBufferedReaderSkipsIt() throws {
        let line = "  a-1 [000] .....  1.000000: sys_exit: NR 0 = 1\n"
        let long = "  a-1 [000] .....  1.000001: print: " + String(repeating: "x", count: 300) + "\n"
        for text in [line + long + line, line + long, line + String(long.dropLast()), long + line,
                     line + String(repeating: "y", count: 64) + "\n" + line] {
            let (mapped, buffered, wasMapped) = try Self.bothWays(Array(text.utf8), bufferBytes: 64)
            #expect(wasMapped)
            #expect(mapped == buffered)
        }
        let (mapped, _, _) = try Self.bothWays(Array((line + long + line).utf8), bufferBytes: 64)
        #expect(mapped.records.count == 2)
        #expect(mapped.warnings.contains { $0.hasPrefix("t.trace:2 ") && $0.contains("longer than 64 bytes") })
    }

    @Test func anUnterminatedLastLineAndCRLFLinesReadAsBuffered() throws {
        let text = "  a-1 [000] .....  1.000000: sys_exit: NR 0 = 1\r\n  a-1 [000] .....  1.000002: sys_exit: NR 0 = 2"
        let (mapped, buffered, _) = try Self.bothWays(Array(text.utf8))
        #expect(mapped.records.count == 2)
        #expect(mapped.warnings.contains { $0.contains("ends mid-line") })
        #expect(mapped == buffered)
    }

    @Test func binaryAndEmptyFilesAreRefusedAsWhenRead() throws {
        let datMagic: [UInt8] = [0x17, 0x08, 0x44] + Array("tracing6".utf8) + [UInt8](repeating: 0, count: 100)
        for bytes in [datMagic, [UInt8](repeating: 0, count: 5000), [UInt8](repeating: 0x41, count: 70_000), [], Array("\n\n".utf8)] {
            let (mapped, buffered, _) = try Self.bothWays(bytes)
            #expect(mapped.error != nil)
            #expect(mapped == buffered)
        }
    }

    /// Past `mappedReleaseStride` the pages behind the reader are dropped; what it reads after
    /// that must still be right.
    @Test func aFileLongerThanTheReleaseStrideReadsToTheEnd() throws {
        let line = Array("  a-1 [000] .....  1.000000: sys_exit: NR 0 = 1\n".utf8)
        let n = (FtraceTextReader.mappedReleaseStride * 2 + 12345) / line.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * line.count)
        for _ in 0..<n { bytes += line }
        let (mapped, buffered, wasMapped) = try Self.bothWays(bytes)
        #expect(wasMapped)
        #expect(mapped.records.count == n)
        #expect(mapped == buffered)
    }
}
