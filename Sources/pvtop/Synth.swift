import ArgumentParser

extension Pvtop {
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop synth is not built yet") }
    }
}
