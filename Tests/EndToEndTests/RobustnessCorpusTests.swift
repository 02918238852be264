import Foundation
import Testing

/// Issue 10's hostile cases as a corpus (Tests/RobustnessCorpus/cases.tsv): each runs the real
/// binary under `timeout`, so a crash shows as its signal's status, a hang as 124.
struct RobustnessCase: CustomTestStringConvertible, Sendable {
    var name: String
    var status: Int32
    /// Text stderr must contain; nil: stderr must be empty.
    var stderrContains: String?
    var arguments: [String]
    var testDescription: String { name }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../RobustnessCorpus").standardized.path

    static func all() -> [RobustnessCase] {
        guard let text = try? String(contentsOfFile: corpus + "/cases.tsv", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, let status = Int32(f[1]) else { return nil }
            return RobustnessCase(name: f[0], status: status, stderrContains: f[2] == "-" ? nil : f[2],
                                  arguments: Array(f[3...]))
        }
    }
}

@Suite struct RobustnessCorpusTests {
    @Test func theCorpusIsThere() {
        #expect(RobustnessCase.all().count >= 40)
    }

    @Test(arguments: RobustnessCase.all())
    func hostileInputGivesTheDocumentedStatusAndMessage(_ c: RobustnessCase) throws {
        let tmp = NSTemporaryDirectory() + "pvtop-corpus-\(getpid())-\(c.name)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // {fifo}: a named pipe nobody writes to, where an open() without O_NONBLOCK waits for ever.
        let fifo = tmp + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        func expand(_ s: String) -> String {
            s.replacingOccurrences(of: "{corpus}", with: RobustnessCase.corpus)
                .replacingOccurrences(of: "{fifo}", with: fifo)
                .replacingOccurrences(of: "{tmp}", with: tmp)
                .replacingOccurrences(of: "{bin}", with: Pvtop.binary)
        }
        let before = corpusDigest()
        let stderrPath = tmp + ".stderr"
        defer { unlink(stderrPath) }
        let r = Spawn.run(["timeout", "60", Pvtop.binary] + c.arguments.map(expand),
                          environment: ["SWIFT_BACKTRACE": "enable=no"], stderrPath: stderrPath)
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        #expect(r.status == c.status, "\(c.name): status \(r.status)\n\(stderr)")
        if let expected = c.stderrContains.map(expand) {
            // One line: a message, never a stack trace or an error dump (a usage error, 64, is
            // followed by ArgumentParser's usage).
            let lines = stderr.split(separator: "\n")
            #expect(lines.first.map { $0.contains(expected) } == true, "\(c.name): stderr was\n\(stderr)")
            if c.status != 64 { #expect(lines.count == 1, "\(c.name): \(stderr)") }
        } else {
            #expect(stderr.isEmpty, "\(c.name): \(stderr)")
        }
        #expect(corpusDigest() == before, "\(c.name) changed a corpus file")
        // No temporary output left behind.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []
        #expect(left.filter { $0.contains(".pvtop-") }.isEmpty, "\(c.name) left \(left)")
    }

    /// Sizes and modification times of the corpus files: an output must never touch them.
    func corpusDigest() -> [String] {
        let dir = RobustnessCase.corpus
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { name in
            var info = stat()
            stat(dir + "/" + name, &info)
            return "\(name) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }
}

/// What the corpus cases' outputs say, beyond status and message.
@Suite struct RobustnessOutputTests {
    func run(_ args: [String]) -> Spawn.Result {
        Spawn.run(["timeout", "60", Pvtop.binary] + args, environment: ["SWIFT_BACKTRACE": "enable=no"],
                  stderrPath: "/dev/null")
    }

    func json(_ trace: String, _ extra: [String] = []) throws -> [String: Any] {
        let path = NSTemporaryDirectory() + "pvtop-robust-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(path) }
        let r = run(["replay", RobustnessCase.corpus + "/" + trace, "--json", path] + extra)
        #expect(r.status == 0, "\(r.output)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func nativeSeconds(_ j: [String: Any]) -> Double {
        (j["engines"] as! [[String: Any]]).first { $0["engine"] as? String == "native" }!["sim_time_seconds"] as! Double
    }

    @Test func aStepBackOrAClockJumpDoesNotAddTimeAndTheJSONCountsIt() throws {
        let base = try json("base.trace")
        for (trace, kind) in [("clock-backwards.trace", "clock-backwards"), ("clock-one-line-ahead.trace", "clock-jump"),
                              ("clock-jump-forward.trace", "clock-jump")] {
            let j = try json(trace)
            // The base trace lasts 0.3 ms: a second (or 10^9) added to one CPU would show.
            #expect(nativeSeconds(j) <= nativeSeconds(base) + 1e-6, "\(trace)")
            #expect(((j["input_warnings"] as? [String: Int])?[kind] ?? 0) >= 1, "\(trace): \(j["input_warnings"] ?? "none")")
        }
        #expect((base["input_warnings"] as? [String: Int]) == [:])
    }

    @Test func aLineOnCPU8191LeavesATwoCPUTrace() throws {
        let j = try json("cpu-8191.trace")
        #expect(j["cpus"] as? Int == 2)
        #expect((j["input_warnings"] as? [String: Int]) == ["cpu-out-of-range": 1])
    }

    @Test func theCSVSettingsCarryTheWarningCounts() throws {
        let r = Spawn.run([Pvtop.binary, "replay", RobustnessCase.corpus + "/error-code-0z7.trace", "--csv", "-",
                           "--backends", "kvm"], stderrPath: "/dev/null")
        #expect(r.status == 0)
        let rows = r.output.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("input.malformed=1") }, "\(r.output)")
    }

    @Test func aFIFOOfZerosIsRefusedLikeAFile() throws {
        let fifo = NSTemporaryDirectory() + "pvtop-zero-fifo-\(getpid())"
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let stderrPath = fifo + ".err"
        defer { unlink(stderrPath) }
        // head keeps the FIFO fed for longer than the 64 KiB pvtop looks at, then stops.
        let r = Spawn.run(["sh", "-c", "head -c 1000000 /dev/zero > \(fifo) & timeout 30 \(Pvtop.binary) inspect \(fifo); s=$?; wait; exit $s"],
                          stderrPath: stderrPath)
        #expect(r.status == 2)
        #expect(((try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "").contains("binary data"))
    }
}
