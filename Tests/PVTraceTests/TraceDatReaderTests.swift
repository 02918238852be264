import Foundation
import Testing
@testable import PVTrace

/// Fixtures/instance.dat: trace-cmd 3.1.6's trace.dat of one instance (pipe ping-pong across
/// CPUs, TLB shootdowns, fork+exec; both CPUs overran their 96 KiB buffers), and
/// Fixtures/instance-report-lt.txt.xz: `trace-cmd report -l -t` of it (make-trace-dat.sh).
@Suite struct TraceDatReaderTests {
    static let dat = Fixture.directory.appendingPathComponent("instance.dat").path
    static let reportLT = Fixture.directory.appendingPathComponent("instance-report-lt.txt.xz").path

    @Test func readsBothCPUsMergedByTimeWithLostEventsAndNanoseconds() throws {
        let r = try TraceDatReader(path: Self.dat, strict: true)
        let all = try records(r)
        let es = all.compactMap { if case .event(let e) = $0 { e } else { nil } }
        #expect(es.count == 5067)
        #expect(zip(es, es.dropFirst()).allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds })
        #expect(Set(es.map(\.cpu)) == [0, 1])
        // Binary timestamps keep nanoseconds (text traces have microseconds).
        #expect(es.contains { $0.timestampNanoseconds % 1000 != 0 })
        var lost: [UInt16: UInt64] = [:]
        for case .lost(let cpu, let count, _) in all { lost[cpu, default: 0] += count }
        #expect(lost == [0: 3006, 1: 10710])
        #expect(r.header.cpuCount == 2 && r.header.clock == "local" && r.header.format == .traceDat)
        #expect(r.header.provenance.contains { $0.key == "buffers" && $0.value.hasPrefix("pvtop-fixture-") })
        #expect(r.diagnostics.warningCount == 0)
        // Fields come from the records: a cross-CPU IPI is an x2APIC ICR write with its target.
        #expect(es.contains { $0.kind == .msrWrite(msr: 0x830, value: 0x1_0000_00fd) })
        #expect(es.contains { if case .processFork = $0.kind { true } else { false } })
        #expect(es.contains { $0.context == .hardirq } && es.contains { $0.context == .softirq })
    }

    /// The same file through `trace-cmd report -l -t` and the text reader gives the same
    /// events: time, CPU, pid, context and the decoded fields. What differs is only text:
    /// -l cuts comms to 8 characters, the sched plugin prints old state letters, and the
    /// marker's ip is not symbolized (the fixture has no kallsyms).
    @Test func matchesTraceCmdReportOfTheSameFileEventForEvent() throws {
        let binary = try records(TraceDatReader(path: Self.dat, strict: true))
        let text = try records(FtraceTextReader(path: Self.reportLT, strict: true))
        #expect(binary.count == text.count)
        #expect(binary.count > 5000)
        var differences = 0
        for (b, t) in zip(binary, text) {
            switch (b, t) {
            case (.lost(let c1, let n1, _), .lost(let c2, let n2, _)):
                if c1 != c2 || n1 != n2 { differences += 1 }
            case (.event(let x), .event(let y)):
                if x.timestampNanoseconds != y.timestampNanoseconds || x.cpu != y.cpu || x.pid != y.pid
                    || x.context != y.context || !Self.sameKind(x.kind, y.kind) {
                    differences += 1
                    if differences < 5 { Issue.record("record \(x.line): \(x) vs text line \(y.line): \(y)") }
                }
            default:
                differences += 1
            }
        }
        #expect(differences == 0)
    }

    static func sameKind(_ a: KernelEvent.Kind, _ b: KernelEvent.Kind) -> Bool {
        switch (a, b) {
        case (.schedSwitch(let p1, _, let n1), .schedSwitch(let p2, _, let n2)): return p1 == p2 && n1 == n2
        case (.marker, .marker), (.other, .other): return true
        default: return a == b
        }
    }

    @Test func truncatedFileIsOneErrorNamingIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.dat))
        // 150 000 cuts CPU 1's records (they start at 0x23000).
        for length in [16, 4096, data.count / 2, 150_000] {
            let path = dir + "/cut-\(length).dat"
            try data.prefix(length).write(to: URL(fileURLWithPath: path))
            do {
                _ = try records(openTrace(path: path))
                Issue.record("\(length) bytes: no error")
            } catch let e as TraceError {
                #expect(e.file == path && e.message.contains("trace.dat"))
            }
        }
    }

    /// One byte of this fixture (found by flipping bytes at random) makes libtracecmd 1.3.1 —
    /// and `trace-cmd report` — dereference NULL; the reader reads each file once in a child
    /// process first, so this is an error, not a crash.
    @Test func fileThatCrashesLibtracecmdIsAnErrorNotACrash() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var data = try Data(contentsOf: URL(fileURLWithPath: Self.dat))
        #expect(data[132_807] == 168)
        data[132_807] = 230
        let path = dir + "/crash.dat"
        try data.write(to: URL(fileURLWithPath: path))
        do {
            _ = try records(openTrace(path: path))
            Issue.record("no error")
        } catch let e as TraceError {
            #expect(e.message.contains("corrupt trace.dat"))
        }
    }

    @Test func traceDatFromAPipeIsSpooledAndReadLikeTheFile() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.dat)))
        let r = try TraceDatReader(spooling: MemoryByteStream(bytes: bytes, chunk: 4096), name: "<stdin>", strict: true)
        #expect(r.name == "<stdin>")
        #expect(try events(r).count == 5067)
    }

    @Test func compressedTraceDatIsReadLikeThePlainOne() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let xz = dir + "/instance.dat.xz"
        try run(["xz", "-c", Self.dat], stdout: xz)
        let reader = try openTrace(path: xz, strict: true)
        #expect(reader is TraceDatReader)
        #expect(try events(reader).count == 5067)
    }
}
