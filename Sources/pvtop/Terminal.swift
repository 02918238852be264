import CNCurses
import Glibc
import PVDashboard

/// The only code that calls ncurses (ncurses(3X)): init and teardown, copying a
/// `CellBuffer` to the screen with colour pairs, and reading keys. No logic lives here.
final class Terminal: TerminalIO {
    struct InitError: Error, CustomStringConvertible {
        var description: String
    }

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let colorCount: Int
    private let maxPairs: Int
    private var pairs: [PairKey: Int16] = [:]
    private var wideRun: [wchar_t] = []

    private struct PairKey: Hashable { var foreground: Int16; var background: Int16 }

    /// `mouse`: report clicks and the wheel (off keeps the terminal's own text selection).
    init(mouse: Bool = true) throws {
        // Box and block glyphs need a UTF-8 locale; CI and ssh sessions often have none.
        setlocale(LC_ALL, "")
        if cnc_locale_is_utf8() == 0 { setlocale(LC_ALL, "C.UTF-8") }
        // newterm, unlike initscr, returns NULL for an unknown $TERM instead of exiting.
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r"),
              let screen = newterm(nil, output, input) else {
            throw InitError(description: "cannot initialise the terminal (TERM=\(String(cString: getenv("TERM") ?? strdup("unset"))))")
        }
        self.screen = screen
        window = cnc_stdscr()
        Signals.cursesActive.store(true, ordering: .relaxed)
        // htop's CRT_init list.
        cbreak()
        Self.disableFlowControl()
        noecho()
        nonl()
        intrflush(window, false)
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        if mouse { _ = cnc_enable_mouse() }
        if has_colors() {
            start_color()
            use_default_colors()
            colorCount = Int(cnc_colors())
            maxPairs = Int(cnc_color_pairs())
        } else {
            colorCount = 0
            maxPairs = 0
        }
    }

    /// cbreak leaves XON/XOFF on: Ctrl-S would freeze the screen (and q, TERM's redraw) until
    /// Ctrl-Q. raw() would clear it but also turn Ctrl-C into a key, so only IXON/IXOFF go;
    /// def_prog_mode makes ncurses restore this mode after ^Z/fg, and endwin the shell's own.
    private static func disableFlowControl() {
        var modes = termios()
        guard tcgetattr(STDIN_FILENO, &modes) == 0 else { return }
        modes.c_iflag &= ~tcflag_t(IXON | IXOFF)
        tcsetattr(STDIN_FILENO, TCSANOW, &modes)
        def_prog_mode()
    }

    /// Leaves curses mode: the normal screen and the shell's tty modes come back.
    func close() {
        if !isendwin() { endwin() }
        Signals.cursesActive.store(false, ordering: .relaxed)
        delscreen(screen)
    }

    var size: (width: Int, height: Int) {
        var h: Int32 = 0, w: Int32 = 0
        cnc_getmaxyx(window, &h, &w)
        return (Int(w), Int(h))
    }

    /// Copies the buffer in runs of equal style; ncurses diffs against what is on screen, so a
    /// full redraw sends only the changes (no per-frame `clear`, which flickers).
    func draw(_ buffer: CellBuffer) {
        werase(window)
        let (w, h) = size
        let width = min(buffer.width, w)
        for y in 0..<min(buffer.height, h) {
            var x = 0
            while x < width {
                let style = buffer[x, y].style
                let start = x
                wideRun.removeAll(keepingCapacity: true)
                // The right half of a wide character (width 0) belongs to the run of its left
                // half: ncurses advances two columns for it.
                while x < width, buffer[x, y].width == 0 || buffer[x, y].style == style {
                    let cell = buffer[x, y]
                    if cell.width > 0 {
                        wideRun.append(wchar_t(bitPattern: cell.scalar.value))
                        if cell.hasMarks { for m in buffer.marks(x: x, y: y) { wideRun.append(wchar_t(bitPattern: m.value)) } }
                    }
                    x += 1
                }
                let (attributes, pair) = attributesAndPair(style)
                wattr_set(window, attributes, pair, nil)
                let count = Int32(wideRun.count)
                wideRun.append(0)
                // The bottom-right cell returns ERR (the cursor cannot advance): harmless.
                _ = cnc_mvwaddnwstr(window, Int32(y), Int32(start), wideRun, count)
            }
        }
        wattr_set(window, cnc_a_normal(), 0, nil)
        wrefresh(window)
    }

    var nowNanoseconds: UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Waits up to `milliseconds` for a key; nil on timeout.
    func readInput(timeoutMilliseconds: Int) -> Input? {
        wtimeout(window, Int32(clamping: max(timeoutMilliseconds, 0)))
        var ch: wint_t = 0
        let r = wget_wch(window, &ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES {
            let code = Int32(bitPattern: ch)
            switch code {
            case KEY_RESIZE: return .resize
            case KEY_MOUSE:
                var x: Int32 = 0, y: Int32 = 0
                switch cnc_get_mouse(&x, &y) {
                case 1: return .mouse(MouseEvent(kind: .press, x: Int(x), y: Int(y)))
                case 2: return .mouse(MouseEvent(kind: .wheelUp, x: Int(x), y: Int(y)))
                case 3: return .mouse(MouseEvent(kind: .wheelDown, x: Int(x), y: Int(y)))
                default: return nil
                }
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case KEY_BTAB: return .backTab
            case cnc_key_f(1)...cnc_key_f(12): return .function(Int(code - cnc_key_f(0)))
            default: return nil
            }
        }
        switch ch {
        case 3: return .interrupt
        case 8, 127: return .backspace
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .character(Character(scalar))
        }
    }

    // MARK: colours

    private func attributesAndPair(_ style: Style) -> (attr_t, Int16) {
        var attributes = cnc_a_normal()
        if style.bold { attributes |= cnc_a_bold() }
        if style.reverse { attributes |= cnc_a_reverse() }
        if style.underline { attributes |= cnc_a_underline() }
        if style.dim { attributes |= cnc_a_dim() }
        guard colorCount > 0 else { return (attributes, 0) }
        let (fg, fgBold) = colorNumber(style.foreground)
        let (bg, _) = colorNumber(style.background)
        if fgBold { attributes |= cnc_a_bold() }
        return (attributes, pair(fg, bg))
    }

    /// -1 is the terminal's default (use_default_colors); bright colours on an 8-colour
    /// terminal become the base colour plus bold.
    private func colorNumber(_ color: Color) -> (Int16, Bool) {
        switch color {
        case .terminalDefault: return (-1, false)
        case .ansi(let n):
            if Int(n) < colorCount { return (Int16(n), false) }
            return (Int16(n % 8), n >= 8)
        }
    }

    private func pair(_ fg: Int16, _ bg: Int16) -> Int16 {
        if fg == -1 && bg == -1 { return 0 }
        let key = PairKey(foreground: fg, background: bg)
        if let p = pairs[key] { return p }
        let next = pairs.count + 1
        guard next < maxPairs, next <= Int(Int16.max) else { return 0 }
        init_pair(Int16(next), fg, bg)
        pairs[key] = Int16(next)
        return Int16(next)
    }
}
