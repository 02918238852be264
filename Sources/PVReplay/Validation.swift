import Foundation
import PVKernel
import PVTrace

/// The validation report (docs/validation.md): each trace through each backend with the
/// transitions that explain its slowdown, a sensitivity table, and the model's blind spots.
public enum Validation {
    public struct TraceRun {
        public var path: String
        public var snapshot: Snapshot
        public init(path: String, snapshot: Snapshot) { self.path = path; self.snapshot = snapshot }
    }

    public struct Sensitivity {
        public var key: String
        /// "cost" (a profile's cycles) or "kernel-model" (a kernel-model parameter).
        public var source: String = "cost"
        public var isAssumption: Bool
        public var engine: BackendID
        public var base: Double
        public var low: Double   // slowdown with the cost halved
        public var high: Double  // slowdown with the cost doubled
        public var swing: Double { abs(high - low) }
    }

    /// Replays `path` to the end with `configuration`, optionally with a changed profile.
    public static func replay(path: String, configuration: ReplayConfiguration, parameters: KernelParameters,
                              profile: CostProfile? = nil,
                              open: @escaping (String) throws -> any TraceSource) throws -> Snapshot {
        let replay = try Replay(name: (path as NSString).lastPathComponent, configuration: configuration,
                                parameters: parameters,
                                loadProfile: { name in try profile ?? CostProfile.load(name) },
                                open: { try open(path) })
        try replay.advance(toTraceTime: .max, eventBudget: .max)
        return replay.snapshot()
    }

    /// Halve and double each cost of the profile, then each kernel-model parameter, in turn;
    /// keep the `limit` largest swings.
    public static func sensitivity(path: String, configuration: ReplayConfiguration, parameters: KernelParameters,
                                   limit: Int = 20,
                                   open: @escaping (String) throws -> any TraceSource) throws -> [Sensitivity] {
        let base = try CostProfile.load(configuration.profile)
        let baseline = try replay(path: path, configuration: configuration, parameters: parameters, profile: base, open: open)
        var rows: [Sensitivity] = []
        func add(_ key: String, _ source: String, _ isAssumption: Bool, _ runs: [Snapshot]) {
            for (i, engine) in baseline.engines.enumerated() where engine.descriptor.id != .native {
                rows.append(Sensitivity(key: key, source: source, isAssumption: isAssumption, engine: engine.descriptor.id,
                                        base: engine.slowdown, low: runs[0].engines[i].slowdown, high: runs[1].engines[i].slowdown))
            }
        }
        /// The replay with one input halved, then doubled (`vary` makes the inputs for a factor).
        func halvedAndDoubled(_ vary: (Double) -> (profile: CostProfile, parameters: KernelParameters)) throws -> [Snapshot] {
            try [0.5, 2.0].map { factor in
                let varied = vary(factor)
                return try replay(path: path, configuration: configuration, parameters: varied.parameters,
                                  profile: varied.profile, open: open)
            }
        }
        for (key, cost) in base.costs.sorted(by: { $0.key < $1.key }) {
            add(key, "cost", cost.isAssumption, try halvedAndDoubled { factor in
                var changed = base
                changed.costs[key]?.value = cost.value * factor
                return (changed, parameters)
            })
        }
        for (key, quantity) in base.quantities.sorted(by: { $0.key < $1.key }) where quantity.value > 0 {
            add(key, "quantity", quantity.isAssumption, try halvedAndDoubled { factor in
                var changed = base
                changed.quantities[key]?.value = quantity.value * factor
                return (changed, parameters)
            })
        }
        for (key, value) in parameters.values.sorted(by: { $0.key < $1.key }) where value.value > 0 {
            add(key, "kernel-model", value.isAssumption, try halvedAndDoubled { factor in
                var changed = parameters
                changed.values[key]?.value = value.value * factor
                return (base, changed)
            })
        }
        return Array(rows.filter { $0.swing > 1e-9 }
            .sorted { $0.swing != $1.swing ? $0.swing > $1.swing : ($0.key, $0.engine.rawValue) < ($1.key, $1.engine.rawValue) }
            .prefix(limit))
    }

    public static let blindSpots = [
        "No device I/O: block and network requests, virtio queues and their exits are not modelled (no tracepoint in the event set shows them as pv ops).",
        "Cache and TLB effects are rates, not a simulation: TLB misses per µs of user / kernel time (one published rate, not this workload's) times the extra references of a 2D or shadow walk, and a fixed indirect cost per world switch; a flush's own misses and a workload's working set are not modelled.",
        "Native is an estimate of bare metal: a trace recorded in a VM (provenance virtualized=yes) loses the recording KVM's priced costs and 2D-walk time; what the model does not price (device emulation, host scheduling) stays in the gaps. Text timestamps are µs: a native latency sample is accurate to about 1 µs.",
        "Events no tracepoint shows are parameters (kernel-model.json): page-table pages per fork, irq save pairs; PTEs fork copies and exit tears down are estimated per process from its faults, fork, exec, munmap and brk (pages mapped before the trace began are `mm.untraced_private_pages`).",
        "Lock contention is invisible to tracepoints: pv spinlock ops (wait/kick) are priced only when a trace or synth workload carries them.",
        "Time crosses CPUs only through IPIs, wakeups and TLB-shootdown acknowledgements the trace shows; a lock holder's delay reaches its waiters only through those. A preempted vCPU (--overcommit) is a coin per wakeup or IPI with a fixed host delay.",
        "Page-fault latency runs to the CPU's next event (no tracepoint marks the return to user): a proxy that includes user time until then.",
        "Costs are per-operation cycles from published microbenchmarks of other CPUs; values flagged `assumption` have no published source.",
    ]

