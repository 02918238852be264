import ArgumentParser
import Foundation
import PVReplay
import PVTrace

/// `--csv`, `--interval`, `--json`, `--hgrm` and the headless run that writes them, shared by
/// `replay` and `live`.
struct HeadlessOutput: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Write one CSV row per interval and engine to FILE (- = stdout); see docs/csv.md.", valueName: "file|-"))
    var csv: String?

    @Option(name: .long, help: ArgumentHelp("CSV interval in trace time (100ms, 1s, …).", valueName: "duration"))
    var interval: String = "100ms"

    @Option(name: .long, help: ArgumentHelp("Write the summary as JSON to FILE.", valueName: "file"))
    var json: String?

    @Option(name: .long, help: ArgumentHelp("Write the per-transition table (count, shares of count and time, cycles per event) as CSV to FILE; see docs/csv.md.", valueName: "file"))
    var transitionsCsv: String?

    @Option(name: .long, help: ArgumentHelp("Write HdrHistogram .hgrm percentile files (engine × event class) into DIR.", valueName: "dir"))
    var hgrm: String?

    /// Any output file asked for implies headless.
    var isRequested: Bool { csv != nil || json != nil || hgrm != nil || transitionsCsv != nil }

    /// Replays to the end (or a stop signal), writing the CSV as it goes, then the JSON, the
    /// .hgrm files and the summary. SIGTERM/SIGINT/SIGHUP end the replay early: everything
    /// written so far is complete; the exit status is then 128 + signal.
    func run(_ replay: PVReplay.Replay) throws {
        RecordingSignals.install()
        signal(SIGPIPE, SIG_IGN) // a closed pipe is EPIPE, handled quietly by OutputFile
        let intervalNs = try parseDuration(interval)
        let csvFile = try csv.map { try OutputFile(path: $0) }
        let final = try Headless.run(replay, intervalNanoseconds: intervalNs,
                                     emit: csvFile.map { file in { try file.write($0) } },
                                     shouldStop: { RecordingSignals.pending != nil })
        try csvFile?.close()
        if let json {
            let file = try OutputFile(path: json)
            try file.write(Summary.json(final, filter: replay.configuration.filter))
            try file.close()
        }
        if let transitionsCsv {
            let file = try OutputFile(path: transitionsCsv)
            try file.write(TransitionsCSV.text(final))
            try file.close()
        }
        if let hgrm {
            try FileManager.default.createDirectory(atPath: hgrm, withIntermediateDirectories: true)
            for (name, text) in Summary.hgrmFiles(final) {
                let file = try OutputFile(path: hgrm + "/" + name)
                try file.write(text)
                try file.close()
            }
        }
        // An empty result is a warning on stderr too, whatever else is written (EmptyResult).
        if let warning = EmptyResult.warning(final, filter: replay.configuration.filter, finished: true) {
            printError("warning: \(warning)")
        }
        // The summary goes to stdout unless a CSV does.
        if csv != "-" && transitionsCsv != "-" {
            let out = try OutputFile(path: "-")
            try out.write(Summary.text(final, filter: replay.configuration.filter))
            try out.flush()
        }
        if let sig = RecordingSignals.pending { throw ExitCode(128 + sig) }
    }
}
