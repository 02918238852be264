import Foundation
import Testing

/// docs/summary.schema.json describes the `--json` summary: every bundled trace's summary (and
/// a filtered, empty one) must validate against it, and the validator must catch a broken one.
@Suite(.serialized) struct JSONSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized.path

    static func schema() throws -> JSONSchemaSubset {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/docs/summary.schema.json"))
        return JSONSchemaSubset(root: try JSONSerialization.jsonObject(with: data) as! [String: Any])
    }

    static var bundledTraces: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/traces")) ?? [])
            .filter { $0.hasSuffix(".trace.xz") }.sorted()
    }

    /// The summary the real binary writes for `args`.
    func summary(_ args: [String]) throws -> Any {
        let json = NSTemporaryDirectory() + "pvtop-schema-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        defer { unlink(json) }
        let r = Spawn.run([Pvtop.binary, "replay"] + args + ["--headless", "--json", json],
                          environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 0, "\(r.output)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
    }

    @Test func theBundledTracesAreThere() {
        #expect(Self.bundledTraces.count >= 7)
    }

    @Test(arguments: bundledTraces)
    func everyBundledTraceSummaryValidates(_ trace: String) throws {
        let errors = try Self.schema().errors(try summary(["\(Self.root)/traces/\(trace)"]))
        #expect(errors.isEmpty, "\(trace): \(errors.prefix(5))")
    }

    @Test func aFilteredEmptySummaryWithItsWarningValidates() throws {
        let doc = try summary(["\(Self.root)/traces/idle.trace.xz", "--cpu", "1", "--process", "nosuch", "--backends", "xen-pv"])
        #expect((doc as? [String: Any])?["warning"] is String)
        #expect(try Self.schema().errors(doc).isEmpty)
    }

    @Test func theValidatorCatchesAMissingKeyAWrongTypeAnUnknownKeyAndAnOutOfRangeShare() throws {
        let schema = try Self.schema()
        var doc = try summary(["\(Self.root)/traces/idle.trace.xz", "--backends", "kvm"]) as! [String: Any]
        #expect(schema.errors(doc).isEmpty)
        doc["cpus"] = "two"
        doc.removeValue(forKey: "baseline")
        doc["surprise"] = 1
        var engines = doc["engines"] as! [[String: Any]]
        engines[1]["transitions"] = [["name": "HLT", "kind": "vm_exit", "count": 1, "cycles": 1, "count_share": 1.5,
                                      "time_share": 0, "avg_cycles": 1]]
        doc["engines"] = engines
        let errors = schema.errors(doc).joined(separator: "\n")
        #expect(errors.contains("$.cpus: expected integer, found string"))
        #expect(errors.contains("missing required \"baseline\""))
        #expect(errors.contains("unexpected key \"surprise\""))
        #expect(errors.contains("$.engines[1].transitions[0].count_share: 1.5 > maximum 1"))
    }

    @Test func theSchemaUsesOnlyTheSubsetTheValidatorChecks() throws {
        #expect(try Self.schema().unsupportedKeywords() == [])
        let bad = JSONSchemaSubset(root: ["type": "object", "properties": ["a": ["pattern": "x"]] as [String: Any]])
        #expect(bad.unsupportedKeywords() == ["$.properties.a.pattern"])
    }
}
