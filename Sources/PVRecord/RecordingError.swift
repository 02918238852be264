import PVTrace
/// Why a recording could not start or finish; `description` is the one-line message the
/// command prints.
public enum RecordingError: Error, Sendable, Equatable, CustomStringConvertible {
    case notRoot
    case tracefsUnavailable(String)
    case eventMissing(String)
    case tracefsWrite(path: String, reason: String)
    case spawn(command: String, reason: String)
    case output(String)
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the recording; exit status 128 + signal.
    case interrupted(signal: Int32)

    public var description: String {
        switch self {
        case .notRoot:
            return "tracing needs root (tracefs instances and events are writable by root only); run with sudo"
        case .tracefsUnavailable(let why):
            return "tracefs unavailable: \(why)"
        case .eventMissing(let name):
            return "tracepoint \(name) does not exist on this kernel (see available_events)"
        case .tracefsWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .spawn(let command, let reason):
            return "cannot run \(command): \(reason)"
        case .output(let why):
            return why
        case .interrupted(let sig):
            return "interrupted by signal \(sig)"
        }
    }
}
