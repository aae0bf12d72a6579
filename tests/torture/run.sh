#!/bin/sh
# torture/run.sh BUILD -- the fault-injection sweeps (`make torture`).
#
# BUILD holds a klaster built with -DKL_FAULT_INJECTION (and ASan+UBSan).
# For each representative command, a clean run counts its allocations and
# its output file-system calls (writes, fsyncs, renames, opens for writing,
# mkdirs, symlinks and standard output: core/kl_io.h), which
# KLASTER_ALLOC_REPORT=1 makes the fault-injection build print.  Then three
# sweeps run the command again:
#   alloc  with KLASTER_FAIL_ALLOC_AT=N for N = 1, 1+S, 1+2S, ... up to the
#          allocation count (S = TORTURE_STRIDE, default 1: every N);
#   write  with KLASTER_FAIL_WRITE_AT=N for N = 1, 1+W, ... up to the count
#          of output calls (W = TORTURE_WRITE_STRIDE, default 1): the disk
#          fills up (or fails) at the Nth call and stays that way;
#   write-once  the same with KLASTER_FAIL_WRITE_ONCE=1: only the Nth call
#          fails (space freed again, a passing I/O error), which catches an
#          error lost because the next call works.
# Each run must end cleanly: an exit status below 128 (no signal), 0 or one
# of the documented statuses (64-75; for a write fault 0 or 73, "cannot
# write"), no sanitizer report (leaks included), a message on stderr when it
# failed, and no half-written output: every file under a final output name
# is byte-identical to the clean run's (a manifest or report: complete), no
# temporary file or link and no run folder without a manifest is left
# behind, a run that succeeded published everything and printed what the
# clean run printed, and OUT/latest exists only after a success and points
# at a complete, successful run.  TORTURE_JOBS runs in parallel (default:
# the number of CPUs); TORTURE_MAX=M stops at N = M; TORTURE_COMMANDS picks
# commands (default: check compute run panel); TORTURE_FAULTS picks sweeps
# (default: alloc write write-once); TORTURE_KEEP=DIR keeps the work folder
# (the failed runs' folders) when something failed.  Prints "ok NAME" /
# "FAIL NAME" like the other tests.
set -u
if [ "${1:-}" = --one ]; then BUILD=$2; else BUILD=${1:-build-torture}; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 70
K="$ROOT/$BUILD/klaster"
STRIDE=${TORTURE_STRIDE:-1}
WSTRIDE=${TORTURE_WRITE_STRIDE:-1}
JOBS=${TORTURE_JOBS:-$(nproc 2>/dev/null || echo 2)}
export ASAN_OPTIONS="detect_leaks=1:exitcode=99:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:exitcode=98"
unset KLASTER_FAIL_ALLOC_AT KLASTER_FAIL_WRITE_AT KLASTER_FAIL_WRITE_ONCE KLASTER_ALLOC_REPORT

