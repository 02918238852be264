import CNCurses
import Glibc
import PVRecord
import Synchronization

/// The dashboard's side of signals (signal-safety(7)): the stop signals are PVRecord's
/// `StopSignals`, the one system every command uses; what is left here is the terminal's
/// concern, putting the screen back when the process crashes.
enum Signals {
    /// True between newterm and endwin: crash handlers and atexit restore the terminal only then.
    static let cursesActive = Atomic<Bool>(false)
    private static let installed = Atomic<Bool>(false)

    static let crashing: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE]

    /// Install before newterm: ncurses only takes over signals still at SIG_DFL, and we want
    /// INT/TERM/HUP/QUIT ourselves (its own SIGINT handler exits 1 and skips our cleanup) while
    /// it keeps WINCH (→ KEY_RESIZE) and TSTP (^Z restores the screen).
    static func install() {
        StopSignals.install()
        unblock()
        // Once per process: a second install would record our own handler as the one to chain to.
        guard !installed.exchange(true, ordering: .relaxed) else { return }
        for sig in crashing {
            var old = sigaction()
            sigaction(sig, nil, &old)
            previousCrashActions[Int(sig)] = old
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                // Put the screen back, restore whatever handled this signal before (Swift's
                // backtracer) and return: the faulting instruction runs again into it, now on a
                // sane terminal. endwin is not async-signal-safe; htop's CRT_handleSIGSEGV takes
                // the same risk, since the alternative is a shell left in raw mode.
                if Signals.cursesActive.load(ordering: .relaxed) {
                    endwin()
                    Signals.cursesActive.store(false, ordering: .relaxed)
                }
                var previous = previousCrashActions[Int(sig)]
                sigaction(sig, &previous, nil)
                if sig == SIGABRT || sig == SIGTRAP { raise(sig) }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
        atexit {
            if Signals.cursesActive.load(ordering: .relaxed) && !isendwin() { endwin() }
        }
    }

    /// The process may inherit a mask with these blocked: then SIGWINCH never arrives.
    static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGWINCH, SIGTSTP, SIGCONT] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The stop signal received (INT, TERM, HUP, QUIT), if any. Not cleared: `live`'s reader
    /// polls the same request and must stop too.
    static func take() -> Int32? { StopSignals.pending }
}

/// Actions that handled the crash signals before ours, indexed by signal number.
/// Safe without a lock: written only in `Signals.install`, before the handler that reads an
/// entry is installed (sigaction is a full barrier for that signal's delivery), and never
/// written again.
nonisolated(unsafe) private var previousCrashActions: [sigaction] = Array(repeating: sigaction(), count: 65)
