import PVDashboard
import PVKernel
import PVReplay
import Testing

/// The run loop in-process (ratatui's TestBackend idea): a `TestTerminal` plays keys at given
/// times on its own clock, so pacing, speed, pause, step, seek, resize and the demo are
/// checked deterministically and without a tmux.
@Suite struct DashboardSessionTests {
    static let ms: UInt64 = 1_000_000

    func session(_ script: [TestTerminal.Step], width: Int = 120, height: Int = 40, speed: Double? = 1,
                 demo: DemoPlaylist? = nil, signal: Int32? = nil)
        -> (DashboardSession, TestTerminal, PreviewReplay) {
        let replay = PreviewReplay(durationNanoseconds: 10_000_000_000, eventsPerSecond: 2_000)
        let terminal = TestTerminal(width: width, height: height, script: script)
        let s = DashboardSession(terminal: terminal, replay: replay,
                                 options: DashboardOptions(speed: speed, profiles: ["modern-2020"], demo: demo),
                                 pendingSignal: { signal })
        return (s, terminal, replay)
    }

    @Test func playsAtTheChosenSpeedAndQuitsOnQ() throws {
        let (s, terminal, _) = session([.input(.character("q"), atNanoseconds: 1_000 * Self.ms)])
        #expect(try s.run() == 0)
        #expect(!terminal.scriptFinished)
        // 1× for one second of wall time: about one second of trace (snapshots every 100 ms).
        #expect(s.snapshot.positionNanoseconds >= 800 * Self.ms && s.snapshot.positionNanoseconds <= 1_100 * Self.ms)
        #expect(terminal.frame.text.contains("native"))
        #expect(terminal.drawCount > 5)
    }

    @Test func spacePausesAndTheClockStops() throws {
        let (s, _, _) = session([.input(.character(" "), atNanoseconds: 300 * Self.ms),
                                 .input(.character("q"), atNanoseconds: 2_000 * Self.ms)])
        _ = try s.run()
        #expect(!s.state.playing)
        #expect(s.snapshot.positionNanoseconds <= 400 * Self.ms)
    }

    @Test func plusRaisesTheSpeedAndMinusLowersIt() throws {
        let fast = session([.input(.character("+"), atNanoseconds: 1 * Self.ms), .input(.character("+"), atNanoseconds: 2 * Self.ms),
                            .input(.character("q"), atNanoseconds: 1_000 * Self.ms)])
        _ = try fast.0.run()
        #expect(fast.0.state.speedLabel == "5×")
        #expect(fast.0.snapshot.positionNanoseconds >= 4_000 * Self.ms)
        let slow = session([.input(.character("-"), atNanoseconds: 1 * Self.ms), .input(.character("q"), atNanoseconds: 1_000 * Self.ms)])
        _ = try slow.0.run()
        #expect(slow.0.state.speedLabel == "0.50×")
        #expect(slow.0.snapshot.positionNanoseconds <= 600 * Self.ms)
    }

    @Test func stepReplaysOneEventPausesAndShowsTheStepView() throws {
        let (s, terminal, _) = session([.input(.character(" "), atNanoseconds: 200 * Self.ms),
                                        .input(.character("."), atNanoseconds: 400 * Self.ms),
                                        .input(.character("q"), atNanoseconds: 600 * Self.ms)])
        var eventsAtPause: UInt64 = 0
        _ = try s.run()
        eventsAtPause = s.snapshot.eventsReplayed
        #expect(s.state.view == .step)
        #expect(!s.state.playing)
        #expect(terminal.frame.text.contains("┌ step"))
        // Space leaves the step view and plays on.
        let (again, _, _) = session([.input(.character("."), atNanoseconds: 100 * Self.ms),
                                     .input(.character(" "), atNanoseconds: 200 * Self.ms),
                                     .input(.character("q"), atNanoseconds: 900 * Self.ms)])
        _ = try again.run()
        #expect(again.state.view == .overview && again.state.playing)
        #expect(eventsAtPause > 0)
    }

    @Test func arrowsSeekByFivePercentAndEndFinishes() throws {
        let (s, _, _) = session([.input(.character(" "), atNanoseconds: 1 * Self.ms),
                                 .input(.right, atNanoseconds: 100 * Self.ms), .input(.right, atNanoseconds: 200 * Self.ms),
                                 .input(.character("q"), atNanoseconds: 300 * Self.ms)], speed: 1)
        _ = try s.run()
        #expect(s.snapshot.positionNanoseconds == 1_000 * Self.ms)   // 2 × 5 % of 10 s, paused
        let (end, _, _) = session([.input(.end, atNanoseconds: 100 * Self.ms), .input(.character("q"), atNanoseconds: 300 * Self.ms)])
        _ = try end.run()
        #expect(end.snapshot.finished)
    }

