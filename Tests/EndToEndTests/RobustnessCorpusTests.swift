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
        func expand(_ s: String) -> String {
            s.replacingOccurrences(of: "{corpus}", with: RobustnessCase.corpus)
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
