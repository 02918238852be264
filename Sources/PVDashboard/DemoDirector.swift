import PVKernel

/// `--demo` talk mode: walks through the views on a timer while a trace plays, and says when to
/// move to the next trace. Pure: the loop asks it for the inputs due at an elapsed time.
public struct DemoDirector: Sendable, Equatable {
    /// How long one trace plays in the demo; its speed is fitted to this.
    public static let secondsPerTrace: Double = 48

    /// (second, input): the tour through the panels, as keys a presenter would press, looked
    /// up in the key map by what they do.
    public static let script: [(at: Double, input: Input)] = [
        (5, KeyMap.key(for: .drillDown)),            // per-reason rows
        // One event and what each engine made of it, early: a trace's speed is rounded up to
        // a step, so it may end well before its 42 s.
        (9, KeyMap.key(for: .step)),
        (13, KeyMap.key(for: .playPause)),            // back to the overview, playing
        (15, KeyMap.key(for: .drillDown)),
        (16, KeyMap.key(for: EventClass.pageFault)),  // latency panel: page faults
        (18, KeyMap.key(for: .view)),                 // latency view
        (22, KeyMap.key(for: EventClass.syscall)),
        (25, KeyMap.key(for: EventClass.contextSwitch)),
        (28, KeyMap.key(for: .view)),                 // per CPU
        (32, KeyMap.key(for: .view)),                 // time series: when each backend pays
        (36, KeyMap.key(for: .view)),                 // headline: where the extra cycles go
        (44, KeyMap.key(for: .view)),                 // back to the overview
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

    /// True when the current trace has had its time: the loop opens the next one. A trace that
    /// ended early still waits for the whole tour.
    public func wantsNextTrace(elapsedSeconds: Double, finished: Bool = false) -> Bool {
        elapsedSeconds >= DemoDirector.secondsPerTrace
            || (finished && elapsedSeconds > (DemoDirector.script.last?.at ?? 0) + 2)
    }

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
