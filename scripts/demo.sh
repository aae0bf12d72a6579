#!/bin/sh
# demo.sh BUILD -- the main job on the bundled example data: check the
# datasets, compute every built-in indicator and shipped script, and say
# where the results went.  Run by `make demo`.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
KLASTER="$BUILD/klaster"
DATA=examples/uzbekistan
OUT=${KLASTER_DEMO_OUT:-demo-output}

echo "== klaster check --data $DATA"
"$KLASTER" check --data "$DATA"
echo
echo "== klaster compute ... --data $DATA --out $OUT"
steps=$("$KLASTER" list | awk '/^[a-z0-9_]+ [0-9]/ { print $1 }')
# shellcheck disable=SC2086
"$KLASTER" compute $steps --data "$DATA" --out "$OUT"
echo
echo "Results written to $ROOT/$OUT:"
for f in "$OUT"/*; do
    printf '  %-40s %6s rows\n' "$f" "$(($(wc -l <"$f") - 1))"
done
