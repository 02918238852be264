import PVKernel

/// `--demo` talk mode: walks through the views on a timer while a trace plays, and says when to
/// move to the next trace. Pure: the loop asks it for the inputs due at an elapsed time.
public struct DemoDirector: Sendable, Equatable {
    /// How long one trace plays in the demo; its speed is fitted to this.
    public static let secondsPerTrace: Double = 48

    /// (second, input): the tour through the panels, as keys a presenter would press.
    public static let script: [(at: Double, input: Input)] = [
        (6, .character("x")),   // drill down: per-reason rows
        (12, .character("x")),
        (14, .character("2")),  // latency panel: page faults
        (20, .character("t")),  // latency view
        (26, .character("1")),  // syscalls
        (30, .character("3")),  // context switches
        (32, .character("t")),  // per CPU
        (36, .character("t")),  // headline: where the extra cycles go
        (46, .character("t")),  // back to the overview
    ]

    public private(set) var traceIndex = 0
    public let traceCount: Int
    private var nextStep = 0

    public init(traceCount: Int) { self.traceCount = max(traceCount, 1) }

    /// The speed that plays `durationNanoseconds` of trace in about `secondsPerTrace` (nil =
    /// unknown length: 1×).
    public static func speed(forDurationNanoseconds d: UInt64?) -> Double {
        guard let d, d > 0 else { return 1 }
        return Double(d) / 1e9 / (secondsPerTrace - 6)
    }

    /// Inputs that became due since the last call.
    public mutating func inputs(elapsedSeconds: Double) -> [Input] {
        var due: [Input] = []
        while nextStep < DemoDirector.script.count, DemoDirector.script[nextStep].at <= elapsedSeconds {
            due.append(DemoDirector.script[nextStep].input)
            nextStep += 1
        }
        return due
    }

    /// True when the current trace has had its time: the loop opens the next one.
    public func wantsNextTrace(elapsedSeconds: Double) -> Bool { elapsedSeconds >= DemoDirector.secondsPerTrace }

    /// Moves to the next trace (wrapping) and rewinds the script; returns its index.
    public mutating func nextTrace() -> Int {
        traceIndex = (traceIndex + 1) % traceCount
        nextStep = 0
        return traceIndex
    }

    public static func == (a: DemoDirector, b: DemoDirector) -> Bool {
        a.traceIndex == b.traceIndex && a.traceCount == b.traceCount && a.nextStep == b.nextStep
    }
}
