import Foundation

/// A trace's duration without reading it all: for a plain-text file, the first event line's
/// timestamp and the last one's, read from the head and the tail (ftrace prints the merged
/// per-CPU buffers in time order, so the last line holds the latest time). Compressed files
/// cannot be read from the end: nil, and the caller learns the duration after a first pass.
public enum TraceDurationProbe {
    public static func plainTextDurationNanoseconds(path: String) -> UInt64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return nil }
        try? handle.seek(toOffset: 0)
        guard let head = try? handle.read(upToCount: 256 << 10), !head.isEmpty else { return nil }
        let magic = Array(head.prefix(6))
        if magic.starts(with: [0x1f, 0x8b]) || magic.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return nil }
        let tailSize = min(end, 64 << 10)
        try? handle.seek(toOffset: end - tailSize)
        guard let tail = try? handle.read(upToCount: Int(tailSize)) else { return nil }
        let lines = { (data: Data) in Array(data).split(separator: UInt8(ascii: "\n")) }
        guard let first = lines(head).lazy.filter({ $0.first != UInt8(ascii: "#") })
                .compactMap({ BenchmarkTrace.timestamp(in: $0)?.1 }).first,
              let last = lines(tail).reversed().lazy.compactMap({ BenchmarkTrace.timestamp(in: $0)?.1 }).first,
              last >= first
        else { return nil }
        return (last - first).multipliedReportingOverflow(by: 1000).overflow ? nil : (last - first) * 1000
    }
}
