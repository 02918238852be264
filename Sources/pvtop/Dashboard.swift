import ArgumentParser
import Foundation
import PVDashboard
import PVKernel
import PVReplay

/// How the dashboard starts.
struct DashboardOptions {
    var theme: Theme.Name = .dark
    /// Initial playback speed (trace seconds per wall second); nil = as fast as possible.
    var speed: Double? = 1
    /// Cost profiles `p` cycles through.
    var profiles: [String] = CostProfile.bundledNames
    /// `--demo`: the traces to loop over and how to open one.
    var demo: DemoPlaylist?
}

/// `--demo` talk mode's playlist: trace paths and a factory for their replays.
struct DemoPlaylist {
    var traces: [String]
    var open: (String) throws -> ReplayControl
}

/// Runs the ncurses dashboard on `replay` until the user quits. Returns the exit status: 0 on
/// quit, 128 + signal on SIGINT/SIGTERM/SIGHUP, 2 without a terminal (after a message pointing
/// to `--headless`).
func runDashboard(replay: ReplayControl, options: DashboardOptions) throws -> Int32 {
    guard dashboardHasTerminal() else { return 2 }
    Signals.install()
    let terminal = try Terminal()
    defer { terminal.close() }
    let loop = DashboardLoop(terminal: terminal, replay: replay, options: options)
    return try loop.run()
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
    var theme: String = "dark"
    @Option(help: ArgumentHelp("Initial playback speed in trace seconds per wall second; 0 = as fast as possible.", valueName: "x"))
    var speed: Double = 1
    @Flag(help: "Talk mode: loop over the bundled traces and walk through the views; any key takes over.")
    var demo = false

    func validate() throws {
        guard Theme.Name(rawValue: theme.lowercased()) != nil else {
            throw ValidationError("unknown theme \"\(theme)\"; choose from \(Theme.Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard speed >= 0, speed.isFinite else { throw ValidationError("--speed must be 0 (as fast as possible) or positive") }
    }

    func options(demo playlist: DemoPlaylist? = nil) -> DashboardOptions {
        DashboardOptions(theme: Theme.Name(rawValue: theme.lowercased()) ?? .dark, speed: speed == 0 ? nil : speed,
                         demo: demo ? playlist : nil)
    }
}
