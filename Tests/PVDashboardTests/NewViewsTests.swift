import PVDashboard
import PVKernel
import PVReplay
import Testing

/// The step panel and the time-series view, rendered into cell buffers.
@Suite struct NewViewsTests {
    let theme = Theme.dark

    func render(_ w: some Widget, _ width: Int, _ height: Int) -> CellBuffer { Fixtures.render(w, width, height) }

    static let stepped = SteppedEvent(
        positionNanoseconds: 212_345_000, cpu: 1, task: "cc1-4242", name: "pageFault",
        fields: "user=true address=0x7f123000 errorCode=6", line: 1234,
        ops: [
            [PricedOp(op: .set_pte, count: 1, kind: .instruction, action: "mov to the PTE", cycles: 3, transitions: [], flushedEntries: 0)],
            [PricedOp(op: .set_pte, count: 1, kind: .batched, action: "mmu_update", cycles: 4100,
                      transitions: [.init(kind: .hypercall, name: "mmu_update", count: 1)], flushedEntries: 0),
             PricedOp(op: .flush_tlb_one_user, count: 2, kind: .batched, action: "mmuext_op", cycles: 20, transitions: [], flushedEntries: 0)],
            [PricedOp(op: .set_pte, count: 1, kind: .instruction, action: "mov (EPT: no exit)", cycles: 3, transitions: [], flushedEntries: 0)],
        ])

    @Test func stepPanelShowsTheEventAndWhatEachEngineMadeOfIt() {
        let engines = [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()]
        let b = render(StepPanel(stepped: Self.stepped, engines: engines, focusedEngine: 1, theme: theme), 160, 20)
        let text = b.text
        #expect(b.line(1).contains("0.212 s  cpu1  cc1-4242  pageFault  user=true address=0x7f123000 errorCode=6  (line 1234)"))
        #expect(text.contains("native"))
        #expect(text.contains("set_pte"))
        #expect(text.contains("hypercall mmu_update"))
        #expect(text.contains("queued in the batch"))
        #expect(text.contains("flush_tlb_one_user ×2"))
        #expect(text.contains("4.12k cycles"))   // xen-pv's total in its title
        #expect(text.contains("native instruction"))
    }

    /// Task names come from the trace: a CJK or emoji comm takes two columns per character, as
    /// on the terminal, and the rest of the line and the boxes keep their columns.
    @Test func aWideTaskNameTakesTwoColumnsAndKeepsTheLayout() {
        let engines = [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()]
        var wide = Self.stepped
        wide.task = "编译器🚀-4242"
        let b = render(StepPanel(stepped: wide, engines: engines, focusedEngine: 1, theme: theme), 160, 20)
        let plain = render(StepPanel(stepped: Self.stepped, engines: engines, focusedEngine: 1, theme: theme), 160, 20)
        #expect(b.line(1).contains("cpu1  编译器🚀-4242  pageFault  user=true"))
        // "编译器🚀" is 8 columns where "cc1" was 3: the event name moves 5 columns right.
        let nameColumn = { (buffer: CellBuffer) in (0..<160).first { buffer[$0, 1].scalar == "p" && buffer[$0 + 1, 1].scalar == "a" } }
        #expect(nameColumn(b).map { $0 - 5 } == nameColumn(plain))
        for y in 0..<20 {
            #expect((0..<160).reduce(0) { $0 + Int(b[$1, y].width) } == 160, "row \(y)")
            #expect(b[159, y].scalar == plain[159, y].scalar, "right border, row \(y)")
        }
        #expect(b.text.split(separator: "\n").dropFirst(2) == plain.text.split(separator: "\n").dropFirst(2))
    }

    @Test func stepPanelAt80x24ShowsNativeAndTheFocusedEngine() {
        let engines = [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()]
        let b = render(StepPanel(stepped: Self.stepped, engines: engines, focusedEngine: 2, theme: theme), 80, 9)
        #expect(b.text.contains("┌ native"))
        #expect(b.text.contains("┌ kvm"))
        #expect(!b.text.contains("┌ xen-pv"))
        #expect(b.text.contains("e: next engine"))
        let none = render(StepPanel(stepped: nil, engines: engines, focusedEngine: 1, theme: theme), 80, 6)
        #expect(none.text.contains("Press . to replay one event"))
    }

    /// Two snapshots a second apart: xen-pv pays 1.5× in the first interval, 1.1× in the second.
    static func series() -> TimeSeries {
        var series = TimeSeries()
        func snap(_ position: UInt64, native: Double, xen: Double, hypercalls: UInt64) -> Snapshot {
            var n = Fixtures.native(), x = Fixtures.xen(transitions: [hypercalls, 0, 0, 0])
            n.metrics.cpuClockNanoseconds = [native]
            x.metrics.cpuClockNanoseconds = [xen]
            return Fixtures.snapshot(engines: [n, x], position: position, duration: 3_000_000_000)
        }
        series.record(snap(0, native: 0, xen: 0, hypercalls: 0))
        series.record(snap(1_000_000_000, native: 1e9, xen: 1.5e9, hypercalls: 1000))
        series.record(snap(2_000_000_000, native: 2e9, xen: 2.6e9, hypercalls: 1500))
        return series
    }

    @Test func timeSeriesIntervalsAreSlowdownsPerIntervalNotCumulative() {
        let intervals = Self.series().intervals(counter: .hypercalls)
        #expect(intervals.count == 2)
        #expect(abs(intervals[0].slowdown[1]! - 1.5) < 1e-9)
        #expect(abs(intervals[1].slowdown[1]! - 1.1) < 1e-9)
        #expect(intervals[0].rate[1] == 1000 && intervals[1].rate[1] == 500)
        // A seek back starts a new series.
        var s = Self.series()
        s.record(Fixtures.snapshot(engines: [Fixtures.native(), Fixtures.xen()], position: 500_000_000))
        #expect(s.positions.count == 1)
    }

    @Test func timeSeriesPanelLabelsItsAxesAndLegend() {
        let engines = [Fixtures.native(), Fixtures.xen()]
        let b = render(TimeSeriesPanel(series: Self.series(), engines: engines, counter: .hypercalls,
                                       durationNanoseconds: 3_000_000_000, theme: theme), 100, 16)
        let text = b.text
        #expect(text.contains("· native  ● xen-pv"))
        #expect(text.contains("1.50× ┤"))     // the top of the slowdown axis: the worst interval
        #expect(text.contains("1.00× ┤"))     // and native's baseline at the bottom
        #expect(text.contains("slowdown"))
        #expect(text.contains("hypercalls/s"))
        #expect(text.contains("trace s"))
        #expect(text.contains("3.000"))
        // xen-pv's glyph is on the top row in the first third and lower afterwards.
        let top = b.line(2)
        #expect(top.contains("●"))
    }

    @Test func nKeyPicksTheCounterTheTimeSeriesDraws() {
        var s = Fixtures.state()
        for _ in TimeSeries.Counter.allCases { _ = s.apply(.character("n")) }
        #expect(s.rateCounter == .transitions)
    }
}
