import Foundation
import Testing
@testable import PVTrace

@Suite struct BenchmarkTraceTests {
    @Test func repeatedCopiesAreRetimedAfterEachOtherAndTheHeaderCountsWhatTheFileHolds() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/big.trace"
        let sourceBytes = try Data(contentsOf: URL(fileURLWithPath: Fixture.forkexec)).count
        let summary = try BenchmarkTrace.write(from: Fixture.forkexec, to: out, targetBytes: UInt64(sourceBytes) * 2)
        #expect(summary.copies >= 2)

        let original = try FtraceTextReader(path: Fixture.forkexec)
        let one = try events(original)
        let repeated = try FtraceTextReader(path: out)
        let all = try events(repeated)
        #expect(all.count == one.count * summary.copies)
        // The first copy is the recording itself; each next one starts after the previous ends.
        // (Line numbers differ by the one provenance line the copy adds.)
        let same = zip(all.prefix(one.count), one).filter {
            $0.timestampNanoseconds == $1.timestampNanoseconds && $0.kind == $1.kind && $0.cpu == $1.cpu && $0.pid == $1.pid
        }.count
        #expect(same == one.count)
        let span = one.last!.timestampNanoseconds - one.first!.timestampNanoseconds
        let second = all[one.count]
        #expect(second.timestampNanoseconds == one.first!.timestampNanoseconds + span + 1_000_000)
        #expect(second.kind == one.first!.kind)
        // Time never goes backwards across the copies.
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds } ==
                zip(one, one.dropFirst()).allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds })
        #expect(repeated.header.entriesInBuffer == summary.eventLines)
        #expect(repeated.header.cpuCount == original.header.cpuCount)
    }

    @Test func theSameSourceAndSizeGiveTheSameBytes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try BenchmarkTrace.write(from: Fixture.forkexec, to: dir + "/a", targetBytes: 3 << 20)
        _ = try BenchmarkTrace.write(from: Fixture.forkexec, to: dir + "/b", targetBytes: 3 << 20)
        #expect(FileManager.default.contentsEqual(atPath: dir + "/a", andPath: dir + "/b"))
    }

    @Test func aPlainTraceTellsItsDurationFromItsHeadAndTail() throws {
        let reader = try FtraceTextReader(path: Fixture.forkexec)
        let all = try events(reader)
        let expected = all.map(\.timestampNanoseconds).max()! - all.map(\.timestampNanoseconds).min()!
        #expect(TraceDurationProbe.plainTextDurationNanoseconds(path: Fixture.forkexec) == expected)
    }

    @Test func aCompressedTraceHasNoDurationWithoutAPass() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let xz = try ByteStreamTests.compressed("xz", Fixture.forkexec, into: dir)
        #expect(TraceDurationProbe.plainTextDurationNanoseconds(path: xz) == nil)
    }
}