    @Test func resizeRedrawsAtTheNewSizeAndQuitsFromTheNeedScreen() throws {
        let (s, terminal, _) = session([.resize(width: 60, height: 20, atNanoseconds: 100 * Self.ms),
                                        .input(.character("q"), atNanoseconds: 300 * Self.ms)])
        #expect(try s.run() == 0)
        #expect(terminal.frame.width == 60)
        #expect(terminal.frame.text.contains("80×24"))
    }

    @Test func aPendingSignalEndsTheRunWith128PlusItsNumber() throws {
        let (s, _, _) = session([], signal: 15)
        #expect(try s.run() == 143)
    }

    @Test func aScriptThatRunsOutQuitsSoATestCannotHang() throws {
        let (s, terminal, _) = session([.input(.character("t"), atNanoseconds: 10 * Self.ms)])
        #expect(try s.run() == 0)
        #expect(terminal.scriptFinished)
        #expect(s.state.view == .latency)
    }

    @Test func clicksSelectAnEngineAPanelAndARowAndTheWheelScrolls() throws {
        // 200×60: every panel at once. Engine columns start on row 1; the third is kvm's.
        let (s, _, _) = session([
            .input(.mouse(MouseEvent(kind: .press, x: 100, y: 3)), atNanoseconds: 500 * Self.ms),
            .input(.character("q"), atNanoseconds: 700 * Self.ms)], width: 200, height: 60)
        _ = try s.run()
        #expect(s.state.focusedEngine == 2)
        #expect(s.state.focus == .counters)
        let (rows, _, _) = session([
            .input(.character("x"), atNanoseconds: 400 * Self.ms),
            .input(.mouse(MouseEvent(kind: .wheelDown, x: 0, y: 0)), atNanoseconds: 500 * Self.ms),
            .input(.character("q"), atNanoseconds: 700 * Self.ms)], width: 200, height: 60)
        _ = try rows.run()
        #expect(rows.state.counterCursor == 0)   // the wheel scrolls the focused table only
        let layout = DashboardView.layout(snapshot: rows.snapshot, state: rows.state, area: Rect(x: 0, y: 0, width: 200, height: 60))
        let table = try #require(layout.panels[.counters])
        let (clicked, _, _) = session([
            .input(.character("x"), atNanoseconds: 400 * Self.ms),
            .input(.mouse(MouseEvent(kind: .press, x: table.x + 5, y: table.y + 4)), atNanoseconds: 500 * Self.ms),
            .input(.mouse(MouseEvent(kind: .wheelDown, x: 0, y: 0)), atNanoseconds: 600 * Self.ms),
            .input(.character("q"), atNanoseconds: 700 * Self.ms)], width: 200, height: 60)
        _ = try clicked.run()
        #expect(clicked.state.focus == .counters)
        #expect(clicked.state.counterCursor == 2 + 3)   // the third row, then three down
    }

    @Test func tabsAt80x24AreClickable() throws {
        let probe = session([])
        let layout = DashboardView.layout(snapshot: probe.0.snapshot, state: probe.0.state, area: Rect(x: 0, y: 0, width: 80, height: 24))
        let tab = try #require(layout.tabs[.batching])
        let (s, terminal, _) = session([.input(.mouse(MouseEvent(kind: .press, x: tab.x + 1, y: tab.y)), atNanoseconds: 100 * Self.ms),
                                        .input(.character("q"), atNanoseconds: 200 * Self.ms)], width: 80, height: 24)
        _ = try s.run()
        #expect(s.state.focus == .batching)
        #expect(terminal.frame.text.contains("[batching]"))
    }

    @Test func theDemoWalksThroughEveryViewAndAnyKeyTakesOver() throws {
        let playlist = DemoPlaylist(traces: []) { _ in PreviewReplay() }
        let terminal = TestTerminal(width: 120, height: 40, script: [.input(.character("q"), atNanoseconds: 47_000 * Self.ms)])
        terminal.keepsFrames = true
        let replay = PreviewReplay(durationNanoseconds: 2_000_000_000, eventsPerSecond: 2_000)
        let s = DashboardSession(terminal: terminal, replay: replay,
                                 options: DashboardOptions(profiles: ["modern-2020"], demo: playlist))
        #expect(try s.run() == 0)
        let seen = terminal.frames.joined(separator: "\n")
        for title in ["counters", "latency", "per CPU", "time series", "┌ step"] { #expect(seen.contains(title), "\(title)") }
        #expect(seen.contains("demo"))
        // A key ends the demo at once: the view stays where the key put it.
        let taken = TestTerminal(width: 120, height: 40, script: [.input(.character("t"), atNanoseconds: 1_000 * Self.ms),
                                                                 .input(.character("q"), atNanoseconds: 30_000 * Self.ms)])
        let s2 = DashboardSession(terminal: taken, replay: PreviewReplay(), options: DashboardOptions(profiles: [], demo: playlist))
        _ = try s2.run()
        #expect(!s2.state.demoRunning)
        #expect(s2.state.view == .latency)
    }
}
