import Foundation
import Testing
import PVKernel
import PVReplay
import PVTrace

/// Latencies on the bundled compile trace against the trace text itself, read by an
/// independent reader (`xz -dc` and a few lines of string splitting, not pvtop's reader).
@Suite struct MeasuredLatencyTests {
    static let compile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../traces/compile.trace.xz").standardized.path

    /// `sys_exit − sys_enter` per CPU, in ns, straight from the text.
    static func recordedSyscallDurations() throws -> [Double] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["xz", "-dc", compile]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var enter: [String: Double] = [:]
        var durations: [Double] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let isEnter = line.contains(" sys_enter: NR "), isExit = line.contains(" sys_exit: NR ")
            guard isEnter || isExit else { continue }
            let fields = line.split(separator: " ")
            guard let cpu = fields.first(where: { $0.hasPrefix("[") && $0.hasSuffix("]") }),
                  let stamp = fields.first(where: { $0.hasSuffix(":") && Double($0.dropLast()) != nil }),
                  let seconds = Double(stamp.dropLast()) else { continue }
            if isEnter { enter[String(cpu)] = seconds }
            else if let start = enter.removeValue(forKey: String(cpu)) { durations.append((seconds - start) * 1e9) }
        }
        return durations.sorted()
    }

    static func replay(recordedOn: RecordingEnvironment?) throws -> Snapshot {
        let replay = try Replay(name: "compile", configuration: ReplayConfiguration(backends: [.kvm], recordedOn: recordedOn),
                                parameters: try KernelParameters.load()) { try FtraceTextReader(path: compile) }
        try replay.advance(toTraceTime: .max, eventBudget: .max)
        return replay.snapshot()
    }

    @Test func nativeSyscallLatencyIsTheRecordedDistribution() throws {
        let recorded = try Self.recordedSyscallDurations()
        #expect(recorded.count > 15_000)
        let median = recorded[recorded.count / 2]
        // Recorded on bare metal, native is the recorded clock: its p50 is the text's median.
        let bare = try Self.replay(recordedOn: .native).native.metrics.latency(of: .syscall)
        #expect(bare.totalCount == UInt64(recorded.count))
        let p50 = Double(bare.valueAtPercentile(50))
        #expect(abs(p50 - median) <= 0.05 * median, "native p50 \(p50) vs recorded median \(median)")
        // A real spread: p50 ≠ p99, many distinct buckets.
        #expect(bare.valueAtPercentile(99) > 5 * bare.valueAtPercentile(50))
        var buckets = 0
        for _ in bare.recordedValues() { buckets += 1 }
        #expect(buckets > 30)
    }

    /// With the default baseline (the trace says virtualized=yes), native is the recorded time
    /// minus the recording KVM's costs: at most the recorded median, and below it by no more
    /// than the share of the recorded time that was removed (plus the 1 % histogram buckets).
    @Test func deVirtualizedNativeSyscallsAreShorterByTheRemovedShare() throws {
        let recorded = try Self.recordedSyscallDurations()
        let median = recorded[recorded.count / 2]
        let s = try Self.replay(recordedOn: nil)
        #expect(s.baseline.recordedOn == "kvm")
        let p50 = Double(s.native.metrics.latency(of: .syscall).valueAtPercentile(50))
        let kept = s.native.metrics.recordedNanoseconds
        let removedShare = s.baseline.removedNanoseconds / (kept + s.baseline.removedNanoseconds)
        #expect(p50 <= median * 1.01)
        #expect(p50 >= median * (1 - removedShare - 0.05), "p50 \(p50), median \(median), removed \(removedShare)")
        // KVM with EPT puts the recording's costs back: its syscalls are longer than native's.
        let kvm = s.engines[1].metrics.latency(of: .syscall)
        #expect(kvm.valueAtPercentile(50) > s.native.metrics.latency(of: .syscall).valueAtPercentile(50))
    }
}
