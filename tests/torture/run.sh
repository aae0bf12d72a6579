#!/bin/sh
# torture/run.sh BUILD -- the allocation-failure sweep (`make torture`).
#
# BUILD holds a klaster built with -DKL_FAULT_INJECTION (and ASan+UBSan).
# For each representative command, a clean run counts its allocations
# (KLASTER_ALLOC_REPORT=1 makes the fault-injection build print them); then
# the command runs again with KLASTER_FAIL_ALLOC_AT=N for N = 1, 1+S, 1+2S,
# ... up to that count (S = TORTURE_STRIDE, default 1: every N).  Each run
# must end cleanly: an exit status below 128 (no signal), 0 or one of the
# documented statuses (64-75), no sanitizer report (leaks included), a
# message on stderr when it failed, and no half-written output: every file
# under a final output name is byte-identical to the clean run's, and no
# temporary file is left behind.  TORTURE_JOBS runs in parallel (default:
# the number of CPUs); TORTURE_MAX=M stops at N = M; TORTURE_COMMANDS picks
# commands (default: check compute run).  Prints "ok NAME" / "FAIL NAME" like the other tests.
set -u
if [ "${1:-}" = --one ]; then BUILD=$2; else BUILD=${1:-build-torture}; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 70
K="$ROOT/$BUILD/klaster"
STRIDE=${TORTURE_STRIDE:-1}
JOBS=${TORTURE_JOBS:-$(nproc 2>/dev/null || echo 2)}
export ASAN_OPTIONS="detect_leaks=1:exitcode=99:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:exitcode=98"
unset KLASTER_FAIL_ALLOC_AT KLASTER_ALLOC_REPORT

# one CMD N DIR : runs command CMD failing at allocation N in DIR (fresh);
# prints nothing when all is well, else one FAIL line.
one() {
    cmd=$1 n=$2 dir=$3
    rm -rf "$dir" && mkdir -p "$dir/data"
    cp tests/fixtures/check/clean/*.csv "$dir/data/"
    case $cmd in
    check) set -- check --data examples/uzbekistan ;;
    compute) set -- compute jobs_created budget_revenue innovation_activity export_diversification \
                 --data "$dir/data" --out "$dir/out" --plugin-path "$ROOT/$BUILD/plugins" ;;
    run) sed "s|@PLUGINS@|$ROOT/$BUILD/plugins|; s|@SCRIPTS@|$ROOT/tests/pipeline|" \
             tests/torture/pipeline.lua >"$dir/p.lua"
         set -- run "$dir/p.lua" ;;
    esac
    if [ "$n" -eq 0 ]; then
        KLASTER_ALLOC_REPORT=1 "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    else
        KLASTER_FAIL_ALLOC_AT=$n "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    fi
    rc=$?
    why=""
    case $rc in
    0 | 6[4-9] | 7[0-5]) ;;
    *) why="exit status $rc;" ;;
    esac
    if grep -q 'Sanitizer\|runtime error' "$dir/stderr"; then why="$why sanitizer report;"; fi
    if [ "$rc" -ne 0 ] && ! grep -q '^klaster: \|error' "$dir/stderr"; then why="$why no message;"; fi
    # Published files: complete (identical to the clean run's) or absent.
    if [ -d "$dir/out" ] && [ "$n" -ne 0 ]; then
        ref="$WORK/$cmd-0/out"
        for f in $(cd "$dir/out" && find . -type f ! -name .lock ! -name manifest.json); do
            base=$(basename "$f")
            clean=$(cd "$ref" && find . -name "$base" -type f | head -n 1)
            if [ -z "$clean" ]; then why="$why leftover file $f;"
            elif ! cmp -s "$dir/out/$f" "$ref/$clean"; then why="$why half-written $f;"; fi
        done
        for m in $(find "$dir/out" -name manifest.json); do
            tail -c 3 "$m" | grep -q '}' || why="$why truncated manifest;"
        done
        if [ "$rc" -ne 0 ] && [ -e "$dir/out/latest" ]; then why="$why latest published by a failed run;"; fi
    fi
    if [ "$rc" -eq 0 ] && [ "$n" -ne 0 ] && [ "$cmd" != check ]; then
        # a run that succeeded must have published everything
        nref=$(find "$WORK/$cmd-0/out" -name '*.csv' | wc -l)
        ngot=$(find "$dir/out" -name '*.csv' 2>/dev/null | wc -l)
        [ "$nref" -eq "$ngot" ] || why="$why succeeded with $ngot of $nref outputs;"
    fi
    if [ -n "$why" ]; then
        echo "FAIL torture-$cmd-at-$n $why $(grep -m3 'klaster:\|ERROR\|SUMMARY' "$dir/stderr" | tr '\n' ' ' | head -c 400)"
        cp -r "$dir" "$WORK/failed-$cmd-$n" 2>/dev/null
    elif [ "$n" -ne 0 ]; then
        rm -rf "$dir"
    fi
}

if [ "${1:-}" = --one ]; then # internal: xargs calls back here
    shift 2
    one "$@"
    exit 0
fi

WORK=$(mktemp -d)
export WORK
trap 'rm -rf "$WORK"' EXIT
failed=0
start=$(date +%s)
for cmd in ${TORTURE_COMMANDS:-check compute run}; do
    one "$cmd" 0 "$WORK/$cmd-0" >"$WORK/clean.log"
    if [ -s "$WORK/clean.log" ] || ! [ -e "$WORK/$cmd-0" ]; then
        echo "FAIL torture-$cmd-clean-run"; cat "$WORK/clean.log"; failed=1; continue
    fi
    count=$(sed -n 's/^klaster: allocations: //p' "$WORK/$cmd-0/stderr")
    if [ -z "$count" ]; then
        echo "FAIL torture-$cmd-count (is $BUILD built with -DKL_FAULT_INJECTION?)"; failed=1; continue
    fi
    [ -n "${TORTURE_MAX:-}" ] && [ "$TORTURE_MAX" -lt "$count" ] && count=$TORTURE_MAX
    t0=$(date +%s)
    seq 1 "$STRIDE" $((count + 1)) |
        xargs -P "$JOBS" -I{} sh "$0" --one "$BUILD" "$cmd" {} "$WORK/$cmd-{}" >"$WORK/$cmd.log"
    runs=$(seq 1 "$STRIDE" $((count + 1)) | wc -l)
    if grep -q '^FAIL' "$WORK/$cmd.log"; then
        sort -t- -k4 -n "$WORK/$cmd.log" | head -n 30
        echo "FAIL torture-$cmd: $(grep -c '^FAIL' "$WORK/$cmd.log") of $runs runs ($count allocations, stride $STRIDE)"
        failed=1
        if [ -n "${TORTURE_KEEP:-}" ]; then cp -r "$WORK" "$TORTURE_KEEP"; fi
    else
        echo "ok torture-$cmd ($count allocations, $runs runs at stride $STRIDE, $(($(date +%s) - t0)) s)"
    fi
done
echo "torture: $(($(date +%s) - start)) s"
exit "$failed"
