import Testing
import PVTrace
@testable import PVRecord

@Suite struct RecordingProvenanceTests {
    @Test func linesAreKeyValueWithThePrefixAndRoundTrip() {
        var p = RecordingProvenance()
        p.add("kernel", "6.18.44-fc-v657")
        p.add("command", "sh -c 'a\nb'")
        p.addCounts(["sched_switch": 3, "tlb_flush": 7, "cpu_idle": 3])
        #expect(p.text == """
            # pvtop-provenance: kernel=6.18.44-fc-v657
            # pvtop-provenance: command=sh -c 'a b'
            # pvtop-provenance: events-total=13
            # pvtop-provenance: count.tlb_flush=7
            # pvtop-provenance: count.cpu_idle=3
            # pvtop-provenance: count.sched_switch=3

            """)
        #expect(RecordingProvenance.parse(p.text) == p)
        #expect(RecordingProvenance.parse(p.text)["count.tlb_flush"] == "7")
    }

    @Test func commandsAreQuotedForTheShell() {
        #expect(shellQuoted(["make", "-C", "compile", "-j2"]) == "make -C compile -j2")
        #expect(shellQuoted(["sh", "-c", "echo it's"]) == "sh -c 'echo it'\\''s'")
        #expect(shellQuoted([""]) == "''")
    }

    @Test func timestampsAreISO8601UTC() {
        #expect(utcTimestamp(0) == "1970-01-01T00:00:00Z")
        #expect(utcTimestamp(1_795_715_400) == "2026-11-26T17:50:00Z")
    }

    /// `per_cpu/cpu0/stats` as the kernel prints it (Documentation/trace/ftrace.rst "per_cpu/cpuX/stats", 64 KiB buffer, overwrite=0).
    @Test func cpuStatsParseOverrunAndDroppedEvents() {
        let text = """
            entries: 2621
            overrun: 0
            commit overrun: 0
            bytes: 58464
            oldest event ts:   498.091067
            now ts:   501.123456
            dropped events: 21702
            read events: 0

            """
        let s = TraceInstance.CPUStats.parse(cpu: 0, text)
        #expect(s == TraceInstance.CPUStats(cpu: 0, entries: 2621, overrun: 0, dropped: 21702))
        #expect(s.lost == 21702)
    }

    @Test func entriesLineCountsKeptLinesAndLostEvents() {
        let header = "# entries-in-buffer/entries-written: 189844/189844   #P:2"
        #expect(rewriteEntriesLine(header, kept: 1000, lost: 0) == "# entries-in-buffer/entries-written: 1000/1000   #P:2")
        #expect(rewriteEntriesLine(header, kept: 1000, lost: 5) == "# entries-in-buffer/entries-written: 1000/1005   #P:2")
        #expect(rewriteEntriesLine("# tracer: nop", kept: 1, lost: 1) == "# tracer: nop")
    }

    @Test func machineInfoReadsProc() {
        let m = MachineInfo.current()
        #expect(!m.kernelRelease.isEmpty && m.kernelRelease != "unknown")
        #expect(m.cpuCount >= 1)
    }
}
