#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output cannot be written; `description` is the one line the command prints (exit 2).
public struct OutputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): error: \(message)" }
}

/// Every file pvtop writes (`--csv`, `--json`, `--hgrm`, `record -o`, `synth -o`), decided
/// before any work starts and never destructive:
/// - `-` is standard output; a closed pipe (EPIPE, `| head`) ends the output quietly.
/// - An absent path or a regular file is written to a temporary file in the same directory
///   and renamed over it by `commit()`: an error or a signal leaves the old file (or none),
///   never a half-written one. A symlink is followed, so the link stays a link.
/// - A device or FIFO (`/dev/null`, `/dev/full`, a named pipe) is written in place: renaming
///   over it would replace the device node with a regular file.
/// - A directory, or the very file being read (`protecting`), is refused.
public final class OutputFile {
    /// The name as the user gave it (used in messages).
    public let path: String
    private var fd: Int32
    /// Where the bytes go until `commit()` (a regular file's replacement).
    private let temporaryPath: String?
    /// The file the temporary replaces (the symlink's target, if any).
    private let finalPath: String
    private let isStandardOutput: Bool
    private var buffer: [UInt8] = []
    private var done = false
    /// True once a reader closed the pipe we write to: further output is dropped.
    public private(set) var pipeClosed = false

    static let bufferBytes = 1 << 16

