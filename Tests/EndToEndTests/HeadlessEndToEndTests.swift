import Foundation
import Testing

/// The real binary, headless, on the bundled real traces: content, determinism, errors.
@Suite(.serialized) struct HeadlessEndToEndTests {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../traces").standardized.path

    func run(_ args: [String]) -> Spawn.Result {
        Spawn.run([Pvtop.binary] + args, environment: ["SWIFT_BACKTRACE": "interactive=no"])
    }

    /// The JSON summary of `trace` with `extra` options.
    func summary(_ trace: String, _ extra: [String] = []) throws -> [String: [String: Any]] {
        let json = NSTemporaryDirectory() + "pvtop-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(json) }
        let r = run(["replay", "\(Self.traces)/\(trace)", "--headless", "--json", json] + extra)
        #expect(r.status == 0, "\(r.output)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        var byEngine: [String: [String: Any]] = [:]
        for e in object["engines"] as! [[String: Any]] { byEngine[e["engine"] as! String] = e }
        return byEngine
    }

    func transitions(_ engine: [String: Any]) -> [String: Int] {
        var out: [String: Int] = [:]
        for t in engine["transitions"] as! [[String: Any]] { out[t["name"] as! String] = t["count"] as? Int }
        return out
    }

    @Test func nativeHasNoTransitionsXenShowsItsHypercallsKVMItsExits() throws {
        let s = try summary("forkexec.trace.xz")
        let native = s["native"]!
        #expect((native["transitions_by_kind"] as! [String: Int]).values.allSatisfy { $0 == 0 })
        #expect(native["slowdown"] as? Double == 1)
        let xen = transitions(s["xen-pv"]!)
        for name in ["mmu_update", "mmuext_op", "multicall", "iret"] { #expect((xen[name] ?? 0) > 0, "xen-pv \(name)") }
        // fork+exec is MMU work: page-table hypercalls and emulated writes outnumber the rest.
        #expect((xen["mmu_update"] ?? 0) + (xen["ptwr_emulate"] ?? 0) > (xen["syscall_bounce"] ?? 0))
        #expect((s["xen-pv"]!["slowdown"] as! Double) > 1.05)
        let kvm = transitions(s["kvm"]!)
        #expect((kvm["HLT"] ?? 0) > 0 && (kvm["MSR_WRITE"] ?? 0) > 0)
        #expect((kvm["EXCEPTION_NMI"] ?? 0) == 0) // EPT: page faults stay in the guest
    }

    @Test func turningAKVMFeatureOffBringsBackItsExits() throws {
        let trace = "compile.trace.xz" // 693 interrupts, 364 switches
        let on = transitions(try summary(trace, ["--backends", "kvm"])["kvm"]!)
        // pv_eoi=off brings an EOI exit per interrupt back only without APICv (APICv
        // virtualizes the EOI; the modern-2020 CPU has it).
        let noEOI = transitions(try summary(trace, ["--backends", "kvm", "--pv-feature", "pv_eoi=off"])["kvm"]!)
        #expect((noEOI["MSR_WRITE"] ?? 0) == (on["MSR_WRITE"] ?? 0))
        let noAPICv = transitions(try summary(trace, ["--backends", "kvm", "--apicv", "off"])["kvm"]!)
        let neither = transitions(try summary(trace, ["--backends", "kvm", "--apicv", "off", "--pv-feature", "pv_eoi=off"])["kvm"]!)
        #expect((neither["MSR_WRITE"] ?? 0) > (noAPICv["MSR_WRITE"] ?? 0) + 200) // an EOI write per interrupt
        let noClock = transitions(try summary(trace, ["--backends", "kvm", "--pv-feature", "kvmclock=off"])["kvm"]!)
        #expect((on["IO_INSTRUCTION"] ?? 0) == 0 && (noClock["IO_INSTRUCTION"] ?? 0) > 100)
        let shadow = transitions(try summary(trace, ["--backends", "kvm", "--ept", "off"])["kvm"]!)
        #expect((on["CR_ACCESS"] ?? 0) == 0 && (shadow["CR_ACCESS"] ?? 0) > 50) // CR3 loads exit without EPT
    }

    @Test func csvIsByteIdenticalAcrossRunsAndCarriesTheNumbers() throws {
        let args = ["replay", "\(Self.traces)/compile.trace.xz", "--csv", "-", "--interval", "50ms"]
        let a = run(args), b = run(args)
        #expect(a.status == 0 && b.status == 0)
        #expect(a.output == b.output)
        let lines = a.output.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines[0].hasPrefix("interval_start_s,interval_end_s,engine,"))
        // 230 ms of trace in 50 ms intervals = 5 intervals × 6 engines.
        #expect(lines.count == 1 + 5 * 6)
        #expect(lines.filter { $0.contains(",vbox,") }.count == 5)
        let xenRows = lines.filter { $0.contains(",xen-pv,") }
        #expect(xenRows.count == 5)
        #expect(xenRows.allSatisfy { Int($0.split(separator: ",", omittingEmptySubsequences: false)[7])! > 1_000 })
        // Native never leaves the guest.
        #expect(lines.filter { $0.contains(",native,") }.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[8] == "0" })
    }

