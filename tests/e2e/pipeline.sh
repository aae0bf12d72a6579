#!/bin/sh
# pipeline.sh -- `klaster run`, `history` and `schedule`, and the faults a
# scheduled pipeline must survive: a failing step, kill -9 in the middle of a
# run, an input replaced or gone, a full disk, two runs at once, a cycle.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70
CC=${CC:-cc}

# A small data folder and test plugins of our own.
mkdir -p "$TMP/data" "$TMP/plugins"
cp tests/fixtures/check/clean/*.csv "$TMP/data/"
for p in tp_count tp_fails; do
    $CC -std=c11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -Icore \
        "tests/plugins/$p.c" -o "$TMP/plugins/$p.so" || fail "build-$p"
done

# pipeline NAME STEPS [EXTRA] : writes $TMP/NAME.lua with output in $TMP/out-NAME
pipeline() {
    cat >"$TMP/$1.lua" <<EOF
pipeline {
  data = "data",
  plugin_path = "plugins",
  script_path = "$KL_ROOT/tests/pipeline",
  steps = { $2 },
  output = { dir = "out-$1", keep = ${4:-10} },
  ${3:-}
}
EOF
}
runs() { ls "$TMP/out-$1/runs" 2>/dev/null | wc -l; }
latest() { readlink "$TMP/out-$1/latest" 2>/dev/null; }

# --- a good run ---------------------------------------------------------
pipeline good '"jobs_created", "tp_count", { name = "slow_count", params = { spin = 10 } }'
expect_status run-good 0 "$KLASTER" run "$TMP/good.lua"
expect_grep run-good-logs-success "succeeded" "$TMP/err"
m="$TMP/out-good/latest/manifest.json"
expect_grep run-manifest-status '"status": "success"' "$m"
expect_grep run-manifest-input-hash '"dataset": "firms"' "$m"
expect_grep run-manifest-step-version '"name": "jobs_created", "kind": "plugin", "version": "1.0.0"' "$m"
expect_grep run-manifest-param '"params": {"spin": "10"}' "$m"
expect_grep run-manifest-output '"file": "tp_count.csv", "rows": 4' "$m"
[ -f "$TMP/out-good/latest/jobs_created.csv" ] && ok run-writes-outputs || fail run-writes-outputs
first=$(latest good)

expect_status run-if-changed-unchanged 0 "$KLASTER" run --if-changed "$TMP/good.lua"
expect_grep run-if-changed-says-so "nothing changed since run" "$TMP/err"
[ "$(runs good)" -eq 1 ] && ok run-if-changed-makes-no-run || fail run-if-changed-makes-no-run "$(runs good) runs"

# An input replaced between two runs: --if-changed runs again and says what.
sleep 1
sed 's/,120,/,121,/' "$TMP/data/firms.csv" >"$TMP/firms.new" && mv "$TMP/firms.new" "$TMP/data/firms.csv"
expect_status run-if-changed-input-replaced 0 "$KLASTER" run --if-changed "$TMP/good.lua"
[ "$(runs good)" -eq 2 ] && ok run-if-changed-new-run || fail run-if-changed-new-run "$(runs good) runs"
[ "$(latest good)" != "$first" ] && ok run-latest-moves || fail run-latest-moves
expect_status history-lists 0 "$KLASTER" history "$TMP/out-good"
expect_grep history-names-the-change "input firms" "$TMP/out"
expect_grep history-first-run "first run" "$TMP/out"

# --- logs ------------------------------------------------------------------
expect_status run-log-json 0 "$KLASTER" run --log-format json "$TMP/good.lua"
if grep -v '^{"time":"[^"]*","level":"[a-z]*","step":' "$TMP/err" | grep -q .; then
    fail run-log-json-lines "$(head -3 "$TMP/err")"
else ok run-log-json-lines; fi
JOURNAL_STREAM="$(stat -c %d:%i "$TMP")" expect_status run-log-plain 0 "$KLASTER" run "$TMP/good.lua"
expect_grep run-log-text-has-level " info " "$TMP/err"
# stderr pointed at a file whose device:inode JOURNAL_STREAM names: journald style
: >"$TMP/journal"
JOURNAL_STREAM="$(stat -c %d:%i "$TMP/journal")" "$KLASTER" run "$TMP/good.lua" 2>>"$TMP/journal" >/dev/null
expect_grep run-log-journald-priority "<6>" "$TMP/journal"
expect_status run-quiet 0 "$KLASTER" run --quiet "$TMP/good.lua"
[ -s "$TMP/err" ] && fail run-quiet-silent "$(cat "$TMP/err")" || ok run-quiet-silent

# --- retention ---------------------------------------------------------------
pipeline keep '"tp_count"' "" 2
for i in 1 2 3; do "$KLASTER" run "$TMP/keep.lua" 2>/dev/null; sleep 1; done
[ "$(runs keep)" -eq 2 ] && ok run-retention-keeps-2 || fail run-retention-keeps-2 "$(runs keep) runs"
[ -d "$TMP/out-keep/runs/$(basename "$(latest keep)")" ] && ok run-retention-keeps-latest || fail run-retention-keeps-latest

# --- a failing step ---------------------------------------------------------
pipeline fails '"tp_count", "tp_fails", "reads_failing"'
expect_status run-fails-first-good 0 "$KLASTER" run "$TMP/good.lua"
"$KLASTER" run "$TMP/keep.lua" 2>/dev/null
before=$(latest keep)
expect_status run-step-fails 65 "$KLASTER" run "$TMP/fails.lua"
expect_grep run-step-fails-message "step tp_fails failed: tp_fails: deliberate failure" "$TMP/err"
failed_run=$(ls -d "$TMP"/out-fails/runs/* | tail -1)
expect_grep run-failed-manifest-status '"status": "failed"' "$failed_run/manifest.json"
expect_grep run-failed-manifest-skipped '"name": "reads_failing", "kind": "script", "version": "1.0.0"' "$failed_run/manifest.json"
expect_grep run-failed-manifest-skipped-status '"status": "skipped"' "$failed_run/manifest.json"
[ ! -e "$TMP/out-fails/latest" ] && ok run-failed-no-latest || fail run-failed-no-latest
ls "$failed_run" | grep -q '\.csv' && fail run-failed-publishes-nothing "$(ls "$failed_run")" || ok run-failed-publishes-nothing

# --- kill -9 in the middle of a run ---------------------------------------------
pipeline slow '{ name = "slow_count", params = { spin = 400000000 } }'
pipeline slowfast '{ name = "slow_count", params = { spin = 10 } }'
sed -i 's/out-slowfast/out-slow/' "$TMP/slowfast.lua"
"$KLASTER" run "$TMP/slowfast.lua" 2>/dev/null
good_latest=$(latest slow)
"$KLASTER" run "$TMP/slow.lua" 2>/dev/null &
pid=$!
sleep 1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
[ "$(latest slow)" = "$good_latest" ] && ok run-kill9-latest-untouched || fail run-kill9-latest-untouched
expect_status run-after-kill9 0 "$KLASTER" run --no-wait "$TMP/slowfast.lua"
expect_status history-after-kill9 0 "$KLASTER" history "$TMP/out-slow"
expect_grep history-shows-interrupted "interrupted" "$TMP/out"

# --- two runs at once ---------------------------------------------------------------
"$KLASTER" run "$TMP/slow.lua" 2>/dev/null &
pid=$!
sleep 1
expect_status run-concurrent-no-wait 75 "$KLASTER" run --no-wait "$TMP/slowfast.lua"
expect_grep run-concurrent-message "another run of this pipeline is in progress" "$TMP/err"
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
( "$KLASTER" run "$TMP/slowfast.lua" 2>/dev/null; echo "a $?" >>"$TMP/both" ) &
( "$KLASTER" run "$TMP/slowfast.lua" 2>/dev/null; echo "b $?" >>"$TMP/both" ) &
wait
[ "$(grep -c ' 0$' "$TMP/both")" -eq 2 ] && ok run-concurrent-both-succeed || fail run-concurrent-both-succeed "$(cat "$TMP/both")"

# --- inputs ----------------------------------------------------------------------
cp -r "$TMP/data" "$TMP/data2"
sed 's/data = "data"/data = "data2"/' "$TMP/good.lua" >"$TMP/gone.lua"
sed -i 's/out-good/out-gone/' "$TMP/gone.lua"
rm "$TMP/data2/firms.csv"
expect_status run-input-gone 66 "$KLASTER" run "$TMP/gone.lua"
expect_grep run-input-gone-message "no 'firms' dataset" "$TMP/err"

# --- a full disk (a small file-size limit) ---------------------------------------------
pipeline full '"jobs_created", "tp_count"'
expect_status run-full-disk 73 sh -c "ulimit -f 1; exec \"$KLASTER\" run \"$TMP/full.lua\""
expect_grep run-full-disk-message "File too large" "$TMP/err"
[ ! -e "$TMP/out-full/latest" ] && ok run-full-disk-no-latest || fail run-full-disk-no-latest
if ls "$TMP"/out-full/runs/*/ 2>/dev/null | grep -q '\.tmp\.'; then
    fail run-full-disk-no-temp-files "$(ls -la "$TMP"/out-full/runs/*/)"
