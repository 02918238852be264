import Foundation
import Testing

/// Option values are types parsed at the edge: a bad one is exit 64 and exactly one line on
/// stderr naming the option; durations take a unit everywhere and say which forms.
@Suite struct OptionValuesEndToEndTests {
    static let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../RobustnessCorpus/base.trace").standardized.path

    struct BadValue: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var says: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let badValues: [BadValue] = [
        .init(arguments: ["replay", trace, "--headless", "--interval", "100"], says: "--interval 100 needs a unit (e.g. 500us, 10ms, 5s, 1m)"),
        .init(arguments: ["replay", trace, "--headless", "--max-gap", "10"], says: "--max-gap 10 needs a unit"),
        .init(arguments: ["inspect", trace, "--max-gap", "5 s"], says: "--max-gap: cannot read the duration \"5 s\""),
        .init(arguments: ["live", "--headless", "--duration", "1"], says: "--duration 1 needs a unit"),
        .init(arguments: ["record", "--duration", "2", "-o", "/dev/null"], says: "--duration 2 needs a unit"),
        .init(arguments: ["bench", "--live", "binary", "--duration", "4"], says: "--duration 4 needs a unit"),
        .init(arguments: ["replay", trace, "--headless", "--ept", "maybe"], says: "'--ept <on|off>'"),
        .init(arguments: ["replay", trace, "--headless", "--batching", "sometimes"], says: "'--batching <on|off>'"),
        .init(arguments: ["replay", trace, "--headless", "--backends", "kvm,hyperv"], says: "unknown backend \"hyperv\""),
        .init(arguments: ["replay", trace, "--headless", "--host-pages", "1g"], says: "'--host-pages <4k|2m>'"),
        .init(arguments: ["replay", trace, "--theme", "sepia"], says: "'--theme <theme>'"),
        .init(arguments: ["replay", trace, "--headless", "--recorded-on", "xen"], says: "--recorded-on takes native or kvm"),
        .init(arguments: ["replay", trace, "--headless", "--profile", ""], says: "--profile needs a name or a file"),
    ]

    @Test(arguments: badValues)
    func aBadValueIsExit64AndOneLine(_ c: BadValue) {
        let stderr = NSTemporaryDirectory() + "pvtop-opt-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        defer { unlink(stderr) }
        let r = Spawn.run([Pvtop.binary] + c.arguments, environment: ["SWIFT_BACKTRACE": "enable=no"], stderrPath: stderr)
        let text = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
        #expect(r.status == 64, "\(c.testDescription): \(r.status) \(text)")
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "\(c.testDescription): \(text)")
        #expect(text.contains(c.says), "\(c.testDescription): \(text)")
        #expect(text.hasPrefix("Error: "), "\(c.testDescription): \(text)")
    }

    @Test func durationsTakeEveryUnitAndTypedValuesAnyCase() {
        for interval in ["250us", "250µs", "10ms", "1s", "1m", "1h", "500000000ns"] {
            let r = Spawn.run([Pvtop.binary, "replay", Self.trace, "--headless", "--backends", "kvm", "--interval", interval,
                               "--ept", "OFF", "--batching", "no", "--theme", "Light", "--max-gap", "1m"])
            #expect(r.status == 0, "--interval \(interval): \(r.output)")
        }
    }

    @Test func theIntervalUnitChangesTheRows() {
        func rows(_ interval: String) -> Int {
            let r = Spawn.run([Pvtop.binary, "replay", Self.trace, "--csv", "-", "--backends", "kvm", "--interval", interval])
            // One ",kvm," per kvm row (CSV lines end in CRLF, one Swift Character: no line split).
            return r.output.components(separatedBy: ",kvm,").count - 1
        }
        // base.trace spans 0.3 ms: 50 µs intervals give several rows, 1 s one.
        #expect(rows("50us") > 2)
        #expect(rows("1s") == 1)
    }
}
