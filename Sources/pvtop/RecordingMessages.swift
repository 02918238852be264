import PVRecord
import PVTrace

// How the command line words PVRecord's errors and warnings: the library states facts, only
// the command knows which option a user would change.

extension RecordingError {
    /// One line, without the `pvtop CMD: error: ` prefix.
    var message: String {
        switch self {
        case .notRoot:
            return "tracing needs root (tracefs instances and events are writable by root only); run with sudo"
        case .tracefsUnavailable(.noMountPoint(let reason)):
            return "tracefs unavailable: cannot create a mount point in /tmp: \(reason)"
        case .tracefsUnavailable(.mountFailed(let reason)):
            return "tracefs unavailable: mount -t tracefs failed (\(reason)); is CONFIG_TRACING on and are we allowed to mount?"
        case .tracefsUnavailable(.noInstancesDirectory(let root)):
            return "tracefs unavailable: tracefs at \(root) has no instances/ directory"
        case .rawCaptureUnavailable(let root):
            return "libtracefs could not load the event formats or the instance of \(root)"
        case .eventMissing(let name):
            return "tracepoint \(name) does not exist on this kernel (see available_events)"
        case .tracefsWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .spawn(let command, let reason):
            return "cannot run \(command.isEmpty ? "an empty command" : command): \(reason)"
        case .output(let e):
            return e.description
        case .encoder(let library, let code):
            return "\(library) failed (error \(code)) while compressing the output"
        case .read(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .temporaryFile(let reason):
            return "temporary file in /tmp: \(reason)"
        case .unsupportedPageSize(let bytes):
            return "the ring buffer's sub-buffers are \(bytes) bytes; trace.dat output supports the page size only (use -o x.trace.xz)"
        case .syntheticCPUs(let profile, let given, let range):
            return "synth \(profile) needs --cpus between \(range.lowerBound) and \(range.upperBound), not \(given)"
        case .syntheticIterations(let n):
            return "--iterations must be at least 1, not \(n)"
        case .interrupted(let sig):
            return "interrupted by signal \(sig)"
        }
    }

    /// Exit status: an output that cannot be used is bad input (2); tracing that could not
    /// start or finish is 1.
    var exitStatus: Int32 {
        switch self {
        case .output, .encoder, .syntheticCPUs, .syntheticIterations: return 2
        case .interrupted(let sig): return 128 + sig
        default: return 1
        }
    }
}

extension RecordingWarning {
    /// One line, without the `pvtop record: ` prefix.
    var message: String {
        switch self {
        case .removedStaleInstance(let name):
            return "warning: removed \(name), left behind by a pvtop that no longer runs"
        case .tracepointMissing(let name):
            return "warning: tracepoint \(name) does not exist on this kernel; not recorded"
        case .endMarkerMissing:
            return "warning: the END marker is missing (buffer full?); the cropped trace ends where the buffer did"
        case .eventsLost(let total, let perCPU, let bufferKB):
            return "warning: \(total) events lost ("
                + perCPU.filter { $0.lost > 0 }.map { "cpu\($0.cpu): overrun \($0.overrun) dropped \($0.dropped)" }
                    .joined(separator: ", ")
                + "); raise --buffer-kb (now \(bufferKB))"
        }
    }
}
