import PVDashboard
import PVKernel
import PVReplay
import Testing

/// One key map read by the reducer, the key bar, the help and the demo.
@Suite struct KeyMapTests {
    @Test func everyActionHasAKeyAndNoBindingIsShadowed() {
        for action in KeyAction.allCases { #expect(KeyMap.bindings.contains { $0.action == action }, "\(action)") }
        // A binding whose every key an earlier unconditional binding takes could never fire.
        for (i, b) in KeyMap.bindings.enumerated() {
            let earlier = KeyMap.bindings[..<i].filter { $0.condition == .always }.flatMap(\.keys)
            #expect(!b.keys.allSatisfy { earlier.contains($0) }, "\(b.action) is unreachable")
        }
    }

    @Test func theReducerDoesWhatTheTableSays() {
        // Each unconditional binding's first key, applied to a fresh state, is reported by
        // `binding(for:)` as that binding, and changes what its action changes.
        for b in KeyMap.bindings where b.condition == .always {
            #expect(KeyMap.binding(for: b.keys[0], countersFocused: false, filterSet: false)?.action == b.action)
        }
        var s = Fixtures.state()
        _ = s.apply(KeyMap.key(for: .timeSeries))
        #expect(s.view == .timeSeries)
        _ = s.apply(KeyMap.key(for: .perCPU))
        #expect(s.view == .cpus)
        _ = s.apply(KeyMap.key(for: .rateCounter))
        #expect(s.rateCounter == .hypercalls)
        #expect(s.apply(KeyMap.key(for: .step)) == [.step])
        #expect(s.view == .step)
    }

    @Test func keyBarAndHelpComeFromTheTable() {
        let bar = KeyBar(state: Fixtures.state(), theme: Theme.named(.dark)).items()
        let barred = KeyMap.bindings.compactMap(\.bar).filter { $0.label != "Rows" && $0.label != "Clear" }
        #expect(bar.map(\.key) == barred.map(\.key))
        let help = HelpOverlay.lines.joined(separator: "\n")
        for b in KeyMap.bindings where !b.help.isEmpty {
            #expect(help.contains(b.keyLabel), "\(b.action)")
        }
        // The help wraps at 80 columns without cutting a word.
        let words = Set(help.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        for line in HelpOverlay.wrapped(width: 76) {
            #expect(line.count <= 76)
            for word in line.split(separator: " ") { #expect(words.contains(String(word)), "cut: \(word)") }
        }
    }

    @Test func demoScriptPressesOnlyMappedKeys() {
        for step in DemoDirector.script {
            #expect(KeyMap.binding(for: step.input, countersFocused: false, filterSet: false) != nil, "\(step.input)")
        }
    }

    @Test func whatIfMenuIsReadByNameNotPosition() {
        var s = Fixtures.state()
        _ = s.apply(.character("k"))
        guard case .kvmFeatures(var menu)? = s.overlay else { Issue.record("no menu"); return }
        // Reversed, the items still mean what their keys say.
        menu.items.reverse()
        menu.items[menu.items.firstIndex { $0.key == "host-pages-2m" }!].isOn = true
        menu.items[menu.items.firstIndex { $0.key == "pv_eoi" }!].isOn = false
        let c = WhatIf.apply(menu, to: s.configuration)
        #expect(c.hostPages == .m2)
        #expect(!c.options.kvmFeatures.contains(.pv_eoi))
        #expect(c.options.batching == s.configuration.options.batching)
        #expect(WhatIf.describe(c).contains("2M host pages"))
        // Through the reducer: Enter applies and asks the replay to rebuild.
        s.overlay = .kvmFeatures(menu)
        #expect(s.apply(.enter) == [.reconfigure(c)])
    }

    @Test func slashSearchesATransitionNameAndTurnsDrillDownOn() {
        var s = Fixtures.state()
        _ = s.apply(.character("/"))
        for c in "PTE" { _ = s.apply(.character(c)) }
        #expect(s.drillDown)
        // The rows with names arrive with the next snapshot; the search resolves then.
        _ = s.observe(Fixtures.snapshot(engines: [Fixtures.native(), Fixtures.xen(), Fixtures.kvm()]))
        #expect(s.focus == .counters)
        #expect(s.counterRowNames[s.counterCursor] == "pte_write")
        _ = s.apply(.enter)
        #expect(s.overlay == nil)
        _ = s.apply(.character("/"))
        for c in "nosuch" { _ = s.apply(.character(c)) }
        #expect(s.status?.contains("no transition matches") == true)
        _ = s.apply(.escape)
        #expect(s.overlay == nil)
    }
}
