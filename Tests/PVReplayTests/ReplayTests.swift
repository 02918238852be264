import Foundation
import Testing
@testable import PVReplay
import PVKernel
import PVTrace

/// An in-memory trace: the records given, then the end.
final class ArraySource: TraceSource {
    private var records: [TraceRecord]
    private var i = 0
    var header = TraceHeader()
    let strings = StringTable()
    var diagnostics = TraceDiagnostics()
    init(_ events: [KernelEvent], cpus: Int = 2) {
        records = events.map { .event($0) }
        header.cpuCount = cpus
    }
    func next() throws -> TraceRecord? {
        guard i < records.count else { return nil }
        defer { i += 1 }
        return records[i]
    }
}

/// Charges `cyclesPerCall` per call and one hypercall per `set_pte` (enough to tell engines apart).
struct FlatBackend: Backend {
    let descriptor: BackendDescriptor
    let cyclesPerCall: Double
    init(id: BackendID, cyclesPerCall: Double) {
        descriptor = BackendDescriptor(id: id, displayName: id.rawValue, transitions: [TransitionInfo(.hypercall, "mmu_update")],
                                       settings: [(key: "mode", value: "test,\"quoted\"")])
        self.cyclesPerCall = cyclesPerCall
    }
    mutating func perform(_ call: PVCall, _ context: CallContext, _ ledger: inout Ledger) {
        if call.op == .set_pte { ledger.transition(0, cycles: cyclesPerCall * Double(call.count), count: UInt64(call.count)) }
        else { ledger.charge(cyclesPerCall * Double(call.count)) }
    }
    mutating func finish(_ ledger: inout Ledger) {}
}

@Suite struct ReplayTests {
    /// 1 GHz, and every time-proportional and cross-CPU cost zero: these tests count events.
    static let profile: CostProfile = {
        func zero(_ keys: [String]) -> [String: CostProfile.Parameter] {
            Dictionary(uniqueKeysWithValues: keys.map { ($0, CostProfile.Parameter(value: 0, source: nil, assumption: "test")) })
        }
        return CostProfile(name: "flat-1ghz", description: "", clockGHz: 1, ept: true,
                           costs: zero(TimeCosts.cycleKeys + CausalityCosts.profileKeys),
                           flags: Dictionary(uniqueKeysWithValues: TimeCosts.flagKeys.map {
                               ($0, CostProfile.Flag(on: true, source: nil, assumption: "test"))
                           }),
                           quantities: zero(TimeCosts.quantityKeys), origin: "test")
    }()

    /// Page faults every 10 µs on CPU 0 for 1 ms of trace.
    static func faults(count: Int = 100) -> [KernelEvent] {
        (0..<count).map { i in
            KernelEvent(timestampNanoseconds: 5_000_000 + UInt64(i) * 10_000, cpu: 0, pid: 42,
                        kind: .pageFault(user: true, address: 0x1000, errorCode: 0x6))
        }
    }

    func makeReplay(_ events: [KernelEvent], backends: [BackendID] = [.xenPV]) throws -> Replay {
        try Replay(name: "mem.trace", configuration: ReplayConfiguration(backends: backends, profile: "flat"),
                   parameters: try KernelParameters.load(),
                   makeBackend: { id, _, _ in FlatBackend(id: id, cyclesPerCall: id == .native ? 1 : 100) },
                   loadProfile: { _ in Self.profile },
                   open: { ArraySource(events) })
    }

    @Test func nativeIsTheBaselineAndSlowerEnginesShowTheirSlowdown() throws {
        let replay = try makeReplay(Self.faults())
        try replay.advance(toTraceTime: .max, eventBudget: .max)
        let s = replay.snapshot()
        #expect(s.finished && s.eventsReplayed == 100)
        #expect(s.engines.map(\.descriptor.id) == [.native, .xenPV])
        #expect(s.native.slowdown == 1)
        #expect(s.engines[1].slowdown > 1)
        #expect(s.engines[1].metrics.transitions(of: .hypercall, in: s.engines[1].descriptor) == 100)
        #expect(s.native.metrics.count(of: .pageFault) == 100)
    }

