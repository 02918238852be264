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

        @Flag(help: "Treat every input warning (malformed line, clock going backwards, …) as an error.")
        var strict = false

        @Option(name: .customLong("max-gap"), help: ArgumentHelp(
            "Report a forward jump of the trace clock longer than this.", valueName: "duration"))
        var maxGap: String = "10s"

        func validate() throws {
            _ = try parseDuration(maxGap, option: "--max-gap", within: TraceInputOptions.maxGapRange)
        }

        func run() throws {
            try reportingUserErrors {
                let gap = try parseDuration(maxGap, option: "--max-gap", within: TraceInputOptions.maxGapRange)
                let reader = try openTrace(path: trace, strict: strict, maxGapNanoseconds: gap)
                let inspection = try TraceInspection(source: reader, name: trace == "-" ? "<stdin>" : trace)
                let out = try OutputFile(path: "-")
                try out.write(inspection.report())
                try out.commit()
                if let line = inspection.diagnostics.summaryLine { printError("pvtop: " + line) }
            }
        }
    }
}
