import PVDashboard
import PVKernel
import PVReplay
import PVTrace
import Testing

/// Labels that fit and panels that stay reachable at the four sizes a talk or a terminal uses.
/// The engines are the real backends (modern-2020) with every transition they know made at
/// least once, so every name the program can show competes for its column.
@Suite struct LayoutFitTests {
    static let sizes = [(80, 24), (120, 40), (160, 48), (200, 60)]

    /// Every backend, every transition with a different count and cost (so ranking is total).
    static func worstCaseSnapshot() throws -> Snapshot {
        let profile = try CostProfile.load("modern-2020")
        let engines = try BackendID.allCases.enumerated().map { e, id -> EngineSnapshot in
            let d = try BackendFactory.make(id, profile: profile, options: BackendOptions(cpuCount: 2)).descriptor
            var m = EngineMetrics(cpuCount: 2, transitionCount: d.transitions.count, flushReasonCount: d.flushReasons.count)
            m.events = 10_000
            for i in d.transitions.indices {
                m.transitionCounts[i] = UInt64(100 + 37 * i)
                m.transitionCycles[i] = Double((i * 7919) % 1000 + 1) * 1000
            }
            for (i, _) in d.flushReasons.enumerated() { m.flushReasonCounts[i] = UInt64(5 + i) }
            m.batchSizes[3] = 10
            m.batchedEntries = 30
            // Every class with a wide count and median (the native column's longest lines).
            for c in EventClass.allCases {
                m.classCounts[c.index] = 10_000 + UInt64(c.index) * 1_111
                m.classCycles[c.index] = Double(c.index + 1) * 1e6
                m.latency[c.index].record(1_234_567)
            }
            m.cpuClockNanoseconds = [1_000_000 * (1 + Double(e) / 10), 1_000_000]
            return EngineSnapshot(descriptor: d, metrics: m, slowdown: 1 + Double(e) / 10)
        }
        return Snapshot(trace: TraceInfo(name: "compile.trace.xz", cpuCount: 2, durationNanoseconds: 334_000_000),
                        positionNanoseconds: 212_000_000, eventsReplayed: 10_000, profileName: "modern-2020",
                        engines: engines, diagnostics: TraceDiagnostics(), finished: false)
    }

    func frame(_ snapshot: Snapshot, _ width: Int, _ height: Int, _ configure: (inout DashboardState) -> Void = { _ in })
        -> CellBuffer {
        var s = DashboardState(configuration: ReplayConfiguration(options: BackendOptions(cpuCount: 2)))
        _ = s.observe(snapshot)
        configure(&s)
        var b = CellBuffer(width: width, height: height)
        DashboardView.render(snapshot: snapshot, previous: nil, state: s, into: &b)
        return b
    }

    /// The words in a column's breakdown rows (`name count share bar`): the first word of each
    /// line between the `│` of one engine column.
    func breakdownLabels(_ b: CellBuffer, column: Int, rows: Range<Int>) -> [String] {
        rows.compactMap { y -> String? in
            // `│a││b││c│`: each box has its own borders, so the cells between them are empty.
            let cells = b.line(y).split(separator: "│")
            guard column < cells.count else { return nil }
            // `name [name…] count [share] [bar]`: the label is every word before the count.
            let words = cells[column].split(separator: " ")
            guard let countAt = words.indices.first(where: { words[$0].first?.isNumber == true }), countAt > 0,
                  words[0].first?.isLetter == true else { return nil }
            let label = words[..<countAt].joined(separator: " ")
            // Lines above the breakdown: the summary counters, kinds and batching.
            let notBreakdown: Set<String> = ["sim", "hypercalls", "hypercall", "VM exits", "VM exit", "ROM calls", "ROM call",
                                             "traps", "hcall", "hcalls", "exits", "ROM", "batches", "trend", "event class"]
            return notBreakdown.contains(label) ? nil : label
        }
    }

