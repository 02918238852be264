#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension FtraceTextReader {
    /// `# tracer: nop`, `# entries-in-buffer/entries-written: 18552/18552   #P:2`,
    /// `# pvtop-provenance: key=value`, the TGID column header, and ftrace's
    /// `##### CPU 1 buffer started ####`. Other comments are ignored.
    func parseComment(_ b: LineBytes, from k0: Int) throws -> TraceRecord? {
        var k = k0 + 1
        b.skipSpaces(&k)
        if b.hasPrefix("tracer:", at: k) {
            var v = k + 7
            b.skipSpaces(&v)
            headerFields.tracer = b.string(v..<b.count)
            sawHeader = true
        } else if b.hasPrefix("entries-in-buffer/entries-written:", at: k) {
            sawHeader = true
            var v = k + 34
            b.skipSpaces(&v)
            let inBuffer = b.decimal(&v)
            var w = v + 1
            guard let inBuffer, b[v] == 0x2f, let written = b.decimal(&w) else {
                try warn(.malformed, "cannot parse entries-in-buffer/entries-written header")
                return nil
            }
            v = w
            headerFields.entriesInBuffer = inBuffer
            headerFields.entriesWritten = written
            if let p = b.find("#P:", from: v) {
                var q = p + 3
                if let cpus = b.decimal(&q), cpus > 0, cpus <= UInt64(Self.maxCPU + 1) {
                    headerFields.cpuCount = max(headerFields.cpuCount, Int(cpus))
                    declaredCPUs = max(declaredCPUs, Int(cpus))
                } else {
                    try warn(.malformed, "#P: is not a CPU count from 1 to \(Self.maxCPU + 1): ignored")
                }
            }
            // Only sign of overwritten events in `trace` (Documentation/trace/ftrace.rst, "entries-in-buffer/entries-written"): no per-CPU split.
            if written > inBuffer {
                lostEvents &+= written - inBuffer
                return .lost(cpu: TraceRecord.unknownCPU, count: written - inBuffer, line: lineNumber)
            }
        } else if b.hasPrefix("pvtop-provenance:", at: k) {
            var v = k + 17
            b.skipSpaces(&v)
            let text = b.string(v..<b.count)
            if let eq = text.firstIndex(of: "=") {
                let key = String(text[..<eq]), value = String(text[text.index(after: eq)...])
                headerFields.provenance.append((key: key, value: value))
                // The recording machine's CPU count (RecordingProvenance): CPU numbers beyond it are garbage.
                if key == "cpus" {
                    if let n = Int(value), n > 0, n <= Self.maxCPU + 1 {
                        declaredCPUs = max(declaredCPUs, n)
                    } else {
                        try warn(.malformed, "pvtop-provenance cpus=\(value) is not a CPU count from 1 to \(Self.maxCPU + 1): ignored")
                    }
                }
            } else {
                try warn(.malformed, "pvtop-provenance line without key=value")
            }
        } else if b.hasPrefix("TASK-PID", at: k) {
            sawHeader = true
            if b.find("TGID", from: k) != nil { headerFields.hasTGIDColumn = true }
        }
        return nil
    }

    /// `CPU:0 [LOST 246 EVENTS]` (kernel trace_pipe), `CPU:0 [246 EVENTS DROPPED]` /
    /// `CPU:0 [EVENTS DROPPED]` (trace-cmd report).
    func parseCPULine(_ b: LineBytes, from k0: Int) throws -> TraceRecord? {
        var k = k0 + 3
        if b[k] == 0x3a {
            k += 1
            guard let cpu = b.decimal(&k), cpu <= UInt64(Self.maxCPU) else { return nil }
            b.skipSpaces(&k)
            guard b[k] == 0x5b else { return nil }  // '['
            k += 1
            var count: UInt64 = 0
            if b.hasPrefix("LOST ", at: k) {
                k += 5
                guard let n = b.decimal(&k), b.hasPrefix(" EVENTS]", at: k) else { return nil }
                count = n
            } else if let n = b.decimal(&k) {
                guard b.hasPrefix(" EVENTS DROPPED]", at: k) else { return nil }
                count = n
            } else if !b.hasPrefix("EVENTS DROPPED]", at: k) {
                return nil
            }
            if declaredCPUs > 0 && cpu >= UInt64(declaredCPUs) {
                try warn(.cpuOutOfRange, "CPU \(cpu) in a lost-events line, but the trace has \(declaredCPUs) CPUs: line skipped")
                return nil
            }
            lostEvents &+= count
            noteCPU(Int(cpu))
            return .lost(cpu: UInt16(cpu), count: count, line: lineNumber)
        }
        return nil
    }

    /// Where the line goes on after trace-cmd report's buffer-name prefix (`name: `, printed
    /// before each line of an instance buffer, trace-cmd tracecmd/trace-read.c
    /// print_handle_file), or nil when the first word does not end in a colon.
    static func afterInstancePrefix(_ b: LineBytes, from k0: Int) -> Int? {
        afterInstancePrefix(b, from: k0, wordEnd: firstWordEnd(b, from: k0))
    }

    /// `afterInstancePrefix` when the first word's end (`firstWordEnd`) is known.
    @inline(__always) static func afterInstancePrefix(_ b: LineBytes, from k0: Int, wordEnd: Int) -> Int? {
        var k = wordEnd
        guard k > k0, b[k] == 0x3a, b[k + 1] == 0x20 else { return nil }
        k += 1
        b.skipSpaces(&k)
        return k
    }

    /// The first blank or colon at or after `k0` (or the line's end). Every line passes here:
    /// one compare per byte, no bounds test per byte.
    @inline(__always) static func firstWordEnd(_ b: LineBytes, from k0: Int) -> Int {
        var k = max(k0, 0)
        let p = b.base, n = b.count
        while k < n {
            let c = p[k]
            if c == 0x20 || c == 0x3a { break }
            k += 1
        }
        return k
    }

    /// trace-cmd report's first lines: `version = 6`, `cpus=2`, `CPU 0 is empty`.
    func parseTraceCmdPreamble(_ b: LineBytes, from k0: Int) -> Bool {
        if b.hasPrefix("cpus=", at: k0) {
            var k = k0 + 5
            if let n = b.decimal(&k), k == b.count, n > 0, n <= UInt64(Self.maxCPU + 1) {
                headerFields.cpuCount = max(headerFields.cpuCount, Int(n))
                declaredCPUs = max(declaredCPUs, Int(n))
                sawTraceCmdPreamble = true
                headerFields.format = .traceCmdReport
                return true
            }
        }
        if b.hasPrefix("version = ", at: k0) || (b.hasPrefix("CPU ", at: k0) && b.find(" is empty", from: k0) != nil) {
            sawTraceCmdPreamble = true
            headerFields.format = .traceCmdReport
            return true
        }
        return false
    }
}
