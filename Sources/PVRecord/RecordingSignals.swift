import PVTrace
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The signal that asked the recording to stop (SIGINT, SIGTERM, SIGHUP), 0 if none.
/// Set only by the handlers below; a global `let` Atomic is Sendable and lock-free, so the
/// handler touches nothing else (curs_variables(3X), signal-safety(7)).
public let recordingStopSignal = Atomic<Int32>(0)
/// Bumped by SIGCHLD; its only purpose is to interrupt `pselect` in `ChildProcess.wait`.
let childStateChanged = Atomic<Int32>(0)

/// Handlers for the stop signals of `pvtop record` / `pvtop live`.
public enum RecordingSignals {
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handlers (no SA_RESTART, so blocking calls return EINTR) and unblocks
    /// them: a process can inherit a mask that blocks them (sigprocmask(2)).
    public static func install() {
        for sig in stopSignals {
            var act = sigaction()
            act.__sigaction_handler.sa_handler = { s in recordingStopSignal.store(s, ordering: .relaxed) }
            sigemptyset(&act.sa_mask)
            act.sa_flags = 0
            sigaction(sig, &act, nil)
        }
        var chld = sigaction()
        chld.__sigaction_handler.sa_handler = { _ in childStateChanged.add(1, ordering: .relaxed) }
        sigemptyset(&chld.sa_mask)
        chld.sa_flags = SA_NOCLDSTOP
        sigaction(SIGCHLD, &chld, nil)
        var set = sigset_t()
        sigemptyset(&set)
        for sig in stopSignals + [SIGCHLD] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The pending stop signal, or nil.
    public static var pending: Int32? {
        let s = recordingStopSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}
