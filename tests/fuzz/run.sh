#!/bin/sh
# fuzz/run.sh FUZZ_BUILD SECONDS -- runs each libFuzzer harness built in
# FUZZ_BUILD/fuzz/ for SECONDS seconds (`make fuzz`).  Seeds come from the
# repository's own inputs (the bad-input matrix, fixtures, pipelines, Lua
# scripts) plus the kept regression inputs of tests/fuzz/regress/NAME/; the
# corpus grows in FUZZ_BUILD/corpus-NAME.  A crash stops that harness, is
# saved as FUZZ_BUILD/crash-NAME-*, and makes this script fail: fix it and
# copy the input into tests/fuzz/regress/NAME/ (make test replays it).
set -u
B=${1:?usage: run.sh FUZZ_BUILD SECONDS}
SECS=${2:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 70
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for h in reader pipeline lua; do
    bin="$B/fuzz/fuzz_$h"
    seeds="$B/seeds-$h"
    corpus="$B/corpus-$h"
    rm -rf "$seeds" && mkdir -p "$seeds" "$corpus"
    case $h in
    reader) for f in tests/data/*.csv tests/data/*.csv.gz tests/fixtures/check/*/*.csv; do
                { printf '\000'; cat "$f"; } >"$seeds/$(echo "$f" | tr / _)"
            done ;;
    pipeline) for f in examples/*/pipeline.lua tests/torture/pipeline.lua; do
                  cp "$f" "$seeds/$(echo "$f" | tr / _)"
              done ;;
    lua) for f in tests/lua/*/*.lua tests/pipeline/*.lua tests/data/*.lua scripts/*.lua; do
             cp "$f" "$seeds/$(echo "$f" | tr / _)"
         done ;;
    esac
    [ -d "tests/fuzz/regress/$h" ] && cp tests/fuzz/regress/$h/* "$seeds/" 2>/dev/null
    echo "== fuzz_$h for $SECS s"
    "$bin" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$B/crash-$h-" -print_final_stats=1 "$corpus" "$seeds" \
        >"$B/fuzz-$h.log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss|^#[0-9]+.*DONE' "$B/fuzz-$h.log"
    if [ $rc -ne 0 ]; then
        echo "FAIL fuzz_$h (exit $rc): see $B/fuzz-$h.log"
        grep -m 5 -E 'ERROR|SUMMARY|Test unit written' "$B/fuzz-$h.log"
        failed=1
    else
        echo "ok fuzz_$h"
    fi
done
exit $failed
