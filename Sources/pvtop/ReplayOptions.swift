import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

/// Engine choices shared by `replay`, `live`, `bench` and `validate`.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Paravirt backends beside native, comma-separated (xen-pv, kvm, vmi, lguest, vbox).",
        valueName: "list"), transform: { try BackendList(parsing: $0) })
    var backends: BackendList = .all

    @Option(name: .long, help: ArgumentHelp(
        "CPU cost profile: a bundled name (see `pvtop model --profiles`) or a JSON file.", valueName: "name|file"),
            transform: { try ProfileChoice(parsing: $0) })
    var profile: ProfileChoice = .bundled("modern-2020")

    @Option(name: .customLong("pv-feature"), help: ArgumentHelp(
        "KVM pv feature on or off, e.g. pv_ipi=off (repeatable). Features: \(KVMFeature.allCases.map(\.rawValue).joined(separator: ", ")). pv_eoi matters only with --apicv off: APICv virtualizes the EOI without an exit and leaves PV EOI inert.",
        valueName: "feature=on|off"), transform: { try PVFeatureSetting(parsing: $0) })
    var pvFeatures: [PVFeatureSetting] = []

    @Option(name: .long, help: ArgumentHelp("KVM two-dimensional paging (EPT) on or off; default: the profile's CPU.", valueName: "on|off"))
    var ept: OnOff?

    @Option(name: .long, help: ArgumentHelp(
        "KVM APIC virtualization with posted interrupts (APICv): EOIs and IPIs to running vCPUs without exits, PV EOI inert; default: the profile's CPU.",
        valueName: "on|off"))
    var apicv: OnOff?

    @Option(name: .long, help: ArgumentHelp("Xen multicall / VMI deferred / lguest async batching.", valueName: "on|off"))
    var batching: OnOff = .on

    @Option(name: .long, help: ArgumentHelp(
        "Host overcommit: chance (0…1) that a target vCPU is preempted (what pv TLB flush, pv IPI and pv spinlocks are for).",
        valueName: "p"))
    var overcommit: Double = 0

    @Option(name: .long, help: ArgumentHelp(
        "Threads pricing the engines at once (default: every core; 1 = one event at a time). The output is the same either way.",
        valueName: "n"))
    var threads: Int?

    @Option(name: .customLong("recorded-on"), help: ArgumentHelp(
        "Where the trace was recorded, whose costs are removed from its gaps: native, or kvm[:feature=off,…,ept=off,host-pages=2m]; default: the trace's provenance (virtualized=yes → kvm).",
        valueName: "env"), transform: { try RecordingEnvironment(parsingOption: $0) })
    var recordedOn: RecordingEnvironment?

    @Option(name: .customLong("host-pages"), help: ArgumentHelp(
        "Host page size behind two-dimensional paging (EPT/NPT) in the engines: 4k (24-reference walks) or 2m (19).",
        valueName: "4k|2m"))
    var hostPages: HostPageSize = .k4

    @Option(name: .customLong("kernel-model"), help: ArgumentHelp(
        "Kernel-model parameters JSON (default: the bundled kernel-model.json).", valueName: "file"))
    var kernelModel: String?

    /// Every option checked before anything runs: a bad value is exit 64 with one line.
    func validate() throws {
        if let kernelModel, kernelModel.isEmpty { throw ValidationError("--kernel-model needs a file name") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
        guard overcommit.isFinite, (0...1).contains(overcommit) else { throw ValidationError("--overcommit must be between 0 and 1") }
    }

    var backendOptions: BackendOptions {
        var features = Set(KVMFeature.allCases)
        for setting in pvFeatures {
            if setting.on { features.insert(setting.feature) } else { features.remove(setting.feature) }
        }
        return BackendOptions(cpuCount: 1, overcommit: overcommit, kvmFeatures: features,
                              ept: ept?.isOn, batching: batching.isOn, apicv: apicv?.isOn)
    }

    func configuration(filter: EventFilter = EventFilter()) -> ReplayConfiguration {
        ReplayConfiguration(backends: backends.ids, profile: profile.description, options: backendOptions, filter: filter,
                            recordedOn: recordedOn, hostPages: hostPages)
    }

    /// The session every replaying command builds its replay from (loads the kernel model and
    /// the profile once).
    func session(filter: EventFilter = EventFilter(), strict: Bool = false,
                 maxGap: DurationArgument = TraceInputOptions.defaultMaxGap) throws -> ReplaySession {
        try ReplaySession(.init(configuration: configuration(filter: filter), kernelModelPath: kernelModel,
                                pricingThreads: threads ?? PVReplay.Replay.defaultPricingThreads, strict: strict, maxGapNanoseconds: maxGap.nanoseconds))
    }
}

/// Input options shared by `replay` and `inspect`.
struct TraceInputOptions: ParsableArguments {
    static let defaultMaxGap = DurationArgument(nanoseconds: TraceTimeline.defaultMaxJumpNanoseconds)

    @Flag(name: .long, help: "Treat every input warning (malformed line, clock going backwards, …) as an error (exit 2).")
    var strict = false

    @Option(name: .customLong("max-gap"), help: ArgumentHelp(
        "Report a forward jump of the trace clock longer than this (an assumption: a paused recording, a corrupt digit).",
        valueName: "duration"), transform: DurationArgument.parser("--max-gap", within: DurationArgument.Range.maxGap))
    var maxGap: DurationArgument = TraceInputOptions.defaultMaxGap
}
