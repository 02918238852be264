import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// `pvtop record`: one instance, the workload between two trace markers, then the buffer
/// read once after tracing stopped (reading during the run would trace the reader itself,
/// Documentation/trace/ftrace.rst, "set_event_notrace_pid"), optionally cropped, counted, and written with a provenance header.
public struct TraceRecorder {
    public struct Options: Sendable {
        /// The workload; empty = system-wide for `duration` seconds.
        public var command: [String]
        public var duration: Double?
        public var eventSet: TraceEventSet
        public var bufferKB: Int
        public var crop: Bool
        /// Output path (`.xz` / `.gz` compress), or `-` for standard output.
        public var output: String

        public init(command: [String], duration: Double? = nil, eventSet: TraceEventSet = .light,
                    bufferKB: Int = 262_144, crop: Bool = false, output: String) {
            self.command = command
            self.duration = duration
            self.eventSet = eventSet
            self.bufferKB = bufferKB
            self.crop = crop
            self.output = output
        }
    }

    public struct Summary: Sendable {
        public var provenance: RecordingProvenance
        public var eventCounts: [String: UInt64]
        public var lostPerCPU: [TraceInstance.CPUStats]
        public var missingEvents: [String]
        public var termination: ChildProcess.Termination?
        public var linesWritten: UInt64
        public var bytesWritten: UInt64
        /// The stop signal (SIGINT/SIGTERM/SIGHUP) that ended the recording early; the trace
        /// up to that point was still written.
        public var interruptedBy: Int32?
        public var totalLost: UInt64 { lostPerCPU.reduce(0) { $0 + $1.lost } }
    }

    public let options: Options
    /// Warnings and progress go here (stderr in the command).
    public let log: (String) -> Void

    public init(options: Options, log: @escaping (String) -> Void) {
        self.options = options
        self.log = log
    }

