import PVKernel
import PVReplay

/// The step view (`.`): the event just replayed (time, CPU, task, tracepoint and fields) and,
/// per engine, the pv_ops the kernel model derived from it with what that engine's backend
/// made of each — a hypercall, an exit, a ROM call, a trap, a native instruction, an entry
/// queued in a batch — and its cycles. The one place the model is shown at the scale of a
/// single event.
public struct StepPanel: Widget {
    public var stepped: SteppedEvent?
    public var engines: [EngineSnapshot]
    /// Engine shown first where not every engine fits (`e` picks it).
    public var focusedEngine: Int
    public var theme: Theme

    public init(stepped: SteppedEvent?, engines: [EngineSnapshot], focusedEngine: Int, theme: Theme) {
        self.stepped = stepped; self.engines = engines; self.focusedEngine = focusedEngine; self.theme = theme
    }

    /// Narrowest engine box: `op ×n  outcome  cycles` stays readable.
    static let minimumBoxWidth = 44

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 20, area.height >= 4 else { return }
        buffer.box(area, title: "step", rightTitle: ". next event · Space play", border: theme.border,
                   titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        guard let s = stepped else {
            buffer.put(" Press . to replay one event and see what each engine made of it.", in: inner.row(0), style: theme.dim)
            return
        }
        var x = buffer.put(" " + Format.seconds(nanoseconds: s.positionNanoseconds) + " s  cpu\(s.cpu)  \(s.task)  ",
                           x: inner.x, y: inner.y, style: theme.text, clip: inner)
        x = buffer.put(s.name, x: x, y: inner.y, style: theme.title.bolded, clip: inner)
        buffer.put("  " + s.fields + (s.line > 0 ? "  (line \(s.line))" : ""), x: x, y: inner.y, style: theme.text, clip: inner)
        let grid = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        guard !s.ops.isEmpty else {
            buffer.put(" The filter dropped this event: no engine priced it.", in: grid.row(0), style: theme.dim)
            return
        }
        let shown = enginesShown(in: grid, count: min(s.ops.count, engines.count))
        let columns = max(min(grid.width / Self.minimumBoxWidth, shown.count), 1)
        let rows = (shown.count + columns - 1) / columns
        let rowHeight = grid.height / max(rows, 1)
        for (n, e) in shown.enumerated() {
            let column = grid.columns(columns)[n % columns]
            let box = Rect(x: column.x, y: grid.y + (n / columns) * rowHeight, width: column.width, height: rowHeight)
            renderEngine(e, s.ops[e], box, &buffer)
        }
        if shown.count < engines.count {
            buffer.put("e: next engine", in: Rect(x: grid.maxX - 15, y: area.maxY - 1, width: 14, height: 1), style: theme.dim)
        }
    }

    /// Every engine when each box keeps a header and three calls; else native and the focused
    /// engine (`e` cycles it), so 80×24 still shows the comparison that matters.
    func enginesShown(in grid: Rect, count: Int) -> [Int] {
        let columns = max(min(grid.width / Self.minimumBoxWidth, count), 1)
        let rows = (count + columns - 1) / columns
        if rows > 0, grid.height / rows >= 6 { return Array(0..<count) }
        let focused = min(max(focusedEngine, 0), count - 1)
        return focused == 0 ? [0] : [0, focused]
    }

    private func renderEngine(_ e: Int, _ ops: [PricedOp], _ box: Rect, _ buffer: inout CellBuffer) {
        let total = ops.reduce(0) { $0 + $1.cycles }
        buffer.box(box, title: engines[e].descriptor.id.rawValue, rightTitle: Format.count(total) + " cycles",
                   border: theme.border, titleStyle: theme.engineBar(e).bolded, rightTitleStyle: theme.text)
        let inner = box.inner
        guard inner.height > 0 else { return }
        if ops.isEmpty {
            buffer.put(" no pv_ops: plain kernel code, priced only by its time", in: inner.row(0), style: theme.dim)
            return
        }
        // The outcome is the lesson: it keeps its width; the op drops its group (`set_pte`,
        // Linux's name still) before anything is shortened.
        let cyclesWidth = 8
        let available = inner.width - cyclesWidth - 2
        let longestOutcome = ops.map(\.outcome.count).max() ?? 0
        let qualified = ops.map { Self.opLabel($0, qualified: true).count }.max() ?? 0
        let useGroups = qualified + longestOutcome <= available
        let longestOp = ops.map { Self.opLabel($0, qualified: useGroups).count }.max() ?? 0
        let opWidth = max(min(longestOp, available - longestOutcome), min(longestOp, 10))
        let visible = ops.count > inner.height ? inner.height - 1 : ops.count
        for (r, op) in ops.prefix(visible).enumerated() {
            let row = inner.row(r)
            var x = buffer.put(" " + Labels.shorten(Self.opLabel(op, qualified: useGroups), width: opWidth).padding(to: opWidth) + " ",
                               x: row.x, y: row.y, style: theme.text, clip: row)
            let outcomeWidth = row.maxX - x - cyclesWidth
            x = buffer.put(Labels.shorten(op.outcome, width: outcomeWidth).padding(to: outcomeWidth), x: x, y: row.y,
                           style: op.transitions.isEmpty ? theme.dim : theme.worse, clip: row)
            buffer.put(Format.pad(Format.count(op.cycles), cyclesWidth - 1, right: true), x: x, y: row.y, style: theme.text, clip: row)
        }
        if visible < ops.count {
            buffer.put(" … \(ops.count - visible) more calls", in: inner.row(inner.height - 1), style: theme.dim)
        }
    }

    /// `mmu.set_pte ×3`: Linux's op name (with its group where there is room), and the repeat count.
    static func opLabel(_ op: PricedOp, qualified: Bool) -> String {
        (qualified ? op.op.qualifiedName : op.op.name) + (op.count > 1 ? " ×\(op.count)" : "")
    }
}

extension String {
    /// Padded with spaces to `width` (never cut: callers shorten first).
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
