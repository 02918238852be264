import PVTrace
import CTraceCmd
#if canImport(Glibc)
import Glibc
#endif

/// `pvtop live` without text: the own instance's per-CPU ring buffers read as raw pages
/// (`per_cpu/cpuN/trace_pipe_raw`, through libtracefs' `tracefs_iterate_raw_events`, which
/// merges the CPUs by timestamp) and decoded with the kernel's own event formats
/// (`tracefs_local_events_system` → libtraceevent), so the kernel formats no text for pvtop
/// and pvtop parses none. Timestamps keep nanoseconds.
///
/// The instance is the same as the text path's (`LiveTraceStream`): overwrite mode, pvtop's
/// threads excluded with `set_event_notrace_pid` + `event-fork` (Documentation/trace/ftrace.rst, "set_event_notrace_pid"). The buffers
/// are drained every 50 ms; `close()` removes the instance, also on error paths.
public final class RawLiveTraceSource: TraceSource {
    public let instance: TraceInstance
    public private(set) var header = TraceHeader()
    public let strings = StringTable()
    public var diagnostics: TraceDiagnostics {
        var d = TraceDiagnostics()
        d.warningCount = warningCount
        d.firstWarnings = firstWarnings
        d.lostEvents = lostEvents
        d.linesRead = recordsRead
        d.otherEvents = decoder.otherEvents
        return d
    }

    private let tep: OpaquePointer
    private let rawInstance: OpaquePointer
    private let decoder: TepRecordDecoder
    private let shouldStop: @Sendable () -> Bool
    private var queue: [TraceRecord] = []
    private var queueIndex = 0
    private var recordsRead: UInt64 = 0
    private var warningCount: UInt64 = 0
    private var firstWarnings: [TraceWarning] = []
    private var lostEvents: UInt64 = 0
    private var closed = false
    /// Between drains of the ring buffers when they were empty.
    static let pollMicroseconds: UInt32 = 50_000

    public init(eventSet: TraceEventSet = .light, bufferKB: Int = 8192,
                shouldStop: @escaping @Sendable () -> Bool = { StopSignals.pending != nil }) throws {
        self.shouldStop = shouldStop
        decoder = TepRecordDecoder(strings: strings)
        let tracefs = try Tracefs.open()
        tracefs.removeStaleInstances()
        let instance: TraceInstance
        do {
            instance = try TraceInstance(tracefs: tracefs, configuration: .init(
                eventSet: eventSet, bufferKB: bufferKB, clock: "global", overwrite: true,
                notracePids: ownThreadIDs()))
        } catch {
            tracefs.release()
            throw error
        }
        self.instance = instance
        try? writeControl(instance.path + "/options/event-fork", "1")
        // Only the formats of the systems recorded (+ ftrace for trace_marker's print):
        // parsing all of events/*/format takes far longer.
        let systems = Array(Set(instance.enabledEvents.map(\.system) + ["ftrace"])).sorted()
        let owned = systems.map { strdup($0) }
        defer { owned.forEach { free($0) } }
        let cSystems: [UnsafePointer<CChar>?] = owned.map { UnsafePointer($0) } + [nil]
        let loaded = cSystems.withUnsafeBufferPointer { list in
            tracefs_local_events_system(tracefs.root, list.baseAddress!)
        }
        guard let loaded, let raw = tracefs_instance_alloc(tracefs.root, instance.name) else {
            instance.close()
            throw RecordingError.rawCaptureUnavailable(tracefsRoot: tracefs.root)
        }
        tep = loaded
        rawInstance = raw
        var p = RecordingProvenance()
        let machine = MachineInfo.current()
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("live", "true (raw ring buffers of instance \(instance.name); pvtop pid \(getpid()) not traced)")
        p.add("capture", "binary (trace_pipe_raw via libtracefs, fields via libtraceevent)")
        p.add("date", utcTimestamp())
        p.add("kernel", machine.kernelRelease)
        p.add("cpu-model", machine.cpuModel)
        p.add("cpus", String(instance.cpuCount))
        p.add("virtualized", machine.virtualized ? "yes (hypervisor CPUID flag)" : "no")
        p.add("clock", instance.configuration.clock)
        p.add("event-set", eventSet.rawValue)
        p.add("missing-events", instance.missingEvents.map(\.name).joined(separator: ","))
        header.provenance = p.entries
        header.cpuCount = instance.cpuCount
        header.clock = instance.configuration.clock
        header.format = .tracefsRaw
        do {
            try instance.start()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    public func next() throws -> TraceRecord? {
        while true {
            if queueIndex < queue.count {
                queueIndex += 1
                return queue[queueIndex - 1]
            }
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            guard !closed, !shouldStop() else { return nil }
            drain()
            if queue.isEmpty { usleep(Self.pollMicroseconds) }
        }
    }

    /// Everything the ring buffers hold now, oldest first, into `queue`.
    private func drain() {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = tracefs_iterate_raw_events(tep, rawInstance, nil, 0, { _, record, _, context in
            guard let record, let context else { return 0 }
            Unmanaged<RawLiveTraceSource>.fromOpaque(context).takeUnretainedValue().accept(record)
            return 0
        }, context)
    }

    private func accept(_ record: UnsafeMutablePointer<tep_record>) {
        recordsRead += 1
        let missed = record.pointee.missed_events
        if missed != 0 {
            let count = missed > 0 ? UInt64(missed) : 0
            lostEvents &+= count
            queue.append(.lost(cpu: UInt16(clamping: record.pointee.cpu), count: count, line: recordsRead))
        }
        if let event = decoder.decode(record, tep: tep, key: 0, line: recordsRead) {
            queue.append(.event(event))
        } else if let problem = decoder.problem {
            warningCount += 1
            if firstWarnings.count < FtraceTextReader.keptWarnings {
                firstWarnings.append(TraceWarning(file: "live", line: recordsRead, message: problem))
            }
        }
    }

    /// Tracing off, events cleared, instance removed (and tracefs unmounted if we mounted it).
    public func close() {
        guard !closed else { return }
        closed = true
        instance.stop()
        tracefs_instance_free(rawInstance)
        tep_free(tep)
        instance.close()
    }
}
