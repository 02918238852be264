import PVKernel
import PVReplay

/// The per-CPU view (kvm_stat's per-vCPU and xenalyze's per-vcpu summaries): for each CPU of
/// the trace, native's simulated time on it and each engine's slowdown on the same CPU, with a
/// bar of the extra time against the largest, or, where the engine made transitions on that
/// CPU, its top transitions there with their share of the CPU's transitions (xenalyze's
/// per-vcpu summary).
public struct CPUPanel: Widget {
    public var engines: [EngineSnapshot]
    public var theme: Theme

    public init(engines: [EngineSnapshot], theme: Theme) { self.engines = engines; self.theme = theme }

    /// Engine `e`'s slowdown on `cpu`: its clock there over native's (nil before native's
    /// clock moved on that CPU).
    public static func slowdown(_ engines: [EngineSnapshot], engine e: Int, cpu: Int) -> Double? {
        guard let native = engines.first, cpu < native.metrics.cpuClockNanoseconds.count,
              cpu < engines[e].metrics.cpuClockNanoseconds.count else { return nil }
        let base = native.metrics.cpuClockNanoseconds[cpu]
        return base > 0 ? engines[e].metrics.cpuClockNanoseconds[cpu] / base : nil
    }

    /// `MSR_WR 63% HLT 21%`: the engine's most frequent transitions on `cpu` and their share
    /// of its transitions there, as many whole entries as fit in `width`.
    public static func topTransitions(_ engine: EngineSnapshot, cpu: Int, width: Int) -> String {
        let counts = engine.metrics.transitionCounts(cpu: cpu)
        let total = counts.reduce(0, &+)
        guard total > 0, width >= 8 else { return "" }
        let ranked = counts.enumerated().filter { $0.element > 0 }.sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
        var text = ""
        for (id, n) in ranked.prefix(3) {
            let name = Labels.abbreviations[engine.descriptor.transitions[id].name] ?? engine.descriptor.transitions[id].name
            let entry = (text.isEmpty ? "" : " ") + name + " " + Format.percent(Double(n), of: Double(total))
            if text.count + entry.count > width { break }
            text += entry
        }
        return text
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 30, area.height >= 4, let native = engines.first else { return }
        buffer.box(area, title: "per CPU", rightTitle: "slowdown on each CPU vs native's time there · top transitions",
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        let cpus = native.metrics.cpuClockNanoseconds.count
        let labelWidth = 6, nativeWidth = 10
        let columnWidth = max((inner.width - labelWidth - nativeWidth) / max(engines.count - 1, 1), 8)
        var x = buffer.put(Format.pad(" CPU", labelWidth), x: inner.x, y: inner.y, style: theme.dim, clip: inner)
        x = buffer.put(Format.pad("native", nativeWidth), x: x, y: inner.y, style: theme.dim, clip: inner)
        for e in engines.dropFirst() {
            x = buffer.put(Format.pad(e.descriptor.id.rawValue, columnWidth), x: x, y: inner.y, style: theme.dim, clip: inner)
        }
        // Bars share one scale: the largest extra (slowdown − 1) of any CPU and engine.
        var largest = 0.0
        for e in 1..<engines.count { for c in 0..<cpus { largest = max(largest, (Self.slowdown(engines, engine: e, cpu: c) ?? 1) - 1) } }
        for c in 0..<min(cpus, inner.height - 1) {
            let y = inner.y + 1 + c
            var x = buffer.put(Format.pad(" cpu\(c)", labelWidth), x: inner.x, y: y, style: theme.text, clip: inner)
            x = buffer.put(Format.pad(Format.duration(nanoseconds: native.metrics.cpuClockNanoseconds[c]), nativeWidth),
                           x: x, y: y, style: theme.text, clip: inner)
            for e in 1..<engines.count {
                let cell = Rect(x: x, y: y, width: columnWidth, height: 1).intersection(inner)
                x += columnWidth
                guard let s = Self.slowdown(engines, engine: e, cpu: c) else {
                    buffer.put("-", in: cell, style: theme.dim); continue
                }
                let text = Format.slowdown(s) + " "
                let after = buffer.put(text, x: cell.x, y: y, style: s > 1.0005 ? theme.worse : theme.better, clip: cell)
                let barWidth = cell.maxX - after - 1
                let top = Self.topTransitions(engines[e], cpu: c, width: barWidth)
                if !top.isEmpty {
                    buffer.put(top, x: after, y: y, style: theme.text, clip: cell)
                } else if barWidth >= 2, largest > 0, s > 1 {
                    buffer.put(Format.bar((s - 1) / largest, width: barWidth), x: after, y: y, style: theme.engineBar(e), clip: cell)
                }
            }
        }
        if cpus > inner.height - 1, inner.height >= 2 {
            buffer.put(" … \(cpus - (inner.height - 1)) more CPUs", in: inner.row(inner.height - 1), style: theme.dim)
        }
    }
}
