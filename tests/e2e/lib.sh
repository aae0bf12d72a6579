# lib.sh -- helpers for the end-to-end test scripts (sourced, not run).
# Each check prints "ok NAME" or "FAIL NAME" with the reason; the script's
# exit status is non-zero when any check failed.
# $KLASTER is the program under test; $KL_ROOT the repository root.
set -u
KL_FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok $1"; }
fail() {
    echo "FAIL $1"
    shift
    [ $# -gt 0 ] && printf '    %s\n' "$@"
    KL_FAILED=1
}

# expect_status NAME STATUS CMD... : runs CMD, checks its exit status;
# its stdout and stderr are kept in $TMP/out and $TMP/err.
expect_status() {
    _kl_name=$1 _kl_want=$2
    shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    _kl_got=$?
    if [ "$_kl_got" -eq "$_kl_want" ]; then
        ok "$_kl_name"
    else
        fail "$_kl_name" "exit status $_kl_got, expected $_kl_want" "stderr: $(head -c 600 "$TMP/err")"
    fi
}

# expect_grep NAME PATTERN FILE : FILE has a line matching PATTERN (fixed string).
expect_grep() {
    if grep -qF -- "$2" "$3"; then ok "$1"; else fail "$1" "'$2' not in $3:" "$(head -c 600 "$3")"; fi
}

# expect_same NAME EXPECTED ACTUAL : the two files are byte-identical.
expect_same() {
    if cmp -s "$2" "$3"; then ok "$1"; else fail "$1" "$(diff "$2" "$3" | head -20)"; fi
}

finish() { exit "$KL_FAILED"; }
