import Foundation
import Histogram
import PVKernel

/// The end-of-run summary as a readable table (stdout) and as JSON (`--json`).
public enum Summary {
    static let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p95", 95), ("p99", 99), ("p99.9", 99.9)]

    public static func text(_ s: Snapshot, filter: EventFilter = EventFilter(), topTransitions: Int = 8) -> String {
        var out = ""
        let seconds = fixed(Double(s.positionNanoseconds) / 1e9, 3)
        out += "pvtop  \(s.trace.name)  \(s.trace.cpuCount) CPUs  \(seconds) s of trace  "
        out += "\(group(s.eventsReplayed)) events  profile \(s.profileName)\n"
        if !filter.isEmpty { out += "filter: \(EmptyResult.describe(filter)) (\(group(s.native.metrics.events)) events matched)\n" }
        if let w = EmptyResult.warning(s, filter: filter, finished: true) { out += "warning: \(w)\n" }
        out += "Simulated time per CPU = recorded gaps with the recording environment's costs removed"
        out += " + each engine's TLB-miss, pv-op, indirect-exit and cross-CPU waiting time.\n"
        out += baselineText(s.baseline) + "\n\n"

        var table: [[String]] = [["engine", "sim time", "slowdown", "ops", "hypercalls", "vm exits", "rom calls", "traps"]]
        for e in s.engines {
            let m = e.metrics, d = e.descriptor
            table.append([
                d.displayName, fixed(m.simulatedNanoseconds / 1e9, 4) + " s", slowdownText(e.slowdown),
                group(m.ops), group(m.transitions(of: .hypercall, in: d)), group(m.transitions(of: .vmExit, in: d)),
                group(m.transitions(of: .romCall, in: d)), group(m.transitions(of: .trap, in: d)),
            ])
        }
        out += render(table) + "\n"
        out += "What the simulated time is made of, ms summed over CPUs (recorded = de-virtualized gaps):\n"
        var terms: [[String]] = [["engine", "recorded", "+tlb misses", "+pv ops", "+indirect", "+waiting", "-idle cut short"]]
        for e in s.engines {
            let m = e.metrics
            let ghz = m.clockGHz
            terms.append([e.descriptor.id.rawValue, fixed(m.recordedNanoseconds / 1e6, 3), fixed(m.tlbMissNanoseconds / 1e6, 3),
                          fixed(m.pricedCycles / ghz / 1e6, 3), fixed(m.indirectCycles / ghz / 1e6, 3), fixed(m.waitNanoseconds / 1e6, 3),
                          fixed(m.absorbedIdleNanoseconds / 1e6, 3)])
        }
        out += render(terms) + "\n"
        for e in s.engines where !e.descriptor.settings.isEmpty {
            out += "\(e.descriptor.displayName) settings: "
                + e.descriptor.settings.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        out += "\n"

        for e in s.engines where e.metrics.totalTransitions > 0 {
            let m = e.metrics
            // perf kvm stat report's table, ranked by time (TransitionCost).
            let costs = TransitionCost.table(e)
            out += "\(e.descriptor.displayName) transitions by time:\n"
            var rows = [["  transition", "kind", "count", "count%", "time%", "avg cycles"]]
            for t in costs.prefix(topTransitions) {
                rows.append(["  " + t.name, t.kind.rawValue, group(t.count), fixed(100 * t.countShare, 1) + "%",
                             fixed(100 * t.timeShare, 1) + "%", fixed(t.averageCycles, 0)])
            }
            if costs.count > topTransitions {
                let rest = costs.dropFirst(topTransitions)
                rows.append(["  (\(rest.count) more)", "", group(rest.reduce(UInt64(0)) { $0 &+ $1.count }),
                             fixed(100 * rest.reduce(0) { $0 + $1.countShare }, 1) + "%",
                             fixed(100 * rest.reduce(0) { $0 + $1.timeShare }, 1) + "%", ""])
            }
            out += render(rows)
            if !e.descriptor.flushReasons.isEmpty, m.batchedEntries > 0 {
                let batches = m.batchSizes.reduce(0, &+)
                let reasons = m.flushReasonCounts.enumerated().filter { $0.element > 0 }
                    .map { "\(e.descriptor.flushReasons[$0.offset]) \(group($0.element))" }.joined(separator: ", ")
                out += "  batches \(group(batches)), \(fixed(Double(m.batchedEntries) / Double(max(batches, 1)), 1)) entries each; flushes: \(reasons)\n"
            }
        }
        out += "\nLatency per path, simulated ns (p50 / p95 / p99 / p99.9), from the trace's own begin and end"
        out += " (text timestamps are µs: a native sample is a multiple of 1000 ns plus priced ops):\n"
        var lat: [[String]] = [["class", "path", "samples"] + s.engines.map { $0.descriptor.id.rawValue }]
        var unpaired: [String] = []
        for c in EventClass.allCases {
            let n = s.native.metrics.latency[c.index].totalCount
            guard c.hasLatencySamples, n > 0 else {
                if s.native.metrics.classCounts[c.index] > 0 || (c.hasLatencySamples && n == 0) { unpaired.append(c.label) }
                continue
            }
            var row = [c.label, c.latencyDefinition, group(n)]
            for e in s.engines {
                let h = e.metrics.latency[c.index]
                row.append(percentiles.map { String(h.valueAtPercentile($0.value)) }.joined(separator: "/"))
            }
            lat.append(row)
        }
        out += render(lat)
        if !unpaired.isEmpty {
            out += "No latency samples (no begin/end pair in this trace): \(unpaired.joined(separator: ", "))\n"
        }
        let d = s.diagnostics
        if d.warningCount > 0 || d.lostEvents > 0 {
            out += "\ninput: \(group(d.warningCount)) warnings, \(group(d.lostEvents)) lost events\n"
        }
        return out
    }

    /// `Baseline: recorded on kvm (provenance virtualized=yes …): 12.3 ms of recorded time removed …`
    public static func baselineText(_ b: Baseline) -> String {
        var t = "Baseline: recorded on \(b.recordedOn) (\(b.reason))"
        if b.recordedOn == "native" {
            t += ": recorded gaps are native time"
        } else {
            t += ": \(fixed(b.removedNanoseconds / 1e6, 3)) ms of its own costs removed from the recorded gaps; native is an estimate of bare metal"
        }
        if b.clampedGaps > 0 { t += "; \(group(b.clampedGaps)) gaps shorter than its priced cost clamped at zero" }
        return t + ". Host pages behind 2D paging: \(b.hostPages)."
    }

    public static func slowdownText(_ x: Double) -> String {
        let pct = (x - 1) * 100
        return fixed(x, 3) + "× " + (pct >= 0 ? "+" : "") + fixed(pct, 1) + "%"
    }

    /// Thousands separated by commas (locale-independent).
    public static func group(_ n: UInt64) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { col in rows.map { col < $0.count ? $0[col].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
    }

    // MARK: JSON

    public static func json(_ s: Snapshot, filter: EventFilter = EventFilter()) -> String {
        let w = JSONWriter()
        w.object {
            w.field("trace") { w.string(s.trace.name) }
            w.field("filter") {
                w.object {
                    if let c = filter.cpu { w.field("cpu") { w.int(c) } }
                    if let p = filter.process { w.field("process") { w.string(p) } }
                    if let c = filter.eventClass { w.field("event_class") { w.string(c.label) } }
                }
            }
            if let warning = EmptyResult.warning(s, filter: filter, finished: true) { w.field("warning") { w.string(warning) } }
            w.field("cpus") { w.int(s.trace.cpuCount) }
            w.field("trace_seconds") { w.double(Double(s.positionNanoseconds) / 1e9, 9) }
            w.field("events") { w.int(s.eventsReplayed) }
            w.field("profile") { w.string(s.profileName) }
            w.field("warnings") { w.int(s.diagnostics.warningCount) }
            w.field("input_warnings") { w.object { for kv in s.diagnostics.countPairs { w.field(kv.key) { w.int(kv.value) } } } }
            w.field("lost_events") { w.int(s.diagnostics.lostEvents) }
            w.field("baseline") {
                w.object {
                    w.field("recorded_on") { w.string(s.baseline.recordedOn) }
                    w.field("reason") { w.string(s.baseline.reason) }
                    w.field("host_pages") { w.string(s.baseline.hostPages) }
                    w.field("clamped_gaps") { w.int(s.baseline.clampedGaps) }
                    w.field("removed_seconds") { w.double(s.baseline.removedNanoseconds / 1e9, 9) }
                }
            }
            w.field("engines") {
                w.array(s.engines) { e in
                    let m = e.metrics, d = e.descriptor
                    w.object {
                        w.field("engine") { w.string(d.id.rawValue) }
                        w.field("name") { w.string(d.displayName) }
                        w.field("settings") { w.object { for kv in d.settings { w.field(kv.key) { w.string(kv.value) } } } }
                        w.field("sim_time_seconds") { w.double(m.simulatedNanoseconds / 1e9, 9) }
                        w.field("slowdown") { w.double(e.slowdown, 6) }
                        w.field("events") { w.int(m.events) }
                        w.field("ops") { w.int(m.ops) }
                        w.field("priced_cycles") { w.double(m.pricedCycles, 0) }
                        w.field("time_terms_seconds") {
                            w.object {
                                w.field("recorded") { w.double(m.recordedNanoseconds / 1e9, 9) }
                                w.field("tlb_misses") { w.double(m.tlbMissNanoseconds / 1e9, 9) }
                                w.field("pv_ops") { w.double(m.pricedCycles / m.clockGHz / 1e9, 9) }
                                w.field("indirect") { w.double(m.indirectCycles / m.clockGHz / 1e9, 9) }
                                w.field("waiting") { w.double(m.waitNanoseconds / 1e9, 9) }
                                w.field("idle_cut_short") { w.double(m.absorbedIdleNanoseconds / 1e9, 9) }
                            }
                        }
                        w.field("transitions_by_kind") {
                            w.object { for k in TransitionKind.allCases { w.field(k.rawValue) { w.int(m.transitions(of: k, in: d)) } } }
                        }
                        let costs = Dictionary(TransitionCost.table(e).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                        w.field("transitions") {
                            w.array(Array(d.transitions.enumerated()).filter { m.transitionCounts[$0.offset] > 0 }) { t in
                                w.object {
                                    w.field("name") { w.string(t.element.name) }
                                    w.field("kind") { w.string(t.element.kind.rawValue) }
                                    w.field("count") { w.int(m.transitionCounts[t.offset]) }
                                    w.field("cycles") { w.double(m.transitionCycles[t.offset], 0) }
                                    let c = costs[t.element.name]
                                    w.field("count_share") { w.double(c?.countShare ?? 0, 6) }
                                    w.field("time_share") { w.double(c?.timeShare ?? 0, 6) }
                                    w.field("avg_cycles") { w.double(c?.averageCycles ?? 0, 1) }
                                }
                            }
                        }
                        if !d.flushReasons.isEmpty {
                            w.field("batches") {
                                w.object {
                                    w.field("entries") { w.int(m.batchedEntries) }
                                    w.field("size_counts") { w.object { for (n, c) in m.batchSizes.enumerated() where c > 0 { w.field(String(n)) { w.int(c) } } } }
                                    w.field("flush_reasons") { w.object { for (i, r) in d.flushReasons.enumerated() { w.field(r) { w.int(m.flushReasonCounts[i]) } } } }
                                }
                            }
                        }
                        w.field("ops_by_name") {
                            w.object { for op in PVOp.allCases where m.opCounts[Int(op.rawValue)] > 0 { w.field(op.qualifiedName) { w.int(m.opCounts[Int(op.rawValue)]) } } }
                        }
                        w.field("latency_ns") {
                            w.object {
                                for c in EventClass.allCases where m.latency[c.index].totalCount > 0 {
                                    let h = m.latency[c.index]
                                    w.field(c.label) {
                                        w.object {
                                            w.field("count") { w.int(h.totalCount) }
                                            w.field("mean") { w.double(h.mean, 1) }
                                            for p in percentiles { w.field(p.label) { w.int(h.valueAtPercentile(p.value)) } }
                                            w.field("max") { w.int(h.max) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return w.output + "\n"
    }

    /// HdrHistogram percentile-distribution files, one per engine and event class.
    public static func hgrmFiles(_ s: Snapshot) -> [(name: String, text: String)] {
        var files: [(String, String)] = []
        for e in s.engines {
            for c in EventClass.allCases where e.metrics.latency[c.index].totalCount > 0 {
                var text = ""
                var h = e.metrics.latency[c.index]
                h.outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1, percentileTicksPerHalfDistance: 5, format: .plainText)
                files.append(("\(e.descriptor.id.rawValue)-\(c.label).hgrm", text))
            }
        }
        return files
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

/// A minimal JSON writer that keeps key order (stable, diffable output).
final class JSONWriter {
    var output = ""
    private var needComma = [false]

    func object(_ body: () -> Void) {
        separator(); output += "{"; needComma.append(false); body(); needComma.removeLast(); output += "}"
    }
    func array<T>(_ items: [T], _ body: (T) -> Void) {
        separator(); output += "["; needComma.append(false)
        for item in items { body(item) }
        needComma.removeLast(); output += "]"
    }
    func field(_ key: String, _ body: () -> Void) {
        separator(); output += escape(key) + ":"
        needComma.append(false); body(); needComma.removeLast()
    }
    func string(_ s: String) { separator(); output += escape(s) }
    func int<T: BinaryInteger>(_ n: T) { separator(); output += String(n) }
    func double(_ d: Double, _ decimals: Int) { separator(); output += d.isFinite ? fixed(d, decimals) : "null" }

    private func separator() {
        if needComma[needComma.count - 1] { output += "," }
        needComma[needComma.count - 1] = true
    }

    private func escape(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
