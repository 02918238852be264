/// One pass over a trace: what it holds, per event type and CPU, before anyone replays it.
/// Backs `pvtop inspect`.
public struct TraceInspection: Sendable {
    public var name: String
    public var header: TraceHeader
    /// Lines of each event type (by tracepoint name), per CPU.
    public var countsByEvent: [String: [UInt64]] = [:]
    public var eventsByCPU: [UInt64] = []
    public var events: UInt64 = 0
    public var firstTimestampNanoseconds: UInt64?
    public var lastTimestampNanoseconds: UInt64?
    /// Lost events by CPU (`TraceRecord.unknownCPU` for the header gap).
    public var lostByCPU: [UInt16: UInt64] = [:]
    public var tlbFlushByReason: [UInt64] = Array(repeating: 0, count: KernelEvent.TLBFlushReason.allCases.count)
    public var msrWrites: [UInt32: UInt64] = [:]
    /// The first 50 trace_marker texts.
    public var markers: [String] = []
    public var diagnostics: TraceDiagnostics
    public var linesRead: UInt64 { diagnostics.linesRead }

    /// Reads `source` to its end.
    public init(source: TraceSource, name: String) throws {
        self.name = name
        header = source.header
        diagnostics = source.diagnostics
        // Counting by a small integer per kind keeps the loop free of string hashing.
        var counts: [[UInt64]] = Array(repeating: [], count: KindLabel.count)
        var msr: [UInt32: UInt64] = [:]
        var markerIDs: [UInt32] = []
        // `.other` events by interned name id -> row of per-CPU counts.
        var otherRows: [UInt32: Int] = [:]
        var otherNames: [UInt32] = []
        var otherCounts: [[UInt64]] = []
        while let record = try source.next() {
            switch record {
            case .lost(let cpu, let count, _):
                lostByCPU[cpu, default: 0] = Self.add(lostByCPU[cpu, default: 0], count)
            case .event(let e):
                events += 1
                if firstTimestampNanoseconds == nil { firstTimestampNanoseconds = e.timestampNanoseconds }
                lastTimestampNanoseconds = max(lastTimestampNanoseconds ?? 0, e.timestampNanoseconds)
                let cpu = Int(e.cpu)
                if cpu >= eventsByCPU.count { eventsByCPU += Array(repeating: 0, count: cpu + 1 - eventsByCPU.count) }
                eventsByCPU[cpu] += 1
                let label = KindLabel.index(e.kind)
                if label >= 0 {
                    if cpu >= counts[label].count {
                        counts[label] += Array(repeating: 0, count: cpu + 1 - counts[label].count)
                    }
                    counts[label][cpu] += 1
                }
                switch e.kind {
                case .other(let nameID):
                    if let index = otherRows[nameID] {
                        if cpu >= otherCounts[index].count {
                            otherCounts[index] += Array(repeating: 0, count: cpu + 1 - otherCounts[index].count)
                        }
                        otherCounts[index][cpu] += 1
                    } else {
                        otherRows[nameID] = otherCounts.count
                        otherNames.append(nameID)
                        otherCounts.append(Array(repeating: 0, count: cpu + 1))
                        otherCounts[otherCounts.count - 1][cpu] = 1
                    }
                case .tlbFlush(let reason, _): tlbFlushByReason[Int(reason.rawValue)] += 1
                case .msrWrite(let m, _): msr[m, default: 0] += 1
                case .marker(let id): if markerIDs.count < 50 { markerIDs.append(id) }
                default: break
                }
            }
        }
        header = source.header
        diagnostics = source.diagnostics
        msrWrites = msr
        markers = markerIDs.map { source.strings[$0] }
        let cpus = max(header.cpuCount, eventsByCPU.count)
        if eventsByCPU.count < cpus { eventsByCPU += Array(repeating: 0, count: cpus - eventsByCPU.count) }
        for (i, perCPU) in counts.enumerated() where !perCPU.isEmpty {
            countsByEvent[KindLabel.names[i]] = perCPU + Array(repeating: 0, count: cpus - perCPU.count)
        }
        for (row, nameID) in otherNames.enumerated() {
            let perCPU = otherCounts[row]
            countsByEvent[source.strings[nameID], default: Array(repeating: 0, count: cpus)] =
                perCPU + Array(repeating: 0, count: cpus - perCPU.count)
        }
    }