    @Test func badInputIsOneLineAndExitTwo() throws {
        let garbage = NSTemporaryDirectory() + "pvtop-e2e-garbage-\(getpid()).trace"
        FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 97) }))
        defer { unlink(garbage) }
        for args in [["replay", garbage, "--headless"], ["replay", "/nonexistent.trace", "--headless"],
                     ["replay", "\(Self.traces)/idle.trace.xz", "--headless", "--profile", "no-such-profile"]] {
            let r = run(args)
            #expect(r.status == 2, "\(args): \(r.output)")
            let lines = r.output.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("pvtop: "), "\(r.output)")
        }
    }

    @Test func aFilterThatMatchesNothingSaysSoAndNamesTheFilter() {
        let r = run(["replay", "\(Self.traces)/idle.trace.xz", "--headless", "--process", "nosuch"])
        #expect(r.status == 0)
        #expect(r.output.contains("warning: filter process=nosuch matched none of the"), "\(r.output)")
        #expect(r.output.contains("filter: process=nosuch (0 events matched)"))
        let matched = run(["replay", "\(Self.traces)/idle.trace.xz", "--headless", "--cpu", "0"])
        #expect(matched.output.contains("filter: cpu=0 ("))
        #expect(!matched.output.contains("warning: filter"))
    }

    @Test func transitionsCSVRanksEachEngineByTime() throws {
        let path = NSTemporaryDirectory() + "pvtop-e2e-\(getpid())-transitions.csv"
        defer { unlink(path) }
        let r = run(["replay", "\(Self.traces)/compile.trace.xz", "--transitions-csv", path, "--backends", "kvm"])
        #expect(r.status == 0, "\(r.output)")
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "engine,profile,kind,transition,count,count_share,cycles,time_share,avg_cycles")
        let kvm = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }.filter { $0[0] == "kvm" }
        #expect(kvm.count >= 2)
        let cycles = kvm.map { Double($0[6])! }
        #expect(cycles == cycles.sorted(by: >))   // costliest first
        let share = kvm.map { Double($0[7])! }.reduce(0, +)
        #expect(abs(share - 1) < 1e-4)
        // The summary has the same table.
        #expect(r.output.contains("transitions by time:"))
    }

    @Test func versionAndTheProfilesTheHelpPointsTo() {
        let v = run(["--version"])
        #expect(v.status == 0 && v.output.hasPrefix("pvtop "))
        let help = run(["replay", "--help"])
        #expect(help.output.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression).contains("pvtop model --profiles"))   // wrapped by the parser
        let profiles = run(["model", "--profiles"])
        #expect(profiles.status == 0)
        for name in ["modern-2020", "vtx-2006"] { #expect(profiles.output.contains(name), "\(profiles.output)") }
        let ops = run(["model", "--ops"])
        #expect(ops.output.hasPrefix("classes: I native instruction"))
    }
}
