import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// A tracefs mount: an existing one, or one we mounted on a private temporary directory and
/// unmount on `release()` (mount(2); Documentation/trace/ftrace.rst).
public final class Tracefs {
    public let root: String
    /// True when this object mounted `root` itself (and so must unmount it).
    public let mountedByUs: Bool
    private var released = false

    private init(root: String, mountedByUs: Bool) {
        self.root = root
        self.mountedByUs = mountedByUs
    }

    /// Finds a mounted tracefs (one with an `instances/` directory), else mounts one.
    public static func open() throws -> Tracefs {
        guard geteuid() == 0 else { throw RecordingError.notRoot }
        if let found = findMounted() { return Tracefs(root: found, mountedByUs: false) }
        var template = Array("/tmp/pvtop-tracefs.XXXXXX".utf8CString)
        let dir: String? = template.withUnsafeMutableBufferPointer { buf in
            guard let p = mkdtemp(buf.baseAddress!) else { return nil }
            return String(cString: p)
        }
        guard let dir else {
            throw RecordingError.tracefsUnavailable(.noMountPoint(reason: errorText()))
        }
        guard mount("nodev", dir, "tracefs", 0, nil) == 0 else {
            let why = errorText()
            rmdir(dir)
            throw RecordingError.tracefsUnavailable(.mountFailed(reason: why))
        }
        guard isDirectory(dir + "/instances") else {
            umount(dir)
            rmdir(dir)
            throw RecordingError.tracefsUnavailable(.noInstancesDirectory(root: dir))
        }
        return Tracefs(root: dir, mountedByUs: true)
    }

    /// A tracefs already mounted: the usual places first, then any tracefs line of /proc/mounts.
    static func findMounted() -> String? {
        var candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        if let mounts = readSmallFile("/proc/mounts") {
            for line in mounts.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count >= 3 && f[2] == "tracefs" { candidates.append(String(f[1])) }
            }
        }
        return candidates.first { isDirectory($0 + "/instances") && access($0 + "/set_event", F_OK) == 0 }
    }

    /// Unmounts the tracefs if we mounted it. Idempotent.
    public func release() {
        guard !released else { return }
        released = true
        if mountedByUs {
            if umount(root) != 0 { _ = umount2(root, Int32(MNT_DETACH)) }
            rmdir(root)
        }
    }

    deinit { release() }

    /// Removes `instances/pvtop-PID` left behind by a pvtop that died without cleaning up
    /// (SIGKILL, a crash): its events would otherwise stay enabled and its buffer allocated.
    /// Only instances whose PID no longer exists are touched. Returns their names.
    @discardableResult
    public func removeStaleInstances() -> [String] {
        guard let dir = opendir(root + "/instances") else { return [] }
        var stale: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix("pvtop-"), let pid = Int32(name.dropFirst(6)), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(name) }
        }
        closedir(dir)
        for name in stale {
            let path = root + "/instances/" + name
            try? writeControl(path + "/tracing_on", "0")
            try? writeControl(path + "/set_event", "\n")
            rmdir(path)
        }
        return stale
    }

    /// Whether `system:event` exists on this kernel.
    public func hasEvent(_ e: TraceEventSet.Event) -> Bool {
        isDirectory("\(root)/events/\(e.system)/\(e.event)")
    }

    public var availableClocks: [String] {
        (readSmallFile(root + "/trace_clock") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" })
            .map { $0.filter { $0 != "[" && $0 != "]" } }
    }
}

func errorText(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// Reads a small (pseudo-)file completely; tracefs files report size 0, so read to EOF.
public func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        bytes.append(contentsOf: buf[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes `text` to a tracefs control file in one write(2) (tracefs parses per write).
func writeControl(_ path: String, _ text: String, append: Bool = false) throws {
    let fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC))
    guard fd >= 0 else { throw RecordingError.tracefsWrite(path: path, reason: errorText()) }
    defer { close(fd) }
    var t = text
    let n = t.withUTF8 { write(fd, $0.baseAddress, $0.count) }
    guard n == text.utf8.count else {
        throw RecordingError.tracefsWrite(path: path, reason: n < 0 ? errorText() : "short write")
    }
}
