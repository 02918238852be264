import Foundation
@testable import PVTrace

enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let forkexec = directory.appendingPathComponent("forkexec-quick.trace").path
    static var forkexecText: String { try! String(contentsOfFile: forkexec, encoding: .utf8) }
}

func reader(_ text: String, name: String = "t.trace", strict: Bool = false, chunk: Int = .max,
            bufferBytes: Int = FtraceTextReader.defaultBufferBytes) -> FtraceTextReader {
    FtraceTextReader(stream: MemoryByteStream(text, chunk: chunk), name: name, strict: strict,
                     bufferBytes: bufferBytes)
}

/// All records of a source.
func records(_ source: TraceSource) throws -> [TraceRecord] {
    var out: [TraceRecord] = []
    while let r = try source.next() { out.append(r) }
    return out
}

func events(_ source: TraceSource) throws -> [KernelEvent] {
    try records(source).compactMap { if case .event(let e) = $0 { e } else { nil } }
}

/// The single event of one line.
func event(_ line: String) throws -> KernelEvent? {
    try events(reader(line + "\n")).first
}

/// Runs a command, returning its exit status.
@discardableResult
func run(_ arguments: [String], stdout: String? = nil) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    if let stdout {
        FileManager.default.createFile(atPath: stdout, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: stdout)
    }
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pvtrace-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}
