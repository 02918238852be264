import PVKernel
import PVReplay

/// How the dashboard starts.
public struct DashboardOptions {
    public var theme: Theme.Name
    /// Initial playback speed (trace seconds per wall second); nil = as fast as possible.
    public var speed: Double?
    /// Cost profiles `p` cycles through.
    public var profiles: [String]
    /// `--demo`: the traces to loop over and how to open one.
    public var demo: DemoPlaylist?
    /// Benchmarks only: quit by itself (`--exit-when`).
    public var exitWhen: DashboardExit?
    /// Mouse clicks and the wheel (`--no-mouse` turns them off, so the terminal's own
    /// selection works).
    public var mouse: Bool

    public init(theme: Theme.Name = .dark, speed: Double? = 1, profiles: [String] = CostProfile.bundledNames,
                demo: DemoPlaylist? = nil, exitWhen: DashboardExit? = nil, mouse: Bool = true) {
        self.theme = theme; self.speed = speed; self.profiles = profiles; self.demo = demo
        self.exitWhen = exitWhen; self.mouse = mouse
    }
}

/// When the dashboard quits by itself, for the benchmark suite's dashboard stages.
public enum DashboardExit: String, Sendable {
    /// After the first frame is drawn (time to first frame).
    case firstFrame = "first-frame"
    /// When the replay has reached the end of the trace and that frame is drawn.
    case end
}

/// `--demo` talk mode's playlist: trace paths and a factory for their replays.
public struct DemoPlaylist {
    public var traces: [String]
    public var open: (String) throws -> ReplayControl
    public init(traces: [String], open: @escaping (String) throws -> ReplayControl) {
        self.traces = traces; self.open = open
    }
}
