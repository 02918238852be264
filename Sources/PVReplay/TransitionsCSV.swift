import PVKernel

/// `--transitions-csv FILE`: the per-transition table (TransitionCost) in long format, one row
/// per engine and transition that happened, for the whole run; RFC 4180 like the interval CSV,
/// engines in display order, rows costliest first. Documented in docs/csv.md.
public enum TransitionsCSV {
    public static let columns = ["engine", "profile", "kind", "transition", "count", "count_share",
                                 "cycles", "time_share", "avg_cycles"]

    public static func text(_ s: Snapshot) -> String {
        var out = columns.joined(separator: ",") + "\r\n"
        for e in s.engines {
            for t in TransitionCost.table(e) {
                let fields = [e.descriptor.id.rawValue, s.profileName, t.kind.rawValue, t.name, String(t.count),
                              fixed(t.countShare, 6), fixed(t.cycles, 0), fixed(t.timeShare, 6), fixed(t.averageCycles, 1)]
                out += fields.map(CSVExport.quote).joined(separator: ",") + "\r\n"
            }
        }
        return out
    }
}
