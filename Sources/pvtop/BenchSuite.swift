import Foundation
import PVDashboard
import PVKernel
import PVReplay
import PVTrace

/// `pvtop bench --suite`: every performance figure of the project as a ratio against a
/// baseline measured in the same run, on a ~1 GB trace the suite makes itself from a bundled
/// one. Each stage runs as its own process (so its wall time and peak RSS are its own),
/// `repeats` times; the table shows min / median / max and the ratio of medians. Ratios, not
/// absolute times, are what to compare across machines: this one is shared and noisy.
struct BenchSuite {
    var executable: String
    var workDirectory: String
    var sizeMegabytes: Int
    var repeats: Int
    var source: String

    struct Sample { var seconds: Double; var maxRSSKiB: Int }

    struct Stage {
        var name: String
        var samples: [Sample] = []
        var seconds: [Double] { samples.map(\.seconds).sorted() }
        var median: Double { let s = seconds; return s.isEmpty ? .nan : s[s.count / 2] }
        var maxRSSMiB: Double { Double(samples.map(\.maxRSSKiB).max() ?? 0) / 1024 }
    }

    func run() throws {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let big = (workDirectory as NSString).appendingPathComponent("bench-\(sizeMegabytes)MB.trace")
        let target = UInt64(sizeMegabytes) << 20
        let made = try makeTrace(big, targetBytes: target)
        print("trace        \(big)")
        print("             \(made.copies) re-timed copies of \((source as NSString).lastPathComponent): \(made.eventLines) event lines, \(String(format: "%.2f", Double(made.bytes) / 1e9)) GB")
        print("repeats      \(repeats) per stage (each stage its own process)")
        print("")

        var own = rusage()
        getrusage(RUSAGE_SELF.rawValue, &own)
        let floorMiB = Double(own.ru_maxrss) / 1024
        let bundled = try BundledTraces.defaultPath()
        var stages: [String: Stage] = [:]
        func measure(_ name: String, _ argv: [String], terminal: Bool = false) throws {
            var stage = Stage(name: name)
            for _ in 0..<repeats {
                stage.samples.append(try ChildMeasurement.run(argv, inTerminal: terminal))
            }
            stages[name] = stage
            FileHandle.standardError.write(Data("  measured \(name)\n".utf8))
        }
        let mawk = ["/usr/bin/mawk", "/usr/bin/awk"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try measure("wc -l", ["/usr/bin/wc", "-l", big])
        if let mawk { try measure("mawk", [mawk, "{c[$5]++}", big]) }
        try measure("reader", [executable, "bench", big, "--reader-only", "--repeats", "1"])
        try measure("native only", [executable, "bench", big, "--repeats", "1", "--backends", "native"])
        // Native and the four original pv engines, so the figure stays comparable now that the
        // default also runs vbox.
        let five = ["--backends", "xen-pv,kvm,vmi,lguest"]
        try measure("five engines, 1 thread", [executable, "bench", big, "--repeats", "1", "--threads", "1"] + five)
        try measure("five engines", [executable, "bench", big, "--repeats", "1"] + five)
        try measure("headless", [executable, "replay", big, "--headless"])
        try measure("dashboard", [executable, "replay", big, "--speed", "0", "--exit-when", "end"], terminal: true)
        try measure("first frame, bundled", [executable, "replay", bundled, "--exit-when", "first-frame"], terminal: true)
        try measure("first frame, big", [executable, "replay", big, "--exit-when", "first-frame"], terminal: true)
        let frames = (try? Self.renderFrames(trace: bundled, width: 200, height: 60, count: 200))
            ?? (min: .nan, median: .nan, max: .nan, count: 0)

        let lines = Double(made.eventLines)
        print(pad("stage", 22) + pad("min s", 9) + pad("median s", 10) + pad("max s", 9) + pad("M lines/s", 11) + "peak RSS")
        for name in ["wc -l", "mawk", "reader", "native only", "five engines, 1 thread", "five engines", "headless", "dashboard",
                     "first frame, bundled", "first frame, big"] {
            guard let s = stages[name] else { continue }
            let perSecond = name.hasPrefix("first frame") ? "" : String(format: "%.2f", lines / s.median / 1e6)
            print(pad(name, 22) + pad(String(format: "%.3f", s.seconds.first ?? .nan), 9)
                  + pad(String(format: "%.3f", s.median), 10) + pad(String(format: "%.3f", s.seconds.last ?? .nan), 9)
                  + pad(perSecond, 11) + String(format: "%.0f MiB", s.maxRSSMiB))
        }
        print(pad("frame 200×60 render", 22) + pad(String(format: "%.3f", frames.min * 1e3), 9)
              + pad(String(format: "%.3f", frames.median * 1e3), 10) + pad(String(format: "%.3f", frames.max * 1e3), 9)
              + "(ms, in-process, \(frames.count) frames into the cell buffer)")
        print("")

        print(pad("figure", 46) + pad("measured", 14) + pad("target", 10) + "holds")
        func row(_ figure: String, _ value: Double?, _ format: String, _ target: String, _ holds: (Double) -> Bool) {
            guard let value, value.isFinite else { print(pad(figure, 46) + "n/a"); return }
            print(pad(figure, 46) + pad(String(format: format, value), 14) + pad(target, 10) + (holds(value) ? "yes" : "NO"))
        }
        let m = { (name: String) in stages[name]?.median }
        row("reader speed ÷ mawk '{c[$5]++}' speed", m("mawk").flatMap { a in m("reader").map { a / $0 } }, "%.2f×", "≥ 2×") { $0 >= 2 }
        row("reader speed ÷ wc -l speed", m("wc -l").flatMap { a in m("reader").map { a / $0 } }, "%.3f×", "—") { _ in true }
        row("five engines ÷ reader alone (throughput)", m("reader").flatMap { a in m("five engines").map { 100 * a / $0 } }, "%.0f %%", "≥ 50 %") { $0 >= 50 }
        row("five engines, all cores ÷ one thread (speed-up)", m("five engines, 1 thread").flatMap { a in m("five engines").map { a / $0 } }, "%.2f×", "—") { _ in true }
        row("one engine ÷ reader alone (throughput)", m("reader").flatMap { a in m("native only").map { 100 * a / $0 } }, "%.0f %%", "—") { _ in true }
        row("dashboard --speed 0 over headless, to the end", m("headless").flatMap { a in m("dashboard").map { 100 * ($0 / a - 1) } }, "%+.1f %%", "≤ +5 %") { $0 <= 5 }
        row("first frame, bundled trace", m("first frame, bundled").map { $0 * 1e3 }, "%.0f ms", "≤ 200 ms") { $0 <= 200 }
        row("first frame, generated trace", m("first frame, big").map { $0 * 1e3 }, "%.0f ms", "≤ 200 ms") { $0 <= 200 }
        let rss = ["reader", "native only", "five engines", "headless", "dashboard"].compactMap { stages[$0]?.maxRSSMiB }.max()
        row("peak RSS of pvtop on the generated trace", rss, "%.0f MiB", "≤ 64 MiB") { $0 <= 64 }
        row("frame render 200×60, median", frames.median * 1e3, "%.2f ms", "≤ 2 ms") { $0 <= 2 }
        print("")
        print(String(format: "peak RSS of a stage cannot read below the suite's own %.0f MiB (Linux carries a vfork parent's high-water mark into exec).", floorMiB))
        print("first frame includes process start, reading the trace header and the first snapshot;")
        print("dashboard and first-frame stages run the real ncurses dashboard on a pseudo-terminal (160×48).")
    }

    /// Makes (or reuses, when its size says it is the same deterministic output) the big trace.
    private func makeTrace(_ path: String, targetBytes: UInt64) throws -> BenchmarkTrace.Summary {
        let marker = path + ".summary"
        if let text = try? String(contentsOfFile: marker, encoding: .utf8) {
            let parts = text.split(separator: " ").compactMap { UInt64($0) }
            if parts.count == 4, parts[0] == targetBytes,
               let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64, size == parts[3] {
                return BenchmarkTrace.Summary(copies: Int(parts[1]), eventLines: parts[2], bytes: parts[3])
            }
        }
        FileHandle.standardError.write(Data("  writing \(path) (once; reused by later runs)\n".utf8))
        _ = try ChildMeasurement.run([executable, "bench", source, "--write-trace", path, "--size-mb", String(sizeMegabytes)],
                                     inTerminal: false, stdout: marker)
        guard let text = try? String(contentsOfFile: marker, encoding: .utf8) else { throw CLIError("bench: \(marker): not written") }
        let parts = text.split(whereSeparator: \.isWhitespace).compactMap { UInt64($0) }
        guard parts.count == 4 else { throw CLIError("bench: \(marker): unexpected content") }
        return BenchmarkTrace.Summary(copies: Int(parts[1]), eventLines: parts[2], bytes: parts[3])
    }

    /// Replays `trace` to the end, then renders the overview `count` times into a
    /// `width`×`height` cell buffer: the cost of one frame without the terminal.
    static func renderFrames(trace: String, width: Int, height: Int, count: Int) throws -> (min: Double, median: Double, max: Double, count: Int) {
        let parameters = try KernelParameters.load(nil)
        let replay = try PVReplay.Replay(name: trace, configuration: ReplayConfiguration(),
                                         parameters: parameters, open: { try FtraceTextReader(path: trace) })
        try replay.advance(toTraceTime: UInt64.max)
        let snapshot = replay.snapshot()
        var state = DashboardState(configuration: replay.configuration, profiles: CostProfile.bundledNames,
                                   theme: .dark, speed: nil)
        _ = state.observe(snapshot)
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<count {
            let start = clock.now
            var buffer = CellBuffer(width: width, height: height)
            DashboardView.render(snapshot: snapshot, previous: nil, state: state, into: &buffer)
            let d = clock.now - start
            times.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        times.sort()
        return (times.first ?? .nan, times.isEmpty ? .nan : times[times.count / 2], times.last ?? .nan, count)
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
}
