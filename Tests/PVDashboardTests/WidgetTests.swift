@testable import PVDashboard
import PVKernel
import PVReplay
import Testing

@Suite struct WidgetTests {
    let theme = Theme.dark

    func render(_ w: some Widget, _ width: Int, _ height: Int) -> CellBuffer { Fixtures.render(w, width, height) }

    @Test func headerShowsTracePlayStateTimeAndProfile() {
        let s = Fixtures.state { $0.setSpeed(4) }
        let b = render(HeaderBar(snapshot: Fixtures.snapshot(engines: [Fixtures.native()]), state: s, theme: theme), 90, 1)
        #expect(b.text == " pvtop  compile.trace  2 CPUs  ▶ 5×  0.212 / 0.334 s                 profile: modern-2020")
    }

    @Test func headerShowsPauseEndLoopAndFilter() {
        var s = Fixtures.state()
        s.playing = false
        s.looping = true
        s.configuration.filter = EventFilter(cpu: 1)
        let paused = render(HeaderBar(snapshot: Fixtures.snapshot(engines: [Fixtures.native()]), state: s, theme: theme), 100, 1)
        #expect(paused.text.contains("⏸ 1×"))
        #expect(paused.text.contains("⟳ loop"))
        #expect(paused.text.contains("filter: cpu=1"))
        let ended = render(HeaderBar(snapshot: Fixtures.snapshot(engines: [Fixtures.native()], finished: true), state: s, theme: theme), 100, 1)
        #expect(ended.text.contains("■ end"))
    }

