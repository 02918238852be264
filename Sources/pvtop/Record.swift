import ArgumentParser
import PVRecord
import PVTrace
#if canImport(Glibc)
import Glibc
#endif

extension TraceEventSet: ExpressibleByArgument {}

extension Pvtop {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a kernel-event trace of a command (or system-wide) with ftrace tracepoints.",
            discussion: """
                Needs root. Uses its own tracefs instance (instances/pvtop-PID), never the global \
                buffer, and removes it on exit, error, SIGINT, SIGTERM, SIGHUP and SIGQUIT. The buffer is read \
                after the run, so pvtop does not trace itself. Output is xz/gzip-compressed when FILE \
                ends in .xz/.gz. Exits with the \
                command's exit status (128+N if signal N ended it).

                Examples:
                  pvtop record -o make.trace.xz --crop -- make -j2
                  pvtop record -o idle.trace.xz --duration 2
                """)

        @Option(name: .shortAndLong, help: "Output trace file (.xz/.gz compress), or - for stdout.")
        var output: String = "pvtop.trace.xz"

        @Option(help: "Record system-wide for this many seconds (instead of a command).")
        var duration: Double?

        @Option(help: "Event set: light (sched, faults, TLB, MSR writes, IPIs, vectors, idle) or full (+ syscalls, softirqs, device irqs).")
        var events: TraceEventSet = .light

        @Option(help: "Ring buffer per CPU in KiB (events beyond it are dropped and reported).")
        var bufferKb: Int = 262_144

        @Flag(help: "Keep only the lines between the start/end markers of the command's process tree, idle and interrupts.")
        var crop = false

        @Argument(parsing: .postTerminator, help: "The command to record, after --.")
        var command: [String] = []

        func validate() throws {
            if command.isEmpty && duration == nil {
                throw ValidationError("give a command after -- or --duration SECONDS")
            }
            if !command.isEmpty && duration != nil {
                throw ValidationError("--duration records system-wide; it cannot be combined with a command")
            }
            if let d = duration {
                // Compared as a Double: inf, nan and 1e300 would trap when made nanoseconds.
                guard d.isFinite, d > 0, d * 1e9 <= Double(Self.durationRange.upperBound) else {
                    throw ValidationError("--duration must be a number of seconds from 0 to \(Self.durationRange.upperBound / 1_000_000_000), not \(d)")
                }
            }
            if bufferKb < 64 { throw ValidationError("--buffer-kb must be at least 64") }
            // 2^31 KiB: tracefs's buffer_size_kb is an unsigned long, but no machine has 2 TiB per CPU.
            if bufferKb > 1 << 31 { throw ValidationError("--buffer-kb must be at most \(1 << 31)") }
        }

        /// Durations of a system-wide recording (and `live --duration`): up to a year.
        static let durationRange: ClosedRange<UInt64> = 1_000_000...(365 * 86_400 * 1_000_000_000)

        func run() throws {
            // Before any tracefs instance or workload: a bad -o (a directory, an unwritable
            // place) must not cost a whole recording.
            do {
                try OutputFile.check(path: output)
            } catch let e as OutputError {
                printError("pvtop record: \(e.description)")
                throw ExitCode(2)
            }
            let recorder = TraceRecorder(
                options: .init(command: command, duration: duration, eventSet: events, bufferKB: bufferKb,
                               crop: crop, output: output),
                warn: { printError("pvtop record: " + $0.message) })
            do {
                let s = try recorder.run()
                let exit = s.termination.map { ", workload \($0.description)" } ?? ""
                printError("pvtop record: \(s.linesWritten) events written to \(output) (\(s.bytesWritten) bytes), lost \(s.totalLost)\(exit)")
                if let sig = s.interruptedBy {
                    printError("pvtop record: stopped by signal \(sig); the trace up to then was written, instance removed")
                    throw ExitCode(128 + sig)
                }
                if case .exited(let code)? = s.termination, code != 0 { throw ExitCode(code) }
                if case .signaled(let sig)? = s.termination { throw ExitCode(128 + sig) }
            } catch let e as RecordingError {
                if case .interrupted(let sig) = e {
                    printError("pvtop record: interrupted by a second signal \(sig) while writing; instance removed, no trace written")
                    throw ExitCode(128 + sig)
                }
                printError("pvtop record: error: \(e.message)")
                throw ExitCode(e.exitStatus)
            }
        }
    }
}

func printError(_ s: String) {
    var line = s + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
