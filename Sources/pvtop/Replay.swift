import ArgumentParser

extension Pvtop {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop replay is not built yet") }
    }
}
