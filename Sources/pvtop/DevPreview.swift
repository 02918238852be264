import ArgumentParser
import PVDashboard
import PVReplay

extension Pvtop {
    /// Hidden developer command: the dashboard on SYNTHETIC data (`PreviewReplay`), for
    /// working on the UI and for the tmux end-to-end tests until `pvtop replay` opens the
    /// dashboard on real traces. Never use it for results.
    struct DevPreview: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dev-preview",
            abstract: "Developer preview of the dashboard on synthetic data (not a measurement).",
            shouldDisplay: false)

        @OptionGroup var dashboard: DashboardFlags
        @Option(help: "Synthetic trace length in seconds.")
        var seconds: Double = 10

        func run() throws {
            let duration = UInt64(seconds * 1e9)
            let replay = PreviewReplay(durationNanoseconds: duration)
            let playlist = DemoPlaylist(traces: ["a", "b"]) { name in
                PreviewReplay(durationNanoseconds: name == "a" ? duration : duration / 2, cpuCount: name == "a" ? 2 : 4)
            }
            let status = try runDashboard(replay: replay, options: dashboard.options(demo: playlist))
            if status != 0 { throw ExitCode(status) }
        }
    }
}
