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
                TRACE is tracefs `trace` / `trace_pipe` text or `trace-cmd report` output, plain or \
                compressed with gzip or xz (detected by content), or `-` for standard input.
                Exit status 2 if the input is not a usable trace.
                """)

        @Argument(help: "Trace file (plain, .gz or .xz), or - for stdin.")
        var trace: String

        @Flag(help: "Treat a malformed line as an error instead of a warning.")
        var strict = false

        func run() throws {
            do {
                let reader = try FtraceTextReader(path: trace, strict: strict)
                let inspection = try TraceInspection(source: reader, name: reader.name)
                print(inspection.report(), terminator: "")
            } catch let error as TraceError {
                // write(2) rather than stderr: the C global is not concurrency-safe in Swift 6.
                let message = Array("pvtop: \(error)\n".utf8)
                _ = message.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
                throw ExitCode(2)
            }
        }
    }
}
