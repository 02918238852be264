import Foundation
import Testing
@testable import PVTrace

@Suite struct ByteStreamTests {
    /// Compressed copies made with the real gzip(1) / xz(1), named without their extension so
    /// detection must go by magic bytes.
    static func compressed(_ tool: String, _ source: String, into dir: String, as name: String = "copy") throws -> String {
        let out = dir + "/\(name)-\(tool).trace"
        #expect(try run([tool, "-c", source], stdout: out) == 0)
        return out
    }

    static func allEvents(path: String) throws -> [KernelEvent] {
        try events(FtraceTextReader(path: path))
    }

    @Test(arguments: ["gzip", "xz"])
    func compressedFixtureReadsTheSameEvents(tool: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.compressed(tool, Fixture.forkexec, into: dir)
        let plain = try Self.allEvents(path: Fixture.forkexec)
        let decompressed = try Self.allEvents(path: path)
        #expect(decompressed.count == 18552)
        #expect(decompressed == plain)
    }

    @Test(arguments: ["gzip", "xz"])
    func concatenatedMembersAreOneStream(tool: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a", b = dir + "/b"
        try "  a-1 [000] .....  1.000000: sys_exit: NR 0 = 1\n".write(toFile: a, atomically: true, encoding: .utf8)
        try "  a-1 [001] .....  1.000001: sys_exit: NR 0 = 2\n".write(toFile: b, atomically: true, encoding: .utf8)
        let ca = try Self.compressed(tool, a, into: dir, as: "a")
        let cb = try Self.compressed(tool, b, into: dir, as: "b")
        let both = dir + "/both"
        try (Data(contentsOf: URL(fileURLWithPath: ca)) + Data(contentsOf: URL(fileURLWithPath: cb)))
            .write(to: URL(fileURLWithPath: both))
        #expect(try Self.allEvents(path: both).map(\.kind) ==
                [.syscallExit(number: 0, returnValue: 1), .syscallExit(number: 0, returnValue: 2)])
    }

    @Test(arguments: ["gzip", "xz"])
    func corruptCompressedDataIsAnErrorNamingTheFile(tool: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.compressed(tool, Fixture.forkexec, into: dir)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Damage the middle of the compressed body (headers intact, so detection still works).
        for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 64, by: 1) { bytes[i] ^= 0x5a }
        let corrupt = dir + "/corrupt.trace"
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        do {
            _ = try Self.allEvents(path: corrupt)
            Issue.record("no error")
        } catch let e as TraceError {
            #expect(e.file == corrupt)
            #expect(e.message.contains("corrupt") || e.message.contains("truncated"))
        }
        // Truncated: the first half only.
        let truncated = dir + "/truncated.trace"
        try Data(bytes.prefix(bytes.count / 3)).write(to: URL(fileURLWithPath: truncated))
        do {
            _ = try Self.allEvents(path: truncated)
            Issue.record("no error")
        } catch let e as TraceError {
            #expect(e.file == truncated)
            #expect(e.message.contains("truncated") || e.message.contains("corrupt"))
        }
    }

    @Test func missingFileIsAnErrorNamingIt() throws {
        do {
            _ = try FtraceTextReader(path: "/nonexistent/x.trace")
            Issue.record("no error")
        } catch let e as TraceError {
            #expect(e.description == "/nonexistent/x.trace: error: cannot open: No such file or directory")
        }
    }

    @Test func readsFromAPipeDescriptor() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Array("  a-1 [000] .....  1.000000: sys_exit: NR 0 = 7\n".utf8)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let stream = FileByteStream(fileDescriptor: fds[0], name: "<pipe>", closeOnDeinit: true)
        let r = FtraceTextReader(stream: stream, name: "<pipe>")
        #expect(try events(r).map(\.kind) == [.syscallExit(number: 0, returnValue: 7)])
    }

    @Test func peekedBytesAreReadAgain() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Array("hello, world".utf8)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let stream = FileByteStream(fileDescriptor: fds[0], name: "<pipe>", closeOnDeinit: true)
        #expect(try stream.peek(5) == Array("hello".utf8))
        var out = [UInt8](repeating: 0, count: 64)
        var got: [UInt8] = []
        while true {
            let n = try out.withUnsafeMutableBytes { try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<3])) }
            if n == 0 { break }
            got += out[0..<n]
        }
        #expect(got == text)
    }
}

@Suite struct InspectionTests {
    @Test func fixtureInspectionCountsByTypeAndCPU() throws {
        let r = try FtraceTextReader(path: Fixture.forkexec)
        let i = try TraceInspection(source: r, name: "forkexec-quick.trace")
        #expect(i.events == 18552)
        #expect(i.countsByEvent["page_fault_user"] == [2830, 2350])
        #expect(i.countsByEvent["sched_switch"]?.reduce(0, +) == 188)
        #expect(i.countsByEvent["cpu_idle"] == [111, 0])  // cpu_idle only on CPU0 in this recording
        #expect(i.eventsByCPU.reduce(0, +) == 18552)
        #expect(i.durationNanoseconds == 98_533_720_000 - 98_494_454_000)
        #expect(i.tlbFlushByReason[0] == 813 && i.tlbFlushByReason[3] == 1974)
        #expect(i.msrWrites[0x830] == 345 && i.msrWrites[0x6e0] == 21)
        #expect(i.diagnostics.otherEvents["sys_exit_mmap"] == 451)
        let text = i.report()
        #expect(text.contains("page_fault_user              5180   27.9  131.9k   2830  2350"))
        #expect(text.contains("sys_exit_mmap *"))
        #expect(text.contains("duration 39.3 ms"))
        #expect(text.contains("markers: WORKLOAD_START forkexec | WORKLOAD_END forkexec"))
        #expect(text.contains("lost events 0"))
    }

    @Test func inspectionReportsLostAndWarnings() throws {
        let r = reader("""
            # entries-in-buffer/entries-written: 10/15   #P:2
              a-1 [000] .....  1.000000: sys_exit: NR 0 = 1
            CPU:1 [LOST 3 EVENTS]
              a-1 [000] .....  1.000xyz: sys_exit: NR 0 = 1
              a-1 [001] .....  1.500000: sys_exit: NR 0 = 1

            """, name: "x.trace")
        let i = try TraceInspection(source: r, name: "x.trace")
        #expect(i.lostEvents == 8)
        #expect(i.lostByCPU == [TraceRecord.unknownCPU: 5, 1: 3])
        #expect(i.rate(i.events) == 4)
        let text = i.report()
        #expect(text.contains("lost events 8:  cpu1 3  header gap 5"))
        #expect(text.contains("x.trace:4: warning: malformed line (bad timestamp)"))
    }
}
