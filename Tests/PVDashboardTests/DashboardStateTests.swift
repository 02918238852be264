import PVDashboard
import PVKernel
import PVReplay
import Testing

@Suite struct DashboardStateTests {
    @Test func spaceTogglesPlayAndRestartsAtTheEnd() {
        var s = Fixtures.state()
        #expect(s.playing)
        #expect(s.apply(.character(" ")) == [])
        #expect(!s.playing)
        #expect(s.status == "paused")
        _ = s.apply(.character(" "))
        #expect(s.playing)
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native()], finished: true))
        #expect(s.apply(.character(" ")) == [.restart])
        #expect(s.playing && !s.finished && s.clockNanoseconds == 0)
    }

    @Test func dotStepsOneEventAndPauses() {
        var s = Fixtures.state()
        #expect(s.apply(.character(".")) == [.step])
        #expect(!s.playing)
    }

    @Test func plusAndMinusWalkTheSpeedsUpToMax() {
        var s = Fixtures.state()
        #expect(s.speed == 1)
        _ = s.apply(.character("+"))
        #expect(s.speed == 2)
        #expect(s.status == "speed 2×")
        _ = s.apply(.character("-")); _ = s.apply(.character("-"))
        #expect(s.speed == 0.5)
        for _ in 0..<30 { _ = s.apply(.character("+")) }
        #expect(s.isMaxSpeed && s.speed == nil && s.speedLabel == "max")
        #expect(s.traceTarget == 334_000_000)  // max plays to the end of the trace
        _ = s.apply(.character("-"))
        #expect(s.speed == 100)
        for _ in 0..<30 { _ = s.apply(.character("_")) }
        #expect(s.speed == 0.001)
        #expect(s.speedLabel == "0.001×")
    }

    @Test func tickMovesTheClockBySpeedTimesWallTimeAndStopsAtTheEnd() {
        var s = Fixtures.state { $0.clockNanoseconds = 0 }
        s.setSpeed(0.5)
        s.tick(wallNanoseconds: 100_000_000)
        #expect(s.traceTarget == 50_000_000)
        s.playing = false
        s.tick(wallNanoseconds: 100_000_000)
        #expect(s.traceTarget == 50_000_000)
        s.playing = true
        s.setSpeed(100)
        s.tick(wallNanoseconds: 1_000_000_000)
        #expect(s.traceTarget == 334_000_000)
    }

    @Test func aSlowFrameDoesNotBuildABacklog() {
        var s = Fixtures.state()
        s.setSpeed(1)
        s.clockNanoseconds = 5_000_000_000
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native()], position: 1_000_000_000, duration: 10_000_000_000),
                      budgetExhausted: true)
        #expect(s.clockNanoseconds == 1_100_000_000)
    }

    @Test func statusMessagesExpire() {
        var s = Fixtures.state()
        _ = s.apply(.character("l"))
        #expect(s.status == "loop on")
        s.tick(wallNanoseconds: 5_000_000_000)
        #expect(s.status == nil)
    }

    @Test func arrowsSeekFivePercentAndHomeEndJump() {
        var s = Fixtures.state()  // at 0.212 of 0.334 s
        #expect(s.apply(.right) == [.seek(toTraceTime: 228_700_000)])
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native()], position: 228_700_000))
        #expect(s.apply(.left) == [.seek(toTraceTime: 212_000_000)])
        #expect(s.apply(.home) == [.seek(toTraceTime: 0)])
        #expect(s.apply(.end) == [.seek(toTraceTime: 334_000_000)])
        #expect(s.clockNanoseconds == 334_000_000)
    }

    @Test func seekIsRefusedOnALiveSource() {
        var s = Fixtures.state()
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native()], duration: nil))
        #expect(s.apply(.right) == [])
        #expect(s.status == "live source: cannot seek")
    }

    @Test func loopRestartsAtTheEnd() {
        var s = Fixtures.state()
        _ = s.apply(.character("l"))
        #expect(s.looping)
        #expect(s.observe(Fixtures.snapshot(engines: [Fixtures.native()], finished: true)) == [.restart])
        _ = s.apply(.character("l"))
        #expect(s.observe(Fixtures.snapshot(engines: [Fixtures.native()], finished: true)) == [])
    }

    @Test func rResetsToTheStart() {
        var s = Fixtures.state()
        #expect(s.apply(.character("r")) == [.restart])
        #expect(s.clockNanoseconds == 0)
    }

    @Test func eventClassCyclesWithVAndNumbers() {
        var s = Fixtures.state()
        #expect(s.eventClass == .pageFault)
        _ = s.apply(.character("v"))
        #expect(s.eventClass == .contextSwitch)
        _ = s.apply(.tab)   // Tab moves the focus, not the class
        #expect(s.eventClass == .contextSwitch)
        _ = s.apply(.character("V"))
        #expect(s.eventClass == .pageFault)
        _ = s.apply(.character("1"))
        #expect(s.eventClass == .syscall)
        _ = s.apply(.character("0"))
        #expect(s.eventClass == EventClass.allCases[9])
        _ = s.apply(.character("V"))
        _ = s.apply(.character("1")); _ = s.apply(.character("V"))
        #expect(s.eventClass == EventClass.allCases.last)
    }

    @Test func viewThemeDrillSortAndEngineCycle() {
        var s = Fixtures.state()
        _ = s.apply(.character("t"))
        #expect(s.view == .latency)
        _ = s.apply(.character("t"))
        #expect(s.view == .cpus)
        _ = s.apply(.character("t"))
        #expect(s.view == .timeSeries)
        _ = s.apply(.character("t")); _ = s.apply(.character("t"))
        #expect(s.view == .overview)
        _ = s.apply(.character("T"))
        #expect(s.theme == .light)
        _ = s.apply(.character("x"))
        #expect(s.drillDown)
        #expect(Fixtures.state().sort == .time)   // ranked by cost unless asked
        _ = s.apply(.character("o"))
        #expect(s.sort == .count)
        _ = s.apply(.character("o")); _ = s.apply(.character("o"))
        #expect(s.sort == .name)
        _ = s.apply(.character("o"))
        #expect(s.sort == .time)
        #expect(s.focusedEngine == 1)
        _ = s.apply(.character("e"))
        #expect(s.focusedEngine == 2)
        _ = s.apply(.character("e"))
        #expect(s.focusedEngine == 1)  // native (0) has no transitions: the cycle skips it
    }

    @Test func profileCyclesBundledProfilesAndReconfigures() {
        var s = Fixtures.state()
        guard case .reconfigure(let c)? = s.apply(.character("p")).first else { Issue.record("no reconfigure"); return }
        #expect(c.profile == "vtx-2006")
        #expect(s.configuration.profile == "vtx-2006")
        guard case .reconfigure(let back)? = s.apply(.character("p")).first else { Issue.record("no reconfigure"); return }
        #expect(back.profile == "modern-2020")
    }

    @Test func backendChooserTogglesAndAppliesOnEnter() {
        var s = Fixtures.state()
        _ = s.apply(.character("b"))
        guard case .backends(let menu)? = s.overlay else { Issue.record("no menu"); return }
        #expect(menu.items.map(\.label) == ["xen-pv", "kvm", "vmi", "lguest", "vbox"])
        #expect(menu.items.allSatisfy { $0.isOn })
        _ = s.apply(.character("3"))          // vmi off; a digit also moves the cursor there
        _ = s.apply(.down)
        _ = s.apply(.character(" "))          // lguest off
        _ = s.apply(.down)
        _ = s.apply(.character(" "))          // vbox off
        let commands = s.apply(.enter)
        #expect(s.overlay == nil)
        var expected = s.configuration
        expected.backends = [.xenPV, .kvm]
        #expect(commands == [.reconfigure(expected)])
    }

    @Test func backendChooserRefusesAnEmptySetAndCancelsWithEscape() {
        var s = Fixtures.state()
        _ = s.apply(.character("b"))
        for key in ["1", "2", "3", "4", "5"] { _ = s.apply(.character(Character(key))) }
        #expect(s.apply(.enter) == [])
        #expect(s.status == "choose at least one backend")
        #expect(s.overlay != nil)
        _ = s.apply(.escape)
        #expect(s.overlay == nil)
        #expect(s.configuration.backends == [.xenPV, .kvm, .vmi, .lguest, .vbox])
    }

    @Test func kvmMenuTurnsFeaturesOff() {
        var s = Fixtures.state()
        _ = s.apply(.character("k"))
        let index = KVMFeature.allCases.firstIndex(of: .pv_eoi)! + 1
        _ = s.apply(.character(Character(String(index))))
        guard case .reconfigure(let c)? = s.apply(.enter).first else { Issue.record("no reconfigure"); return }
        #expect(!c.options.kvmFeatures.contains(.pv_eoi))
        #expect(c.options.kvmFeatures.count == KVMFeature.allCases.count - 1)
        #expect(s.status == "kvm off: pv_eoi")
        _ = s.apply(.character("k"))
        #expect(s.apply(.character("k")) == [])  // same key closes
        #expect(s.overlay == nil)
    }

    @Test func whatIfMenuTurnsEPTAPICvAndBatchingOffAndOvercommitOn() {
        var s = Fixtures.state()
        _ = s.apply(.character("k"))
        for _ in KVMFeature.allCases { _ = s.apply(.down) }   // past the pv features
        _ = s.apply(.character(" "))                           // no EPT
        _ = s.apply(.down); _ = s.apply(.character(" "))       // no APICv
        _ = s.apply(.down); _ = s.apply(.character(" "))       // batching off
        _ = s.apply(.down); _ = s.apply(.character(" "))       // overcommit on
        guard case .reconfigure(let c)? = s.apply(.enter).first else { Issue.record("no reconfigure"); return }
        #expect(c.options.ept == false)
        #expect(c.options.apicv == false)
        #expect(c.options.batching == false)
        #expect(c.options.overcommit == 0.2)
        #expect(c.options.kvmFeatures == Set(KVMFeature.allCases))
        #expect(s.status == "kvm: all pv features on, no EPT, no APICv, no batching, overcommit 20%")
    }

    @Test func filterFormSetsClassCpuAndProcess() {
        var s = Fixtures.state()
        _ = s.apply(.character("f"))
        _ = s.apply(.right)                  // class: syscall (first after "all")
        _ = s.apply(.down); _ = s.apply(.right); _ = s.apply(.right)  // cpu 1
        _ = s.apply(.down)
        for c in "make" { _ = s.apply(.character(c)) }  // `q` would be text here too
        _ = s.apply(.character("q")); _ = s.apply(.backspace)
        guard case .reconfigure(let c)? = s.apply(.enter).first else { Issue.record("no reconfigure"); return }
        #expect(c.filter == EventFilter(cpu: 1, process: "make", eventClass: .syscall))
        #expect(s.status == "filter: class=syscall cpu=1 proc=make")
        guard case .reconfigure(let cleared)? = s.apply(.character("c")).first else { Issue.record("no clear"); return }
        #expect(cleared.filter.isEmpty)
        #expect(s.apply(.character("c")) == [])  // nothing to clear
    }

    @Test func helpOpensWithHQuestionMarkF1AndScrolls() {
        for key: Input in [.character("h"), .character("?"), .function(1)] {
            var s = Fixtures.state()
            _ = s.apply(key)
            #expect(s.overlay == .help(scroll: 0))
            _ = s.apply(.down)
            #expect(s.overlay == .help(scroll: 1))
            _ = s.apply(key)
            #expect(s.overlay == nil)
        }
    }

    @Test func quitWorksFromEveryScreen() {
        let overlays: [DashboardState.Overlay?] = [
            nil, .help(scroll: 3), .backends(ToggleMenu(title: "", items: [.init(key: "a", label: "a", isOn: true)])),
            .kvmFeatures(ToggleMenu(title: "", items: [.init(key: "a", label: "a", isOn: true)])), .filter(FilterForm(filter: EventFilter())),
        ]
        for overlay in overlays {
            for key: Input in [.function(10), .interrupt, .character("\u{03}")] {
                var s = Fixtures.state { $0.overlay = overlay }
                #expect(s.apply(key) == [.quit])
            }
            var s = Fixtures.state { $0.overlay = overlay }
            #expect(s.apply(.character("q")) == [.quit])  // q too (in the filter form's class field)
        }
        var typing = Fixtures.state { $0.overlay = .filter(FilterForm(filter: EventFilter())) }
        _ = typing.apply(.down); _ = typing.apply(.down)
        #expect(typing.apply(.character("q")) == [])  // the process field takes q as text
        // The search line takes q as text too; F10 and Ctrl-C still quit from it.
        var searching = Fixtures.state { $0.overlay = .search("mmu") }
        #expect(searching.apply(.character("q")) == [])
        #expect(searching.overlay == .search("mmuq"))
        #expect(searching.apply(.function(10)) == [.quit])
    }

    @Test func resizeAndUnknownKeysChangeNothing() {
        var s = Fixtures.state()
        let before = s
        #expect(s.apply(.resize) == [])
        #expect(s.apply(.character("§")) == [])
        #expect(s == before)
    }

    @Test func demoScriptEndsEachTraceBackOnTheOverview() {
        var s = Fixtures.state()
        for step in DemoDirector.script { _ = s.apply(step.input) }
        #expect(s.view == .overview)
        #expect(DemoDirector.script.allSatisfy { $0.at < DemoDirector.secondsPerTrace })
    }

    @Test func demoDirectorWalksTheViewsAndMovesOn() {
        var d = DemoDirector(traceCount: 2)
        #expect(d.inputs(elapsedSeconds: 1) == [])
        #expect(d.inputs(elapsedSeconds: 13) == [.character("x"), .character("."), .character(" ")])
        #expect(d.inputs(elapsedSeconds: 13) == [])
        #expect(!d.wantsNextTrace(elapsedSeconds: 20))
        // A trace that ended early keeps its place until the tour is over.
        #expect(!d.wantsNextTrace(elapsedSeconds: 20, finished: true))
        #expect(d.wantsNextTrace(elapsedSeconds: 47, finished: true))
        #expect(d.wantsNextTrace(elapsedSeconds: DemoDirector.secondsPerTrace))
        #expect(d.nextTrace() == 1)
        #expect(d.nextTrace() == 0)
        #expect(d.inputs(elapsedSeconds: 6) == [.character("x")])
        #expect(DemoDirector.speed(forDurationNanoseconds: 4_200_000_000) == 0.1)
        #expect(DemoDirector.speed(forDurationNanoseconds: nil) == 1)
    }

    @Test func slowdownHistoryGrowsWithNewEventsAndRestartsWithTheRun() {
        var s = Fixtures.state()   // observed one snapshot of 1000 events
        #expect(s.slowdownHistory.map(\.count) == [1, 1, 1])
        var snap = Fixtures.snapshot(engines: [Fixtures.native(), Fixtures.xen(slowdown: 1.5), Fixtures.kvm()])
        _ = s.observe(snap)                      // same event count: no new point
        #expect(s.slowdownHistory[1] == [1.37])
        snap.eventsReplayed = 2000
        _ = s.observe(snap)
        #expect(s.slowdownHistory[1] == [1.37, 1.5])
        for n in 0..<200 { snap.eventsReplayed = 3000 + UInt64(n); _ = s.observe(snap) }
        #expect(s.slowdownHistory[1].count == DashboardState.historyLength)
        snap.eventsReplayed = 10                 // restarted
        _ = s.observe(snap)
        #expect(s.slowdownHistory[1] == [1.5])
    }

    @Test func tabCyclesFocusAndBackTabReturns() {
        var s = Fixtures.state()
        #expect(s.focus == .latency)
        _ = s.apply(.tab)
        #expect(s.focus == .counters)
        _ = s.apply(.tab)
        #expect(s.focus == .batching)
        _ = s.apply(.tab)
        #expect(s.focus == .latency)
        _ = s.apply(.backTab)
        #expect(s.focus == .batching)
    }

    @Test func focusedCounterTableMovesItsCursorWithinItsRows() {
        var s = Fixtures.state { $0.drillDown = true }
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()]))
        #expect(s.counterRowCount == 6)   // hypercall + 3, trap + 1
        // Unfocused, arrows and Home/End keep their transport meaning.
        #expect(s.apply(.end) == [.seek(toTraceTime: 334_000_000)])
        #expect(s.counterCursor == 0)
        _ = s.apply(.tab)
        #expect(s.apply(.down).isEmpty)
        #expect(s.counterCursor == 1)
        #expect(s.apply(.end).isEmpty)
        #expect(s.counterCursor == 5)
        _ = s.apply(.pageDown)
        #expect(s.counterCursor == 5)   // never past the last row
        _ = s.apply(.up)
        #expect(s.counterCursor == 4)
        _ = s.apply(.pageUp)
        #expect(s.counterCursor == 0)
        _ = s.apply(.end); _ = s.apply(.home)
        #expect(s.counterCursor == 0)
        _ = s.apply(.end); _ = s.apply(.character("x"))
        #expect(s.counterCursor == 0)   // folding starts at the top again
    }
}
