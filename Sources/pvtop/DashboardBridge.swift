import ArgumentParser
import Foundation
import PVDashboard
import PVKernel
import PVReplay
import PVTrace

extension Pvtop.Replay {
    /// Opens the ncurses dashboard on `replay` (the default when no --headless output is asked).
    func runDashboardOrExplain(_ replay: PVReplay.Replay) throws {
        guard let themeName = Theme.Name(rawValue: theme.lowercased()) else {
            throw CLIError("unknown theme \"\(theme)\"; choose from \(Theme.Name.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard speed >= 0, speed.isFinite else { throw CLIError("--speed must be 0 (as fast as possible) or positive") }
        guard dashboardHasTerminal() else { throw ExitCode(2) }
        // The header and the ±5% seek keys need the length: one quick pass over the file.
        _ = try? replay.scanDuration()
        var options = DashboardOptions(theme: themeName, speed: speed == 0 ? nil : speed)
        if demo {
            let traces = BundledTraces.all()
            let parameters = replay.parameters
            let strict = self.strict
            options.demo = DemoPlaylist(traces: traces.isEmpty ? [] : traces) { path in
                let r = try PVReplay.Replay(name: (path as NSString).lastPathComponent, configuration: replay.configuration,
                                            parameters: parameters) { try FtraceTextReader(path: path, strict: strict) }
                _ = try? r.scanDuration()
                return r
            }
        }
        let status = try runDashboard(replay: replay, options: options)
        if status != 0 { throw ExitCode(status) }
    }
}
