/// The headless loop: replay interval by interval, hand each interval's CSV rows to `emit`,
/// and return the final snapshot. `shouldStop` is polled between intervals (SIGTERM): the
/// rows written so far stay complete and the summary still comes out.
public enum Headless {
    public static func run(_ replay: Replay, intervalNanoseconds: UInt64,
                           emit: ((String) throws -> Void)?,
                           shouldStop: () -> Bool = { false }) throws -> Snapshot {
        let interval = max(intervalNanoseconds, 1)
        try emit?(CSVExport.header)
        var previous: Snapshot?
        var start: UInt64 = 0
        _ = replay.takeWindows()
        while !replay.isFinished && !shouldStop() {
            let end = start &+ interval
            // Events at exactly `end` belong to the next interval [end, end + interval).
            try replay.advance(toTraceTime: end &- 1, eventBudget: .max)
            let current = replay.snapshot()
            let windows = replay.takeWindows()
            let last = replay.isFinished
            if let emit {
                try emit(CSVExport.rows(previous: previous, current: current, windows: windows,
                                        intervalStart: start, intervalEnd: last ? max(current.positionNanoseconds, start) : end))
            }
            previous = current
            start = end
        }
        return replay.snapshot()
    }
}
