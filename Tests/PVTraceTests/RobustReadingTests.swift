import Foundation
import Testing
@testable import PVTrace

/// Issue 10: what the reader does with input that is not quite a trace.
@Suite struct TimelineTests {
    @Test func aStepBackOnACPUIsClampedToThatCPUsLastTime() {
        var t = TraceTimeline(maxJumpNanoseconds: 10_000)
        #expect(t.admit(cpu: 0, timestamp: 1_000) == (1_000, .inOrder))
        #expect(t.admit(cpu: 0, timestamp: 900) == (1_000, .backwards(nanoseconds: 100)))
        #expect(t.admit(cpu: 0, timestamp: 1_100) == (1_100, .inOrder))
        // Another CPU may lag behind: only per-CPU order is enforced.
        #expect(t.admit(cpu: 1, timestamp: 950) == (950, .inOrder))
    }

    @Test func aPauseInTheRecordingIsCutOutAndLaterEventsFollowOnFromIt() {
        var t = TraceTimeline(maxJumpNanoseconds: 10_000)
        _ = t.admit(cpu: 0, timestamp: 1_000)
        _ = t.admit(cpu: 1, timestamp: 1_500)
        #expect(t.admit(cpu: 0, timestamp: 1_000_000) == (1_500, .jump(nanoseconds: 998_500, forward: true)))
        #expect(t.admit(cpu: 1, timestamp: 1_000_200) == (1_700, .inOrder))
        #expect(t.admit(cpu: 0, timestamp: 1_000_300) == (1_800, .inOrder))
    }

    @Test func oneLineWithACorruptDigitCostsNoTimeAndTheRestIsUntouched() {
        var t = TraceTimeline(maxJumpNanoseconds: 10_000)
        _ = t.admit(cpu: 0, timestamp: 1_000)
        #expect(t.admit(cpu: 0, timestamp: 9_000_001_000).time == 1_000)   // cut out
        let back = t.admit(cpu: 0, timestamp: 1_100)                         // the jump back is cut too
        #expect(back.verdict == .jump(nanoseconds: 8_999_999_900, forward: false))
        #expect(back.time == 1_000)
        #expect(t.admit(cpu: 0, timestamp: 1_200) == (1_100, .inOrder))
    }

    @Test func timestampsAtTheEndsOfUInt64NeverTrap() {
        var t = TraceTimeline()
        _ = t.admit(cpu: 0, timestamp: 0)
        #expect(t.admit(cpu: 0, timestamp: .max).time == 0)
        #expect(t.admit(cpu: 1, timestamp: 0).time == 0)
        #expect(t.admit(cpu: 1, timestamp: .max).time <= .max)
    }
}

@Suite struct RobustReaderTests {
    static let header = """
        # tracer: nop
        #
        # entries-in-buffer/entries-written: 3/3   #P:2
        #
        #           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
        #              | |         |   |||||     |         |

        """

    @Test(arguments: ["error_code=0z7", "error_code=6x", "error_code=0x6g", "error_code=-1"])
    func aNumberFieldMustBeAWholeNumber(_ field: String) throws {
        let r = reader("make-1 [000] d.... 1.000000: sys_exit: NR 0 = 0\nmake-1 [000] d.... 1.000001: page_fault_user: address=0x7f ip=0x1 \(field)\n")
        #expect(try events(r).count == 1)
        #expect(r.diagnostics.countsByKind[.malformed] == 1)
    }

    @Test func numbersFollowedBySeparatorsStillParse() throws {
        let e = try event("a-1 [001] ..... 2.000000: sys_mmap(addr: 0, len: 0x2000, prot: 3, flags: 0x22, fd: 0xffffffff, off: 0)")
        #expect(e?.kind == .memorySyscall(.mmap, address: 0, length: 0x2000))
        let f = try event("a-1 [001] ..... 2.000000: tlb_flush: pages:-1 reason:flush on task switch (0)")
        #expect(f?.kind == .tlbFlush(reason: .taskSwitch, pages: -1))
    }

    @Test func aCPUBeyondTheHeadersCountIsSkippedNotANewCPU() throws {
        let r = reader(Self.header + """
            a-1 [000] ..... 1.000000: sys_exit: NR 0 = 0
            a-1 [8191] ..... 1.000001: sys_exit: NR 0 = 0
            a-1 [001] ..... 1.000002: sys_exit: NR 0 = 0

            """)
        #expect(try events(r).map(\.cpu) == [0, 1])
        #expect(r.header.cpuCount == 2)
        #expect(r.diagnostics.countsByKind == [.cpuOutOfRange: 1])
        #expect(r.diagnostics.firstByKind[.cpuOutOfRange]?.line == 8)
    }

