import ArgumentParser
import Foundation
import PVKernel
import PVReplay
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

        @OptionGroup var engines: EngineOptions

        func run() throws {
            try reportingUserErrors {
                let path = try trace ?? BundledTraces.defaultPath()
                let configuration = try engines.configuration()
                let parameters = try KernelParameters.load(engines.kernelModel)
                var best = Double.infinity
                var events: UInt64 = 0
                for _ in 0..<max(repeats, 1) {
                    let clock = ContinuousClock()
                    let start = clock.now
                    if readerOnly {
                        let reader = try openTrace(path: path)
                        events = 0
                        while let r = try reader.next() { if case .event = r { events &+= 1 } }
                    } else {
                        let replay = try PVReplay.Replay(name: path, configuration: configuration, parameters: parameters) {
                            try openTrace(path: path)
                        }
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
