import ArgumentParser

extension Pvtop {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(not built yet)")
        func run() throws { throw ValidationError("pvtop record is not built yet") }
    }
}
