import PVTrace

/// Why a recording (or a live source, or a synthetic trace) could not start or finish. Facts
/// only: the command line words them (`pvtop`'s `RecordingMessages`), since only it knows
/// which option a user would change.
public enum RecordingError: Error, Sendable, Equatable {
    case notRoot
    /// tracefs could not be found or mounted.
    case tracefsUnavailable(TracefsProblem)
    /// libtracefs could not load the kernel's event formats or open the instance; raw
    /// (binary) capture is impossible, text capture may still work.
    case rawCaptureUnavailable(tracefsRoot: String)
    case eventMissing(String)
    case tracefsWrite(path: String, reason: String)
    case spawn(command: String, reason: String)
    /// The output file (`OutputFile`'s checks: a directory, unwritable, the input itself …).
    case output(OutputError)
    /// A compressor failed: `library` is liblzma or zlib, `code` its return value.
    case encoder(library: String, code: Int32)
    /// Reading a tracefs file or the recorder's own temporary file failed.
    case read(path: String, reason: String)
    case temporaryFile(reason: String)
    /// A raw capture for a trace.dat needs pages no larger than this writer supports.
    case unsupportedPageSize(Int)
    /// A synthetic profile was asked for a CPU count outside `range`.
    case syntheticCPUs(profile: String, given: Int, range: ClosedRange<Int>)
    case syntheticIterations(Int)
    /// A signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) stopped the recording; exit status 128 + signal.
    case interrupted(signal: Int32)
}

/// Why tracefs is not there.
public enum TracefsProblem: Sendable, Equatable {
    case noMountPoint(reason: String)
    case mountFailed(reason: String)
    case noInstancesDirectory(root: String)
}

/// Something a recording could work around and tells its user about; the command words it.
public enum RecordingWarning: Sendable, Equatable {
    /// An instance of a pvtop that no longer runs was removed.
    case removedStaleInstance(String)
    case tracepointMissing(String)
    /// `--crop` found no END marker (the buffer filled before it was written).
    case endMarkerMissing
    /// Events lost in the ring buffer, per CPU; `bufferKB` is the per-CPU size that was too small.
    case eventsLost(total: UInt64, perCPU: [TraceInstance.CPUStats], bufferKB: Int)
}
