import Foundation
import Glibc
import Testing

/// Dashboard input that used to freeze or wreck the screen (issue 10): flow-control keys,
/// Ctrl-\, and a FIFO as the trace.
@Suite(.serialized, .enabled(if: TmuxSession.available, "tmux is not installed: end-to-end dashboard tests skipped"))
struct DashboardInputEndToEndTests {
    func start(_ command: String) throws -> TmuxSession {
        let t = try TmuxSession(width: 120, height: 40, command: command)
        try #require(t.waitFor("dashboard up", timeout: 30) { $0.contains("F1Help") && $0.contains("1.00×") }.ok, "dashboard did not start")
        return t
    }

    @Test func ctrlSDoesNotFreezeTheScreenAndQStillQuits() throws {
        let t = try start(Pvtop.dashboardCommand())
        t.sendKeys("C-s")
        t.sendKeys("Space")   // with XON/XOFF on, neither this nor q would get through before Ctrl-Q
        #expect(t.waitFor("paused after Ctrl-S") { $0.contains("⏸") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
        #expect(t.display("#{alternate_on}") == "0")
    }

    @Test func sigquitExitsWith131AndRestoresTheTerminalWithoutACrashReport() throws {
        let t = try start(Pvtop.dashboardCommand())
        let pid = try #require(t.programPID())
        kill(pid, SIGQUIT)
        #expect(t.exitStatus() == 131)
        #expect(t.display("#{alternate_on}") == "0")
        let after = t.history()
        #expect(!after.contains("Crash") && !after.contains("Press space"), "\(after)")
    }

    @Test func quittingPrintsTheInputWarningsLineOnTheRestoredScreen() throws {
        let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../RobustnessCorpus/clock-backwards.trace").standardized.path
        let t = try start("\(Pvtop.binary) replay \(trace) --speed 0")
        usleep(500_000)   // the whole 60-line trace plays (the warning comes when its line is read)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
        #expect(t.history().contains("pvtop: input warnings: 1 clock-backwards (first \(trace):29)"), "\(t.history())")
    }

    @Test func aFIFOInputPlaysAndSaysItCannotBeReadAgain() throws {
        let dir = NSTemporaryDirectory() + "pvtop-fifo-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/trace.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let t = try start("cat \(Pvtop.trace) > \(fifo) & \(Pvtop.binary) replay \(fifo) --speed 0.05")
        t.sendKeys("r")   // reset would re-open the FIFO: blocked in open() for ever before
        #expect(t.waitFor("says so") { $0.contains("cannot be read again") }.ok)
        t.sendKeys("Home")
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
    }
}
