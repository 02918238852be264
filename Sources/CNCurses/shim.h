// ncursesw for Swift: the macros and C globals Swift cannot import (curs_variables(3X), signal-safety(7)).
// Every wrapper is static inline; the terminal layer (Sources/pvtop/Terminal.swift) is the
// only Swift file that uses this module.
#define NCURSES_WIDECHAR 1  // else cchar_t, wget_wch, mvwaddnwstr are not declared
#include <ncursesw/curses.h>
#include <locale.h>
#include <langinfo.h>

// C globals are shared mutable state to Swift 6: read them through functions.
static inline WINDOW *cnc_stdscr(void) { return stdscr; }
static inline int cnc_colors(void) { return COLORS; }
static inline int cnc_color_pairs(void) { return COLOR_PAIRS; }

// A_* attributes are macros with casts: not imported.
static inline attr_t cnc_a_normal(void) { return A_NORMAL; }
static inline attr_t cnc_a_bold(void) { return A_BOLD; }
static inline attr_t cnc_a_reverse(void) { return A_REVERSE; }
static inline attr_t cnc_a_underline(void) { return A_UNDERLINE; }
static inline attr_t cnc_a_dim(void) { return A_DIM; }

static inline void cnc_getmaxyx(WINDOW *w, int *y, int *x) { int a, b; getmaxyx(w, a, b); *y = a; *x = b; }

// KEY_F(n) is a function-like macro.
static inline int cnc_key_f(int n) { return KEY_F(n); }

static inline int cnc_mvwaddnwstr(WINDOW *w, int y, int x, const wchar_t *s, int n) {
    return mvwaddnwstr(w, y, x, s, n);
}

// 1 when the current locale's codeset is UTF-8 (box and block glyphs print as M-b... otherwise).
static inline int cnc_locale_is_utf8(void) {
    const char *c = nl_langinfo(CODESET);
    return c && (c[0] | 32) == 'u' && (c[1] | 32) == 't' && (c[2] | 32) == 'f';
}

// Mouse (curs_mouse(3X)): the BUTTON*_PRESSED masks are macros. Presses only, reported at
// once (mouseinterval 0: no click-detection delay); the wheel is buttons 4 and 5.
static inline int cnc_enable_mouse(void) {
    mmask_t old;
    mouseinterval(0);
#if NCURSES_MOUSE_VERSION > 1
    return mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, &old) != 0;
#else
    return mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED, &old) != 0;
#endif
}

// The pending mouse event: 1 left press, 2 wheel up, 3 wheel down, 0 anything else.
static inline int cnc_get_mouse(int *x, int *y) {
    MEVENT e;
    if (getmouse(&e) != OK) return 0;
    *x = e.x; *y = e.y;
    if (e.bstate & BUTTON1_PRESSED) return 1;
    if (e.bstate & BUTTON4_PRESSED) return 2;
#if NCURSES_MOUSE_VERSION > 1
    if (e.bstate & BUTTON5_PRESSED) return 3;
#endif
    return 0;
}
