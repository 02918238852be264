import ArgumentParser
import Foundation
import PVKernel
import PVReplay
import PVRecord
import PVTrace

extension Pvtop {
    /// Throughput and memory of the whole pipeline (reader → kernel → engines), for the
    /// benchmark figures in the README. Run it in release: `swift run -c release pvtop bench`.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure replay throughput (events/s) and peak memory on a trace.")

        @Argument(help: ArgumentHelp("Trace (default: the bundled compile trace).", valueName: "trace"))
        var trace: String?

        @Option(name: .long, help: "Replays to time (the best is reported).")
        var repeats: Int = 3

        @Flag(name: .long, help: "Time the reader alone (no engines).")
        var readerOnly = false

        @Flag(name: .long, help: ArgumentHelp(
            "The whole suite: make a ~1 GB trace from a bundled one and measure every figure against its baseline (wc -l, mawk, reader alone, one engine, five engines, headless, dashboard, first frame, frame render) in the same run."))
        var suite = false

        @Option(name: .long, help: ArgumentHelp(
            "Time rendering N dashboard frames (200x60, the overview, after replaying the trace to its end) into the off-screen cell buffer, without a terminal: the suite's frame-render figure alone.",
            valueName: "n"))
        var frames: Int?

        @Option(name: .customLong("size-mb"), help: ArgumentHelp("--suite: size of the generated trace in MiB.", valueName: "n"))
        var sizeMegabytes: Int = 1024

        @Option(name: .customLong("work-dir"), help: ArgumentHelp("--suite: where the generated trace is kept (reused while its size matches); default: $TMPDIR/pvtop-bench.", valueName: "dir"))
        var workDirectory: String?

        @Option(name: .customLong("write-trace"), help: ArgumentHelp("--suite's own step: write the generated trace to FILE.", visibility: .hidden))
        var writeTrace: String?

        func validate() throws {
            guard repeats >= 1, repeats <= 1000 else { throw ValidationError("--repeats must be between 1 and 1000") }
            if let frames {
                guard frames >= 1, frames <= 1_000_000 else { throw ValidationError("--frames must be between 1 and 1000000") }
                guard !suite, !readerOnly, live == nil else { throw ValidationError("--frames cannot be combined with --suite, --reader-only or --live") }
            }
            guard sizeMegabytes >= 1, sizeMegabytes <= 65_536 else { throw ValidationError("--size-mb must be between 1 and 65536") }
        }

        @OptionGroup var engines: EngineOptions

        @Option(name: .long, help: ArgumentHelp("Measure `pvtop live` instead (root): CPU seconds per million events captured as raw ring buffers or as trace_pipe text, while COMMAND (after --) runs.", valueName: "binary|text"))
        var live: LiveCapture?

        @Option(name: .long, help: ArgumentHelp("How long --live captures (e.g. 5s).", valueName: "duration"),
                transform: DurationArgument.parser("--duration", within: DurationArgument.Range.capture))
        var duration = DurationArgument(nanoseconds: 5_000_000_000)

        @Argument(parsing: .postTerminator, help: "With --live: the workload to run while capturing, after --.")
        var command: [String] = []

