/// The timeline policy between the reader and the engines: what a timestamp that does not
/// follow the previous ones becomes. Every event leaves it with a time that never goes
/// backwards on its CPU, so no engine ever sees a negative gap.
///
/// Within one CPU, ftrace's ring buffer is in time order (Documentation/trace/ring-buffer-design.rst); across
/// CPUs the merged text is only as ordered as the trace clock, so only per-CPU order is
/// enforced.
/// - A timestamp a little earlier than its CPU's previous one (up to `maxJumpNanoseconds`) is
///   clamped to it: the event keeps its place and costs no recorded time. (Taking the
///   difference as elapsed time instead made one such line add a second to a CPU's clock.)
/// - A jump of the trace clock by more than `maxJumpNanoseconds` — forward past the latest
///   event of any CPU (a recording that paused), or back on one CPU (after a corrupted digit,
///   or a clock reset) — is cut out: the events from there on are shifted by the jump, so the
///   stretch counts as no time instead of hours of idle or a CPU stuck at a future time.
public struct TraceTimeline: Sendable {
    public enum Verdict: Equatable, Sendable {
        case inOrder
        /// Earlier than the CPU's previous event by `nanoseconds` (within the jump limit): clamped.
        case backwards(nanoseconds: UInt64)
        /// A jump forward (`forward`) or back by `nanoseconds`, beyond the limit: cut out.
        case jump(nanoseconds: UInt64, forward: Bool)
    }

    /// Default jump limit: an *assumption*, not a measured figure. The longest silence of the
    /// whole trace clock in the bundled recordings is 24 ms (idle.trace.xz); ten seconds leaves
    /// room for long idle stretches and still catches a paused recording or a corrupted digit.
    /// `--max-gap` changes it.
    public static let defaultMaxJumpNanoseconds: UInt64 = 10_000_000_000

    public let maxJumpNanoseconds: UInt64
    /// Adjusted time of each CPU's previous event (nil: none yet).
    private var lastByCPU: [UInt64?] = []
    /// The latest adjusted time of any CPU.
    private var latest: UInt64?
    /// Subtracted from every recorded timestamp: the sum of the jumps cut out so far.
    private var offset: Int128 = 0

    public init(maxJumpNanoseconds: UInt64 = Self.defaultMaxJumpNanoseconds) {
        self.maxJumpNanoseconds = maxJumpNanoseconds
    }

    /// The time to use for the event recorded at `timestamp` on `cpu`, and what was done to it.
    public mutating func admit(cpu: Int, timestamp: UInt64) -> (time: UInt64, verdict: Verdict) {
        if cpu >= lastByCPU.count {
            lastByCPU.append(contentsOf: repeatElement(nil, count: cpu + 1 - lastByCPU.count))
        }
        let limit = Int128(maxJumpNanoseconds)
        var t = Int128(timestamp) - offset
        var verdict = Verdict.inOrder
        if let previous = lastByCPU[cpu].map { Int128($0) }, t < previous {
            let back = previous - t
            if back > limit {
                offset -= back
                verdict = .jump(nanoseconds: UInt64(clamping: back), forward: false)
            } else {
                verdict = .backwards(nanoseconds: UInt64(back))
            }
            t = previous
        } else if let latest = latest.map { Int128($0) }, t - latest > limit {
            offset += t - latest
            verdict = .jump(nanoseconds: UInt64(clamping: t - latest), forward: true)
            t = latest
        }
        let time = UInt64(clamping: t)
        lastByCPU[cpu] = time
        latest = Swift.max(latest ?? time, time)
        return (time, verdict)
    }
}
