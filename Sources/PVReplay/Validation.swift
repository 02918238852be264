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
        for (key, cost) in base.costs.sorted(by: { $0.key < $1.key }) {
            var runs: [Snapshot] = []
            for factor in [0.5, 2.0] {
                var changed = base
                changed.costs[key]?.value = cost.value * factor
                runs.append(try replay(path: path, configuration: configuration, parameters: parameters, profile: changed, open: open))
            }
            add(key, "cost", cost.isAssumption, runs)
        }
        for (key, value) in parameters.values.sorted(by: { $0.key < $1.key }) where value.value > 0 {
            var runs: [Snapshot] = []
            for factor in [0.5, 2.0] {
                var changed = parameters
                changed.values[key]?.value = value.value * factor
                runs.append(try replay(path: path, configuration: configuration, parameters: changed, profile: base, open: open))
            }
            add(key, "kernel-model", value.isAssumption, runs)
        }
        return Array(rows.filter { $0.swing > 1e-9 }
            .sorted { $0.swing != $1.swing ? $0.swing > $1.swing : ($0.key, $0.engine.rawValue) < ($1.key, $1.engine.rawValue) }
            .prefix(limit))
    }

    public static let blindSpots = [
        "No device I/O: block and network requests, virtio queues and their exits are not modelled (no tracepoint in the event set shows them as pv ops).",
        "No cache or TLB-miss effects: a flush costs its instruction, not the misses that follow; a hypervisor's cache pollution is not priced.",
        "Recorded gaps are taken as native time: the trace may have been recorded inside a VM, whose own exits are already in the gaps.",
        "Events no tracepoint shows are parameters (kernel-model.json): page-table pages per fork, irq save pairs, kernel work per path; PTEs fork copies and exit tears down are estimated per process from its faults, fork, exec, munmap and brk (pages mapped before the trace began are `mm.untraced_private_pages`).",
        "Lock contention is invisible to tracepoints: pv spinlock ops (wait/kick) are priced only when a trace or synth workload carries them.",
        "Per-CPU clocks do not synchronise across CPUs (no waiting for a lock holder or an IPI's target): slowdown is each CPU's own work.",
        "Costs are per-operation cycles from published microbenchmarks of other CPUs; values flagged `assumption` have no published source.",
    ]

    public static func markdown(runs: [TraceRun], sensitivity: [Sensitivity], sensitivityTrace: String,
                                profile: CostProfile, command: String,
                                calibration: [Calibration.Comparison] = []) -> String {
        var md = "# pvtop validation report\n\n"
        md += "Generated by `\(command)` (profile `\(profile.name)`, \(fixed(profile.clockGHz, 2)) GHz). "
        md += "Do not edit by hand: rerun the command.\n\n"
        md += "Slowdown = the engine's simulated time over native's for the same recorded events "
        md += "(simulated time = recorded gaps + priced pv-op cost, per CPU, latest CPU).\n\n"
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
            md += "\n"
        }
        if !calibration.isEmpty { md += Calibration.markdown(calibration) + "\n" }
        md += "## Sensitivity\n\nEach cost of `\(profile.name)` and each kernel-model parameter halved and doubled in turn on `\(sensitivityTrace)`; "
        md += "the rows whose slowdown moves most. `assumption` marks values without a published source.\n\n"
        md += "| value | of | kind | engine | slowdown ×0.5 | base | ×2 |\n|---|---|---|---|---:|---:|---:|\n"
        for s in sensitivity {
            md += "| `\(s.key)` | \(s.source) | \(s.isAssumption ? "assumption" : "sourced") | \(s.engine.rawValue) | \(fixed(s.low, 3)) | \(fixed(s.base, 3)) | \(fixed(s.high, 3)) |\n"
        }
        md += "\n## Blind spots\n\n" + blindSpots.map { "- \($0)\n" }.joined()
        return md
    }
}
