#!/bin/sh
# lua.sh -- end-to-end tests of the Lua bridge through the real program:
# scripts in `list` and `info`, the script path, every example of
# docs/lua.md run against tests/fixtures/lua/data and compared with
# tests/fixtures/lua/expected/, and every hostile script of tests/lua/.
#
# The hostile and broken scripts carry their expectations as comments:
#   -- expect-status: N        exit status of `klaster compute` (or `list`)
#   -- expect-error: TEXT      on stderr
#   -- expect-output: TEXT     a line of the result (status 0)
#   -- expect-stderr: TEXT     on stderr (status 0)
#   -- limits: OPTIONS         extra options (--lua-memory, --lua-instructions)
#   -- together: FILE          another script loaded with it (bad/ only)
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70
DATA=tests/fixtures/lua/data
EXAMPLES=docs/examples/lua

# header NAME FILE: the value of "-- NAME: value" in FILE
header() { sed -n "s/^-- $1: //p" "$2" | head -1; }

# ---- list, info and the script path ----------------------------------------
expect_status "list shows a script" 0 "$KLASTER" list --script-path "$EXAMPLES"
expect_grep "list: name and kind" "example_rd_intensity 1.0.0 (Lua script, $EXAMPLES/rd_intensity.lua)" "$TMP/out"
expect_grep "list: inputs" "reads: firms(year,region,cluster,rd_spend,revenue)" "$TMP/out"
expect_grep "list: optional input" "regions(year,region,employment) optional" "$TMP/out"

expect_status "info on a script" 0 "$KLASTER" info example_median_revenue --script-path "$EXAMPLES"
expect_grep "info: kind" "kind: Lua script" "$TMP/out"
expect_grep "info: a column with unit and description" "median_revenue           number   UZS        median over firms reporting revenue" "$TMP/out"
expect_grep "info: a parameter" "min_firms                default 2          fewer reporting firms: no median" "$TMP/out"
expect_grep "info: key count" "columns (the first 3 identify a row)" "$TMP/out"

expect_status "KLASTER_SCRIPT_PATH is searched" 0 env KLASTER_SCRIPT_PATH="$EXAMPLES" "$KLASTER" info example_rd_rank
expect_status "a .lua file in the script path" 0 "$KLASTER" info example_rd_rank --script-path "$EXAMPLES/rd_rank.lua"
expect_status "a folder given twice loads once" 0 "$KLASTER" list --script-path "$EXAMPLES:$EXAMPLES/rd_rank.lua" \
    </dev/null
KLASTER_SCRIPT_PATH="$EXAMPLES" expect_status "the same folder by option and environment" 0 \
    "$KLASTER" list --script-path "$EXAMPLES"
expect_status "a missing .lua file in the path" 66 "$KLASTER" list --script-path tests/lua/no_such.lua
expect_grep "missing file named" "tests/lua/no_such.lua: cannot open script" "$TMP/err"
expect_status "a missing folder holds no script" 0 "$KLASTER" list --script-path tests/lua/no_such_folder
expect_status "--lua-memory must be a size" 64 "$KLASTER" list --lua-memory lots
expect_status "--lua-instructions must be a count" 64 "$KLASTER" list --lua-instructions -5
expect_status "help lists the Lua options" 0 "$KLASTER" help compute
expect_grep "help: --script-path" "--script-path DIRS" "$TMP/out"
expect_grep "help: --lua-memory" "--lua-memory BYTES" "$TMP/out"
expect_grep "help: --lua-instructions" "--lua-instructions N" "$TMP/out"

# ---- every example of docs/lua.md --------------------------------------------
for f in "$EXAMPLES"/*.lua; do
    n=$(basename "$f" .lua)
    expect_status "example $n runs" 0 "$KLASTER" compute "example_$n" --script-path "$EXAMPLES" --data "$DATA"
    expect_same "example $n result" "tests/fixtures/lua/expected/example_$n.csv" "$TMP/out"
done
# docs/lua.md shows each example file in full, as it is on disk
awk -v dir="$TMP/md" '
    /^```lua$/ { inblock = 1; first = 1; next }
    /^```$/ { if (out) close(out); inblock = 0; out = ""; next }
    inblock && first { first = 0; if (match($0, /^-- [a-z_]+\.lua --/)) { name = substr($0, 4); sub(/ .*/, "", name); out = dir "/" name; system("mkdir -p " dir) } }
    inblock && out { print > out }