    public func run() throws -> Summary {
        StopSignals.install()
        let me = getpid()
        let tracefs = try Tracefs.open()
        for name in tracefs.removeStaleInstances() {
            log("warning: removed \(name), left behind by a pvtop that no longer runs")
        }
        let instance: TraceInstance
        do {
            instance = try TraceInstance(tracefs: tracefs, configuration: .init(
                eventSet: options.eventSet, bufferKB: options.bufferKB, clock: "global", overwrite: false))
        } catch {
            tracefs.release()
            throw error
        }
        defer { instance.close() }
        // Created first so an unwritable output fails before the workload runs, not after.
        let writer = try TraceFileWriter(path: options.output)
        for e in instance.missingEvents {
            log("warning: tracepoint \(e.name) does not exist on this kernel; not recorded")
        }
        let tag = "pvtop-\(me)"
        let startText = "WORKLOAD_START \(tag)"
        let endText = "WORKLOAD_END \(tag)"

        try instance.start()
        try instance.mark(startText)
        let t0 = monotonicNanoseconds()
        var termination: ChildProcess.Termination? = nil
        var workloadPid: Int32? = nil
        if options.command.isEmpty {
            let deadline = t0 + UInt64((options.duration ?? 1) * 1e9)
            while StopSignals.pending == nil {
                let now = monotonicNanoseconds()
                if now >= deadline { break }
                sleepUntilSignal(milliseconds: Int(min(500, (deadline - now) / 1_000_000 + 1)))
            }
        } else {
            let child: ChildProcess
            do { child = try ChildProcess.spawn(options.command) } catch {
                instance.stop()
                throw error
            }
            workloadPid = child.pid
            termination = child.wait().0
        }
        try? instance.mark(endText)
        let tracedNanoseconds = monotonicNanoseconds() - t0
        instance.stop()
        // A stop signal ends the recording, not the work: what was traced is still written
        // (nothing a user asked to write is lost). A second signal abandons the write.
        let interruptedBy = StopSignals.pending
        if interruptedBy != nil { StopSignals.acknowledge() }

        let stats = instance.cpuStats()
        let cropper = options.crop
            ? TraceCropper(startMarker: startText, endMarker: endText, workloadPid: workloadPid, recorderPid: me)
            : nil
        // Pass 1: the instance's `trace` -> cropped, counted body in a temporary file.
        var template = Array("/tmp/pvtop-record.XXXXXX".utf8CString)
        let tmpFD = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard tmpFD >= 0 else { throw RecordingError.output("cannot create a temporary file in /tmp: \(errorText())") }
        let tmpPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer {
            close(tmpFD)
            unlink(tmpPath)
        }
        var body = LineBodyWriter(fd: tmpFD)
        var headerLines: [String] = []
        var counts: [String: UInt64] = [:]
        var kept: UInt64 = 0
        try forEachLine(ofFile: instance.path + "/trace") { line in
            if line.first == UInt8(ascii: "#") {
                if kept == 0 { headerLines.append(String(decoding: line, as: UTF8.self)) }
                return
            }
            if let cropper, !cropper.keep(line) { return }
            if let scan = TraceLineScan(line) { counts[scan.eventName(line), default: 0] += 1 }
            kept += 1
            try body.append(line)
        }
        try body.flush()
        if let cropper, !cropper.sawEnd {
            log("warning: the END marker is missing (buffer full?); the cropped trace ends where the buffer did")
        }
        let missing = instance.missingEvents.map(\.name)
        instance.close()

        let lost = stats.reduce(0) { $0 + $1.lost }
        if lost > 0 {
            log("warning: \(lost) events lost (" + stats.filter { $0.lost > 0 }
                .map { "cpu\($0.cpu): overrun \($0.overrun) dropped \($0.dropped)" }.joined(separator: ", ")
                + "); raise --buffer-kb (now \(options.bufferKB))")
        }

        var p = RecordingProvenance()
        let machine = MachineInfo.current()
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("date", utcTimestamp())
        p.add("command", options.command.isEmpty ? "" : shellQuoted(options.command))
        if options.command.isEmpty { p.add("system-wide-seconds", formatSeconds(options.duration ?? 1)) }
        if let termination { p.add("exit", termination.description) }
        p.add("traced-ms", formatMilliseconds(tracedNanoseconds))
        p.add("kernel", machine.kernelRelease)
        p.add("kernel-version", machine.kernelVersion)
        p.add("cpu-model", machine.cpuModel)
        p.add("cpus", String(stats.isEmpty ? machine.cpuCount : stats.count))
        p.add("virtualized", machine.virtualized ? "yes (hypervisor CPUID flag)" : "no")
        p.add("clock", instance.configuration.clock)
        p.add("event-set", options.eventSet.rawValue)
        p.add("buffer-kb", String(options.bufferKB))
        p.add("missing-events", missing.joined(separator: ","))
        p.add("markers", "\(startText) / \(endText)")
        if let cropper {
            p.add("cropped", workloadPid.map { "yes: lines between the markers of process tree \($0) (\(cropper.tree.count) task\(cropper.tree.count == 1 ? "" : "s")), idle and interrupt context; \(cropper.droppedLines) lines removed" }
                ?? "yes: lines between the markers, without pvtop's own; \(cropper.droppedLines) lines removed")
        } else {
            p.add("cropped", "no")
        }
        if let sig = interruptedBy { p.add("interrupted", "signal \(sig): the trace ends where it was stopped") }
        p.add("lost", String(lost))
        p.add("lost-per-cpu", stats.map { "cpu\($0.cpu):overrun=\($0.overrun),dropped=\($0.dropped)" }.joined(separator: " "))
        p.addCounts(counts)

        // Pass 2: provenance + header + body -> the output, compressed by its name.
        do {
            try writer.write(p.text)
            for h in headerLines { try writer.write(rewriteEntriesLine(h, kept: kept, lost: lost) + "\n") }
            try copyFile(fd: tmpFD, to: writer)
            if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        return Summary(provenance: p, eventCounts: counts, lostPerCPU: stats, missingEvents: missing,
                       termination: termination, linesWritten: kept, bytesWritten: writer.bytesOut,
                       interruptedBy: interruptedBy)
    }
}

/// `# entries-in-buffer/entries-written: A/B   #P:n` -> the lines actually kept, and kept +
/// lost, so `entries-in-buffer < entries-written` still signals loss to the reader
/// (Documentation/trace/ftrace.rst "per_cpu/cpuX/stats"; dropped events, unlike overruns, are not in the kernel's B).
func rewriteEntriesLine(_ line: String, kept: UInt64, lost: UInt64) -> String {
    guard line.hasPrefix("# entries-in-buffer/entries-written:"), let hashP = line.rangeOfLiteral("#P:") else { return line }
    return "# entries-in-buffer/entries-written: \(kept)/\(kept + lost)   " + line[hashP.lowerBound...]
}

extension String {
    func rangeOfLiteral(_ s: String) -> Range<String.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(s) { return i..<(index(i, offsetBy: s.count)) }
            i = index(after: i)
        }
        return nil
    }
}

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
    guard fd >= 0 else { throw RecordingError.output("cannot read \(path): \(errorText())") }
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
            throw RecordingError.output("read: \(errorText())")
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

private func copyFile(fd: Int32, to writer: TraceFileWriter) throws {
    lseek(fd, 0, SEEK_SET)
    let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
    defer { buf.deallocate() }
    while true {
        if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
        let n = read(fd, buf.baseAddress!, buf.count)
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw RecordingError.output("read temporary file: \(errorText())") }
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
                    throw RecordingError.output("write temporary file: \(errorText())")
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
