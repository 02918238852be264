import PVKernel
import PVReplay

/// For backends that batch (descriptor has flush reasons: Xen multicalls, VMI deferred mode,
/// lguest's async ring): batch sizes in log2 rows and why each batch was flushed — what Linux's
/// `xen/multicalls/{batch_histo,flush_reasons}` debugfs files showed (Linux arch/x86/xen/multicalls.c, CONFIG_XEN_DEBUG_FS).
public struct BatchingPanel: Widget {
    public var engines: [(index: Int, engine: EngineSnapshot)]
    public var theme: Theme

    public init(engines: [(index: Int, engine: EngineSnapshot)], theme: Theme) {
        self.engines = engines; self.theme = theme
    }

    /// Batch-size rows: 1, 2-3, 4-7, … up to `Ledger.maxBatchSize` (the last index holds
    /// every batch at or above it).
    public static func sizeRows(_ sizes: [UInt64]) -> [(label: String, count: UInt64)] {
        var rows: [(String, UInt64)] = []
        var lo = 1
        while lo < sizes.count {
            let hi = min(lo * 2 - 1, sizes.count - 1)
            let n = sizes[lo...hi].reduce(0, &+)
            rows.append((lo == hi ? "\(lo)" + (hi == sizes.count - 1 ? "+" : "") : "\(lo)-\(hi)", n))
            lo *= 2
        }
        return rows
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        guard area.width >= 24, area.height >= 4 else { return }
        buffer.box(area, title: "batching", rightTitle: "size at flush · flush reason",
                   border: theme.border, titleStyle: theme.title, rightTitleStyle: theme.dim)
        let inner = area.inner
        guard !engines.isEmpty else {
            buffer.put(" no batching backend shown (b: backends)", in: inner.row(0), style: theme.dim)
            return
        }
        for ((index, e), col) in zip(engines, inner.columns(engines.count)) {
            let m = e.metrics
            let flushes = m.flushReasonCounts.reduce(0, &+)
            var y = col.y
            func line(_ text: String, _ style: Style) {
                guard y < col.maxY else { return }
                buffer.put(text, in: Rect(x: col.x, y: y, width: col.width - 1, height: 1), style: style)
                y += 1
            }
            let avg = flushes > 0 ? Format.fixed(Double(m.batchedEntries) / Double(flushes), 1) : "-"
            line(e.descriptor.id.rawValue + "  " + Format.count(flushes) + " batches avg " + avg, theme.title)
            let rows = BatchingPanel.sizeRows(m.batchSizes).filter { $0.count > 0 }
            let largest = rows.map(\.count).max() ?? 0
            let reasons = e.descriptor.flushReasons.indices.filter { m.flushReasonCounts[$0] > 0 }
                .sorted { m.flushReasonCounts[$0] > m.flushReasonCounts[$1] }
            let sizeRoom = max(col.maxY - y - min(reasons.count, 3) - 1, 1)
            for r in rows.prefix(sizeRoom) {
                guard y < col.maxY else { break }
                let text = Format.pad(r.label, 6, right: true) + Format.pad(Format.count(r.count), 7, right: true) + " "
                let x = buffer.put(text, x: col.x, y: y, style: theme.text, clip: col)
                let w = col.maxX - x - 1
                if w > 0 && largest > 0 {
                    buffer.put(Format.bar(Double(r.count) / Double(largest), width: w), x: x, y: y,
                               style: theme.engineBar(index), clip: col)
                }
                y += 1
            }
            if !reasons.isEmpty { line("flushed by", theme.dim) }
            let reasonWidth = max(col.width - 14, 4)
            let labels = Labels.fit(reasons.map { e.descriptor.flushReasons[$0] }, width: reasonWidth)
            for (i, label) in zip(reasons, labels) {
                let n = m.flushReasonCounts[i]
                line(" " + Format.pad(label, reasonWidth) + Format.pad(Format.count(n), 6, right: true)
                     + Format.pad(Format.percent(Double(n), of: Double(flushes)), 5, right: true), theme.text)
            }
        }
    }
}
