#!/bin/sh
# Pictures of the real dashboard, for the README and for talks.
#
# Runs pvtop in a private tmux server, lets the replay play, pauses it, captures the pane as
# text (capture-pane -p → .txt) and with colours (-e → .ansi), renders PNGs with ansi2png.py,
# and records an asciinema cast of --demo (talk mode).
#
# Needs: tmux, python3 with Pillow and the DejaVu fonts, asciinema. On Debian:
#   apt-get install -y tmux python3-pil fonts-dejavu-core asciinema
#
# Usage: screenshots/make.sh [TRACE]
#   TRACE               default: the first traces/*.trace.xz
#   PVTOP=…             the binary (default .build/release/pvtop if built, else .build/debug/pvtop)
#   PVTOP_COMMAND=…     the pvtop arguments before the dashboard flags (default: "replay TRACE");
#                       PVTOP_COMMAND=dev-preview pictures the synthetic preview (files get a
#                       "preview-" prefix so they are never mistaken for results)
#   SPEED=…             playback speed for the pictures (default 0.05: kernel traces are short)
#   DEMO_SECONDS=…      length of the --demo cast (default 100; 0 skips it)
#   OUT=…               output directory (default screenshots/)
#   ONLY=NAME           retake only the shot NAME (e.g. ONLY=step-dark-80x24 DEMO_SECONDS=0)
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/screenshots}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ -z "${PVTOP:-}" ]; then
    if [ -x .build/release/pvtop ]; then PVTOP=$ROOT/.build/release/pvtop; else PVTOP=$ROOT/.build/debug/pvtop; fi
fi
[ -x "$PVTOP" ] || { echo "make.sh: no pvtop binary at $PVTOP (run swift build)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "make.sh: tmux is not installed" >&2; exit 1; }

PREFIX=""
if [ -n "${PVTOP_COMMAND:-}" ]; then
    COMMAND=$PVTOP_COMMAND
    case "$COMMAND" in dev-preview*) PREFIX="preview-" ;; esac
else
    TRACE=${1:-$(ls traces/*.trace.xz 2>/dev/null | head -n 1 || true)}
    [ -n "$TRACE" ] || { echo "make.sh: no trace given and none in traces/*.trace.xz" >&2; exit 1; }
    COMMAND="replay $TRACE"
fi
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/pvtop-shots.XXXXXX)
SOCK=$WORK/sock
trap 'tmux -S "$SOCK" kill-server 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf 'set -g default-terminal tmux-256color\nset -g status off\nset -g history-limit 5000\n' > "$WORK/tmux.conf"

# wait_for TEXT SECONDS: poll the pane until it shows TEXT.
wait_for() {
    i=0
    while [ $i -lt $(($2 * 10)) ]; do
        if tmux -S "$SOCK" capture-pane -p 2>/dev/null | grep -q -F -- "$1"; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    echo "make.sh: timed out waiting for \"$1\"; the pane shows:" >&2
    tmux -S "$SOCK" capture-pane -p -S - >&2 || true
    return 1
}

fresh_server() { # a dying server still answers on its socket: wait until it is gone
    tmux -S "$SOCK" kill-server 2>/dev/null || true
    while tmux -S "$SOCK" has-session 2>/dev/null; do sleep 0.1; done
    rm -f "$SOCK"
}

start() { # WIDTH HEIGHT FLAGS...
    w=$1; h=$2; shift 2
    fresh_server
    tmux -S "$SOCK" -f "$WORK/tmux.conf" new-session -d -x "$w" -y "$h" \
        "SWIFT_BACKTRACE=interactive=no $PVTOP $COMMAND $*; echo '[exit:'\$?']'; sleep 600"
}

# shot NAME WIDTH HEIGHT THEME KEYS...: seek half way (10 × 5%), ~3 s of play for rates,
# paused, then KEYS (tmux key names) pressed.
shot() {
    if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$1" ]; then return 0; fi
    name=$PREFIX$1; w=$2; h=$3; theme=$4; shift 4
    start "$w" "$h" --theme "$theme" --speed "${SPEED:-0.05}"
    if [ "$w" -ge 80 ] && [ "$h" -ge 24 ]; then
        wait_for F1Help 30
        sleep 1
        tmux -S "$SOCK" send-keys Right Right Right Right Right Right Right Right Right Right
        sleep 3
        tmux -S "$SOCK" send-keys Space
        wait_for "⏸" 10 || wait_for "■ end" 1
    else
        wait_for "pvtop needs" 30
    fi
    for key in "$@"; do tmux -S "$SOCK" send-keys "$key"; sleep 0.3; done
    sleep 0.5
    tmux -S "$SOCK" capture-pane -p > "$OUT/$name.txt"
    tmux -S "$SOCK" capture-pane -p -e -N > "$OUT/$name.ansi"   # -N keeps trailing cells: light themes paint them
    "$PY" "$ROOT/screenshots/ansi2png.py" "$OUT/$name.ansi" "$OUT/$name.png" --cols "$w" --rows "$h"
    tmux -S "$SOCK" send-keys q
    wait_for "[exit:0]" 10
    echo "$OUT/$name.png"
}

shot overview-dark-160x48 160 48 dark x
shot overview-light-160x48 160 48 light
shot overview-high-contrast-160x48 160 48 high-contrast
shot overview-dark-80x24 80 24 dark
shot overview-light-80x24 80 24 light
shot counters-dark-80x24 80 24 dark Tab x
shot overview-dark-120x40 120 40 dark
shot overview-dark-200x60 200 60 dark x
shot latency-dark-160x48 160 48 dark t v
shot cpus-dark-160x48 160 48 dark u
shot timeseries-dark-160x48 160 48 dark g
shot timeseries-light-120x40 120 40 light g
shot step-dark-160x48 160 48 dark Home .
shot step-dark-80x24 80 24 dark Home .
shot headline-light-160x48 160 48 light t t t t
shot headline-high-contrast-160x48 160 48 high-contrast t t t t
shot help-dark-120x40 120 40 dark F1
shot too-small-60x20 60 20 dark

DEMO_SECONDS=${DEMO_SECONDS:-100}
if [ "$DEMO_SECONDS" -gt 0 ]; then
    command -v asciinema >/dev/null || { echo "make.sh: asciinema is not installed: no cast" >&2; exit 1; }
    cast=$OUT/${PREFIX}demo-160x48.cast
    fresh_server
    tmux -S "$SOCK" -f "$WORK/tmux.conf" new-session -d -x 160 -y 48 \
        "asciinema rec --overwrite -q -i 2 -t 'pvtop --demo' -c 'SWIFT_BACKTRACE=interactive=no $PVTOP $COMMAND --demo' '$cast'; echo '[exit:'\$?']'; sleep 600"
    wait_for F1Help 30
    sleep "$DEMO_SECONDS"
    tmux -S "$SOCK" send-keys q
    wait_for "[exit:0]" 20
    echo "$cast ($(wc -l < "$cast") events)"
fi
