# indicators.sh -- the four built-in indicators against hand-computed
# fixtures: for every case folder tests/fixtures/INDICATOR/CASE/ (input CSVs,
# expected.csv, README.md with the arithmetic), runs
#   klaster compute INDICATOR --data CASE --out OUT
# and compares OUT/INDICATOR.csv with expected.csv using csvcmp (numbers
# within a relative 1e-9).  One "ok"/"FAIL" line per case.
. "$KL_ROOT/tests/e2e/lib.sh"

CSVCMP="$KL_BUILD/tests/tools/csvcmp"
FIXTURES="$KL_ROOT/tests/fixtures"

# nonnegative FILE COLUMN... : prints the cells of those columns that are
# negative (results >= 0 by definition must be clamped at 0).
nonnegative() {
    file=$1
    shift
    awk -F, -v cols="$*" '
        NR == 1 { n = split(cols, want, " "); for (i = 1; i <= NF; i++) for (j = 1; j <= n; j++) if ($i == want[j]) check[i] = $i; next }
        { for (i in check) if ($i ~ /^-/) printf "line %d: column %s is negative: %s\n", NR, check[i], $i }' "$file"
}

for indicator in jobs_created budget_revenue innovation_activity export_diversification; do
    for dir in "$FIXTURES/$indicator"/*/; do
        [ -f "$dir/expected.csv" ] || continue
        dir=${dir%/}
        case_name=$(basename "$dir")
        name="$indicator/$case_name"
        out="$TMP/$indicator-$case_name"
        rc=0
        # (the program finds the built plugins beside itself, in $KL_BUILD/plugins)
        "$KLASTER" compute "$indicator" --data "$dir" --out "$out" >"$TMP/out" 2>"$TMP/err" || rc=$?
        if [ "$rc" -ne 0 ]; then
            fail "$name" "klaster compute exited $rc" "stderr: $(head -c 600 "$TMP/err")"
            continue
        fi
        if [ ! -f "$out/$indicator.csv" ]; then
            fail "$name" "no $indicator.csv written in $out"
            continue
        fi
        if ! "$CSVCMP" "$dir/expected.csv" "$out/$indicator.csv" >"$TMP/cmp" 2>&1; then
            fail "$name" "$(head -n 20 "$TMP/cmp")"
            continue
        fi
        if [ "$indicator" = export_diversification ]; then
            neg=$(nonnegative "$out/$indicator.csv" hhi_products_norm theil_products \
                theil_within theil_between hhi_partners_norm)
            if [ -n "$neg" ]; then
                fail "$name" "$neg"
                continue
            fi
        fi
        ok "$name"
    done
done

finish
