import PVTrace

/// Where a trace was recorded, which decides what the recorded gaps already contain;
/// `--recorded-on native|kvm[:feature=off,…,ept=off,host-pages=2m]`.
public enum RecordingEnvironment: Sendable, Equatable {
    /// Bare metal: the recorded gaps are native time.
    case native
    /// A KVM guest on a modern (EPT, VPID) host, with the pv features it used.
    case kvm(features: Set<KVMFeature>, ept: Bool, hostPages: HostPageSize)

    /// The profile the recording host is priced with: our recording machines are modern Xeons.
    public static let recordingProfile = "modern-2020"

    public var label: String {
        switch self {
        case .native: return "native"
        case let .kvm(features, ept, hostPages):
            let off = KVMFeature.allCases.filter { !features.contains($0) }.map { "\($0.rawValue)=off" }
            let rest = (ept ? [] : ["ept=off"]) + (hostPages == .k4 ? [] : ["host-pages=\(hostPages.rawValue)"])
            let options = off + rest
            return options.isEmpty ? "kvm" : "kvm:" + options.joined(separator: ",")
        }
    }

    /// Parses `native`, `kvm`, `kvm:pv_eoi=off,ept=off,host-pages=2m`; nil with a reason otherwise.
    public static func parse(_ text: String) -> Result<RecordingEnvironment, ParseError> {
        let lower = text.lowercased()
        if lower == "native" || lower == "bare-metal" { return .success(.native) }
        guard lower == "kvm" || lower.hasPrefix("kvm:") else {
            return .failure(ParseError("--recorded-on takes native or kvm[:feature=off,…], not \"\(text)\""))
        }
        var features = Set(KVMFeature.allCases)
        var ept = true
        var hostPages = HostPageSize.k4
        for item in lower.dropFirst(4).split(separator: ",") where !item.isEmpty {
            let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
            let value = kv.count == 2 ? kv[1] : "on"
            let on: Bool
            switch value {
            case "on", "yes", "1", "true": on = true
            case "off", "no", "0", "false": on = false
            default:
                if kv[0] == "host-pages", let size = HostPageSize(rawValue: value) { hostPages = size; continue }
                return .failure(ParseError("--recorded-on: cannot read \"\(item)\" (feature=on|off, ept=on|off, host-pages=4k|2m)"))
            }
            if kv[0] == "ept" { ept = on; continue }
            guard let feature = KVMFeature(rawValue: kv[0]) else {
                return .failure(ParseError("--recorded-on: unknown setting \"\(kv[0])\"; features: \(KVMFeature.allCases.map(\.rawValue).joined(separator: ", ")), ept, host-pages"))
            }
            if on { features.insert(feature) } else { features.remove(feature) }
        }
        return .success(.kvm(features: features, ept: ept, hostPages: hostPages))
    }

    /// What the trace says about itself: `virtualized=yes` in its provenance means a KVM guest
    /// (the only hypervisor pvtop records under) with the pv features a modern guest kernel
    /// enables; a trace without provenance, or `virtualized=no`, is taken as bare metal.
    public static func inferred(from provenance: [(key: String, value: String)]) -> (RecordingEnvironment, reason: String) {
        guard let v = provenance.first(where: { $0.key == "virtualized" })?.value else {
            return (.native, "no provenance: taken as bare metal")
        }
        if v.hasPrefix("yes") {
            let cpu = provenance.first { $0.key == "cpu-model" }?.value ?? "unknown CPU"
            return (.kvm(features: Set(KVMFeature.allCases), ept: true, hostPages: .k4),
                    "provenance virtualized=yes (\(cpu))")
        }
        return (.native, "provenance virtualized=\(v)")
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }
}

/// Prices each event's path as it ran where the trace was recorded, so the replay can remove
/// those costs from the recorded gaps.
public protocol RecordingPricer: AnyObject {
    /// Nanoseconds the recording environment spent in this expansion's ops (with the indirect
    /// cost of its transitions).
    func nanoseconds(of expansion: ExpansionView, eventIndex: UInt64) -> Double
    /// Its extra time per ns of execution, by mode (TLB misses under its paging).
    var overheadPerNanosecond: [Double] { get }
}

/// Touched by one thread at a time (the time line's lane), so its hot state skips the runtime
/// exclusivity checks, as `Engine`'s does.
public final class BackendPricer<B: Backend>: RecordingPricer {
    @exclusivity(unchecked) private var backend: B
    @exclusivity(unchecked) private var ledger: Ledger
    private let profile: CostProfile
    private let time: TimeCosts
    private let guestKernel: GuestKernel.Set
    public var overheadPerNanosecond: [Double] { time.overheadPerNanosecond }

    public init(backend: B, profile: CostProfile, time: TimeCosts) {
        self.backend = backend
        self.guestKernel = backend.descriptor.id.guestKernel.member
        self.ledger = Ledger(descriptor: backend.descriptor)
        self.profile = profile
        self.time = time
    }

    // Specialized for the two recording environments (`RecordingEnvironment`), as
    // `Engine.consume` is per backend: reached through the protocol, a generic class's method
    // otherwise runs unspecialized (every field offset and backend call looked up).
    @_specialize(where B == NativeBackend)
    @_specialize(where B == KVMBackend)
    public func nanoseconds(of expansion: ExpansionView, eventIndex: UInt64) -> Double {
        guard !expansion.segments.isEmpty else { return 0 }
        // The same seed as every engine's: the recording KVM draws the same coins as a kvm engine.
        ledger.reseed(Engine<B>.seed(eventIndex))
        ledger.cycles = 0
        let transitions = ledger.transitionTotal
        for segment in expansion.segments {
            for i in segment.start..<segment.end where expansion.calls[i].kernels.contains(guestKernel) {
                backend.perform(expansion.calls[i], segment.context, &ledger)
            }
        }
        let cycles = ledger.cycles + Double(ledger.transitionTotal &- transitions) * time.indirectCyclesPerTransition
        ledger.cycles = 0
        return profile.nanoseconds(cycles: cycles)
    }
}

