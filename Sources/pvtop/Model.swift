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
            pvtop model --profiles            the bundled cost profiles (for --profile)
            """)

        @Flag(help: "Print the op -> action coverage table.")
        var ops = false

        @Flag(help: "With --ops: write the Markdown document (action and source per cell) instead.")
        var markdown = false

        @Option(help: "Where --markdown writes ('-' = stdout).")
        var output = "docs/model-coverage.md"

        @Option(help: "Print a cost profile (bundled name or .json path) with sources and assumptions.")
        var costs: String?

        @Flag(help: "List the bundled cost profiles with their clock and description.")
        var profiles = false

        /// What the class letters of `--ops` mean (OpRule.Kind), printed above the table.
        static var legend: String {
            let meaning: [OpRule.Kind: String] = [
                .instruction: "native instruction", .memory: "shared memory", .hypercall: "hypercall",
                .batched: "batched when lazy", .romCall: "VMI ROM call", .vmExit: "VM exit",
                .trap: "trap-and-emulate / bounce", .nop: "nothing", .neverSeen: "never made by that kernel",
            ]
            return "classes: " + OpRule.Kind.allCases.map { "\($0.rawValue) \(meaning[$0] ?? "")" }.joined(separator: ", ")
                + "; then the transition it makes (\"shadow\": without EPT)\n"
        }

        func validate() throws {
            if !ops && costs == nil && !profiles { throw ValidationError("say what to show: --ops, --costs PROFILE or --profiles") }
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
                    print(Self.legend + ModelCoverage.text(), terminator: "")
                }
            }
            if profiles {
                for name in CostProfile.bundledNames where name != "kernel-model" {
                    let p = try CostProfile.load(name)
                    print("\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(p.clockGHz) GHz  EPT \(p.ept ? "yes" : "no ")  \(p.description)")
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
