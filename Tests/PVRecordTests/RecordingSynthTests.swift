import Foundation
import Testing
import PVTrace
@testable import PVRecord

@Suite struct RecordingSynthTests {
    private func events(_ text: String) -> [(line: String, scan: TraceLineScan?)] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { l in
            let s = String(l)
            return (s, withLineBytes(s) { TraceLineScan($0) })
        }
    }

    private func names(_ text: String) -> [String] {
        events(text).map { e in withLineBytes(e.line) { b in e.scan?.eventName(b) ?? "?" } }
    }

    @Test(arguments: SyntheticProfile.allCases)
    func sameArgumentsGiveIdenticalBytes(_ p: SyntheticProfile) throws {
        let a = try SyntheticTrace(profile: p, iterations: 25, cpus: 2).text()
        let b = try SyntheticTrace(profile: p, iterations: 25, cpus: 2).text()
        #expect(a == b)
        #expect(a != (try SyntheticTrace(profile: p, iterations: 26, cpus: 2).text()))
    }

    @Test(arguments: SyntheticProfile.allCases)
    func outputHasTheTracefsShapeAndIsLabelledSynthetic(_ p: SyntheticProfile) throws {
        let text = try SyntheticTrace(profile: p, iterations: 40, cpus: 3).text()
        let prov = RecordingProvenance.parse(text)
        #expect(prov["synthetic"] == "true" && prov["profile"] == p.rawValue && prov["iterations"] == "40")
        #expect(text.contains("# tracer: nop\n"))
        #expect(text.contains("#           TASK-PID       TGID    CPU#  |||||  TIMESTAMP  FUNCTION\n"))
        let evs = events(text)
        #expect(text.contains("# entries-in-buffer/entries-written: \(evs.count)/\(evs.count)   #P:3\n"))
        // Every line has the columns, a CPU below #P, and timestamps never go back.
        var last = 0.0
        for e in evs {
            #expect(e.scan != nil && e.scan!.cpu < 3, "\(e.line)")
            let ts = Double(e.line.split(separator: " ").first { $0.hasSuffix(":") && $0.contains(".") }!.dropLast())!
            #expect(ts >= last, "\(e.line)")
            last = ts
        }
        // The provenance counts are the lines' counts.
        var counts: [String: Int] = [:]
        for n in names(text) { counts[n, default: 0] += 1 }
        for (name, n) in counts { #expect(prov["count." + name] == String(n), "\(name)") }
        #expect(prov["events-total"] == String(evs.count))
    }

    @Test func tlbShootdownHasBothSidesOfEveryShootdown() throws {
        let text = try SyntheticTrace(profile: .tlbShootdown, iterations: 100).text()
        #expect(text.components(separatedBy: "reason:remote IPI send (4)").count - 1 == 100)
        #expect(text.components(separatedBy: "reason:local MM shootdown (3)").count - 1 == 100)
        #expect(text.split(separator: "\n").filter { $0.contains("[001] d.h..") && $0.contains("call_function_single_entry") }.count == 100)
        #expect(text.components(separatedBy: "reason:remote shootdown (1)").count - 1 == 100)
        #expect(text.components(separatedBy: "write_msr: 830, value 1000000fb").count - 1 == 100)
        // Sender order as recorded: reason 4, ipi_send_cpu, ICR write, then the local flush.
        let ns = names(text)
        let i = ns.firstIndex(of: "ipi_send_cpu")!
        #expect(Array(ns[(i - 1)...(i + 2)]) == ["tlb_flush", "ipi_send_cpu", "write_msr", "call_function_single_entry"])
        #expect(throws: RecordingError.self) { try SyntheticTrace(profile: .tlbShootdown, cpus: 1) }
    }

    @Test func pingPongSwitchesTwicePerRoundTripWithACR3LoadEach() throws {
        let text = try SyntheticTrace(profile: .pipePingPong, iterations: 50, cpus: 1).text()
        let ns = names(text)
        // +1 start from idle, +2 at the end (exits).
        #expect(ns.filter { $0 == "sched_switch" }.count == 2 * 50 + 3)
        #expect(text.components(separatedBy: "pages:0 reason:flush on task switch (0)").count - 1 == 2 * 50 + 1)
        #expect(ns.filter { $0 == "sched_wakeup" }.count == 2 * 50)
        #expect(!text.contains("[001]"))
    }

    @Test func forkAndExecProfilesHaveOneForkExecExitPerIteration() throws {
        let fork = names(try SyntheticTrace(profile: .forkExit, iterations: 30).text())
        #expect(fork.filter { $0 == "sched_process_fork" }.count == 30)
        #expect(fork.filter { $0 == "sched_process_exec" }.isEmpty)
        let exec = names(try SyntheticTrace(profile: .exec, iterations: 30).text())
        #expect(exec.filter { $0 == "sched_process_exec" }.count == 30)
        #expect(exec.filter { $0 == "sched_process_exit" }.count == 31)  // + the parent
        #expect(exec.filter { $0 == "sys_enter_mmap" }.count == 8 * 30)
        #expect(exec.filter { $0 == "sys_enter_mprotect" }.count == 3 * 30)
    }

    @Test func idleTicksEveryCPUWithATSCDeadlineRearm() throws {
        let text = try SyntheticTrace(profile: .idle, iterations: 10, cpus: 2).text()
        let evs = events(text)
        #expect(evs.allSatisfy { $0.scan?.pid == 0 })
        for cpu in 0..<2 {
            #expect(evs.filter { $0.scan?.cpu == cpu && $0.line.contains("local_timer_entry") }.count == 10)
        }
        #expect(text.components(separatedBy: "write_msr: 6e0, value ").count - 1 == 20)
    }

    @Test func compressedOutputDecompressesToTheSameText() throws {
        let text = try SyntheticTrace(profile: .mmapMunmap, iterations: 200).text()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pvtop-synth-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (ext, tool) in [("xz", "xz"), ("gz", "gzip")] {
            let path = dir.appendingPathComponent("t.trace.\(ext)").path
            let w = try TraceFileWriter(path: path)
            try w.write(text)
            try w.finish()
            // Only the finished trace, no temporary beside it.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".pvtop-") }.isEmpty)
            #expect(w.bytesOut < w.bytesIn / 5)
            guard FileManager.default.fileExists(atPath: "/usr/bin/\(tool)") else {
                print("skipping \(tool) round trip: /usr/bin/\(tool) missing"); continue
            }
            let out = dir.appendingPathComponent("t.\(ext).txt").path
            #expect(system("/usr/bin/\(tool) -dc \(path) > \(out)") == 0)
            #expect(try String(contentsOfFile: out, encoding: .utf8) == text)
        }
    }

    @Test func abandonedOutputLeavesNoFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pvtop-abandon-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.trace.xz"
        let w = try TraceFileWriter(path: path)
        try w.write("partial\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).count == 1)   // the temporary
        w.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }
}
