import PVKernel
import PVReplay

/// Everything the dashboard remembers between frames: transport, view choices, open menus and
/// the replay configuration it last asked for. `apply` maps a key to state changes plus the
/// `Command`s the loop must run on the replay; it is pure, so every key is unit-tested.
public struct DashboardState: Sendable, Equatable {
    public enum View: String, Sendable, CaseIterable {
        /// Engine columns, counter table, batching, latency.
        case overview
        /// The latency panel gets the screen (histogram rows per engine).
        case latency
        /// Per CPU: each engine's slowdown on each CPU (kvm_stat's per-vCPU view).
        case cpus
        /// Every engine's slowdown over trace time on one axis, with one counter's rate.
        case timeSeries = "time series"
        /// Big digits of each engine's slowdown: for talks.
        case headline
        /// The event `.` stepped and what each engine made of it.
        case step

        /// What `t` cycles through (the step view is reached with `.`).
        public static let cycle: [View] = [.overview, .latency, .cpus, .timeSeries, .headline]
    }

    /// The counter table ranks by cost (perf kvm stat report's `Time%`) unless `o` picks
    /// count, kvm_stat's current rate, or name.
    public enum CounterSort: String, Sendable, CaseIterable { case time, count, rate, name }

    /// The panel Tab moves to: it gets the highlighted border and ↑/↓ PgUp/PgDn Home/End, and
    /// where the screen is too small for every panel (80×24) it is the one shown below the
    /// engine columns, so each panel is reachable at the smallest size.
    public enum Focus: String, Sendable, CaseIterable { case latency, counters, batching }

    public enum Overlay: Sendable, Equatable {
        case help(scroll: Int)
        case backends(ToggleMenu)
        case kvmFeatures(ToggleMenu)
        case filter(FilterForm)
        /// `/`: the text typed so far.
        case search(String)
    }

