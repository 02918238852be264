import Foundation
import Testing

/// Root, a mounted tracefs and trace-cmd: what recording a trace.dat and reading it back need.
enum RecordDatEnvironment {
    static let ready = geteuid() == 0 && FileManager.default.fileExists(atPath: "/sys/kernel/tracing/instances")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/trace-cmd")
}

/// `pvtop record --format dat` really tracing, skipped where it cannot.
@Suite(.serialized, .enabled(if: RecordDatEnvironment.ready, "needs root, tracefs and trace-cmd"))
struct RecordDatEndToEndTests {
    func run(_ args: [String]) -> Spawn.Result {
        Spawn.run([Pvtop.binary] + args, environment: ["SWIFT_BACKTRACE": "interactive=no"])
    }

    /// A recording written as trace.dat opens in trace-cmd and in pvtop, and both readings of
    /// the same file replay to the same CSV; the provenance survives inside the file.
    @Test func aDatRecordingReplaysLikeTraceCmdReportOfItAndKeepsItsProvenance() throws {
        let dat = NSTemporaryDirectory() + "pvtop-e2e-rec-\(getpid()).dat"
        let text = NSTemporaryDirectory() + "pvtop-e2e-rec-\(getpid()).txt"
        defer { unlink(dat); unlink(text) }
        let rec = run(["record", "-o", dat, "--buffer-kb", "4096", "--",
                       "/bin/sh", "-c", "i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i+1)); done"])
        #expect(rec.status == 0, "\(rec.output)")

        let errors = NSTemporaryDirectory() + "pvtop-e2e-rec-\(getpid()).err"
        defer { unlink(errors) }
        let report = Spawn.run(["trace-cmd", "report", "-l", "-t", dat], stderrPath: errors)
        #expect(report.status == 0)
        #expect(((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "x").isEmpty)
        #expect(report.output.contains("sched_process_exec"))
        try report.output.write(toFile: text, atomically: true, encoding: .utf8)

        // The .dat says it was recorded in a VM; the report text has no provenance. Both are
        // told where they were recorded, so only the reading differs.
        let args = ["--headless", "--interval", "1ms", "--csv", "-", "--recorded-on", "native"]
        let fromDat = run(["replay", dat] + args)
        let fromText = run(["replay", text] + args)
        #expect(fromDat.status == 0 && fromText.status == 0, "\(fromDat.output.suffix(300)) \(fromText.output.suffix(300))")
        #expect(fromDat.output.components(separatedBy: "\r\n").filter { $0.contains(",native,") }.count > 5)
        #expect(fromDat.output == fromText.output)

        let inspect = run(["inspect", dat])
        #expect(inspect.output.contains("format     trace.dat"))
        #expect(inspect.output.contains("provenance command=/bin/sh -c"))
        #expect(inspect.output.contains("provenance trace-cmd-version=pvtop "))
        #expect(inspect.output.contains("provenance markers=WORKLOAD_START pvtop-"))
        // The markers name the recorder's instance (pvtop-PID), which must be gone.
        let tag = inspect.output.split(separator: "\n").first { $0.contains("provenance markers=") }?
            .split(separator: " ").first { $0.hasPrefix("pvtop-") }.map(String.init)
        #expect(tag != nil)
        if let tag { #expect(!FileManager.default.fileExists(atPath: "/sys/kernel/tracing/instances/" + tag)) }
    }

    @Test func datIsRefusedCompressedOrCroppedBeforeAnythingIsTraced() {
        let xz = run(["record", "--format", "dat", "-o", "/tmp/pvtop-never.dat.xz", "--", "/bin/true"])
        #expect(xz.status == 64 && xz.output.contains("uncompressed"))
        let crop = run(["record", "-o", "/tmp/pvtop-never.dat", "--crop", "--", "/bin/true"])
        #expect(crop.status == 64 && crop.output.contains("--format text"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pvtop-never.dat"))
    }
}
