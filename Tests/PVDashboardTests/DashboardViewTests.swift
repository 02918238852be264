import PVDashboard
import PVKernel
import PVReplay
import Testing

@Suite struct DashboardViewTests {
    func frame(_ width: Int, _ height: Int, seconds: Double = 2, state configure: (inout DashboardState) -> Void = { _ in })
        -> CellBuffer {
        let (replay, before) = Fixtures.preview(seconds: seconds - 1)
        try! replay.advance(toTraceTime: UInt64(seconds * 1e9), eventBudget: Int.max)
        let now = replay.snapshot()
        var s = DashboardState(configuration: replay.configuration, profiles: ["modern-2020"])
        _ = s.observe(now)
        configure(&s)
        var b = CellBuffer(width: width, height: height)
        DashboardView.render(snapshot: now, previous: before, state: s, into: &b)
        return b
    }

    @Test func fullViewAt160x48HasEveryPanel() {
        let b = frame(160, 48)
        let t = b.text
        #expect(b.line(0).hasPrefix(" pvtop  preview (synthetic)  2 CPUs  ▶ 1×  2.000 / 10.000 s"))
        #expect(b.line(0).hasSuffix("profile: modern-2020"))
        for engine in ["┌ native ", "┌ xen-pv ", "┌ kvm ", "┌ vmi ", "┌ lguest "] { #expect(t.contains(engine)) }
        #expect(t.contains("1.00× ┐"))
        #expect(t.contains("┌ counters · xen-pv "))
        #expect(t.contains(" Event ") && t.contains("Count  %Cnt %Time Avg cyc  Rate/s"))
        #expect(t.contains("┌ batching "))
        #expect(t.contains("flushed by"))
        #expect(t.contains("┌ latency · page_fault · simulated ns, log2"))
        #expect(t.contains("p99.9"))
        #expect(b.line(47).hasPrefix("F1Help SpacePause"))
        #expect(b.line(47).contains("qQuit"))
        // Rates come from the snapshot one trace second earlier.
        #expect(t.contains("/s"))
    }

    @Test func minimumViewAt80x24KeepsSlowdownsLatencyAndKeys() {
        let b = frame(80, 24)
        let t = b.text
        #expect(b.line(0).hasPrefix(" pvtop  preview (synthetic)"))
        #expect(b.line(2).hasPrefix("│1.00×"))
        #expect(t.contains("│1.0"))   // each paravirt slowdown on its first line
        #expect(t.contains("latency · page_fault"))
        #expect(t.contains("p50"))
        #expect(!t.contains("counters ·"))  // the middle row is the first to go
        #expect(b.line(23).hasPrefix("F1Help"))
        #expect(b.line(23).contains("qQuit"))
        for y in 0..<24 { #expect(b.line(y).count <= 80) }
    }

    @Test func everySizeFrom80x24To200x60Renders() {
        for (w, h) in [(80, 24), (100, 30), (120, 40), (160, 48), (200, 60), (81, 59), (199, 25)] {
            let b = frame(w, h)
            #expect(b.line(0).hasPrefix(" pvtop"), "\(w)×\(h)")
            #expect(b.line(h - 1).hasPrefix("F1Help"), "\(w)×\(h)")
            #expect(b.text.contains("latency ·"), "\(w)×\(h)")
        }
    }

    @Test func belowMinimumShowsTheNeedScreen() {
        for (w, h) in [(79, 24), (80, 23), (30, 10)] {
            let t = frame(w, h).text
            #expect(t.contains("pvtop needs 80×24"))
            #expect(t.contains("this terminal is \(w)×\(h)"))
            #expect(!t.contains("latency"))
        }
    }

    @Test func latencyAndHeadlineViews() {
        let latency = frame(120, 40) { $0.view = .latency; $0.eventClass = .syscall }
        #expect(latency.text.contains("latency · syscall"))
        let headline = frame(120, 40) { $0.view = .headline }
        #expect(headline.text.contains("slowdown vs native"))
        #expect(headline.text.contains("█"))
        #expect(!headline.text.contains("latency ·"))
    }

    @Test func overlaysDrawOnTop() {
        let help = frame(100, 30) { $0.overlay = .help(scroll: 0) }
        #expect(help.text.contains("pvtop help"))
        #expect(help.line(29).hasPrefix("EscClose"))
        let menu = frame(100, 30) { s in _ = s.apply(.character("b")) }
        #expect(menu.text.contains("Backends beside native"))
        #expect(menu.text.contains("[x] xen-pv"))
    }

    @Test func rateBaselineFromAnotherRunIsIgnored() {
        let (replay, _) = Fixtures.preview(seconds: 2)
        let now = replay.snapshot()
        var later = now
        later.positionNanoseconds += 1  // "previous" after the current one: a restart happened
        var b = CellBuffer(width: 160, height: 48)
        DashboardView.render(snapshot: now, previous: later, state: DashboardState(configuration: replay.configuration), into: &b)
        #expect(!b.text.contains("k/s"))
    }
}

@Suite struct ThemeTests {
    @Test func everyThemeHasDistinctRoles() {
        for name in Theme.Name.allCases {
            let t = Theme.named(name)
            #expect(t.name == name)
            #expect(t.worse != t.text, "\(name)")
            #expect(t.keyName != t.keyLabel, "\(name)")
            #expect(t.header != t.text, "\(name)")
        }
    }

    @Test func lightThemesPaintTheirOwnBackgroundAndAvoidYellowText() {
        for t in [Theme.light, Theme.highContrast] {
            #expect(t.base.background == .brightWhite)
            let onWhite = [t.text, t.dim, t.border, t.title, t.worse, t.better, t.bar] + t.engineBars
            for s in onWhite {
                #expect(s.background == .brightWhite)
                #expect(![Color.yellow, .brightYellow, .white, .brightWhite, .brightCyan].contains(s.foreground))
            }
        }
    }

    @Test func monoUsesNoColourAtAll() {
        let t = Theme.mono
        let all = [t.base, t.text, t.dim, t.border, t.title, t.header, t.headerAccent, t.worse, t.better, t.bar,
                   t.keyName, t.keyLabel, t.overlay, t.overlayTitle, t.selected, t.warning] + t.engineBars
        #expect(all.allSatisfy { $0.foreground == .terminalDefault && $0.background == .terminalDefault })
    }

    @Test func lightFrameIsLightEverywhere() {
        let (replay, _) = Fixtures.preview(seconds: 1)
        var b = CellBuffer(width: 100, height: 30)
        DashboardView.render(snapshot: replay.snapshot(), previous: nil,
                             state: DashboardState(configuration: replay.configuration, theme: .light), into: &b)
        // Every cell except the header and key bar rows sits on white.
        for y in 1..<29 { for x in 0..<100 { #expect(b[x, y].style.background == .brightWhite) } }
    }
}
