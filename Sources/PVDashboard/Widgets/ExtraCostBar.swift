import PVKernel
import PVReplay

/// Where a backend's extra cost goes: the cycles it priced beyond native's for the same events,
/// per kind of kernel work, as one stacked bar. Each part has its own glyph as well as its
/// colour, so the bars read in the mono and high-contrast themes and from the back of a room.
/// Only priced event cycles are split; time-proportional terms (TLB-miss rates applied to the
/// gaps) belong to no event and are not in the bar.
public struct ExtraCostBar: Widget {
    public struct Part: Sendable, Equatable {
        public var label: String
        public var glyph: Character
        public var classes: [EventClass]
    }

    /// The kernel's work, grouped as a talk would name it (every EventClass in exactly one part).
    public static let parts: [Part] = [
        Part(label: "MMU / page tables", glyph: "█", classes: [.pageFault, .memoryMap, .fork, .exec, .exit]),
        Part(label: "syscall entry", glyph: "▓", classes: [.syscall]),
        Part(label: "interrupts, timers", glyph: "▒", classes: [.interrupt, .timer, .ipi, .msr]),
        Part(label: "context switch, wakeup", glyph: "░", classes: [.contextSwitch, .wakeup]),
        Part(label: "TLB flush / shootdown", glyph: "▚", classes: [.tlbFlush, .tlbShootdown]),
        Part(label: "idle / halt", glyph: "▪", classes: [.idle]),
        Part(label: "other", glyph: "·", classes: [.micro]),
    ]

    public var engine: EngineSnapshot
    public var native: EngineSnapshot
    public var theme: Theme

    public init(engine: EngineSnapshot, native: EngineSnapshot, theme: Theme) {
        self.engine = engine; self.native = native; self.theme = theme
    }

    /// Extra cycles per part (never negative: a part cheaper than native adds nothing).
    public static func extraCycles(_ engine: EngineSnapshot, over native: EngineSnapshot) -> [Double] {
        parts.map { p in
            p.classes.reduce(0.0) { sum, c in
                let i = c.index
                guard i < engine.metrics.classCycles.count, i < native.metrics.classCycles.count else { return sum }
                return sum + max(engine.metrics.classCycles[i] - native.metrics.classCycles[i], 0)
            }
        }
    }

    /// Cells per part for a bar `width` wide: largest remainders, so the cells add up to the
    /// width and a part that has any cost gets at least one cell when there is room.
    public static func cells(_ extra: [Double], width: Int) -> [Int] {
        let total = extra.reduce(0, +)
        guard total > 0, width > 0 else { return extra.map { _ in 0 } }
        let exact = extra.map { $0 / total * Double(width) }
        var cells = exact.map { Int($0) }
        var left = width - cells.reduce(0, +)
        for i in exact.indices.sorted(by: { exact[$0] - Double(cells[$0]) > exact[$1] - Double(cells[$1]) }) where left > 0 {
            if exact[i] > 0 { cells[i] += 1; left -= 1 }
        }
        return cells
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard !area.isEmpty else { return }
        let extra = Self.extraCycles(engine, over: native)
        let cells = Self.cells(extra, width: area.width)
        guard cells.reduce(0, +) > 0 else {
            buffer.put("no extra priced cycles", in: area.row(0), style: theme.dim)
            return
        }
        var x = area.x
        for (k, n) in cells.enumerated() where n > 0 {
            x = buffer.put(String(repeating: Self.parts[k].glyph, count: n), x: x, y: area.y,
                           style: theme.engineBar(k), clip: area)
        }
    }

    /// The legend, one line: `█ MMU / page tables  ▓ syscall entry  …`, parts in bar order.
    public static func legend(theme: Theme, width: Int) -> [(text: String, style: Style)] {
        var items: [(String, Style)] = []
        var used = 0
        for (k, p) in parts.enumerated() {
            let text = "\(p.glyph) \(p.label)  "
            guard used + text.count <= width else { break }
            items.append((text, theme.engineBar(k)))
            used += text.count
        }
        return items
    }
}
