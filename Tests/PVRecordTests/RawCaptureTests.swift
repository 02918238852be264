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
        let deadline = Date().addingTimeInterval(3)
        let source = try RawLiveTraceSource(eventSet: .light, bufferKB: 1024, shouldStop: { Date() > deadline })
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
