import Foundation

/// The text `pvtop model --profiles` and `--costs` print: a profile's numbers each with its
/// source or its assumption, so a reader sees what is measured and what is assumed.
extension CostProfile {
    /// One line per bundled profile (the kernel model is not a cost profile): name, clock,
    /// EPT, description.
    public static func bundledListing() throws -> String {
        var text = ""
        for name in bundledNames where name != KernelParameters.bundledName {
            let p = try load(name)
            text += "\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.clockGHz) GHz  EPT \(p.ept ? "yes" : "no ")  \(p.description)\n"
        }
        return text
    }

    /// Every cycle count, flag and quantity, sorted by key, each with `source:` or `ASSUMPTION:`.
    public var report: String {
        func why(_ source: String?, _ assumption: String?) -> String {
            source.map { "source: \($0)" } ?? "ASSUMPTION: \(assumption ?? "")"
        }
        func key(_ k: String) -> String { k.padding(toLength: 32, withPad: " ", startingAt: 0) }
        var lines = ["\(name): \(description)", "clock \(clockGHz) GHz, EPT \(ept ? "yes" : "no")", "cycles:"]
        for (k, p) in costs.sorted(by: { $0.key < $1.key }) {
            lines.append("\(key(k)) \(String(format: "%12.6g", p.value))  \(why(p.source, p.assumption))")
        }
        lines.append("flags:")
        for (k, f) in flags.sorted(by: { $0.key < $1.key }) {
            lines.append("\(key(k)) \((f.on ? "on" : "off").padding(toLength: 12, withPad: " ", startingAt: 0))  \(why(f.source, f.assumption))")
        }
        lines.append("quantities:")
        for (k, q) in quantities.sorted(by: { $0.key < $1.key }) {
            lines.append("\(key(k)) \(String(format: "%12.6g", q.value))  \(why(q.source, q.assumption))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
