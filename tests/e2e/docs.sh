#!/bin/sh
# docs.sh -- every example in docs/pipelines.md, docs/scheduling.md and
# examples/schedule/ is real:
#   - examples/schedule/ is what `klaster schedule` prints for the example
#     pipeline (systemd units and crontab line), with the checkout's paths
#     replaced by the installed layout, byte for byte; the docs show those
#     files as they are, and the full example pipeline as it is;
#   - the units pass `systemd-analyze verify` (when it exists);
#   - every ```lua block of the docs that calls pipeline{...} runs
#     (`klaster run`, exit 0) from a folder holding the example data;
#   - every --option the docs mention is in `klaster help run`, `help
#     history` or `help schedule` (other programs' options are listed below).
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70

EXAMPLE=examples/uzbekistan/pipeline.lua
PROG=$(realpath "$KLASTER")
PIPE=$(realpath "$EXAMPLE")
DIR=$(dirname "$PIPE")
DOCS="docs/pipelines.md docs/scheduling.md"

# The installed layout of examples/schedule/ and docs/scheduling.md.
I_PROG=/usr/local/bin/klaster
I_PIPE=/srv/klaster/uzbekistan/pipeline.lua
I_DIR=/srv/klaster/uzbekistan

# A path as a literal sed pattern, and as a literal replacement (delimiter '|').
lit() { printf '%s\n' "$1" | sed 's/[]|[\.*^$]/\\&/g'; }
rep() { printf '%s\n' "$1" | sed 's/[\&|]/\\&/g'; }
# stdin with the checkout's paths replaced by the installed ones (the
# pipeline first: it lies inside its folder).
installed() {
    sed -e "s|$(lit "$PIPE")|$I_PIPE|g" -e "s|$(lit "$DIR")|$I_DIR|g" -e "s|$(lit "$PROG")|$I_PROG|g"
}
# stdin with the installed paths replaced by the real ones.
real() {
    sed -e "s|$(lit "$I_PIPE")|$(rep "$PIPE")|g" -e "s|$(lit "$I_DIR")|$(rep "$DIR")|g" \
        -e "s|$(lit "$I_PROG")|$(rep "$PROG")|g"
}

# Every fenced block of a markdown file, one file each in $2/N.TAG
# (TAG: the block's language, or "text").
blocks() {
    mkdir -p "$2"
    awk -v dir="$2" '
        /^```/ && !inblock { inblock = 1; n++; tag = substr($0, 4); if (tag == "") tag = "text";
                             file = dir "/" n "." tag; printf "" > file; next }
        /^```/ && inblock  { inblock = 0; close(file); next }
        inblock            { print > file }
    ' "$1"
}
blocks docs/pipelines.md "$TMP/blocks/pipelines"
blocks docs/scheduling.md "$TMP/blocks/scheduling"

