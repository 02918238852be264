import Foundation
import PVTrace
@testable import PVRecord

/// Paths for the recording tests (named apart from the reader tests' helpers).
enum RecordingFixture {
    /// The reader tests' fixtures: the recording tests scan the same recorded lines.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("PVTraceTests/Fixtures")
    static let forkexecPath = directory.appendingPathComponent("forkexec-quick.trace").path
    static var forkexecLines: [String] {
        (try! String(contentsOfFile: forkexecPath, encoding: .utf8)).split(separator: "\n").map(String.init)
    }
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// Runs `body` with the bytes of `line` (no newline), as the recorder's line loop does.
func withLineBytes<R>(_ line: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    var s = line
    return s.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

/// Root and a mountable tracefs: the condition of the tests that really trace.
enum RecordingEnvironment {
    static let canTrace: Bool = {
        guard geteuid() == 0 else { return false }
        if Tracefs.findMounted() != nil { return true }
        return FileManager.default.fileExists(atPath: "/sys/kernel/tracing")
    }()
}
