import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// What `pvtop live`'s two sources (`LiveTraceStream` text, `RawLiveTraceSource` pages) share.
extension TraceInstance {
    /// The instance a live source reads while tracing: overwrite mode (if the reader falls
    /// behind, the newest events win and the loss is reported, which is what a live view
    /// wants), pvtop's own threads excluded with `set_event_notrace_pid`, and threads it starts
    /// later too (`event-fork`): reading while tracing yourself feeds back
    /// (Documentation/trace/ftrace.rst, "set_event_notrace_pid").
    static func openLive(eventSet: TraceEventSet, bufferKB: Int) throws -> TraceInstance {
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
        try? writeControl(instance.path + "/options/event-fork", "1")
        return instance
    }

    /// The provenance a live source starts with; `reading` says what it reads, `extra`
    /// entries follow that line.
    func liveProvenance(reading: String, extra: [(String, String)] = []) -> RecordingProvenance {
        var p = RecordingProvenance()
        let machine = MachineInfo.current()
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("live", "true (\(reading) of instance \(name); pvtop pid \(getpid()) not traced)")
        for (key, value) in extra { p.add(key, value) }
        p.add("date", utcTimestamp())
        p.add("kernel", machine.kernelRelease)
        p.add("cpu-model", machine.cpuModel)
        p.add("cpus", String(cpuCount))
        p.add("virtualized", machine.virtualized ? "yes (hypervisor CPUID flag)" : "no")
        p.add("clock", configuration.clock)
        p.add("event-set", configuration.eventSet.rawValue)
        p.add("missing-events", missingEvents.map(\.name).joined(separator: ","))
        return p
    }
}
