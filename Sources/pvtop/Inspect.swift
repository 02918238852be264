import ArgumentParser

extension Pvtop {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop inspect is not built yet") }
    }
}