# in_docs NAME FILE : some block of the docs is byte-identical to FILE.
in_docs() {
    for b in "$TMP"/blocks/*/*; do
        if cmp -s "$b" "$2"; then ok "$1"; return; fi
    done
    fail "$1" "no block of $DOCS shows $2 as it is"
}

# --- (a) examples/schedule/ is what `klaster schedule` writes ------------------
mkdir "$TMP/units"
expect_status schedule-example-install 0 \
    "$KLASTER" schedule "$EXAMPLE" --on-calendar 'Mon *-*-* 03:00' --install "$TMP/units"
for f in service timer; do
    installed <"$TMP/units/klaster-uzbekistan.$f" >"$TMP/installed.$f"
    expect_same "schedule-example-$f-as-shipped" "examples/schedule/klaster-uzbekistan.$f" "$TMP/installed.$f"
    in_docs "scheduling-md-shows-$f" "examples/schedule/klaster-uzbekistan.$f"
done

# Printed, the two units are the same files under a comment line each.
expect_status schedule-example-print 0 "$KLASTER" schedule "$EXAMPLE" --on-calendar 'Mon *-*-* 03:00'
installed <"$TMP/out" >"$TMP/printed"
{
    echo "# klaster-uzbekistan.service"
    cat examples/schedule/klaster-uzbekistan.service
    echo
    echo "# klaster-uzbekistan.timer"
    cat examples/schedule/klaster-uzbekistan.timer
} >"$TMP/printed.expected"
expect_same schedule-example-printed-as-shipped "$TMP/printed.expected" "$TMP/printed"

expect_status schedule-example-cron 0 "$KLASTER" schedule "$EXAMPLE" --on-calendar 'Mon *-*-* 03:00' --cron
installed <"$TMP/out" >"$TMP/installed.crontab"
expect_same schedule-example-crontab-as-shipped examples/schedule/crontab "$TMP/installed.crontab"
# scheduling.md shows the command and its output in one block
printf '$ klaster schedule %s --on-calendar '\''Mon *-*-* 03:00'\'' --cron\n' "$I_PIPE" >"$TMP/cron.block"
cat examples/schedule/crontab >>"$TMP/cron.block"
in_docs scheduling-md-shows-crontab "$TMP/cron.block"

# The example pipeline is shown in full, as it is.
in_docs pipelines-md-shows-example-pipeline "$EXAMPLE"

# --- (b) systemd accepts the units -----------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir "$TMP/verify"
    for f in service timer; do
        real <"examples/schedule/klaster-uzbekistan.$f" >"$TMP/verify/klaster-uzbekistan.$f"
    done
    grep -qF "ExecStart=\"$PROG\" run" "$TMP/verify/klaster-uzbekistan.service" &&
        ok schedule-verify-uses-real-program || fail schedule-verify-uses-real-program
    # verify may complain about unrelated units of this machine: only lines
    # naming klaster count
    systemd-analyze verify "$TMP/verify/klaster-uzbekistan.service" \
        "$TMP/verify/klaster-uzbekistan.timer" >"$TMP/verify.log" 2>&1
    if grep -i klaster "$TMP/verify.log" >"$TMP/verify.ours"; then
        fail schedule-units-verify "$(cat "$TMP/verify.ours")"
    else ok schedule-units-verify; fi
    if systemd-analyze calendar 'Mon *-*-* 03:00' >/dev/null 2>&1; then ok schedule-calendar-valid
    else fail schedule-calendar-valid "$(systemd-analyze calendar 'Mon *-*-* 03:00' 2>&1)"; fi
else
    ok "schedule-units-verify (skipped: no systemd-analyze)"
fi

# --- (c) every pipeline{...} of the docs runs ---------------------------------------
# A folder two levels down (the example pipeline writes ../../demo-output)
# with the example data beside the files and in data/, the Lua examples of
# docs/lua.md in scripts/, and the firm register the mapping example reads:
# firms as a TSV whose firm and employees columns are tax_id and headcount.
SITE="$TMP/site/pipelines"
mkdir -p "$SITE/data" "$SITE/scripts" "$SITE/incoming"
cp examples/uzbekistan/*.csv* "$SITE/"
cp examples/uzbekistan/*.csv* "$SITE/data/"
cp docs/examples/lua/*.lua "$SITE/scripts/"
gzip -dc examples/uzbekistan/firms.csv.gz |
    sed -e '1s/^year,region,cluster,firm,/year,region,cluster,tax_id,/' -e '1s/,employees,/,headcount,/' |
    tr ',' '\t' >"$SITE/incoming/firm_register.tsv"
head -1 "$SITE/incoming/firm_register.tsv" | grep -q "tax_id.*headcount" ||
    fail docs-site-register "$(head -1 "$SITE/incoming/firm_register.tsv")"

n=0
for b in "$TMP"/blocks/*/*.lua; do
    [ -f "$b" ] || continue
    grep -q 'pipeline *{' "$b" || continue
    n=$((n + 1))
    doc=$(basename "$(dirname "$b")")
    name="docs-$doc-md-pipeline-$(basename "$b" .lua)"
    cp "$b" "$SITE/$doc-$(basename "$b")"
    expect_status "$name-runs" 0 "$KLASTER" run "$SITE/$doc-$(basename "$b")"
    expect_grep "$name-succeeded" "succeeded" "$TMP/err"
done
[ "$n" -ge 4 ] && ok "docs-pipeline-examples-found ($n)" || fail docs-pipeline-examples-found "only $n"
[ -f "$TMP/demo-output/uzbekistan/latest/manifest.json" ] && ok docs-example-pipeline-output ||
    fail docs-example-pipeline-output "$(ls -R "$TMP/demo-output" 2>&1 | head)"

# --- (d) every option the docs mention is in the help of run, history, schedule ---
# Options of other programs shown in the docs (systemctl enable --now).
FOREIGN="--now"
for c in run history schedule; do "$KLASTER" help "$c"; done >"$TMP/help" 2>&1
grep -ho -- '--[a-z][a-z0-9-]*' $DOCS | sort -u >"$TMP/options"
[ -s "$TMP/options" ] && ok docs-options-found || fail docs-options-found
while read -r opt; do
    case " $FOREIGN " in *" $opt "*) continue ;; esac
    if grep -qE -- "(^|[^a-z-])$opt([^a-z0-9-]|\$)" "$TMP/help"; then ok "docs-option-in-help $opt"
    else fail "docs-option-in-help $opt" "klaster help run/history/schedule do not mention $opt"; fi
done <"$TMP/options"

finish
