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
        // Every panel, once numbers show: under ThreadSanitizer the first frames came before
        // the latency panel had its first samples.
        let names = ["native", "xen-pv", "kvm", "vmi", "lguest", "latency", "p99"]
        let numbers = t.waitFor("slowdowns and every panel") { screen in
            screen.range(of: #"\d+\.\d\d× \+\d+%"#, options: .regularExpression) != nil && names.allSatisfy { screen.contains($0) }
        }
        #expect(numbers.ok)
        let s = numbers.screen
        for name in names { #expect(s.contains(name)) }
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

    /// ncurses' mouse decoding needs a real terminal: xterm (X10) presses on the 80×24 page
    /// tabs turn the page, the wheel scrolls the counter table, a click on kvm's column fills
    /// the table with kvm's exits, and `--no-mouse` ignores all of it.
    @Test func clicksTurnPagesAndPickAnEngineAndTheWheelScrolls() throws {
        func press(_ t: TmuxSession, button: Int, x: Int, y: Int) {
            // ESC [ M, then 32 + button, 33 + column, 33 + row (xterm's X10 mouse encoding); a
            // click is a press and a release (button 3), as a terminal sends it.
            var bytes = [0x1b, 0x5b, 0x4d, 32 + button, 33 + x, 33 + y]
            if button == 0 { bytes += [0x1b, 0x5b, 0x4d, 32 + 3, 33 + x, 33 + y] }
            t.tmux(["send-keys", "-H"] + bytes.map { String(format: "%02x", $0) })
        }
        let t = try start(80, 24)
        #expect(t.waitFor("latency page") { $0.contains("[latency]") }.ok)
        press(t, button: 0, x: 18, y: 10)   // the "counters" tab under the engine columns
        #expect(t.waitFor("counters page", timeout: 5) { $0.contains("[counters]") && $0.contains("┌ counters · xen-pv") }.ok)
        t.sendKeys("Space", "x")
        #expect(t.waitFor("row window") { $0.range(of: #" 1-\d+/\d+ "#, options: .regularExpression) != nil }.ok)
        for _ in 0..<4 { press(t, button: 65, x: 40, y: 15) }   // wheel down, 3 rows a notch
        let scrolled = t.waitFor("scrolled") { $0.range(of: #" ([2-9]|\d\d+)-\d+/\d+ "#, options: .regularExpression) != nil }
        #expect(scrolled.ok, "\(scrolled.screen)")
        press(t, button: 0, x: 30, y: 3)    // the third column: kvm
        #expect(t.waitFor("kvm counters", timeout: 5) { $0.contains("┌ counters · kvm") }.ok)
        t.sendKeys("q")
        #expect(t.exitStatus() == 0)

        let off = try start(80, 24, "--no-mouse")
        press(off, button: 0, x: 18, y: 10)
        usleep(500_000)
        #expect(off.screen().contains("[latency]"))
        off.sendKeys("q")
        #expect(off.exitStatus() == 0)
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
