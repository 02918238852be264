import PVKernel

/// Empty is a warning, not a plausible answer: a filter that matched no event, or a run that
/// replayed none, otherwise prints zeros and "1.000× +0.0%" as if something had been measured.
/// The headless summary, stderr and the dashboard header all say it with this one sentence.
public enum EmptyResult {
    /// `cpu=5 proc=nosuch` (the words of `--cpu` / `--process` / the `f` form).
    public static func describe(_ f: EventFilter) -> String {
        var parts: [String] = []
        if let c = f.eventClass { parts.append("class=\(c.label)") }
        if let c = f.cpu { parts.append("cpu=\(c)") }
        if let p = f.process { parts.append("process=\(p)") }
        return parts.joined(separator: " ")
    }

    /// One line when the result is empty, nil when something was replayed. `finished` = the
    /// source has ended, so "nothing yet" has become "nothing".
    public static func warning(_ s: Snapshot, filter: EventFilter, finished: Bool) -> String? {
        guard let native = s.engines.first else { return nil }
        let m = native.metrics
        let matchedClass = filter.eventClass.map { m.classCounts[$0.index] > 0 } ?? true
        if m.events > 0 && matchedClass { return nil }
        if s.eventsReplayed == 0 {
            return finished ? "no event was replayed (an empty trace, or a duration shorter than the first event)" : nil
        }
        guard !filter.isEmpty, finished || s.eventsReplayed >= 10_000 else { return nil }
        return "filter \(describe(filter)) matched none of the \(Summary.group(s.eventsReplayed)) events read"
            + (finished ? "" : " so far")
    }
}
