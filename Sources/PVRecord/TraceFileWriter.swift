import PVTrace
import CDecompress
#if canImport(Glibc)
import Glibc
#endif

/// Writes a trace to a file, xz- or gzip-compressed when the name ends in `.xz` / `.gz`
/// (so the reader's transparent decompression reads it back), or to standard output for `-`.
///
/// The bytes go through `OutputFile`: a regular file is written beside its final name and put
/// in place by `finish()`, so an interrupted recording never leaves a truncated trace under
/// the final name; a device or FIFO is written in place, never replaced.
public final class TraceFileWriter {
    public enum Compression: Sendable, Equatable {
        case none, gzip, xz

        /// From the file name, as `xz`/`gzip` name their output.
        public init(forPath path: String) {
            if path.hasSuffix(".xz") { self = .xz } else if path.hasSuffix(".gz") { self = .gzip } else { self = .none }
        }
    }

    public let path: String
    public let compression: Compression
    private let file: OutputFile
    private var pending: [UInt8] = []
    private var out: [UInt8]
    private var xz = cdz_lzma_stream_init()
    private var gz = z_stream()
    private var finished = false
    /// Bytes of uncompressed text accepted so far.
    public private(set) var bytesIn: UInt64 = 0
    /// Bytes written to the file (compressed size).
    public private(set) var bytesOut: UInt64 = 0

    private static let chunk = 1 << 16

    /// `xzPreset` 6 is xz's own default; 9 gains little on trace text and is much slower.
    public init(path: String, xzPreset: UInt32 = 6) throws {
        self.path = path
        compression = path == "-" ? .none : Compression(forPath: path)
        out = [UInt8](repeating: 0, count: Self.chunk)
        do {
            file = try OutputFile(path: path)
        } catch let e as OutputError {
            throw RecordingError.output(e)
        }
        switch compression {
        case .none: break
        case .xz:
            let rc = cdz_lzma_easy_encoder(&xz, xzPreset)
            guard rc == LZMA_OK else {
                finished = true  // deinit runs after a throwing init: close only once
                closeAndRemove()
                throw RecordingError.encoder(library: "liblzma", code: Int32(rc.rawValue))
            }
        case .gzip:
            let rc = cdz_deflate_init_gzip(&gz, 6)
            guard rc == Z_OK else {
                finished = true  // deinit runs after a throwing init: close only once
                closeAndRemove()
                throw RecordingError.encoder(library: "zlib", code: rc)
            }
        }
        pending.reserveCapacity(Self.chunk)
    }

    /// An unfinished writer (an error or signal unwound past it) leaves no file behind.
    deinit { abandon() }

    public func write(_ text: String) throws {
        var t = text
        try t.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        bytesIn += UInt64(bytes.count)
        pending.append(contentsOf: bytes)
        if pending.count >= Self.chunk { try flushPending(final: false) }
    }

    /// Ends the compressed stream, closes the file and moves it to its final name.
    public func finish() throws {
        guard !finished else { return }
        try flushPending(final: true)
        finished = true
        switch compression {
        case .none: break
        case .xz: lzma_end(&xz)
        case .gzip: deflateEnd(&gz)
        }
        do {
            try file.commit()
        } catch let e as OutputError {
            throw RecordingError.output(e)
        }
    }

    /// Drops the partial output (used when a recording is interrupted).
    public func abandon() {
        guard !finished else { return }
        finished = true
        switch compression {
        case .none: break
        case .xz: lzma_end(&xz)
        case .gzip: deflateEnd(&gz)
        }
        closeAndRemove()
    }

    private func closeAndRemove() {
        file.abandon()
    }

    private func flushPending(final: Bool) throws {
        switch compression {
        case .none:
            try pending.withUnsafeBytes { try writeAll($0) }
        case .xz:
            try pending.withUnsafeBytes { src in
                xz.next_in = src.baseAddress?.assumingMemoryBound(to: UInt8.self)
                xz.avail_in = src.count
                while true {
                    let ret: lzma_ret = try out.withUnsafeMutableBytes { dst in
                        xz.next_out = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
                        xz.avail_out = dst.count
                        let r = lzma_code(&xz, final ? LZMA_FINISH : LZMA_RUN)
                        try writeAll(UnsafeRawBufferPointer(rebasing: dst[..<(dst.count - xz.avail_out)]))
                        return r
                    }
                    if ret == LZMA_STREAM_END { break }
                    guard ret == LZMA_OK else { throw RecordingError.encoder(library: "liblzma", code: Int32(ret.rawValue)) }
                    if !final && xz.avail_in == 0 { break }
                }
                xz.next_in = nil
            }
        case .gzip:
            try pending.withUnsafeMutableBytes { src in
                gz.next_in = src.baseAddress?.assumingMemoryBound(to: UInt8.self)
                gz.avail_in = UInt32(src.count)
                while true {
                    let ret: Int32 = try out.withUnsafeMutableBytes { dst in
                        gz.next_out = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
                        gz.avail_out = UInt32(dst.count)
                        let r = deflate(&gz, final ? Z_FINISH : Z_NO_FLUSH)
                        try writeAll(UnsafeRawBufferPointer(rebasing: dst[..<(dst.count - Int(gz.avail_out))]))
                        return r
                    }
                    if ret == Z_STREAM_END { break }
                    guard ret == Z_OK || ret == Z_BUF_ERROR else { throw RecordingError.encoder(library: "zlib", code: ret) }
                    if !final && gz.avail_in == 0 { break }
                }
                gz.next_in = nil
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try file.write(bytes)
        } catch let e as OutputError {
            throw RecordingError.output(e)
        }
        bytesOut += UInt64(bytes.count)
    }
}
