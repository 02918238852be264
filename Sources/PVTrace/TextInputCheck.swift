#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Is the start of an input text at all? Format detection calls this *after* it has looked for
/// the binary formats it knows (gzip, xz, trace-cmd's trace.dat), so what is left and fails
/// here is binary nobody can read: an ELF file, /dev/zero, a disk image.
///
/// Decided on a bounded prefix, so a source that never ends (a device, a FIFO) is rejected
/// after a few KiB instead of being read for ever as one endless line.
public enum TextInputCheck {
    /// NUL bytes within this many first bytes mean binary: ftrace text never holds one.
    public static let nulWindowBytes = 4096
    /// No line break within this many first bytes means no line-oriented text: ftrace lines are
    /// a few hundred bytes (the longest in the bundled traces has 194).
    public static let lineBreakWindowBytes = 64 * 1024

    /// Why `prefix` (the first bytes of the input, as many as `lineBreakWindowBytes` unless the
    /// input is shorter) is not text, or nil when it may be.
    public static func rejectionReason(_ prefix: UnsafeRawBufferPointer) -> String? {
        guard let base = prefix.baseAddress, prefix.count > 0 else { return nil }
        let nulWindow = min(prefix.count, nulWindowBytes)
        if memchr(base, 0, nulWindow) != nil {
            return "binary data (NUL bytes within the first \(nulWindowBytes / 1024) KiB), not ftrace text"
        }
        let lineWindow = min(prefix.count, lineBreakWindowBytes)
        if lineWindow >= lineBreakWindowBytes, memchr(base, 0x0a, lineWindow) == nil {
            return "no line break in the first \(lineBreakWindowBytes / 1024) KiB: not ftrace text"
        }
        return nil
    }
}
