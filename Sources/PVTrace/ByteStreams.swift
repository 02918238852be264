import CDecompress
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Size of the read and decompression buffers. Large enough that read(2) and the inflaters run
/// a few thousand times per GiB, small enough to stay in L2.
let traceIOChunkBytes = 256 * 1024

private func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// A stream whose remaining bytes can be mapped into memory at once (a plain regular file), so
/// a reader parses them where they are instead of copying them through read(2): the copy
/// (the kernel's copy_to_iter) was about 12 % of the text reader's time in a profile.
public protocol MappableByteStream: ByteStream {
    /// The bytes from the current position to the end of the input, mapped read-only and valid
    /// until `close()`; later reads return nothing. Nil (and nothing consumed) when the input
    /// cannot be mapped: a pipe, a terminal, an empty file, a failed mmap(2).
    func mapRemainder() -> UnsafeRawBufferPointer?
}

/// read(2) on a path or an already open descriptor (stdin, a pipe, tracefs `trace_pipe`).
/// A regular file can be mapped instead (`MappableByteStream`).
///
/// Caveat of a mapped file: truncating it while pvtop reads it raises SIGBUS (mmap(2)); a
/// growing file is read up to the size it had when it was mapped.
public final class FileByteStream: MappableByteStream {
    public let name: String
    private var fd: Int32
    private let ownsDescriptor: Bool
    /// Bytes read ahead by `peek` (magic detection on a pipe cannot seek back), served first.
    private var pending: [UInt8] = []
    private var pendingOffset = 0
    /// The whole file, once `mapRemainder` mapped it.
    private var mapping: UnsafeMutableRawBufferPointer?

    /// Opens `path` read-only; `-` means standard input.
    public init(path: String) throws {
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
            name = "<stdin>"
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        if opened < 0 {
            throw TraceError(file: path, line: 0, message: "cannot open: \(errnoText(errno))")
        }
        var info = stat()
        if fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            _ = Glibc.close(opened)
            throw TraceError(file: path, line: 0, message: "is a directory, not a trace file")
        }
        fd = opened
        ownsDescriptor = true
        name = path
    }

    /// Wraps a descriptor the caller opened; `closeOnDeinit` hands its ownership over.
    public init(fileDescriptor: Int32, name: String, closeOnDeinit: Bool = false) {
        fd = fileDescriptor
        ownsDescriptor = closeOnDeinit
        self.name = name
    }

    deinit { close() }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if pendingOffset < pending.count {
            let n = min(buffer.count, pending.count - pendingOffset)
            pending.withUnsafeBytes { src in
                base.copyMemory(from: src.baseAddress! + pendingOffset, byteCount: n)
            }
            pendingOffset += n
            if pendingOffset == pending.count { pending = []; pendingOffset = 0 }
            return n
        }
        guard fd >= 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw TraceError(file: name, line: 0, message: "read failed: \(errnoText(errno))")
        }
    }

    /// Up to `count` first bytes, which later reads return again.
    public func peek(_ count: Int) throws -> [UInt8] {
        var scratch = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = try scratch.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
            }
            if n == 0 { break }
            filled += n
        }
        scratch.removeLast(count - filled)
        pending = scratch + pending[pendingOffset...]
        pendingOffset = 0
        return scratch
    }

    public func mapRemainder() -> UnsafeRawBufferPointer? {
        guard fd >= 0, mapping == nil else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let position = lseek(fd, 0, SEEK_CUR)
        let size = Int(info.st_size)
        // Bytes `peek` read ahead sit just before the file position.
        let offset = Int(position) - (pending.count - pendingOffset)
        guard position >= 0, offset >= 0, size > offset else { return nil }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              base != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        _ = madvise(base, size, MADV_SEQUENTIAL)  // read-ahead, as read(2) of the file would get
        mapping = UnsafeMutableRawBufferPointer(start: base, count: size)
        pending = []
        pendingOffset = 0
        _ = lseek(fd, 0, SEEK_END)
        return UnsafeRawBufferPointer(start: base + offset, count: size - offset)
    }

    public func close() {
        if let mapping { _ = munmap(mapping.baseAddress, mapping.count) }
        mapping = nil
        if ownsDescriptor && fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}

/// gzip (or zlib) decompression of another stream, including concatenated members
/// (`cat a.gz b.gz`), as gzip(1) accepts them.
public final class GzipByteStream: ByteStream {
    public let name: String
    private let source: ByteStream
    private let zs: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var finished = false
    private var live = false

