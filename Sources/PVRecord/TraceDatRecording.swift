import PVTrace
#if canImport(Glibc)
import Glibc
#endif

/// What a trace.dat needs besides the pages, read from tracefs the way `trace-cmd record`
/// gathers it (lib/trace-cmd/trace-output.c): the ring buffer's header formats, the formats
/// of the ftrace events and of the events recorded, printk formats and saved cmdlines, and
/// the options `trace-cmd report` shows (`--uname`, `--version`, `--stat`, the clock).
///
/// kallsyms is left out: `/proc/kallsyms` is megabytes, hidden from non-root readers by
/// kptr_restrict, and pvtop reads numeric fields, never the symbolized `%ps` text. `trace-cmd
/// report` then prints those fields (`ip=`) as addresses.
struct TraceDatRecording {
    static func layout(instance: TraceInstance, capture: RawPageCapture, provenance: RecordingProvenance) -> TraceDatLayout {
        let root = instance.tracefs.root
        let bySystem = Dictionary(grouping: instance.enabledEvents, by: \.system)
        let systems = bySystem.keys.sorted().map { system in
            (name: system, formats: bySystem[system]!.map(\.event).sorted().map {
                bytes(of: "\(root)/events/\(system)/\($0)/format")
            })
        }
        var options: [TraceDatOption] = [
            .traceClock(readSmallFile(instance.path + "/trace_clock") ?? "[\(instance.configuration.clock)]\n"),
            .uname(unameText()),
            .version("pvtop \(RecordingProvenance.pvtopVersion)"),
        ]
        for cpu in 0..<capture.sizes.count {
            options.append(.cpuStat(cpu: cpu, stats: readSmallFile("\(instance.path)/per_cpu/cpu\(cpu)/stats") ?? ""))
        }
        options.append(TraceDatOption(id: TraceDatProvenance.optionID, data: Array(provenance.text.utf8) + [0]))
        return TraceDatLayout(
            pageSize: capture.pageSize,
            headerPage: bytes(of: root + "/events/header_page"),
            headerEvent: bytes(of: root + "/events/header_event"),
            ftraceFormats: directoryNames(root + "/events/ftrace").map { bytes(of: "\(root)/events/ftrace/\($0)/format") }
                .filter { !$0.isEmpty },
            eventSystems: systems,
            printkFormats: bytes(of: root + "/printk_formats"),
            savedCmdlines: bytes(of: root + "/saved_cmdlines"),
            options: options,
            cpuDataSizes: capture.sizes)
    }

    private static func bytes(of path: String) -> [UInt8] { Array((readSmallFile(path) ?? "").utf8) }

    /// `sysname nodename release version machine`, as trace-cmd writes TRACECMD_OPTION_UNAME.
    private static func unameText() -> String {
        var u = utsname()
        uname(&u)
        func field<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return [field(u.sysname), field(u.nodename), field(u.release), field(u.version), field(u.machine)]
            .joined(separator: " ")
    }

    /// Subdirectory names, sorted (the same file for the same kernel).
    private static func directoryNames(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if !name.hasPrefix("."), isDirectory(path + "/" + name) { names.append(name) }
        }
        return names.sorted()
    }
}
