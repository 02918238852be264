import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVTrace

extension Pvtop {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay this machine's kernel events as they happen (root, tracefs): dashboard or --headless.",
            discussion: """
                Uses its own ftrace instance (never the global buffer), read through trace_pipe; pvtop's own \
                threads are not traced. The instance is removed on exit, Ctrl-C, SIGTERM and SIGHUP.
                """)

        @OptionGroup var engines: EngineOptions
        @OptionGroup var output: HeadlessOutput

        @Flag(name: .long, help: "No dashboard: print a summary at the end (and write --csv / --json / --hgrm).")
        var headless = false

        @Option(name: .long, help: ArgumentHelp("Tracepoint set: light or full.", valueName: "set"))
        var events: TraceEventSet = .light

        @Option(name: .long, help: ArgumentHelp("Stop after this long (e.g. 10s); default: until Ctrl-C.", valueName: "duration"))
        var duration: String?

        @OptionGroup var dashboard: DashboardFlags

        func validate() throws {
            if let duration { _ = try parseDuration(duration, option: "--duration", within: Pvtop.Record.durationRange) }
        }

        func run() throws {
            try reportingUserErrors {
                let configuration = try engines.configuration()
                let parameters = try KernelParameters.load(engines.kernelModel)
                let deadline = try duration.map { ContinuousClock.now + .nanoseconds(Int64(try parseDuration($0, option: "--duration", within: Pvtop.Record.durationRange))) }
                RecordingSignals.install()
                let eventSet = events
                let replay = try PVReplay.Replay(name: "live", configuration: configuration, parameters: parameters,
                                                 restartable: false) {
                    let stream: LiveTraceStream
                    do {
                        stream = try LiveTraceStream(eventSet: eventSet, shouldStop: {
                            RecordingSignals.pending != nil || deadline.map { ContinuousClock.now >= $0 } == true
                        })
                    } catch let error as RecordingError {
                        throw CLIError(error.description)
                    }
                    return FtraceTextReader(stream: stream, name: "live")
                }
                if headless || output.isRequested {
                    try output.run(replay)
                } else {
                    let status = try runDashboard(replay: replay, options: dashboard.options())
                    if status != 0 { throw ExitCode(status) }
                }
            }
        }
    }
}

