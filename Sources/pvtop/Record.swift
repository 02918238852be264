import ArgumentParser
import PVRecord
import PVTrace
#if canImport(Glibc)
import Glibc
#endif

extension TraceEventSet: ExpressibleByArgument {}
extension RecordingFormat: ExpressibleByArgument {}

extension Pvtop {
    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a kernel-event trace of a command (or system-wide) with ftrace tracepoints.",
            discussion: """
                Needs root. Uses its own tracefs instance (instances/pvtop-PID), never the global \
                buffer, and removes it on exit, error, SIGINT, SIGTERM, SIGHUP and SIGQUIT. The buffer is read \
                after the run, so pvtop does not trace itself. Output is xz/gzip-compressed when FILE \
                ends in .xz/.gz; with --format dat (the default for FILE.dat) it is trace-cmd's \
                trace.dat of the raw ring-buffer pages, for trace-cmd report and KernelShark. Exits with the \
                command's exit status (128+N if signal N ended it).

                Examples:
                  pvtop record -o make.trace.xz --crop -- make -j2
                  pvtop record -o idle.trace.xz --duration 2s
                  pvtop record -o make.dat -- make -j2
                """)

        @Option(name: .shortAndLong, help: "Output trace file (.xz/.gz compress), or - for stdout.")
        var output: String = "pvtop.trace.xz"

        @Option(help: ArgumentHelp("text: ftrace text as tracefs prints it; dat: trace-cmd's trace.dat (version 6) of the raw ring-buffer pages. Default: dat when FILE ends in .dat, else text.", valueName: "text|dat"))
        var format: RecordingFormat?

        /// `--format`, or the output's extension.
        var resolvedFormat: RecordingFormat { format ?? (output.hasSuffix(".dat") ? .dat : .text) }

        @Option(help: ArgumentHelp("Record system-wide for this long (e.g. 2s, 1m) instead of a command.", valueName: "duration"),
                transform: DurationArgument.parser("--duration", within: DurationArgument.Range.capture))
        var duration: DurationArgument?

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
                throw ValidationError("give a command after -- or --duration DURATION (e.g. 2s)")
            }
            if !command.isEmpty && duration != nil {
                throw ValidationError("--duration records system-wide; it cannot be combined with a command")
            }
            if resolvedFormat == .dat {
                if output.hasSuffix(".xz") || output.hasSuffix(".gz") {
                    throw ValidationError("--format dat is written uncompressed (trace-cmd reads trace.dat as it is); name it FILE.dat")
                }
                if crop { throw ValidationError("--crop keeps lines of text; it needs --format text") }
            }
            if bufferKb < 64 { throw ValidationError("--buffer-kb must be at least 64") }
            // 2^31 KiB: tracefs's buffer_size_kb is an unsigned long, but no machine has 2 TiB per CPU.
            if bufferKb > 1 << 31 { throw ValidationError("--buffer-kb must be at most \(1 << 31)") }
        }

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
                options: .init(command: command, duration: duration.map { Double($0.nanoseconds) / 1e9 }, eventSet: events, bufferKB: bufferKb,
                               crop: crop, output: output, format: resolvedFormat),
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
