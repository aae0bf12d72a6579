#!/bin/sh
# scripts.sh -- the Lua indicator scripts shipped in scripts/*.lua.
#
# 1. Every hand-computed case in tests/fixtures/scripts/SCRIPT/CASE/ (input
#    CSVs, expected.csv and the arithmetic in README.md): `klaster compute
#    SCRIPT --data CASE` (which also runs the steps the script reads) must
#    write SCRIPT.csv equal to expected.csv within csvcmp's 1e-9 relative.
# 2. export_rca on real trade data (world exports by exporter and HS
#    section, ../shared/data/external/ beside the repository): the file is
#    turned into a canonical exports.csv here, and Balassa's RCA is computed
#    independently by awk; every value must agree within 1e-9 relative.
#    Skipped, with a message, when the shared folder is absent.
. "$(dirname "$0")/lib.sh"

CSVCMP="$KL_BUILD/tests/tools/csvcmp"
FIXTURES="$KL_ROOT/tests/fixtures/scripts"

if [ ! -x "$CSVCMP" ]; then
    fail "scripts/csvcmp" "$CSVCMP not built (make builds tests/tools/csvcmp)"
    finish
fi

# ---- 1. fixture cases ------------------------------------------------------

ncases=0
for dir in "$FIXTURES"/*/*/; do
    [ -f "$dir/expected.csv" ] || continue
    dir=${dir%/}
    case_name=$(basename "$dir")
    script=$(basename "$(dirname "$dir")")
    name="scripts/$script/$case_name"
    out="$TMP/$script-$case_name"
    ncases=$((ncases + 1))
    "$KLASTER" compute "$script" --data "$dir" --out "$out" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name" "klaster compute $script exited $rc" "$(head -c 600 "$TMP/err")"
    elif "$CSVCMP" "$dir/expected.csv" "$out/$script.csv" >"$TMP/cmp" 2>&1; then
        ok "$name"
    else
        fail "$name" "$(head -20 "$TMP/cmp")"
    fi
done

# every script of this suite has at least one case
for script in cluster_efficiency location_quotient export_rca cluster_stage shift_share; do
    if ls "$FIXTURES/$script"/*/expected.csv >/dev/null 2>&1; then
        ok "scripts/$script has fixture cases"
    else
        fail "scripts/$script has fixture cases" "no $FIXTURES/$script/CASE/expected.csv"
    fi
done
[ "$ncases" -gt 0 ] || fail "scripts/fixtures" "no case found under $FIXTURES"

# ---- 2. export_rca on world trade data ------------------------------------

WORLD="$KL_ROOT/../shared/data/external/world-exports-by-hs-section.csv"
if [ ! -f "$WORLD" ]; then
    echo "skip scripts/export_rca/world_trade: $WORLD not found (the shared" \
        "folder is expected beside the repository clone)"
    finish
fi

# The file: UTF-8 with a BOM, RFC 4180 quoting, header
# "Trade Value","Exporter Country ID","Exporter Country","Section ID","Section".
# Columns are found by their header names; LC_ALL=C makes awk count bytes.
data="$TMP/world"
mkdir -p "$data"
LC_ALL=C awk '
function split_csv(line,   n, i, c, f, q, len) {
    n = 0; f = ""; q = 0; len = length(line)
    for (i = 1; i <= len; i++) {
        c = substr(line, i, 1)
        if (q) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0
            } else f = f c
        } else if (c == "\"") q = 1
        else if (c == ",") { F[++n] = f; f = "" }
        else f = f c
    }
    F[++n] = f
    return n
}
{
    sub(/\r$/, "")
    if (NR == 1) {
        if (substr($0, 1, 3) == "\357\273\277") $0 = substr($0, 4)
        n = split_csv($0)
        for (i = 1; i <= n; i++) col[F[i]] = i
        if (!("Trade Value" in col) || !("Exporter Country ID" in col) || !("Section ID" in col)) {
            print "unexpected header: " $0 > "/dev/stderr"; exit 2
        }
        print "year,region,cluster,firm,product,partner,value"
        next
    }
    if ($0 == "") next
    split_csv($0)
    printf "2020,%s,,,%s,WLD,%s\n", F[col["Exporter Country ID"]], F[col["Section ID"]], F[col["Trade Value"]]
}' "$WORLD" >"$data/exports.csv"
rc=$?
rows=$(($(wc -l <"$data/exports.csv") - 1))
if [ "$rc" -ne 0 ] || [ "$rows" -lt 1000 ]; then
    fail "scripts/export_rca/world_trade convert" "awk exited $rc, $rows rows"
    finish
fi

# Balassa RCA by awk: x(r,p)/x(r) / (x(p)/x) over rows with value > 0,
# sorted as klaster sorts (region, then product, by bytes).
LC_ALL=C awk -F, '
NR > 1 && $7 + 0 > 0 && $5 != "" && $6 != "" {
    v = $7 + 0
    if (!(($2, $5) in xrp)) { keys[++nk] = $2 SUBSEP $5 }
    xrp[$2, $5] += v; xr[$2] += v; xp[$5] += v; x += v
}
END {
    print "year,region,product,export_value,rca"
    for (i = 1; i <= nk; i++) {
        split(keys[i], kp, SUBSEP)
        r = kp[1]; p = kp[2]
        printf "2020,%s,%s,%.17g,%.17g\n", r, p, xrp[r, p], (xrp[r, p] / xr[r]) / (xp[p] / x)
    }
}' "$data/exports.csv" >"$TMP/rca-unsorted.csv"
{
    head -1 "$TMP/rca-unsorted.csv"
    tail -n +2 "$TMP/rca-unsorted.csv" | LC_ALL=C sort -t, -k2,2 -k3,3
} >"$TMP/rca-expected.csv"

"$KLASTER" compute export_rca --data "$data" --out "$TMP/world-out" >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" -ne 0 ]; then
    fail "scripts/export_rca/world_trade" "klaster compute export_rca exited $rc" \
        "$(head -c 600 "$TMP/err")"
elif "$CSVCMP" "$TMP/rca-expected.csv" "$TMP/world-out/export_rca.csv" >"$TMP/cmp" 2>&1; then
    ok "scripts/export_rca/world_trade ($rows exporter x section rows, RCA within 1e-9)"
else
    fail "scripts/export_rca/world_trade" "$(head -20 "$TMP/cmp")"
fi

finish
