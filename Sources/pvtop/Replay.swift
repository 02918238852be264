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

        @Flag(name: .long, help: "Treat every input warning as an error (exit 2).")
        var strict = false

        @Option(name: .customLong("max-gap"), help: ArgumentHelp(
            "Report a forward jump of the trace clock longer than this (an assumption: a paused recording, a corrupt digit).",
            valueName: "duration"))
        var maxGap: String = "10s"

        @Option(name: .customLong("cpu"), help: ArgumentHelp("Only replay events of this CPU.", valueName: "n"))
        var filterCPU: Int?

        @Option(name: .customLong("process"), help: ArgumentHelp("Only replay events of this task name or pid.", valueName: "comm|pid"))
        var filterProcess: String?

        @OptionGroup var dashboard: DashboardFlags

        func validate() throws {
            _ = try parseDuration(maxGap, option: "--max-gap", within: TraceInputOptions.maxGapRange)
            if let filterCPU, !(0...8191).contains(filterCPU) { throw ValidationError("--cpu must be 0 to 8191") }
        }

        func run() throws { try reportingUserErrors { try runChecked() } }

        private func runChecked() throws {
            let path = try trace ?? BundledTraces.defaultPath()
            let filter = EventFilter(cpu: filterCPU, process: filterProcess)
            let configuration = try engines.configuration(filter: filter)
            let parameters = try KernelParameters.load(engines.kernelModel)
            let strict = self.strict
            let maxGap = try parseDuration(maxGap, option: "--max-gap", within: TraceInputOptions.maxGapRange)
            // A pipe or device cannot be read twice: no duration scan, no seek back, no reset
            // (re-opening a FIFO would block the dashboard in open()).
            let restartable = TraceInputOptions.isReopenable(path)
            let replay = try PVReplay.Replay(name: (path as NSString).lastPathComponent, configuration: configuration,
                                             parameters: parameters, restartable: restartable) {
                try openTrace(path: path, strict: strict, maxGapNanoseconds: maxGap)
            }
            if headless || output.isRequested {
                try output.run(replay, inputs: [path])
            } else {
                try runDashboardOrExplain(replay, path: path)
            }
        }
    }
}
