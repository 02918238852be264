import PVKernel
import PVReplay

/// Composes the whole screen from a snapshot: header, engine columns, the view's panels, key
/// bar, and any overlay on top, where `DashboardLayout` puts them; below 80×24 it shows the
/// "need" screen.
public enum DashboardView {
    public static let minimumWidth = DashboardLayout.minimumWidth
    public static let minimumHeight = DashboardLayout.minimumHeight

    static func batchingEngines(_ snapshot: Snapshot) -> [(index: Int, engine: EngineSnapshot)] {
        snapshot.engines.enumerated().filter { !$0.element.descriptor.flushReasons.isEmpty }
            .map { (index: $0.offset, engine: $0.element) }
    }

    public static func layout(snapshot: Snapshot, state: DashboardState, area: Rect) -> DashboardLayout {
        DashboardLayout(area: area, state: state, engineCount: snapshot.engines.count,
                        hasBatching: !batchingEngines(snapshot).isEmpty)
    }

    /// `previous` is an older snapshot (about a second back) used for rates; nil shows `-`.
    public static func render(snapshot: Snapshot, previous: Snapshot?, state: DashboardState,
                              into buffer: inout CellBuffer) {
        let theme = Theme.named(state.theme)
        let area = buffer.area
        buffer.fill(area, style: theme.base)
        let layout = layout(snapshot: snapshot, state: state, area: area)
        guard !layout.tooSmall else {
            TooSmallScreen(needWidth: minimumWidth, needHeight: minimumHeight, theme: theme).render(area, into: &buffer)
            return
        }
        HeaderBar(snapshot: snapshot, state: state, theme: theme).render(layout.header, into: &buffer)
        KeyBar(state: state, theme: theme).render(layout.keyBar, into: &buffer)

        // Rates only make sense against an older snapshot of the same run.
        let usablePrevious = previous.flatMap { p in
            p.positionNanoseconds < snapshot.positionNanoseconds && p.eventsReplayed <= snapshot.eventsReplayed
                && p.engines.map(\.descriptor.id) == snapshot.engines.map(\.descriptor.id) ? p : nil
        }
        let basis = RateBasis(seconds: usablePrevious.map {
            Double(snapshot.positionNanoseconds - $0.positionNanoseconds) / 1e9 } ?? 0)

        for (i, (engine, rect)) in zip(snapshot.engines, layout.engines).enumerated() {
            EngineColumn(engine: engine, previous: usablePrevious?.engines[i], basis: basis, index: i, theme: theme,
                         focused: i == state.focusedEngine && state.view == .overview,
                         history: i < state.slowdownHistory.count ? state.slowdownHistory[i] : [])
                .render(rect, into: &buffer)
        }
        if let strip = layout.stripRect { PageTabs(focus: state.focus, theme: theme).render(strip, into: &buffer) }
        let batching = batchingEngines(snapshot)
        for (panel, rect) in layout.panels {
            switch panel {
            case .latency:
                LatencyPanel(engines: snapshot.engines, eventClass: state.eventClass, theme: theme).render(rect, into: &buffer)
            case .counters:
                let focused = min(state.focusedEngine, snapshot.engines.count - 1)
                CounterTable(engine: snapshot.engines[focused], previous: usablePrevious?.engines[focused], basis: basis,
                             sort: state.sort, drillDown: state.drillDown, theme: theme,
                             cursor: state.counterCursor, focused: state.focus == .counters).render(rect, into: &buffer)
            case .batching:
                renderBatching(batching, theme, rect, &buffer)
            }
        }
        if let main = layout.main {
            switch state.view {
            case .headline: Headline(engines: snapshot.engines, theme: theme).render(main, into: &buffer)
            case .cpus: CPUPanel(engines: snapshot.engines, theme: theme).render(main, into: &buffer)
            case .timeSeries:
                TimeSeriesPanel(series: state.series, engines: snapshot.engines, counter: state.rateCounter,
                                durationNanoseconds: snapshot.trace.durationNanoseconds, theme: theme).render(main, into: &buffer)
            case .step:
                StepPanel(stepped: snapshot.stepped, engines: snapshot.engines, focusedEngine: state.focusedEngine,
                          theme: theme).render(main, into: &buffer)
            case .overview, .latency: break
            }
        }

        switch state.overlay {
        case .help(let scroll)?: HelpOverlay(scroll: scroll, theme: theme).render(layout.body, into: &buffer)
        case .backends(let menu)?, .kvmFeatures(let menu)?: ToggleMenuOverlay(menu: menu, theme: theme).render(layout.body, into: &buffer)
        case .filter(let form)?: FilterOverlay(form: form, theme: theme).render(layout.body, into: &buffer)
        case .search(let text)?: SearchLine(text: text, theme: theme).render(layout.keyBar, into: &buffer)
        case nil: break
        }
    }

    static func renderBatching(_ batching: [(index: Int, engine: EngineSnapshot)], _ theme: Theme,
                               _ area: Rect, _ buffer: inout CellBuffer) {
        if batching.isEmpty {
            buffer.box(area, title: "batching", border: theme.border, titleStyle: theme.title)
            buffer.put(" No batching backend shown (xen-pv, vmi and lguest batch; b adds them)",
                       in: area.inner.row(0), style: theme.dim)
        } else {
            BatchingPanel(engines: batching, theme: theme).render(area, into: &buffer)
        }
    }
}

/// The `/` prompt in place of the key bar while a transition name is typed.
public struct SearchLine: Widget {
    public var text: String
    public var theme: Theme
    public init(text: String, theme: Theme) { self.text = text; self.theme = theme }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        buffer.fill(area.row(0), style: theme.keyLabel)
        let x = buffer.put("/", x: area.x, y: area.y, style: theme.keyName, clip: area)
        let after = buffer.put(text + "▏", x: x, y: area.y, style: theme.keyLabel, clip: area)
        buffer.put("  Enter find · Esc cancel · transition name, any case", x: after, y: area.y, style: theme.dim, clip: area)
    }
}
