import Foundation
import Testing

/// The backends' results on two bundled traces, pinned: per engine, the transitions it counted,
/// the cycles it priced and its slowdown, with `modern-2020` and `vtx-2006`. Counts and cycles
/// were recorded before the op tables became actions run by one interpreter (which changed none
/// of them); the slowdowns are the ones after the clock's time-proportional costs (which moved
/// only those). A change that moves one must mean to, and update the pin with the numbers it prints (from
/// `pvtop replay traces/T --headless --json FILE --profile P`: `transitions_by_kind` summed,
/// `priced_cycles`, `slowdown`).
@Suite(.serialized) struct BackendPinnedOutputTests {
    struct Pin: Equatable, Sendable, CustomStringConvertible {
        var transitions: Int
        var pricedCycles: Int
        var slowdown: Double
        var description: String { "Pin(transitions: \(transitions), pricedCycles: \(pricedCycles), slowdown: \(slowdown))" }
    }

    struct Case: CustomStringConvertible, Sendable {
        var trace: String
        var profile: String
        var engines: [String: Pin]
        var description: String { "\(trace) \(profile)" }
    }

    static let cases: [Case] = [
        Case(trace: "forkexec.trace.xz", profile: "modern-2020", engines: [
            "native": Pin(transitions: 0, pricedCycles: 32471821, slowdown: 1.0),
            "xen-pv": Pin(transitions: 173485, pricedCycles: 203447071, slowdown: 1.237483),
            "kvm": Pin(transitions: 1650, pricedCycles: 38610746, slowdown: 1.054299),
            "vmi": Pin(transitions: 416879, pricedCycles: 161905273, slowdown: 1.269111),
            "lguest": Pin(transitions: 95857, pricedCycles: 253048721, slowdown: 1.363114),
            "vbox": Pin(transitions: 4168, pricedCycles: 49232317, slowdown: 1.064111),
        ]),
        Case(trace: "forkexec.trace.xz", profile: "vtx-2006", engines: [
            "native": Pin(transitions: 0, pricedCycles: 49941516, slowdown: 1.0),
            "xen-pv": Pin(transitions: 174890, pricedCycles: 354356259, slowdown: 1.385132),
            "kvm": Pin(transitions: 518781, pricedCycles: 6484997400, slowdown: 9.241521),
            "vmi": Pin(transitions: 416879, pricedCycles: 272246123, slowdown: 1.373612),
            "lguest": Pin(transitions: 95857, pricedCycles: 495057401, slowdown: 1.611344),
            "vbox": Pin(transitions: 518781, pricedCycles: 6484997400, slowdown: 9.241521),
        ]),
        Case(trace: "tlb-shootdown.trace.xz", profile: "modern-2020", engines: [
            "native": Pin(transitions: 0, pricedCycles: 75660595, slowdown: 1.0),
            "xen-pv": Pin(transitions: 188906, pricedCycles: 226488303, slowdown: 1.576074),
            "kvm": Pin(transitions: 5158, pricedCycles: 80364960, slowdown: 1.070203),
            "vmi": Pin(transitions: 416167, pricedCycles: 175356204, slowdown: 1.501957),
            "lguest": Pin(transitions: 136732, pricedCycles: 317793232, slowdown: 2.023636),
            "vbox": Pin(transitions: 15255, pricedCycles: 112735583, slowdown: 1.139844),
        ]),
        Case(trace: "tlb-shootdown.trace.xz", profile: "vtx-2006", engines: [
            "native": Pin(transitions: 0, pricedCycles: 108928510, slowdown: 1.0),
            "xen-pv": Pin(transitions: 188953, pricedCycles: 403039877, slowdown: 1.919245),
            "kvm": Pin(transitions: 218530, pricedCycles: 2395769524, slowdown: 6.491287),
            "vmi": Pin(transitions: 416167, pricedCycles: 315049659, slowdown: 1.693132),
            "lguest": Pin(transitions: 136732, pricedCycles: 623454764, slowdown: 2.651112),
            "vbox": Pin(transitions: 218530, pricedCycles: 2395769524, slowdown: 6.491287),
        ]),
    ]

    @Test(arguments: cases)
    func everyBackendCountsPricesAndSlowsDownAsPinned(_ c: Case) throws {
        let json = NSTemporaryDirectory() + "pvtop-pin-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(json) }
        let r = Spawn.run([Pvtop.binary, "replay", "\(HeadlessEndToEndTests.traces)/\(c.trace)", "--headless", "--json", json,
                           "--profile", c.profile], environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 0, "\(r.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let engines = try #require(object["engines"] as? [[String: Any]])
        var seen: [String: Pin] = [:]
        for e in engines {
            let name = try #require(e["engine"] as? String)
            let kinds = try #require(e["transitions_by_kind"] as? [String: Int])
            seen[name] = Pin(transitions: kinds.values.reduce(0, +), pricedCycles: try #require(e["priced_cycles"] as? Int),
                             slowdown: try #require(e["slowdown"] as? Double))
        }
        #expect(Set(seen.keys) == Set(c.engines.keys))
        for (name, pin) in c.engines {
            #expect(seen[name] == pin, "\(c) \(name): now \(seen[name].map(String.init(describing:)) ?? "missing"), pinned \(pin)")
        }
    }
}
