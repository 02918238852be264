import ArgumentParser
import Foundation
import PVDashboard
import PVKernel
import PVReplay
import PVTrace

extension Pvtop.Replay {
    /// Opens the ncurses dashboard on `replay` (the default when no --headless output is
    /// asked); `--demo` loops over the bundled traces.
    func runDashboardOrExplain(_ replay: PVReplay.Replay, session: ReplaySession, path: String) throws {
        guard dashboardHasTerminal() else { throw ExitCode(2) }
        // The header and the ±5% seek keys need the length: a plain file's head and tail tell
        // it at once; a compressed one needs a pass, which only small files get before the
        // first frame (a large one shows the length once the replay reaches the end).
        let duration = Self.durationBeforeFirstFrame(replay, path: path)
        let playlist = DemoPlaylist(traces: BundledTraces.all()) { path in
            let r = try session.replay(trace: path)
            _ = Self.durationBeforeFirstFrame(r, path: path)
            return r
        }
        let status = try runDashboard(replay: replay, options: dashboard.options(traceDurationNanoseconds: duration, demo: playlist))
        if status != 0 { throw ExitCode(status) }
    }

    /// Compressed traces without a recorded length, up to this size, are scanned for it before
    /// the first frame; larger ones show the length once the replay reaches the end.
    static let scanBeforeFirstFrameBytes: UInt64 = 8 << 20

    /// The trace's length for the header, the seek keys and the default speed, without a full
    /// pass where possible: a plain file's head and tail, or the `traced-ms` that `pvtop record`
    /// writes in the provenance (the span of the cropped events, to 0.1 ms). The end of the
    /// replay replaces the estimate with the exact length.
    static func durationBeforeFirstFrame(_ replay: PVReplay.Replay, path: String) -> UInt64? {
        // A FIFO, device or stdin is read once: probing or scanning it would open it again
        // (blocking in open() once its writer is gone) or steal its bytes.
        guard ReplaySession.isReopenable(path) else { return nil }
        if let d = TraceDurationProbe.plainTextDurationNanoseconds(path: path)
            ?? replay.snapshot().trace.provenance.first(where: { $0.key == "traced-ms" })
                .flatMap({ Double($0.value) }).flatMap({ $0.isFinite && $0 >= 0 && $0 < 1e12 ? UInt64($0 * 1e6) : nil }) {
            replay.adoptDuration(d)
            return d
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64
        guard let size, size <= scanBeforeFirstFrameBytes else { return nil }
        return try? replay.scanDuration()
    }
}
