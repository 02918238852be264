/// Named styles for every role on screen. Four themes, after htop's colour schemes and the
/// projector requests of htop and btop users (htop's and btop's colour schemes): `dark` (terminal background), `light` (paints
/// its own white background, no yellow), `highContrast` (black on white, bold, saturated
/// colours only) and `mono` (attributes only, for `TERM=vt100`-like terminals and printouts).
public struct Theme: Sendable, Equatable {
    public enum Name: String, Sendable, CaseIterable, Codable {
        case dark, light
        case highContrast = "high-contrast"
        case mono
    }

    public var name: Name
    /// The whole screen is cleared to this (light themes own their background).
    public var base: Style
    public var text: Style
    public var dim: Style
    public var border: Style
    public var title: Style
    /// Header line (trace, play state, profile).
    public var header: Style
    public var headerAccent: Style
    /// Numbers that say "worse than native" / "as good as native".
    public var worse: Style
    public var better: Style
    public var bar: Style
    /// Bars of each engine, by display index (native first).
    public var engineBars: [Style]
    public var keyName: Style
    public var keyLabel: Style
    public var overlay: Style
    public var overlayTitle: Style
    public var selected: Style
    public var warning: Style

    public func engineBar(_ index: Int) -> Style { engineBars[index % engineBars.count] }

    public static func named(_ name: Name) -> Theme {
        switch name {
        case .dark: return .dark
        case .light: return .light
        case .highContrast: return .highContrast
        case .mono: return .mono
        }
    }

    public static let dark = Theme(
        name: .dark, base: Style(), text: Style(), dim: Style(.brightBlack),
        border: Style(.cyan), title: Style(.brightWhite, bold: true),
        header: Style(.black, on: .cyan), headerAccent: Style(.black, on: .cyan, bold: true),
        worse: Style(.brightRed, bold: true), better: Style(.brightGreen, bold: true),
        bar: Style(.green),
        engineBars: [Style(.green), Style(.brightRed), Style(.brightYellow), Style(.brightBlue), Style(.brightMagenta)],
        keyName: Style(.white, bold: true), keyLabel: Style(.black, on: .cyan),
        overlay: Style(.white, on: .blue), overlayTitle: Style(.brightYellow, on: .blue, bold: true),
        selected: Style(.black, on: .cyan), warning: Style(.black, on: .yellow, bold: true))

    /// Dark-on-white with its own background so it stays light on any terminal; blue, red,
    /// green and magenta at normal intensity keep contrast on a washed-out projector.
    public static let light = Theme(
        name: .light, base: Style(.black, on: .brightWhite), text: Style(.black, on: .brightWhite),
        dim: Style(.brightBlack, on: .brightWhite),
        border: Style(.blue, on: .brightWhite), title: Style(.black, on: .brightWhite, bold: true),
        header: Style(.brightWhite, on: .blue), headerAccent: Style(.brightWhite, on: .blue, bold: true),
        worse: Style(.red, on: .brightWhite, bold: true), better: Style(.green, on: .brightWhite, bold: true),
        bar: Style(.blue, on: .brightWhite),
        engineBars: [Style(.green, on: .brightWhite), Style(.red, on: .brightWhite), Style(.magenta, on: .brightWhite),
                     Style(.blue, on: .brightWhite), Style(.cyan, on: .brightWhite)],
        keyName: Style(.black, on: .brightWhite, bold: true), keyLabel: Style(.brightWhite, on: .blue),
        overlay: Style(.black, on: .white), overlayTitle: Style(.blue, on: .white, bold: true),
        selected: Style(.brightWhite, on: .blue), warning: Style(.brightWhite, on: .red, bold: true))

    /// Black on white, everything that matters bold; colour only where it carries meaning.
    public static let highContrast = Theme(
        name: .highContrast, base: Style(.black, on: .brightWhite), text: Style(.black, on: .brightWhite, bold: true),
        dim: Style(.black, on: .brightWhite),
        border: Style(.black, on: .brightWhite, bold: true), title: Style(.black, on: .brightWhite, bold: true, underline: true),
        header: Style(.brightWhite, on: .black, bold: true), headerAccent: Style(.brightYellow, on: .black, bold: true),
        worse: Style(.red, on: .brightWhite, bold: true), better: Style(.blue, on: .brightWhite, bold: true),
        bar: Style(.black, on: .brightWhite),
        engineBars: [Style(.black, on: .brightWhite), Style(.red, on: .brightWhite), Style(.blue, on: .brightWhite),
                     Style(.magenta, on: .brightWhite), Style(.green, on: .brightWhite)],
        keyName: Style(.black, on: .brightWhite, bold: true), keyLabel: Style(.brightWhite, on: .black, bold: true),
        overlay: Style(.brightWhite, on: .black, bold: true), overlayTitle: Style(.brightYellow, on: .black, bold: true),
        selected: Style(.brightWhite, on: .black, bold: true), warning: Style(.brightWhite, on: .red, bold: true))

    /// No colour at all: bold, reverse and underline (htop's Monochromatic, `-C`).
    public static let mono = Theme(
        name: .mono, base: Style(), text: Style(), dim: Style(dim: true),
        border: Style(), title: Style(bold: true), header: Style(reverse: true),
        headerAccent: Style(bold: true, reverse: true),
        worse: Style(bold: true), better: Style(), bar: Style(),
        engineBars: [Style()], keyName: Style(bold: true), keyLabel: Style(reverse: true),
        overlay: Style(), overlayTitle: Style(bold: true, underline: true),
        selected: Style(reverse: true), warning: Style(bold: true, reverse: true))
}
