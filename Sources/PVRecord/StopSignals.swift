import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// pvtop's one signal system: SIGINT, SIGTERM, SIGHUP and SIGQUIT ask whatever runs (a
/// recording, `live`, a headless replay, the dashboard) to stop; each polls `pending` and ends
/// its own way (trace written and instance removed, CSV complete, terminal restored), exiting
/// 128 + signal.
///
/// SIGQUIT is one of them: left at its default it dumps core, and in a Swift program it runs
/// the backtracer, which leaves a tracefs instance and a raw terminal behind (signal(7)).
///
/// The handlers only store into global atomics (signal-safety(7): a lock-free `Atomic` store
/// is safe where nothing else is). Installing twice installs the same handlers, so the order
/// in which a command's pieces install them does not matter. Install before ncurses' `newterm`:
/// ncurses takes over only signals still at SIG_DFL (curs_initscr(3X)), so it keeps SIGWINCH
/// and SIGTSTP and leaves these to us.
public enum StopSignals {
    public static let stopping: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// The last stop signal received, 0 if none.
    static let received = Atomic<Int32>(0)
    /// Bumped by SIGCHLD; its only purpose is to interrupt `pselect` in `ChildProcess.wait`.
    static let childStateChanged = Atomic<Int32>(0)

    /// Installs the handlers (no SA_RESTART, so blocking calls return EINTR) and unblocks the
    /// signals: a process can inherit a mask that blocks them (sigprocmask(2); a libdispatch
    /// worker's mask was seen once).
    public static func install() {
        for sig in stopping {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in StopSignals.received.store(sig, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
        var chld = sigaction()
        chld.__sigaction_handler.sa_handler = { _ in StopSignals.childStateChanged.add(1, ordering: .relaxed) }
        sigemptyset(&chld.sa_mask)
        chld.sa_flags = SA_NOCLDSTOP
        sigaction(SIGCHLD, &chld, nil)
        var set = sigset_t()
        sigemptyset(&set)
        for sig in stopping + [SIGCHLD] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The stop signal received, or nil. Reading does not clear it: every part of the command
    /// (a reader thread, the loop that draws) sees the same request.
    public static var pending: Int32? {
        let s = received.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Forgets the pending signal, so that a second one can be told apart from the first
    /// (`record`: the first stops tracing and the trace is still written; a second abandons it).
    public static func acknowledge() { received.store(0, ordering: .relaxed) }

    /// What a handler does, for tests that cannot send the process a signal.
    static func simulate(_ sig: Int32) { received.store(sig, ordering: .relaxed) }
}