    /// Opens `path` for writing as described above. `protecting` lists input files this output
    /// must not be (compared by device and inode, so another name for the same file counts).
    public init(path: String, protecting inputs: [String] = []) throws {
        self.path = path
        buffer.reserveCapacity(Self.bufferBytes)
        if path == "-" {
            fd = STDOUT_FILENO
            temporaryPath = nil
            finalPath = path
            isStandardOutput = true
            return
        }
        isStandardOutput = false
        let plan = try Self.plan(path: path, protecting: inputs)
        finalPath = plan.target
        if plan.inPlace {
            let f = open(plan.target, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard f >= 0 else { throw OutputError(path: path, message: "cannot write: \(Self.errnoText())") }
            fd = f
            temporaryPath = nil
        } else {
            let directory = Self.directory(of: plan.target)
            let base = plan.target.split(separator: "/").last.map(String.init) ?? "output"
            var template = Array("\(directory)/.\(base).pvtop-XXXXXX".utf8CString)
            let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard f >= 0 else {
                throw OutputError(path: path, message: "cannot create a temporary file in \(directory): \(Self.errnoText())")
            }
            _ = fcntl(f, F_SETFD, FD_CLOEXEC)
            fd = f
            temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            // mkstemp makes 0600; a replaced file keeps its mode, a new one gets 0666 & ~umask.
            fchmod(f, plan.mode ?? Self.defaultMode())
        }
    }

    /// The checks of `init` without creating anything: lets `record` refuse a bad `-o`
    /// before it starts tracing and runs the workload.
    public static func check(path: String, protecting inputs: [String] = []) throws {
        guard path != "-" else { return }
        let plan = try plan(path: path, protecting: inputs)
        if plan.inPlace {
            guard access(plan.target, W_OK) == 0 else { throw OutputError(path: path, message: "cannot write: \(errnoText())") }
        } else {
            let directory = directory(of: plan.target)
            guard access(directory, W_OK | X_OK) == 0 else {
                throw OutputError(path: path, message: "cannot create files in \(directory): \(errnoText())")
            }
        }
    }

    deinit { abandon() }

    public func write(_ text: String) throws {
        var t = text
        try t.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done, !pipeClosed, bytes.count > 0 else { return }
        if buffer.count + bytes.count > Self.bufferBytes { try flush() }
        if bytes.count >= Self.bufferBytes {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Hands buffered bytes to the kernel (a CSV row is then visible to `tail -f`).
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUnsafeBytes { try writeAll($0) }
    }

    /// Writes what is buffered and puts the file in place (renames a temporary over the target).
    /// On error the temporary is removed and the old file, if any, is left untouched.
    public func commit() throws {
        guard !done else { return }
        do {
            try flush()
        } catch {
            abandon()
            throw error
        }
        done = true
        if isStandardOutput { return }
        if let temporaryPath {
            // A full disk may only show at fsync/close (NFS, delayed allocation).
            if fsync(fd) != 0 && errno != EINVAL && errno != EROFS {
                let e = Self.errnoText()
                close(fd); fd = -1; unlink(temporaryPath)
                throw OutputError(path: path, message: "write failed: \(e)")
            }
            let closed = close(fd)
            fd = -1
            if closed != 0 {
                let e = Self.errnoText()
                unlink(temporaryPath)
                throw OutputError(path: path, message: "write failed: \(e)")
            }
            guard rename(temporaryPath, finalPath) == 0 else {
                let e = Self.errnoText()
                unlink(temporaryPath)
                throw OutputError(path: path, message: "cannot put the output in place: \(e)")
            }
        } else {
            let closed = close(fd)
            fd = -1
            if closed != 0 && !pipeClosed { throw OutputError(path: path, message: "write failed: \(Self.errnoText())") }
        }
    }

    /// Drops the output: a temporary is removed (the target keeps its old content, or stays
    /// absent); a device or FIFO already got what was written. Idempotent.
    public func abandon() {
        guard !done else { return }
        done = true
        buffer.removeAll()
        if isStandardOutput { return }
        if fd >= 0 { close(fd); fd = -1 }
        if let temporaryPath { unlink(temporaryPath) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE { pipeClosed = true; return }
                let e = Self.errnoText()
                abandon()
                throw OutputError(path: isStandardOutput ? "<stdout>" : path, message: "write failed: \(e)")
            }
            written += n
        }
    }

    // MARK: deciding where the bytes go

    private struct Plan {
        /// The file to replace or write (a symlink resolved).
        var target: String
        /// Write into `target` itself (device, FIFO, socket) instead of replacing it.
        var inPlace: Bool
        /// The mode of the file being replaced.
        var mode: mode_t?
    }

    private static func plan(path: String, protecting inputs: [String]) throws -> Plan {
        guard !path.isEmpty else { throw OutputError(path: path, message: "empty output file name") }
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw OutputError(path: path, message: "cannot write: \(errnoText())") }
            // Absent (or a dangling symlink: then create its target, as `>` in a shell would).
            var target = path
            var linkInfo = stat()
            if lstat(path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK, let resolved = linkTarget(path) {
                target = resolved
            }
            let directory = directory(of: target)
            var dirInfo = stat()
            guard stat(directory, &dirInfo) == 0 else {
                throw OutputError(path: path, message: "cannot write: directory \(directory): \(errnoText())")
            }
            guard dirInfo.st_mode & S_IFMT == S_IFDIR else {
                throw OutputError(path: path, message: "cannot write: \(directory) is not a directory")
            }
            return Plan(target: target, inPlace: false, mode: nil)
        }
        for input in inputs where input != "-" {
            var inputInfo = stat()
            if stat(input, &inputInfo) == 0 && inputInfo.st_dev == info.st_dev && inputInfo.st_ino == info.st_ino {
                throw OutputError(path: path, message: "is the input trace \(input); refusing to overwrite it")
            }
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            throw OutputError(path: path, message: "is a directory; give a file name")
        case S_IFREG:
            var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let target = realpath(path, &resolved) != nil ? String(cString: resolved) : path
            return Plan(target: target, inPlace: false, mode: info.st_mode & 0o7777)
        default:
            return Plan(target: path, inPlace: true, mode: nil)
        }
    }

    /// The target of symlink `path`, absolute or relative to the link's directory.
    private static func linkTarget(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target.hasPrefix("/") ? target : directory(of: path) + "/" + target
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    private static func defaultMode() -> mode_t {
        let mask = umask(0)
        umask(mask)
        return 0o666 & ~mask
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