public func makeRecordingPricer<B: Backend>(backend: B, profile: CostProfile, time: TimeCosts) -> any RecordingPricer {
    BackendPricer(backend: backend, profile: profile, time: time)
}

/// The recorded time line, per CPU, on the de-virtualized clock: turns each event's recorded
/// gap into a `RecordedStep` every engine starts from.
///
/// The gap before an event holds the recording environment's cost of that event's ops (the
/// tracepoint fires once they ran) and, for execution, its extra TLB-miss time: both are
/// removed, `(gap − priced) / (1 + overhead)`. A gap shorter than the priced cost is clamped at
/// zero; the rest is taken from the CPU's next gaps (µs timestamps put many events in one µs),
/// and counted as a clamped gap when more than the µs precision of the timestamps is left over. Bare metal is priced with the native backend: the native engine, which
/// adds native's priced cost back, then replays the recorded time unchanged.
///
/// One thread drives it (the replay's), so its hot arrays skip the runtime exclusivity checks.
public final class RecordedTimeline {
    public let environment: RecordingEnvironment
    private let pricer: any RecordingPricer
    private let traceStart: UInt64
    @exclusivity(unchecked) private var last: [UInt64]
    @exclusivity(unchecked) private var mode: [ExecutionMode]
    /// Priced recording cost not yet taken out of a gap, per CPU.
    @exclusivity(unchecked) private var debt: [Double]
    /// ftrace text prints seconds.microseconds (kernel/trace/trace_output.c trace_print_time).
    static let timestampPrecision = 1_000.0
    @exclusivity(unchecked) private var modeBeforeIRQ: [[ExecutionMode]]
    /// Gaps that, with the next ones, could not hold the recording environment's priced cost
    /// to within the timestamps' µs precision (the excess is dropped).
    public private(set) var clampedGaps: UInt64 = 0
    /// Recorded nanoseconds removed as the recording environment's own costs.
    public private(set) var removedNanoseconds = 0.0

    public init(environment: RecordingEnvironment, pricer: any RecordingPricer, cpuCount: Int, traceStart: UInt64) {
        self.environment = environment
        self.pricer = pricer
        self.traceStart = traceStart
        let n = max(cpuCount, 1)
        last = Array(repeating: traceStart, count: n)
        mode = Array(repeating: .kernel, count: n)
        debt = Array(repeating: 0, count: n)
        modeBeforeIRQ = Array(repeating: [], count: n)
    }

    public func step(_ event: KernelEvent, _ expansion: Expansion, eventIndex: UInt64) -> RecordedStep {
        expansion.withView { step(event, $0, eventIndex: eventIndex) }
    }

    public func step(_ event: KernelEvent, _ expansion: ExpansionView, eventIndex: UInt64) -> RecordedStep {
        let cpu = Int(event.cpu)
        if cpu >= last.count {
            let add = cpu + 1 - last.count
            last += repeatElement(traceStart, count: add); debt += repeatElement(0, count: add)
            mode += repeatElement(.kernel, count: add); modeBeforeIRQ += repeatElement([], count: add)
        }
        let ts = event.timestampNanoseconds
        let raw = Double(ts &- min(last[cpu], ts))
        last[cpu] = max(last[cpu], ts)
        let during = mode[cpu]
        // Text timestamps are µs: two events in the same µs have a zero gap although the ops
        // between them took time. What a gap cannot hold is owed by the CPU's next gaps.
        let priced = pricer.nanoseconds(of: expansion, eventIndex: eventIndex)
        debt[cpu] += priced
        let paid = min(debt[cpu], raw)
        debt[cpu] -= paid
        var gap = raw - paid
        if debt[cpu] > Self.timestampPrecision {
            clampedGaps &+= 1
            debt[cpu] = 0
        }
        gap /= 1 + pricer.overheadPerNanosecond[during.rawValue]
        removedNanoseconds += raw - gap
        advanceMode(cpu: cpu, event)
        return RecordedStep(gapNanoseconds: gap, mode: during, recordedCostNanoseconds: priced, owedNanoseconds: debt[cpu])
    }

    /// What the CPU does after `event` until its next one.
    private func advanceMode(cpu: Int, _ event: KernelEvent) {
        switch event.kind {
        case .syscallEnter, .processFork, .processExec, .processExit, .memorySyscall:
            mode[cpu] = .kernel
        case .syscallExit:
            mode[cpu] = .user
        case let .pageFault(user, _, _):
            mode[cpu] = user ? .user : .kernel
        case let .schedSwitch(_, _, nextPid):
            mode[cpu] = nextPid == 0 ? .idle : .kernel
        case let .cpuIdle(state, _):
            mode[cpu] = state == UInt32.max ? .kernel : .idle
        case .vectorEntry, .irqHandlerEntry, .softirqEntry:
            if modeBeforeIRQ[cpu].count < 8 { modeBeforeIRQ[cpu].append(mode[cpu]) }
            mode[cpu] = .kernel
        case .vectorExit, .irqHandlerExit, .softirqExit:
            mode[cpu] = modeBeforeIRQ[cpu].popLast() ?? (event.pid == 0 ? .idle : .kernel)
        default:
            if event.pid == 0 && event.context == .task && mode[cpu] != .idle { mode[cpu] = .idle }
        }
    }
}
