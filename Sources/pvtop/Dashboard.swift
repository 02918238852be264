import ArgumentParser
import Foundation
import PVDashboard
import PVKernel
import PVReplay

extension DashboardExit: ExpressibleByArgument {}

/// Runs the ncurses dashboard on `replay` until the user quits. Returns the exit status: 0 on
/// quit, 128 + signal on SIGINT/SIGTERM/SIGHUP, 2 without a terminal (after a message pointing
/// to `--headless`).
func runDashboard(replay: ReplayControl, options: DashboardOptions) throws -> Int32 {
    guard dashboardHasTerminal() else { return 2 }
    Signals.install()
    let status: Int32
    do {
        let terminal = try Terminal(mouse: options.mouse)
        defer { terminal.close() }
        let session = DashboardSession(terminal: terminal, replay: replay, options: options,
                                       pendingSignal: Signals.take)
        status = try session.run()
    }
    // After the screen is back: what the input made us skip or clamp, as headless runs say it.
    if let line = replay.snapshot().diagnostics.summaryLine { printError("pvtop: " + line) }
    return status
}

/// True when stdin and stdout are a terminal; otherwise says so (pointing to `--headless`) on
/// stderr. Check it before expensive set-up.
func dashboardHasTerminal() -> Bool {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
        FileHandle.standardError.write(Data(
            "pvtop: the dashboard needs a terminal (stdin and stdout must be a TTY); use --headless for CSV/JSON output\n".utf8))
        return false
    }
    return true
}

/// The dashboard flags of every command that opens it (`replay`, `live`).
struct DashboardFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Colours: dark, light, high-contrast (projectors), mono.", valueName: "theme"))
    var theme: Theme.Name = .dark
    @Option(help: ArgumentHelp("Initial playback speed in trace seconds per wall second; 0 = as fast as possible (default: the whole trace in about 20 s).", valueName: "x"))
    var speed: Double?
    @Flag(help: "Talk mode: loop over the bundled traces and walk through the views; any key takes over.")
    var demo = false
    @Flag(name: .customLong("no-mouse"), help: "Ignore the mouse (clicks select, the wheel scrolls), so the terminal's own text selection works.")
    var noMouse = false
    @Option(name: .customLong("exit-when"), help: ArgumentHelp("Quit by itself at first-frame or end (for `pvtop bench --suite`).", visibility: .hidden))
    var exitWhen: DashboardExit?

    func validate() throws {
        if let speed, !(speed >= 0 && speed.isFinite) {
            throw ValidationError("--speed must be 0 (as fast as possible) or positive")
        }
    }

    /// Traces last a fraction of a second: unless told, play one in about 20 s so a person can
    /// watch the counters move.
    static let watchableSeconds = 20.0

    func options(traceDurationNanoseconds: UInt64? = nil, demo playlist: DemoPlaylist? = nil) -> DashboardOptions {
        let auto = traceDurationNanoseconds.map { max(Double($0) / 1e9 / Self.watchableSeconds, 0.0001) } ?? 1
        let chosen = speed ?? auto
        return DashboardOptions(theme: theme,
                                speed: chosen == 0 ? nil : chosen, demo: demo ? playlist : nil, exitWhen: exitWhen,
                                mouse: !noMouse)
    }
}