else ok run-full-disk-no-temp-files; fi

# --- bad pipelines ---------------------------------------------------------------------
pipeline cycle '"cycle_a", "cycle_b"'
expect_status run-cycle 64 "$KLASTER" run "$TMP/cycle.lua"
expect_grep run-cycle-message "the steps read each other in a cycle: cycle_a reads cycle_b reads cycle_a" "$TMP/err"
pipeline missingdep '"reads_failing"'
expect_status run-unknown-input 64 "$KLASTER" run "$TMP/missingdep.lua"
expect_grep run-unknown-input-message "step 'reads_failing' reads 'tp_fails', which is neither a dataset nor a step of this pipeline" "$TMP/err"
pipeline typo '"tp_count"' 'ouput = 1,'
expect_status run-typo 64 "$KLASTER" run "$TMP/typo.lua"
expect_grep run-typo-message "unknown setting 'ouput'" "$TMP/err"
pipeline nostep '"no_such_step"'
expect_status run-unknown-step 64 "$KLASTER" run "$TMP/nostep.lua"
expect_grep run-unknown-step-message "no plugin or script called 'no_such_step'" "$TMP/err"
printf 'pipeline { steps = {"tp_count"}, output = { dir = "x" } ' >"$TMP/syntax.lua"
expect_status run-syntax-error 64 "$KLASTER" run "$TMP/syntax.lua"
expect_grep run-syntax-error-names-file "syntax.lua:1:" "$TMP/err"
printf 'os.execute("true")\n' >"$TMP/escape.lua"
expect_status run-pipeline-sandboxed 64 "$KLASTER" run "$TMP/escape.lua"
expect_status run-missing-pipeline 66 "$KLASTER" run "$TMP/nope.lua"

