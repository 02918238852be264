import Foundation
import Testing

/// Every bundled trace (and a few option mixes), replayed headless, must write CSV and
/// transitions CSV byte-identical to the committed files in `Tests/Expectations/`. A
/// restructuring must leave them alone; a model or clock change that means to move the numbers
/// rewrites them with `Tests/Expectations/regenerate.sh` and says so in its commit message.
@Suite struct CSVExpectationsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var trace: String
        var options: [String]
        var description: String { name }
    }

    static let cases: [Case] = {
        let url = root.appendingPathComponent("Tests/Expectations/cases.tsv")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let options = fields.count > 2 ? fields[2].split(separator: " ").map(String.init) : []
            return Case(name: fields[0], trace: fields[1], options: options)
        }
    }()

    @Test func theCasesFileIsReadAndNamesEveryBundledTrace() throws {
        let bundled = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("traces").path)
            .filter { $0.hasSuffix(".trace.xz") }
        #expect(!bundled.isEmpty)
        #expect(Set(bundled).isSubset(of: Set(Self.cases.map(\.trace))), "every bundled trace has an expectation")
    }

    @Test(arguments: cases)
    func headlessCSVIsByteIdenticalToTheCommittedExpectation(_ c: Case) throws {
        let dir = NSTemporaryDirectory() + "pvtop-expect-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/out.csv", transitions = dir + "/out.transitions.csv"
        let r = Spawn.run([Pvtop.binary, "replay", Self.root.appendingPathComponent("traces/\(c.trace)").path, "--headless",
                           "--csv", csv, "--transitions-csv", transitions] + c.options,
                          environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 0, "\(r.output)")
        for (written, expected) in [(csv, "\(c.name).csv"), (transitions, "\(c.name).transitions.csv")] {
            let now = try Data(contentsOf: URL(fileURLWithPath: written))
            let committed = try Data(contentsOf: Self.root.appendingPathComponent("Tests/Expectations/\(expected)"))
            if now != committed {
                let a = String(decoding: now, as: UTF8.self).split(whereSeparator: \.isNewline), b = String(decoding: committed, as: UTF8.self).split(whereSeparator: \.isNewline)
                let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
                Issue.record("""
                    \(expected) differs from the committed expectation (\(a.count) vs \(b.count) lines); first difference at line \
                    \((first?.offset ?? min(a.count, b.count)) + 1):
                      now:       \(first.map { String($0.element.0) } ?? "")
                      committed: \(first.map { String($0.element.1) } ?? "")
                    If the change means to move the numbers, run Tests/Expectations/regenerate.sh and say so in the commit.
                    """)
            }
        }
    }
}
