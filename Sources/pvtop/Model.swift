import ArgumentParser
import Foundation
import PVKernel

extension Pvtop {
    /// Shows the model itself: which action each backend takes for each pv op (and where that
    /// fact comes from), and the cost profiles with the source or assumption of every number.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the pv-op coverage of the six backends, or a cost profile with its sources.",
            discussion: """
            pvtop model --ops                 every pv op x six backends: class and transition
            pvtop model --ops --markdown      write the full table (action + source) to docs/model-coverage.md
            pvtop model --costs vtx-2006      every cost in a profile, with its source or assumption
            """)

        @Flag(help: "Print the op -> action coverage table.")
        var ops = false

        @Flag(help: "With --ops: write the Markdown document (action and source per cell) instead.")
        var markdown = false

        @Option(help: "Where --markdown writes ('-' = stdout).")
        var output = "docs/model-coverage.md"

        @Option(help: "Print a cost profile (bundled name or .json path) with sources and assumptions.")
        var costs: String?

        func validate() throws {
            if !ops && costs == nil { throw ValidationError("say what to show: --ops or --costs PROFILE") }
            if markdown && !ops { throw ValidationError("--markdown goes with --ops") }
        }

        func run() throws {
            if ops {
                if markdown {
                    let doc = ModelCoverage.markdown()
                    if output == "-" {
                        FileHandle.standardOutput.write(Data(doc.utf8))
                    } else {
                        let url = URL(fileURLWithPath: output)
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                                withIntermediateDirectories: true)
                        try Data(doc.utf8).write(to: url)
                        print("wrote \(output)")
                    }
                } else {
                    print(ModelCoverage.text(), terminator: "")
                }
            }
            if let name = costs {
                let profile = try CostProfile.load(name)
                print("\(profile.name): \(profile.description)")
                print("clock \(profile.clockGHz) GHz, EPT \(profile.ept ? "yes" : "no")")
                func why(_ source: String?, _ assumption: String?) -> String {
                    source.map { "source: \($0)" } ?? "ASSUMPTION: \(assumption ?? "")"
                }
                print("cycles:")
                for (key, p) in profile.costs.sorted(by: { $0.key < $1.key }) {
                    print("\(key.padding(toLength: 32, withPad: " ", startingAt: 0)) \(String(format: "%12.6g", p.value))  \(why(p.source, p.assumption))")
                }
                print("flags:")
                for (key, f) in profile.flags.sorted(by: { $0.key < $1.key }) {
                    print("\(key.padding(toLength: 32, withPad: " ", startingAt: 0)) \((f.on ? "on" : "off").padding(toLength: 12, withPad: " ", startingAt: 0))  \(why(f.source, f.assumption))")
                }
                print("quantities:")
                for (key, q) in profile.quantities.sorted(by: { $0.key < $1.key }) {
                    print("\(key.padding(toLength: 32, withPad: " ", startingAt: 0)) \(String(format: "%12.6g", q.value))  \(why(q.source, q.assumption))")
                }
            }
        }
    }
}
