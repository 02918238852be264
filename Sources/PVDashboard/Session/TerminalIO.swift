/// What the dashboard loop needs of a terminal (ratatui's `Backend`): its size, a way to show
/// a frame of cells, and one call that both waits and reads a key or mouse event (htop's
/// `getch` with a timeout paces the frames). The ncurses terminal in `pvtop` is one
/// implementation; `TestTerminal` is another, so the loop runs in-process in tests.
public protocol TerminalIO: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// Shows `buffer` (the whole frame).
    func draw(_ buffer: CellBuffer)
    /// Waits up to `timeoutMilliseconds` for a key or mouse event; nil on timeout.
    func readInput(timeoutMilliseconds: Int) -> Input?
    /// A monotonic clock in nanoseconds: the loop's only source of time, so a test terminal
    /// can make the loop's time (play clock, rate windows, demo script) deterministic.
    var nowNanoseconds: UInt64 { get }
}