    @Test func abbreviationTableEntriesAreShorterAndDistinct() {
        for (name, short) in Labels.abbreviations { #expect(short.count < name.count, "\(name)") }
        #expect(Set(Labels.abbreviations.values).count == Labels.abbreviations.count)
        #expect(Labels.shorten("PREEMPTION_TIMER", width: 12) == "PREEMPT_TMR")
        #expect(Labels.shorten("vm_exit(PREEMPTION_TIMER)", width: 20) == "vm_exit(PREEMPT_TMR)")
        #expect(Labels.fit(["LHCALL_SET_PMD", "LHCALL_SET_PTE"], width: 8) == ["LHCA…PMD", "LHCA…PTE"])
        // No room at all is an empty label, never a trap (a column squeezed below its numbers).
        for width in -3...2 {
            #expect(Labels.shorten("context_switch", width: width).count <= max(width, 0))
            #expect(Labels.middleCut("context_switch", width: width).count <= max(width, 0))
            #expect(Labels.fit(["a_long_name", "another_one"], width: width).allSatisfy { $0.count <= max(width, 0) })
        }
    }

    @Test func fitNeverGivesTwoRowsTheSameLabel() throws {
        let snapshot = try Self.worstCaseSnapshot()
        for e in snapshot.engines where !e.descriptor.transitions.isEmpty {
            let names = e.descriptor.transitions.map(\.name)
            for width in 3...24 {
                let labels = Labels.fit(names, width: width)
                #expect(Set(labels).count == labels.count, "\(e.descriptor.id.rawValue) at \(width)")
                #expect(labels.allSatisfy { $0.count <= width })
            }
        }
    }

    @Test func engineColumnsShowWholeOrTableLabelsAndWholeCountsAtEverySize() throws {
        let snapshot = try Self.worstCaseSnapshot()
        for (w, h) in Self.sizes {
            let b = frame(snapshot, w, h)
            for (c, e) in snapshot.engines.enumerated() where !e.descriptor.transitions.isEmpty {
                let engineRows = min(max((h - 2) * 3 / 10, 9), 16)   // DashboardView's split
                let labels = breakdownLabels(b, column: c, rows: 2..<engineRows)
                #expect(!labels.isEmpty, "\(e.descriptor.id.rawValue) at \(w)×\(h)")
                #expect(Set(labels).count == labels.count, "duplicate label in \(e.descriptor.id.rawValue) at \(w)×\(h): \(labels)")
                let known = Set(e.descriptor.transitions.map(\.name))
                // From 120 wide a label is the name or its table entry, never a cut.
                if w >= 120 {
                    for l in labels {
                        #expect(known.contains { Labels.isWhole(l, of: $0) },
                                "\(l) cut in \(e.descriptor.id.rawValue) at \(w)×\(h)")
                    }
                }
            }
        }
    }

    @Test func counterTableLabelsAreWholeAtEverySize() throws {
        let snapshot = try Self.worstCaseSnapshot()
        for (w, h) in Self.sizes {
            for engine in 1..<snapshot.engines.count {
                let b = frame(snapshot, w, h) { $0.drillDown = true; $0.focus = .counters; $0.focusedEngine = engine }
                let t = b.text
                let d = snapshot.engines[engine].descriptor
                #expect(t.contains("counters · \(d.id.rawValue)"), "\(w)×\(h)")
                let table = b.text.split(separator: "\n").drop { !$0.contains("counters ·") }.dropFirst(2)
                    .prefix { !$0.contains("Total") && !$0.hasPrefix("└") && !$0.contains("└") }
                var seen: Set<String> = []
                for line in table {
                    let words = line.split(separator: "│").first?.split(separator: " ") ?? []
                    guard let label = words.first.map(String.init) else { continue }
                    #expect(!label.contains("…"), "\(label) cut in counters of \(d.id.rawValue) at \(w)×\(h)")
                    #expect(seen.insert(label).inserted, "\(label) twice in counters of \(d.id.rawValue) at \(w)×\(h)")
                }
                #expect(!seen.isEmpty, "\(w)×\(h)")
            }
        }
    }

