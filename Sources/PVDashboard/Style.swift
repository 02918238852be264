/// A terminal colour: the terminal's default, or one of the 16 ANSI colours (8–15 are the
/// bright variants; the terminal layer falls back to base colour + bold on 8-colour terminals).
public enum Color: Hashable, Sendable {
    case terminalDefault
    case ansi(UInt8)

    public static let black = Color.ansi(0), red = Color.ansi(1), green = Color.ansi(2),
                      yellow = Color.ansi(3), blue = Color.ansi(4), magenta = Color.ansi(5),
                      cyan = Color.ansi(6), white = Color.ansi(7)
    public static let brightBlack = Color.ansi(8), brightRed = Color.ansi(9),
                      brightGreen = Color.ansi(10), brightYellow = Color.ansi(11),
                      brightBlue = Color.ansi(12), brightMagenta = Color.ansi(13),
                      brightCyan = Color.ansi(14), brightWhite = Color.ansi(15)
}

public struct Style: Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
    public var dim: Bool

    public init(_ foreground: Color = .terminalDefault, on background: Color = .terminalDefault,
                bold: Bool = false, reverse: Bool = false, underline: Bool = false, dim: Bool = false) {
        self.foreground = foreground; self.background = background
        self.bold = bold; self.reverse = reverse; self.underline = underline; self.dim = dim
    }

    public var bolded: Style { var s = self; s.bold = true; return s }
}
