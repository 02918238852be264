import ArgumentParser

@main
struct Pvtop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pvtop",
        abstract: "Replay recorded Linux kernel traces through native and paravirt-ops engines side by side.",
        version: PvtopVersion.string,
        subcommands: [Replay.self, Record.self, Live.self, Synth.self, Inspect.self, Model.self, Validate.self, Bench.self],
        defaultSubcommand: Replay.self)
}

/// `pvtop --version`. Bumped by hand with a release; the repository has no tags yet.
enum PvtopVersion {
    static let string = "pvtop 0.2.0"
}
