import ArgumentParser
import Foundation
import PVRecord

/// A one-line error the CLI itself finds (no library type says it better).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// The one way a command reports a failure: runs `body`; ArgumentParser's own outcomes (an exit
/// status, a usage error, `--help`) pass through; any other error — the libraries' typed errors
/// (`TraceError`, `CostProfile.LoadError`, `OutputError`, `RecordingError`, `BundledTraces.Missing`)
/// say their message in `description` — becomes one line `pvtop: …` on stderr and exit status 2:
/// never a crash, a stack trace or a multi-line dump.
func reportingUserErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        printError("pvtop: " + oneLine(error))
        throw ExitCode(2)
    }
}

/// An error's message on one line (Foundation's can span several); a recording error in the
/// CLI's words (RecordingMessages).
func oneLine(_ error: any Error) -> String {
    let text = (error as? RecordingError)?.message ?? String(describing: error)
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

func printError(_ s: String) {
    var line = s + "\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
