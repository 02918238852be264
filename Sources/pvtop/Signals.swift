import CNCurses
import Glibc
import Synchronization

/// Signal handling for the dashboard (signal-safety(7)). Handlers only store into atomics;
/// the loop reads them, leaves curses mode and exits with 128 + signal.
enum Signals {
    /// The last INT / TERM / HUP / QUIT received (0 = none).
    static let pending = Atomic<Int32>(0)
    /// True between newterm and endwin: crash handlers and atexit restore the terminal only then.
    static let cursesActive = Atomic<Bool>(false)
    private static let installed = Atomic<Bool>(false)

    /// SIGQUIT (Ctrl-\\) too: by default it ends in Swift's crash reporter, painted over the
    /// screen for 30 s; handled like TERM it restores the terminal and exits 128 + 3.
    static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    static let crashing: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE]

    /// Install before newterm: ncurses only takes over signals still at SIG_DFL, and we want
    /// INT/TERM/HUP ourselves (its own SIGINT handler exits 1 and skips our cleanup) while it
    /// keeps WINCH (→ KEY_RESIZE) and TSTP (^Z restores the screen).
    static func install() {
        // Once per process: a second install would record our own handler as the one to chain to.
        guard !installed.exchange(true, ordering: .relaxed) else { unblock(); return }
        unblock()
        for sig in terminating {
            var old = sigaction()
            sigaction(sig, nil, &old)
            previousTerminatingActions[Int(sig)] = old
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                Signals.pending.store(sig, ordering: .relaxed)
                // Chain to a handler installed before ours (`pvtop live`'s RecordingSignals, which
                // its trace_pipe reader polls): it stops reading, so no read outlives the quit.
                if let previous = previousTerminatingActions[Int(sig)].__sigaction_handler.sa_handler,
                   unsafeBitCast(previous, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self) {
                    previous(sig)
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
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

    /// The process may inherit a mask with these blocked (a libdispatch worker's mask was seen
    /// once): then SIGTERM and SIGWINCH never arrive.
    static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in terminating + [SIGWINCH, SIGTSTP, SIGCONT] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The pending terminating signal, cleared.
    static func take() -> Int32? {
        let sig = pending.exchange(0, ordering: .relaxed)
        return sig == 0 ? nil : sig
    }
}

/// Actions that handled INT / TERM / HUP before ours, indexed by signal number. Safe without a
/// lock for the same reason as `previousCrashActions` below.
nonisolated(unsafe) private var previousTerminatingActions: [sigaction] = Array(repeating: sigaction(), count: 65)

/// Actions that handled the crash signals before ours, indexed by signal number.
/// Safe without a lock: written only in `Signals.install`, before the handler that reads an
/// entry is installed (sigaction is a full barrier for that signal's delivery), and never
/// written again.
nonisolated(unsafe) private var previousCrashActions: [sigaction] = Array(repeating: sigaction(), count: 65)
