import Foundation

/// A CPU-generation cost profile: cycles per action, each value with its `source` or flagged
/// as an `assumption` (with the reason), loaded from a JSON data file so a user can read and
/// change every number. See Sources/PVKernel/Profiles/*.json.
///
/// File format:
/// ```json
/// { "name": "vtx-2006", "description": "…", "clockGHz": 2.0,
///   "ept": false,
///   "costs": { "native.cli": { "cycles": 5, "source": "Intel Technology Journal 12(3), 2008 …" },
///              "xen.hypercall": { "cycles": 900, "assumption": "no published number …" } },
///   "flags": { "kvm.apicv": { "on": false, "source": "…" } },
///   "quantities": { "kvm.haltpoll.avoided_fraction": { "value": 0.5, "assumption": "…" } } }
/// ```
/// Cycles, on/off facts of the CPU or hypervisor, and dimensionless quantities (fractions,
/// counts) are kept apart so none is read as another.
public struct CostProfile: Sendable {
    public var name: String
    public var description: String
    /// One place converts cycles to time: this clock.
    public var clockGHz: Double
    /// Whether the CPU has EPT/NPT (two-dimensional paging). Without it KVM uses shadow paging.
    public var ept: Bool
    public var costs: [String: Parameter]
    /// On/off facts of the CPU or hypervisor generation (`kvm.apicv`).
    public var flags: [String: Flag]
    /// Dimensionless numbers: fractions and counts (`kvm.haltpoll.avoided_fraction`).
    public var quantities: [String: Parameter]
    /// Where it was loaded from (a bundled name or a user's path).
    public var origin: String

    public init(name: String, description: String, clockGHz: Double, ept: Bool,
                costs: [String: Parameter], flags: [String: Flag] = [:], quantities: [String: Parameter] = [:],
                origin: String) {
        self.name = name; self.description = description; self.clockGHz = clockGHz
        self.ept = ept; self.costs = costs; self.flags = flags; self.quantities = quantities; self.origin = origin
    }

    public struct Flag: Sendable, Equatable {
        public var on: Bool
        public var source: String?
        public var assumption: String?
        public var isAssumption: Bool { assumption != nil }
        public init(on: Bool, source: String?, assumption: String?) {
            self.on = on; self.source = source; self.assumption = assumption
        }
    }

    public struct Parameter: Sendable, Equatable {
        public var value: Double
        public var source: String?
        public var assumption: String?
        public var isAssumption: Bool { assumption != nil }
        public init(value: Double, source: String?, assumption: String?) {
            self.value = value; self.source = source; self.assumption = assumption
        }
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case malformed(String, String)
        case missingCost(profile: String, key: String)
        case missingFlag(profile: String, key: String)
        case missingQuantity(profile: String, key: String)
        case unknownProfile(String, available: [String])

        public var description: String {
            switch self {
            case let .unreadable(path, why): return "\(path): error: \(why)"
            case let .malformed(path, why): return "\(path): error: \(why)"
            case let .missingCost(profile, key):
                return "\(profile): error: profile has no cost \"\(key)\" (add it with a source or an assumption)"
            case let .missingFlag(profile, key):
                return "\(profile): error: profile has no flag \"\(key)\" in \"flags\" (add it with a source or an assumption)"
            case let .missingQuantity(profile, key):
                return "\(profile): error: profile has no quantity \"\(key)\" in \"quantities\" (add it with a source or an assumption)"
            case let .unknownProfile(name, available):
                return "no profile named \"\(name)\"; bundled: \(available.joined(separator: ", ")) (or pass a .json path)"
            }
        }
    }

    /// Cycles for `key`; throws if the profile lacks it, so a backend fails at start-up,
    /// never in the middle of a replay.
    public func cycles(_ key: String) throws -> Double {
        guard let p = costs[key] else { throw LoadError.missingCost(profile: origin, key: key) }
        return p.value
    }

    /// An on/off fact of the profile's CPU or hypervisor; throws if missing.
    public func flag(_ key: String) throws -> Bool {
        guard let f = flags[key] else { throw LoadError.missingFlag(profile: origin, key: key) }
        return f.on
    }

