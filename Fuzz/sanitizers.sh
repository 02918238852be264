#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer (with LeakSanitizer) and then
# ThreadSanitizer, each in its own build directory (a full rebuild each: 10–20 minutes on 2
# shared cores). Run it niced when others build: `nice -n 10 Fuzz/sanitizers.sh`.
#   Fuzz/sanitizers.sh            # both
#   Fuzz/sanitizers.sh address    # one
# The binaries the end-to-end tests start are instrumented too, so a report in any of them
# fails its test. Suppressions (each a false positive, with its reason): Fuzz/lsan.supp,
# Fuzz/tsan.supp. Exit status: 0 only when every run passed and no sanitizer reported.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$root/Fuzz/lsan.supp:print_suppressions=0"
# The end-to-end tests wait this many times longer for the instrumented binaries.
export PVTOP_TEST_TIME_SCALE=10
export TSAN_OPTIONS="suppressions=$root/Fuzz/tsan.supp:print_suppressions=0"
status=0
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)
for sanitizer in "${sanitizers[@]}"; do
  log="${TMPDIR:-/tmp}/pvtop-sanitize-$sanitizer.log"
  echo "== swift test --sanitize=$sanitizer (log: $log)"
  swift test --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" > "$log" 2>&1
  rc=$?
  grep -E "Test run with|Executed .* tests" "$log" | tail -2
  # A report in a child process the tests tolerate (a status they do not check) still counts.
  reports=$(grep -cE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$log")
  if [ "$reports" -gt 0 ]; then
    rc=1
    echo "   $reports sanitizer report(s):"
    grep -E "SUMMARY: " "$log" | sort | uniq -c | head
  fi
  [ $rc -eq 0 ] || { status=1; echo "   failed (exit $rc): see $log"; }
done
exit $status
