import PVTrace
/// Synthetic micro traces that mirror published nanobenchmarks, so replaying one under the
/// matching cost profile can be checked against the source's cycles.
///
/// Each iteration is one `tracing_mark_write: pvtop-op …` line: the ops the benchmark makes the
/// guest kernel do, which the kernel model prices as one latency sample. The text is tracefs
/// `trace` format with a provenance header saying it is synthetic.
public enum Nanobenchmark: String, CaseIterable, Sendable {
    // Adams & Agesen, ASPLOS 2006, §6.
    case syscall, `in`, pgfault, ptemod
    // One exit-cost probe per KVM exit reason the backends price.
    case probeHLT = "probe-hlt", probeMSRWrite = "probe-msr-write", probeCPUID = "probe-cpuid"
    case probeWBINVD = "probe-wbinvd", probeHypercall = "probe-hypercall"

    /// The pvtop-op marker body: optional class, then ops.
    public var ops: String {
        switch self {
        case .syscall: return "class=syscall syscall_entry usergs_sysret64"
        // `in` from port 0x80; the only port-I/O pv op is io_delay (`out 0x80`): both exit as I/O.
        case .in: return "io_delay"
        // "true page faults": entry, cr2, return; the PTE write is ptemod's (A&A §6).
        case .pgfault: return "class=page_fault exception_entry read_cr2 iret"
        case .ptemod: return "set_pte"
        case .probeHLT: return "class=idle safe_halt"
        case .probeMSRWrite: return "class=msr write_msr"
        case .probeCPUID: return "cpuid"
        case .probeWBINVD: return "wbinvd"
        case .probeHypercall: return "kick"
        }
    }

    /// What the source measured (cycles on its machine), where it published one.
    public var published: (source: String, native: Double?, hardwareVMM: Double?)? {
        switch self {
        case .syscall: return ("Adams & Agesen ASPLOS'06: hardware VMM syscall = native", nil, nil)
        case .in: return ("Adams & Agesen ASPLOS'06 `in`", 3209, 15826)
        case .pgfault: return ("Adams & Agesen ASPLOS'06 pgfault", 1093, 11242)
        case .ptemod: return ("Adams & Agesen ASPLOS'06 ptemod", 1, 12733)
        default: return nil
        }
    }

    public static func named(_ name: String) -> Nanobenchmark? {
        Nanobenchmark(rawValue: name.hasPrefix("nanobench-") ? String(name.dropFirst(10)) : name)
    }

    /// The trace text: `iterations` markers, 10 µs apart, on CPU 0.
    public func trace(iterations: Int) -> String {
        var out = "# pvtop-provenance: synthetic=true\n"
        out += "# pvtop-provenance: profile=nanobench-\(rawValue)\n"
        out += "# pvtop-provenance: iterations=\(iterations)\n"
        if let p = published { out += "# pvtop-provenance: mirrors=\(p.source)\n" }
        out += ftraceHeader(entries: UInt64(iterations), cpus: 1)
        let task = SynthTask(pid: 100, tgid: 100, comm: "nanobench")
        for i in 0..<iterations {
            out += ftraceLine(task: task, cpu: 0, flags: "...1.", nanoseconds: 1_000_000_000 + UInt64(i) * 10_000,
                              text: "tracing_mark_write: pvtop-op \(ops)")
        }
        return out
    }
}
