#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and then ThreadSanitizer, each in its own
# build directory (a full rebuild each: several minutes on 2 cores).
#   Fuzz/sanitizers.sh            # both
#   Fuzz/sanitizers.sh address    # one
# Exit status: 0 when every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
status=0
sanitizers=("$@")
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)
for sanitizer in "${sanitizers[@]}"; do
  echo "== swift test --sanitize=$sanitizer"
  swift test --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" > "/tmp/pvtop-sanitize-$sanitizer.log" 2>&1
  rc=$?
  grep -E "Test run with|Executed .* tests|SUMMARY: |WARNING: ThreadSanitizer" "/tmp/pvtop-sanitize-$sanitizer.log" | tail -4
  [ $rc -eq 0 ] || { status=1; echo "   failed (exit $rc): see /tmp/pvtop-sanitize-$sanitizer.log"; }
done
exit $status
