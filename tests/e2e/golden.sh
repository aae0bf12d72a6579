#!/bin/sh
# golden.sh -- every built-in indicator and shipped script on the bundled
# example data, against the reviewed results in tests/golden/uzbekistan/
# (numbers compared within the spec's relative 1e-9), in each output format.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70
CSVCMP="$KL_BUILD/tests/tools/csvcmp"
steps="jobs_created budget_revenue innovation_activity export_diversification cluster_efficiency location_quotient export_rca cluster_stage shift_share"

# shellcheck disable=SC2086
expect_status golden-compute 0 "$KLASTER" compute $steps --data examples/uzbekistan --out "$TMP/csv"
for s in $steps; do
    if "$CSVCMP" "tests/golden/uzbekistan/$s.csv" "$TMP/csv/$s.csv" >"$TMP/diff" 2>&1; then ok "golden-$s"
    else fail "golden-$s" "$(head -5 "$TMP/diff")"; fi
done

# gzip CSV: the same bytes once decompressed
expect_status golden-compute-gz 0 "$KLASTER" compute jobs_created --data examples/uzbekistan --out "$TMP/gz" --format csv.gz
gzip -dc "$TMP/gz/jobs_created.csv.gz" >"$TMP/jc.csv"
expect_same golden-csv-gz-same-bytes "$TMP/csv/jobs_created.csv" "$TMP/jc.csv"

# JSON Lines: one object per row, missing as null
expect_status golden-compute-jsonl 0 "$KLASTER" compute jobs_created --data examples/uzbekistan --out "$TMP/js" --format jsonl
rows_csv=$(($(wc -l <"$TMP/csv/jobs_created.csv") - 1))
rows_js=$(wc -l <"$TMP/js/jobs_created.jsonl")
[ "$rows_csv" = "$rows_js" ] && ok golden-jsonl-rows || fail golden-jsonl-rows "$rows_csv vs $rows_js"
expect_grep golden-jsonl-null '"job_creation":null' "$TMP/js/jobs_created.jsonl"

# stdout when one indicator is named
expect_status golden-stdout 0 "$KLASTER" compute export_diversification --data examples/uzbekistan
expect_same golden-stdout-same "$TMP/csv/export_diversification.csv" "$TMP/out"
finish
