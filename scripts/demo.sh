#!/bin/sh
# demo.sh BUILD -- the main job on the bundled example data, as an operator
# would run it every week: check the datasets, then run the example pipeline
# (the four built-in indicators and the shipped Lua scripts), and say where
# the results went.  Run by `make demo`.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KLASTER="$BUILD/klaster"

echo "== klaster check --data examples/uzbekistan"
"$KLASTER" check --data examples/uzbekistan
echo
echo "== klaster run examples/uzbekistan/pipeline.lua"
"$KLASTER" run examples/uzbekistan/pipeline.lua
echo
OUT=demo-output/uzbekistan
echo "== klaster history $OUT"
"$KLASTER" history "$OUT"
echo
echo "Results of the latest run, in $ROOT/$OUT/latest/:"
for f in "$OUT"/latest/*.csv; do
    printf '  %-28s %6s rows\n' "$(basename "$f")" "$(($(wc -l <"$f") - 1))"
done
echo "  manifest.json                (inputs, steps, outputs, hashes)"
echo
echo "Report (open in any browser; self-contained, prints on A4):"
echo "  $ROOT/$OUT/latest/report.html"
