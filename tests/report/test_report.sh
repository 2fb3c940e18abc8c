#!/bin/bash
# dnswatch report over a store filled in the lab: the 2014 misfire probed
# before, during (the GFW's three injectors, the 2014 rules) and after (rules
# off: the ISP resolver's cache tail; then the caches flushed), locate's JSON
# beside it. Checks the page (one file, no external URL, the forged address,
# the groups' fingerprints, the window and the tail in words), then opens it
# in headless Chromium: the charts render and paint, the page logs no error;
# the screenshot is kept (docs/report.png with DW_REPORT_SHOT=1). Bad input:
# a missing DB, a foreign DB, an empty file, a store without results.
# Needs root; takes its own lab down whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test rp "report tests"
# Sizes: the test's own, or bigger for the README's screenshot.
NAMES=${DW_REPORT_NAMES:-com=60,net=20,org=20,cn=40}
PER=${DW_REPORT_PER:-8}          # names per TLD per phase (4 TLDs)
ROUNDS=${DW_REPORT_ROUNDS:-2}    # probe rounds per phase
PAUSE=${DW_REPORT_PAUSE:-1}      # seconds between rounds

"$DNSWATCH" lab --name $LAB up --names "$NAMES" >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
db="$tmp/run.db"
"$DNSWATCH" inject --lab $LAB --busy-poll --preset gfw --control "$tmp/ctl" >"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
grep -q 'capturing on' "$tmp/inj.err" || fail "the wall starts" "$(cat "$tmp/inj.err")"

pick() { awk -F'\t' -v t="$1" '$2 == "A" && $1 ~ ("\\." t "\\.$") { print substr($1, 1, length($1) - 1) }' "$key" | sed -n "$2,$3p"; }
sample() { for t in com net org cn; do pick $t "$1" $(($1 + PER - 1)); done > "$tmp/$2"; }
sample 1 before; sample $((PER + 1)) during
probe() { # NAMES-FILE: one run into the store
	"$DNSWATCH" probe --lab $LAB --from client --target isp --target public --target nodnsout \
		--control-key "$key" --hold 400 --timeout 700 --retries 1 --db "$db" "$tmp/$1" 2>>"$tmp/probe.err" >/dev/null
}
rounds() { for i in $(seq "$ROUNDS"); do probe "$1"; sleep "$PAUSE"; done; }

rounds before                                                        # all ok
"$DNSWATCH" inject ctl "$tmp/ctl" load "$DW_ROOT/lab/scenarios/2014-misfire.rules" >/dev/null
rounds during                                                        # injected, poisoned
"$DNSWATCH" locate --lab $LAB --from client --max-ttl 6 --json 198.19.55.55 "$(head -1 "$tmp/during")" > "$tmp/loc.json"
"$DNSWATCH" inject ctl "$tmp/ctl" off >/dev/null
rounds during                                                        # the cache tail
unbound-control -c /run/dnswatch/$LAB/srv/isp/unbound.conf flush_zone . >/dev/null
unbound-control -c /run/dnswatch/$LAB/srv/public/unbound.conf flush_zone . >/dev/null
rounds during                                                        # all ok again
kill -TERM "$inj"; wait "$inj"; inj=
runs=$(sqlite3 "$db" 'select count(*) from runs')
inj_n=$(sqlite3 "$db" "select count(*) from queries where verdict = 'injected'")
poi_n=$(sqlite3 "$db" "select count(*) from queries where verdict = 'poisoned'")
[ "$runs" = $((ROUNDS * 4)) ] && [ "$inj_n" -gt 0 ] && [ "$poi_n" -gt 0 ] \
	&& ok "the store: $runs runs, $inj_n injected, $poi_n poisoned" || fail "the store" "runs $runs injected $inj_n poisoned $poi_n $(tail -3 "$tmp/probe.err")"

