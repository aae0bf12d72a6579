#!/bin/sh
# example.sh -- the bundled example data: the generator reproduces it byte
# for byte from the command in its README, and `klaster check` accepts it.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70

"$KL_BUILD/scripts/gen_dataset" --out "$TMP/gen" --seed 2024 --firms 1500 --years 2019-2024 \
    --edge-cases --gzip=firms,exports --members 2 2>"$TMP/gen.err" || fail example-generates "$(cat "$TMP/gen.err")"
for f in firms.csv.gz exports.csv.gz regions.csv clusters.csv; do
    expect_same "example-reproducible-$f" "examples/uzbekistan/$f" "$TMP/gen/$f"
done

"$KL_BUILD/scripts/gen_dataset" --out "$TMP/gen2" --seed 2024 --firms 1500 --years 2019-2024 \
    --edge-cases --gzip=firms,exports --members 2 2>/dev/null
if cmp -s "$TMP/gen/firms.csv.gz" "$TMP/gen2/firms.csv.gz"; then ok example-deterministic; else fail example-deterministic; fi

expect_status example-check-passes 0 "$KLASTER" check --data examples/uzbekistan
expect_grep example-check-names-the-gap "gap: UZ-SI has no rows in 2022" "$TMP/out"
expect_grep example-check-reads-gzip-members "rows: 9337" "$TMP/out"
expect_status generator-bad-arguments 64 "$KL_BUILD/scripts/gen_dataset" --firms 3
finish
