import Foundation

/// A file the user asked for (`--csv FILE|-`, `--json FILE`): written as we go, flushed at
/// the end. A closed pipe (EPIPE, `| head`) ends output quietly instead of killing us.
final class OutputFile {
    let path: String
    private let stream: UnsafeMutablePointer<FILE>
    private let ownsStream: Bool
    private(set) var pipeClosed = false

    init(path: String) throws {
        self.path = path
        if path == "-" {
            guard let f = fdopen(STDOUT_FILENO, "w") else { throw CLIError("cannot write to stdout") }
            stream = f; ownsStream = false
        } else {
            guard let f = fopen(path, "w") else {
                throw CLIError("\(path): error: cannot write: \(String(cString: strerror(errno)))")
            }
            stream = f; ownsStream = true
        }
    }

    func write(_ text: String) throws {
        guard !pipeClosed else { return }
        var text = text
        let ok = text.withUTF8 { buf in fwrite(buf.baseAddress, 1, buf.count, stream) == buf.count }
        if !ok { try failed() }
    }

    func flush() throws {
        guard !pipeClosed else { return }
        if fflush(stream) != 0 { try failed() }
    }

    func close() throws {
        try flush()
        if ownsStream, fclose(stream) != 0, !pipeClosed {
            throw CLIError("\(path): error: cannot finish writing: \(String(cString: strerror(errno)))")
        }
    }

    private func failed() throws {
        if errno == EPIPE { pipeClosed = true; return }
        throw CLIError("\(path == "-" ? "stdout" : path): error: write failed: \(String(cString: strerror(errno)))")
    }
}