# one FAULT CMD N DIR : runs command CMD in DIR (fresh) with its Nth
# allocation (FAULT alloc) or output call (FAULT write, write-once) failing
# (N = 0: none);
# prints nothing when all is well, else one FAIL line.
one() {
    fault=$1 cmd=$2 n=$3 dir=$4
    rm -rf "$dir" && mkdir -p "$dir/data"
    cp tests/fixtures/check/clean/*.csv "$dir/data/"
    case $cmd in
    panel) cp "$WORK/panel.csv" "$dir/data/firms.csv"
           set -- compute jobs_created --data "$dir/data" --out "$dir/out" --plugin-path "$ROOT/$BUILD/plugins" ;;
    check) set -- check --data examples/uzbekistan ;;
    compute) set -- compute jobs_created budget_revenue innovation_activity export_diversification \
                 --data "$dir/data" --out "$dir/out" --plugin-path "$ROOT/$BUILD/plugins" ;;
    run) sed "s|@PLUGINS@|$ROOT/$BUILD/plugins|; s|@SCRIPTS@|$ROOT/tests/pipeline|" \
             tests/torture/pipeline.lua >"$dir/p.lua"
         set -- run "$dir/p.lua" ;;
    esac
    if [ "$n" -eq 0 ]; then
        KLASTER_ALLOC_REPORT=1 "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    elif [ "$fault" = write ]; then
        KLASTER_FAIL_WRITE_AT=$n "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    elif [ "$fault" = write-once ]; then
        KLASTER_FAIL_WRITE_AT=$n KLASTER_FAIL_WRITE_ONCE=1 "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    else
        KLASTER_FAIL_ALLOC_AT=$n "$K" "$@" >"$dir/stdout" 2>"$dir/stderr"
    fi
    rc=$?
    why=""
    case $fault:$rc in
    *:0 | alloc:6[4-9] | alloc:7[0-5] | write*:73) ;;
    *) why="exit status $rc;" ;;
    esac
    if grep -q 'Sanitizer\|runtime error' "$dir/stderr"; then why="$why sanitizer report;"; fi
    if [ "$rc" -ne 0 ] && ! grep -q '^klaster: \|error' "$dir/stderr"; then why="$why no message;"; fi
    ref="$WORK/$cmd-0"
    if [ "$n" -ne 0 ] && [ "$rc" -eq 0 ] && ! cmp -s "$dir/stdout" "$ref/stdout"; then
        why="$why succeeded with other output on stdout;"
    fi
    # Published files: complete (identical to the clean run's) or absent.
    if [ -d "$dir/out" ] && [ "$n" -ne 0 ]; then
        for f in $(cd "$dir/out" && find . ! -type d ! -name .lock); do
            base=$(basename "$f")
            if [ -L "$dir/out/$f" ]; then
                [ "$f" = ./latest ] || why="$why leftover link $f;"
                continue
            fi
            # These two name the run and the time: complete, not identical.
            if [ "$base" = manifest.json ]; then
                tail -c 3 "$dir/out/$f" | grep -q '}' || why="$why truncated manifest $f;"
                continue
            fi
            if [ "$base" = report.html ]; then
                tail -c 8 "$dir/out/$f" | grep -q '</html>' || why="$why truncated report $f;"
                continue
            fi
            clean=$(cd "$ref/out" && find . -name "$base" -type f | head -n 1)
            if [ -z "$clean" ]; then why="$why leftover file $f;"
            elif ! cmp -s "$dir/out/$f" "$ref/out/$clean"; then why="$why half-written $f;"; fi
        done
        # A run folder is explained by its manifest (klaster history), and
        # after a passing fault a failed run's manifest does not say success
        # (after a lasting one the disk may not let it say anything).
        for r in "$dir"/out/runs/*/; do
            [ -d "$r" ] || continue
            if ! [ -f "$r/manifest.json" ]; then
                why="$why run folder without manifest $(basename "$r");"
            elif [ "$fault" = write-once ] && [ "$rc" -ne 0 ] &&
                grep -q '^  "status": "success"' "$r/manifest.json"; then
                why="$why failed run $(basename "$r") has a success manifest;"
            fi
        done
        if [ -e "$dir/out/latest" ] || [ -L "$dir/out/latest" ]; then
            # latest: only after a success, and at a complete, successful run.
            [ "$rc" -ne 0 ] && why="$why latest published by a failed run;"
            if ! grep -q '^  "status": "success"' "$dir/out/latest/manifest.json" 2>/dev/null; then
                why="$why latest points at a run without a success manifest;"
            fi
            for f in $(cd "$ref/out/latest/" && find . -type f ! -name manifest.json ! -name report.html); do
                cmp -s "$dir/out/latest/$f" "$ref/out/latest/$f" || why="$why latest lacks $f;"
            done
            # A report that cannot be made is a warning (docs/report.md).
            if [ -f "$ref/out/latest/report.html" ] && ! [ -f "$dir/out/latest/report.html" ] &&
                ! grep -q 'warning *no report: ' "$dir/stderr"; then
                why="$why latest lacks its report, without a warning;"
            fi
        fi
    fi
    if [ "$rc" -eq 0 ] && [ "$n" -ne 0 ] && [ "$cmd" != check ]; then
        # a run that succeeded must have published everything
        nref=$(find "$ref/out" -name '*.csv' | wc -l)
        ngot=$(find "$dir/out" -name '*.csv' 2>/dev/null | wc -l)
        [ "$nref" -eq "$ngot" ] || why="$why succeeded with $ngot of $nref outputs;"
        if [ -L "$ref/out/latest" ] && ! [ -L "$dir/out/latest" ]; then
            why="$why succeeded without moving latest;"
        fi
    fi
    if [ -n "$why" ]; then
        name=torture-$cmd-at-$n
        [ "$fault" = alloc ] || name=torture-$fault-$cmd-at-$n
        echo "FAIL $name $why $(grep -m3 'klaster:\|ERROR\|SUMMARY' "$dir/stderr" | tr '\n' ' ' | head -c 400)"
        cp -r "$dir" "$WORK/failed-$fault-$cmd-$n" 2>/dev/null
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
# panel: six years of 2,000 firm ids listed in the same order every year,
# with exits and entrants, so that loading follows the earlier years
# (kl_load_text_follow) and its allocations are swept too.
awk 'BEGIN {
    print "year,region,cluster,firm,employees"
    for (y = 2016; y <= 2021; y++)
        for (i = 0; i < 2000; i++) {
            if (y > 2016 && i % 19 == 3) continue
            printf "%d,UZ-AN,C%d,F%05d,%d\n", y, i % 3, (i * 7919) % 100000, 1 + (i * y) % 50
            if (y > 2016 && i % 23 == 0) printf "%d,UZ-AN,C0,N%d-%d,3\n", y, y, i
        }
}' >"$WORK/panel.csv"
for cmd in ${TORTURE_COMMANDS:-check compute run panel}; do
    one alloc "$cmd" 0 "$WORK/$cmd-0" >"$WORK/clean.log"
    if [ -s "$WORK/clean.log" ] || ! [ -e "$WORK/$cmd-0" ]; then
        echo "FAIL torture-$cmd-clean-run"; cat "$WORK/clean.log"; failed=1; continue
    fi
    for fault in ${TORTURE_FAULTS:-alloc write write-once}; do
        case $fault in
        alloc) name=torture-$cmd what=allocations key=allocations step=$STRIDE ;;
        write | write-once) name=torture-$fault-$cmd what="output calls" key=writes step=$WSTRIDE ;;
        *) echo "FAIL torture: unknown fault '$fault' (alloc, write or write-once)"; failed=1; continue ;;
        esac
        count=$(sed -n "s/^klaster: $key: //p" "$WORK/$cmd-0/stderr")
        if [ -z "$count" ]; then
            echo "FAIL $name-count (is $BUILD built with -DKL_FAULT_INJECTION?)"; failed=1; continue
        fi
        [ -n "${TORTURE_MAX:-}" ] && [ "$TORTURE_MAX" -lt "$count" ] && count=$TORTURE_MAX
        t0=$(date +%s)
        # N = count + 1 fails nothing: the counting itself must not change the run.
        seq 1 "$step" $((count + 1)) |
            xargs -P "$JOBS" -I{} sh "$0" --one "$BUILD" "$fault" "$cmd" {} "$WORK/$fault-$cmd-{}" \
                >"$WORK/$fault-$cmd.log"
        runs=$(seq 1 "$step" $((count + 1)) | wc -l)
        if grep -q '^FAIL' "$WORK/$fault-$cmd.log"; then
            sed 's/-at-\([0-9]*\)/-at-\1 \1/' "$WORK/$fault-$cmd.log" | sort -k3 -n |
                sed 's/-at-\([0-9]*\) [0-9]*/-at-\1/' | head -n 30
            echo "FAIL $name: $(grep -c '^FAIL' "$WORK/$fault-$cmd.log") of $runs runs ($count $what, stride $step)"
            failed=1
        else
            echo "ok $name ($count $what, $runs runs at stride $step, $(($(date +%s) - t0)) s)"
        fi
    done
done
if [ "$failed" -ne 0 ] && [ -n "${TORTURE_KEEP:-}" ]; then cp -r "$WORK" "$TORTURE_KEEP"; fi
echo "torture: $(($(date +%s) - start)) s"
exit "$failed"