    @Test func transitionBreakdownRanksByTimeWithCountShareOfTimeAndBar() {
        let b = render(TransitionBreakdown(engine: Fixtures.xen(), theme: theme, barStyle: theme.bar), 34, 5)
        #expect(b.text == """
            pte_write     50  38% ████████████
            mmu_update   600  29% █████████
            mmuext_op    250  24% ███████▌
            multicall    100  10% ███

            """)
    }

    @Test func counterTableRanksByTimeWithCountTimeShareAverageAndRate() {
        let before = Fixtures.xen(transitions: [500, 240, 60, 50])
        let t = CounterTable(engine: Fixtures.xen(), previous: before, basis: RateBasis(seconds: 0.5),
                             sort: .time, drillDown: false, theme: theme)
        let b = render(t, 64, 6)
        // The trap is 5 % of the count and 38 % of the time (8.00k cycles each).
        #expect(b.text == """
            ┌ counters · xen-pv ─────────────────── sort: time (o) x drill ┐
            │ Event                       Count  %Cnt %Time Avg cyc  Rate/s│
            │ hypercall                     950   95%   62%     684     300│
            │ trap                           50    5%   38%   8.00k       0│
            │ Total                       1.00k  100%  100%   1.05k     300│
            └──────────────────────────────────────────────────────────────┘
            """)
    }

    @Test func counterTableDrillDownRanksChildrenByTimeUnlessSortedOtherwise() {
        let before = Fixtures.xen(transitions: [500, 240, 60, 50])
        let byTime = CounterTable(engine: Fixtures.xen(), previous: before, basis: RateBasis(seconds: 0.5),
                                  sort: .time, drillDown: true, theme: theme)
        // mmu_update is the most frequent hypercall but the trap costs more than all of them.
        #expect(byTime.rows().map(\.name) == ["hypercall", "mmu_update", "mmuext_op", "multicall", "trap", "pte_write"])
        #expect(byTime.rows().map(\.cycles) == [650_000, 300_000, 250_000, 100_000, 400_000, 400_000])
        let byRate = CounterTable(engine: Fixtures.xen(), previous: before, basis: RateBasis(seconds: 0.5),
                                  sort: .rate, drillDown: true, theme: theme)
        #expect(byRate.rows().map(\.name) == ["hypercall", "mmu_update", "multicall", "mmuext_op", "trap", "pte_write"])
        let byCount = CounterTable(engine: Fixtures.xen(), previous: before, basis: RateBasis(seconds: 0.5),
                                   sort: .count, drillDown: true, theme: theme)
        #expect(byCount.rows().map(\.name) == ["hypercall", "mmu_update", "mmuext_op", "multicall", "trap", "pte_write"])
        let kvm = CounterTable(engine: Fixtures.kvm(), previous: nil, basis: RateBasis(seconds: 0), sort: .time,
                               drillDown: true, theme: theme)
        #expect(kvm.rows().map(\.name) == ["vm_exit", "HLT", "MSR_WRITE"])   // 100 HLT cost twice 300 MSR_WRITE
    }

    @Test func counterTableScrollsToKeepTheCursorRowInView() {
        let t = CounterTable(engine: Fixtures.xen(), previous: nil, basis: RateBasis(seconds: 0), sort: .time,
                             drillDown: true, theme: theme, cursor: 5, focused: true)
        let b = render(t, 64, 7)   // room for 3 of 6 rows
        #expect(b.line(0).contains("4-6/6"))
        #expect(b.line(2).contains("multicall"))
        #expect(b.line(4).contains("pte_write"))
        #expect(b.text.contains("Total"))   // the total stays below the window
        #expect(CounterTable.firstVisibleRow(cursor: 0, rows: 6, visible: 3) == 0)
        #expect(CounterTable.firstVisibleRow(cursor: 3, rows: 6, visible: 3) == 2)
        #expect(CounterTable.firstVisibleRow(cursor: 5, rows: 6, visible: 3) == 3)
        #expect(CounterTable.firstVisibleRow(cursor: 1, rows: 2, visible: 3) == 0)
    }

    @Test func counterTableForNativeListsEventClasses() {
        let native = Fixtures.native(latencies: [.pageFault: [500, 600, 700], .syscall: [90]])
        let t = CounterTable(engine: native, previous: nil, basis: RateBasis(seconds: 0), sort: .count, drillDown: false, theme: theme)
        #expect(t.rows().map(\.name) == ["page_fault", "syscall"])
        #expect(t.rows().map(\.rate) == [nil, nil])
    }

    @Test func ratesNeedAnIntervalAndMonotonicCounters() {
        let basis = RateBasis(seconds: 2)
        #expect(basis.rate(300, 100) == 100)
        #expect(basis.rate(100, 300) == nil)
        #expect(basis.rate(100, nil) == nil)
        #expect(RateBasis(seconds: 0).rate(3, 1) == nil)
    }

    @Test func batchingPanelShowsSizeRowsAndFlushReasons() {
        #expect(BatchingPanel.sizeRows([0, 10, 0, 20, 0, 0, 0, 0, 5]).map(\.label) == ["1", "2-3", "4-7", "8+"])
        #expect(BatchingPanel.sizeRows([0, 10, 0, 20, 0, 0, 0, 0, 5]).map(\.count) == [10, 20, 0, 5])
        let b = render(BatchingPanel(engines: [(index: 1, engine: Fixtures.xen())], theme: theme), 44, 11)
        #expect(b.text == """
            ┌ batching ── size at flush · flush reason ┐
            │xen-pv  35 batches avg 3.7                │
            │     1     10 █████████████▌              │
            │   2-3     20 ███████████████████████████ │
            │  8-15      5 ██████▊                     │
            │flushed by                                │
            │ lazy-leave                      25  71%  │
            │ full-slots                       5  14%  │
            │ end                              5  14%  │
            │                                          │
            └──────────────────────────────────────────┘
            """)
    }

    @Test func engineColumnShowsSlowdownTransitionsAndSettings() {
        let b = render(EngineColumn(engine: Fixtures.kvm(), previous: nil, basis: RateBasis(seconds: 0), index: 2, theme: theme), 34, 8)
        #expect(b.text == """
            ┌ kvm ──────────────── 1.04× +4% ┐
            │sim 1.04 ms   ev 1.00k ops 4.00k│
            │VM exits                     400│
            │HLT         100  67% ███████████│
            │MSR_WRITE   300  33% █████▌     │
            │pv_eoi ✓  pv_ipi ✗              │
            │                                │
            └────────────────────────────────┘
            """)
    }

    @Test func engineColumnDrawsTheSlowdownTrendWhenRowsAreSpare() {
        let column = EngineColumn(engine: Fixtures.kvm(), previous: nil, basis: RateBasis(seconds: 0), index: 2, theme: theme,
                                  history: [1.0, 1.02, 1.04])
        // The scale is the legend: lowest to highest of the points drawn.
        #expect(render(column, 34, 12).line(2) == "│trend ▁▅█ 1.00–1.04×            │")
        let flat = EngineColumn(engine: Fixtures.kvm(), previous: nil, basis: RateBasis(seconds: 0), index: 2, theme: theme,
                                history: [1.04, 1.041, 1.04])
        #expect(render(flat, 34, 12).line(2) == "│trend ▄▄▄ 1.04×                 │")
        #expect(!render(column, 34, 8).text.contains("trend"))   // no spare rows: breakdown first
    }

    @Test func headerSaysWhenTheDemoRuns() {
        var s = Fixtures.state()
        s.demoRunning = true
        let b = render(HeaderBar(snapshot: Fixtures.snapshot(engines: [Fixtures.native()]), state: s, theme: theme), 120, 1)
        #expect(b.text.contains("demo: any key takes over"))
    }

    @Test func narrowEngineColumnMovesTheSlowdownInside() {
        let b = render(EngineColumn(engine: Fixtures.xen(), previous: nil, basis: RateBasis(seconds: 0), index: 1, theme: theme), 16, 8)
        #expect(b.line(0) == "┌ xen-pv ──────┐")
        #expect(b.line(1) == "│1.37× +37%    │")
    }

    @Test func theBatchLineShortensItsWordsNeverItsCount() {
        var xen = Fixtures.xen()
        xen.metrics.flushReasonCounts = [7_000, 400, 70]  // 7.47k flushes
        let column = EngineColumn(engine: xen, previous: nil, basis: RateBasis(seconds: 0), index: 1, theme: theme)
        #expect(column.batchLine(width: 40)?.hasPrefix("batches 7.47k avg ") == true)
        #expect(column.batchLine(width: 13) == "batches 7.47k")
        #expect(column.batchLine(width: 12) == "batch 7.47k")   // 80×24: was clipped to `batches 7.47`
        #expect(column.batchLine(width: 5) == "7.47k")
        #expect(EngineColumn(engine: Fixtures.kvm(), previous: nil, basis: RateBasis(seconds: 0), index: 2, theme: theme)
            .batchLine(width: 40) == nil)
    }

    @Test func latencyPanelDrawsLog2RowsAndPercentileLadderWithDeltas() {
        let native = Fixtures.native(latencies: [.pageFault: Array(repeating: 600, count: 30) + [1500]])
        let xen = Fixtures.xen(latencies: [.pageFault: Array(repeating: 1200, count: 30) + [3000]])
        let b = render(LatencyPanel(engines: [native, xen], eventClass: .pageFault, theme: theme), 70, 12)
        // Histograms keep 2 significant digits: 600 reads back as its bucket's top, 603.
        #expect(b.text == """
            ┌ latency · page_fault · simulated ns, log2 ───────── n=31  v: class ┐
            │                native                     xen-pv                   │
            │     [512, 1K)     30 ███████████████████                           │
            │      [1K, 2K)      1 ▋                       30 ██████████████████ │
            │      [2K, 4K)                                 1 ▋                  │
            │                                                                    │
            │           p50    603 ns                    1.21 µs +604 ns         │
            │           p95    603 ns                    1.21 µs +604 ns         │
            │           p99   1.50 µs                    3.00 µs +1.50 µs        │
            │         p99.9   1.50 µs                    3.00 µs +1.50 µs        │
            │        p99.99   1.50 µs                    3.00 µs +1.50 µs        │
            └────────────────────────────────────────────────────────────────────┘
            """)
    }

    @Test func latencyBucketsSplitPowersOfTwo() {
        var h = EngineMetrics.makeHistogram()
        for v: UInt64 in [1, 600, 700, 800, 1100] { h.record(v) }
        #expect(LatencyPanel.buckets(h) == [0: 1, 9: 3, 10: 1])
        let halves = LatencyPanel.buckets(h, subdivisions: 1)
        #expect(halves == [0: 1, 18: 2, 19: 1, 20: 1])
        #expect(LatencyPanel.label(18, subdivisions: 1) == "[512, 768)")
        #expect(LatencyPanel.label(19, subdivisions: 1) == "[768, 1K)")
        #expect(LatencyPanel.label(9, subdivisions: 0) == "[512, 1K)")
    }

    @Test func latencyPanelSplitsPowersOfTwoOnlyWhenThatShowsMore() {
        // One value per engine: log2 rows are enough, however many rows are free.
        let single = render(LatencyPanel(engines: [Fixtures.native(latencies: [.ipi: [600]]),
                                                   Fixtures.xen(latencies: [.ipi: [2400]])], eventClass: .ipi, theme: theme), 70, 20)
        #expect(single.text.contains("[512, 1K)"))
        #expect(single.text.contains("[2K, 4K)"))
        #expect(!single.text.contains("÷"))
        // Values that share a power of two but not a half of it: halves.
        let spread = render(LatencyPanel(engines: [Fixtures.native(latencies: [.ipi: [520, 900]])], eventClass: .ipi, theme: theme), 70, 20)
        #expect(spread.text.contains("[512, 768)"))
        #expect(spread.text.contains("[768, 1K)"))
        #expect(spread.text.contains("÷2"))
    }

    @Test func latencyPanelSaysWhenTheClassHasNoSamples() {
        let b = render(LatencyPanel(engines: [Fixtures.native()], eventClass: .fork, theme: theme), 70, 6)
        #expect(b.text.contains("fork: no latency, a trace shows no begin/end pair"))
        let empty = render(LatencyPanel(engines: [Fixtures.native()], eventClass: .syscall, theme: theme), 70, 6)
        #expect(empty.text.contains("no syscall samples yet"))
    }

    @Test func keyBarKeepsHelpAndQuitWhenNarrow() {
        let wide = render(KeyBar(state: Fixtures.state(), theme: theme), 160, 1)
        #expect(wide.text.hasPrefix("F1Help SpacePause .Step +-Speed ←→Seek TabPanel bBackends"))
        let narrow = render(KeyBar(state: Fixtures.state(), theme: theme), 30, 1)
        #expect(narrow.text.hasPrefix("F1Help"))
        #expect(narrow.text.contains("qQuit"))
        #expect(narrow.text.count <= 30)
        var s = Fixtures.state()
        s.say("speed 4×")
        #expect(render(KeyBar(state: s, theme: theme), 120, 1).text.hasSuffix("speed 4×"))
        let k = theme.keyName, l = theme.keyLabel
        #expect(wide[0, 0].style == k && wide[2, 0].style == l)
    }

    @Test func tooSmallScreenNamesBothSizesAndTheWayOut() {
        let b = render(TooSmallScreen(needWidth: 80, needHeight: 24, theme: theme), 40, 10)
        #expect(b.text.contains("pvtop needs 80×24"))
        #expect(b.text.contains("this terminal is 40×10"))
        #expect(b.text.contains("press q to quit"))
    }

    @Test func bigDigitsSpellTheSlowdown() {
        #expect(BigDigits.rows("1.37×") == [
            " █    ███ ███    ",
            "██      █   █ █ █",
            " █    ███   █  █ ",
            " █      █   █ █ █",
            "███ █ ███   █    ",
        ])
        #expect(BigDigits.rows("1.", scale: 2) == ["  ██      ", "████      ", "  ██      ", "  ██      ", "██████  ██"])
    }

    @Test func headlineShowsEachParavirtEngineInBigDigits() {
        let b = render(Headline(engines: [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()], theme: theme), 120, 20)
        #expect(b.text.contains("slowdown vs native (1.00×)"))
        #expect(b.text.contains("xen-pv"))
        #expect(b.text.contains("kvm (vt-x, ept)"))
        #expect(b.text.contains("+37% · 1.00k transitions"))
        #expect(b.text.contains("██████  ██  ██████      ██"))
    }

    @Test func extraCostBarSplitsTheExtraCyclesByKindOfKernelWork() {
        // Every event class belongs to exactly one part.
        let classes = ExtraCostBar.parts.flatMap(\.classes)
        #expect(classes.count == EventClass.allCases.count && Set(classes) == Set(EventClass.allCases))
        #expect(Set(ExtraCostBar.parts.map(\.glyph)).count == ExtraCostBar.parts.count)
        var native = Fixtures.native(), xen = Fixtures.xen()
        native.metrics.classCycles[EventClass.pageFault.index] = 1_000
        xen.metrics.classCycles[EventClass.pageFault.index] = 7_000     // +6000 MMU
        native.metrics.classCycles[EventClass.syscall.index] = 1_000
        xen.metrics.classCycles[EventClass.syscall.index] = 3_000       // +2000 syscall
        native.metrics.classCycles[EventClass.idle.index] = 500
        xen.metrics.classCycles[EventClass.idle.index] = 100            // cheaper: adds nothing
        let extra = ExtraCostBar.extraCycles(xen, over: native)
        #expect(extra[0] == 6_000 && extra[1] == 2_000 && extra[5] == 0)
        #expect(ExtraCostBar.cells(extra, width: 8) == [6, 2, 0, 0, 0, 0, 0])
        #expect(ExtraCostBar.cells([1, 1, 1], width: 10).reduce(0, +) == 10)
        #expect(ExtraCostBar.cells([0, 0], width: 10) == [0, 0])
        let b = render(ExtraCostBar(engine: xen, native: native, theme: theme), 8, 1)
        #expect(b.text == "██████▓▓")
        let headline = render(Headline(engines: [native, xen], theme: theme), 120, 20)
        #expect(headline.text.contains("extra cycles beyond native: █ MMU / page tables  ▓ syscall entry"))
        #expect(headline.text.contains("███▓"))
    }

    @Test func cpuPanelShowsEachEnginesSlowdownPerCPU() {
        var native = Fixtures.native(), xen = Fixtures.xen(), kvm = Fixtures.kvm()
        native.metrics.cpuClockNanoseconds = [1_000_000, 2_000_000]
        xen.metrics.cpuClockNanoseconds = [1_500_000, 2_100_000]
        kvm.metrics.cpuClockNanoseconds = [1_000_000, 2_000_000]
        #expect(CPUPanel.slowdown([native, xen, kvm], engine: 1, cpu: 0) == 1.5)
        #expect(CPUPanel.slowdown([native, xen, kvm], engine: 1, cpu: 1) == 1.05)
        #expect(CPUPanel.slowdown([native, xen, kvm], engine: 1, cpu: 2) == nil)
        let b = render(CPUPanel(engines: [native, xen, kvm], theme: theme), 70, 6)
        // One scale for all bars: cpu0's +50 % fills its cell, cpu1's +5 % a tenth of it.
        #expect(b.line(1) == "│ CPU  native    xen-pv                    kvm                       │")
        #expect(b.line(2) == "│ cpu0 1.00 ms   1.50× +50% ██████████████ 1.00×                     │")
        #expect(b.line(3) == "│ cpu1 2.00 ms   1.05× +5% █▌              1.00×                     │")
    }

    @Test func helpOverlayExplainsBlindSpots() {
        let b = render(HelpOverlay(scroll: 100, theme: theme), 100, 40)
        #expect(b.text.contains("No device I/O"))
        #expect(b.text.contains("Cache and TLB effects are rates"))
        #expect(b.text.contains("Native is an estimate of bare metal"))
        #expect(b.text.contains("Latency is simulated"))
        let top = render(HelpOverlay(scroll: 0, theme: theme), 100, 40)
        #expect(top.text.contains("perf kvm stat report's table"))
        let keys = render(HelpOverlay(scroll: 24, theme: theme), 100, 40)
        #expect(keys.text.contains("q F10 Ctrl-C  quit"))
    }

    @Test func menusShowCheckboxesAndTheCursor() {
        let menu = ToggleMenu(title: "Backends beside native", items: [.init(key: "xen-pv", label: "xen-pv", isOn: true), .init(key: "kvm", label: "kvm", isOn: false)])
        let b = render(ToggleMenuOverlay(menu: menu, theme: theme), 60, 12)
        #expect(b.text.contains(" 1 [x] xen-pv"))
        #expect(b.text.contains(" 2 [ ] kvm"))
        let f = render(FilterOverlay(form: FilterForm(filter: EventFilter(cpu: 1, eventClass: .syscall)), theme: theme), 60, 12)
        #expect(f.text.contains("event class ◀ syscall ▶"))
        #expect(f.text.contains("cpu         ◀ 1 ▶"))
    }
}
