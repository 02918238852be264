import PVKernel
import PVReplay

/// htop's ScreenManager_run without its drawing: each frame advance the replay to where the
/// play clock says (bounded by an event budget so a frame never stalls), redraw when something
/// changed, and let one read with a timeout both wait for keys and pace the frames. It talks to
/// a `TerminalIO`, so the whole loop (speed, pause, step, seek, demo, resize) runs in tests.
public final class DashboardSession {
    public static let frameNanoseconds: UInt64 = 33_000_000   // ~30 fps
    /// Wall time the replay may take per frame before the budget shrinks.
    static let advanceTargetNanoseconds: UInt64 = 15_000_000
    static let maxSpeedAdvanceTargetNanoseconds: UInt64 = 26_000_000
    /// Snapshots (and so redraws while playing) at 10 Hz; keys still redraw at once.
    public static let snapshotNanoseconds: UInt64 = 100_000_000
    /// A pipe, FIFO or device input is read once: opening it again would block in open().
    public static let notReopenable = "input is a pipe or device: it cannot be read again (no reset, no seek back)"

    private let terminal: any TerminalIO
    public private(set) var replay: ReplayControl
    public private(set) var state: DashboardState
    private let demo: DemoPlaylist?
    private var director: DemoDirector?
    private var demoStart: UInt64
    private let exitWhen: DashboardExit?
    /// A terminating signal seen since the last frame (the CLI's handler), as its number.
    private let pendingSignal: () -> Int32?

    private var eventBudget = 5_000
    private var budgetSinceSnapshot = 0
    private var lastAdvanceNanoseconds: UInt64 = 0
    private var lastSnapshotAt: UInt64
    public private(set) var snapshot: Snapshot
    /// Rates compare the current snapshot with one taken about a second earlier (kvm_stat's
    /// CurAvg): `rateBase` is that older one, `rateNext` the candidate replacing it.
    private var rateBase: Snapshot?
    private var rateNext: Snapshot?
    private var rateNextTakenAt: UInt64

    public init(terminal: any TerminalIO, replay: ReplayControl, options: DashboardOptions,
                pendingSignal: @escaping () -> Int32? = { nil }) {
        self.terminal = terminal
        self.replay = replay
        self.pendingSignal = pendingSignal
        state = DashboardState(configuration: replay.configuration, profiles: options.profiles,
                               theme: options.theme, speed: options.speed)
        demo = options.demo
        exitWhen = options.exitWhen
        director = options.demo.map { DemoDirector(traceCount: max($0.traces.count, 1)) }
        let now = terminal.nowNanoseconds
        demoStart = now
        rateNextTakenAt = now
        lastSnapshotAt = now
        snapshot = replay.snapshot()
        _ = state.observe(snapshot)
        if director != nil {
            state.setSpeed(DemoDirector.speed(forDurationNanoseconds: snapshot.trace.durationNanoseconds))
            state.demoRunning = true
        }
    }

    /// Runs until quit or a terminating signal; returns the exit status (0, or 128 + signal).
    public func run() throws -> Int32 {
        var lastTick = terminal.nowNanoseconds
        var nextTick = lastTick
        var dirty = true
        var lastSize = terminal.size
        while true {
            if let sig = pendingSignal() { return 128 + sig }
            let now = terminal.nowNanoseconds
            // As fast as possible: never sleep while there is trace left; the event budget
            // alone paces the frames (draws still follow the 10 Hz snapshots).
            let busy = state.isMaxSpeed && state.playing && !replay.isFinished
            if now >= nextTick || busy {
                // After a stall (^Z, a slow frame) do not catch up: at most 100 ms count.
                let elapsed = min(now &- lastTick, 100_000_000)
                lastTick = now
                // The play clock itself is not drawn: redraw for new data or a status change.
                let before = (snapshot.eventsReplayed, snapshot.positionNanoseconds, state.status, state.view)
                state.tick(wallNanoseconds: elapsed)
                if try runDemo(now) { dirty = true }
                try advanceFrame(now)
                if before != (snapshot.eventsReplayed, snapshot.positionNanoseconds, state.status, state.view) {
                    dirty = true
                }
                nextTick = now + Self.frameNanoseconds
            }
            if terminal.size != lastSize { lastSize = terminal.size; dirty = true }
            if dirty {
                draw()
                dirty = false
                switch exitWhen {
                case .firstFrame?: return 0
                case .end? where snapshot.finished: return 0
                default: break
                }
            }
            let current = terminal.nowNanoseconds
            let waitMilliseconds = busy || nextTick <= current ? 0 : Int((nextTick - current) / 1_000_000)
            guard let raw = terminal.readInput(timeoutMilliseconds: waitMilliseconds) else { continue }
            guard let input = resolveMouse(raw) else { continue }
            dirty = true
            if director != nil && input != .resize {
                // Any key takes over from the demo (and still does what it says).
                director = nil
                state.demoRunning = false
            }
            let commands = state.apply(input)
            for command in commands {
                if command == .quit { return 0 }
                try execute(command)
            }
            // A key shows the replay as it is now, not as of the last 10 Hz snapshot (a pause
            // must not move the numbers once more afterwards).
            if commands.isEmpty && input != .resize { takeSnapshot(terminal.nowNanoseconds) }
        }
    }

