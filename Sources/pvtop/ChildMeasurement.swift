import Foundation

/// Runs one command as a child process and measures its wall time and peak RSS (`wait4`'s
/// rusage, so the figure is the child's own). With `inTerminal` the child gets a 160×48
/// pseudo-terminal as its controlling terminal (the dashboard needs one); its screen output is
/// drained and dropped.
enum ChildMeasurement {
    // Linux asm-generic/ioctls.h: _IOR('T', 0x30, unsigned int) and _IOW('T', 0x31, int).
    static let TIOCGPTN: UInt = 0x8004_5430
    static let TIOCSPTLCK: UInt = 0x4004_5431
    // glibc posix/spawn.h (2.26+): not exported to Swift.
    static let POSIX_SPAWN_SETSID: Int16 = 0x80

    static func run(_ argv: [String], inTerminal: Bool, stdout: String = "/dev/null") throws -> BenchSuite.Sample {
        let errorLog = NSTemporaryDirectory() + "pvtop-bench-\(getpid()).stderr"
        defer { unlink(errorLog) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var master: Int32 = -1
        if inTerminal {
            // posix_openpt/grantpt/unlockpt/ptsname are not in Swift's Glibc module; on Linux
            // they are open("/dev/ptmx") + TIOCSPTLCK(0) + TIOCGPTN (linux/tty.h, pty(7)).
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
            var unlock: Int32 = 0
            var number: UInt32 = 0
            guard master >= 0, ioctl(master, Self.TIOCSPTLCK, &unlock) == 0, ioctl(master, Self.TIOCGPTN, &number) == 0 else {
                throw CLIError("bench: cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
            }
            let name = "/dev/pts/\(number)"
            var size = winsize(ws_row: 48, ws_col: 160, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
            let slave = name
            // A new session, so opening the pty's slave makes it the controlling terminal.
            posix_spawnattr_setflags(&attributes, Self.POSIX_SPAWN_SETSID)
            posix_spawn_file_actions_addopen(&actions, 0, slave, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
            posix_spawn_file_actions_addclose(&actions, master)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = environment["TERM"].flatMap { $0.isEmpty || $0 == "dumb" ? nil : $0 } ?? "xterm-256color"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let args = argv.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) }; args.forEach { free($0) } }

        let clock = ContinuousClock()
        let start = clock.now
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, args, envp)
        guard spawned == 0 else {
            if master >= 0 { close(master) }
            throw CLIError("bench: cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        // Drain the terminal so the child never blocks on a full pty buffer.
        let drain: Thread?
        if master >= 0 {
            let fd = master
            drain = Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            }
            drain?.start()
        } else {
            drain = nil
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = clock.now - start
        if master >= 0 {
            // The slave's last holder is gone: the drain's read returns EIO and it ends.
            while drain?.isFinished == false { usleep(1_000) }
            close(master)
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let said = (try? String(contentsOfFile: errorLog, encoding: .utf8))?
                .split(separator: "\n").last.map { ": " + $0 } ?? ""
            throw CLIError("bench: `\(argv.joined(separator: " "))` failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)"))\(said)")
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return BenchSuite.Sample(seconds: seconds, maxRSSKiB: Int(usage.ru_maxrss))
    }
}
