import PVTrace
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Live kernel events for `pvtop live`: an own instance read through `trace_pipe`
/// (consuming, in the same text format as `trace`), preceded by a provenance block and a
/// tracefs-style header with `#P:` so the text reader treats it like a recorded file.
///
/// pvtop's own threads are excluded with `set_event_notrace_pid` (+ `event-fork`, so threads
/// it starts later are excluded too): reading trace_pipe while tracing yourself feeds back
/// (Documentation/trace/ftrace.rst, "set_event_notrace_pid"). `read` polls with a 100 ms timeout and returns 0 once `stop()` was
/// called or `shouldStop` says so; `close()` removes the instance (also on error paths).
public final class LiveTraceStream: ByteStream {
    public let instance: TraceInstance
    private let fd: Int32
    private var prefix: [UInt8]
    private var prefixOffset = 0
    private let shouldStop: @Sendable () -> Bool
    private let stopped = Atomic<Bool>(false)
    private var closed = false

    /// - Parameters:
    ///   - bufferKB: per-CPU ring; the reader drains it continuously, so a few MiB suffice.
    ///   - shouldStop: polled between reads (e.g. the command's signal flag).
    public init(eventSet: TraceEventSet = .light, bufferKB: Int = 8192,
                shouldStop: @escaping @Sendable () -> Bool = { StopSignals.pending != nil }) throws {
        self.shouldStop = shouldStop
        let tracefs = try Tracefs.open()
        tracefs.removeStaleInstances()
        let me = getpid()
        let instance: TraceInstance
        do {
            // overwrite=1: if the reader falls behind, trace_pipe reports `[LOST n EVENTS]`
            // and the newest events win, which is what a live view wants.
            instance = try TraceInstance(tracefs: tracefs, configuration: .init(
                eventSet: eventSet, bufferKB: bufferKB, clock: "global", overwrite: true,
                notracePids: ownThreadIDs()))
        } catch {
            tracefs.release()
            throw error
        }
        self.instance = instance
        try? writeControl(instance.path + "/options/event-fork", "1")
        let f = open(instance.path + "/trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else {
            let why = errorText()
            instance.close()
            throw RecordingError.tracefsWrite(path: instance.path + "/trace_pipe", reason: why)
        }
        fd = f
        var p = RecordingProvenance()
        let machine = MachineInfo.current()
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("live", "true (trace_pipe of instance \(instance.name); pvtop pid \(me) not traced)")
        p.add("date", utcTimestamp())
        p.add("kernel", machine.kernelRelease)
        p.add("cpu-model", machine.cpuModel)
        p.add("cpus", String(instance.cpuCount))
        p.add("virtualized", machine.virtualized ? "yes (hypervisor CPUID flag)" : "no")
        p.add("clock", instance.configuration.clock)
        p.add("event-set", eventSet.rawValue)
        p.add("missing-events", instance.missingEvents.map(\.name).joined(separator: ","))
        prefix = Array((p.text + ftraceHeader(entries: 0, cpus: instance.cpuCount)).utf8)
        do {
            try instance.start()
        } catch {
            Glibc.close(fd)
            instance.close()
            throw error
        }
    }

    deinit { close() }

    /// Makes the next (or a blocked) `read` return 0. Callable from any thread.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !closed, buffer.count > 0 else { return 0 }
        if prefixOffset < prefix.count {
            let n = min(buffer.count, prefix.count - prefixOffset)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + prefixOffset, byteCount: n)
            }
            prefixOffset += n
            return n
        }
        while true {
            if stopped.load(ordering: .relaxed) || shouldStop() { return 0 }
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n == 0 || errno == EAGAIN || errno == EINTR {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 100)
                continue
            }
            throw RecordingError.read(path: instance.path + "/trace_pipe", reason: errorText())
        }
    }

    /// Tracing off, events cleared, instance removed (and tracefs unmounted if we mounted it).
    public func close() {
        guard !closed else { return }
        closed = true
        instance.stop()
        Glibc.close(fd)
        instance.close()
    }
}

/// All thread ids of this process (`/proc/self/task`).
func ownThreadIDs() -> [Int32] {
    guard let dir = opendir("/proc/self/task") else { return [getpid()] }
    defer { closedir(dir) }
    var ids: [Int32] = []
    while let e = readdir(dir) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if let id = Int32(name) { ids.append(id) }
    }
    return ids.isEmpty ? [getpid()] : ids.sorted()
}