    /// Playback speeds (trace seconds per wall second). Kernel traces are short and dense, so
    /// the range reaches far below 1×; past the last one is "max" (as fast as possible).
    public static let speeds: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
                                          1, 2, 5, 10, 20, 50, 100]
    /// Paravirt backends the chooser offers, in display order.
    public static let backendChoices: [BackendID] = [.xenPV, .kvm, .vmi, .lguest, .vbox]
    /// How long a status message stays in the key bar.
    public static let statusLifetimeNanoseconds: UInt64 = 4_000_000_000

    public var playing = true
    /// Index into `speeds`; `speeds.count` means max.
    public var speedIndex: Int
    public var looping = false
    public var view: View = .overview
    public var eventClass: EventClass = .pageFault
    /// kvm_stat's `x`: per-name child rows under each transition kind.
    public var drillDown = false
    public var sort: CounterSort = .time
    public var focus: Focus = .latency
    /// The selected row of the counter table; the table scrolls to keep it in view.
    public var counterCursor = 0
    /// The counter table's row names at the last snapshot (the cursor's range, what `/` searches).
    public var counterRowNames: [String] = []
    public var counterRowCount: Int { counterRowNames.count }
    /// A `/` search waiting for the next snapshot's rows (drill-down may have just turned on):
    /// the row after which to look.
    public var pendingSearchAfter: Int?
    /// Engine (display index) whose counters fill the counter table.
    public var focusedEngine = 1
    /// The last `/` search (Enter in the counter table's search moves to its next match).
    public var searchText: String?
    /// The counter whose rate the time-series view draws (`n` cycles through them).
    public var rateCounter: TimeSeries.Counter = .transitions
    public var overlay: Overlay?
    public var theme: Theme.Name
    /// The configuration last sent to (or read from) the replay.
    public var configuration: ReplayConfiguration
    /// Bundled cost profiles `p` cycles through.
    public var profiles: [String]
    public var status: String?
    public var statusAgeNanoseconds: UInt64 = 0

    // Observed from the latest snapshot.
    public var positionNanoseconds: UInt64 = 0
    public var durationNanoseconds: UInt64?
    public var finished = false
    public var cpuCount = 1
    public var engineCount = 1
    /// Each engine's slowdown at the last `historyLength` snapshots that brought new events
    /// (oldest first), for the trend sparkline; cleared when the run starts over.
    public var slowdownHistory: [[Double]] = []
    public static let historyLength = 120
    /// Every engine's time and counters over trace time, for the time-series view.
    public var series = TimeSeries()
    private var lastObservedEvents: UInt64 = 0
    /// `--demo` is walking through the views (the header says so).
    public var demoRunning = false
    /// The trace time the play clock wants to reach (fractional so slow speeds accumulate).
    public var clockNanoseconds: Double = 0

    /// `speed` nil = as fast as possible; otherwise the nearest step at or above it.
    public init(configuration: ReplayConfiguration, profiles: [String] = [], theme: Theme.Name = .dark,
                speed: Double? = 1) {
        self.configuration = configuration
        self.profiles = profiles
        self.theme = theme
        speedIndex = speed.map { s in DashboardState.speeds.firstIndex { $0 >= s } ?? DashboardState.speeds.count - 1 }
            ?? DashboardState.speeds.count
    }

    // MARK: transport

    public var isMaxSpeed: Bool { speedIndex >= DashboardState.speeds.count }
    /// nil = max.
    public var speed: Double? { isMaxSpeed ? nil : DashboardState.speeds[speedIndex] }

    public var speedLabel: String {
        guard let s = speed else { return "max" }
        return (s >= 1 ? Format.fixed(s, 0) : s >= 0.01 ? Format.fixed(s, 2) : Format.fixed(s, 3)) + "×"
    }

    /// The trace time to pass to `ReplayControl.advance` this frame.
    public var traceTarget: UInt64 {
        if isMaxSpeed { return durationNanoseconds ?? UInt64.max }
        return UInt64(max(clockNanoseconds, 0))
    }

    /// Sets the speed to the nearest step at or above `speed` (the demo fits traces to a time).
    public mutating func setSpeed(_ speed: Double?) {
        if let speed { speedIndex = DashboardState.speeds.firstIndex { $0 >= speed } ?? DashboardState.speeds.count - 1 }
        else { speedIndex = DashboardState.speeds.count }
    }

    /// Wall time passed: moves the play clock by speed × elapsed and ages the status line.
    public mutating func tick(wallNanoseconds elapsed: UInt64) {
        if playing && !finished {
            if let s = speed { clockNanoseconds += s * Double(elapsed) }
            if let d = durationNanoseconds { clockNanoseconds = min(clockNanoseconds, Double(d)) }
        }
        if status != nil {
            statusAgeNanoseconds &+= elapsed
            if statusAgeNanoseconds >= DashboardState.statusLifetimeNanoseconds { status = nil }
        }
    }

    /// Reads what the replay reached. `budgetExhausted` = `advance` stopped on its event budget
    /// before the target: the clock is pulled back so a slow frame never builds a backlog
    /// (htop's rule: after a stall, do not catch up). Returns `.restart` when looping at the end.
    public mutating func observe(_ snapshot: Snapshot, budgetExhausted: Bool = false) -> [Command] {
        positionNanoseconds = snapshot.positionNanoseconds
        durationNanoseconds = snapshot.trace.durationNanoseconds
        finished = snapshot.finished
        cpuCount = snapshot.trace.cpuCount
        engineCount = snapshot.engines.count
        recordHistory(snapshot)
        series.record(snapshot)
        if focusedEngine >= engineCount { focusedEngine = engineCount > 1 ? 1 : 0 }
        if !snapshot.engines.isEmpty {
            counterRowNames = CounterTable(engine: snapshot.engines[focusedEngine], previous: nil, basis: RateBasis(seconds: 0),
                                           sort: sort, drillDown: drillDown, theme: Theme.named(theme)).rows().map(\.name)
            moveCounterCursor(to: counterCursor)
            if let after = pendingSearchAfter { pendingSearchAfter = nil; findNextMatch(after: after) }
        }
        if budgetExhausted, let s = speed {
            clockNanoseconds = min(clockNanoseconds, Double(positionNanoseconds) + s * 100_000_000)
        }
        if finished && looping && playing {
            clockNanoseconds = 0
            finished = false
            return [.restart]
        }
        return []
    }

    private mutating func recordHistory(_ snapshot: Snapshot) {
        let ids = snapshot.engines.count
        // A restart, seek back or new configuration starts a new series.
        if snapshot.eventsReplayed < lastObservedEvents || slowdownHistory.count != ids {
            slowdownHistory = Array(repeating: [], count: ids)
        }
        if snapshot.eventsReplayed != lastObservedEvents && snapshot.eventsReplayed > 0 {
            for (i, e) in snapshot.engines.enumerated() {
                slowdownHistory[i].append(e.slowdown)
                if slowdownHistory[i].count > DashboardState.historyLength { slowdownHistory[i].removeFirst() }
            }
        }
        lastObservedEvents = snapshot.eventsReplayed
    }

    public mutating func say(_ message: String) { status = message; statusAgeNanoseconds = 0 }
}
