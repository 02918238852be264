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
        "counters    kvm_stat's table for the engine chosen with e: Total, %Total, Rate/s per",
        "            trace second (between snapshots ~1 s apart); x shows per-reason rows",
        "batching    batch size at flush (log2 rows) and why each batch was flushed",
        "latency     log2 histogram (bcc/bpftrace rows) of one event class per engine, then",
        "            p50/p95/p99/p99.9 with the difference from native",
        "",
        "# Keys",
        "Space  play / pause (at the end: replay)    .  step one event (pauses)",
        "+ -    speed (down to 0.001×, up to max = as fast as possible)",
        "← →    seek ∓5%     Home / End  start / end     l  loop     r  restart (reset counters)",
        "v Tab  next event class (V, Shift-Tab back; 1-9 0 pick one)",
        "t      view: overview, latency, headline (big slowdowns for talks)",
        "b      backends shown      k  what-if knobs        p  next cost profile",
        "       (k: KVM pv features, EPT, APICv, batching, overcommit; pv_eoi saves exits only",
        "        with APICv off: APICv virtualizes the EOI and leaves PV EOI inert)",
        "f      filter by event class / CPU / process      c  clear filter",
        "e      engine of the counter table    o  sort by rate / total / name    x  drill-down",
        "T      theme: dark, light, high-contrast, mono",
        "h ? F1 this help           q F10 Ctrl-C  quit (from every screen)",
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
        "- Events a tracepoint cannot show (EOI, page-table pages touched by fork) are added",
        "  as documented assumptions from the profile.",
    ]

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let box = area.centered(width: min(area.width - 2, 96), height: area.height - 2)
        guard box.width >= 20, box.height >= 4 else { return }
        buffer.fill(box, style: theme.overlay)
        buffer.box(box, title: "pvtop help", rightTitle: "Esc close · ↑↓ scroll",
                   border: theme.overlay, titleStyle: theme.overlayTitle)
        let inner = Rect(x: box.x + 2, y: box.y + 1, width: box.width - 4, height: box.height - 2)
        let maxScroll = max(HelpOverlay.lines.count - inner.height, 0)
        for (r, line) in HelpOverlay.lines.dropFirst(min(scroll, maxScroll)).prefix(inner.height).enumerated() {
            let heading = line.hasPrefix("# ")
            buffer.put(heading ? String(line.dropFirst(2)) : line, in: inner.row(r),
                       style: heading ? theme.overlayTitle : theme.overlay)
        }
    }
}