        func run() throws {
            if let live {
                try reportingUserErrors { try runLive(live) }
                return
            }
            try reportingUserErrors {
                if let writeTrace {
                    // Its own process, so the suite's children do not inherit this memory as
                    // their peak RSS (Linux carries a vfork parent's high-water mark into exec).
                    let source = try trace ?? BundledTraces.path(named: "pipe-same-cpu.trace.xz")
                    do {
                        let s = try BenchmarkTrace.write(from: source, to: writeTrace, targetBytes: UInt64(sizeMegabytes) << 20)
                        print("\(UInt64(sizeMegabytes) << 20) \(s.copies) \(s.eventLines) \(s.bytes)")
                    } catch let failure as BenchmarkTrace.Failure {
                        throw CLIError(failure.description)
                    }
                    return
                }
                if suite {
                    let source = try trace ?? BundledTraces.path(named: "pipe-same-cpu.trace.xz")
                    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
                    try BenchSuite(executable: exe, workDirectory: workDirectory ?? NSTemporaryDirectory() + "pvtop-bench", sizeMegabytes: sizeMegabytes,
                                   repeats: repeats, source: source).run()
                    return
                }
                let path = try trace ?? BundledTraces.defaultPath()
                if let frames {
                    let f = try BenchSuite.renderFrames(trace: path, width: 200, height: 60, count: frames)
                    print("trace        \(path)")
                    print("frames       \(f.count) at 200×60 into the cell buffer (in-process, no terminal)")
                    print("render ms    min \(String(format: "%.3f", f.min * 1e3))  median \(String(format: "%.3f", f.median * 1e3))  max \(String(format: "%.3f", f.max * 1e3))")
                    return
                }
                let session = try engines.session()
                let configuration = session.configuration
                var best = Double.infinity
                var events: UInt64 = 0
                for _ in 0..<max(repeats, 1) {
                    let clock = ContinuousClock()
                    let start = clock.now
                    if readerOnly {
                        let reader = try session.open(trace: path)
                        events = 0
                        while let r = try reader.next() { if case .event = r { events &+= 1 } }
                    } else {
                        let replay = try session.replay(trace: path)
                        try replay.advance(toTraceTime: .max, eventBudget: .max)
                        events = replay.snapshot().eventsReplayed
                    }
                    let d = clock.now - start
                    best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
                }
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                let engineCount = readerOnly ? 0 : configuration.backends.count + 1
                print("trace        \(path)")
                print("events       \(events)")
                print("engines      \(engineCount)\(readerOnly ? " (reader only)" : " (native + \(configuration.backends.map(\.rawValue).joined(separator: ", ")))")")
                print("best of \(max(repeats, 1))    \(String(format: "%.3f", best)) s")
                print("throughput   \(String(format: "%.2f", Double(events) / best / 1e6)) M events/s")
                print("peak RSS     \(usage.ru_maxrss / 1024) MiB")
            }
        }
    }
}

extension Pvtop.Bench {
    /// CPU time of pvtop itself (user + sys: the kernel formats trace_pipe text in the reader's
    /// read(2), so text capture's formatting cost lands here too) per million events, with the
    /// full event set, while `command` runs. The workload starts before the instance exists, so
    /// `event-fork` does not exclude it with pvtop's own threads.
    func runLive(_ capture: LiveCapture) throws {
        let session = try engines.session()
        let configuration = session.configuration
        StopSignals.install()
        let child = try command.isEmpty ? nil : ChildProcess.spawn(command, newProcessGroup: true)
        // The workload and everything it forked end with the measurement.
        func endWorkload() {
            guard let child else { return }
            kill(-child.pid, SIGKILL)
            _ = child.wait()
        }
        defer { endWorkload() }
        let deadline = ContinuousClock.now + duration.duration
        let stop: @Sendable () -> Bool = { StopSignals.pending != nil || ContinuousClock.now >= deadline }
        let source: TraceSource = capture == .binary
            ? try RawLiveTraceSource(eventSet: .full, shouldStop: stop)
            : FtraceTextReader(stream: try LiveTraceStream(eventSet: .full, shouldStop: stop), name: "live")
        func cpuSeconds() -> (user: Double, sys: Double) {
            var u = rusage()
            getrusage(RUSAGE_SELF.rawValue, &u)
            return (Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6,
                    Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6)
        }
        let before = cpuSeconds()
        var events: UInt64 = 0
        if readerOnly {
            while let r = try source.next() { if case .event = r { events &+= 1 } }
        } else {
            let replay = try session.replay(name: "live", restartable: false) { source }
            try replay.advance(toTraceTime: .max, eventBudget: .max)
            events = replay.snapshot().eventsReplayed
        }
        let after = cpuSeconds()
        let user = after.user - before.user, sys = after.sys - before.sys
        print("live capture \(capture.rawValue)\(readerOnly ? " (reader only)" : " (native + \(configuration.backends.map(\.rawValue).joined(separator: ", ")))")")
        print("events       \(events) (lost \(source.diagnostics.lostEvents))")
        print("cpu          \(String(format: "%.2f", user)) s user + \(String(format: "%.2f", sys)) s sys")
        if events > 0 {
            print("per M events \(String(format: "%.2f", (user + sys) / Double(events) * 1e6)) CPU s")
        }
    }
}
