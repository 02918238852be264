/// An in-memory `TerminalIO` (ratatui's `TestBackend`): it keeps the last frame drawn, plays a
/// script of inputs at given times on its own clock, and advances that clock by the loop's
/// timeouts, so a dashboard session runs in-process, deterministically and without waiting.
public final class TestTerminal: TerminalIO {
    public enum Step: Sendable, Equatable {
        /// An input delivered once the clock reaches `atNanoseconds` (or at once if it has).
        case input(Input, atNanoseconds: UInt64)
        /// The window changes size, then a `.resize` input is delivered (ncurses' KEY_RESIZE).
        case resize(width: Int, height: Int, atNanoseconds: UInt64)
    }

    public private(set) var size: (width: Int, height: Int)
    public private(set) var nowNanoseconds: UInt64 = 0
    /// The last frame drawn, and how many were drawn.
    public private(set) var frame: CellBuffer
    public private(set) var drawCount = 0
    /// Each frame's text when `keepsFrames` (the demo test reads which views went by).
    public private(set) var frames: [String] = []
    public var keepsFrames = false
    private var script: [Step]
    /// A script that runs out quits (F10), so a test never hangs.
    public private(set) var scriptFinished = false

    public init(width: Int, height: Int, script: [Step] = []) {
        size = (width, height)
        frame = CellBuffer(width: width, height: height)
        self.script = script
    }

    /// Keys at `intervalNanoseconds` apart, starting after one interval.
    public static func keys(_ inputs: [Input], every intervalNanoseconds: UInt64 = 50_000_000) -> [Step] {
        inputs.enumerated().map { .input($0.element, atNanoseconds: UInt64($0.offset + 1) * intervalNanoseconds) }
    }

    public func draw(_ buffer: CellBuffer) {
        frame = buffer
        drawCount += 1
        if keepsFrames { frames.append(buffer.text) }
    }

    public func readInput(timeoutMilliseconds: Int) -> Input? {
        let deadline = nowNanoseconds + UInt64(max(timeoutMilliseconds, 0)) * 1_000_000
        guard let next = script.first else {
            scriptFinished = true
            return .function(10)
        }
        let due: UInt64
        switch next {
        case .input(_, let at), .resize(_, _, let at): due = at
        }
        guard due <= deadline else {
            // A zero timeout still lets time pass, so a busy loop reaches the next step.
            nowNanoseconds = max(deadline, nowNanoseconds + 1_000_000)
            return nil
        }
        nowNanoseconds = max(nowNanoseconds, due)
        script.removeFirst()
        switch next {
        case .input(let input, _): return input
        case .resize(let w, let h, _): size = (w, h); return .resize
        }
    }
}
