import ArgumentParser
import PVTrace
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Pvtop {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarize a trace: events by type and CPU, duration, rates, lost events, warnings.",
            discussion: """
                TRACE is tracefs `trace` / `trace_pipe` text, `trace-cmd report` output, a trace-cmd \
                trace.dat, or `perf script` text; plain or compressed with gzip or xz (all detected by \
                content), or `-` for standard input.
                Exit status 2 if the input is not a usable trace.
                """)

        @Argument(help: "Trace file (ftrace text, trace.dat, perf script; plain, .gz or .xz), or - for stdin.")
        var trace: String

        @OptionGroup var input: TraceInputOptions

        func run() throws {
            try reportingUserErrors {
                let reader = try openTrace(path: trace, strict: input.strict, maxGapNanoseconds: input.maxGap.nanoseconds)
                let inspection = try TraceInspection(source: reader, name: trace == "-" ? "<stdin>" : trace)
                try OutputFile.write(inspection.report(), to: "-")
                if let line = inspection.diagnostics.summaryLine { printError("pvtop: " + line) }
            }
        }
    }
}
