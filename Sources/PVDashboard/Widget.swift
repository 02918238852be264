/// A widget is a value built for one frame that draws itself into a rectangle of the buffer
/// (ratatui's `Widget`). No widget touches the terminal.
public protocol Widget {
    func render(_ area: Rect, into buffer: inout CellBuffer)
}

/// The interval two snapshots span, for rates: trace seconds between them (kvm_stat's CurAvg/s,
/// measured on the trace's clock so the rate does not depend on the playback speed).
public struct RateBasis: Sendable {
    public var seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    /// Per-second rate of a counter that went from `before` to `now`; nil when the interval is
    /// empty or the counter went backwards (a restart or seek back since `before`).
    public func rate(_ now: UInt64, _ before: UInt64?) -> Double? {
        guard let before, seconds > 0, now >= before else { return nil }
        return Double(now - before) / seconds
    }
}
