import PVReplay

extension Pvtop.Replay {
    /// Until the dashboard lands: explain and point to --headless.
    func runDashboardOrExplain(_ replay: PVReplay.Replay) throws {
        throw CLIError("the dashboard is not built yet; use --headless")
    }
}
