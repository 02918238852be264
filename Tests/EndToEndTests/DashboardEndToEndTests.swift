import Foundation
import Glibc
import Testing

/// Drives the real binary in a private tmux server. Skipped (with the reason printed) when
/// tmux is not installed.
@Suite(.serialized, .enabled(if: TmuxSession.available, "tmux is not installed: end-to-end dashboard tests skipped"))
struct DashboardEndToEndTests {
    func start(_ width: Int = 120, _ height: Int = 40, _ extra: String = "") throws -> TmuxSession {
        let t = try TmuxSession(width: width, height: height, command: Pvtop.dashboardCommand(extra))
        let up = t.waitFor("dashboard up") { $0.contains("F1Help") && $0.contains("1.00×") }
        try #require(up.ok, "dashboard did not start")
        return t
    }

    func header(_ t: TmuxSession) -> String { t.screen().split(separator: "\n").first.map(String.init) ?? "" }

    @Test func startsShowsNumbersInColourAndQuitsRestoringTheTerminal() throws {
        let t = try start()
        #expect(t.display("#{alternate_on}") == "1")
        let numbers = t.waitFor("slowdowns") { $0.range(of: #"\d+\.\d\d× \+\d+%"#, options: .regularExpression) != nil }
        #expect(numbers.ok)
        let s = numbers.screen
        for name in ["native", "xen-pv", "kvm", "vmi", "lguest", "latency", "p99"] { #expect(s.contains(name)) }
        // Trace time moves.
        let moved = t.waitFor("time advances") { screen in
            !screen.hasPrefix(s.prefix(60)) || screen.split(separator: "\n").first != s.split(separator: "\n").first
        }
        #expect(moved.ok)
        let colours = t.screen(colors: true)
        #expect(colours.contains("\u{1b}[3") || colours.contains("\u{1b}[9"))   // foreground colours in use
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
        #expect(t.display("#{alternate_on}") == "0")
    }

    @Test func spacePausesAndResumes() throws {
        let t = try start()
        t.sendKeys("Space")
        #expect(t.waitFor("paused") { $0.contains("⏸") }.ok)
        usleep(250_000)   // let the frame after the pause settle (snapshots come at 10 Hz)
        let a = header(t)
        usleep(400_000)
        #expect(header(t) == a)   // no progress while paused
        t.sendKeys("Space")
        let playing = t.waitFor("playing") { screen in screen.split(separator: "\n").first.map { $0.contains("▶") } ?? false }
        #expect(playing.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
    }

    @Test func plusAndMinusChangeTheSpeed() throws {
        let t = try start()
        t.sendKeys("+")
        #expect(t.waitFor("0.10×") { $0.contains("▶ 0.10×") }.ok)
        t.sendKeys("+")
        #expect(t.waitFor("0.20×") { $0.contains("▶ 0.20×") }.ok)
        t.sendKeys("-", "-")
        #expect(t.waitFor("0.05×") { $0.contains("▶ 0.05×") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
    }

    @Test func resizesDownToTheNeedScreenAndQuitsFromThere() throws {
        let t = try start(160, 48)
        t.tmux("resize-window", "-x", "80", "-y", "24")
        let small = t.waitFor("80×24 frame") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 24 && lines[23].hasPrefix("F1Help") && lines.allSatisfy { $0.count <= 80 }
        }
        #expect(small.ok)
        t.tmux("resize-window", "-x", "60", "-y", "20")
        #expect(t.waitFor("need screen") { $0.contains("pvtop needs 80×24") && $0.contains("60×20") }.ok)
        t.tmux("resize-window", "-x", "120", "-y", "40")
        #expect(t.waitFor("back to full") { $0.contains("F1Help") && $0.contains("latency") }.ok)
        t.tmux("resize-window", "-x", "60", "-y", "20")
        #expect(t.waitFor("need screen again") { $0.contains("pvtop needs 80×24") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
        #expect(t.display("#{alternate_on}") == "0")
    }

    @Test func tabTurnsPagesAt80x24AndTheCounterTableScrolls() throws {
        let t = try start(80, 24)
        #expect(t.waitFor("latency page") { $0.contains("[latency]") && $0.contains("┌ latency ·") }.ok)
        t.sendKeys("Tab")
        #expect(t.waitFor("counters page") { $0.contains("[counters]") && $0.contains("┌ counters ·") && $0.contains("%Time") }.ok)
        t.sendKeys("x")
        // Drilled down, xen-pv has more rows than the page: the title counts them.
        let window = t.waitFor("row window") { $0.range(of: #" 1-\d+/\d+ "#, options: .regularExpression) != nil }
        #expect(window.ok)
        t.sendKeys("Space")   // paused, so the row count holds still
        #expect(t.waitFor("paused") { $0.contains("⏸") }.ok)
        t.sendKeys("End")
        let end = t.waitFor("scrolled to the end") { s in
            guard let r = s.range(of: #" (\d+)-(\d+)/(\d+) "#, options: .regularExpression) else { return false }
            let parts = s[r].trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == "-" || $0 == "/" })
            return parts.count == 3 && parts[1] == parts[2] && parts[0] != "1"
        }
        #expect(end.ok, "\(end.screen)")
        t.sendKeys("Home")
        #expect(t.waitFor("back to the top") { $0.range(of: #" 1-\d+/\d+ "#, options: .regularExpression) != nil }.ok)
        t.sendKeys("Tab")
        #expect(t.waitFor("batching page") { $0.contains("[batching]") && $0.contains("┌ batching") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
    }

    @Test func helpOpensAndQuitWorksFromIt() throws {
        let t = try start()
        t.sendKeys("F1")
        #expect(t.waitFor("help") { $0.contains("pvtop help") && $0.contains("What the model does not see") || $0.contains("What you see") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)
    }

    @Test func sigtermExitsWith143AndRestoresTheTerminal() throws {
        let t = try start()
        let pid = try #require(t.programPID())
        kill(pid, SIGTERM)
        #expect(t.exitStatus() == 143)
        #expect(t.display("#{alternate_on}") == "0")
    }

    @Test func ctrlCQuitsWith130EvenFromAMenu() throws {
        let t = try start()
        t.sendKeys("b")
        #expect(t.waitFor("menu") { $0.contains("Backends beside native") }.ok)
        t.sendKeys("C-c")
        #expect(t.exitStatus() == 130)
        #expect(t.display("#{alternate_on}") == "0")
    }

    @Test func lightThemePaintsAWhiteBackground() throws {
        let t = try start(100, 30, "--theme light")
        let s = t.screen(colors: true)
        #expect(s.contains("107m") || s.contains("48;5;15m"))   // bright-white background
        t.sendKeys("F10")
        #expect(t.exitStatus() == 0)
    }
}

@Suite struct NoTerminalTests {
    @Test func withoutATTYTheDashboardPointsToHeadless() {
        let r = Spawn.run([Pvtop.binary, "replay", Pvtop.trace])
        #expect(r.status == 2)
        #expect(r.output.contains("--headless"))
    }
}