    @Test func advanceStopsAtTheRequestedTraceTimeAndSeekBackReplaysFromTheStart() throws {
        let replay = try makeReplay(Self.faults())
        try replay.advance(toTraceTime: 95_000, eventBudget: .max)   // events at 0,10k,…,90k
        #expect(replay.snapshot().eventsReplayed == 10)
        try replay.advance(toTraceTime: .max, eventBudget: 5)
        #expect(replay.snapshot().eventsReplayed == 15)
        try replay.seek(toTraceTime: 20_000)
        #expect(replay.snapshot().eventsReplayed == 3)
        try replay.step()
        #expect(replay.snapshot().eventsReplayed == 4)
    }

    @Test func reconfigureKeepsThePositionWithOtherEngines() throws {
        let replay = try makeReplay(Self.faults())
        try replay.advance(toTraceTime: 500_000, eventBudget: .max)
        var c = replay.configuration
        c.backends = [.kvm, .lguest]
        try replay.reconfigure(c)
        let s = replay.snapshot()
        #expect(s.engines.map(\.descriptor.id) == [.native, .kvm, .lguest])
        #expect(s.eventsReplayed == 51)
    }

    @Test func filterByCPUKeepsOnlyThatCPU() throws {
        var events = Self.faults(count: 10)
        events += events.map { var e = $0; e.cpu = 1; e.timestampNanoseconds += 1; return e }
        events.sort { $0.timestampNanoseconds < $1.timestampNanoseconds }
        let replay = try Replay(name: "m", configuration: ReplayConfiguration(backends: [], profile: "flat", filter: EventFilter(cpu: 1)),
                                parameters: try KernelParameters.load(),
                                makeBackend: { id, _, _ in FlatBackend(id: id, cyclesPerCall: 1) },
                                loadProfile: { _ in Self.profile }, open: { ArraySource(events) })
        try replay.advance(toTraceTime: .max, eventBudget: .max)
        #expect(replay.snapshot().native.metrics.count(of: .pageFault) == 10)
    }

    @Test func headlessCSVHasOneRowPerIntervalAndEngineAndIsDeterministic() throws {
        func run() throws -> String {
            var csv = ""
            _ = try Headless.run(try makeReplay(Self.faults()), intervalNanoseconds: 250_000, emit: { csv += $0 })
            return csv
        }
        let csv = try run()
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines[0] == CSVExport.columns.joined(separator: ","))
        // 1 ms of events in 250 µs intervals: 4 intervals × 2 engines.
        #expect(lines.count == 1 + 4 * 2)
        // Each interval of 25 faults: native 1 cycle/call, xen-pv 100 cycles/call and 25 mmu_updates.
        let xen = parseCSVLine(lines[2])
        #expect(xen.count == CSVExport.columns.count)
        #expect(xen[4] == "mode=test,\"quoted\";recorded_on=native;host_pages=4k")
        #expect(xen[2] == "xen-pv")
        #expect(xen[5] == "25")              // events
        #expect(xen[8] == "25")              // hypercalls
        #expect(lines[1].contains(",native,"))
        #expect(lines[2].contains("\"mode=test,\"\"quoted\"\";recorded_on=native;host_pages=4k\""))  // RFC 4180 quoting of the settings field
        #expect(try run() == csv)
    }

    @Test func summaryAndJSONNameEveryEngine() throws {
        let replay = try makeReplay(Self.faults())
        let s = try Headless.run(replay, intervalNanoseconds: 1_000_000_000, emit: nil)
        let text = Summary.text(s)
        #expect(text.contains("native") && text.contains("xen-pv"))
        #expect(text.contains("page_fault"))
        let json = Summary.json(s)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let engines = object["engines"] as! [[String: Any]]
        #expect(engines.count == 2)
        #expect((engines[1]["transitions_by_kind"] as! [String: Any])["hypercall"] as? Int == 100)
    }

    @Test func csvQuotingFollowsRFC4180() {
        #expect(CSVExport.quote("plain") == "plain")
        #expect(CSVExport.quote("a,b") == "\"a,b\"")
        #expect(CSVExport.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVExport.quote("two\nlines") == "\"two\nlines\"")
    }
}

/// RFC 4180 field splitting for one line (no embedded newlines in these tests).
func parseCSVLine(_ line: String) -> [String] {
    var fields: [String] = [], field = "", quoted = false
    var chars = Array(line)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { fields.append(field); field = "" }
        else { field.append(c) }
    }
    fields.append(field)
    return fields
}