    public var durationNanoseconds: UInt64 {
        guard let a = firstTimestampNanoseconds, let b = lastTimestampNanoseconds, b > a else { return 0 }
        return b - a
    }

    /// Saturating: counts from the input (lost events) may sum past 2^64.
    public var lostEvents: UInt64 { lostByCPU.values.reduce(0, Self.add) }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Events per second of trace time.
    public func rate(_ count: UInt64) -> Double {
        durationNanoseconds > 0 ? Double(count) * 1e9 / Double(durationNanoseconds) : 0
    }

    /// A readable report: header, per-event table (total, per CPU, rate), lost and unknown
    /// events, warnings.
    public func report() -> String {
        var out = ""
        let cpus = eventsByCPU.count
        out += "trace      \(name)\n"
        out += "format     \(header.format.rawValue)   (from \(header.format.producedBy))\n"
        if let clock = header.clock { out += "clock      \(clock)\n" }
        out += "lines      \(linesRead)   events \(events)   CPUs \(header.cpuCount)"
        out += header.hasTGIDColumn ? "   TGID column\n" : "\n"
        if let t = header.tracer { out += "tracer     \(t)\n" }
        if let inBuffer = header.entriesInBuffer, let written = header.entriesWritten {
            out += "entries    \(inBuffer) in buffer / \(written) written\n"
        }
        if let a = firstTimestampNanoseconds, let b = lastTimestampNanoseconds {
            out += "time       \(Self.seconds(a)) .. \(Self.seconds(b)) s   duration \(Self.milliseconds(durationNanoseconds)) ms"
            out += "   \(Self.count(rate(events))) events/s\n"
        }
        for p in header.provenance { out += "provenance \(p.key)=\(p.value)\n" }
        out += "\n"
        var columns = ["event", "total", "%", "per s"]
        for c in 0..<cpus { columns.append("cpu\(c)") }
        var rows: [[String]] = []
        let other = Set(diagnostics.otherEvents.keys)
        let sorted = countsByEvent.map { (name: $0.key, counts: $0.value, total: $0.value.reduce(0, +)) }
            .sorted { ($0.total, $1.name) > ($1.total, $0.name) }
        for r in sorted {
            var row = [other.contains(r.name) ? r.name + " *" : r.name, "\(r.total)",
                       Self.percent(r.total, of: events), Self.count(rate(r.total))]
            for c in 0..<cpus { row.append(c < r.counts.count ? "\(r.counts[c])" : "0") }
            rows.append(row)
        }
        var total = ["total", "\(events)", "100.0", Self.count(rate(events))]
        for c in 0..<cpus { total.append("\(eventsByCPU[c])") }
        rows.append(total)
        out += Self.table(columns, rows)
        if !other.isEmpty { out += "* not used by the kernel model (replayed as no-ops)\n" }

        if tlbFlushByReason.contains(where: { $0 > 0 }) {
            out += "\ntlb_flush by reason:"
            for reason in KernelEvent.TLBFlushReason.allCases where tlbFlushByReason[Int(reason.rawValue)] > 0 {
                out += "  (\(reason.rawValue)) \(Self.tlbReasonText[Int(reason.rawValue)]): \(tlbFlushByReason[Int(reason.rawValue)])"
            }
            out += "\n"
        }
        if !msrWrites.isEmpty {
            out += "write_msr by MSR:"
            for (m, n) in msrWrites.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(8) {
                out += "  0x\(String(m, radix: 16)): \(n)"
            }
            out += "\n"
        }
        if !markers.isEmpty { out += "markers: " + markers.prefix(8).joined(separator: " | ") + "\n" }
        out += "\n"
        if lostEvents > 0 {
            out += "lost events \(lostEvents):"
            for (cpu, n) in lostByCPU.sorted(by: { $0.key < $1.key }) {
                out += cpu == TraceRecord.unknownCPU ? "  header gap \(n)" : "  cpu\(cpu) \(n)"
            }
            out += "\n"
        } else {
            out += "lost events 0\n"
        }
        out += "warnings    \(diagnostics.warningCount)\n"
        for w in diagnostics.firstWarnings { out += "  \(w)\n" }
        if diagnostics.warningCount > UInt64(diagnostics.firstWarnings.count) {
            out += "  … \(diagnostics.warningCount - UInt64(diagnostics.firstWarnings.count)) more\n"
        }
        return out
    }