# --- schedule ------------------------------------------------------------------------
expect_status schedule-systemd 0 "$KLASTER" schedule "$TMP/good.lua" --on-calendar 'Mon *-*-* 03:00'
expect_grep schedule-oneshot "Type=oneshot" "$TMP/out"
expect_grep schedule-if-changed "run --if-changed \"$TMP/good.lua\"" "$TMP/out"
expect_grep schedule-calendar "OnCalendar=Mon *-*-* 03:00" "$TMP/out"
expect_grep schedule-persistent "Persistent=true" "$TMP/out"
mkdir "$TMP/units"
expect_status schedule-install 0 "$KLASTER" schedule "$TMP/good.lua" --on-calendar daily --install "$TMP/units"
[ -f "$TMP/units/klaster-good.service" ] && [ -f "$TMP/units/klaster-good.timer" ] && ok schedule-install-files || fail schedule-install-files "$(ls "$TMP/units")"
if command -v systemd-analyze >/dev/null 2>&1; then
    if systemd-analyze verify "$TMP/units/klaster-good.timer" >"$TMP/verify" 2>&1; then ok schedule-units-verify
    else grep -q "klaster-good" "$TMP/verify" && fail schedule-units-verify "$(cat "$TMP/verify")" || ok schedule-units-verify; fi
fi
expect_status schedule-cron 0 "$KLASTER" schedule "$TMP/good.lua" --on-calendar 'Mon,Thu *-*-* 03:30' --cron
expect_grep schedule-cron-line "30 3 * * 1,4 cd '$TMP' && " "$TMP/out"
expect_grep schedule-cron-if-changed "run --if-changed --quiet '$TMP/good.lua'" "$TMP/out"
expect_status schedule-cron-range 0 "$KLASTER" schedule "$TMP/good.lua" --on-calendar 'Mon..Fri *-*-* 06:15' --cron
expect_grep schedule-cron-range-line "15 6 * * 1-5 cd" "$TMP/out"
expect_status schedule-cron-bad-day 64 "$KLASTER" schedule "$TMP/good.lua" --on-calendar 'Monxyz *-*-* 06:15' --cron
expect_status schedule-calendar-one-line 64 "$KLASTER" schedule "$TMP/good.lua" --on-calendar "$(printf 'daily\n[Service]')"
mkdir -p "$TMP/with space"
cp "$TMP/good.lua" "$TMP/with space/p%1.lua"
expect_status schedule-odd-path 0 "$KLASTER" schedule "$TMP/with space/p%1.lua" --on-calendar daily
expect_grep schedule-odd-path-quoted "run --if-changed \"$TMP/with space/p%%1.lua\"" "$TMP/out"
expect_status schedule-cron-unsupported 64 "$KLASTER" schedule "$TMP/good.lua" --on-calendar '*-*-01 03:00' --cron
finish
