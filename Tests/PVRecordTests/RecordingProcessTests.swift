import Foundation
import Testing
import PVTrace
@testable import PVRecord

/// Tests that spawn workloads or touch the process-wide stop-signal flag. Serialized as a
/// whole (nested suites included), so no recording sees another test's flag.
@Suite(.serialized) struct RecordingProcessTests {
    @Test func childExitStatusAndSignalsAreReported() throws {
        let ok = try ChildProcess.spawn(["sh", "-c", "exit 7"])
        #expect(ok.wait().0 == .exited(7))
        #expect(throws: RecordingError.self) { try ChildProcess.spawn(["/nonexistent/pvtop-child"]) }
    }

    /// A stop signal (here: the flag as a handler would set it) is forwarded to the workload,
    /// which is then waited for.
    @Test func stopSignalIsForwardedToTheWorkload() throws {
        let child = try ChildProcess.spawn(["sleep", "10"])
        let setter = Thread {
            usleep(200_000)
            StopSignals.simulate(SIGTERM)
        }
        setter.start()
        let start = Date()
        let (termination, forwarded) = child.wait()
        StopSignals.acknowledge()
        #expect(termination == .signaled(SIGTERM))
        #expect(forwarded == SIGTERM)
        #expect(Date().timeIntervalSince(start) < 5)
    }
}

/// Tests that really trace: they need root and tracefs, and skip otherwise (containers and
/// CI runners are usually not root). They share the tracefs and our pid's instance name;
/// every test checks that its instance is gone afterwards.
extension RecordingProcessTests {
    @Suite(.enabled(if: RecordingEnvironment.canTrace, "needs root and a mountable tracefs"))
    struct Tracing {
        private func tracefsMountCount() -> Int {
            (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8))?
                .split(separator: "\n").filter { $0.split(separator: " ").dropFirst(2).first == "tracefs" }.count ?? 0
        }

