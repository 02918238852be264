import ArgumentParser
import Foundation
import PVKernel
import PVTrace

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
            try reportingUserErrors {
                if ops {
                    if markdown {
                        try OutputFile.write(ModelCoverage.markdown(), to: output)
                        if output != "-" { print("wrote \(output)") }
                    } else {
                        print(Self.legend + ModelCoverage.text(), terminator: "")
                    }
                }
                if profiles { print(try CostProfile.bundledListing(), terminator: "") }
                if let costs { print(try CostProfile.load(costs).report, terminator: "") }
            }
        }
    }
}
