import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// The workload of `pvtop record -- COMMAND`: started with posix_spawnp (Foundation.Process
/// can hang on children that keep inherited descriptors, swift-corelibs-foundation Process waits for the pipes' EOF), waited for
/// with the stop signals forwarded to it.
public struct ChildProcess {
    public let pid: pid_t
    public let command: [String]

    /// How the child ended.
    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)

        init(waitStatus s: Int32) {
            // WIFEXITED/WEXITSTATUS/WTERMSIG are macros Swift does not import (sys/wait.h).
            if s & 0x7f == 0 { self = .exited((s >> 8) & 0xff) } else { self = .signaled(s & 0x7f) }
        }

        public var description: String {
            switch self {
            case .exited(let c): return "exit \(c)"
            case .signaled(let s): return "signal \(s)"
            }
        }
    }

    /// Starts `command` (searched in PATH) with default signal dispositions and an empty mask.
    /// `newProcessGroup`: the child leads its own process group, so `kill(-pid, …)` also
    /// reaches what it forks (a benchmark workload that must not outlive the measurement).
    public static func spawn(_ command: [String], newProcessGroup: Bool = false) throws -> ChildProcess {
        guard let file = command.first else { throw RecordingError.spawn(command: "", reason: "no command") }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in StopSignals.stopping + [SIGCHLD, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attr, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attr, Int16(flags))
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, file, nil, &attr, &argv, environ)
        guard rc == 0 else {
            throw RecordingError.spawn(command: file, reason: errorText(rc))
        }
        return ChildProcess(pid: pid, command: command)
    }

    /// Waits for the child. A stop signal is forwarded to it once; the child's end is still
    /// awaited so the workload never outlives the recording. Returns the termination and the
    /// signal received, if any.
    public func wait() -> (Termination, stopSignal: Int32?) {
        var forwarded: Int32? = nil
        var status: Int32 = 0
        while true {
            let generation = StopSignals.childStateChanged.load(ordering: .relaxed)
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (Termination(waitStatus: status), forwarded) }
            if r < 0 && errno != EINTR { return (.exited(127), forwarded) }
            if forwarded == nil, let sig = StopSignals.pending {
                kill(pid, sig)
                forwarded = sig
            }
            sleepUntilSignal(milliseconds: 100, childGeneration: generation)
        }
    }
}

/// Sleeps until a signal handler runs or the timeout passes. SIGCHLD and the stop signals
/// are blocked outside `pselect` and unblocked atomically inside it, so one arriving
/// between the caller's check and the sleep is not missed.
func sleepUntilSignal(milliseconds: Int, childGeneration: Int32? = nil) {
    var block = sigset_t()
    sigemptyset(&block)
    for s in StopSignals.stopping + [SIGCHLD] { sigaddset(&block, s) }
    var old = sigset_t()
    pthread_sigmask(SIG_BLOCK, &block, &old)
    defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
    // A signal that came before the block above has run its handler already: re-check the
    // flags with the signals blocked.
    if StopSignals.pending != nil { return }
    if let g = childGeneration, StopSignals.childStateChanged.load(ordering: .relaxed) != g { return }
    var unblocked = old
    for s in StopSignals.stopping + [SIGCHLD] { sigdelset(&unblocked, s) }
    var ts = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    _ = pselect(0, nil, nil, nil, &ts, &unblocked)
}
