#!/usr/bin/env bash
# Writes the two memory-bound inputs of issue 10 into DIR (default /tmp):
#   names.trace  300,000 distinct event names (22 MB)   -> pvtop inspect DIR/names.trace
#   comms.trace  1,000,000 distinct task names (83 MB)  -> pvtop replay DIR/comms.trace --headless
# Too big to keep in the repository; the README's figures come from these.
set -euo pipefail
dir=${1:-/tmp}
awk 'BEGIN { print "# tracer: nop"; for (i = 0; i < 300000; i++)
  printf "            make-26413   (  26413) [000] .....   886.%06d: ev_%d: x=1\n", i % 1000000, i }' > "$dir/names.trace"
awk 'BEGIN { print "# tracer: nop"; for (i = 0; i < 1000000; i++)
  printf "            t%d-%d   (  26413) [000] .....   886.%06d: sys_exit: NR 0 = 0\n", i, i % 30000 + 1, i }' > "$dir/comms.trace"