# --- the page ---------------------------------------------------------------------------
mkdir "$tmp/out"
"$DNSWATCH" report "$db" --locate "$tmp/loc.json" -o "$tmp/out/report.html" 2>"$tmp/rep.err"; rc=$?
page="$tmp/out/report.html"
[ $rc = 0 ] && [ "$(ls "$tmp/out")" = report.html ] && [ -s "$page" ] \
	&& ok "report: exit 0, one file ($(wc -c < "$page") bytes): $(cat "$tmp/rep.err")" || fail "report writes one file" "rc=$rc $(cat "$tmp/rep.err") $(ls "$tmp/out")"
grep -qiE 'https?://' "$page" && fail "no external URL" "$(grep -oiE '.{30}https?://.{30}' "$page" | head -3)" || ok "no http:// or https:// anywhere in the page"
grep -qiE '<(script|img|link|iframe)[^>]* (src|href)=' "$page" && fail "nothing loaded from elsewhere" "$(grep -oiE '<(script|img|link|iframe)[^>]* (src|href)=[^>]*' "$page" | head -3)" || ok "no element loads anything (no src or href)"
grep -q 'Chart.js v3' "$page" && grep -q '<script type="application/json" id="chart-data">' "$page" && ok "Chart.js inlined, chart data in a JSON block" || fail "Chart.js inlined"
addr_ok=1
for a in $(sqlite3 "$db" "select distinct a.address from queries q join replies r on r.query = q.id and r.idx = q.forged_reply join answers a on a.reply = r.id where q.verdict in ('injected', 'poisoned')"); do
	grep -q "<code>$a</code>" "$page" || { addr_ok=0; fail "forged address $a in the page"; }
done
[ $addr_ok = 1 ] && grep -q '65.49.2.178' "$page" && ok "the forged addresses are in the page (65.49.2.178)" || fail "the forged addresses"
fp_ok=1 nfp=0
while read -r fp; do
	k=$(echo "$fp" | tr ' ' '\n' | grep -vE '^(ip_ttl|answer_ttl|count|addrs)=' | paste -sd' ' -)
	nfp=$((nfp + 1))
	grep -qF "$k" "$page" || { fp_ok=0; fail "group fingerprint in the page" "$k"; }
done < <(sqlite3 "$db" 'select distinct fingerprint from groups')
groups_html=$(sed -n '/<section id="groups">/,/<\/section>/p' "$page")
echo "$groups_html" | grep -q '<td class="num">?</td>' && fp_ok=0 && fail "group TTL ranges known" "$(echo "$groups_html" | grep -c '?')"
[ $fp_ok = 1 ] && [ $nfp -gt 0 ] && ok "every injector group's fingerprint is in the page ($nfp over the runs), with IP TTL and answer TTL ranges" || fail "group fingerprints" "$nfp"
hms() { date -u -d "@$(( $1 / 1000000 ))" +%H:%M:%S; }
w0=$(hms "$(sqlite3 "$db" "select min(sent_us) from queries where verdict = 'injected'")")
w1=$(hms "$(sqlite3 "$db" "select max(sent_us) from queries where verdict = 'injected'")")
tend=$(hms "$(sqlite3 "$db" "select max(sent_us) from queries where verdict = 'poisoned'")")
win=$(grep -o '<li id="window">.*</li>' "$page" | sed 's/<[^>]*>//g')
tail_=$(grep -o '<li id="tail">.*</li>' "$page" | sed 's/<[^>]*>//g')
echo "$win" | grep -q "Injection window: from $w0 to $w1 UTC" && echo "$win" | grep -q '\.com, \.net and \.org' \
	&& ok "the summary names the window: $win" || fail "the summary names the window ($w0 to $w1)" "$win"
echo "$tail_" | grep -q "isp kept serving forged answers" && echo "$tail_" | grep -q "until $tend UTC" \
	&& ok "and the cache tail: $tail_" || fail "the summary names the cache tail (until $tend)" "$tail_"
