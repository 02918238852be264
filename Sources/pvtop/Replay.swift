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
                `trace`/`trace_pipe` or `trace-cmd report` write them, plain, .gz or .xz.
                Exit status: 0 done, 2 unusable input or options.
                """)

        @Argument(help: ArgumentHelp("Trace file (ftrace text, .gz/.xz); default: the bundled compile trace.", valueName: "trace"))
        var trace: String?

        @OptionGroup var engines: EngineOptions

        @Flag(name: .long, help: "No dashboard: print a summary (and write --csv / --json / --hgrm).")
        var headless = false

        @Option(name: .long, help: ArgumentHelp("Write one CSV row per interval and engine to FILE (- = stdout).", valueName: "file|-"))
        var csv: String?

        @Option(name: .long, help: ArgumentHelp("CSV interval in trace time (100ms, 1s, …).", valueName: "duration"))
        var interval: String = "100ms"

        @Option(name: .long, help: ArgumentHelp("Write the summary as JSON to FILE.", valueName: "file"))
        var json: String?

        @Option(name: .long, help: ArgumentHelp("Write HdrHistogram .hgrm percentile files (engine × event class) into DIR.", valueName: "dir"))
        var hgrm: String?

        @Flag(name: .long, help: "Treat every input warning as an error (exit 2).")
        var strict = false

        @Option(name: .customLong("cpu"), help: ArgumentHelp("Only replay events of this CPU.", valueName: "n"))
        var filterCPU: Int?

        @Option(name: .customLong("process"), help: ArgumentHelp("Only replay events of this task name or pid.", valueName: "comm|pid"))
        var filterProcess: String?

        @Option(name: .long, help: ArgumentHelp("Dashboard colours: dark, light, high-contrast, mono.", valueName: "theme"))
        var theme: String = "dark"

        @Flag(name: .long, help: "Talk mode: loop over the bundled traces and walk through the views (any key takes over).")
        var demo = false

        @Option(name: .long, help: ArgumentHelp("Initial replay speed for the dashboard (trace seconds per wall second; 0 = as fast as possible).", valueName: "x"))
        var speed: Double = 1

        func run() throws { try reportingUserErrors { try runChecked() } }

        private func runChecked() throws {
            let path = try trace ?? BundledTraces.defaultPath()
            let filter = EventFilter(cpu: filterCPU, process: filterProcess)
            let configuration = try engines.configuration(filter: filter)
            let parameters = try KernelParameters.load(engines.kernelModel)
            let strict = self.strict
            let replay = try PVReplay.Replay(name: (path as NSString).lastPathComponent, configuration: configuration,
                                             parameters: parameters) {
                try FtraceTextReader(path: path, strict: strict)
            }
            if headless || csv != nil || json != nil || hgrm != nil {
                try runHeadless(replay)
            } else {
                try runDashboardOrExplain(replay)
            }
        }

        private func runHeadless(_ replay: PVReplay.Replay) throws {
            installStopSignalHandlers()
            let intervalNs = try parseDuration(interval)
            let csvFile = try csv.map { try OutputFile(path: $0) }
            let final = try Headless.run(replay, intervalNanoseconds: intervalNs,
                                         emit: csvFile.map { file in { try file.write($0) } },
                                         shouldStop: { stopRequested })
            try csvFile?.close()
            if let json {
                let file = try OutputFile(path: json)
                try file.write(Summary.json(final))
                try file.close()
            }
            if let hgrm {
                try FileManager.default.createDirectory(atPath: hgrm, withIntermediateDirectories: true)
                for (name, text) in Summary.hgrmFiles(final) {
                    let file = try OutputFile(path: hgrm + "/" + name)
                    try file.write(text)
                    try file.close()
                }
            }
            // The summary goes to stdout unless the CSV does.
            if csv != "-" {
                let out = try OutputFile(path: "-")
                try out.write(Summary.text(final))
                try out.flush()
            }
            let sig = pendingStopSignal.load(ordering: .relaxed)
            if sig != 0 { throw ExitCode(128 + sig) }
        }
    }
}
