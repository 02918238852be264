#!/bin/sh
# Rebuilds the bundled traces with `pvtop record` (needs root and tracefs).
#   traces/record-all.sh            all traces
#   traces/record-all.sh NAME...    only these (compile forkexec pipe-same-cpu pipe-cross-cpu
#                                   mmap-touch tlb-shootdown idle)
# PVTOP=path/to/pvtop overrides the binary (default: the debug build of this checkout).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
if [ -z "${PVTOP:-}" ]; then
    (cd "$repo" && swift build --product pvtop >/dev/null)
    PVTOP="$repo/.build/debug/pvtop"
fi
make -s -C "$here/workloads" >/dev/null
w="$here/workloads"
# Relative commands keep local paths out of the provenance.
cd "$w"

# Busy share of all CPUs (percent) over half a second, from /proc/stat.
busy_percent() {
    a=$(head -1 /proc/stat); sleep 0.5; b=$(head -1 /proc/stat)
    echo "$a
$b" | awk '{ idle = $5 + $6; tot = 0; for (i = 2; i <= NF; i++) tot += $i
             if (NR == 1) { i0 = idle; t0 = tot } else printf "%d\n", 100 * (1 - (idle - i0) / (tot - t0)) }'
}

# Waits (up to QUIET_WAIT seconds, default 600) until the machine is quiet (< QUIET_MAX %
# busy, default 5, three samples in a row), so other programs do not share the CPUs with
# the workload. Sets $quiet to what was seen.
wait_quiet() {
    deadline=$(( $(date +%s) + ${QUIET_WAIT:-600} )); ok=0; last=100
    while [ "$ok" -lt 3 ]; do
        last=$(busy_percent)
        if [ "$last" -lt "${QUIET_MAX:-5}" ]; then ok=$((ok + 1)); else ok=0; fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            quiet="NOT quiet: ${last}% busy just before recording (gave up waiting)"; return
        fi
    done
    quiet="quiet: ${last}% of all CPUs busy in the half second before recording"
}

# record NAME "what it is" pvtop-record-args...
record() {
    name=$1; what=$2; shift 2
    wait_quiet
    echo "   $quiet" >&2
    out="$here/$name.trace.xz"
    echo "== $name" >&2
    "$PVTOP" record -o "$out" --events full "$@"
    {
        echo "# $name.trace.xz"
        echo
        echo "$what"
        echo
        echo "Recorded with \`pvtop record -o $name.trace.xz --events full $*\`"
        echo "by \`traces/record-all.sh $name\` (workload sources in \`traces/workloads/\`)."
        echo "Machine $quiet."
        echo
        echo "| key | value |"
        echo "|---|---|"
        xz -dc "$out" | sed -n 's/^# pvtop-provenance: \([^=]*\)=\(.*\)$/| \1 | \2 |/p'
        echo
        echo "File: $(stat -c %s "$out") bytes xz, $(xz -dc "$out" | wc -c) bytes of text, $(xz -dc "$out" | grep -vc '^#') event lines."
    } > "$here/$name.md"
}

want() { [ $# -eq 0 ] && return 0; for n in $selected; do [ "$n" = "$1" ] && return 0; done; return 1; }
selected="${*:-compile forkexec pipe-same-cpu pipe-cross-cpu mmap-touch tlb-shootdown idle}"

if want compile; then
    make -s -C compile clean
    record compile "make -j2 of a 7-file C calculator (traces/workloads/compile), after make clean." \
        --crop -- make -s -C compile -j2
    make -s -C compile clean
fi
want forkexec && record forkexec "fork + execve(/bin/true) + waitpid, 500 times (workloads/forkexec.c)." \
    --crop -- ./forkexec 500
want pipe-same-cpu && record pipe-same-cpu "Pipe ping-pong, 20000 round trips, parent and child pinned to CPU 0 (workloads/pingpong.c)." \
    --crop -- taskset -c 0 ./pingpong 20000
want pipe-cross-cpu && record pipe-cross-cpu "Pipe ping-pong, 10000 round trips, parent on CPU 0 and child on CPU 1 (workloads/pingpong.c)." \
    --crop -- taskset -c 0,1 ./pingpong 10000 0 1
want mmap-touch && record mmap-touch "mmap 16 anonymous pages, write one byte per page, munmap; 5000 times (workloads/mmaptouch.c)." \
    --crop -- ./mmaptouch 5000
want tlb-shootdown && record tlb-shootdown "Two threads of one process: one spins on CPU 1, the other maps, touches and unmaps 8 pages on CPU 0, 5000 times, so every munmap shoots down CPU 1's TLB (workloads/tlbshoot.c)." \
    --crop -- taskset -c 0,1 ./tlbshoot 5000
if want idle; then
    # Other programs starting during the 2 s make it not idle: retry (up to IDLE_TRIES, default
    # 5) until it has fewer than 40000 events (~10 k/s were seen on an idle guest).
    try=1
    while :; do
        record idle "System-wide for 2 s with nothing started: timer ticks, idle entry/exit and whatever background tasks ran (attempt $try; retried while a run had >= 40000 events)." \
            --crop --duration 2s
        n=$(xz -dc "$here/idle.trace.xz" | grep -vc '^#')
        [ "$n" -lt 40000 ] || [ "$try" -ge "${IDLE_TRIES:-5}" ] && break
        try=$((try + 1))
    done
fi
exit 0
