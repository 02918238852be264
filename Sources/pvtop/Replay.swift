import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

extension Pvtop {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay a trace through native and paravirt engines: the dashboard, or --headless numbers.",
            discussion: """
                With no TRACE, replays the bundled traces/compile.trace.xz. Traces are ftrace text as tracefs \
                `trace`/`trace_pipe` or `trace-cmd report` write them, trace-cmd's trace.dat, or `perf script` \
                text of tracepoint events; plain, .gz or .xz (detected by content).
                Exit status: 0 done, 2 unusable input or options.
                """)

        @Argument(help: ArgumentHelp("Trace file (ftrace text, trace.dat, perf script; .gz/.xz); default: the bundled compile trace.", valueName: "trace"))
        var trace: String?

        @OptionGroup var engines: EngineOptions

        @OptionGroup var output: HeadlessOutput

        @Flag(name: .long, help: "No dashboard: print a summary (and write --csv / --json / --hgrm).")
        var headless = false

        @OptionGroup var input: TraceInputOptions

        @Option(name: .customLong("cpu"), help: ArgumentHelp("Only replay events of this CPU.", valueName: "n"))
        var filterCPU: Int?

        @Option(name: .customLong("process"), help: ArgumentHelp("Only replay events of this task name or pid.", valueName: "comm|pid"))
        var filterProcess: String?

        @OptionGroup var dashboard: DashboardFlags

        func validate() throws {
            if let filterCPU, !(0...8191).contains(filterCPU) { throw ValidationError("--cpu must be 0 to 8191") }
        }

        func run() throws {
            try reportingUserErrors {
                let path = try trace ?? BundledTraces.defaultPath()
                let session = try engines.session(filter: EventFilter(cpu: filterCPU, process: filterProcess),
                                                  strict: input.strict, maxGap: input.maxGap)
                let replay = try session.replay(trace: path)
                if headless || output.isRequested {
                    try output.run(replay, inputs: [path])
                } else {
                    try runDashboardOrExplain(replay, session: session, path: path)
                }
            }
        }
    }
}