grep -q 'Untouched: <b>.cn</b>' "$page" && ok ".cn untouched, in words" || fail ".cn untouched" "$(grep -o 'Untouched.\{80\}' "$page")"
grep -q 'This store holds no incident records' "$page" && ok "no incidents table: says so" || fail "no incidents table: says so"
grep -q 'the injector sits at hop 2 (198.18.2.1)' "$page" && ok "locate: hop 2, the border, in the page" || fail "locate in the page" "$(cat "$tmp/loc.json")"
[ "$(grep -c '<tr><td>[0-9]*</td><td>20' "$page")" -ge "$runs" ] && grep -q "probe --lab $LAB" "$page" \
	&& ok "every run in the runs table, with its command line" || fail "the runs table"

# --- in a browser --------------------------------------------------------------------------
chrome() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$tmp")" --enable-logging=stderr --v=0 \
		--virtual-time-budget=5000 --window-size=1280,2200 "$@" "file://$page"
}
chrome --dump-dom > "$tmp/dom.html" 2>"$tmp/chrome1.err"
chrome --screenshot="$tmp/shot.png" > /dev/null 2>"$tmp/chrome2.err"
body=$(grep -o '<body[^>]*>' "$tmp/dom.html")
echo "$body" | grep -q 'data-rendered="2"' && echo "$body" | grep -q 'data-painted="2"' \
	&& ok "headless Chromium: both charts rendered and painted ($body)" || fail "charts render" "$body $(tail -5 "$tmp/chrome1.err")"
grep -q 'charts rendered: 2, painted: 2' "$tmp/dom.html" && ok "the page's render marker is in the DOM" || fail "render marker"
errs=$(grep -hE 'Uncaught|ERROR:CONSOLE|CONSOLE\(' "$tmp/chrome1.err" "$tmp/chrome2.err")
if echo "$body" | grep -q 'data-errors' || [ -n "$errs" ]; then fail "no page errors" "$body $errs"; else ok "no error logged by the page"; fi
size=$(stat -c %s "$tmp/shot.png" 2>/dev/null || echo 0)
[ "$size" -gt 50000 ] && ok "screenshot taken ($size bytes)" || fail "screenshot" "$size $(tail -3 "$tmp/chrome2.err")"
[ "${DW_REPORT_SHOT:-0}" = 1 ] && cp "$tmp/shot.png" "$DW_ROOT/docs/report.png" && cp "$page" "$DW_ROOT/build-rep/report-sample.html" 2>/dev/null

# --- an incidents table, written through the store's API by a later watch: shown ----------
# (tests/report/test_report_data.c writes one with store_incident_put; here the
# table as docs/store.md defines it, filled by hand)
cp "$db" "$tmp/inc.db"
sqlite3 "$tmp/inc.db" "CREATE TABLE incidents (id INTEGER PRIMARY KEY, run INTEGER REFERENCES runs (id), started_us INTEGER NOT NULL, injection_end_us INTEGER, ended_us INTEGER, peak_share REAL NOT NULL DEFAULT 0, scope TEXT NOT NULL DEFAULT '', addresses TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT ''); INSERT INTO incidents (run, started_us, injection_end_us, ended_us, peak_share, scope, addresses, summary) VALUES (1, 1390288500000000, 1390289940000000, NULL, 0.66, 'com net org <b>', '65.49.2.178', 'the misfire <script>alert(1)</script>');"
"$DNSWATCH" report "$tmp/inc.db" -o "$tmp/inc.html" 2>/dev/null
grep -q '<table id="incidents">' "$tmp/inc.html" && grep -q 'the misfire &lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/inc.html" && grep -q '2014-01-21 07:15:00 UTC' "$tmp/inc.html" \
	&& ok "an incidents table is shown, its text escaped" || fail "incidents table shown" "$(grep -o '<table id="incidents">.\{300\}' "$tmp/inc.html")"
