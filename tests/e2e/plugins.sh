#!/bin/sh
# plugins.sh -- the plugin loader and host: each failure a clear message
# naming the file and a documented exit status, never a crash; a failing
# step publishes nothing; the out-of-tree example plugin builds against an
# installed klaster (make install DESTDIR=...) and runs like a built-in.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70
DATA=tests/fixtures/check/clean
CC=${CC:-cc}

# build_plugin NAME: tests/plugins/NAME.c -> $TMP/NAME/NAME.so (its own folder)
build_plugin() {
    mkdir -p "$TMP/$1"
    $CC -std=c11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -Icore \
        "tests/plugins/$1.c" -o "$TMP/$1/$1.so"
}
for p in tp_count tp_bad_abi tp_no_entry tp_undefined tp_fails tp_undeclared tp_dup_key tp_abi10; do
    build_plugin $p || fail "build-$p"
done

expect_status plugin-good 0 "$KLASTER" compute tp_count --data $DATA --plugin-path "$TMP/tp_count"
printf 'year,region,rows\n2020,UZ-AN,2\n2020,UZ-FA,1\n2021,UZ-AN,2\n2021,UZ-FA,1\n' >"$TMP/want"
expect_same plugin-good-output-sorted "$TMP/want" "$TMP/out"

# A plugin built for ABI 1.0 knows only 4- and 8-byte INT cells: it is lent
# those (the host keeps year and head counts in 2 bytes).
expect_status plugin-abi-1.0 0 "$KLASTER" compute tp_abi10 --data $DATA --plugin-path "$TMP/tp_abi10"
printf 'year,employees\n2020,120\n2020,8\n2020,45\n2021,130\n2021,9\n2021,50\n' >"$TMP/want"
expect_same plugin-abi-1.0-reads-int32 "$TMP/want" "$TMP/out"

expect_status plugin-wrong-abi 64 "$KLASTER" list --plugin-path "$TMP/tp_bad_abi"
expect_grep plugin-wrong-abi-message "tp_bad_abi.so: built for plugin ABI 99.0, but this klaster provides ABI 1." "$TMP/err"

expect_status plugin-no-entry 64 "$KLASTER" list --plugin-path "$TMP/tp_no_entry"
expect_grep plugin-no-entry-message "tp_no_entry.so: not a klaster plugin for ABI 1: it does not export 'klaster_plugin_v1'" "$TMP/err"

expect_status plugin-undefined-symbol 64 "$KLASTER" list --plugin-path "$TMP/tp_undefined"
expect_grep plugin-undefined-symbol-message "tp_undefined.so: cannot load plugin:" "$TMP/err"
expect_grep plugin-undefined-symbol-names-it "tp_function_nobody_defines" "$TMP/err"

mkdir -p "$TMP/twins"
cp "$TMP/tp_count/tp_count.so" "$TMP/twins/a.so"
cp "$TMP/tp_count/tp_count.so" "$TMP/twins/b.so"
expect_status plugin-same-name 64 "$KLASTER" list --plugin-path "$TMP/twins"
expect_grep plugin-same-name-message "two steps are named 'tp_count': $TMP/twins/a.so and $TMP/twins/b.so" "$TMP/err"

# A failing step publishes nothing, not even the other step's result.
expect_status plugin-error 65 "$KLASTER" compute tp_count tp_fails --data $DATA --out "$TMP/res" \
    --plugin-path "$TMP/tp_count:$TMP/tp_fails"
expect_grep plugin-error-message "klaster: tp_fails: deliberate failure after 1 row" "$TMP/err"
if [ -e "$TMP/res/tp_count.csv" ] || [ -e "$TMP/res/tp_fails.csv" ] || \
   [ -n "$(ls -A "$TMP/res" 2>/dev/null)" ]; then
    fail plugin-error-publishes-nothing "$(ls -la "$TMP/res")"
else
    ok plugin-error-publishes-nothing
fi

expect_status plugin-undeclared-read 64 "$KLASTER" compute tp_undeclared --data $DATA --plugin-path "$TMP/tp_undeclared"
expect_grep plugin-undeclared-read-message "tp_undeclared: reads firms.revenue without declaring it in its inputs" "$TMP/err"
expect_status plugin-duplicate-key 70 "$KLASTER" compute tp_dup_key --data $DATA --plugin-path "$TMP/tp_dup_key"
expect_grep plugin-duplicate-key-message "emitted two rows with the same key (2020, UZ-AN)" "$TMP/err"
expect_status plugin-unknown-name 64 "$KLASTER" compute no_such_indicator --data $DATA
expect_grep plugin-unknown-name-message "no indicator called 'no_such_indicator'" "$TMP/err"
expect_status plugin-missing-path-is-empty 0 "$KLASTER" list --plugin-path "$TMP/nowhere"

# Built-in plugins export exactly one symbol.
for so in "$KL_BUILD"/plugins/*.so; do
    [ -f "$so" ] || continue
    syms=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort | tr '\n' ' ')
    if [ "$syms" = "klaster_plugin_v1 " ]; then ok "exports-only-entry-$(basename "$so")"
    else fail "exports-only-entry-$(basename "$so")" "exports: $syms"; fi
done

# The out-of-tree example: install klaster into a staging tree, build the
# plugin with pkg-config against it, run it.
stage="$TMP/stage"
if make -s -C "$KL_ROOT" BUILD="${KL_BUILD#"$KL_ROOT"/}" install DESTDIR="$stage" PREFIX=/usr/local >"$TMP/install.log" 2>&1; then
    ok example-install
else
    fail example-install "$(tail -5 "$TMP/install.log")"
fi
cp -r examples/plugin "$TMP/example"
if PKG_CONFIG_PATH="$stage/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" \
    make -s -C "$TMP/example" >"$TMP/example.log" 2>&1; then
    ok example-plugin-builds
else
    fail example-plugin-builds "$(cat "$TMP/example.log")"
fi
mkdir -p "$TMP/exdir" && cp "$TMP/example/avg_firm_size.so" "$TMP/exdir/" 2>/dev/null
expect_status example-plugin-runs 0 env KLASTER_PLUGIN_PATH="$TMP/exdir" "$KLASTER" compute avg_firm_size --data $DATA
cat >"$TMP/want" <<'CSV'
year,region,cluster,firms,avg_employees,small_share
2020,UZ-AN,AN-TEX-01,1,120,0
2020,UZ-FA,FA-SLK-01,1,45,100
2021,UZ-AN,AN-TEX-01,1,130,0
2021,UZ-FA,FA-SLK-01,1,50,0
CSV
expect_same example-plugin-output "$TMP/want" "$TMP/out"

# docs/plugins.md shows the example in full: it must be the real file.
awk '/^```c$/ { on = 1; next } /^```$/ { on = 0 } on' docs/plugins.md >"$TMP/doc-example.c"
expect_same docs-plugin-example-is-the-file examples/plugin/avg_firm_size.c "$TMP/doc-example.c"
finish
