#!/bin/sh
# matrix.sh -- the bad-input matrix: every case in tests/data/ (made by
# tests/data/make.sh; the format is described there) is put alone in a data
# folder as firms.csv or firms.csv.gz and computed with the test step
# tests/data/matrix_rows.lua, which returns every firm row as loaded.
# A good case must give the expected rows and values; a bad one must exit
# with the expected status, name firms.csv:LINE:COL and the fault in its
# message, and publish nothing.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70

ncases=0
for exp in tests/data/[0-9][0-9][0-9][0-9]-*.expect; do
    case_=${exp%.expect}
    name=matrix-$(basename "$case_")
    if [ -f "$case_.csv.gz" ]; then file=firms.csv.gz; src=$case_.csv.gz
    else file=firms.csv; src=$case_.csv; fi
    dir="$TMP/$name"
    mkdir -p "$dir/data"
    cp "$src" "$dir/data/$file"
    args=$(sed -n 's/^args //p' "$exp")
    first=$(head -n 1 "$exp")
    ncases=$((ncases + 1))
    # shellcheck disable=SC2086
    "$KLASTER" compute matrix_rows --data "$dir/data" --out "$dir/out" \
        --script-path tests/data/matrix_rows.lua $args >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -- $first
    case $1 in
    ok)
        want_rows=$2
        res="$dir/out/matrix_rows.csv"
        if [ "$rc" -ne 0 ]; then
            fail "$name" "exit status $rc, expected 0" "stderr: $(head -c 600 "$TMP/err")"
            continue
        fi
        # result rows start with the year (a quoted region may span lines)
        rows=$(grep -c "^[0-9][0-9][0-9][0-9]," "$res")
        if [ "$rows" -ne "$want_rows" ]; then
            fail "$name" "$rows rows, expected $want_rows" "$(head -5 "$res")"
            continue
        fi
        bad=""
        while IFS= read -r line; do
            case $line in
            "has "*) grep -qxF -- "${line#has }" "$res" || bad="$bad [${line#has }]" ;;
            esac
        done <"$exp"
        if [ -n "$bad" ]; then fail "$name" "missing result lines:$bad" "$(head -5 "$res")"
        else ok "$name"; fi
        ;;
    error)
        want_rc=$2 loc=$3
        shift 3
        sub=$*
        why=""
        [ "$rc" -eq "$want_rc" ] || why="exit status $rc, expected $want_rc;"
        # The message names the file, and the line (and column) when given.
        if [ "$loc" = "-" ]; then at="$file:"; else at="$file:$loc:"; fi
        grep -qF -- "$at" "$TMP/err" || why="$why no '$at';"
        grep -qF -- "$sub" "$TMP/err" || why="$why no '$sub';"
        # Nothing published: no result, no temporary left in the output folder.
        if [ -d "$dir/out" ] && [ -n "$(ls -A "$dir/out")" ]; then
            why="$why output folder not empty: $(ls -A "$dir/out" | tr '\n' ' ')"
        fi
        if [ -n "$why" ]; then fail "$name" "$why" "stderr: $(head -c 600 "$TMP/err")"
        else ok "$name"; fi
        ;;
    *) fail "$name" "bad expect file: $first" ;;
    esac
done
[ "$ncases" -ge 40 ] && ok "matrix-case-count-$ncases" || fail matrix-case-count "only $ncases cases"
finish
