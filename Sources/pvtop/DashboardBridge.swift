import Foundation
import PVKernel
import PVReplay
import PVTrace

extension Pvtop.Replay {
    /// The dashboard on `replay`; `--demo` loops over the bundled traces.
    func runDashboardOrExplain(_ replay: PVReplay.Replay) throws {
        _ = try? replay.scanDuration() // the header's total and the seek bar need it
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

import ArgumentParser
