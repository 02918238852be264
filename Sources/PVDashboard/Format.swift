/// Number formatting shared by every widget: short counts (`883k`), durations with units
/// (`0.61 µs`), slowdowns (`1.37× +37%`) and bcc/bpftrace log2 bucket labels (`[512, 1K)`).
public enum Format {
    /// 0…999 as is, then k / M / G with at most 3 significant digits (`4.1M`, `883k`, `12.3k`).
    public static func count(_ n: UInt64) -> String { count(Double(n)) }

    public static func count(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let a = abs(v)
        if a < 1000 { return a == a.rounded() ? String(Int(v)) : fixed(v, a < 10 ? 2 : a < 100 ? 1 : 0) }
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where a >= scale * 0.9995 {
            let x = v / scale
            let ax = abs(x)
            return (ax >= 99.95 ? fixed(x, 0) : ax >= 9.995 ? fixed(x, 1) : fixed(x, 2)) + suffix
        }
        return fixed(v, 0)
    }

    /// `value` with exactly `digits` decimals (no Foundation: this runs every frame).
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let negative = value < 0 && scaled > 0
        let whole = UInt64(scaled / scale)
        let frac = UInt64(scaled - Double(whole) * scale)
        var s = negative ? "-" : ""
        s += String(whole)
        if digits > 0 {
            let f = String(frac)
            s += "." + String(repeating: "0", count: max(digits - f.count, 0)) + f
        }
        return s
    }

    /// Nanoseconds as `850 ns`, `1.25 µs`, `12.5 ms`, `3.02 s` (3 significant digits).
    public static func duration(nanoseconds ns: Double) -> String {
        guard ns.isFinite else { return "-" }
        let a = abs(ns)
        func sig(_ x: Double) -> String { abs(x) >= 99.95 ? fixed(x, 0) : abs(x) >= 9.995 ? fixed(x, 1) : fixed(x, 2) }
        if a < 999.5 { return fixed(ns, 0) + " ns" }
        if a < 999_500 { return sig(ns / 1e3) + " µs" }
        if a < 999_500_000 { return sig(ns / 1e6) + " ms" }
        return sig(ns / 1e9) + " s"
    }

    /// Trace position in seconds with 3 decimals: `0.212`.
    public static func seconds(nanoseconds ns: UInt64) -> String { fixed(Double(ns) / 1e9, 3) }

    /// `1.37× +37%`; native (exactly 1) is `1.00×`; below 1 gives `0.98× -2%`.
    public static func slowdown(_ ratio: Double, withPercent: Bool = true) -> String {
        guard ratio.isFinite, ratio > 0 else { return "-" }
        let times = (ratio >= 99.5 ? fixed(ratio, 0) : ratio >= 9.995 ? fixed(ratio, 1) : fixed(ratio, 2)) + "×"
        guard withPercent else { return times }
        let pct = (ratio - 1) * 100
        let rounded = pct.rounded()
        if rounded == 0 && abs(pct) < 0.5 { return abs(ratio - 1) < 1e-12 ? times : times + " +0%" }
        return times + " " + (rounded > 0 ? "+" : "") + count(rounded) + "%"
    }

    /// Signed difference of durations: `+1.30 µs`, `-20 ns`, `±0`.
    public static func delta(nanoseconds ns: Double) -> String {
        if ns == 0 { return "±0" }
        return (ns > 0 ? "+" : "-") + duration(nanoseconds: abs(ns))
    }

    /// Percentage of a total: `38%`, `<1%` for small non-zero parts, `0%` for none.
    public static func percent(_ part: Double, of total: Double) -> String {
        guard total > 0, part > 0 else { return "0%" }
        let p = part / total * 100
        if p < 0.5 { return "<1%" }
        return fixed(p, 0) + "%"
    }

    /// A power of two with bpftrace's suffixes: 512, 1K, 2M, 4G.
    public static func power2(_ value: UInt64) -> String {
        if value >= 1 << 40, value % (1 << 40) == 0 { return "\(value >> 40)T" }
        if value >= 1 << 30, value % (1 << 30) == 0 { return "\(value >> 30)G" }
        if value >= 1 << 20, value % (1 << 20) == 0 { return "\(value >> 20)M" }
        if value >= 1 << 10, value % (1 << 10) == 0 { return "\(value >> 10)K" }
        return String(value)
    }

    /// A bucket bound with bpftrace's suffixes, allowing the fractions `hist(x, k)` needs:
    /// 768, 1K, 1.25K, 1.5M.
    public static func bound(_ value: Double) -> String {
        let units: [(Double, String)] = [(1_099_511_627_776, "T"), (1_073_741_824, "G"), (1_048_576, "M"), (1024, "K")]
        for (u, suffix) in units where value >= u {
            var t = fixed(value / u, 2)
            while t.hasSuffix("0") { t.removeLast() }
            if t.hasSuffix(".") { t.removeLast() }
            return t + suffix
        }
        return fixed(value, 0)
    }

    /// bpftrace `hist()` bucket label for bucket `k` = [2^k, 2^(k+1)); bucket 0 is `[0, 2)`.
    public static func log2Bucket(_ k: Int) -> String {
        if k <= 0 { return "[0, 2)" }
        return "[\(power2(1 << UInt64(k))), \(power2(1 << UInt64(k + 1))))"
    }

    /// A horizontal bar of `fraction` (0…1) of `width` cells, with eighth-block resolution
    /// (`█████▍`); any non-zero fraction shows at least a sliver.
    public static func bar(_ fraction: Double, width: Int) -> String {
        guard width > 0, fraction > 0, fraction.isFinite else { return "" }
        let eighths = Int((min(fraction, 1) * Double(width * 8)).rounded())
        let full = eighths / 8, rest = eighths % 8
        let partials: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var s = String(repeating: "█", count: full)
        if rest > 0 { s.append(partials[rest - 1]) }
        if s.isEmpty { s = "▏" }
        return s
    }

    /// The last `width` values as a sparkline (`▁▂▃▅▇`) scaled between their smallest and
    /// largest value; a series that moves less than `flatSpan` is drawn flat (`▄`), so float
    /// noise on a steady value does not look like a trend.
    public static func sparkline(_ values: [Double], width: Int, flatSpan: Double) -> String {
        guard width > 0, !values.isEmpty else { return "" }
        let shown = values.suffix(width)
        let lo = shown.min()!, hi = shown.max()!
        let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        guard hi - lo >= flatSpan else { return String(repeating: "▄", count: shown.count) }
        return String(shown.map { v -> Character in
            let f = min(max((v - lo) / (hi - lo), 0), 1)
            return levels[Int((f * 7).rounded())]
        })
    }

    /// Pads (or cuts) to exactly `width` columns.
    public static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        if s.count >= width { return String(s.prefix(width)) }
        let padding = String(repeating: " ", count: width - s.count)
        return right ? padding + s : s + padding
    }
}