        private func instances(_ view: Tracefs) -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: view.root + "/instances")) ?? []
        }

        @Test func recordingBinTrueWritesATraceAndRemovesItsInstance() throws {
            let mountsBefore = tracefsMountCount()
            let view = try Tracefs.open()  // keeps a mount alive so the instance stays observable
            defer { view.release() }
            let globalEventsBefore = try String(contentsOfFile: view.root + "/set_event", encoding: .utf8)
            let out = NSTemporaryDirectory() + "pvtop-rec-test-\(getpid()).trace.gz"
            defer { unlink(out) }
            let summary = try TraceRecorder(options: .init(
                command: ["/bin/true"], eventSet: .light, bufferKB: 2048, crop: true, output: out), warn: { _ in }).run()

            #expect(summary.termination == .exited(0))
            #expect(summary.eventCounts["sched_process_exec", default: 0] >= 1)
            #expect(summary.eventCounts["tracing_mark_write"] == 2)
            #expect(summary.provenance["cropped"]?.hasPrefix("yes") == true)
            #expect(summary.provenance["lost"] == "0")
            #expect(FileManager.default.fileExists(atPath: out))
            // The instance is gone, nothing is enabled at the top level that was not before,
            // and the recorder unmounted whatever it mounted.
            #expect(!instances(view).contains("pvtop-\(getpid())"))
            #expect(try String(contentsOfFile: view.root + "/set_event", encoding: .utf8) == globalEventsBefore)
            view.release()
            #expect(tracefsMountCount() == mountsBefore)
        }

        @Test func missingBinaryIsAnErrorAndStillCleansUp() throws {
            let view = try Tracefs.open()
            defer { view.release() }
            #expect(throws: RecordingError.self) {
                try TraceRecorder(options: .init(command: ["/nonexistent/pvtop-test"], bufferKB: 1024,
                                                 output: NSTemporaryDirectory() + "pvtop-never.trace"),
                                  warn: { _ in }).run()
            }
            #expect(!instances(view).contains("pvtop-\(getpid())"))
            #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "pvtop-never.trace"))
        }

        @Test func staleInstancesOfDeadPvtopsAreRemovedLiveOnesKept() throws {
            let view = try Tracefs.open()
            defer { view.release() }
            let dead = try spawn(["/bin/true"])
            var st: Int32 = 0
            _ = waitpid(dead, &st, 0)
            let stale = view.root + "/instances/pvtop-\(dead)"
            let live = view.root + "/instances/pvtop-\(getpid())"
            #expect(mkdir(stale, 0o755) == 0 && mkdir(live, 0o755) == 0)
            defer { rmdir(live) }
            try writeControl(stale + "/set_event", "sched:sched_switch\n")
            #expect(view.removeStaleInstances() == ["pvtop-\(dead)"])
            #expect(!instances(view).contains("pvtop-\(dead)"))
            #expect(instances(view).contains("pvtop-\(getpid())"))
        }

        /// `pvtop record --duration 30`, SIGTERM (or SIGQUIT, which by default would dump core
        /// through Swift's backtracer) after its instance appears: exit 128+N, no instance left,
        /// and the trace so far written, marked interrupted. Runs the built binary (next to the
        /// test bundle).
        @Test(arguments: [SIGTERM, SIGQUIT])
        func stopSignalEndsARecordingWritesItAndRemovesItsInstance(signal: Int32) throws {
            let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("pvtop").path
            guard FileManager.default.isExecutableFile(atPath: binary) else {
                print("skipping: \(binary) not built (swift build first)")
                return
            }
            let view = try Tracefs.open()
            defer { view.release() }
            let out = NSTemporaryDirectory() + "pvtop-signal\(signal)-\(getpid()).trace"
            let pid = try spawn([binary, "record", "-o", out, "--duration", "30", "--buffer-kb", "1024"])
            var appeared = false
            for _ in 0..<200 where !appeared {  // up to 10 s
                appeared = instances(view).contains("pvtop-\(pid)")
                if !appeared { usleep(50_000) }
            }
            #expect(appeared)
            usleep(200_000)  // into the recording loop
            kill(pid, signal)
            var status: Int32 = 0
            let deadline = Date().addingTimeInterval(20)
            while waitpid(pid, &status, WNOHANG) == 0 {
                if Date() > deadline {
                    kill(pid, SIGKILL)
                    _ = waitpid(pid, &status, 0)
                    Issue.record("pvtop record did not stop within 20 s of signal \(signal)")
                    break
                }
                usleep(20_000)
            }
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 128 + signal)
            #expect(!instances(view).contains("pvtop-\(pid)"))
            #expect(!FileManager.default.fileExists(atPath: out + ".partial"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent))?
                .contains { $0.hasPrefix("." + (out as NSString).lastPathComponent + ".pvtop-") } != true)
            defer { unlink(out) }
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            #expect(text.contains("# pvtop-provenance: interrupted=signal \(signal)"))
            let reader = try FtraceTextReader(path: out)
            while try reader.next() != nil {}
            #expect(reader.diagnostics.warningCount == 0)
        }

        @Test func liveStreamDeliversOthersEventsButNotPvtopsOwnAndRemovesItsInstance() throws {
            let view = try Tracefs.open()
            defer { view.release() }
            let stream = try LiveTraceStream(eventSet: .light, bufferKB: 1024, shouldStop: { false })
            let name = stream.instance.name
            #expect(instances(view).contains(name))
            let notrace = try String(contentsOfFile: stream.instance.path + "/set_event_notrace_pid", encoding: .utf8)
            #expect(notrace.split(separator: "\n").contains(Substring(String(getpid()))), "\(notrace)")
            // A child of ours: with event-fork it inherits the notrace mark, so it must not show.
            let child = try spawn(["/bin/true"])
            var st: Int32 = 0
            _ = waitpid(child, &st, 0)
            var text = ""
            var buf = [UInt8](repeating: 0, count: 1 << 16)
            let deadline = Date().addingTimeInterval(3)
            // Timer ticks (~32/s/CPU even when idle) guarantee lines; read blocks until data.
            while text.split(separator: "\n").filter({ !$0.hasPrefix("#") }).count < 20, Date() < deadline {
                let n = try buf.withUnsafeMutableBytes { try stream.read(into: $0) }
                text += String(decoding: buf[0..<n], as: UTF8.self)
            }
            stream.stop()
            #expect(try buf.withUnsafeMutableBytes { try stream.read(into: $0) } == 0)
            stream.close()

            #expect(text.hasPrefix("# pvtop-provenance: pvtop-version="))
            #expect(text.contains("#P:"))
            let events = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            #expect(events.count >= 20)
            #expect(!text.contains("filename=/bin/true"))
            // Our threads are on set_event_notrace_pid. While a task switches, the kernel filters
            // only when both sides are ignored (event_filter_pid_sched_switch_probe_pre in
            // kernel/trace/trace_events.c), so a switch from our thread to another task and what
            // happens inside it (the CR3 load, the ring buffer's reader wakeup IPI) still show in
            // our name; our own work (faults, flushes outside a switch) must not.
            let me = "(" + String(repeating: " ", count: max(0, 7 - String(getpid()).count)) + "\(getpid())) "
            let own = events.filter { $0.contains(me) }
            let ownSwitches = own.filter { $0.contains("sched_switch:") }.count
            #expect(own.count - ownSwitches <= 4 * ownSwitches, "\(own.prefix(6))")
            #expect(!own.contains { $0.contains("page_fault_") }, "\(own.prefix(6))")
            #expect(!instances(view).contains(name))
        }
    }
}

/// posix_spawn (Foundation.Process can hang on inherited descriptors, swift-corelibs-foundation Process waits for the pipes' EOF).
func spawn(_ argv: [String]) throws -> pid_t {
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var args: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for a in args { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], nil, &attr, &args, environ)
    guard rc == 0 else { throw RecordingError.spawn(command: argv[0], reason: String(cString: strerror(rc))) }
    return pid
}
