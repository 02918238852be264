import Foundation
import Testing
@testable import PVTrace

/// Fixtures/perf-script.txt.xz: `perf script --header` of a system-wide perf 6.1 recording of
/// tracepoints on the project's guest (make-perf-script.sh).
@Suite struct PerfScriptReaderTests {
    static let fixture = Fixture.directory.appendingPathComponent("perf-script.txt.xz").path

    func perfEvents(_ text: String, strict: Bool = true) throws -> [KernelEvent] {
        try events(PerfScriptReader(stream: MemoryByteStream(text), name: "p.txt", strict: strict))
    }

    @Test func everyEventLineOfARealPerfScriptIsRead() throws {
        let r = try openTrace(path: Self.fixture, strict: true)
        #expect(r is PerfScriptReader)
        let es = try events(r)
        // 9679 lines: 50 of perf's `#` header, 9629 events.
        #expect(es.count == 9629)
        #expect(r.diagnostics.warningCount == 0 && r.diagnostics.otherEvents.isEmpty)
        #expect(r.header.format == .perfScript && r.header.cpuCount == 2)
        #expect(es.contains { if case .msrWrite(0x830, _) = $0.kind { true } else { false } })
        #expect(es.contains { if case .processExec = $0.kind { true } else { false } })
        // perf's `:-1 -1` (a thread it no longer knew) keeps its event under an impossible pid.
        let unknown = es.filter { $0.pid == 4_194_305 }
        #expect(unknown.count == 2)
        #expect(unknown.first.map { r.strings[$0.commID] } == "<...>")
        #expect(unknown.first?.kind == .schedSwitch(prevPid: 4789, prevState: UInt8(ascii: "X"), nextPid: 4530))
    }

    @Test func aPerfLineDecodesLikeTheSameTracefsLine() throws {
        let perf = try perfEvents(
            "  swift-frontend 25873 [000]  1100.892586:             exceptions:page_fault_user: address=0x56470c6a0000 ip=0x7ffaf128d328 error_code=0x4\n"
            + "     migration/0    18 [001]  1100.892372:                     sched:sched_switch: prev_comm=migration/0 prev_pid=18 prev_prio=0 prev_state=S ==> next_comm=swift-frontend next_pid=25873 next_prio=120\n")
        let tracefs = try events(reader(
            "  swift-frontend-25873 [000] .....  1100.892586: page_fault_user: address=0x56470c6a0000 ip=0x7ffaf128d328 error_code=0x4\n"
            + "     migration/0-18    [001] .....  1100.892372: sched_switch: prev_comm=migration/0 prev_pid=18 prev_prio=0 prev_state=S ==> next_comm=swift-frontend next_pid=25873 next_prio=120\n",
            strict: true))
        #expect(perf.count == 2)
        #expect(perf.map(\.kind) == tracefs.map(\.kind))
        #expect(perf.map(\.pid) == [25873, 18] && perf.map(\.cpu) == [0, 1])
        #expect(perf.map(\.timestampNanoseconds) == [1_100_892_586_000, 1_100_892_372_000])
    }

    @Test func aLineWithoutEndIsPassedOnNotHeldInMemory() throws {
        let event = "  swift-frontend 25873 [000]  1100.892586:             exceptions:page_fault_user: address=0x56470c6a0000 ip=0x7ffaf128d328 error_code=0x4\n"
        let endless = String(repeating: "x", count: 8 << 20)
        let stream = PerfScriptLineStream(MemoryByteStream(event + endless + "\n" + event, chunk: 64 << 10))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var held = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
            held = max(held, stream.bufferedInputBytes)
        }
        // Held: no more than the text reader's line bound and one chunk, not the 8 MiB line.
        #expect(held <= FtraceTextReader.defaultBufferBytes + PerfScriptLineStream.chunk)
        #expect(out.count > endless.utf8.count && out.last == 0x0a)
        // The text reader then skips it as one long line and reads the event after it.
        let r = PerfScriptReader(stream: MemoryByteStream(event + endless + "\n" + event, chunk: 64 << 10), name: "p.txt")
        #expect(try events(r).count == 2)
        #expect(r.diagnostics.countsByKind[.longLine] == 1)
    }

    @Test func pidSlashTidKeepsTheThread() throws {
        let es = try perfEvents("        tlbshoot  4788/4789  [001]  1728.516200:  tlb:tlb_flush: pages:8 reason:remote shootdown (1)\n")
        #expect(es.first?.pid == 4789 && es.first?.kind == .tlbFlush(reason: .remoteShootdown, pages: 8))
    }

    @Test func onlyPerfColumnsLookLikePerfScript() {
        func looks(_ s: String) -> Bool { PerfScriptReader.looksLikePerfScript(Array(s.utf8)) }
        #expect(looks("# ========\n# captured on    : Tue Dec  1 15:10:41 2026\n            perf 25852 [000]  1100.892069:                  raw_syscalls:sys_exit: NR 16 = 0\n"))
        #expect(!looks("            bash-2079    (   2079) [000] .....    98.494454: sys_enter: NR 33 (b, 1, 55af9d7789bc, 0, 7, b)\n"))
        #expect(!looks("cpus=2\npvtop-fixture-18979:         pingpong-18982 [000]   844.008540: sched_switch:         pingpong:18982 [120] S ==> pvtop:18904 [120]\n"))
        #expect(!looks("The quick brown fox [000] 12.5: jumps\n"))
    }
}

/// `openTrace` picks the reader by content and names the converting command for neighbours'
/// files it cannot read.
@Suite struct TraceOpeningTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> (dir: String, path: String) {
        let dir = try temporaryDirectory()
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    func openingError(_ bytes: [UInt8]) throws -> String {
        let (dir, path) = try write(bytes, "input")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { _ = try openTrace(path: path); return "" } catch let e as TraceError { return e.message }
    }

    @Test func readerIsChosenByContentNotByName() throws {
        #expect(try openTrace(path: TraceDatReaderTests.dat) is TraceDatReader)
        #expect(try openTrace(path: PerfScriptReaderTests.fixture) is PerfScriptReader)
        #expect(try openTrace(path: Fixture.forkexec) is FtraceTextReader)
        let report = try openTrace(path: TraceCmdReportTests.instanceReport)
        _ = try records(report)
        #expect(report.header.format == .traceCmdReport)
    }

    @Test func perfDataIsRefusedWithThePerfScriptCommand() throws {
        let message = try openingError(Array("PERFILE2".utf8) + [UInt8](repeating: 0, count: 200))
        #expect(message.contains("perf script -i"))
    }

    @Test func jsonExportsAreRefusedWithTheCommandsThatMakeATrace() throws {
        #expect(try openingError(Array(#"{"traceEvents": [{"ph": "X"}]}"#.utf8)).contains("Chrome trace-event JSON"))
        #expect(try openingError(Array("[{\"a\": 1}]\n".utf8)).contains("trace-cmd report"))
    }
}
