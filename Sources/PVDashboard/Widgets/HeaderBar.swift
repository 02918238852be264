import PVReplay

/// Line 1: ` pvtop  compile.trace  2 CPUs  ▶ 4×  0.212 / 0.334 s  loop  filter: …   recorded on kvm  profile: x`.
public struct HeaderBar: Widget {
    public var snapshot: Snapshot
    public var state: DashboardState
    public var theme: Theme

    public init(snapshot: Snapshot, state: DashboardState, theme: Theme) {
        self.snapshot = snapshot; self.state = state; self.theme = theme
    }

    public var playSymbol: String {
        if snapshot.finished { return "■ end" }
        return state.playing ? "▶ \(state.speedLabel)" : "⏸ \(state.speedLabel)"
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        buffer.fill(row, style: theme.header)
        let cpus = snapshot.trace.cpuCount == 1 ? "1 CPU" : "\(snapshot.trace.cpuCount) CPUs"
        var time = Format.seconds(nanoseconds: snapshot.positionNanoseconds)
        if let d = snapshot.trace.durationNanoseconds { time += " / " + Format.seconds(nanoseconds: d) }
        time += " s"
        var x = buffer.put(" pvtop ", x: row.x, y: row.y, style: theme.headerAccent, clip: row)
        x = buffer.put(" \(snapshot.trace.name)  \(cpus)  ", x: x, y: row.y, style: theme.header, clip: row)
        x = buffer.put(playSymbol, x: x, y: row.y, style: theme.headerAccent, clip: row)
        x = buffer.put("  \(time)", x: x, y: row.y, style: theme.header, clip: row)
        if state.looping { x = buffer.put("  ⟳ loop", x: x, y: row.y, style: theme.header, clip: row) }
        if state.demoRunning { x = buffer.put("  demo: any key takes over", x: x, y: row.y, style: theme.headerAccent, clip: row) }
        let filter = state.configuration.filter
        if !filter.isEmpty {
            x = buffer.put("  filter: " + FilterForm.describe(filter), x: x, y: row.y, style: theme.headerAccent, clip: row)
        }
        if let warning = EmptyResult.warning(snapshot, filter: filter, finished: snapshot.finished) {
            x = buffer.put("  ⚠ " + warning, x: x, y: row.y, style: theme.warning, clip: row)
        }
        // The baseline says what native is: the recording itself, or an estimate with the
        // recording hypervisor's costs removed.
        let profile = "profile: \(snapshot.profileName) "
        let full = "recorded on \(snapshot.baseline.recordedOn)  " + profile
        if x + 2 + full.count <= row.maxX {
            buffer.put(full, in: row, style: theme.header, alignRight: true)
        } else if x + 2 + profile.count <= row.maxX {
            buffer.put(profile, in: row, style: theme.header, alignRight: true)
        }
    }
}
