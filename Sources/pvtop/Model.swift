import ArgumentParser

extension Pvtop {
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop model is not built yet") }
    }
}
