import PVKernel
import PVReplay

/// Every engine's cumulative simulated time and counters at the snapshots the dashboard saw,
/// keyed by trace time, so the time-series view can draw the slowdown of each interval (when a
/// backend pays, not only how much in all) and a counter's rate. Cumulative values make
/// thinning exact: dropping a sample merges two intervals into one.
public struct TimeSeries: Sendable, Equatable {
    /// What the lower chart draws per trace second (`n` cycles).
    public enum Counter: String, Sendable, CaseIterable {
        case transitions, hypercalls, exits = "VM exits", romCalls = "ROM calls", traps, ops = "pv ops"

        func value(_ m: EngineMetrics, _ d: BackendDescriptor) -> Double {
            func kind(_ k: TransitionKind) -> Double {
                var n: UInt64 = 0
                for (i, t) in d.transitions.enumerated() where t.kind == k && i < m.transitionCounts.count { n &+= m.transitionCounts[i] }
                return Double(n)
            }
            switch self {
            case .transitions: return Double(m.transitionCounts.reduce(0, &+))
            case .hypercalls: return kind(.hypercall)
            case .exits: return kind(.vmExit)
            case .romCalls: return kind(.romCall)
            case .traps: return kind(.trap)
            case .ops: return Double(m.ops)
            }
        }
    }

    /// At most this many samples; past it every other one goes (intervals double).
    public static let capacity = 512

    public private(set) var positions: [UInt64] = []
    /// [sample][engine] simulated nanoseconds (all CPUs).
    public private(set) var simulated: [[Double]] = []
    /// [sample][engine][counter] cumulative counter values.
    public private(set) var counters: [[[Double]]] = []
    public private(set) var engineIDs: [BackendID] = []

    public init() {}

    /// Adds the snapshot's values; a run that started over (fewer events, other engines,
    /// an earlier position) starts a new series.
    public mutating func record(_ snapshot: Snapshot) {
        let ids = snapshot.engines.map(\.descriptor.id)
        if ids != engineIDs || (positions.last.map { snapshot.positionNanoseconds < $0 } ?? false) {
            self = TimeSeries()
            engineIDs = ids
        }
        guard snapshot.eventsReplayed > 0, positions.last != snapshot.positionNanoseconds else { return }
        positions.append(snapshot.positionNanoseconds)
        simulated.append(snapshot.engines.map(\.metrics.simulatedNanoseconds))
        counters.append(snapshot.engines.map { e in Counter.allCases.map { $0.value(e.metrics, e.descriptor) } })
        if positions.count > Self.capacity { thin() }
    }

    private mutating func thin() {
        // Keep the last sample (the present) and every other one before it.
        let keep = positions.indices.filter { $0 % 2 == 1 || $0 == positions.count - 1 }
        positions = keep.map { positions[$0] }
        simulated = keep.map { simulated[$0] }
        counters = keep.map { counters[$0] }
    }

    /// One interval between consecutive samples: its trace span, each engine's slowdown over it
    /// (its simulated time over native's in that interval; nil where native's did not move),
    /// and the counter's rate per trace second.
    public struct Interval: Sendable, Equatable {
        public var start: UInt64
        public var end: UInt64
        public var slowdown: [Double?]
        public var rate: [Double]
    }

    public func intervals(counter: Counter) -> [Interval] {
        guard positions.count >= 2 else { return [] }
        let c = Counter.allCases.firstIndex(of: counter)!
        return (1..<positions.count).map { i in
            let seconds = Double(positions[i] - positions[i - 1]) / 1e9
            let native = simulated[i][0] - simulated[i - 1][0]
            return Interval(start: positions[i - 1], end: positions[i],
                            slowdown: simulated[i].indices.map { e in
                                native > 0 ? (simulated[i][e] - simulated[i - 1][e]) / native : nil },
                            rate: counters[i].indices.map { e in
                                seconds > 0 ? (counters[i][e][c] - counters[i - 1][e][c]) / seconds : 0 })
        }
    }
}
