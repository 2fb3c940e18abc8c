#!/bin/bash
# make demo: 21 January 2014, replayed in the lab and watched as it happens.
# The lab comes up; the Great Firewall's three injectors wait at its border
# with no rule; `dnswatch watch` samples names from inside China (client),
# from a client whose traffic abroad goes through a tunnel (vpnclient) and
# from outside (remote); `dnswatch lab replay` plays 2014.scenario at one lab
# second per minute: the misfire from 15:15 to 15:39, the ISPs flushing
# their caches at 16:00. Watch raises the incident, names its cause and
# follows the caches until they are clean; the demo then prints the
# incident, shows a client resolving through dnswatch guard next to one
# that does not (both tallies), writes report.html and takes the lab down,
# whatever happens.
# Needs root. Nothing is ever sent to 65.49.2.178: it is data in answers.
#   scripts/demo.sh BUILD/dnswatch
set -u
DW=${1:?usage: scripts/demo.sh PATH/TO/dnswatch}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "make demo: the lab needs root (network namespaces)"; exit 1; }
LAB=demo
tmp=$(mktemp -d)
inj= watch= guard= gloop=
cleanup() {
	[ -n "$gloop" ] && kill "$gloop" 2>/dev/null && wait "$gloop" 2>/dev/null
	[ -n "$guard" ] && kill -TERM "$guard" 2>/dev/null && wait "$guard" 2>/dev/null
	[ -n "$watch" ] && kill -TERM "$watch" 2>/dev/null && wait "$watch" 2>/dev/null
	[ -n "$inj" ] && kill -TERM "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
	"$DW" lab --name $LAB down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "dnswatch demo: the Great Firewall's DNS misfire of 21 January 2014, replayed and watched"
echo "  1. a mini-Internet in network namespaces: real unbound and nsd, an 80 ms long-haul link"
"$DW" lab --name $LAB down >/dev/null 2>&1
"$DW" lab --name $LAB up | sed 's/^/     /' || exit 1
ctl="$tmp/inject.sock"

echo "  2. the wall at the border: three injectors with the GFW's published fingerprints, no rule yet"
"$DW" inject --lab $LAB --busy-poll --preset gfw --control "$ctl" >"$tmp/inject.out" 2>"$tmp/inject.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inject.err" && break; sleep 0.1; done
grep -q 'capturing on' "$tmp/inject.err" || { echo "the wall did not start:"; cat "$tmp/inject.err"; exit 1; }

echo "  3. dnswatch watch: 20 names a second from each vantage point, through each path:"
echo "       client     inside China: the ISP's caching resolver, the public resolver abroad (the"
echo "                  8.8.8.8 of the story), and an address abroad that runs no DNS at all"
echo "       vpnclient  inside China, its lookups to the public resolver inside a tunnel"
echo "       remote     outside: the public resolver, the no-DNS address inside China, and the"
echo "                  authoritative servers asked directly, walking down from the root"
"$DW" watch --lab $LAB --db "$tmp/demo.db" --events "$tmp/watch.ndjson" --status 10 \
	2> >(sed -u 's/^/     watch  /') &
watch=$!

key=/run/dnswatch/$LAB/answers.tsv
echo "  and a client on the same host resolving through dnswatch guard (127.0.0.1:5353, upstream the"
echo "  public resolver abroad over plain UDP), next to one asking that resolver directly: 300 .com,"
echo "  .net and .org names of the answer key, over and over (the guard keeps an answer 5 s at most)"
cal=$(awk -F'\t' '$2 == "A" && $1 ~ /\.cn\.$/ { print $1; exit }' "$key")
awk -F'\t' '$2 == "A" && $1 !~ /\.cn\.$/ { print substr($1, 1, length($1) - 1) }' "$key" | head -300 > "$tmp/gnames"
"$DW" guard --lab $LAB --on client --listen 127.0.0.1:5353 --upstream udp:198.19.8.8 --calibrate "$cal" \
	--max-ttl 5 --log "$tmp/guard.drops" >"$tmp/guard.json" 2>"$tmp/guard.err" &
guard=$!
(while [ ! -e "$tmp/replay.done" ]; do
	"$DW" probe --lab $LAB --from client --control-key "$key" --hold 300 --timeout 2500 --retries 0 --rate 200 \
		--target guard=resolver:127.0.0.1:5353 --target public "$tmp/gnames" >>"$tmp/guard.ndjson" 2>/dev/null
done) &
gloop=$!
sleep 4

say "4. the replay: scenario time on the left, 1 lab second per minute; watch's lines interleaved"
"$DW" lab --name $LAB replay "$ROOT/lab/scenarios/2014.scenario" --control "$ctl" \
	--events "$tmp/replay.ndjson" | sed -u 's/^/     replay /'
touch "$tmp/replay.done"
echo "     (watch goes on until every cache it watches is clean again)"
for _ in $(seq 400); do
	grep -q '"state":"ended"' "$tmp/watch.ndjson" 2>/dev/null && break
	kill -0 "$watch" 2>/dev/null || break
	sleep 0.1
done
sleep 1
kill -TERM "$watch"; wait "$watch"; watch=
"$DW" inject ctl "$ctl" stats >"$tmp/wall.stats" 2>&1
kill -TERM "$inj"; wait "$inj"; inj=

inc=$(jq -c 'select(.event == "incident" and .id == 1)' "$tmp/watch.ndjson" | tail -1)
[ -n "$inc" ] || { echo "watch raised no incident: see its lines above"; exit 1; }
j() { jq -r "$1" <<<"$inc"; }
on_us=$(jq -r 'select(.action == "inject load") | .time_us' "$tmp/replay.ndjson")
off_us=$(jq -r 'select(.action == "inject off") | .time_us' "$tmp/replay.ndjson")
say "5. the incident, as watch recorded it"
printf '  raised %.1f s after the rule went on (15:15 scenario time), %.1f s after the first forged answer\n' \
	"$(bc -l <<<"($(j .raised_us) - $on_us) / 1000000")" "$(bc -l <<<"($(j .raised_us) - $(j .started_us)) / 1000000")"
echo "  forged address: $(j '[.addresses[] | "\(.addr) (\(.count) answers)"] | join(", ")')"
echo "  while the rule was on (15:15 to 15:39), the share of all sampled lookups forged, per path:"
jq -rs --argjson on "$on_us" --argjson off "$off_us" '
	[.[] | select(.event == "series" and .time_us >= $on and .time_us < $off)] | group_by(.path)[] |
	{p: .[0].path, j: (map(.judged) | add), w: (map(.wrong) | add)} |
	"    \(.p)\t\(if .j > 0 then (100 * .w / .j | floor) else 0 end)%\t(\(.w) of \(.j))"' "$tmp/watch.ndjson" |
	column -t -s "$(printf '\t')" | sed 's/^/  /'
echo "  and per TLD, on the paths it hit:"
j '.tlds | sort_by(-.wrong)[] | "    .\(.tld)  \(if .judged > 0 then (100 * .wrong / .judged | floor) else 0 end)%  (\(.wrong) of \(.judged))"'
hop=$(j '.hop // empty')
echo "  cause: $(j .cause)${hop:+, the injector at hop $hop}"
echo "    for:     $(j .for)" | fold -s -w 100 | sed '2,$s/^/             /'
echo "    against: $(j .against)" | fold -s -w 100 | sed '2,$s/^/             /'
isp_last=$(j '.paths[] | select(.path == "client/isp") | .last_wrong_us')
printf '  the injection ended at %s lab time; the ISP resolver served forged answers from its cache for %.1f s more (21 scenario minutes: until the flush at 16:00)\n' \
	"$(date -d @$(( $(j .injection_end_us) / 1000000 )) +%T)" "$(bc -l <<<"($isp_last - $(j .injection_end_us)) / 1000000")"
tail_n=$(sqlite3 "$tmp/demo.db" "SELECT count(*) FROM queries q JOIN targets t ON t.run = q.run AND t.idx = q.target WHERE t.label = 'client/isp' AND q.verdict IN ('poisoned', 'injected') AND q.sent_us > $off_us" 2>/dev/null || echo "?")
forged=$(jq -r .sent "$tmp/wall.stats" 2>/dev/null)
echo "  forged answers handed out to the watch's own sampled lookups: $(j .forged_seen), $tail_n of them by the ISP's"
echo "  cache after the rule was lifted; the wall sent ${forged:-?} forged replies in all. In 2014 every such answer"
echo "  sent a browser to 65.49.2.178, whose owner saw the flood. This demo never sends it anything."

say "6. the guard: the same lookups through dnswatch guard and straight to the public resolver"
wait "$gloop"; gloop=
kill -TERM "$guard"; wait "$guard"; guard=
jq -r '[.target.label, .verdict] | @tsv' "$tmp/guard.ndjson" | awk -F'\t' '
	{ n[$1]++ } $2 == "injected" || $2 == "poisoned" { f[$1]++ } $2 == "ok" { c[$1]++ }
	END { printf "  through the guard:  %5d lookups, %5d forged answers served, %5d equal to the answer key\n", n["guard"], f["guard"], c["guard"];
	      printf "  without the guard:  %5d lookups, %5d forged answers served, %5d equal to the answer key\n", n["public"], f["public"], c["public"] }'
gj=$(tail -1 "$tmp/guard.json")
echo "  the guard dropped $(jq -r '"\(.dropped) forged replies (round trip under half the path floor: \(.dropped_by.rtt), layout: \(.dropped_by.layout), IP TTL: \(.dropped_by.ttl)); path profile: IP TTL \(.upstreams[0].ip_ttl_min), RTT floor \(.upstreams[0].rtt_floor_us / 1000 | floor) ms"' <<<"$gj")"
echo "  one of them, from its --log:"
head -1 "$tmp/guard.drops" | jq -r '"    \(.qname) \(.addrs | join(" ")): \(.evidence)"' | fold -s -w 100 | sed '2,$s/^/      /'

say "7. the report: everything watch saw, in one self-contained page"
"$DW" report "$tmp/demo.db" -o report.html || exit 1
echo "  wrote report.html ($(( $(stat -c %s report.html) / 1024 )) KiB, readable offline): open it in a browser"
"$DW" lab --name $LAB down | sed 's/^/  /'
