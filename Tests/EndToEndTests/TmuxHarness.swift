import Foundation
import Glibc
import PVRecord

/// Runs a program and waits for it with posix_spawn + waitpid. Foundation.Process hangs here:
/// corelibs-foundation watches a socketpair that the forked tmux server inherits, so
/// `waitUntilExit` blocks until the server dies (swift-corelibs-foundation Process).
enum Spawn {
    struct Result { var status: Int32; var output: String }

    /// `arguments[0]` is looked up in PATH. stdout and stderr go to a temporary file (no pipe to
    /// drain), stdin is /dev/null unless `stdinPath` is given. The child starts with an empty
    /// signal mask and default handlers.
    /// `stderrPath`: stderr goes there instead of joining stdout.
    static func run(_ arguments: [String], stdinPath: String = "/dev/null", environment: [String: String] = [:],
                    stderrPath: String? = nil) -> Result {
        let outputPath = NSTemporaryDirectory() + "pvtop-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL); sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard rc == 0 else { return Result(status: -1, output: "posix_spawnp \(arguments[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Not String(contentsOfFile:): under AddressSanitizer its read buffers show as leaks of
        // the test process (FoundationEssentials' readBytesFromFile, Swift 6.3.1).
        let output = readSmallFile(outputPath) ?? ""
        // WIFEXITED / WEXITSTATUS are macros: decode by hand (low 7 bits = signal).
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: code, output: output)
    }

    static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }
}

/// A private tmux server (own socket in a temporary directory) running one command in a pane
/// of a given size. The command is wrapped as `cmd; echo "[exit:$?]"; sleep` so the exit
/// status can be read from the pane (`#{pane_dead_status}` is unreliable in tmux 3.3a).
final class TmuxSession {
    static var available: Bool { Spawn.which("tmux") != nil }

    let directory: String
    var socket: String { directory + "/sock" }

    init(width: Int, height: Int, command: String) throws {
        directory = NSTemporaryDirectory() + "pvtop-tmux-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // 256 colours, so bright colours and the light themes' white background are real.
        let config = directory + "/tmux.conf"
        try "set -g default-terminal tmux-256color\nset -g history-limit 2000\nset -g status off\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let wrapped = "SWIFT_BACKTRACE=interactive=no \(command); echo \"[exit:$?]\"; sleep 120"
        let r = Spawn.run(["tmux", "-S", socket, "-f", config, "new-session", "-d", "-x", "\(width)", "-y", "\(height)", wrapped])
        guard r.status == 0 else { throw HarnessError("tmux new-session failed (\(r.status)): \(r.output)") }
    }

    deinit {
        _ = Spawn.run(["tmux", "-S", socket, "kill-server"])
        unlink(socket)   // kill-server leaves the socket file
        try? FileManager.default.removeItem(atPath: directory)
    }

    @discardableResult
    func tmux(_ arguments: String...) -> Spawn.Result { tmux(arguments) }
    @discardableResult
    func tmux(_ arguments: [String]) -> Spawn.Result { Spawn.run(["tmux", "-S", socket] + arguments) }

    /// The visible screen as text, or with colour escapes (`-e`).
    func screen(colors: Bool = false) -> String {
        colors ? tmux("capture-pane", "-p", "-e").output : tmux("capture-pane", "-p").output
    }

    /// The screen plus scrollback (the exit marker may have scrolled off).
    func history() -> String { tmux("capture-pane", "-p", "-S", "-").output }

    func sendKeys(_ keys: String...) { _ = Spawn.run(["tmux", "-S", socket, "send-keys"] + keys) }

    func display(_ format: String) -> String {
        tmux("display-message", "-p", format).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls the screen every 50 ms until `condition` holds; returns the last screen and
    /// whether it held before the deadline.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 8, colors: Bool = false, _ condition: (String) -> Bool) -> (ok: Bool, screen: String) {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen(colors: colors)
            if condition(last) { return (true, last) }
            usleep(50_000)
        }
        print("waitFor(\(what)) timed out; screen:\n\(last)")
        return (false, last)
    }

    /// The command's exit status once it has exited (from the `[exit:N]` marker).
    func exitStatus(timeout: Double = 8) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let h = history()
            if let r = h.range(of: "[exit:"), let end = h[r.upperBound...].firstIndex(of: "]") {
                return Int32(h[r.upperBound..<end])
            }
            usleep(50_000)
        }
        return nil
    }

    /// The pid of the command running in the pane (the shell's child).
    func programPID() -> pid_t? {
        guard let shell = Int32(display("#{pane_pid}")) else { return nil }
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The pvtop binary `swift test` built next to the test bundle.
enum Pvtop {
    static var binary: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("pvtop").path
    }

    /// A deterministic trace written once by `pvtop synth` (fork + execve loop on 2 CPUs,
    /// 0.8 s of trace: every backend has transitions and batches).
    /// The same arguments give the same bytes, so runs share one file (written, then renamed).
    static let trace: String = {
        let path = NSTemporaryDirectory() + "pvtop-e2e-exec-3000.trace.xz"
        if access(path, R_OK) == 0 { return path }
        let partial = path + ".\(getpid())"
        let r = Spawn.run([binary, "synth", "exec", "--iterations", "3000", "--output", partial])
        precondition(r.status == 0, "pvtop synth failed: \(r.output)")
        rename(partial, path)
        return path
    }()

    /// How the tests open the dashboard: the real replay on the synthetic trace, slowed so it
    /// does not end during a test.
    static func dashboardCommand(_ extra: String = "") -> String {
        "\(binary) replay \(trace) --speed 0.05 \(extra)"
    }
}
