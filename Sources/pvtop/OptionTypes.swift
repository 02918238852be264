import ArgumentParser
import PVDashboard
import PVKernel
import PVReplay
import PVTrace

// Option values are types, parsed once at the edge: a bad value is exit 64 with one line
// (ArgumentParser's `Error: …`) and nothing downstream re-reads a string.

/// A length of time given with its unit: `250us`, `10ms`, `5s`, `1m`, `2h` (also `ns`, `µs`).
/// A bare number is refused: it used to mean milliseconds for some options and seconds for others.
struct DurationArgument: Sendable, Equatable, CustomStringConvertible {
    let nanoseconds: UInt64

    init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Longest suffix first, so `ms` is not read as `m` + `s`.
    static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]
    static let forms = "e.g. 500us, 10ms, 5s, 1m"

    /// Parses `text` for `option`, within `range` nanoseconds.
    init(parsing text: String, option: String, within range: ClosedRange<UInt64>) throws {
        guard let unit = Self.units.first(where: { text.hasSuffix($0.suffix) }) else {
            if let bare = Double(text), bare.isFinite {
                throw ValidationError("\(option) \(text) needs a unit (\(Self.forms))")
            }
            throw ValidationError("\(option): cannot read the duration \"\(text)\" (\(Self.forms))")
        }
        guard let value = Double(text.dropLast(unit.suffix.count)), value.isFinite, value > 0 else {
            throw ValidationError("\(option): cannot read the duration \"\(text)\" (\(Self.forms))")
        }
        let ns = (value * unit.nanoseconds).rounded()
        // Compared as Double first: converting an out-of-range Double to UInt64 traps.
        guard ns >= Double(range.lowerBound), ns <= Double(range.upperBound) else {
            throw ValidationError("\(option) \(text) is out of range (\(DurationArgument(nanoseconds: range.lowerBound)) to \(DurationArgument(nanoseconds: range.upperBound)))")
        }
        nanoseconds = min(max(UInt64(ns), range.lowerBound), range.upperBound)
    }

    /// For `@Option(transform:)`: `DurationArgument.parser("--interval", within: …)`.
    static func parser(_ option: String, within range: ClosedRange<UInt64>) -> @Sendable (String) throws -> DurationArgument {
        { try DurationArgument(parsing: $0, option: option, within: range) }
    }

    var duration: Duration { .nanoseconds(Int64(clamping: nanoseconds)) }

    /// The largest whole unit: `1us`, `100ms`, `86400s` (what help shows as a default).
    var description: String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(nanoseconds)ns"
    }

    /// Ranges of the duration options.
    enum Range {
        /// Text traces have microsecond timestamps: a shorter CSV interval only adds empty rows.
        static let interval: ClosedRange<UInt64> = 1_000...86_400_000_000_000
        static let maxGap: ClosedRange<UInt64> = 1_000...1_000_000_000_000_000
        /// A system-wide recording or a live run: 1 ms to a year.
        static let capture: ClosedRange<UInt64> = 1_000_000...(365 * 86_400 * 1_000_000_000)
    }
}

/// `on` or `off` (also `yes`/`no`, `true`/`false`, `1`/`0`, any case).
enum OnOff: String, ExpressibleByArgument, CaseIterable, Sendable {
    case on, off

    init?(argument: String) {
        switch argument.lowercased() {
        case "on", "true", "yes", "1": self = .on
        case "off", "false", "no", "0": self = .off
        default: return nil
        }
    }

    var isOn: Bool { self == .on }
}

/// `--backends xen-pv,kvm`: the paravirt engines beside native (native always runs).
struct BackendList: Sendable, Equatable, CustomStringConvertible {
    var ids: [BackendID]

    init(_ ids: [BackendID]) { self.ids = ids }

    init(parsing text: String) throws {
        var ids: [BackendID] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let id = BackendID(rawValue: name.lowercased()) else {
                throw ValidationError("unknown backend \"\(name)\"; choose from \(BackendID.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if id != .native, !ids.contains(id) { ids.append(id) }
        }
        self.ids = ids
    }

    static let all = BackendList([.xenPV, .kvm, .vmi, .lguest, .vbox])
    var description: String { ids.map(\.rawValue).joined(separator: ",") }
}

/// `--pv-feature pv_ipi=off` (a bare name means on).
struct PVFeatureSetting: Sendable, Equatable {
    var feature: KVMFeature
    var on: Bool

    init(parsing item: String) throws {
        // Split keeping empty parts so `=` or `x=` is an error, not a crash.
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let feature = KVMFeature(rawValue: parts[0]) else {
            throw ValidationError("unknown pv feature \"\(parts[0])\" in --pv-feature \"\(item)\"; features: \(KVMFeature.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.feature = feature
        if parts.count == 2 {
            guard let s = OnOff(argument: parts[1]) else {
                throw ValidationError("--pv-feature \(parts[0]) takes on or off, not \"\(parts[1])\"")
            }
            on = s.isOn
        } else {
            on = true
        }
    }
}

/// `--profile modern-2020` or `--profile my.json`: a bundled profile by name, else a file.
/// Resolved (loaded) once, by the `ReplaySession`.
enum ProfileChoice: Sendable, Equatable, CustomStringConvertible {
    case bundled(String)
    case file(String)

    init(parsing text: String) throws {
        guard !text.isEmpty else { throw ValidationError("--profile needs a name or a file") }
        self = CostProfile.bundledNames.contains(text) && text != KernelParameters.bundledName ? .bundled(text) : .file(text)
    }

    /// What `CostProfile.load` and the configuration take.
    var description: String {
        switch self {
        case let .bundled(name): return name
        case let .file(path): return path
        }
    }
}

extension Theme.Name: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension HostPageSize: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension RecordingEnvironment {
    /// `--recorded-on native` or `kvm[:feature=off,…,ept=off,host-pages=2m]`.
    init(parsingOption text: String) throws {
        switch RecordingEnvironment.parse(text) {
        case let .success(env): self = env
        case let .failure(error): throw ValidationError(error.description)
        }
    }
}
