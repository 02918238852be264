import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

extension Pvtop {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the validation report: every bundled trace × backend, a sensitivity table, the blind spots.")

        @Option(name: .shortAndLong, help: ArgumentHelp("Write the markdown here (- = stdout).", valueName: "file"))
        var output: String = "docs/validation.md"

        @Option(name: .long, help: ArgumentHelp("Trace for the sensitivity table (default: the bundled compile trace).", valueName: "trace"))
        var sensitivityTrace: String?

        @OptionGroup var engines: EngineOptions

        @Argument(help: ArgumentHelp("Traces to report on (default: every bundled trace).", valueName: "trace"))
        var traces: [String] = []

        func run() throws {
            try reportingUserErrors {
                let session = try engines.session()
                let configuration = session.configuration, parameters = session.parameters
                let paths = traces.isEmpty ? BundledTraces.all() : traces
                guard !paths.isEmpty else { throw CLIError("no traces given and none bundled (run from the repository)") }
                let open: (String) throws -> any TraceSource = { try session.open(trace: $0) }
                var runs: [Validation.TraceRun] = []
                for path in paths {
                    FileHandle.standardError.write(Data("replaying \(path)\n".utf8))
                    runs.append(.init(path: path, snapshot: try Validation.replay(
                        path: path, configuration: configuration, parameters: parameters, open: open)))
                }
                let sensitivityPath = try sensitivityTrace ?? BundledTraces.defaultPath()
                FileHandle.standardError.write(Data("sensitivity on \(sensitivityPath)\n".utf8))
                let sensitivity = try Validation.sensitivity(path: sensitivityPath, configuration: configuration,
                                                             parameters: parameters, open: open)
                let md = Validation.markdown(runs: runs, sensitivity: sensitivity,
                                             sensitivityTrace: (sensitivityPath as NSString).lastPathComponent,
                                             profile: session.profile,
                                             command: "swift run -c release pvtop validate",
                                             calibration: try Calibration.comparisons(parameters: parameters))
                try OutputFile.write(md, to: output)
            }
        }
    }
}
