#!/bin/sh
# fuzz_regress.sh -- replays the kept fuzzer findings (tests/fuzz/regress/NAME/)
# and the harnesses' smallest seeds through the same entry points as the
# libFuzzer harnesses of tests/fuzz/, built here with the normal compiler
# against the build under test (ASan's too, under `make asan`) and
# tests/fuzz/regress_main.c in place of libFuzzer.  Each input must run to
# the end: no crash, no sanitizer report.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70
CC=${CC:-cc}
LIB="$KL_BUILD/libklaster.a"
san=""
if nm "$LIB" 2>/dev/null | grep -q __asan_report; then
    san="-fsanitize=address,undefined -fno-sanitize-recover=all"
fi
deps=$(pkg-config --cflags --libs lua5.4 zlib)
for h in reader pipeline lua; do
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $san -Icore \
        "tests/fuzz/fuzz_$h.c" tests/fuzz/regress_main.c "$LIB" $deps -ldl -lm -pthread \
        -o "$TMP/fuzz_$h" 2>"$TMP/cc.err"; then
        fail "fuzz-regress-$h-build" "$(head -c 600 "$TMP/cc.err")"
        continue
    fi
    set --
    for f in tests/fuzz/regress/$h/*; do [ -f "$f" ] && set -- "$@" "$f"; done
    if [ $# -eq 0 ]; then ok "fuzz-regress-$h-none-kept"; continue; fi
    if "$TMP/fuzz_$h" "$@" >"$TMP/out" 2>"$TMP/err" && ! grep -q 'Sanitizer\|runtime error' "$TMP/err"; then
        ok "fuzz-regress-$h ($# inputs)"
    else
        fail "fuzz-regress-$h" "$(grep -m5 'ERROR\|SUMMARY\|runtime error' "$TMP/err")" "last ran: $(tail -n 1 "$TMP/out")"
    fi
done
finish
