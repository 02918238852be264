import PVKernel
import PVReplay

/// The `k` menu: KVM's pv features, then the machine-wide knobs. Items carry keys and the
/// menu is read back by key, so reordering or adding a knob cannot shift another's meaning.
public enum WhatIf {
    /// A knob beside the KVM features: its key, label, and how it reads and writes the configuration.
    struct Knob: Sendable {
        var key: String
        var label: String
        var isOn: @Sendable (ReplayConfiguration) -> Bool
        var set: @Sendable (inout ReplayConfiguration, Bool) -> Void
    }

    static let knobs: [Knob] = [
        Knob(key: "no-ept", label: "kvm: no EPT (shadow paging)", isOn: { $0.options.ept == false },
             set: { $0.options.ept = $1 ? false : nil }),   // nil: the profile's CPU decides
        Knob(key: "no-apicv", label: "kvm: no APICv (EOI exits unless pv_eoi)", isOn: { $0.options.apicv == false },
             set: { $0.options.apicv = $1 ? false : nil }),
        Knob(key: "batching", label: "batching (multicall/deferred/ring)", isOn: { $0.options.batching },
             set: { $0.options.batching = $1 }),
        Knob(key: "overcommit", label: "host overcommit 20%", isOn: { $0.options.overcommit > 0 },
             set: { $0.options.overcommit = $1 ? max($0.options.overcommit, 0.2) : 0 }),
        Knob(key: "host-pages-2m", label: "2M host pages behind EPT/NPT (--host-pages)", isOn: { $0.hostPages == .m2 },
             set: { $0.hostPages = $1 ? .m2 : .k4 }),
    ]

    public static func menu(_ configuration: ReplayConfiguration) -> ToggleMenu {
        let o = configuration.options
        return ToggleMenu(
            title: "What if… (KVM pv features, paging, batching, host)",
            items: KVMFeature.allCases.map {
                // PV EOI only saves exits when APICv is off (APICv virtualizes the EOI).
                ToggleMenu.Item(key: $0.rawValue, label: $0 == .pv_eoi ? "pv_eoi (inert with APICv on)" : $0.rawValue,
                                isOn: o.kvmFeatures.contains($0))
            } + knobs.map { ToggleMenu.Item(key: $0.key, label: $0.label, isOn: $0.isOn(configuration)) })
    }

    /// The configuration the ticked menu asks for.
    public static func apply(_ menu: ToggleMenu, to configuration: ReplayConfiguration) -> ReplayConfiguration {
        var c = configuration
        c.options.kvmFeatures = Set(KVMFeature.allCases.filter { menu.isOn($0.rawValue) })
        for knob in knobs where menu.items.contains(where: { $0.key == knob.key }) {
            knob.set(&c, menu.isOn(knob.key))
        }
        return c
    }

    /// The status line after a change: what is off and which knobs are set.
    public static func describe(_ c: ReplayConfiguration) -> String {
        let o = c.options
        let off = KVMFeature.allCases.filter { !o.kvmFeatures.contains($0) }.map(\.rawValue)
        return (off.isEmpty ? "kvm: all pv features on" : "kvm off: " + off.joined(separator: " "))
            + (o.ept == false ? ", no EPT" : "") + (o.apicv == false ? ", no APICv" : "")
            + (o.batching ? "" : ", no batching")
            + (o.overcommit > 0 ? ", overcommit \(Int(o.overcommit * 100))%" : "")
            + (c.hostPages == .m2 ? ", 2M host pages" : "")
    }
}
