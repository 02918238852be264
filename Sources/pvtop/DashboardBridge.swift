import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

extension Pvtop.Replay {
    /// Opens the ncurses dashboard on `replay` (the default when no --headless output is
    /// asked); `--demo` loops over the bundled traces.
    func runDashboardOrExplain(_ replay: PVReplay.Replay) throws {
        guard dashboardHasTerminal() else { throw ExitCode(2) }
        // The header and the ±5% seek keys need the length: one quick pass over the file.
        _ = try? replay.scanDuration()
        let configuration = replay.configuration
        let parameters = replay.parameters
        let strict = self.strict
        let playlist = DemoPlaylist(traces: BundledTraces.all()) { path in
            let r = try PVReplay.Replay(name: (path as NSString).lastPathComponent, configuration: configuration,
                                        parameters: parameters) { try FtraceTextReader(path: path, strict: strict) }
            _ = try? r.scanDuration()
            return r
        }
        let status = try runDashboard(replay: replay, options: dashboard.options(demo: playlist))
        if status != 0 { throw ExitCode(status) }
    }
}
