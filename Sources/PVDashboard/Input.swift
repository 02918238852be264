import PVReplay

/// A key press decoded by the terminal layer; the meaning is decided by `DashboardState.apply`,
/// so the whole key map is pure and testable.
public enum Input: Equatable, Sendable {
    case character(Character)
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, escape, tab, backTab, backspace
    /// F1…F12.
    case function(Int)
    /// The terminal was resized (ncurses' KEY_RESIZE); the view reads the new size itself.
    case resize
    /// Ctrl-C read as a key, or SIGINT seen by the loop.
    case interrupt
}

/// What the dashboard asks of the replay (and the loop) after a key or a frame.
public enum Command: Equatable, Sendable {
    /// Rebuild the engines with this configuration (`ReplayControl.reconfigure`).
    case reconfigure(ReplayConfiguration)
    case seek(toTraceTime: UInt64)
    case step
    case restart
    case quit
}
