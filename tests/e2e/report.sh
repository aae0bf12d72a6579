#!/bin/sh
# report.sh -- the HTML report of the example pipeline: `klaster run` writes
# it into the run folder (the pipeline's `report` setting) and `klaster
# report` writes the same page; its structure is checked with grep (sections,
# charts, bars, lines, nothing loaded from anywhere).  Then, where Chromium
# is installed, the page is opened headless: a screenshot is taken, and a
# probe script (added to a copy, never to the report) checks that every
# chart rendered with the bars and lines it declares; the console must stay
# free of errors and the network log free of requests.
. "$KL_ROOT/tests/e2e/lib.sh"
cd "$KL_ROOT" || exit 70

mkdir -p "$TMP/ex"
cp examples/uzbekistan/*.csv examples/uzbekistan/*.csv.gz "$TMP/ex/"
sed 's|dir = "../../demo-output/uzbekistan"|dir = "out"|' examples/uzbekistan/pipeline.lua >"$TMP/ex/pipeline.lua"
expect_status report-run 0 "$KLASTER" run --quiet "$TMP/ex/pipeline.lua"
R="$TMP/ex/out/latest/report.html"
if [ -s "$R" ]; then ok report-in-run-folder; else fail report-in-run-folder "no $R"; fi
expect_status report-command 0 "$KLASTER" report "$TMP/ex/out/latest" -o "$TMP/report.html"
expect_same report-command-same-as-run "$R" "$TMP/report.html"
expect_status report-not-a-run 66 "$KLASTER" report "$TMP/ex" -o "$TMP/x.html"
expect_status report-needs-output 64 "$KLASTER" report "$TMP/ex/out/latest"
expect_status report-help 0 "$KLASTER" help report
expect_grep report-help-synopsis "klaster report RUN_DIR -o FILE.html" "$TMP/out"

# counts NAME EXPECTED PATTERN : lines of the report matching PATTERN (ERE)
counts() {
    _n=$(grep -cE -- "$3" "$R")
    if [ "$_n" -eq "$2" ]; then ok "$1"; else fail "$1" "$_n lines match '$3', expected $2"; fi
}
for s in headline missions efficiency quality provenance definitions; do
    counts "report-section-$s" 1 "<section id=\"$s\">"
done
# 14 regions: 4 mission bar charts + the ranking, and per mission one
# small-multiple chart per region (every region has clusters)
counts report-svg-charts 61 '<svg '
counts report-bar-charts 5 'data-bars='
counts report-line-charts 56 'data-lines='
counts report-bars 96 'class="bar"'
# every chart holds as many marks as it declares
awk '/data-(bars|lines)="/ { match($0, /data-(bars|lines)="[0-9]+"/); s = substr($0, RSTART, RLENGTH);
        gsub(/[^0-9]/, "", s); want = s + 0; got = 0; inside = 1; next }
     inside && /class="(bar|line)"/ { got++ }
     inside && /<\/svg>/ { if (got != want) bad++; inside = 0 }
     END { exit bad > 0 }' "$R" && ok report-marks-match-declared || fail report-marks-match-declared
counts report-no-script 0 '<script'
counts report-no-link 0 '<link|@import|url\(|<img|<iframe|<object'
counts report-no-http 0 'https?:'
counts report-lang-charset 1 '<meta charset="utf-8">'
counts report-print-css 1 '@page\{size:A4'
expect_grep report-thousands "9,337" "$R"
expect_grep report-change-arrow "↑ +" "$R"
expect_grep report-missing-dash ">—<" "$R"
expect_grep report-okabe-ito '#0072B2' "$R"
expect_grep report-efficiency-stage "pilot projects · vertical" "$R"
expect_grep report-quality-gap "UZ-SI has no rows in 2022" "$R"
expect_grep report-provenance-hash "$(sha256sum examples/uzbekistan/firms.csv.gz | cut -c1-64)" "$R"
# definitions come from the descriptors: klaster info prints the same text
"$KLASTER" info budget_revenue >"$TMP/info" 2>&1
desc=$(grep -o 'revenue of the region[^|]*' "$TMP/info" | head -1 | sed -e 's/ *$//' -e "s/'/\&#39;/g")
if [ -n "$desc" ] && grep -qF -- "$desc" "$R"; then ok report-definitions-from-descriptors
else fail report-definitions-from-descriptors "'$desc' not in the report"; fi

# ---- a real browser --------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
    echo "ok report-browser (skipped: chromium not installed)"
    finish
fi
# The probe: counts each chart's marks, checks they have a size, and writes
# the result into the DOM for --dump-dom.
sed 's|</body>|<script>(function(){var n=0,b=0,l=0,bad=[];document.querySelectorAll("svg.chart").forEach(function(s,i){n++;var r=s.getBoundingClientRect(),nb=s.querySelectorAll("rect.bar").length,nl=s.querySelectorAll("path.line").length,eb=s.getAttribute("data-bars"),el=s.getAttribute("data-lines");b+=nb;l+=nl;if(r.width<100\|\|r.height<60)bad.push("size"+i);if(eb!==null\&\&+eb!==nb)bad.push("bars"+i);if(el!==null\&\&+el!==nl)bad.push("lines"+i);s.querySelectorAll("rect.bar,path.line").forEach(function(m){var x=m.getBBox();if(!(x.width>0\|\|x.height>0)\&\&(m.getAttribute("d")\|\|"L").indexOf("L")>=0)bad.push("empty"+i);});});var p=document.createElement("pre");p.id="kl-probe";p.textContent="charts="+n+" bars="+b+" lines="+l+" bad="+bad.length+" "+bad.slice(0,5).join(",");document.body.appendChild(p);})();</script></body>|' \
    "$R" >"$TMP/probe.html"
# browse FILE DOM NETLOG : chromium, cut off from any network, dumps the DOM
# of FILE after its scripts ran, logging the console to $TMP/chr.err
browse() {
    timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND" \
        --proxy-server=127.0.0.1:9 --user-data-dir="$TMP/chr" --enable-logging=stderr --v=0 \
        --log-net-log="$3" --virtual-time-budget=5000 --dump-dom "file://$1" >"$2" 2>"$TMP/chr.err"
}
# page_requests NETLOG : the URLs the page asked for (the browser's own
# update and account checks have another network isolation key)
page_requests() {
    grep '"network_isolation_key":"file://' "$1" | grep -o '"url":"[^"]*"' | sort -u
}
# The control: a page that loads an image and logs an error must show both.
printf '<html><body><img src="http://example.com/x.png"><script>console.error("kl-control")</script></body></html>\n' >"$TMP/control.html"
browse "$TMP/control.html" "$TMP/control.dom" "$TMP/control.json"
if page_requests "$TMP/control.json" | grep -q example.com && grep -q 'CONSOLE.*kl-control' "$TMP/chr.err"
then ok report-browser-control
else fail report-browser-control "a page's request or console error went unseen"; fi

browse "$TMP/probe.html" "$TMP/dom.html" "$TMP/net.json"
probe=$(grep -o 'id="kl-probe">charts=[^<]*' "$TMP/dom.html" | sed 's/^id="kl-probe">//')
lines=$(grep -o 'data-lines="[0-9]*"' "$R" | grep -o '[0-9]*' | awk '{ s += $1 } END { print s }')
if [ "$probe" = "charts=61 bars=96 lines=$lines bad=0 " ]; then
    ok report-browser-charts-rendered
else
    fail report-browser-charts-rendered "probe: '$probe'" "$(tail -5 "$TMP/chr.err")"
fi
if grep -E 'CONSOLE|Uncaught|console\.error' "$TMP/chr.err" >"$TMP/console"; then
    fail report-browser-no-console-errors "$(head -5 "$TMP/console")"
else
    ok report-browser-no-console-errors
fi
# Any request of the page itself is a network request the report made.
page_requests "$TMP/net.json" >"$TMP/urls"
if [ ! -s "$TMP/net.json" ]; then fail report-browser-no-network "no net log written"
elif [ -s "$TMP/urls" ]; then fail report-browser-no-network "$(head -5 "$TMP/urls")"
else ok report-browser-no-network; fi

timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND" \
    --proxy-server=127.0.0.1:9 --user-data-dir="$TMP/chr" --hide-scrollbars \
    --window-size=1280,4000 --screenshot="$TMP/shot.png" "file://$R" >/dev/null 2>&1
if [ -s "$TMP/shot.png" ] && [ "$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
    ok report-browser-screenshot
else
    fail report-browser-screenshot "no PNG written"
fi
finish
