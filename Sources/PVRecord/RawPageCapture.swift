import CTraceCmd
import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// Each CPU's ring buffer of an instance, drained as raw pages once tracing has stopped:
/// libtracefs' `tracefs_cpu_open` + `tracefs_cpu_read` (non-blocking reads of
/// `per_cpu/cpuN/trace_pipe_raw`, Documentation/trace/ftrace.rst), one temporary file per CPU.
/// The kernel formats no text; the pages are what trace.dat stores (`RawLiveTraceSource`
/// reads the same pages while tracing, for `live`).
final class RawPageCapture {
    /// The ring buffer's sub-buffer size (`tracefs_cpu_read_size`), the size of every page read.
    private(set) var pageSize = Int(getpagesize())
    private var files: [(fd: Int32, path: String, size: UInt64)] = []

    var sizes: [UInt64] { files.map(\.size) }

    init(instance: TraceInstance) throws {
        guard let raw = tracefs_instance_alloc(instance.tracefs.root, instance.name) else {
            throw RecordingError.rawCaptureUnavailable(tracefsRoot: instance.tracefs.root)
        }
        defer { tracefs_instance_free(raw) }
        for cpu in 0..<instance.cpuCount {
            var template = Array("/tmp/pvtop-cpu\(cpu).XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { throw RecordingError.temporaryFile(reason: errorText()) }
            let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            files.append((fd, path, 0))
            guard let tcpu = tracefs_cpu_open(raw, Int32(cpu), true) else {
                throw RecordingError.read(path: "\(instance.path)/per_cpu/cpu\(cpu)/trace_pipe_raw", reason: errorText())
            }
            defer { tracefs_cpu_close(tcpu) }
            pageSize = Int(tracefs_cpu_read_size(tcpu))
            files[cpu].size = try drain(tcpu, pageSize: pageSize, into: fd, cpu: cpu)
        }
    }

    deinit {
        for f in files {
            close(f.fd)
            unlink(f.path)
        }
    }

    /// Reads pages until the buffer is empty (EAGAIN); every read is one whole page.
    private func drain(_ tcpu: OpaquePointer, pageSize: Int, into fd: Int32, cpu: Int) throws -> UInt64 {
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 8)
        defer { page.deallocate() }
        var total: UInt64 = 0
        while true {
            if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
            page.initializeMemory(as: UInt8.self, repeating: 0)
            let n = tracefs_cpu_read(tcpu, page.baseAddress, true)
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return total
            }
            // A short read is still one page on disk: trace.dat's reader walks whole pages.
            var done = 0
            while done < pageSize {
                let w = write(fd, page.baseAddress! + done, pageSize - done)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw RecordingError.temporaryFile(reason: errorText())
                }
                done += w
            }
            total += UInt64(pageSize)
        }
    }

    /// Hands CPU `cpu`'s pages to `sink` in 1 MiB chunks.
    func copy(cpu: Int, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = files[cpu].fd
        lseek(fd, 0, SEEK_SET)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress!, buf.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw RecordingError.temporaryFile(reason: errorText()) }
            if n == 0 { return }
            try sink(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }
}
