import Foundation
import Testing

/// Every command in the README's ```sh blocks runs as written from the repository root (with
/// the debug binary for `swift run [-c release] pvtop`), except those that need root and
/// tracefs or minutes, which are skipped with the reason. The dashboard ones run in a
/// pseudo-terminal (`script`) and quit after their first frame (`--exit-when first-frame`);
/// `bench` runs once (`--repeats 1`). Outputs go to a scratch directory whose `traces` and
/// `Tests` are the repository's.
@Suite struct ReadmeCommandsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../..").standardized.path

    struct Command: CustomTestStringConvertible, Sendable {
        var line: Int
        var text: String
        /// pvtop's arguments, or nil when the command is skipped.
        var arguments: [String]?
        var skipped: String?
        var usesDashboard = false
        var testDescription: String { "README.md:\(line) \(text)" }
    }

    /// The README's shell commands, mapped to what this test runs.
    static let commands: [Command] = {
        guard let text = try? String(contentsOfFile: root + "/README.md", encoding: .utf8) else { return [] }
        var out: [Command] = []
        var inShell = false
        for (i, raw) in text.components(separatedBy: "\n").enumerated() {
            if raw.hasPrefix("```") { inShell = raw == "```sh"; continue }
            guard inShell, !raw.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            out.append(command(raw, line: i + 1))
        }
        return out
    }()

    static func command(_ raw: String, line: Int) -> Command {
        let parts = raw.components(separatedBy: "#")
        let comment = parts.dropFirst().joined(separator: "#")
        let words = parts[0].split(separator: " ").map(String.init)
        var c = Command(line: line, text: raw.trimmingCharacters(in: .whitespaces))
        if words == ["swift", "test"] { c.skipped = "the test suite itself"; return c }
        var rest = words[...]
        guard rest.starts(with: ["swift", "run"]) else { c.skipped = "FORM"; return c }
        rest = rest.dropFirst(2)
        if rest.starts(with: ["-c", "release"]) { rest = rest.dropFirst(2) }
        guard rest.first == "pvtop" else { c.skipped = "FORM"; return c }
        var args = Array(rest.dropFirst())
        let subcommand = args.first { !$0.hasPrefix("-") } ?? "replay"
        if comment.contains("as root") || ["record", "live"].contains(subcommand) || args.contains("--live") {
            c.skipped = "needs root and tracefs"
            return c
        }
        if subcommand == "validate" { c.skipped = "replays every bundled trace many times: minutes"; return c }
        if subcommand == "bench" { args += ["--repeats", "1"] }
        let headless = args.contains { ["--headless", "--csv", "--json", "--hgrm", "--transitions-csv"].contains($0) }
        if subcommand == "replay", !headless, !args.contains("--version"), !args.contains("--help") {
            c.usesDashboard = true
            args += ["--exit-when", "first-frame"]
        }
        c.arguments = args
        return c
    }

    /// A scratch directory standing in for the repository root: the README's inputs are there
    /// (as links), its outputs land here.
    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "pvtop-readme-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["traces", "Tests", "Sources", "docs"] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: root + "/" + name)
        }
        return dir
    }

    @Test func theReadmeHasCommandsAndEachHasAKnownForm() {
        #expect(Self.commands.count >= 20)
        for c in Self.commands { #expect(c.skipped != "FORM", "README.md:\(c.line): not `swift run pvtop …`: \(c.text)") }
        #expect(Self.commands.contains { $0.usesDashboard }, "the dashboard command is found")
    }

    @Test(arguments: commands.filter { $0.arguments != nil })
    func runsAsWritten(_ c: Command) throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let args = c.arguments!
        let result: Spawn.Result
        if c.usesDashboard {
            // A pseudo-terminal: the dashboard draws its first frame and quits by itself.
            let line = ([Pvtop.binary] + args).joined(separator: " ")
            result = Spawn.run(["timeout", "\(Int(120 * Spawn.timeScale))", "script", "-qec", "cd \(dir) && \(line)", "/dev/null"],
                               environment: ["TERM": "xterm-256color", "SWIFT_BACKTRACE": "interactive=no"])
            #expect(result.output.contains("pvtop"), "\(c.testDescription): no frame drawn")
        } else {
            result = Spawn.run(["sh", "-c", "cd \(dir) && exec timeout \(Int(300 * Spawn.timeScale)) \"$0\" \"$@\"", Pvtop.binary] + args,
                               environment: ["SWIFT_BACKTRACE": "interactive=no"])
        }
        #expect(result.status == 0, "\(c.testDescription): exit \(result.status)\n\(result.output.suffix(600))")
        #expect(!result.output.contains("error:"), "\(c.testDescription): \(result.output.suffix(600))")
    }
}
