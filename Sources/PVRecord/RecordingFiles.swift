import PVTrace
#if canImport(Glibc)
import Glibc
#endif

// The recorder's file plumbing: the instance's `trace` read line by line, the body kept in a
// temporary file between the two passes, and the small formatters of provenance values.

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func formatMilliseconds(_ ns: UInt64) -> String {
    let tenths = (ns + 50_000) / 100_000
    return "\(tenths / 10).\(tenths % 10)"
}

func formatSeconds(_ s: Double) -> String {
    s == s.rounded() ? String(Int(s)) : String(s)
}

/// Calls `body` with each line (without its newline) of a file, read in 1 MiB chunks.
func forEachLine(ofFile path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw RecordingError.read(path: path, reason: errorText()) }
    defer { close(fd) }
    try forEachLine(fd: fd, body)
}

func forEachLine(fd: Int32, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    let size = 1 << 20
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
    defer { buf.deallocate() }
    var have = 0
    while true {
        if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
        let n = read(fd, buf.baseAddress! + have, size - have)
        if n < 0 {
            if errno == EINTR { continue }
            throw RecordingError.read(path: "/proc/self/fd/\(fd)", reason: errorText())
        }
        if n == 0 {
            if have > 0 { try body(UnsafeRawBufferPointer(rebasing: buf[0..<have])) }
            return
        }
        have += n
        var start = 0
        var i = 0
        while i < have {
            if buf[i] == 10 {
                try body(UnsafeRawBufferPointer(rebasing: buf[start..<i]))
                start = i + 1
            }
            i += 1
        }
        if start == 0 && have == size {
            // A line longer than the buffer: pass it on in pieces rather than fail.
            try body(UnsafeRawBufferPointer(buf))
            have = 0
            continue
        }
        if start < have {
            (buf.baseAddress! + 0).copyMemory(from: buf.baseAddress! + start, byteCount: have - start)
        }
        have -= start
    }
}

func copyFile(fd: Int32, to writer: TraceFileWriter) throws {
    lseek(fd, 0, SEEK_SET)
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
    defer { buf.deallocate() }
    while true {
        if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
        let n = read(fd, buf.baseAddress!, buf.count)
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw RecordingError.temporaryFile(reason: errorText()) }
        if n == 0 { return }
        try writer.write(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
    }
}

/// Buffered lines to a descriptor.
struct LineBodyWriter {
    let fd: Int32
    var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    mutating func append(_ line: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: line)
        buffer.append(10)
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        try buffer.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RecordingError.temporaryFile(reason: errorText())
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