    /// A press becomes what the frame drew under it (an engine column, a panel, a counter
    /// row, a tab); a press on nothing is dropped. Other inputs pass through.
    private func resolveMouse(_ input: Input) -> Input? {
        guard case .mouse(let m) = input, m.kind == .press else { return input }
        guard state.overlay == nil else { return nil }
        let (w, h) = terminal.size
        let layout = DashboardView.layout(snapshot: snapshot, state: state, area: Rect(x: 0, y: 0, width: w, height: h))
        return layout.target(x: m.x, y: m.y, counterRows: state.counterRowCount, cursor: state.counterCursor).map { .click($0) }
    }

    private func draw() {
        let (w, h) = terminal.size
        var buffer = CellBuffer(width: w, height: h)
        DashboardView.render(snapshot: snapshot, previous: rateBase, state: state, into: &buffer)
        terminal.draw(buffer)
    }

    /// Advances the replay to the play clock within the event budget, adapting the budget to
    /// the wall time each advance took. A snapshot is taken at most every
    /// `snapshotNanoseconds`: copying the engines' metrics makes each engine copy every
    /// histogram it touches afterwards (copy-on-write), which at 30 snapshots a second was a
    /// quarter of the CPU (perf: memmove under Engine.price).
    private func advanceFrame(_ now: UInt64) throws {
        if state.playing, !replay.isFinished {
            let started = terminal.nowNanoseconds
            try replay.advance(toTraceTime: state.traceTarget, eventBudget: eventBudget)
            let took = terminal.nowNanoseconds &- started
            budgetSinceSnapshot += eventBudget
            lastAdvanceNanoseconds = took
            if took > advanceTarget {
                // Scale straight to the target: a slow engine (a debug build) converges in one frame.
                let scaled = Double(eventBudget) * Double(advanceTarget) / Double(took)
                eventBudget = max(Int(scaled), 100)
            }
        }
        guard now &- lastSnapshotAt >= Self.snapshotNanoseconds || replay.isFinished != snapshot.finished
        else { return }
        takeSnapshot(now)
    }

    /// Reads the replay's snapshot; when the advances since the last one used (nearly) all
    /// their budget the replay is behind the clock: grow the budget if there is time, and let
    /// the state pull its clock back rather than build a backlog.
    private func takeSnapshot(_ now: UInt64) {
        let eventsBefore = snapshot.eventsReplayed
        snapshot = replay.snapshot()
        lastSnapshotAt = now
        let replayed = snapshot.eventsReplayed &- eventsBefore
        let exhausted = budgetSinceSnapshot > 0 && snapshot.eventsReplayed >= eventsBefore
            && replayed * 10 >= UInt64(budgetSinceSnapshot) * 9
        if exhausted && lastAdvanceNanoseconds < advanceTarget / 2 {
            eventBudget = min(eventBudget * 2, 5_000_000)
        }
        budgetSinceSnapshot = 0
        for command in state.observe(snapshot, budgetExhausted: exhausted) { try? execute(command) }
        updateRates(now)
    }

    /// Wall time the replay may take per frame: at max speed most of the frame (the point is
    /// to finish), otherwise under half, so keys and redraws stay prompt.
    private var advanceTarget: UInt64 {
        state.isMaxSpeed ? Self.maxSpeedAdvanceTargetNanoseconds : Self.advanceTargetNanoseconds
    }

    private func updateRates(_ now: UInt64) {
        guard let next = rateNext else { rateNext = snapshot; rateNextTakenAt = now; return }
        if now &- rateNextTakenAt >= 1_000_000_000, snapshot.positionNanoseconds > next.positionNanoseconds {
            rateBase = next
            rateNext = snapshot
            rateNextTakenAt = now
        }
    }

    private func resetRates() { rateBase = nil; rateNext = nil }

    private func execute(_ command: Command) throws {
        switch command {
        case .quit: break
        case .step:
            try replay.step()
        case .restart:
            do {
                try replay.restart()
            } catch ReplayError.notRestartable {
                state.say(Self.notReopenable)
            }
            resetRates()
        case .seek(let t):
            do {
                try replay.seek(toTraceTime: t)
            } catch ReplayError.notRestartable {
                state.say(Self.notReopenable)
            }
            resetRates()
        case .reconfigure(let configuration):
            do {
                try replay.reconfigure(configuration)
            } catch {
                state.say("\(error)")
            }
            state.configuration = replay.configuration
            resetRates()
        }
        snapshot = replay.snapshot()
        _ = state.observe(snapshot)
    }

    /// Plays the demo script; returns true when it changed something.
    private func runDemo(_ now: UInt64) throws -> Bool {
        guard var d = director, let demo else { return false }
        let elapsed = Double(now &- demoStart) / 1e9
        var changed = false
        for input in d.inputs(elapsedSeconds: elapsed) {
            for command in state.apply(input) where command != .quit { try execute(command) }
            changed = true
        }
        if d.wantsNextTrace(elapsedSeconds: elapsed, finished: snapshot.finished) {
            let index = d.nextTrace()
            if demo.traces.isEmpty {
                try replay.restart()   // no bundled traces: loop the one given
            } else {
                let configuration = state.configuration
                replay = try demo.open(demo.traces[index])
                if replay.configuration != configuration { try? replay.reconfigure(configuration) }
            }
            resetRates()
            snapshot = replay.snapshot()
            state.clockNanoseconds = 0
            state.playing = true
            _ = state.observe(snapshot)
            state.setSpeed(DemoDirector.speed(forDurationNanoseconds: snapshot.trace.durationNanoseconds))
            state.view = .overview
            demoStart = now
            changed = true
        }
        director = d
        return changed
    }
}
