import PVKernel
import PVReplay

/// The `b` / `k` checklists as a small centred box.
public struct ToggleMenuOverlay: Widget {
    public var menu: ToggleMenu
    public var theme: Theme

    public init(menu: ToggleMenu, theme: Theme) { self.menu = menu; self.theme = theme }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let width = max(menu.title.count + 6, (menu.items.map(\.label.count).max() ?? 0) + 12, 34)
        let box = area.centered(width: width, height: menu.items.count + 4)
        guard box.width >= 10, box.height >= 3 else { return }
        buffer.fill(box, style: theme.overlay)
        buffer.box(box, title: menu.title, border: theme.overlay, titleStyle: theme.overlayTitle)
        for (i, item) in menu.items.enumerated() where i + 1 < box.height - 1 {
            let text = " \(i + 1) [\(item.isOn ? "x" : " ")] \(item.label)"
            buffer.put(text, in: box.inner.row(i), style: i == menu.cursor ? theme.selected : theme.overlay)
        }
        buffer.put(" Space toggle · Enter apply · Esc cancel", in: box.inner.row(box.inner.height - 1), style: theme.overlay)
    }
}

/// The `f` form: event class, CPU, process.
public struct FilterOverlay: Widget {
    public var form: FilterForm
    public var theme: Theme

    public init(form: FilterForm, theme: Theme) { self.form = form; self.theme = theme }

    public func render(_ area: Rect, into buffer: inout CellBuffer) {
        let box = area.centered(width: 52, height: 7)
        guard box.width >= 20, box.height >= 5 else { return }
        buffer.fill(box, style: theme.overlay)
        buffer.box(box, title: "Filter events reaching the engines", border: theme.overlay, titleStyle: theme.overlayTitle)
        let f = form.filter
        let fields: [(FilterForm.Field, String, String)] = [
            (.eventClass, "event class", "◀ " + (f.eventClass?.label ?? "all") + " ▶"),
            (.cpu, "cpu", "◀ " + (f.cpu.map(String.init) ?? "all") + " ▶"),
            (.process, "process", (f.process ?? "") + (form.field == .process ? "▏" : "") + (f.process == nil && form.field != .process ? "all (comm or pid)" : "")),
        ]
        for (i, (field, name, value)) in fields.enumerated() {
            buffer.put(" " + Format.pad(name, 12) + value, in: box.inner.row(i),
                       style: field == form.field ? theme.selected : theme.overlay)
        }
        buffer.put(" ↑↓ field · ←→ change · Enter apply · Esc cancel", in: box.inner.row(box.inner.height - 1), style: theme.overlay)
    }
}
