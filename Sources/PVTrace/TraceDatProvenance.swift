#if canImport(Glibc)
import Glibc
#endif

/// pvtop's provenance block inside a trace.dat (`pvtop record --format dat`): the same
/// `# pvtop-provenance: key=value` lines a text recording starts with, stored as one trace.dat
/// option of pvtop's own id. trace-cmd skips an option it does not know by its size
/// (`handle_options` in trace-cmd's lib/trace-cmd/trace-input.c), so `trace-cmd report` and
/// KernelShark read the file unchanged; `trace-cmd dump --options` lists it as unknown.
public enum TraceDatProvenance {
    /// Above trace-cmd's `enum tracecmd_file_options` (lib/trace-cmd/include/private/
    /// trace-cmd-private.h, ids below 64); 0x7076 is "pv".
    public static let optionID: UInt16 = 0x7076
    static let linePrefix = "# pvtop-provenance: "

    /// The provenance entries of a version-6 file whose options start at `offset`
    /// (`tracecmd_get_options_offset`: just after `options  \0`), in order; empty when the
    /// file has none or the options cannot be walked.
    static func read(path: String, optionsOffset: Int) -> [(key: String, value: String)] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, optionsOffset > 0 else { return [] }
        defer { close(fd) }
        var position = off_t(optionsOffset)
        // A bounded walk: a damaged size field must not send it through the whole file.
        for _ in 0..<4096 {
            var head = [UInt8](repeating: 0, count: 6)
            guard pread(fd, &head, 6, position) >= 2 else { return [] }
            let id = UInt16(head[0]) | UInt16(head[1]) << 8
            if id == 0 { return [] }  // TRACECMD_OPTION_DONE
            let size = Int(UInt32(head[2]) | UInt32(head[3]) << 8 | UInt32(head[4]) << 16 | UInt32(head[5]) << 24)
            guard size <= 16 << 20 else { return [] }
            if id == optionID {
                var data = [UInt8](repeating: 0, count: size)
                guard pread(fd, &data, size, position + 6) == size else { return [] }
                return parse(String(decoding: data.prefix { $0 != 0 }, as: UTF8.self))
            }
            position += off_t(6 + size)
        }
        return []
    }

    static func parse(_ text: String) -> [(key: String, value: String)] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix(linePrefix) else { return nil }
            let kv = line.dropFirst(linePrefix.count)
            guard let eq = kv.firstIndex(of: "=") else { return nil }
            return (String(kv[..<eq]), String(kv[kv.index(after: eq)...]))
        }
    }
}
