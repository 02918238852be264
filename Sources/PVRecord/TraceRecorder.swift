import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// `pvtop record`: one instance, the workload between two trace markers, then the buffer
/// read once after tracing stopped (reading during the run would trace the reader itself,
/// Documentation/trace/ftrace.rst, "set_event_notrace_pid"), optionally cropped, counted, and
/// written with a provenance header.
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
        /// The stop signal that ended the recording early; the trace up to that point was
        /// still written.
        public var interruptedBy: Int32?
        public var totalLost: UInt64 { lostPerCPU.reduce(0) { $0 + $1.lost } }
    }

    public let options: Options
    /// What the recording worked around (the command words and prints it).
    public let warn: (RecordingWarning) -> Void

    public init(options: Options, warn: @escaping (RecordingWarning) -> Void) {
        self.options = options
        self.warn = warn
    }

    public func run() throws -> Summary {
        StopSignals.install()
        let instance = try openInstance()
        defer { instance.close() }
        // Created before the workload runs, so an unwritable output fails first, not after.
        let writer = try TraceFileWriter(path: options.output)
        let run = try traceWorkload(in: instance)
        // A stop signal ends the recording, not the work: what was traced is still written
        // (nothing a user asked to write is lost). A second signal abandons the write.
        if run.interruptedBy != nil { StopSignals.acknowledge() }
        let stats = instance.cpuStats()
        let body = try TextBody(from: instance, cropper: cropper(for: run))
        if let cropper = body.cropper, !cropper.sawEnd { warn(.endMarkerMissing) }
        let missing = instance.missingEvents.map(\.name)
        instance.close()
        let lost = stats.reduce(0) { $0 + $1.lost }
        if lost > 0 { warn(.eventsLost(total: lost, perCPU: stats, bufferKB: options.bufferKB)) }
        let provenance = provenance(of: run, instance: instance, stats: stats, missing: missing,
                                    cropper: body.cropper, counts: body.counts)
        do {
            try writer.write(provenance.text)
            try body.write(to: writer, lost: lost)
            if let sig = StopSignals.pending { throw RecordingError.interrupted(signal: sig) }
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
        return Summary(provenance: provenance, eventCounts: body.counts, lostPerCPU: stats, missingEvents: missing,
                       termination: run.termination, linesWritten: body.kept, bytesWritten: writer.bytesOut,
                       interruptedBy: run.interruptedBy)
    }

    /// tracefs found (or mounted), instances of dead pvtops removed, ours configured.
    func openInstance() throws -> TraceInstance {
        let tracefs = try Tracefs.open()
        for name in tracefs.removeStaleInstances() { warn(.removedStaleInstance(name)) }
        let instance: TraceInstance
        do {
            instance = try TraceInstance(tracefs: tracefs, configuration: .init(
                eventSet: options.eventSet, bufferKB: options.bufferKB, clock: "global", overwrite: false))
        } catch {
            tracefs.release()
            throw error
        }
        for e in instance.missingEvents { warn(.tracepointMissing(e.name)) }
        return instance
    }

    /// What happened between the markers.
    struct WorkloadRun {
        var startMarker: String
        var endMarker: String
        var workloadPid: Int32?
        var termination: ChildProcess.Termination?
        var tracedNanoseconds: UInt64
        var interruptedBy: Int32?
    }

    /// Tracing on, START marker, the command (or the system-wide wait), END marker, tracing off.
    func traceWorkload(in instance: TraceInstance) throws -> WorkloadRun {
        let tag = "pvtop-\(getpid())"
        var run = WorkloadRun(startMarker: "WORKLOAD_START \(tag)", endMarker: "WORKLOAD_END \(tag)",
                              tracedNanoseconds: 0)
        try instance.start()
        try instance.mark(run.startMarker)
        let t0 = monotonicNanoseconds()
        if options.command.isEmpty {
            waitSystemWide(until: t0 + UInt64((options.duration ?? 1) * 1e9))
        } else {
            let child: ChildProcess
            do { child = try ChildProcess.spawn(options.command) } catch {
                instance.stop()
                throw error
            }
            run.workloadPid = child.pid
            run.termination = child.wait().0
        }
        try? instance.mark(run.endMarker)
        run.tracedNanoseconds = monotonicNanoseconds() - t0
        instance.stop()
        run.interruptedBy = StopSignals.pending
        return run
    }

    private func waitSystemWide(until deadline: UInt64) {
        while StopSignals.pending == nil {
            let now = monotonicNanoseconds()
            if now >= deadline { break }
            sleepUntilSignal(milliseconds: Int(min(500, (deadline - now) / 1_000_000 + 1)))
        }
    }

    private func cropper(for run: WorkloadRun) -> TraceCropper? {
        guard options.crop else { return nil }
        return TraceCropper(startMarker: run.startMarker, endMarker: run.endMarker,
                            workloadPid: run.workloadPid, recorderPid: getpid())
    }

    /// Where, when, how and with what loss: the `# pvtop-provenance:` block.
    func provenance(of run: WorkloadRun, instance: TraceInstance, stats: [TraceInstance.CPUStats],
                    missing: [String], cropper: TraceCropper?, counts: [String: UInt64]) -> RecordingProvenance {
        var p = RecordingProvenance()
        let machine = MachineInfo.current()
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("date", utcTimestamp())
        p.add("command", options.command.isEmpty ? "" : shellQuoted(options.command))
        if options.command.isEmpty { p.add("system-wide-seconds", formatSeconds(options.duration ?? 1)) }
        if let termination = run.termination { p.add("exit", termination.description) }
        p.add("traced-ms", formatMilliseconds(run.tracedNanoseconds))
        p.add("kernel", machine.kernelRelease)
        p.add("kernel-version", machine.kernelVersion)
        p.add("cpu-model", machine.cpuModel)
        p.add("cpus", String(stats.isEmpty ? machine.cpuCount : stats.count))
        p.add("virtualized", machine.virtualized ? "yes (hypervisor CPUID flag)" : "no")
        p.add("clock", instance.configuration.clock)
        p.add("event-set", options.eventSet.rawValue)
        p.add("buffer-kb", String(options.bufferKB))
        p.add("missing-events", missing.joined(separator: ","))
        p.add("markers", "\(run.startMarker) / \(run.endMarker)")
        if let cropper {
            let tasks = cropper.tree.count
            p.add("cropped", run.workloadPid.map { "yes: lines between the markers of process tree \($0) (\(tasks) task\(tasks == 1 ? "" : "s")), idle and interrupt context; \(cropper.droppedLines) lines removed" }
                ?? "yes: lines between the markers, without pvtop's own; \(cropper.droppedLines) lines removed")
        } else {
            p.add("cropped", "no")
        }
        if let sig = run.interruptedBy { p.add("interrupted", "signal \(sig): the trace ends where it was stopped") }
        let lost = stats.reduce(0) { $0 + $1.lost }
        p.add("lost", String(lost))
        p.add("lost-per-cpu", stats.map { "cpu\($0.cpu):overrun=\($0.overrun),dropped=\($0.dropped)" }.joined(separator: " "))
        p.addCounts(counts)
        return p
    }
}

/// Pass 1 of a text recording: the instance's `trace`, cropped and counted, into a temporary
/// file; pass 2 (`write`) puts its header (entries rewritten) and body after the provenance.
final class TextBody {
    let cropper: TraceCropper?
    private(set) var headerLines: [String] = []
    private(set) var counts: [String: UInt64] = [:]
    private(set) var kept: UInt64 = 0
    private let fd: Int32
    private let path: String

    init(from instance: TraceInstance, cropper: TraceCropper?) throws {
        self.cropper = cropper
        var template = Array("/tmp/pvtop-record.XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw RecordingError.temporaryFile(reason: errorText()) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var body = LineBodyWriter(fd: fd)
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
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func write(to writer: TraceFileWriter, lost: UInt64) throws {
        for h in headerLines { try writer.write(rewriteEntriesLine(h, kept: kept, lost: lost) + "\n") }
        try copyFile(fd: fd, to: writer)
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