    @Test func everyPanelIsReachableWithTabAtEverySize() throws {
        let snapshot = try Self.worstCaseSnapshot()
        for (w, h) in Self.sizes {
            var reached: Set<String> = []
            for focus in DashboardState.Focus.allCases {
                let t = frame(snapshot, w, h) { $0.focus = focus }.text
                for panel in ["latency ·", "counters ·", "batching"] where t.contains("┌ " + panel) { reached.insert(panel) }
                // Flush reasons read whole (or as their table entry) wherever they are drawn.
                for reason in ["lazy-leave", "context-switch", "slots-full", "lazy-flush", "ring-full"]
                where t.contains(String(reason.prefix(8))) {
                    #expect(t.contains(reason) || Labels.abbreviations[reason].map { t.contains($0) } == true,
                            "\(reason) cut at \(w)×\(h)")
                }
                if w == 80 { #expect(t.contains(" Tab ") && t.contains("[\(focus.rawValue)]"), "the page strip at 80×24") }
            }
            #expect(reached == ["latency ·", "counters ·", "batching"], "\(w)×\(h): \(reached)")
            let keys = frame(snapshot, w, h).line(h - 1)
            #expect(keys.contains("TabPanel"), "\(w)×\(h) key bar: \(keys)")
        }
    }

    @Test func everySizeFromTheMinimumUpRendersWithoutATrap() throws {
        let snapshot = try Self.worstCaseSnapshot()
        for (w, h) in [(80, 24), (81, 25), (90, 24), (100, 30), (120, 40), (140, 30), (160, 48), (200, 60), (240, 70)] {
            for focus in DashboardState.Focus.allCases {
                let b = frame(snapshot, w, h) { $0.focus = focus; $0.drillDown = true }
                #expect(b.line(0).hasPrefix(" pvtop"), "\(w)×\(h)")
            }
            for view in DashboardState.View.allCases {
                let t = frame(snapshot, w, h) { $0.view = view }.text
                if view == .cpus { #expect(t.contains("┌ per CPU") && t.contains(" cpu1 "), "\(w)×\(h)") }
                if view == .headline { #expect(t.contains("extra cycles beyond native"), "\(w)×\(h)") }
            }
        }
    }

    @Test func helpIsWrappedNotCutAt80Columns() {
        for width in [60, 76, 92] {
            let lines = HelpOverlay.wrapped(width: width)
            #expect(lines.allSatisfy { $0.count <= width })
            // Every word of the help survives the wrapping.
            let words = HelpOverlay.lines.flatMap { $0.split(separator: " ") }
            #expect(lines.flatMap { $0.split(separator: " ") } == words, "at \(width)")
        }
        #expect(HelpOverlay.lines.contains { $0.contains("Lock contention") })
        #expect(HelpOverlay.lines.contains { $0.contains("1 syscall") })
    }
}

extension LayoutFitTests {
    @Test func everyViewShowsItsPanelAndAWholeKeyBarAtEverySize() throws {
        var snapshot = try Self.worstCaseSnapshot()
        snapshot.stepped = SteppedEvent(positionNanoseconds: 1, cpu: 0, task: "make-1", name: "schedSwitch",
                                        fields: "prevPid=1 prevState=1 nextPid=2", line: 9,
                                        ops: snapshot.engines.map { _ in
                                            [PricedOp(op: .write_cr3, count: 1, kind: .hypercall, action: "", cycles: 900,
                                                      transitions: [.init(kind: .hypercall, name: "mmuext_op", count: 1)],
                                                      flushedEntries: 0)] })
        let panel: [DashboardState.View: String] = [
            .overview: "┌ latency ·", .latency: "┌ latency ·", .cpus: "┌ per CPU", .timeSeries: "┌ time series",
            .headline: "extra cycles beyond native", .step: "┌ step",
        ]
        let barWords = Set(KeyMap.bindings.compactMap(\.bar).map { $0.key + $0.label } + ["SpacePlay"])
        for (w, h) in Self.sizes {
            for view in DashboardState.View.allCases {
                let b = frame(snapshot, w, h) { $0.view = view }
                #expect(b.text.contains(panel[view]!), "\(view) at \(w)×\(h)")
                if view == .step { #expect(b.text.contains("write_cr3") && b.text.contains("mmuext_op"), "step at \(w)×\(h)") }
                for word in b.line(h - 1).split(separator: " ") {
                    #expect(barWords.contains(String(word)), "key bar word \(word) cut at \(w)×\(h)")
                }
            }
        }
    }
}
