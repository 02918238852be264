import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

/// Engine choices shared by `replay` and `live`.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Paravirt backends beside native, comma-separated (xen-pv, kvm, vmi, lguest, vbox).",
        valueName: "list"))
    var backends: String = "xen-pv,kvm,vmi,lguest,vbox"

    @Option(name: .long, help: ArgumentHelp(
        "CPU cost profile: a bundled name (see `pvtop model --profiles`) or a JSON file.", valueName: "name|file"))
    var profile: String = "modern-2020"

    @Option(name: .customLong("pv-feature"), help: ArgumentHelp(
        "KVM pv feature on or off, e.g. pv_ipi=off (repeatable). Features: \(KVMFeature.allCases.map(\.rawValue).joined(separator: ", ")). pv_eoi matters only with --apicv off: APICv virtualizes the EOI without an exit and leaves PV EOI inert.",
        valueName: "feature=on|off"))
    var pvFeatures: [String] = []

    @Option(name: .long, help: ArgumentHelp("KVM two-dimensional paging (EPT) on or off; default: the profile's CPU.", valueName: "on|off"))
    var ept: String?

    @Option(name: .long, help: ArgumentHelp(
        "KVM APIC virtualization with posted interrupts (APICv): EOIs and IPIs to running vCPUs without exits, PV EOI inert; default: the profile's CPU.",
        valueName: "on|off"))
    var apicv: String?

    @Option(name: .long, help: ArgumentHelp("Xen multicall / VMI deferred / lguest async batching.", valueName: "on|off"))
    var batching: String = "on"

    @Option(name: .long, help: ArgumentHelp(
        "Host overcommit: chance (0…1) that a target vCPU is preempted (what pv TLB flush, pv IPI and pv spinlocks are for).",
        valueName: "p"))
    var overcommit: Double = 0

    @Option(name: .customLong("recorded-on"), help: ArgumentHelp(
        "Where the trace was recorded, whose costs are removed from its gaps: native, or kvm[:feature=off,…,ept=off,host-pages=2m]; default: the trace's provenance (virtualized=yes → kvm).",
        valueName: "env"))
    var recordedOn: String?

    @Option(name: .customLong("host-pages"), help: ArgumentHelp(
        "Host page size behind two-dimensional paging (EPT/NPT) in the engines: 4k (24-reference walks) or 2m (19).",
        valueName: "4k|2m"))
    var hostPages: String = "4k"

    @Option(name: .customLong("kernel-model"), help: ArgumentHelp(
        "Kernel-model parameters JSON (default: the bundled kernel-model.json).", valueName: "file"))
    var kernelModel: String?

    /// Every option checked before anything runs: a bad value is exit 64 with one line.
    func validate() throws {
        _ = try backendIDs()
        _ = try backendOptions()
        if let kernelModel, kernelModel.isEmpty { throw ValidationError("--kernel-model needs a file name") }
        if profile.isEmpty { throw ValidationError("--profile needs a name or a file") }
    }

    func backendIDs() throws -> [BackendID] {
        var ids: [BackendID] = []
        for name in backends.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let id = BackendID(rawValue: name.lowercased()) else {
                throw ValidationError("unknown backend \"\(name)\"; choose from \(BackendID.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if id != .native, !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    func backendOptions() throws -> BackendOptions {
        guard overcommit.isFinite, (0...1).contains(overcommit) else { throw ValidationError("--overcommit must be between 0 and 1") }
        var features = Set(KVMFeature.allCases)
        for item in pvFeatures {
            // `name` or `name=on|off`; split keeping empty parts so `=` or `x=` is an error, not a crash.
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let feature = KVMFeature(rawValue: parts[0]) else {
                throw ValidationError("unknown pv feature \"\(parts[0])\" in --pv-feature \"\(item)\"; features: \(KVMFeature.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            switch parts.count == 2 ? try Self.onOff(parts[1], "--pv-feature \(parts[0])") : true {
            case true: features.insert(feature)
            case false: features.remove(feature)
            }
        }
        return BackendOptions(cpuCount: 1, overcommit: overcommit, kvmFeatures: features,
                              ept: try ept.map { try Self.onOff($0, "--ept") },
                              batching: try Self.onOff(batching, "--batching"),
                              apicv: try apicv.map { try Self.onOff($0, "--apicv") })
    }

    static func onOff(_ s: String, _ what: String) throws -> Bool {
        switch s.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw ValidationError("\(what) takes on or off, not \"\(s)\"")
        }
    }

    func configuration(filter: EventFilter = EventFilter()) throws -> ReplayConfiguration {
        guard let pages = HostPageSize(rawValue: hostPages.lowercased()) else {
            throw ValidationError("--host-pages takes 4k or 2m, not \"\(hostPages)\"")
        }
        var recorded: RecordingEnvironment?
        if let recordedOn {
            switch RecordingEnvironment.parse(recordedOn) {
            case let .success(env): recorded = env
            case let .failure(error): throw ValidationError(error.description)
            }
        }
        return ReplayConfiguration(backends: try backendIDs(), profile: profile, options: try backendOptions(), filter: filter,
                                   recordedOn: recorded, hostPages: pages)
    }
}

/// Parses `100ms`, `1s`, `0.5s`, `250us`, `5000000ns` (a bare number is milliseconds) into
/// nanoseconds within `range`; anything else (`inf`, `nan`, `-1s`, `1e30s`) is a usage error.
func parseDuration(_ text: String, option: String = "duration",
                   within range: ClosedRange<UInt64> = 1...UInt64(Int64.max)) throws -> UInt64 {
    let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
    var value: Double?
    var scale = 1e6
    for (suffix, s) in units where text.hasSuffix(suffix) {
        value = Double(text.dropLast(suffix.count)); scale = s
        break
    }
    if value == nil && Double(text) != nil { value = Double(text) }
    guard let v = value, v.isFinite, v > 0 else {
        throw ValidationError("\(option): cannot read the duration \"\(text)\" (e.g. 100ms, 1s)")
    }
    let ns = (v * scale).rounded()
    // Compared as Double first: converting an out-of-range Double to UInt64 traps.
    guard ns >= Double(range.lowerBound), ns <= Double(range.upperBound) else {
        throw ValidationError("\(option) \(text) is out of range (\(durationText(range.lowerBound)) to \(durationText(range.upperBound)))")
    }
    return min(max(UInt64(ns), range.lowerBound), range.upperBound)
}

/// `1us`, `100ms`, `86400s`: the largest whole unit.
func durationText(_ ns: UInt64) -> String {
    if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
    if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
    if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
    return "\(ns)ns"
}

/// Where the bundled traces are: $PVTOP_TRACES, ./traces, or beside the repo the binary was built in.
enum BundledTraces {
    static let defaultTrace = "compile.trace.xz"

    static func directory() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PVTOP_TRACES"] { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/traces")
        var exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(exe.appendingPathComponent("traces").path)
            exe = exe.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + defaultTrace) }
    }

    static func all() -> [String] {
        guard let dir = directory(),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".trace.xz") || $0.hasSuffix(".trace") || $0.hasSuffix(".trace.gz") }
            .sorted().map { dir + "/" + $0 }
    }

    static func defaultPath() throws -> String { try path(named: defaultTrace) }

    static func path(named name: String) throws -> String {
        guard let dir = directory(), FileManager.default.fileExists(atPath: dir + "/" + name) else {
            throw CLIError("no trace given and the bundled traces/\(name) was not found (run from the repository, or set PVTOP_TRACES)")
        }
        return dir + "/" + name
    }
}

/// A one-line error for the user; the command prints it and exits 2.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Runs `body`; an error the user can act on (bad input, options, profile) becomes one line on
/// stderr and exit status 2, never a crash or a stack trace.
func reportingUserErrors(_ body: () throws -> Void) throws {
    func fail(_ message: String) -> ExitCode {
        printError("pvtop: \(message)")
        return ExitCode(2)
    }
    do {
        try body()
    } catch let error as CLIError {
        throw fail(error.description)
    } catch let error as TraceError {
        throw fail(error.description)
    } catch let error as CostProfile.LoadError {
        throw fail(error.description)
    } catch let error as OutputError {
        throw fail(error.description)
    }
}

/// Input checks shared by `replay` and `inspect`.
enum TraceInputOptions {
    static let maxGapRange: ClosedRange<UInt64> = 1_000...1_000_000_000_000_000

    /// A regular file can be opened again (restart, seek back, the duration scan); stdin, a
    /// FIFO or a device cannot.
    static func isReopenable(_ path: String) -> Bool {
        guard path != "-" else { return false }
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }
}
