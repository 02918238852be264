import ArgumentParser
import Foundation

@main
struct Pvtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pvtop",
        abstract: "Replay recorded Linux kernel traces through native and paravirt-ops engines side by side.",
        version: PvtopVersion.string,
        subcommands: [Replay.self, Record.self, Live.self, Synth.self, Inspect.self, Model.self, Validate.self, Bench.self],
        defaultSubcommand: Replay.self)

    /// ArgumentParser's `main`, except that a bad option value (exit 64) is one line on stderr,
    /// `Error: …` with the reason and where to look, not the reason followed by the usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            let reason = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            printError("Error: \(reason) (pvtop help \(subcommandName(in: CommandLine.arguments)) lists the options)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }

    /// The subcommand the arguments name (for the hint), `replay` when none does.
    static func subcommandName(in arguments: [String]) -> String {
        let names = configuration.subcommands.map { $0._commandName }
        return arguments.dropFirst().first { names.contains($0) } ?? "replay"
    }
}

/// `pvtop --version`. Bumped by hand with a release; the repository has no tags yet.
enum PvtopVersion {
    static let string = "pvtop 0.2.0"
}
