#!/usr/bin/env bash
# Rewrites the committed CSV expectations from the current build (run from the repo root after
# `swift build`). Only do this when a change is *meant* to move the numbers (a model or clock
# change), and say so in the commit message; a restructuring must leave them byte-identical.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug/pvtop
grep -v '^#' Tests/Expectations/cases.tsv | while IFS=$'\t' read -r name trace opts; do
  # shellcheck disable=SC2086
  "$bin" replay "traces/$trace" --headless --csv "Tests/Expectations/$name.csv" --transitions-csv "Tests/Expectations/$name.transitions.csv" $opts >/dev/null
  echo "wrote Tests/Expectations/$name.csv"
done
