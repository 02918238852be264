import Foundation
import Testing

/// `pvtop bench --suite` on a small source, so the suite itself cannot rot: every stage runs
/// (the dashboard ones on a pseudo-terminal) and every figure row is printed with a verdict.
/// The figures themselves are not asserted: they are measured by running the suite, in release.
@Suite(.serialized) struct BenchSuiteEndToEndTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PVTraceTests/Fixtures/forkexec-quick.trace").standardized.path

    @Test func theSuiteRunsEveryStageAndPrintsEveryFigureAgainstItsTarget() throws {
        let dir = NSTemporaryDirectory() + "pvtop-bench-e2e-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = Spawn.run([Pvtop.binary, "bench", "--suite", Self.fixture, "--size-mb", "1", "--repeats", "1",
                           "--work-dir", dir], environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 0, "\(r.output)")
        for stage in ["wc -l", "reader", "native only", "five engines", "headless", "dashboard",
                      "first frame, bundled", "first frame, big", "frame 200×60 render"] {
            #expect(r.output.contains("\n" + stage + " "), "stage \(stage)")
        }
        for figure in ["five engines ÷ reader alone", "dashboard --speed 0 over headless", "first frame, generated trace",
                       "peak RSS of pvtop", "frame render 200×60"] {
            let line = r.output.split(separator: "\n").first { $0.hasPrefix(figure) }
            #expect(line.map { $0.hasSuffix("yes") || $0.hasSuffix("NO") } == true, "figure \(figure): \(line ?? "missing")")
        }
        // The generated trace is reused by the next run while its size matches.
        #expect(FileManager.default.fileExists(atPath: dir + "/bench-1MB.trace"))
    }
}

/// `pvtop bench --frames N`: the frame-render figure alone, quick enough to run while profiling.
@Suite struct BenchFramesEndToEndTests {
    @Test func framesRendersTheOverviewAndReportsMinMedianMax() throws {
        let r = Spawn.run([Pvtop.binary, "bench", BenchSuiteEndToEndTests.fixture, "--frames", "3"],
                          environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("frames       3 at 200×60"), "\(r.output)")
        let line = r.output.split(separator: "\n").first { $0.hasPrefix("render ms") }.map(String.init) ?? ""
        let numbers = line.split(separator: " ").compactMap { Double($0) }
        #expect(numbers.count == 3 && numbers[0] > 0 && numbers[0] <= numbers[1] && numbers[1] <= numbers[2], "\(line)")
    }

    @Test func aTraceThatCannotBeReadExitsTwoNamingIt() {
        let r = Spawn.run([Pvtop.binary, "bench", "/nonexistent/x.trace", "--frames", "3"],
                          environment: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(r.status == 2, "\(r.output)")
        #expect(r.output.contains("/nonexistent/x.trace"), "\(r.output)")
        let bad = Spawn.run([Pvtop.binary, "bench", "--frames", "3", "--reader-only"])
        #expect(bad.status == 64, "\(bad.output)")
    }
}
