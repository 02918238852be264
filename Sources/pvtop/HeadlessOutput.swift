import ArgumentParser
import Foundation
import PVReplay
import PVRecord
import PVTrace

/// `--csv`, `--interval`, `--json`, `--hgrm` and the headless run that writes them, shared by
/// `replay` and `live`.
struct HeadlessOutput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write one CSV row per interval and engine to FILE (- = stdout); see docs/csv.md.", valueName: "file|-"))
    var csv: String?

    @Option(name: .long, help: ArgumentHelp("CSV interval in trace time (100ms, 1s, …; 1us to 1 day).", valueName: "duration"))
    var interval: String = "100ms"

    @Option(name: .long, help: ArgumentHelp("Write the summary as JSON to FILE.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write the per-transition table (count, shares of count and time, cycles per event) as CSV to FILE; see docs/csv.md.", valueName: "file"))
    var transitionsCsv: String?

    @Option(name: .long, help: ArgumentHelp("Write HdrHistogram .hgrm percentile files (engine × event class) into DIR.", valueName: "dir"))
    var hgrm: String?

    /// Text traces have microsecond timestamps: a shorter interval only adds empty rows.
    static let intervalRange: ClosedRange<UInt64> = 1_000...86_400_000_000_000

    func validate() throws {
        _ = try parseDuration(interval, option: "--interval", within: Self.intervalRange)
        if json == "-" && csv == "-" { throw ValidationError("--csv - and --json - cannot both go to stdout") }
    }

    /// Any output file asked for implies headless.
    var isRequested: Bool { csv != nil || json != nil || hgrm != nil || transitionsCsv != nil }

    /// Replays to the end (or a stop signal), writing the CSV as it goes, then the JSON, the
    /// .hgrm files and the summary. Every output is opened (and checked) before the replay
    /// starts and put in place only when complete. SIGTERM/SIGINT/SIGHUP end the replay early:
    /// everything written so far is complete; the exit status is then 128 + signal.
    /// `inputs` are the trace files read, which no output may overwrite.
    func run(_ replay: PVReplay.Replay, inputs: [String] = []) throws {
        StopSignals.install()
        signal(SIGPIPE, SIG_IGN) // a closed pipe is EPIPE, handled quietly by OutputFile
        let intervalNs = try parseDuration(interval, option: "--interval", within: Self.intervalRange)
        let csvFile = try csv.map { try OutputFile(path: $0, protecting: inputs) }
        let jsonFile = try json.map { try OutputFile(path: $0, protecting: inputs) }
        if let hgrm { try makeDirectory(hgrm) }
        let final = try Headless.run(replay, intervalNanoseconds: intervalNs,
                                     emit: csvFile.map { file in { try file.write($0) } },
                                     shouldStop: { StopSignals.pending != nil })
        try csvFile?.commit()
        if let jsonFile {
            try jsonFile.write(Summary.json(final, filter: replay.configuration.filter))
            try jsonFile.commit()
        }
        if let transitionsCsv {
            let file = try OutputFile(path: transitionsCsv, protecting: inputs)
            try file.write(TransitionsCSV.text(final))
            try file.commit()
        }
        if let hgrm {
            for (name, text) in Summary.hgrmFiles(final) {
                let file = try OutputFile(path: hgrm + "/" + name, protecting: inputs)
                try file.write(text)
                try file.commit()
            }
        }
        // An empty result is a warning on stderr too, whatever else is written (EmptyResult).
        if let warning = EmptyResult.warning(final, filter: replay.configuration.filter, finished: true) {
            printError("warning: \(warning)")
        }
        // The summary goes to stdout unless a CSV or the JSON does.
        if csv != "-" && json != "-" && transitionsCsv != "-" {
            let out = try OutputFile(path: "-")
            try out.write(Summary.text(final, filter: replay.configuration.filter))
            try out.commit()
        }
        if let line = final.diagnostics.summaryLine { printError("pvtop: " + line) }
        if let sig = StopSignals.pending { throw ExitCode(128 + sig) }
    }

    /// `mkdir -p` with a one-line error (Foundation's would be a multi-line dump).
    private func makeDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw CLIError("\(path): error: --hgrm needs a directory; this is a file") }
            guard access(path, W_OK | X_OK) == 0 else { throw CLIError("\(path): error: cannot write into it: \(String(cString: strerror(errno)))") }
            return
        }
        let parent = OutputFileDirectory.parent(of: path)
        if parent != path && parent != "." && parent != "/" { try makeDirectory(parent) }
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            throw CLIError("\(path): error: cannot create the directory: \(String(cString: strerror(errno)))")
        }
    }
}

enum OutputFileDirectory {
    static func parent(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        let d = p[..<slash]
        return d.isEmpty ? "/" : String(d)
    }
}
