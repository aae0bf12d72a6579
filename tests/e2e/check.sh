#!/bin/sh
# check.sh -- golden tests of `klaster check`: each folder under
# tests/fixtures/check/ is a data folder with the expected report
# (expected.out), exit status (expected.status) and extra arguments (args).
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70

for d in tests/fixtures/check/*/; do
    d=${d%/}
    name=check-$(basename "$d")
    args=$(cat "$d/args" 2>/dev/null || true)
    # shellcheck disable=SC2086
    expect_status "$name-status" "$(cat "$d/expected.status")" "$KLASTER" check --data "$d" $args
    expect_same "$name-report" "$d/expected.out" "$TMP/out"
done

expect_status check-no-folder 66 "$KLASTER" check --data "$TMP/does-not-exist"
expect_grep check-no-folder-message "does-not-exist: no such folder" "$TMP/err"
mkdir "$TMP/empty"
expect_status check-empty-folder 66 "$KLASTER" check --data "$TMP/empty"
expect_grep check-empty-folder-message "no dataset found" "$TMP/err"
expect_status check-needs-data 64 "$KLASTER" check
printf 'year,region,cluster,firm\n' >"$TMP/empty/firms.csv"
cp "$TMP/empty/firms.csv" "$TMP/empty/firms.tsv"
expect_status check-ambiguous-files 65 "$KLASTER" check --data "$TMP/empty"
expect_grep check-ambiguous-message "more than one file for dataset 'firms'" "$TMP/out"
finish
