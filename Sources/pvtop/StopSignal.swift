import Foundation
import Synchronization

/// The signal that asked us to stop (0 = none). Handlers only store here: they must not touch
/// app state (swift-ncurses.md §3: a handler touching a main.swift global compiles but races).
let pendingStopSignal = Atomic<Int32>(0)

/// SIGINT/SIGTERM/SIGHUP set `pendingStopSignal`; loops poll it, finish what they write, exit.
/// SIGPIPE is ignored so a closed pipe surfaces as EPIPE (handled quietly by `OutputFile`).
func installStopSignalHandlers() {
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        signal(sig) { s in pendingStopSignal.store(s, ordering: .relaxed) }
    }
    signal(SIGPIPE, SIG_IGN)
    // A parent (e.g. libdispatch workers) may have left them blocked (swift-ncurses.md §5).
    var set = sigset_t()
    sigemptyset(&set)
    for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

var stopRequested: Bool { pendingStopSignal.load(ordering: .relaxed) != 0 }
