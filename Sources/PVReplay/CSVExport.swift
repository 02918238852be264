import Foundation
import Histogram
import PVKernel

/// The per-interval CSV (RFC 4180): one row per interval and engine. The header is stable and
/// documented in docs/csv.md; new columns are only ever appended.
public struct CSVExport {
    public static let columns = [
        "interval_start_s", "interval_end_s", "engine", "profile", "settings",
        "events", "ops", "transitions", "hypercalls", "vm_exits", "rom_calls", "traps",
        "priced_cycles", "sim_time_s", "slowdown", "interval_slowdown",
        "p50_ns", "p95_ns", "p99_ns", "p999_ns",
    ]

    public static var header: String { columns.joined(separator: ",") + "\r\n" }

    /// Rows for the interval between `previous` and `current` (both cumulative snapshots);
    /// `windows[i]` holds engine i's latency samples of this interval.
    public static func rows(previous: Snapshot?, current: Snapshot, windows: [Histogram<UInt64>],
                            intervalStart: UInt64, intervalEnd: UInt64) -> String {
        var out = ""
        let nativeNow = current.engines[0].metrics.simulatedNanoseconds
        let nativeBefore = previous?.engines[0].metrics.simulatedNanoseconds ?? 0
        // Input warnings so far (skipped, clamped, reinterpreted lines), `input.kind=count`.
        let inputWarnings = current.diagnostics.countPairs.map { "input.\($0.key)=\($0.value)" }
        for (i, engine) in current.engines.enumerated() {
            let before = previous?.engines[i].metrics
            let m = engine.metrics
            let d = engine.descriptor
            func delta(_ now: UInt64, _ then: UInt64?) -> UInt64 { now &- (then ?? 0) }
            func kind(_ k: TransitionKind) -> UInt64 {
                delta(m.transitions(of: k, in: d), before?.transitions(of: k, in: d))
            }
            let simDelta = m.simulatedNanoseconds - (before?.simulatedNanoseconds ?? 0)
            let nativeDelta = nativeNow - nativeBefore
            let window = i < windows.count ? windows[i] : nil
            func pct(_ p: Double) -> String {
                guard let w = window, w.totalCount > 0 else { return "" }
                return String(w.valueAtPercentile(p))
            }
            let fields: [String] = [
                seconds(intervalStart), seconds(intervalEnd), d.id.rawValue, current.profileName,
                (d.settings.map { "\($0.key)=\($0.value)" } + [current.baseline.settings] + inputWarnings).joined(separator: ";"),
                String(delta(m.events, before?.events)), String(delta(m.ops, before?.ops)),
                String(delta(m.totalTransitions, before?.totalTransitions)),
                String(kind(.hypercall)), String(kind(.vmExit)), String(kind(.romCall)), String(kind(.trap)),
                fixed(m.pricedCycles - (before?.pricedCycles ?? 0), 0),
                fixed(m.simulatedNanoseconds / 1e9, 9),
                fixed(engine.slowdown, 6),
                nativeDelta > 0 ? fixed(simDelta / nativeDelta, 6) : "",
                pct(50), pct(95), pct(99), pct(99.9),
            ]
            out += fields.map(quote).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// RFC 4180: quote a field holding a comma, quote, CR or LF; double inner quotes.
    public static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func seconds(_ ns: UInt64) -> String { fixed(Double(ns) / 1e9, 6) }
}

/// Locale-independent fixed-point formatting (byte-identical output everywhere).
func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "" }
    return String(format: "%.\(decimals)f", locale: Locale(identifier: "en_US_POSIX"), value)
}
