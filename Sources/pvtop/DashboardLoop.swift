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

    private let terminal: Terminal
    private var replay: ReplayControl
    private var state: DashboardState
    private let demo: DemoPlaylist?
    private var director: DemoDirector?
    private var demoStart: ContinuousClock.Instant

    private var eventBudget = 5_000
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
        director = options.demo.map { DemoDirector(traceCount: max($0.traces.count, 1)) }
        demoStart = clock.now
        rateNextTakenAt = clock.now
        snapshot = replay.snapshot()
        _ = state.observe(snapshot)
        if director != nil { state.setSpeed(DemoDirector.speed(forDurationNanoseconds: snapshot.trace.durationNanoseconds)) }
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
            if now >= nextTick {
                // After a stall (^Z, a slow frame) do not catch up: at most 100 ms count.
                let elapsed = min(UInt64((now - lastTick).components.attoseconds / 1_000_000_000)
                                  + UInt64((now - lastTick).components.seconds) * 1_000_000_000, 100_000_000)
                lastTick = now
                let before = (snapshot.eventsReplayed, snapshot.positionNanoseconds, state)
                state.tick(wallNanoseconds: elapsed)
                if try runDemo(now) { dirty = true }
                try advanceFrame()
                if before.0 != snapshot.eventsReplayed || before.1 != snapshot.positionNanoseconds || before.2 != state {
                    dirty = true
                }
                nextTick = now + .nanoseconds(Int64(DashboardLoop.frameNanoseconds))
            }
            if terminal.size != lastSize { lastSize = terminal.size; dirty = true }
            if dirty {
                draw()
                dirty = false
            }
            let wait = nextTick - clock.now
            let waitMilliseconds = max(Int(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000), 0)
            guard let input = terminal.readKey(timeoutMilliseconds: waitMilliseconds) else { continue }
            dirty = true
            if director != nil && input != .resize {
                // Any key takes over from the demo (and still does what it says).
                director = nil
                state.say("demo stopped: you have the keys")
            }
            for command in state.apply(input) {
                if command == .quit { return 0 }
                try execute(command)
            }
        }
    }

    private func draw() {
        let (w, h) = terminal.size
        var buffer = CellBuffer(width: w, height: h)
        DashboardView.render(snapshot: snapshot, previous: rateBase, state: state, into: &buffer)
        terminal.draw(buffer)
    }

    /// Advances the replay to the play clock within the event budget, adapting the budget to
    /// the wall time the last advance took.
    private func advanceFrame() throws {
        let target = state.traceTarget
        var exhausted = false
        if target > snapshot.positionNanoseconds || state.isMaxSpeed, !replay.isFinished, state.playing {
            let eventsBefore = snapshot.eventsReplayed
            let started = clock.now
            try replay.advance(toTraceTime: target, eventBudget: eventBudget)
            let took = clock.now - started
            let tookNanoseconds = UInt64(took.components.seconds) * 1_000_000_000 + UInt64(took.components.attoseconds / 1_000_000_000)
            snapshot = replay.snapshot()
            exhausted = snapshot.eventsReplayed - eventsBefore >= UInt64(eventBudget)
            if tookNanoseconds > DashboardLoop.advanceTargetNanoseconds {
                // Scale straight to the target: a slow engine (a debug build) converges in one frame.
                let scaled = Double(eventBudget) * Double(DashboardLoop.advanceTargetNanoseconds) / Double(tookNanoseconds)
                eventBudget = max(Int(scaled), 100)
            } else if exhausted && tookNanoseconds < DashboardLoop.advanceTargetNanoseconds / 2 {
                eventBudget = min(eventBudget * 3 / 2 + 1, 5_000_000)
            }
        }
        for command in state.observe(snapshot, budgetExhausted: exhausted) { try execute(command) }
        updateRates()
    }

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
            try replay.restart()
            resetRates()
        case .seek(let t):
            try replay.seek(toTraceTime: t)
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
