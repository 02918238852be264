#if canImport(Glibc)
import Glibc
#endif

/// Opens any trace pvtop reads, choosing the reader by content, never by extension:
/// trace.dat (also inside .gz / .xz) → `TraceDatReader`; `perf script` text →
/// `PerfScriptReader`; ftrace text (tracefs, trace-cmd report) → `FtraceTextReader`.
/// Other tools' files (perf.data, JSON exports) are refused with one line naming the
/// command that converts them. `-` is standard input.
public func openTrace(path: String, strict: Bool = false,
                      maxGapNanoseconds: UInt64 = TraceTimeline.defaultMaxJumpNanoseconds) throws -> TraceSource {
    let name = path == "-" ? "<stdin>" : path
    let file = try FileByteStream(path: path)
    let head = try file.peek(16)
    if head.starts(with: TraceDatReader.magic) {
        if path != "-" {
            file.close()
            return try TraceDatReader(path: path, strict: strict)
        }
        return try TraceDatReader(spooling: file, name: name, strict: strict)
    }
    if let hint = KnownForeignFormat.binary(head) { throw TraceError(file: name, line: 0, message: hint) }

    let decompressed: ByteStream
    if head.count >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        decompressed = try GzipByteStream(wrapping: file, name: name)
    } else if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) {
        decompressed = try XzByteStream(wrapping: file, name: name)
    } else {
        decompressed = file
    }
    let stream = PeekableByteStream(decompressed)
    let start = try stream.peek(PeekableByteStream.sniffBytes)
    if start.starts(with: TraceDatReader.magic) {
        return try TraceDatReader(spooling: stream, name: name, strict: strict)
    }
    if let hint = KnownForeignFormat.binary(start) ?? KnownForeignFormat.text(start) {
        throw TraceError(file: name, line: 0, message: hint)
    }
    if PerfScriptReader.looksLikePerfScript(start) {
        return PerfScriptReader(stream: stream, name: name, strict: strict)
    }
    return FtraceTextReader(stream: stream, name: name, strict: strict, maxGapNanoseconds: maxGapNanoseconds)
}

/// Files of neighbouring tools that are not traces pvtop can read as they are, each with the
/// command that turns it into one it can.
enum KnownForeignFormat {
    /// By magic bytes.
    static func binary(_ head: [UInt8]) -> String? {
        // perf.data: "PERFILE2" (tools/perf/util/header.c, perf_file_header.magic).
        if head.starts(with: Array("PERFILE2".utf8)) {
            return "this is perf's binary perf.data; convert it with `perf script -i FILE > FILE.txt` "
                + "(recorded with tracepoints, e.g. perf record -e 'sched:*,raw_syscalls:*,exceptions:*,tlb:*,irq_vectors:*') "
                + "and replay that"
        }
        // CTF stream packets (LTTng, babeltrace): magic 0xC1FC1FC1, little or big endian.
        if head.starts(with: [0xc1, 0x1f, 0xfc, 0xc1]) || head.starts(with: [0xc1, 0xfc, 0x1f, 0xc1]) {
            return "this is a CTF trace (LTTng); pvtop reads ftrace events: record with `pvtop record` or `trace-cmd record` instead"
        }
        return nil
    }

    /// By the first text.
    static func text(_ start: [UInt8]) -> String? {
        var i = 0
        while i < start.count, start[i] == 0x20 || start[i] == 0x0a || start[i] == 0x0d || start[i] == 0x09 { i += 1 }
        guard i < start.count else { return nil }
        if start[i] == UInt8(ascii: "{") || start[i] == UInt8(ascii: "[") {
            let text = String(decoding: start[i..<min(start.count, i + 4096)], as: UTF8.self)
            if text.contains("\"traceEvents\"") || text.contains("\"ph\"") {
                return "this is Chrome trace-event JSON (e.g. perf data convert --to-json or Perfetto); pvtop reads the "
                    + "kernel's own formats: `trace-cmd report trace.dat`, `perf script`, or the trace.dat itself"
            }
            return "this is JSON, not a trace pvtop reads; give it ftrace text (`trace-cmd report trace.dat`), "
                + "a trace.dat, or `perf script` output of tracepoint events"
        }
        return nil
    }
}

/// A stream whose first bytes can be looked at before the reader starts (format detection
/// on a pipe or a decompressor cannot seek back).
final class PeekableByteStream: MappableByteStream {
    /// Enough for a few hundred lines: perf script's first event line, a JSON export's keys.
    static let sniffBytes = 16 * 1024
    private let source: ByteStream
    private var pending: [UInt8] = []
    private var offset = 0

    init(_ source: ByteStream) { self.source = source }

    /// Up to `count` first bytes (fewer at the end of input); later reads return them again.
    func peek(_ count: Int) throws -> [UInt8] {
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        while pending.count < count {
            let n = try scratch.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            pending.append(contentsOf: scratch[0..<n])
        }
        return Array(pending.prefix(count))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < pending.count {
            let n = min(buffer.count, pending.count - offset)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            if offset == pending.count { pending = []; offset = 0 }
            return n
        }
        return try source.read(into: buffer)
    }

    /// The source's mapping, from the first byte not yet read here (those peeked sit just
    /// before the source's position).
    func mapRemainder() -> UnsafeRawBufferPointer? {
        guard let source = source as? MappableByteStream, let rest = source.mapRemainder(),
              let base = rest.baseAddress else { return nil }
        let unread = pending.count - offset
        pending = []
        offset = 0
        return UnsafeRawBufferPointer(start: base - unread, count: rest.count + unread)
    }

    func close() { source.close() }
}
