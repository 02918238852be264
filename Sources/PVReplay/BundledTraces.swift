import Foundation

/// Where the bundled recordings (`traces/*.trace.xz`) are: $PVTOP_TRACES, ./traces, or beside
/// the repository the binary was built in (`.build/debug/pvtop` is five levels down at most).
public enum BundledTraces {
    public static let defaultTrace = "compile.trace.xz"

    /// No trace was given and the bundled one is not where pvtop looks.
    public struct Missing: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "no trace given and the bundled traces/\(name) was not found (run from the repository, or set PVTOP_TRACES)"
        }
    }

    public static func directory() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["PVTOP_TRACES"] { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/traces")
        var exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(exe.appendingPathComponent("traces").path)
            exe = exe.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + defaultTrace) }
    }

    /// Every bundled trace, sorted by name.
    public static func all() -> [String] {
        guard let dir = directory(),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".trace.xz") || $0.hasSuffix(".trace") || $0.hasSuffix(".trace.gz") }
            .sorted().map { dir + "/" + $0 }
    }

    public static func defaultPath() throws -> String { try path(named: defaultTrace) }

    public static func path(named name: String) throws -> String {
        guard let dir = directory(), FileManager.default.fileExists(atPath: dir + "/" + name) else {
            throw Missing(name: name)
        }
        return dir + "/" + name
    }
}
