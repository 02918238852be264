/// What the dashboard drives. Implemented by `Replay` (files) and the live source.
///
/// The dashboard loop calls `advance` once per frame with the trace time it wants to reach
/// (speed × wall time elapsed), then renders `snapshot()`. Seeking backwards restarts from the
/// first event and replays to the target (a 300 k-event trace replays in well under a second).
public protocol ReplayControl: AnyObject {
    /// Replay events until trace time `nanoseconds` (since the first event) or the end.
    /// `eventBudget` bounds the work per call so a frame never stalls.
    func advance(toTraceTime nanoseconds: UInt64, eventBudget: Int) throws
    /// Replay exactly one more event (the `.` key).
    func step() throws
    /// Back to the first event with fresh engines (also used by seek-back and `r`).
    func restart() throws
    /// Seek to a trace time (restart + advance when going back).
    func seek(toTraceTime nanoseconds: UInt64) throws
    /// Rebuild the engines with new settings (backends, profile, pv features) and replay to
    /// the current position.
    func reconfigure(_ configuration: ReplayConfiguration) throws
    var configuration: ReplayConfiguration { get }
    func snapshot() -> Snapshot
    var isFinished: Bool { get }
}

import PVKernel

public struct ReplayConfiguration: Sendable, Equatable {
    /// Paravirt backends beside native (native always runs: it is the baseline).
    public var backends: [BackendID]
    /// Cost profile name or path.
    public var profile: String
    public var options: BackendOptions
    /// Only events matching this filter reach the engines (nil fields match all).
    public var filter: EventFilter
    /// Where the trace was recorded (its costs are removed from the gaps); nil = what the
    /// trace's provenance says.
    public var recordedOn: RecordingEnvironment?
    /// Host page size behind two-dimensional paging in the engines (a what-if).
    public var hostPages: HostPageSize

    public init(backends: [BackendID] = [.xenPV, .kvm, .vmi, .lguest, .vbox], profile: String = "modern-2020",
                options: BackendOptions = BackendOptions(cpuCount: 1), filter: EventFilter = EventFilter(),
                recordedOn: RecordingEnvironment? = nil, hostPages: HostPageSize = .k4) {
        self.backends = backends; self.profile = profile; self.options = options; self.filter = filter
        self.recordedOn = recordedOn; self.hostPages = hostPages
    }
}

public struct EventFilter: Sendable, Equatable {
    public var cpu: Int?
    /// Matches the task name (comm) exactly, or a pid when it is all digits.
    public var process: String?
    public var eventClass: EventClass?
    public init(cpu: Int? = nil, process: String? = nil, eventClass: EventClass? = nil) {
        self.cpu = cpu; self.process = process; self.eventClass = eventClass
    }
    public var isEmpty: Bool { cpu == nil && process == nil && eventClass == nil }
}
