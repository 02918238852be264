import ArgumentParser
import PVRecord
import PVTrace

extension Pvtop {
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic micro-workload trace (deterministic, in tracefs text format).",
            discussion: "Profiles: " + SyntheticProfile.allCases.map { "\($0.rawValue) (\($0.summary))" }
                .joined(separator: "; ")
                + ". Nanobenchmark probes (one pv-op sample per marker, for calibration): "
                + Nanobenchmark.allCases.map { "nanobench-\($0.rawValue)" }.joined(separator: ", ")
                + ". The same arguments always produce the same bytes.")

        @Argument(help: "The workload profile (see above).")
        var profile: String

        /// A million loop iterations already make gigabytes of text (exec: about 24 MB per thousand).
        static let maxIterations = 1_000_000

        func validate() throws {
            if let iterations, !(1...Self.maxIterations).contains(iterations) {
                throw ValidationError("--iterations must be 1 to \(Self.maxIterations)")
            }
            guard SyntheticProfile(rawValue: profile) != nil || Nanobenchmark.named(profile) != nil else {
                throw ValidationError("unknown profile \"\(profile)\"; profiles: "
                    + (SyntheticProfile.allCases.map(\.rawValue) + Nanobenchmark.allCases.map { "nanobench-\($0.rawValue)" })
                        .joined(separator: ", "))
            }
        }

        @Option(name: .shortAndLong, help: "Output file (.xz/.gz compress), or - for stdout.")
        var output: String = "-"

        @Option(help: "Iterations of the profile's loop (default 1000; idle: ticks per CPU, default 64).")
        var iterations: Int?

        @Option(help: "CPUs in the trace (#P:).")
        var cpus: Int = 2

        func run() throws {
            do {
                let writer = try TraceFileWriter(path: output)
                do {
                    if let bench = Nanobenchmark.named(profile) {
                        try writer.write(bench.trace(iterations: iterations ?? 1000))
                    } else {
                        let trace = try SyntheticTrace(profile: SyntheticProfile(rawValue: profile)!, iterations: iterations, cpus: cpus)
                        try trace.write { try writer.write($0) }
                    }
                    try writer.finish()
                } catch {
                    writer.abandon()
                    throw error
                }
            } catch let e as RecordingError {
                printError("pvtop synth: error: \(e.message)")
                throw ExitCode(2)
            }
        }
    }
}
