#!/bin/sh
# lua.sh BUILD -- the Lua bridge's speed against C.
#
#   whole program : `klaster compute` of R&D intensity per (year, region,
#                   cluster) written as a Lua script (bench/lua/) and as a C
#                   plugin (bench/plugins/, built here), over the
#                   national-scale dataset; target Lua <= 1.25x C
#   step alone    : build/bench/bench_lua, the same two steps on firms
#                   loaded once, per cluster and per firm (one group per
#                   row: the worst case for the Lua loop)
#
# Uses the dataset of bench/run.sh (bench/data/national, generated if
# missing; BENCH_FIRMS firms a year, default 1000000), or the folder in
# $BENCH_DATA.  BENCH_RUNS runs per figure (default 3), the best one kept.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DATA=${BENCH_DATA:-bench/data/national}
FIRMS=${BENCH_FIRMS:-1000000}
RUNS=${BENCH_RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ -z "${BENCH_DATA:-}" ] && { [ ! -f "$DATA/firms.csv.gz" ] || [ "$(cat "$DATA/.firms" 2>/dev/null)" != "$FIRMS" ]; }; then
    echo "generating the national-scale dataset ($FIRMS firms a year, 2019-2023) in $DATA ..."
    rm -rf "$DATA"
    "$BUILD/scripts/gen_dataset" --out "$DATA" --firms "$FIRMS" --years 2019-2023 --gzip
    echo "$FIRMS" >"$DATA/.firms"
fi

mkdir -p "$TMP/plugins"
${CC:-cc} -std=c11 -O2 -fPIC -shared -fvisibility=hidden -Icore \
    bench/plugins/rd_intensity_c.c -o "$TMP/plugins/rd_intensity_c.so"

seconds() { sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$1" | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

"$BUILD/bench/measure" --best-of "$RUNS" "$BUILD/klaster" compute rd_intensity_c \
    --plugin-path "$TMP/plugins" --data "$DATA" --out "$TMP/c" 2>"$TMP/c.err"
"$BUILD/bench/measure" --best-of "$RUNS" "$BUILD/klaster" compute rd_intensity_lua \
    --script-path bench/lua/rd_intensity_lua.lua --data "$DATA" --out "$TMP/lua" 2>"$TMP/lua.err"
c_s=$(seconds "$TMP/c.err")
lua_s=$(seconds "$TMP/lua.err")
if ! cmp -s "$TMP/c/rd_intensity_c.csv" "$TMP/lua/rd_intensity_lua.csv"; then
    echo "lua.sh: the C and Lua results differ" >&2
    exit 1
fi
echo
echo "Lua bridge: R&D intensity per (year, region, cluster), whole klaster compute"
echo "  C plugin      ${c_s} s"
echo "  Lua script    ${lua_s} s  = $(ratio "$lua_s" "$c_s")x C (target <= 1.25x)"
echo
echo "Lua bridge: the step alone (firms loaded once)"
"$BUILD/bench/bench_lua" "$DATA" "$RUNS" | sed 's/^/  /'
