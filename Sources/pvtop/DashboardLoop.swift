import PVDashboard
import PVKernel
import PVReplay

/// htop's ScreenManager_run without its drawing: each frame advance the replay to where the
/// play clock says (bounded by an event budget so a frame never stalls), redraw when something
/// changed, and let one `wget_wch` with a timeout both wait for keys and pace the frames.
final class DashboardLoop {
    static let frameNanoseconds: UInt64 = 33_000_000   // ~30 fps
    /// Wall time the replay may take per frame before the budget shrinks.
    static let advanceTargetNanoseconds: UInt64 = 15_000_000
    static let maxSpeedAdvanceTargetNanoseconds: UInt64 = 26_000_000
    /// Snapshots (and so redraws while playing) at 10 Hz; keys still redraw at once.
    static let snapshotNanoseconds: UInt64 = 100_000_000

    private let terminal: Terminal
    private var replay: ReplayControl
    private var state: DashboardState
    private let demo: DemoPlaylist?
    private var director: DemoDirector?
    private var demoStart: ContinuousClock.Instant
    private let exitWhen: DashboardExit?

    private var eventBudget = 5_000
    private var budgetSinceSnapshot = 0
    private var lastAdvanceNanoseconds: UInt64 = 0
    private var lastSnapshotAt: ContinuousClock.Instant
    private var snapshot: Snapshot
    /// Rates compare the current snapshot with one taken about a second earlier (kvm_stat's
    /// CurAvg): `rateBase` is that older one, `rateNext` the candidate replacing it.
    private var rateBase: Snapshot?
    private var rateNext: Snapshot?
    private var rateNextTakenAt: ContinuousClock.Instant
    private let clock = ContinuousClock()

    init(terminal: Terminal, replay: ReplayControl, options: DashboardOptions) {
        self.terminal = terminal
        self.replay = replay
        state = DashboardState(configuration: replay.configuration, profiles: options.profiles,
                               theme: options.theme, speed: options.speed)
        demo = options.demo
        exitWhen = options.exitWhen
        director = options.demo.map { DemoDirector(traceCount: max($0.traces.count, 1)) }
        demoStart = clock.now
        rateNextTakenAt = clock.now
        lastSnapshotAt = clock.now
        snapshot = replay.snapshot()
        _ = state.observe(snapshot)
        if director != nil {
            state.setSpeed(DemoDirector.speed(forDurationNanoseconds: snapshot.trace.durationNanoseconds))
            state.demoRunning = true
        }
    }

    /// Runs until quit or a terminating signal; returns the exit status (0, or 128 + signal).
    func run() throws -> Int32 {
        var lastTick = clock.now
        var nextTick = lastTick
        var dirty = true
        var lastSize = terminal.size
        while true {
            if let sig = Signals.take() { return 128 + sig }
            let now = clock.now
            // As fast as possible: never sleep while there is trace left; the event budget
            // alone paces the frames (draws still follow the 10 Hz snapshots).
            let busy = state.isMaxSpeed && state.playing && !replay.isFinished
            if now >= nextTick || busy {
                // After a stall (^Z, a slow frame) do not catch up: at most 100 ms count.
                let elapsed = min(UInt64((now - lastTick).components.attoseconds / 1_000_000_000)
                                  + UInt64((now - lastTick).components.seconds) * 1_000_000_000, 100_000_000)
                lastTick = now
                // The play clock itself is not drawn: redraw for new data or a status change.
                let before = (snapshot.eventsReplayed, snapshot.positionNanoseconds, state.status, state.view)
                state.tick(wallNanoseconds: elapsed)
                if try runDemo(now) { dirty = true }
                try advanceFrame(now)
                if before != (snapshot.eventsReplayed, snapshot.positionNanoseconds, state.status, state.view) {
                    dirty = true
                }
                nextTick = now + .nanoseconds(Int64(DashboardLoop.frameNanoseconds))
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
            let wait = nextTick - clock.now
            let waitMilliseconds = busy ? 0 : max(Int(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000), 0)
            guard let input = terminal.readKey(timeoutMilliseconds: waitMilliseconds) else { continue }
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
            if commands.isEmpty && input != .resize { takeSnapshot(clock.now) }
        }
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
    private func advanceFrame(_ now: ContinuousClock.Instant) throws {
        if state.playing, !replay.isFinished {
            let started = clock.now
            try replay.advance(toTraceTime: state.traceTarget, eventBudget: eventBudget)
            let took = nanoseconds(clock.now - started)
            budgetSinceSnapshot += eventBudget
            lastAdvanceNanoseconds = took
            if took > advanceTarget {
                // Scale straight to the target: a slow engine (a debug build) converges in one frame.
                let scaled = Double(eventBudget) * Double(advanceTarget) / Double(took)
                eventBudget = max(Int(scaled), 100)
            }
        }
        guard now - lastSnapshotAt >= .nanoseconds(Int64(DashboardLoop.snapshotNanoseconds)) || replay.isFinished != snapshot.finished
        else { return }
        takeSnapshot(now)
    }

    /// Reads the replay's snapshot; when the advances since the last one used (nearly) all
    /// their budget the replay is behind the clock: grow the budget if there is time, and let
    /// the state pull its clock back rather than build a backlog.
    private func takeSnapshot(_ now: ContinuousClock.Instant) {
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
        updateRates()
    }

    /// Wall time the replay may take per frame: at max speed most of the frame (the point is
    /// to finish), otherwise under half, so keys and redraws stay prompt.
    private var advanceTarget: UInt64 {
        state.isMaxSpeed ? DashboardLoop.maxSpeedAdvanceTargetNanoseconds : DashboardLoop.advanceTargetNanoseconds
    }

    private func nanoseconds(_ d: Duration) -> UInt64 {
        UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
    }

    /// A pipe, FIFO or device input is read once: opening it again would block in open().
    static let notReopenable = "input is a pipe or device: it cannot be read again (no reset, no seek back)"

    private func updateRates() {
        let now = clock.now
        guard let next = rateNext else { rateNext = snapshot; rateNextTakenAt = now; return }
        if now - rateNextTakenAt >= .seconds(1), snapshot.positionNanoseconds > next.positionNanoseconds {
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
    private func runDemo(_ now: ContinuousClock.Instant) throws -> Bool {
        guard var d = director, let demo else { return false }
        let elapsed = Double((now - demoStart).components.seconds) + Double((now - demoStart).components.attoseconds) / 1e18
        var changed = false
        for input in d.inputs(elapsedSeconds: elapsed) {
            for command in state.apply(input) where command != .quit { try execute(command) }
            changed = true
        }
        if d.wantsNextTrace(elapsedSeconds: elapsed) || (snapshot.finished && elapsed > 8) {
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
