#!/bin/sh
# Regenerates docs/pvtop.1 from the argument parser (swift-argument-parser's generate-manual
# plugin) and stamps it with the sha256 of `pvtop --experimental-dump-help`, the parser's own
# description of every command and option. ManPageTests fails when that stamp no longer
# matches the binary: then run this script from the repository root.
set -eu
cd "$(dirname "$0")/.."
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
swift package --disable-sandbox generate-manual --configuration debug --date "$date" >/dev/null
stamp=$(.build/debug/pvtop --experimental-dump-help | sha256sum | cut -d' ' -f1)
{
    printf '.\\" pvtop --experimental-dump-help sha256 %s (regenerate: docs/make-man.sh)\n' "$stamp"
    cat .build/plugins/GenerateManual/outputs/pvtop/pvtop.1
} > docs/pvtop.1
echo "wrote docs/pvtop.1 ($stamp)"