    /// What each engine adds over native, by term, as a share of native's summed CPU time:
    /// the time-proportional terms beside the per-event ones.
    static func timeTerms(_ s: Snapshot) -> String {
        let n = s.native.metrics
        let nativeTotal = max(n.recordedNanoseconds + n.pricedCycles / n.clockGHz + n.waitNanoseconds - n.absorbedIdleNanoseconds, 1)
        var md = "\nTime added over native, % of native's CPU time (all CPUs): "
        md += "2D/shadow TLB misses · pv ops · indirect cost of transitions · waiting for other CPUs\n\n"
        for e in s.engines where e.descriptor.id != .native {
            let m = e.metrics
            func pct(_ ns: Double) -> String { (ns >= 0 ? "+" : "") + fixed(100 * ns / nativeTotal, 1) + "%" }
            md += "- \(e.descriptor.id.rawValue): \(pct(m.tlbMissNanoseconds)) · \(pct(m.pricedCycles / m.clockGHz - n.pricedCycles / n.clockGHz))"
            md += " · \(pct(m.indirectCycles / m.clockGHz)) · \(pct((m.waitNanoseconds - m.absorbedIdleNanoseconds) - (n.waitNanoseconds - n.absorbedIdleNanoseconds)))\n"
        }
        return md + "\n"
    }

    public static func markdown(runs: [TraceRun], sensitivity: [Sensitivity], sensitivityTrace: String,
                                profile: CostProfile, command: String,
                                calibration: [Calibration.Comparison] = []) -> String {
        var md = "# pvtop validation report\n\n"
        md += "Generated by `\(command)` (profile `\(profile.name)`, \(fixed(profile.clockGHz, 2)) GHz). "
        md += "Do not edit by hand: rerun the command.\n\n"
        md += "Slowdown = the engine's simulated time over native's for the same recorded events. Each CPU's "
        md += "simulated clock = the recorded gaps with the recording environment's own costs removed (native "
        md += "baseline) + this engine's extra TLB-miss time on those gaps + its priced pv ops + the indirect cost "
        md += "of its transitions + time waiting for other CPUs; the makespan ends at the last task's work.\n\n"
        md += "## Predicted slowdown per bundled trace\n\n"
        let ids = runs.first?.snapshot.engines.map(\.descriptor.id) ?? []
        md += "| trace | events | trace s | " + ids.map(\.rawValue).joined(separator: " | ") + " |\n"
        md += "|---|---:|---:|" + ids.map { _ in "---:|" }.joined() + "\n"
        for r in runs {
            let s = r.snapshot
            md += "| \((r.path as NSString).lastPathComponent) | \(s.eventsReplayed) | \(fixed(Double(s.positionNanoseconds) / 1e9, 3)) | "
            md += s.engines.map { fixed($0.slowdown, 3) + "×" }.joined(separator: " | ") + " |\n"
        }
        md += "\n## What explains it\n\nThe transitions that cost the most cycles in each trace, per backend (share of that backend's transition cycles).\n\n"
        for r in runs {
            md += "### \((r.path as NSString).lastPathComponent)\n\n"
            for e in r.snapshot.engines where e.metrics.totalTransitions > 0 {
                let m = e.metrics
                let total = m.transitionCycles.reduce(0, +)
                let top = m.transitionCycles.enumerated().filter { $0.element > 0 }
                    .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }.prefix(4)
                md += "- **\(e.descriptor.displayName)** \(fixed(e.slowdown, 3))×: "
                md += top.map { "\(e.descriptor.transitions[$0.offset].name) ×\(m.transitionCounts[$0.offset]) (\(fixed(100 * $0.element / max(total, 1), 0))%)" }
                    .joined(separator: ", ") + "\n"
            }
            md += timeTerms(r.snapshot)
            md += "\n"
        }
        if !calibration.isEmpty { md += Calibration.markdown(calibration) + "\n" }
        md += "## Sensitivity\n\nEach cost and quantity of `\(profile.name)` and each kernel-model parameter halved and doubled in turn on `\(sensitivityTrace)`; "
        md += "the rows whose slowdown moves most. `assumption` marks values without a published source.\n\n"
        md += "| value | of | kind | engine | slowdown ×0.5 | base | ×2 |\n|---|---|---|---|---:|---:|---:|\n"
        for s in sensitivity {
            md += "| `\(s.key)` | \(s.source) | \(s.isAssumption ? "assumption" : "sourced") | \(s.engine.rawValue) | \(fixed(s.low, 3)) | \(fixed(s.base, 3)) | \(fixed(s.high, 3)) |\n"
        }
        md += "\n## Blind spots\n\n" + blindSpots.map { "- \($0)\n" }.joined()
        return md
    }
}
