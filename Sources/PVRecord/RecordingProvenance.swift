import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// The `# pvtop-provenance: key=value` lines `pvtop record` and `pvtop synth` put before the
/// tracefs header: where, when, how and with what loss a trace was made. The reader keeps
/// them in `TraceHeader.provenance`, in order.
public struct RecordingProvenance: Sendable, Equatable {
    public static let linePrefix = "# pvtop-provenance: "
    /// The pvtop release that wrote the trace.
    public static let pvtopVersion = "0.1.0"

    public private(set) var entries: [(key: String, value: String)] = []

    public init() {}

    public static func == (a: Self, b: Self) -> Bool {
        a.entries.map { $0.key + "=" + $0.value } == b.entries.map { $0.key + "=" + $0.value }
    }

    /// Appends one entry. Keys are lower-case words with `-` and `.`; a value is one line
    /// (newlines become spaces) so every entry stays one header line.
    public mutating func add(_ key: String, _ value: String) {
        precondition(!key.isEmpty && key.allSatisfy { $0.isLetter || $0.isNumber || "-._".contains($0) },
                     "provenance key \(key)")
        let clean = String(value.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        entries.append((key, clean))
    }

    /// Per-event line counts, `count.<event>=N`, most frequent first (ties by name).
    public mutating func addCounts(_ counts: [String: UInt64]) {
        add("events-total", String(counts.values.reduce(0, +)))
        for (name, n) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
            add("count." + name, String(n))
        }
    }

    public var text: String {
        entries.map { Self.linePrefix + $0.key + "=" + $0.value + "\n" }.joined()
    }

    /// Parses provenance lines back (for tests and `pvtop inspect`-like tools).
    public static func parse(_ text: String) -> RecordingProvenance {
        var p = RecordingProvenance()
        for line in text.split(separator: "\n") where line.hasPrefix(linePrefix) {
            let kv = line.dropFirst(linePrefix.count)
            guard let eq = kv.firstIndex(of: "=") else { continue }
            p.entries.append((String(kv[..<eq]), String(kv[kv.index(after: eq)...])))
        }
        return p
    }

    public subscript(key: String) -> String? { entries.first { $0.key == key }?.value }
}

/// Facts about the recording machine, read from /proc.
public struct MachineInfo: Sendable, Equatable {
    public var kernelRelease: String
    public var kernelVersion: String
    public var cpuModel: String
    public var cpuCount: Int
    /// The `hypervisor` CPUID flag: the trace was recorded inside a VM, so its "native"
    /// gaps already include that hypervisor's costs.
    public var virtualized: Bool

    public static func current() -> MachineInfo {
        let release = readSmallFile("/proc/sys/kernel/osrelease") ?? "unknown"
        let version = readSmallFile("/proc/sys/kernel/version") ?? ""
        let cpuinfo = readSmallFile("/proc/cpuinfo") ?? ""
        var model = "unknown"
        var virtualized = false
        for line in cpuinfo.split(separator: "\n") {
            if model == "unknown", line.hasPrefix("model name") || line.hasPrefix("Model"),
               let c = line.firstIndex(of: ":") {
                model = line[line.index(after: c)...].drop { $0 == " " }.description
            }
            if line.hasPrefix("flags"), line.split(separator: " ").contains("hypervisor") {
                virtualized = true
                break
            }
        }
        let cpus = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return MachineInfo(kernelRelease: trimmed(release), kernelVersion: trimmed(version), cpuModel: model,
                           cpuCount: cpus, virtualized: virtualized)
    }

    private static func trimmed(_ s: String) -> String {
        String(s.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
    }
}

/// ISO 8601 UTC, to the second: `2026-11-26T17:30:00Z`.
public func utcTimestamp(_ t: time_t = time(nil)) -> String {
    var tt = t
    var tmv = tm()
    gmtime_r(&tt, &tmv)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(tmv.tm_year + 1900)-\(two(tmv.tm_mon + 1))-\(two(tmv.tm_mday))T\(two(tmv.tm_hour)):\(two(tmv.tm_min)):\(two(tmv.tm_sec))Z"
}

/// A command line as a shell would need it quoted (for the `command=` entry).
public func shellQuoted(_ argv: [String]) -> String {
    argv.map { arg in
        let safe = !arg.isEmpty && arg.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+%@".contains($0) }
        return safe ? arg : "'" + arg.replacingAll("'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
