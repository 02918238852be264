import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVRecord
import PVTrace

extension Pvtop {
    struct Live: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay this machine's kernel events as they happen (root, tracefs): dashboard or --headless.",
            discussion: """
                Uses its own ftrace instance (never the global buffer), read as raw ring-buffer pages \
                (--capture binary, the default) or trace_pipe text (--capture text); pvtop's own \
                threads are not traced. The instance is removed on exit, Ctrl-C, SIGTERM, SIGHUP and SIGQUIT.
                """)

        @OptionGroup var engines: EngineOptions
        @OptionGroup var output: HeadlessOutput

        @Flag(name: .long, help: "No dashboard: print a summary at the end (and write --csv / --json / --hgrm).")
        var headless = false

        @Option(name: .long, help: ArgumentHelp("Tracepoint set: light or full.", valueName: "set"))
        var events: TraceEventSet = .light

        @Option(name: .long, help: ArgumentHelp("Stop after this long (e.g. 10s); default: until Ctrl-C.", valueName: "duration"))
        var duration: String?

        @Option(name: .long, help: ArgumentHelp("How events leave the kernel: binary (raw ring-buffer pages, decoded with the kernel's event formats through libtracefs / libtraceevent) or text (the kernel formats trace_pipe text, pvtop parses it).", valueName: "binary|text"))
        var capture: LiveCapture = .binary

        @OptionGroup var dashboard: DashboardFlags

        func validate() throws {
            if let duration { _ = try parseDuration(duration, option: "--duration", within: Pvtop.Record.durationRange) }
        }

        func run() throws {
            try reportingUserErrors {
                let configuration = try engines.configuration()
                let parameters = try KernelParameters.load(engines.kernelModel)
                let deadline = try duration.map { ContinuousClock.now + .nanoseconds(Int64(try parseDuration($0, option: "--duration", within: Pvtop.Record.durationRange))) }
                StopSignals.install()
                let eventSet = events
                let capture = self.capture
                let replay = try PVReplay.Replay(name: "live", configuration: configuration, parameters: parameters,
                                                 restartable: false) {
                    let shouldStop: @Sendable () -> Bool = {
                        StopSignals.pending != nil || deadline.map { ContinuousClock.now >= $0 } == true
                    }
                    do {
                        if capture == .binary {
                            do {
                                return try RawLiveTraceSource(eventSet: eventSet, shouldStop: shouldStop)
                            } catch let error as RecordingError {
                                guard case .rawCaptureUnavailable = error else { throw error }
                                printError("pvtop live: \(error.message); reading trace_pipe text instead")
                            }
                        }
                        let stream = try LiveTraceStream(eventSet: eventSet, shouldStop: shouldStop)
                        return FtraceTextReader(stream: stream, name: "live")
                    } catch let error as RecordingError {
                        throw CLIError(error.message)
                    }
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

/// `pvtop live --capture`: raw ring-buffer pages or trace_pipe text.
enum LiveCapture: String, ExpressibleByArgument, CaseIterable {
    case binary, text
}