# made before watch's locate columns: no hop, and the page says no locate was given
grep -q 'No locate results given' "$tmp/inc.html" && ! grep -q 'Located by watch' "$tmp/inc.html" \
	&& ok "an incidents table without hop columns: no hop shown" || fail "old incidents table: no hop" "$(grep -o '<section id="locate">.\{300\}' "$tmp/inc.html")"
# the columns as docs/store.md adds them, with watch's locate: the hop is where the injector sits
sqlite3 "$tmp/inc.db" "ALTER TABLE incidents ADD COLUMN raised_us INTEGER; ALTER TABLE incidents ADD COLUMN cause TEXT NOT NULL DEFAULT ''; ALTER TABLE incidents ADD COLUMN evidence TEXT NOT NULL DEFAULT ''; ALTER TABLE incidents ADD COLUMN hop INTEGER; ALTER TABLE incidents ADD COLUMN hop_router TEXT NOT NULL DEFAULT ''; ALTER TABLE incidents ADD COLUMN locate TEXT NOT NULL DEFAULT ''; ALTER TABLE incidents ADD COLUMN groups TEXT NOT NULL DEFAULT ''; UPDATE incidents SET hop = 2, hop_router = '198.18.0.2', locate = 'the router 198.18.0.2 from client towards nodns', groups = '1';"
"$DNSWATCH" report "$tmp/inc.db" -o "$tmp/inc2.html" 2>/dev/null
sed -n '/<section id="locate">/,/<\/section>/p' "$tmp/inc2.html" | grep -q 'the injector sits at hop 2 (198.18.0.2)' && ! grep -q 'No locate results given' "$tmp/inc2.html" \
	&& grep -q 'Located by watch (incident 1): the injector sits at hop 2' "$tmp/inc2.html" \
	&& ok "watch's hop from the store: in the headline and where the injector sits" || fail "watch's hop shown" "$(grep -o '<section id="locate">.\{300\}' "$tmp/inc2.html")"

# --- bad input: one clear line, exit 1 ---------------------------------------------------------
bad() { # NAME EXPECTED-TEXT ARGS...
	local n=$1 want=$2; shift 2
	local err rc
	err=$("$DNSWATCH" report "$@" -o "$tmp/bad.html" 2>&1); rc=$?
	if [ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q "$want" && [ ! -e "$tmp/bad.html" ]; then
		ok "$n: exit 1, one line: $err"
	else
		fail "$n" "rc=$rc: $err"
	fi
}
bad "a missing DB" "No such file or directory" "$tmp/nope.db"
sqlite3 "$tmp/foreign.db" 'CREATE TABLE t (a); INSERT INTO t VALUES (1);'
bad "a DB that is not ours" "not a dnswatch store" "$tmp/foreign.db"
: > "$tmp/zero.db"
bad "an empty file" "an empty file, not a dnswatch store" "$tmp/zero.db"
: > "$tmp/nonames"
"$DNSWATCH" probe --target isp=resolver:192.0.2.1 --db "$tmp/empty.db" "$tmp/nonames" >/dev/null 2>&1
bad "a store without results" "no judged results: nothing to report" "$tmp/empty.db"
bad "a missing locate file" "nonames.json: No such file or directory" "$db" --locate "$tmp/nonames.json"
echo '{"name": "x"}' > "$tmp/other.json"
bad "JSON that is not locate's" "other.json:1: not a .dnswatch locate --json. object" "$db" --locate "$tmp/other.json"
echo '{"hops": [' > "$tmp/broken.json"
bad "a broken locate line" "broken.json:1: not JSON" "$db" --locate "$tmp/broken.json"
bad "Chart.js missing" "cannot\|No such file" "$db" --chartjs "$tmp/none.js"
err=$("$DNSWATCH" report 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q 'no DB given' && ok "no DB: usage error, exit 2" || fail "no DB: usage error" "rc=$rc $err"
done_testing