    public init(wrapping source: ByteStream, name: String) throws {
        self.source = source
        self.name = name
        zs = .allocate(capacity: 1)
        zs.initialize(to: z_stream())
        input = .allocate(byteCount: traceIOChunkBytes, alignment: 16)
        let rc = cdz_inflate_init_gzip(zs)
        guard rc == Z_OK else {
            zs.deallocate(); input.deallocate()
            throw TraceError(file: name, line: 0, message: "zlib init failed (\(rc))")
        }
        live = true
    }

    deinit {
        if live { inflateEnd(zs) }
        zs.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0, !finished else { return 0 }
        zs.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
        zs.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while zs.pointee.avail_out > 0 {
            if zs.pointee.avail_in == 0 && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 { inputEnded = true } else {
                    zs.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    zs.pointee.avail_in = UInt32(n)
                }
            }
            if zs.pointee.avail_in == 0 && inputEnded { break }
            let rc = inflate(zs, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                // Another gzip member may follow (gzip -c a b, or cat of two .gz files).
                if zs.pointee.avail_in == 0 {
                    let n = try source.read(into: input)
                    if n == 0 { finished = true; break }
                    zs.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    zs.pointee.avail_in = UInt32(n)
                }
                inflateReset(zs)
                continue
            }
            if rc == Z_BUF_ERROR { continue }  // no progress possible yet: refill input
            if rc != Z_OK { throw corrupt(rc) }
        }
        let produced = buffer.count - Int(zs.pointee.avail_out)
        if produced == 0 && inputEnded && !finished {
            throw TraceError(file: name, line: 0, message: "truncated gzip data (unexpected end of file)")
        }
        return produced
    }

    private func corrupt(_ rc: Int32) -> TraceError {
        let detail = zs.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
        return TraceError(file: name, line: 0, message: "corrupt gzip data: \(detail)")
    }

    public func close() { source.close() }
}

/// xz / lzma decompression of another stream (multi-stream files included).
public final class XzByteStream: ByteStream {
    public let name: String
    private let source: ByteStream
    private let ls: UnsafeMutablePointer<lzma_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var finished = false

    public init(wrapping source: ByteStream, name: String) throws {
        self.source = source
        self.name = name
        ls = .allocate(capacity: 1)
        ls.initialize(to: cdz_lzma_stream_init())
        input = .allocate(byteCount: traceIOChunkBytes, alignment: 16)
        let rc = cdz_lzma_stream_decoder(ls)
        guard rc == LZMA_OK else {
            ls.deallocate(); input.deallocate()
            throw TraceError(file: name, line: 0, message: "liblzma init failed (\(rc.rawValue))")
        }
    }

    deinit {
        lzma_end(ls)
        ls.deallocate()
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0, !finished else { return 0 }
        ls.pointee.next_out = out.assumingMemoryBound(to: UInt8.self)
        ls.pointee.avail_out = buffer.count
        while ls.pointee.avail_out > 0 {
            if ls.pointee.avail_in == 0 && !inputEnded {
                let n = try source.read(into: input)
                if n == 0 { inputEnded = true } else {
                    ls.pointee.next_in = UnsafePointer(input.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    ls.pointee.avail_in = n
                }
            }
            let rc = lzma_code(ls, inputEnded ? LZMA_FINISH : LZMA_RUN)
            if rc == LZMA_STREAM_END { finished = true; break }
            if rc == LZMA_OK { continue }
            if rc == LZMA_BUF_ERROR && inputEnded {
                throw TraceError(file: name, line: 0, message: "truncated xz data (unexpected end of file)")
            }
            throw TraceError(file: name, line: 0, message: "corrupt xz data: \(Self.describe(rc))")
        }
        return buffer.count - ls.pointee.avail_out
    }

    private static func describe(_ rc: lzma_ret) -> String {
        switch rc {
        case LZMA_FORMAT_ERROR: return "not in .xz format"
        case LZMA_DATA_ERROR: return "compressed data is corrupt"
        case LZMA_MEM_ERROR: return "out of memory"
        case LZMA_OPTIONS_ERROR: return "unsupported options"
        case LZMA_BUF_ERROR: return "unexpected end of input"
        default: return "liblzma error \(rc.rawValue)"
        }
    }

    public func close() { source.close() }
}

/// Opens a trace file (or `-` for stdin), decompressing by content: gzip magic `1f 8b`,
/// xz magic `fd 37 7a 58 5a 00`. The extension is ignored on purpose (`trace.txt` may be xz).
public func openTraceStream(path: String) throws -> ByteStream {
    let file = try FileByteStream(path: path)
    let magic = try file.peek(6)
    if magic.count >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
        return try GzipByteStream(wrapping: file, name: file.name)
    }
    if magic == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] {
        return try XzByteStream(wrapping: file, name: file.name)
    }
    return file
}
