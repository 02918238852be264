import ArgumentParser

extension Pvtop {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop live is not built yet") }
    }
}
