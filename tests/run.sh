#!/bin/sh
# run.sh BUILD -- the whole test suite: the C unit tests, then each
# end-to-end script in tests/e2e/ (which drive the real `klaster` program).
# Every test prints "ok NAME" or "FAIL NAME"; the last line is the total,
# "N passed, N failed", and the exit status is non-zero if anything failed.
set -u
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 70
export KLASTER="$ROOT/$BUILD/klaster" KL_BUILD="$ROOT/$BUILD" KL_ROOT="$ROOT"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

passed=0
failed=0
count() { # adds the ok/FAIL lines of $log to the totals
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
}

echo "== unit tests"
"$BUILD/tests/unit-tests" >"$log" 2>&1
rc=$?
cat "$log"
count
if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
    echo "FAIL unit-tests (runner exited $rc)"
    failed=$((failed + 1))
fi

for script in tests/e2e/*.sh; do
    case "$script" in */lib.sh) continue ;; esac
    [ -f "$script" ] || continue
    echo "== $script"
    timeout 300 sh "$script" >"$log" 2>&1
    rc=$?
    cat "$log"
    count
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
        echo "FAIL $script (exited $rc)"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