' docs/lua.md
for f in "$EXAMPLES"/*.lua; do
    expect_same "docs/lua.md shows $(basename "$f")" "$f" "$TMP/md/$(basename "$f")"
done
expect_status "the employment example without regions" 0 sh -c \
    "mkdir -p '$TMP/noreg' && cp $DATA/firms.csv '$TMP/noreg/' &&
     '$KLASTER' compute example_employment_share --script-path $EXAMPLES --data '$TMP/noreg'"
expect_grep "a warning when regions is absent" "warning: example_employment_share: no regions dataset" "$TMP/err"
expect_grep "the share is left empty" "2021,UZ-TO,TO-TEX,28," "$TMP/out"

# ---- hostile scripts: each fails cleanly (or runs harmlessly) ------------------
for f in tests/lua/hostile/*.lua; do
    n=$(basename "$f" .lua)
    status=$(header expect-status "$f")
    # shellcheck disable=SC2046
    expect_status "hostile $n: status $status" "$status" timeout 60 "$KLASTER" compute "hostile_$n" \
        --script-path "$f" --data "$DATA" --out "$TMP/out-$n" $(header limits "$f")
    if [ "$status" -ne 0 ]; then
        expect_grep "hostile $n: message" "$(header expect-error "$f")" "$TMP/err"
        if [ -e "$TMP/out-$n/hostile_$n.csv" ]; then
            fail "hostile $n: publishes nothing" "$TMP/out-$n/hostile_$n.csv exists"
        else
            ok "hostile $n: publishes nothing"
        fi
    else
        expect_grep "hostile $n: result" "$(header expect-output "$f")" "$TMP/out-$n/hostile_$n.csv"
        want=$(header expect-stderr "$f")
        [ -z "$want" ] || expect_grep "hostile $n: stderr" "$want" "$TMP/err"
    fi
done
expect_status "at most 100 warnings per run" 0 "$KLASTER" compute hostile_print_warns \
    --script-path tests/lua/hostile/print_warns.lua --data "$DATA"
if [ "$(grep -c 'hello from print' "$TMP/err")" -eq 100 ]; then ok "warnings capped"; else
    fail "warnings capped" "$(grep -c 'hello from print' "$TMP/err") warnings"; fi
expect_grep "cap announced" "more warnings are not shown" "$TMP/err"
if [ -e /tmp/klaster-pwned ]; then
    fail "no hostile script touched the file system" "/tmp/klaster-pwned exists"
else
    ok "no hostile script touched the file system"
fi

# ---- broken scripts: refused at load time, naming the file ---------------------
for f in tests/lua/bad/*.lua; do
    n=$(basename "$f" .lua)
    path=$f
    other=$(header together "$f")
    [ -z "$other" ] || path="$f:tests/lua/$other"
    # shellcheck disable=SC2046
    expect_status "bad $n: refused" "$(header expect-status "$f")" timeout 60 "$KLASTER" list \
        --script-path "$path" $(header limits "$f")
    expect_grep "bad $n: message" "$(header expect-error "$f")" "$TMP/err"
    expect_grep "bad $n: names the file" "$f" "$TMP/err"
done
printf '\033Lua\124\000\031\223\r\n\032\n\004\010\010xV' >"$TMP/binary.lua"
expect_status "a binary chunk as a script" 64 "$KLASTER" list --script-path "$TMP/binary.lua"
expect_grep "binary chunk refused" "attempt to load a binary chunk (mode is 't')" "$TMP/err"
expect_status "list fails as a whole when a script is broken" 64 "$KLASTER" list \
    --script-path "$EXAMPLES:tests/lua/bad/no_indicator.lua"

# ---- a script step feeding a later step ----------------------------------------
expect_status "a script reads another script's output" 0 "$KLASTER" compute example_rd_rank \
    example_rd_intensity --script-path "$EXAMPLES" --data "$DATA" --out "$TMP/chain"
expect_same "the earlier step is written too" tests/fixtures/lua/expected/example_rd_intensity.csv \
    "$TMP/chain/example_rd_intensity.csv"
expect_same "the later step is right" tests/fixtures/lua/expected/example_rd_rank.csv \
    "$TMP/chain/example_rd_rank.csv"
expect_status "a failed script step fails the run" 70 "$KLASTER" compute example_rd_intensity \
    hostile_compute_error --script-path "$EXAMPLES:tests/lua/hostile/compute_error.lua" --data "$DATA" \
    --out "$TMP/fail"
if [ -e "$TMP/fail/example_rd_intensity.csv" ]; then
    fail "nothing published when a later step fails" "example_rd_intensity.csv was written"
else
    ok "nothing published when a later step fails"
fi

finish
