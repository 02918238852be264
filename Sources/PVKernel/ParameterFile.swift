import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a JSON file a user names with `--profile` or `--kernel-model`. Only a regular file of
/// bounded size is read: `Data(contentsOf:)` reads `/dev/zero` for ever, blocks in `open()` on a
/// FIFO without a writer, and says something about Cocoa error 256 for a directory.
enum ParameterFile {
    /// The bundled profiles are 3–15 KB; a parameter file a hundred times larger is not one.
    static let maxBytes = 1 << 20

    /// The file's bytes, or `LoadError.unreadable(origin, why)` with a one-line reason.
    static func contents(path: String, origin: String) throws -> Data {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses it anyway.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw CostProfile.LoadError.unreadable(origin, "cannot read: " + String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CostProfile.LoadError.unreadable(origin, "cannot read: " + String(cString: strerror(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw CostProfile.LoadError.unreadable(origin, "is a directory; give a .json file")
        default: throw CostProfile.LoadError.unreadable(origin, "not a regular file (a device, FIFO or socket); give a .json file")
        }
        if info.st_size > maxBytes { throw tooLarge(origin) }
        // Read up to one byte past the bound: a file can grow after fstat, and /proc files say 0.
        var data = Data(count: maxBytes + 1)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { buffer -> Int32? in
            while filled < buffer.count {
                let n = read(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if n == 0 { return nil }
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                filled += n
            }
            return nil
        }
        if let failure { throw CostProfile.LoadError.unreadable(origin, "cannot read: " + String(cString: strerror(failure))) }
        if filled > maxBytes { throw tooLarge(origin) }
        return data.prefix(filled)
    }

    private static func tooLarge(_ origin: String) -> CostProfile.LoadError {
        .unreadable(origin, "larger than \(maxBytes >> 20) MiB: not a parameter file")
    }
}