    /// A dimensionless quantity (fraction, count); throws if missing.
    public func quantity(_ key: String) throws -> Double {
        guard let q = quantities[key] else { throw LoadError.missingQuantity(profile: origin, key: key) }
        return q.value
    }

    /// Clock conversion: the only place cycles become time.
    @inline(__always)
    public func nanoseconds(cycles: Double) -> Double { cycles / clockGHz }

    // MARK: loading

    public static var bundledNames: [String] {
        guard let dir = Bundle.module.resourceURL?.appendingPathComponent("Profiles"),
              let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
            .filter { $0 != "kernel-model" }.sorted()
    }

    /// A bundled profile by name (`vtx-2006`), or a JSON file by path.
    public static func load(_ nameOrPath: String) throws -> CostProfile {
        if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            return try load(url: URL(fileURLWithPath: nameOrPath), origin: nameOrPath)
        }
        guard nameOrPath != "kernel-model", bundledNames.contains(nameOrPath),
              let url = Bundle.module.resourceURL?.appendingPathComponent("Profiles/\(nameOrPath).json")
        else { throw LoadError.unknownProfile(nameOrPath, available: bundledNames) }
        return try load(url: url, origin: nameOrPath)
    }

    public static func load(url: URL, origin: String) throws -> CostProfile {
        try parse(ParameterFile.contents(path: url.path, origin: origin), origin: origin)
    }

    public static func parse(_ data: Data, origin: String) throws -> CostProfile {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw LoadError.malformed(origin, "not valid JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw LoadError.malformed(origin, "top level must be an object") }
        guard let name = root["name"] as? String else { throw LoadError.malformed(origin, "missing \"name\"") }
        guard let clock = (root["clockGHz"] as? NSNumber)?.doubleValue, clock > 0 else {
            throw LoadError.malformed(origin, "missing or non-positive \"clockGHz\"")
        }
        let costsObject = root["costs"] as? [String: Any] ?? [:]
        var costs: [String: Parameter] = [:]
        for (key, raw) in costsObject {
            costs[key] = try parameter(raw, key: key, valueKey: "cycles", origin: origin)
        }
        var flags: [String: Flag] = [:]
        for (key, raw) in root["flags"] as? [String: Any] ?? [:] {
            guard let entry = raw as? [String: Any], let on = entry["on"] as? Bool else {
                throw LoadError.malformed(origin, "flag \"\(key)\" needs \"on\": true or false")
            }
            let source = entry["source"] as? String, assumption = entry["assumption"] as? String
            if (source == nil) == (assumption == nil) {
                throw LoadError.malformed(origin, "\"\(key)\" needs exactly one of \"source\" or \"assumption\"")
            }
            flags[key] = Flag(on: on, source: source, assumption: assumption)
        }
        var quantities: [String: Parameter] = [:]
        for (key, raw) in root["quantities"] as? [String: Any] ?? [:] {
            quantities[key] = try parameter(raw, key: key, valueKey: "value", origin: origin)
        }
        return CostProfile(name: name, description: root["description"] as? String ?? "",
                           clockGHz: clock, ept: root["ept"] as? Bool ?? true, costs: costs, flags: flags,
                           quantities: quantities, origin: origin)
    }

    /// `{ "<valueKey>": n, "source": "…" }` or `{ …, "assumption": "why" }`: exactly one of them.
    static func parameter(_ raw: Any, key: String, valueKey: String, origin: String) throws -> Parameter {
        guard let entry = raw as? [String: Any], let v = (entry[valueKey] as? NSNumber)?.doubleValue else {
            throw LoadError.malformed(origin, "\"\(key)\" needs a numeric \"\(valueKey)\"")
        }
        let source = entry["source"] as? String
        let assumption = entry["assumption"] as? String
        if (source == nil) == (assumption == nil) {
            throw LoadError.malformed(origin, "\"\(key)\" needs exactly one of \"source\" or \"assumption\"")
        }
        guard v >= 0, v.isFinite else { throw LoadError.malformed(origin, "\"\(key)\" must be a finite number ≥ 0") }
        return Parameter(value: v, source: source, assumption: assumption)
    }
}
