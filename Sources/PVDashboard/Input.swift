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
    /// A mouse button or wheel event at a cell (ncurses' KEY_MOUSE).
    case mouse(MouseEvent)
    /// A press the session matched to what was drawn under it (`DashboardLayout.target`).
    case click(ClickTarget)
}

public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case press, wheelUp, wheelDown }
    public var kind: Kind
    public var x: Int
    public var y: Int
    public init(kind: Kind, x: Int, y: Int) { self.kind = kind; self.x = x; self.y = y }
}

/// What a click landed on.
public enum ClickTarget: Equatable, Sendable {
    /// An engine column (display index): its counters fill the counter table.
    case engine(Int)
    /// A panel below the columns, or its tab at 80×24: it takes the focus.
    case panel(DashboardState.Focus)
    /// A row of the counter table (index into its rows).
    case counterRow(Int)
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
