#!/usr/bin/python3
"""Render a `tmux capture-pane -p -e` dump (text with SGR colour escapes) to a PNG.

Usage: ansi2png.py INPUT.ansi OUTPUT.png [--cols N] [--rows N] [--font-size 16]

Needs Pillow (Debian: python3-pil) and DejaVu Sans Mono (fonts-dejavu-core). Block elements
(█▏▎▍▌▋▊▉) and single box-drawing lines are drawn as rectangles so bars and borders join
without gaps; everything else is text. Colours: the xterm 256-colour palette; the terminal's
default colours are a dark grey background with light grey text.
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
FONT_FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# Glyphs DejaVu Sans Mono lacks, drawn from DejaVu Sans.
FALLBACK = set("⟳")
DEFAULT_FG = (216, 216, 216)
DEFAULT_BG = (28, 28, 28)

BASE16 = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
          (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255)]


def palette(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.reverse = self.underline = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0: self.reset()
            elif c == 1: self.bold = True
            elif c == 2: self.dim = True
            elif c == 4: self.underline = True
            elif c == 7: self.reverse = True
            elif c == 22: self.bold = self.dim = False
            elif c == 24: self.underline = False
            elif c == 27: self.reverse = False
            elif 30 <= c <= 37: self.fg = palette(c - 30)
            elif 90 <= c <= 97: self.fg = palette(c - 90 + 8)
            elif 40 <= c <= 47: self.bg = palette(c - 40)
            elif 100 <= c <= 107: self.bg = palette(c - 100 + 8)
            elif c == 39: self.fg = None
            elif c == 49: self.bg = None
            elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                color = palette(codes[i + 2])
                if c == 38: self.fg = color
                else: self.bg = color
                i += 2
            elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                color = tuple(codes[i + 2:i + 5])
                if c == 38: self.fg = color
                else: self.bg = color
                i += 4
            i += 1

    def colors(self):
        fg = self.fg or DEFAULT_FG
        bg = self.bg or DEFAULT_BG
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
        return fg, bg


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER_ESC = re.compile(r"\x1b[\[\]][^a-zA-Z]*[a-zA-Z]")


def parse(text):
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                style.apply(m.group(1))
                pos = m.end()
                continue
            m = OTHER_ESC.match(line, pos)
            if m:
                pos = m.end()
                continue
            cells.append((line[pos], style.copy()))
            pos += 1
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


EIGHTHS = {"▏": 1, "▎": 2, "▍": 3, "▌": 4, "▋": 5, "▊": 6, "▉": 7, "█": 8}
# Box drawing: which arms (left, right, up, down) each glyph has.
BOX = {"─": "lr", "│": "ud", "┌": "rd", "┐": "ld", "└": "ru", "┘": "lu", "├": "udr", "┤": "udl",
       "┬": "lrd", "┴": "lru", "┼": "lrud"}


def render(rows, cols, nrows, size, out):
    font = ImageFont.truetype(FONT, size)
    bold = ImageFont.truetype(FONT_BOLD, size)
    fallback = ImageFont.truetype(FONT_FALLBACK, size)
    cw = round(font.getlength("M"))
    ascent, descent = font.getmetrics()
    ch = ascent + descent + 2
    cols = cols or max((len(r) for r in rows), default=80)
    nrows = nrows or len(rows)
    img = Image.new("RGB", (cols * cw + 16, nrows * ch + 16), DEFAULT_BG)
    d = ImageDraw.Draw(img)
    ox, oy = 8, 8
    for y, cells in enumerate(rows[:nrows]):
        for x in range(cols):
            c, st = cells[x] if x < len(cells) else (" ", Style())
            fg, bg = st.colors()
            x0, y0 = ox + x * cw, oy + y * ch
            d.rectangle([x0, y0, x0 + cw - 1, y0 + ch - 1], fill=bg)
            if c == " ":
                continue
            if c in EIGHTHS:
                w = max(round(cw * EIGHTHS[c] / 8), 1)
                d.rectangle([x0, y0, x0 + w - 1, y0 + ch - 1], fill=fg)  # full cell height, as terminals draw it
            elif c == "⏸":  # not in DejaVu Sans Mono: two bars
                w = max(cw // 4, 1)
                d.rectangle([x0 + w // 2, y0 + ch // 4, x0 + w // 2 + w - 1, y0 + ch * 3 // 4], fill=fg)
                d.rectangle([x0 + cw - w - w // 2, y0 + ch // 4, x0 + cw - w // 2 - 1, y0 + ch * 3 // 4], fill=fg)
            elif c in BOX:
                arms = BOX[c]
                mx, my = x0 + cw // 2, y0 + ch // 2
                t = 2 if st.bold else 1
                if "l" in arms: d.rectangle([x0, my, mx, my + t - 1], fill=fg)
                if "r" in arms: d.rectangle([mx, my, x0 + cw - 1, my + t - 1], fill=fg)
                if "u" in arms: d.rectangle([mx, y0, mx + t - 1, my], fill=fg)
                if "d" in arms: d.rectangle([mx, my, mx + t - 1, y0 + ch - 1], fill=fg)
            else:
                f = bold if st.bold else font
                if c in FALLBACK:
                    f = fallback
                d.text((x0, y0 + 1), c, font=f, fill=fg)
            if st.underline:
                d.line([x0, y0 + ch - 2, x0 + cw - 1, y0 + ch - 2], fill=fg)
    img.save(out)


def main(argv):
    args = [a for a in argv[1:]]
    opts = {"--cols": 0, "--rows": 0, "--font-size": 16}
    files = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = int(args[i + 1])
            i += 2
        else:
            files.append(args[i])
            i += 1
    if len(files) != 2:
        sys.exit(__doc__)
    with open(files[0], encoding="utf-8") as f:
        rows = parse(f.read())
    render(rows, opts["--cols"], opts["--rows"], opts["--font-size"], files[1])


if __name__ == "__main__":
    main(sys.argv)
