import Foundation
import Histogram
import PVKernel
import PVTrace

/// One reader feeding N engines the same events under one clock: the kernel expands each event
/// once, and every engine (native first, the baseline) prices that expansion.
///
/// Not thread-safe: one thread drives it. Its per-event state is therefore exempt from the
/// runtime exclusivity checks (`@exclusivity(unchecked)`), which cost a third of replay time.
public final class Replay: ReplayControl {
    public let name: String
    @exclusivity(unchecked) public private(set) var configuration: ReplayConfiguration
    public private(set) var profile: CostProfile
    public let parameters: KernelParameters
    /// Makes a fresh source positioned at the first line (restart and seek-back reopen it).
    private let open: () throws -> any TraceSource
    private let restartable: Bool
    /// Loads a profile by name or path (tests pass their own).
    private let profileLoader: (String) throws -> CostProfile
    public typealias BackendMaker = (BackendID, CostProfile, BackendOptions) throws -> any Backend
    private let makeBackend: BackendMaker

    private var source: any TraceSource
    @exclusivity(unchecked) private var kernel: Kernel
    @exclusivity(unchecked) private var engines: [any PricingEngine] = []
    @exclusivity(unchecked) private var expansion = Expansion()
    /// Expanded events waiting for the engines: priced a batch at a time, in the background
    /// while the next batch is read, the engines across the cores.
    private let pricing: PricingPipeline
    /// Threads pricing engines at once (1 = everything on the calling thread, in turn).
    public var pricingThreads: Int { pricing.threads }
    @exclusivity(unchecked) private var lookahead: KernelEvent?
    @exclusivity(unchecked) private var timeline: RecordedTimeline?
    /// Why the recording environment is what it is (provenance, or the command line).
    private var baselineReason = ""
    private var traceStart: UInt64?
    @exclusivity(unchecked) private var lastTimestamp: UInt64 = 0
    @exclusivity(unchecked) private var eventIndex: UInt64 = 0
    /// The last stepped event, explained (cleared by anything but another step).
    private var stepped: SteppedEvent?
    @exclusivity(unchecked) private var matchedComm: UInt32?
    @exclusivity(unchecked) private var matchedPid: Int32?
    public private(set) var isFinished = false
    /// Known once the trace was read to the end (or scanned).
    public private(set) var durationNanoseconds: UInt64?

    /// - Parameters:
    ///   - open: returns a new source at the first line; called again on restart.
    ///   - restartable: false for a live source (restart/seek-back are then refused).
    public init(name: String, configuration: ReplayConfiguration, parameters: KernelParameters,
                restartable: Bool = true, pricingThreads: Int = Replay.defaultPricingThreads, makeBackend: @escaping BackendMaker = BackendFactory.make,
                loadProfile: @escaping (String) throws -> CostProfile = CostProfile.load,
                open: @escaping () throws -> any TraceSource) throws {
        self.makeBackend = makeBackend
        self.pricing = PricingPipeline(threads: pricingThreads)
        self.profileLoader = loadProfile
        self.name = name
        self.configuration = configuration
        self.parameters = parameters
        self.open = open
        self.restartable = restartable
        self.profile = try profileLoader(configuration.profile)
        self.source = try open()
        self.kernel = Kernel(parameters: parameters, cpuCount: configuration.options.cpuCount)
        try start()
    }

    /// All the cores this process may use: the engines are independent of each other.
    public static var defaultPricingThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Build engines at the first event (their clocks start there).
    private func start() throws {
        pricing.reset()
        isFinished = false
        eventIndex = 0
        lookahead = try nextEvent()
        traceStart = lookahead?.timestampNanoseconds
        lastTimestamp = traceStart ?? 0
        var options = configuration.options
        options.cpuCount = max(options.cpuCount, source.header.cpuCount, 1)
        configuration.options.cpuCount = options.cpuCount
        kernel = Kernel(parameters: parameters, cpuCount: options.cpuCount)
        let ids = [BackendID.native] + configuration.backends.filter { $0 != .native }
        engines = try ids.map { id in
            let ept = options.ept ?? profile.ept
            return makeEngine(backend: try makeBackend(id, profile, options), profile: profile, cpuCount: options.cpuCount,
                              time: try TimeCosts(backend: id, ept: ept, profile: profile, hostPages: configuration.hostPages),
                              causality: try CausalityCosts(backend: id, profile: profile, overcommit: options.overcommit))
        }
        timeline = try makeTimeline(options: options)
        resolveFilter()
        if lookahead == nil { finishEngines() }
    }