    @Test func fewerEntriesThanTheHeaderAnnouncesIsAWarningNamingTheDifference() throws {
        let r = reader(Self.header.replacingOccurrences(of: "3/3", with: "5/5") + """
            a-1 [000] ..... 1.000000: sys_exit: NR 0 = 0
            a-1 [001] ..... 1.000002: sys_exit: NR 0 = 0

            """)
        _ = try events(r)
        #expect(r.diagnostics.firstByKind[.truncated]?.message == "the header announces 5 entries but 2 arrived (3 missing): truncated file?")
        #expect(throws: TraceError.self) { try events(reader(Self.header.replacingOccurrences(of: "3/3", with: "5/5")
            + "a-1 [000] ..... 1.000000: sys_exit: NR 0 = 0\n", strict: true)) }
    }

    @Test func binaryInputIsRefusedWithinTheFirstBytesEvenWhenItNeverEnds() throws {
        let zeros = FileByteStream(fileDescriptor: open("/dev/zero", O_RDONLY), name: "/dev/zero", closeOnDeinit: true)
        let r = FtraceTextReader(stream: zeros, name: "/dev/zero")
        #expect(throws: TraceError(file: "/dev/zero", line: 0, message: "binary data (NUL bytes within the first 4 KiB), not ftrace text")) {
            try r.next()
        }
        let endless = [UInt8](repeating: 0x61, count: 100_000)
        let line = FtraceTextReader(stream: MemoryByteStream(bytes: endless), name: "a")
        #expect(throws: TraceError(file: "a", line: 0, message: "no line break in the first 64 KiB: not ftrace text")) {
            try line.next()
        }
    }

    @Test func eventNamesPastTheCapAreCountedAsOneOtherName() throws {
        var text = ""
        for i in 0..<(FtraceTextReader.maxEventNames + 50) { text += "a-1 [000] ..... 1.000000: made_up_\(i): x=1\n" }
        let r = reader(text)
        #expect(try events(r).count == FtraceTextReader.maxEventNames + 50)
        let d = r.diagnostics
        #expect(d.otherEvents.count == FtraceTextReader.maxEventNames + 1)
        #expect(d.otherEvents[EventNameTable.overflowName] == 50)
        #expect(d.countsByKind[.namesCapped] == 50)
    }

    @Test func taskNamesPastTheCapShareOneID() {
        let table = StringTable(capacity: 4)
        let ids = (0..<10).map { table.intern("task\($0)") }
        #expect(Set(ids).count == 4)   // "" + 3 names + "(other)"
        #expect(table[ids[9]] == StringTable.overflowName)
        #expect(table.overflowCount == 7)
        #expect(table.intern("task0") == ids[0])
    }

    @Test func theSummaryLineCountsEachKindAndNamesItsFirstPlace() throws {
        let r = reader(Self.header + """
            a-1 [000] ..... 2.000000: sys_exit: NR 0 = 0
            a-1 [000] ..... 1.000000: sys_exit: NR 0 = 0
            a-1 [000] ..... 2.000001: sys_exit: NR 0 = 0z

            """)
        _ = try events(r)
        #expect(r.diagnostics.summaryLine == "input warnings: 1 malformed (first t.trace:9), 1 clock-backwards (first t.trace:8); --strict makes them errors")
        #expect(r.diagnostics.countPairs.map { "\($0.key)=\($0.value)" } == ["malformed=1", "clock-backwards=1"])
        #expect(reader(Self.header + "a-1 [000] ..... 2.000000: sys_exit: NR 0 = 0\n").diagnostics.summaryLine == nil)
    }
}

@Suite struct OutputFileTests {
    func temporaryDirectory() throws -> String {
        let d = NSTemporaryDirectory() + "pvtop-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test func aRegularFileIsReplacedOnlyWhenTheOutputIsComplete() throws {
        let d = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/out.csv"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        let f = try OutputFile(path: path)
        try f.write("new\n")
        try f.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        try f.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["out.csv"])
    }

    @Test func anAbandonedOutputLeavesTheOldFileAndNoTemporary() throws {
        let d = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/out.csv"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        do {
            let f = try OutputFile(path: path)
            try f.write(String(repeating: "x", count: 200_000))
        }   // dropped without commit (an error unwound past it)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d) == ["out.csv"])
    }

    @Test func aSymlinkStaysALinkAndItsTargetIsReplaced() throws {
        let d = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try "old\n".write(toFile: d + "/target", atomically: false, encoding: .utf8)
        symlink(d + "/target", d + "/link")
        let f = try OutputFile(path: d + "/link")
        try f.write("new\n")
        try f.commit()
        var info = stat()
        lstat(d + "/link", &info)
        #expect(info.st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: d + "/target", encoding: .utf8) == "new\n")
    }

    @Test func aDeviceIsWrittenInPlaceAndAFullOneFailsInOneLine() throws {
        let null = try OutputFile(path: "/dev/null")
        try null.write("x")
        try null.commit()
        var info = stat()
        stat("/dev/null", &info)
        #expect(info.st_mode & S_IFMT == S_IFCHR)
        let full = try OutputFile(path: "/dev/full")
        try full.write("x")
        #expect(throws: OutputError(path: "/dev/full", message: "write failed: No space left on device")) { try full.commit() }
    }

    @Test func theInputAndDirectoriesAreRefusedBeforeAnythingIsWritten() throws {
        let d = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let input = d + "/in.trace"
        try "trace\n".write(toFile: input, atomically: false, encoding: .utf8)
        link(input, d + "/same")
        #expect(throws: OutputError.self) { try OutputFile(path: d + "/same", protecting: [input]) }
        #expect(throws: OutputError(path: d, message: "is a directory; give a file name")) { try OutputFile.check(path: d) }
        #expect(try String(contentsOfFile: input, encoding: .utf8) == "trace\n")
    }
}
