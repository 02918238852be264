import Foundation
import Testing

/// The binary on the tracing ecosystem's own formats (fixtures made by
/// Tests/PVTraceTests/Fixtures/make-trace-dat.sh and make-perf-script.sh).
@Suite(.serialized) struct TraceFormatsEndToEndTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PVTraceTests/Fixtures").standardized.path

    func run(_ args: [String]) -> Spawn.Result {
        Spawn.run([Pvtop.binary] + args, environment: ["SWIFT_BACKTRACE": "interactive=no"])
    }

    /// The same recording replayed from trace.dat (binary, through libtracecmd) and from
    /// `trace-cmd report -l -t` of it (text with flags and ns) gives byte-identical CSV.
    @Test func traceDatReplaysExactlyLikeTraceCmdReportOfTheSameFile() {
        let args = ["--headless", "--interval", "1ms", "--csv", "-"]
        let binary = run(["replay", "\(Self.fixtures)/instance.dat"] + args)
        let text = run(["replay", "\(Self.fixtures)/instance-report-lt.txt.xz"] + args)
        #expect(binary.status == 0 && text.status == 0, "\(binary.output.suffix(300)) \(text.output.suffix(300))")
        let rows = binary.output.components(separatedBy: "\r\n").filter { $0.contains(",native,") }
        #expect(rows.count > 30)  // 40 ms of trace in 1 ms intervals
        #expect(binary.output == text.output)
    }

    @Test func inspectNamesTheFormatAndTheToolThatWroteIt() {
        let dat = run(["inspect", "\(Self.fixtures)/instance.dat"])
        #expect(dat.status == 0)
        #expect(dat.output.contains("format     trace.dat   (from trace-cmd record"))
        #expect(dat.output.contains("clock      local"))
        #expect(dat.output.contains("lost events 13716:  cpu0 3006  cpu1 10710"))
        let perf = run(["inspect", "\(Self.fixtures)/perf-script.txt.xz"])
        #expect(perf.status == 0 && perf.output.contains("format     perf script text   (from perf record"))
        let report = run(["inspect", "\(Self.fixtures)/instance-report.txt"])
        #expect(report.status == 0 && report.output.contains("format     trace-cmd report text"))
    }

    @Test func perfDataIsOneLineNamingPerfScriptAndExitTwo() throws {
        let path = NSTemporaryDirectory() + "pvtop-e2e-\(getpid()).perf.data"
        FileManager.default.createFile(atPath: path, contents: Data("PERFILE2".utf8 + [UInt8](repeating: 0, count: 100)))
        defer { unlink(path) }
        let r = run(["replay", path, "--headless"])
        #expect(r.status == 2)
        let lines = r.output.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(path) && lines[0].contains("perf script -i"))
    }
}
