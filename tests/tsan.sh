#!/bin/sh
# tsan.sh BUILD -- the threaded paths under ThreadSanitizer (`make tsan`).
#
# `run` and `compute` load datasets and run steps on several threads at
# once, sharing one string pool and one grouping cache, and every gzip
# file is inflated on a thread of its own.  BUILD holds klaster built with
# -fsanitize=thread; this runs the example pipeline and a `compute` of all
# its steps several times (races depend on timing), and the unit tests of
# the threaded parts, and fails on any report.
set -u
BUILD=${1:-build-tsan}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 70
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
ROUNDS=${TSAN_ROUNDS:-5}
failed=0
sed "s|dir = \"[^\"]*\"|dir = \"$TMP/runs\"|; s|^pipeline {|pipeline {\n  plugin_path = \"$ROOT/$BUILD/plugins\", script_path = \"$ROOT/scripts\",|" \
    examples/uzbekistan/pipeline.lua >"$TMP/pipeline.lua"
cp examples/uzbekistan/*.csv examples/uzbekistan/*.gz "$TMP/"
check() { # check NAME: the last command's log in $TMP/log
    if grep -q "ThreadSanitizer" "$TMP/log" || [ "$rc" -ne 0 ]; then
        echo "FAIL $1 (exit $rc)"
        sed -n '1,60p' "$TMP/log"
        failed=$((failed + 1))
    else
        echo "ok $1"
    fi
}
# the unit tests of the scheduler, the shared workspace and the prefaulter
"$BUILD/tests/unit-tests" sched_ workspace_ prefaulter_ >"$TMP/log" 2>&1
rc=$?
check "tsan-unit-threads"
for i in $(seq 1 "$ROUNDS"); do
    "$BUILD/klaster" run --quiet --jobs 4 "$TMP/pipeline.lua" >"$TMP/log" 2>&1
    rc=$?
    check "tsan-run-$i"
    "$BUILD/klaster" compute jobs_created budget_revenue innovation_activity export_diversification \
        cluster_efficiency location_quotient export_rca cluster_stage shift_share --data "$TMP" \
        --out "$TMP/out" --plugin-path "$BUILD/plugins" --script-path scripts >"$TMP/log" 2>&1
    rc=$?
    check "tsan-compute-$i"
done
echo "$((2 * ROUNDS + 1 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
