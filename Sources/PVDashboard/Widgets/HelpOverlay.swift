import PVKernel

/// F1 / h / ?: what each panel means, every key, and what the model cannot see.
public struct HelpOverlay: Widget {
    public var scroll: Int
    public var theme: Theme

    public init(scroll: Int, theme: Theme) { self.scroll = scroll; self.theme = theme }

    public static let lines: [String] = [
        "# What you see",
        "One recorded kernel trace runs through native Linux and each paravirt-ops backend at",
        "once, under one clock. Each event expands into the pv_ops calls Linux makes; each",
        "backend prices them (cycles, hypercalls, VM exits, ROM calls, traps) from a cost profile.",
        "",
        "header      trace, CPUs, ▶/⏸ and speed, trace time / total, cost profile",
        "columns     one per engine; title: slowdown = engine time / native time (1.37× +37%)",
        "            native: busiest event classes with median latency; others: transitions by",
        "            kind with rate, then by name with share and bar, batching, pv settings",
        "counters    perf kvm stat report's table for the engine chosen with e: Count, %Cnt,",
        "            %Time (share of the engine's transition cycles), Avg cyc (cycles per",
        "            event; no min/max: a sum per transition is kept, not a distribution),",
        "            Rate/s per trace second (snapshots ~1 s apart); x shows per-reason rows",
        "batching    batch size at flush (log2 rows) and why each batch was flushed",
        "latency     log2 histogram (bcc/bpftrace rows) of one event class per engine, then",
        "            p50/p95/p99/p99.9 with the difference from native",
        "step        (.) the event just replayed and, per engine, each pv_op the kernel model",
        "            made for it and what the backend made of it, with its cycles",
        "time series (g) each engine's slowdown per interval over trace time, and a counter's",
        "            rate under it (n picks the counter)",
        "per CPU     (u) each engine's slowdown on each CPU",
        "trend       an engine's slowdown over the last snapshots, scaled from its lowest to",
        "            its highest value (the range printed after it, 1.02–1.05×)",
        "",
        "# Keys",
    ] + KeyMap.helpLines + [
        "",
        "# What the model does not see",
        "- No device I/O: disk and network virtualization (virtio, netfront, grant tables) are",
        "  not in the trace's events and not priced.",
        "- Cache and TLB effects are rates: TLB misses per µs times a 2D/shadow walk's extra",
        "  references, and a fixed indirect cost per world switch; no working set is simulated.",
        "- Native is an estimate of bare metal: a trace recorded in a VM loses that VM's priced",
        "  costs; what the model does not price stays in the gaps. Timestamps are µs.",
        "- Time crosses CPUs only through the IPIs, wakeups and shootdowns the trace shows.",
        "- Latency is simulated: durations on each engine's clock between the trace's own begin",
        "  and end of a path (a page fault ends at the CPU's next event: a proxy).",
        "- Events a tracepoint cannot show (EOI, page-table pages touched by fork, irq save",
        "  pairs) are named assumptions in kernel-model.json; the PTEs fork copies and exit",
        "  tears down are estimated per process from its faults; pages mapped before the trace",
        "  began are mm.untraced_private_pages (0, a lower bound).",
        "- Lock contention is invisible: no spinlock waits, so pv spinlocks cost nothing here.",
        "- Most Xen, VMI, lguest and VirtualBox costs are assumptions: pvtop model --costs",
        "  lists which; docs/validation.md's sensitivity table shows which matter most.",
        "- No measured whole-workload slowdown exists for the bundled traces: the slowdowns",
        "  are predictions (docs/validation.md separates fitted from predicted rows).",
    ]

    /// The lines wrapped at word boundaries to `width` (continuations indented under the
    /// text they continue), so nothing is cut mid-word at 80 columns.
    public static func wrapped(width: Int) -> [String] {
        guard width > 8 else { return lines }
        var out: [String] = []
        for line in lines {
            guard line.count > width else { out.append(line); continue }
            let indent = String(repeating: " ", count: min(continuationColumn(line), width / 2))
            var current = ""
            for word in line.split(separator: " ", omittingEmptySubsequences: false) {
                let candidate = current.isEmpty ? String(word) : current + " " + word
                if candidate.count > width && current.contains(where: { $0 != " " }) {
                    out.append(current)
                    current = indent + word
                } else {
                    current = candidate
                }
            }
            out.append(String(current.prefix(width)))
        }
        return out
    }

    /// Where a continuation starts: under the text after a key column (`Space  play…`,
    /// `header      trace…`), or under a list item's text (`- No device I/O`).
    static func continuationColumn(_ line: String) -> Int {
        let chars = Array(line)
        let lead = chars.prefix { $0 == " " || $0 == "-" }.count
        if lead > 0 { return lead }
        var i = 0
        while i + 1 < chars.count {
            if chars[i] == " " && chars[i + 1] == " " {
                var j = i
                while j < chars.count && chars[j] == " " { j += 1 }
                return j
            }
            i += 1
        }
        return 2
    }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let box = area.centered(width: min(area.width - 2, 96), height: area.height - 2)
        guard box.width >= 20, box.height >= 4 else { return }
        buffer.fill(box, style: theme.overlay)
        buffer.box(box, title: "pvtop help", rightTitle: "Esc close · ↑↓ scroll",
                   border: theme.overlay, titleStyle: theme.overlayTitle)
        let inner = Rect(x: box.x + 2, y: box.y + 1, width: box.width - 4, height: box.height - 2)
        let lines = HelpOverlay.wrapped(width: inner.width)
        let maxScroll = max(lines.count - inner.height, 0)
        for (r, line) in lines.dropFirst(min(scroll, maxScroll)).prefix(inner.height).enumerated() {
            let heading = line.hasPrefix("# ")
            buffer.put(heading ? String(line.dropFirst(2)) : line, in: inner.row(r),
                       style: heading ? theme.overlayTitle : theme.overlay)
        }
    }
}