    /// As tlb:tlb_flush prints them on the recording guest (6.18; see the fixture).
    static let tlbReasonText = ["flush on task switch", "remote shootdown", "local shootdown",
                                "local MM shootdown", "remote IPI send", "remote wrong CPU"]

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                s += i == 0 ? c + pad : "  " + pad + c
            }
            return s + "\n"
        }
        return line(header) + rows.map(line).joined()
    }

    static func seconds(_ ns: UInt64) -> String {
        let micros = ns / 1000 + (ns % 1000 >= 500 ? 1 : 0)
        let frac = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }

    static func milliseconds(_ ns: UInt64) -> String {
        let tenths = ns / 100_000 + (ns % 100_000 >= 50_000 ? 1 : 0)
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func percent(_ n: UInt64, of total: UInt64) -> String {
        guard total > 0 else { return "0.0" }
        let tenths = Int((Double(n) * 1000 / Double(total)).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// 1234 -> "1234", 12345 -> "12.3k", 2_100_000 -> "2.10M".
    static func count(_ v: Double) -> String {
        guard v.isFinite, v < 1e15 else { return "≥1e15" }  // rates of a nanosecond-long trace
        if v < 10_000 { return String(Int(v.rounded())) }
        if v < 1_000_000 { let t = Int((v / 100).rounded()); return "\(t / 10).\(t % 10)k" }
        let h = Int((v / 10_000).rounded())
        let frac = String(h % 100)
        return "\(h / 100)." + String(repeating: "0", count: 2 - frac.count) + frac + "M"
    }
}

/// Row labels of the inspection table: tracepoint names for each `KernelEvent.Kind`.
enum KindLabel {
    static let vectorNames: [String] = KernelEvent.IRQVector.allCases.map { v in
        EventDecoder.irqVectorNames.first { $0.1 == v }?.0 ?? "\(v)"
    }
    static let fixed = [
        "sched_switch", "sched_wakeup", "sched_wakeup_new", "sched_process_fork", "sched_process_exec",
        "sched_process_exit", "sys_enter", "sys_exit", "sys_enter_mmap", "sys_enter_munmap",
        "sys_enter_mprotect", "sys_enter_brk", "page_fault_user", "page_fault_kernel", "tlb_flush",
        "write_msr", "read_msr", "irq_handler_entry", "irq_handler_exit", "softirq_entry", "softirq_exit",
        "cpu_idle", "ipi_send_cpu", "ipi_send_cpumask", "tracing_mark_write",
    ]
    static let names: [String] = fixed + vectorNames.map { $0 + "_entry" } + vectorNames.map { $0 + "_exit" }
    static var count: Int { names.count }

    /// Index into `names`, or -1 for `.other` (counted by the reader under its own name).
    static func index(_ kind: KernelEvent.Kind) -> Int {
        switch kind {
        case .schedSwitch: return 0
        case .schedWakeup(_, _, let isNew): return isNew ? 2 : 1
        case .processFork: return 3
        case .processExec: return 4
        case .processExit: return 5
        case .syscallEnter: return 6
        case .syscallExit: return 7
        case .memorySyscall(let call, _, _): return 8 + Int(call.rawValue)
        case .pageFault(let user, _, _): return user ? 12 : 13
        case .tlbFlush: return 14
        case .msrWrite: return 15
        case .msrRead: return 16
        case .irqHandlerEntry: return 17
        case .irqHandlerExit: return 18
        case .softirqEntry: return 19
        case .softirqExit: return 20
        case .cpuIdle: return 21
        case .ipiSend: return 22
        case .ipiSendMask: return 23
        case .marker: return 24
        case .vectorEntry(let v): return fixed.count + Int(v.rawValue)
        case .vectorExit(let v): return fixed.count + vectorNames.count + Int(v.rawValue)
        case .other: return -1
        }
    }
}
