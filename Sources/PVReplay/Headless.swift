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
            var end = start.addingReportingOverflow(interval).overflow ? .max : start + interval
            // An empty stretch (a pause in the recording) is one row up to the interval holding
            // the next event, so the loop is O(events + non-empty intervals), never one row per
            // empty interval of a huge clock jump.
            if let next = replay.nextEventPosition, next >= end {
                let stretch = start + (next - start) / interval * interval
                if stretch > start { end = stretch }  // else the clock is at its limit: take the rest
            }
            // Events at exactly `end` belong to the next interval [end, end + interval).
            // The last interval of a clock at its limit takes everything left (no `end - 1` wrap).
            try replay.advance(toTraceTime: end == .max ? .max : end - 1, eventBudget: .max)
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
