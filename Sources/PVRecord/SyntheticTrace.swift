import PVTrace
/// `pvtop synth`: deterministic micro workloads in the text format of tracefs `trace`
/// (record-tgid on, flags column, `#P:` header), labelled `synthetic=true` in the provenance.
///
/// Each profile repeats one iteration whose event sequence, flags and field formats are
/// copied from the real recordings in traces/ (same kernel); the gaps are
/// rounded from the same recordings. The same arguments always give the same bytes.
public enum SyntheticProfile: String, Sendable, CaseIterable {
    /// getpid() in a loop: raw sys_enter/sys_exit pairs.
    case nullSyscall = "null-syscall"
    /// Two tasks on CPU 0 passing a byte through two pipes: wakeup + switch + CR3 load per hop.
    case pipePingPong = "pipe-pingpong"
    /// fork() + _exit() + wait4(): COW flushes, fork/wakeup_new, exit, zombie switch.
    case forkExit = "fork-exit"
    /// fork() + execve(/bin/true) + exit: the exec's new mm, ELF loading faults, mmap/mprotect/brk.
    case exec
    /// Write faults on fresh anonymous pages (error_code 0x6), one per iteration.
    case pageFault = "page-fault"
    /// mmap 16 pages, touch each, munmap: 16 faults and one local 16-page flush per iteration.
    case mmapMunmap = "mmap-munmap"
    /// munmap in one thread while a sibling thread runs on CPU 1: the sender flushes locally
    /// (reason 3), decides to IPI (reason 4), sends it (ipi_send_cpu + ICR write_msr 830);
    /// the target flushes in call_function_single (reason 1).
    case tlbShootdown = "tlb-shootdown"
    /// Every CPU idle: HLT, woken by its timer tick (~32/s/CPU under NOHZ on the guest).
    case idle

    public var summary: String {
        switch self {
        case .nullSyscall: return "getpid() loop on CPU 0"
        case .pipePingPong: return "pipe ping-pong between two tasks on CPU 0"
        case .forkExit: return "fork + exit + wait loop"
        case .exec: return "fork + execve(/bin/true) + wait loop"
        case .pageFault: return "one user write fault per iteration"
        case .mmapMunmap: return "mmap 16 pages, touch, munmap"
        case .tlbShootdown: return "munmap with a sibling thread on CPU 1 (TLB shootdown IPIs)"
        case .idle: return "all CPUs idle; iterations = timer ticks per CPU"
        }
    }

    /// At least this many CPUs.
    public var minimumCPUs: Int { self == .tlbShootdown ? 2 : 1 }
    public var defaultIterations: Int { self == .idle ? 64 : 1000 }
}

public struct SyntheticTrace: Sendable {
    public let profile: SyntheticProfile
    public let iterations: Int
    public let cpus: Int

    public init(profile: SyntheticProfile, iterations: Int? = nil, cpus: Int = 2) throws {
        guard cpus >= profile.minimumCPUs, cpus <= 4096 else {
            throw RecordingError.syntheticCPUs(profile: profile.rawValue, given: cpus, range: profile.minimumCPUs...4096)
        }
        let n = iterations ?? profile.defaultIterations
        guard n >= 1 else { throw RecordingError.syntheticIterations(n) }
        self.profile = profile
        self.iterations = n
        self.cpus = cpus
    }

    /// Event lines by event name (the same counts `write` puts in the provenance).
    public func eventCounts() -> [String: UInt64] {
        let gen = SynthGenerator(cpus: cpus, sink: nil)
        gen.run(profile, iterations: iterations)
        return gen.counts
    }

    /// Provenance, header and events, in order, as `text` chunks.
    public func write(_ out: (String) throws -> Void) throws {
        let counts = eventCounts()
        var p = RecordingProvenance()
        p.add("synthetic", "true")
        p.add("profile", profile.rawValue)
        p.add("description", profile.summary)
        p.add("iterations", String(iterations))
        p.add("cpus", String(cpus))
        p.add("pvtop-version", RecordingProvenance.pvtopVersion)
        p.add("clock", "synthetic (sequences from traces/ recorded on kernel 6.18, KVM guest)")
        p.addCounts(counts)
        try out(p.text)
        let total = counts.values.reduce(0, +)
        try out(ftraceHeader(entries: total, cpus: cpus))
        try withoutActuallyEscaping(out) { out in
            var pending = ""
            var failure: Error? = nil
            let gen = SynthGenerator(cpus: cpus) { line in
                guard failure == nil else { return }
                pending += line
                if pending.utf8.count >= 1 << 16 {
                    do { try out(pending) } catch { failure = error }
                    pending = ""
                }
            }
            gen.run(profile, iterations: iterations)
            if let failure { throw failure }
            if !pending.isEmpty { try out(pending) }
        }
    }

    /// The whole trace as one string (tests, small runs).
    public func text() -> String {
        var s = ""
        try? write { s += $0 }
        return s
    }
}
