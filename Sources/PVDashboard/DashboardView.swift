import PVKernel
import PVReplay

/// Composes the whole screen from a snapshot: header, engine columns, counter table and
/// batching panel, latency panel, key bar, and any overlay on top. Degrades from 200×60 down to
/// 80×24 by shrinking and then dropping the middle row; below 80×24 it shows the "need" screen.
public enum DashboardView {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    /// `previous` is an older snapshot (about a second back) used for rates; nil shows `-`.
    public static func render(snapshot: Snapshot, previous: Snapshot?, state: DashboardState,
                              into buffer: inout CellBuffer) {
        let theme = Theme.named(state.theme)
        let area = buffer.area
        buffer.fill(area, style: theme.base)
        guard area.width >= minimumWidth, area.height >= minimumHeight else {
            TooSmallScreen(needWidth: minimumWidth, needHeight: minimumHeight, theme: theme).render(area, into: &buffer)
            return
        }
        let (headerRow, rest) = area.splitTop(1)
        let (body, keyRow) = rest.splitBottom(1)
        HeaderBar(snapshot: snapshot, state: state, theme: theme).render(headerRow, into: &buffer)
        KeyBar(state: state, theme: theme).render(keyRow, into: &buffer)

        // Rates only make sense against an older snapshot of the same run.
        let usablePrevious = previous.flatMap { p in
            p.positionNanoseconds < snapshot.positionNanoseconds && p.eventsReplayed <= snapshot.eventsReplayed
                && p.engines.map(\.descriptor.id) == snapshot.engines.map(\.descriptor.id) ? p : nil
        }
        let basis = RateBasis(seconds: usablePrevious.map {
            Double(snapshot.positionNanoseconds - $0.positionNanoseconds) / 1e9 } ?? 0)

        switch state.view {
        case .headline:
            Headline(engines: snapshot.engines, theme: theme).render(body, into: &buffer)
        case .cpus:
            let (top, bottom) = body.splitTop(min(max(body.height * 3 / 10, 9), 16))
            renderEngines(snapshot, usablePrevious, basis, state, theme, top, &buffer)
            CPUPanel(engines: snapshot.engines, theme: theme).render(bottom, into: &buffer)
        case .latency:
            let (top, bottom) = body.splitTop(min(6, body.height / 4))
            renderEngines(snapshot, usablePrevious, basis, state, theme, top, &buffer)
            LatencyPanel(engines: snapshot.engines, eventClass: state.eventClass, theme: theme).render(bottom, into: &buffer)
        case .overview:
            let engineHeight = min(max(body.height * 3 / 10, 9), 16)
            let (top, lower) = body.splitTop(engineHeight)
            renderEngines(snapshot, usablePrevious, basis, state, theme, top, &buffer)
            let batching = snapshot.engines.enumerated().filter { !$0.element.descriptor.flushReasons.isEmpty }
                .map { (index: $0.offset, engine: $0.element) }
            let focused = min(state.focusedEngine, snapshot.engines.count - 1)
            let table = CounterTable(engine: snapshot.engines[focused],
                                     previous: usablePrevious?.engines[focused], basis: basis,
                                     sort: state.sort, drillDown: state.drillDown, theme: theme,
                                     cursor: state.counterCursor, focused: state.focus == .counters)
            let latency = LatencyPanel(engines: snapshot.engines, eventClass: state.eventClass, theme: theme)
            // Every panel at once only when the latency panel keeps ≥ 12 rows; otherwise
            // (80×24) the focused one gets the room under a tab strip, and Tab switches pages.
            guard lower.height >= 12 + 8 else {
                let (strip, page) = lower.splitTop(1)
                PageTabs(focus: state.focus, theme: theme).render(strip, into: &buffer)
                switch state.focus {
                case .latency: latency.render(page, into: &buffer)
                case .counters: table.render(page, into: &buffer)
                case .batching: renderBatching(batching, theme, page, &buffer)
                }
                break
            }
            let middleHeight = min(max(lower.height - 22, 8), 14)
            let (middle, bottom) = lower.splitTop(middleHeight)
            if middle.width < 140 && !batching.isEmpty {
                // Too narrow for both side by side without cutting names: the focused one of
                // the two (Tab), the counters unless the batching panel has the focus.
                if state.focus == .batching { renderBatching(batching, theme, middle, &buffer) } else { table.render(middle, into: &buffer) }
            } else if batching.isEmpty {
                if state.focus == .batching { renderBatching(batching, theme, middle, &buffer) } else { table.render(middle, into: &buffer) }
            } else {
                let (left, right) = middle.splitLeft(max(middle.width * 2 / 5, 58))
                table.render(left, into: &buffer)
                BatchingPanel(engines: batching, theme: theme).render(right, into: &buffer)
            }
            latency.render(bottom, into: &buffer)
        }

        switch state.overlay {
        case .help(let scroll)?: HelpOverlay(scroll: scroll, theme: theme).render(body, into: &buffer)
        case .backends(let menu)?, .kvmFeatures(let menu)?: ToggleMenuOverlay(menu: menu, theme: theme).render(body, into: &buffer)
        case .filter(let form)?: FilterOverlay(form: form, theme: theme).render(body, into: &buffer)
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

    static func renderEngines(_ snapshot: Snapshot, _ previous: Snapshot?, _ basis: RateBasis,
                              _ state: DashboardState, _ theme: Theme, _ area: Rect, _ buffer: inout CellBuffer) {
        let columns = area.columns(snapshot.engines.count)
        for (i, (engine, rect)) in zip(snapshot.engines, columns).enumerated() {
            EngineColumn(engine: engine, previous: previous?.engines[i], basis: basis, index: i, theme: theme,
                         focused: i == state.focusedEngine && state.view == .overview,
                         history: i < state.slowdownHistory.count ? state.slowdownHistory[i] : [])
                .render(rect, into: &buffer)
        }
    }
}