    /// The recording environment's pricer: native's own backend for bare metal (so the native
    /// engine replays the recorded time unchanged), else KVM as the recording guest ran it.
    private func makeTimeline(options: BackendOptions) throws -> RecordedTimeline {
        let environment: RecordingEnvironment
        if let chosen = configuration.recordedOn {
            environment = chosen
            baselineReason = "--recorded-on"
        } else {
            (environment, baselineReason) = RecordingEnvironment.inferred(from: source.header.provenance)
        }
        let pricer: any RecordingPricer
        switch environment {
        case .native:
            pricer = makeRecordingPricer(backend: try makeBackend(.native, profile, options), profile: profile, time: .none)
        case let .kvm(features, ept, hostPages):
            let name = RecordingEnvironment.recordingProfile
            // The replay's own profile when it is the recording machine's (so a sensitivity run
            // varies a cost where it is removed and where it is added alike).
            let recording = profile.name == name ? profile : try CostProfile.load(name)
            let recordingOptions = BackendOptions(cpuCount: options.cpuCount, overcommit: 0, kvmFeatures: features,
                                                  ept: ept, batching: true)
            pricer = makeRecordingPricer(backend: try makeBackend(.kvm, recording, recordingOptions), profile: recording,
                                         time: try TimeCosts(backend: .kvm, ept: ept, profile: recording, hostPages: hostPages))
        }
        return RecordedTimeline(environment: environment, pricer: pricer, cpuCount: options.cpuCount,
                                traceStart: traceStart ?? 0)
    }

    private func resolveFilter() {
        matchedComm = nil; matchedPid = nil
        guard let process = configuration.filter.process else { return }
        if let pid = Int32(process) { matchedPid = pid } else { matchedComm = source.strings.intern(process) }
    }

    private func nextEvent() throws -> KernelEvent? {
        while let record = try source.next() {
            if case let .event(e) = record { return e }
        }
        return nil
    }

    // MARK: ReplayControl

    public func advance(toTraceTime nanoseconds: UInt64, eventBudget: Int = .max) throws {
        guard let start = traceStart else { return }
        if lookahead.map({ $0.timestampNanoseconds &- min(start, $0.timestampNanoseconds) <= nanoseconds }) == true { stepped = nil }
        var budget = eventBudget
        while budget > 0, let event = lookahead {
            let t = event.timestampNanoseconds &- min(start, event.timestampNanoseconds)
            if t > nanoseconds { break }
            try feed(event)
            budget -= 1
            lookahead = try nextEvent()
            if lookahead == nil { finishEngines() }
        }
        // What is still unpriced is priced before anyone reads the engines (snapshot,
        // takeWindows), so the pricing may go on behind the caller's back until then.
    }

    public func step() throws {
        guard let event = lookahead else { return }
        pricePending()   // the engines stand just before the event: explain it from there
        let slot = pricing.filling.count
        try feed(event)
        stepped = explain(event, slot: slot)
        pricePending()
        lookahead = try nextEvent()
        if lookahead == nil { finishEngines() }
    }

    public func restart() throws {
        guard restartable else { throw ReplayError.notRestartable }
        stepped = nil
        source = try open()
        try start()
    }

    public func seek(toTraceTime nanoseconds: UInt64) throws {
        if nanoseconds < position {
            guard restartable else { throw ReplayError.notRestartable }
            try restart()
        }
        try advance(toTraceTime: nanoseconds, eventBudget: .max)
    }

    public func reconfigure(_ newConfiguration: ReplayConfiguration) throws {
        let target = position
        let newProfile = try profileLoader(newConfiguration.profile)
        configuration = newConfiguration
        profile = newProfile
        try restart()
        try advance(toTraceTime: target, eventBudget: .max)
    }

    /// Trace time of the next event to replay (ns since the first event), nil at the end: lets
    /// the headless loop step over an empty stretch in one row instead of one per interval.
    public var nextEventPosition: UInt64? {
        guard let e = lookahead, let start = traceStart else { return nil }
        return e.timestampNanoseconds &- min(start, e.timestampNanoseconds)
    }

    /// Trace time replayed so far (ns since the first event).
    public var position: UInt64 { lastTimestamp &- min(traceStart ?? 0, lastTimestamp) }

