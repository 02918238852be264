import Foundation
import Testing
import PVTrace
@testable import PVRecord

/// `pvtop live --capture binary` really tracing: root and tracefs, skipped otherwise.
@Suite(.enabled(if: RecordingEnvironment.canTrace, "needs root and a mountable tracefs"))
struct RawCaptureTests {
    @Test func rawRingBuffersDecodeToEventsWithNanosecondsAndTheInstanceIsRemoved() throws {
        let view = try Tracefs.open()  // keeps a mount alive so the instance stays observable
        defer { view.release() }
        // The window starts once the instance is tracing: opening it (instance, events, per-CPU
        // readers) took more than 3 s on a loaded machine under AddressSanitizer, and a deadline
        // set before it had passed when the first read came. The loop ends at 50 events anyway.
        let deadline = Deadline()
        let source = try RawLiveTraceSource(eventSet: .light, bufferKB: 1024, shouldStop: { deadline.passed })
        deadline.start(seconds: 20)
        let name = source.instance.name
        #expect(FileManager.default.fileExists(atPath: view.root + "/instances/" + name))
        #expect(source.header.format == .tracefsRaw && source.header.cpuCount >= 1)
        #expect(source.header.provenance.contains { $0.key == "capture" && $0.value.hasPrefix("binary") })
        var events: [KernelEvent] = []
        // Timer ticks (~32/s/CPU even when idle, as the bundled idle trace shows) guarantee records.
        while events.count < 50, let record = try source.next() {
            if case .event(let e) = record { events.append(e) }
        }
        source.close()
        #expect(!FileManager.default.fileExists(atPath: view.root + "/instances/" + name))
        #expect(events.count >= 50)
        // Binary timestamps keep nanoseconds; the text path has microseconds.
        #expect(events.contains { $0.timestampNanoseconds % 1000 != 0 })
        // The context comes from common_flags: a timer interrupt's entry is hardirq context.
        let ticks = events.filter { $0.kind == .vectorEntry(.localTimer) }
        #expect(ticks.allSatisfy { $0.context == .hardirq })
        #expect(source.diagnostics.warningCount == 0)
    }
}

/// A stop time set after the source is open, read from the source's stop check.
private final class Deadline: @unchecked Sendable {
    private let lock = NSLock()
    private var end = Date.distantFuture
    func start(seconds: Double) { lock.withLock { end = Date().addingTimeInterval(seconds) } }
    var passed: Bool { lock.withLock { Date() > end } }
}
