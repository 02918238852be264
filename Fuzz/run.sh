#!/usr/bin/env bash
# Builds the libFuzzer target (reader + kernel expansion + backends + headless loop) with
# AddressSanitizer and runs it for SECONDS (default 60), seeded from the bundled traces.
#   Fuzz/run.sh 60      # the bounded run .ci/run makes
#   Fuzz/run.sh 1800    # the long run (30 min) to do before closing a robustness issue
# Findings (crash-*, timeout-*, oom-*) land in Fuzz/findings/; each becomes a case in
# Tests/RobustnessCorpus/ (see cases.tsv). Exit status: 0 nothing found, 1 a finding.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
# Release (-O, with -g for symbolized reports): about 10x the executions per second of debug.
flags=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -g)
swift build "${flags[@]}" 2>&1 | tail -3
bin=$(swift build "${flags[@]}" --show-bin-path)/TraceFuzz

# Seeds: the first 4 KiB of each bundled trace (a header and ~30 real lines: small inputs
# keep the replay of each one fast), and the robustness corpus.
corpus=.build/corpus
mkdir -p "$corpus" findings
for t in ../traces/*.trace.xz; do
  { xz -dc "$t" || true; } | head -c 4096 > "$corpus/$(basename "$t" .trace.xz).seed"
done
cp ../Tests/RobustnessCorpus/*.trace "$corpus/" 2>/dev/null || true
# The other formats openTrace detects: perf script text, a trace-cmd report of an instance,
# a trace.dat, and compressed inputs (a small .gz and .xz of a seed).
fixtures=../Tests/PVTraceTests/Fixtures
{ xz -dc "$fixtures/perf-script.txt.xz" || true; } | head -c 4096 > "$corpus/perf-script.seed"
cp "$fixtures/instance-report.txt" "$corpus/instance-report.seed"
cp "$fixtures/instance.dat" "$corpus/instance-dat.seed" 2>/dev/null || true
head -c 2048 "$corpus/compile.seed" | gzip -c > "$corpus/compile-gz.seed"
head -c 2048 "$corpus/compile.seed" | xz -c > "$corpus/compile-xz.seed"

# Leaks off: Swift runtime caches look like leaks. The quarantine is cut from 256 MB so RSS
# stays under the limit (it plateaus at ~380 MB with the default, which is not a leak).
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:quarantine_size_mb=64
export SWIFT_BACKTRACE=enable=no
# -max_len 64 KiB: room for the start of a trace.dat (its header and first pages). The target
# writes each input to /tmp/pvtop-fuzz-PID-N.input and removes it; a crash can leave one.
status=0
"$bin" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=findings/ -print_final_stats=1 || status=$?
rm -f /tmp/pvtop-fuzz-*.input
exit $status