    public func snapshot() -> Snapshot {
        pricePending()
        let metrics = engines.map { $0.snapshotMetrics() }
        let nativeTime = metrics.first?.simulatedNanoseconds ?? 0
        let engineSnapshots = zip(engines, metrics).map { engine, m in
            EngineSnapshot(descriptor: engine.descriptor, metrics: m,
                           slowdown: nativeTime > 0 ? m.simulatedNanoseconds / nativeTime : 1)
        }
        var snapshot = Snapshot(
            trace: TraceInfo(name: name, cpuCount: max(source.header.cpuCount, configuration.options.cpuCount),
                             durationNanoseconds: durationNanoseconds, provenance: source.header.provenance),
            positionNanoseconds: position, eventsReplayed: eventIndex, profileName: profile.name,
            engines: engineSnapshots, diagnostics: kernel.addingModelWarnings(to: source.diagnostics, file: name),
            finished: isFinished)
        snapshot.stepped = stepped
        if let timeline {
            snapshot.baseline = Baseline(recordedOn: timeline.environment.label, reason: baselineReason,
                                         hostPages: configuration.hostPages.rawValue,
                                         clampedGaps: timeline.clampedGaps, removedNanoseconds: timeline.removedNanoseconds)
        }
        return snapshot
    }

    /// The step panel's event: what each engine would make of the expansion waiting in `slot`
    /// (none when a filter dropped the event before it was expanded).
    private func explain(_ event: KernelEvent, slot: Int) -> SteppedEvent {
        let (name, fields) = SteppedEvent.describe(event.kind)
        let ops = pricing.filling.count > slot
            ? pricing.filling.withView(slot) { view in engines.map { $0.explain(view, eventIndex: eventIndex) } } : []
        return SteppedEvent(positionNanoseconds: position, cpu: Int(event.cpu),
                            task: "\(source.strings[event.commID])-\(event.pid)", name: name, fields: fields,
                            line: event.line, ops: ops)
    }

    /// Per-interval latency windows of every engine (CSV percentiles), reset on read.
    public func takeWindows() -> [Histogram<UInt64>] {
        pricePending()
        return engines.indices.map { engines[$0].takeWindow() }
    }

    /// A duration learnt without reading the trace (a plain file's tail); the end of the
    /// replay replaces it with the exact one.
    public func adoptDuration(_ nanoseconds: UInt64) {
        if durationNanoseconds == nil { durationNanoseconds = nanoseconds }
    }

    /// Read the whole trace once more to learn its duration (for the header and seek bar).
    public func scanDuration() throws -> UInt64 {
        if let d = durationNanoseconds { return d }
        guard restartable else { throw ReplayError.notRestartable }
        let scan = try open()
        var first: UInt64?
        var last: UInt64 = 0
        while let record = try scan.next() {
            if case let .event(e) = record {
                if first == nil { first = e.timestampNanoseconds }
                last = max(last, e.timestampNanoseconds)
            }
        }
        let d = last &- min(first ?? last, last)
        durationNanoseconds = d
        return d
    }

    // MARK: feeding

    private func feed(_ event: KernelEvent) throws {
        lastTimestamp = max(lastTimestamp, event.timestampNanoseconds)
        eventIndex &+= 1
        let filter = configuration.filter
        if let cpu = filter.cpu, Int(event.cpu) != cpu { return }
        if let pid = matchedPid, event.pid != pid { return }
        if let comm = matchedComm, event.commID != comm { return }
        let batch = pricing.filling
        let slot = batch.reserve(event, eventIndex: eventIndex)
        try batch.withExpansion(slot) { expansion in
            if case let .marker(textID) = event.kind {
                do {
                    try kernel.expandMarker(source.strings[textID], event: event, into: &expansion)
                } catch var e as TraceError {
                    e.file = name // a pvtop-op marker naming no pv op: an error, never skipped
                    throw e
                }
            } else {
                kernel.expand(event, into: &expansion)
            }
            if let only = filter.eventClass {
                expansion.segments.removeAll { $0.eventClass != only }
            }
        }
        guard let timeline else { batch.dropLast(); return }
        if batch.isFull { pricing.submit(engines, timeline: timeline) }
    }

    private func pricePending() {
        guard let timeline else { return }
        pricing.drain(engines, timeline: timeline)
    }

    private func finishEngines() {
        guard !isFinished else { return }
        pricePending()
        kernel.finish(into: &expansion)
        for i in engines.indices {
            if !expansion.isEmpty { engines[i].consumeTrailing(expansion) }
            engines[i].finish()
        }
        isFinished = true
        durationNanoseconds = position
    }
}

public enum ReplayError: Error, CustomStringConvertible {
    case notRestartable
    public var description: String { "a live source cannot be restarted or seeked backwards" }
}
