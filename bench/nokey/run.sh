#!/bin/bash
# dnswatch watch with no answer key (--no-key): the 2014 replay, a clean run
# and tld-compromise, judged by live controls only (the remote vantage
# point's public resolver and the public resolver over DoT from client,
# both in the lab; docs/verdicts.md, "Controls without a key").
#   bench/nokey/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS]]
# (bench/run.sh passes BUILD_DIR and its own arguments; arguments that are
# not numbers are ignored, so `make bench` runs the defaults: 5 and 600.)
# For each of REPLAYS replays of lab/scenarios/2014.scenario (1s=1min, 55 s),
# on a fresh lab (name nb) with its answers.tsv moved away while watch runs:
#   - raised_us of the incident minus time_us of the replay's "inject load"
#     (goal <= 5 s), its cause and hop (goal on-path, 2), the TLDs with wrong
#     answers (goal com net org, .cn judged and never wrong);
#   - precision and recall of the injected/poisoned verdicts against the
#     wall's own log (scenario/wall.log), per path, on the three paths from
#     client (nodns, public, isp): a client/nodns or client/public result is
#     truly forged when the wall logged a forged reply to that very query
#     (server, ID, client port, name); a client/isp result when its answer
#     holds an address the wall forged for that name to the ISP resolver's
#     own query (its cache handing the forgery on). Goal >= 99%.
# Then tld-compromise.scenario once (goal: cause data), and a clean run of
# CLEAN_SECONDS (no replay; goal 0 incidents; 0 skips it). Own lab (nb),
# taken down on exit; only processes started here are killed, by pid.
# Needs root, jq, sqlite3. Exit 1 if a goal is missed or anything failed.
set -u
build=${1:?usage: bench/nokey/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS]]}
shift
replays=5 clean=600 n=0
for a in "$@"; do
	case "$a" in
	''|*[!0-9]*) ;;
	*) case $n in 0) replays=$a ;; 1) clean=$a ;; esac; n=$((n + 1)) ;;
	esac
done
dw=$build/dnswatch
name=nb
if [ "$(id -u)" != 0 ]; then
	echo "# nokey: skipped (needs root)"
	exit 0
fi
for t in jq sqlite3; do command -v $t >/dev/null || { echo "# nokey: needs $t"; exit 1; }; done
[ -x "$dw" ] || { echo "# nokey: no $dw (run make)"; exit 1; }
tmp=$(mktemp -d /tmp/dw-bench-nokey.XXXXXX)
state=/run/dnswatch/$name
wpid= rpid=
cleanup() {
	[ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "$wpid" ] && kill -TERM "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	[ -e "$tmp/answers.tsv" ] && mv "$tmp/answers.tsv" "$state/answers.tsv"
	"$dw" lab --name $name down >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "# nokey: files kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
lab_fresh() {
	"$dw" lab --name $name down >/dev/null 2>&1
	"$dw" lab --name $name up >"$tmp/up.out" 2>&1 || { echo "# nokey: lab up failed: $(cat "$tmp/up.out")"; exit 1; }
}
fail=0

# run TAG SCENARIO: watch --no-key from 3 s before the replay to its end,
# the key moved away meanwhile.
run() {
	local tag=$1 scn=$2
	lab_fresh
	mv "$state/answers.tsv" "$tmp/answers.tsv"
	"$dw" watch --lab $name --no-key --events "$tmp/$tag.ev" --db "$tmp/$tag.db" --status 0 2>"$tmp/$tag.err" &
	wpid=$!
	sleep 3
	kill -0 "$wpid" 2>/dev/null || { echo "# nokey: watch exited early: $(cat "$tmp/$tag.err")"; exit 1; }
	"$dw" lab --name $name replay "$scn" --events "$tmp/$tag.rp" >"$tmp/$tag.rpout" 2>&1 &
	rpid=$!
	wait "$rpid"; local rrc=$?; rpid=
	[ "$rrc" = 0 ] || { echo "# nokey: replay $tag failed ($rrc): $(tail -3 "$tmp/$tag.rpout")"; fail=1; }
	kill -TERM "$wpid"; wait "$wpid"; local wrc=$?; wpid=
	mv "$tmp/answers.tsv" "$state/answers.tsv"
	[ "$wrc" = 0 ] || { echo "# nokey: watch $tag exited $wrc: $(tail -3 "$tmp/$tag.err")"; fail=1; }
	cp "$state/scenario/wall.log" "$tmp/$tag.wall" 2>/dev/null || : > "$tmp/$tag.wall"
}

# prf TAG: precision and recall per path of client's, "path tp fp fn" lines.
prf() {
	local tag=$1 db=$tmp/$1.db
	jq -r 'def h: explode | map(if . >= 97 then . - 87 elif . >= 65 then . - 55 else . - 48 end) | .[0] * 16 + .[1];
		(.reply[-8:] | [.[0:2], .[2:4], .[4:6], .[6:8]] | map(h | tostring) | join(".")) as $a |
		[.client, .client_port, .server, .id, (.qname | ascii_downcase), $a] | @tsv' "$tmp/$tag.wall" > "$tmp/$tag.wall.tsv"
	sqlite3 "$db" <<SQL
CREATE TEMP TABLE wall (client TEXT, port INTEGER, server TEXT, id INTEGER, qname TEXT, addr TEXT);
.mode tabs
.import $tmp/$tag.wall.tsv wall
CREATE TEMP TABLE judged AS
SELECT t.label AS path, q.id AS qid, q.verdict IN ('injected', 'poisoned') AS said,
  CASE WHEN t.label = 'client/isp' THEN EXISTS (
      SELECT 1 FROM replies r JOIN answers a ON a.reply = r.id
      JOIN wall w ON w.client = '198.18.2.2' AND w.qname = lower(q.name) AND w.addr = a.address
      WHERE r.query = q.id)
    ELSE EXISTS (SELECT 1 FROM wall w WHERE w.server = t.address AND w.id = q.qid
      AND w.port = q.sport AND w.qname = lower(q.name) AND w.client = '198.18.1.2') END AS truth
FROM queries q JOIN targets t ON t.run = q.run AND t.idx = q.target
WHERE t.label IN ('client/nodns', 'client/public', 'client/isp') AND q.verdict != 'timeout';
.mode list
.separator ' '
SELECT path, sum(said AND truth), sum(said AND NOT truth), sum(truth AND NOT said) FROM judged GROUP BY path ORDER BY path;
SQL
}

echo "# nokey: $replays replay(s) of 2014.scenario with watch --no-key, tld-compromise once, a clean run of $clean s; lab '$name'"
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# replay  inject_load (UTC)  raised-inject_load  cause    hop  tlds wrong   cn judged/wrong  precision/recall per path (client/isp, client/nodns, client/public)"
ok5=0 lat=""
tp_all=0 fp_all=0 fn_all=0
for i in $(seq "$replays"); do
	run r$i lab/scenarios/2014.scenario
	on=$(jq -r 'select(.action == "inject load") | .time_us' "$tmp/r$i.rp" | head -1)
	inc=$(jq -c 'select(.event == "incident" and .id == 1)' "$tmp/r$i.ev" | tail -1)
	nraised=$(jq -c 'select(.event == "incident" and .state == "raised")' "$tmp/r$i.ev" | wc -l)
	if [ -z "$inc" ] || [ -z "$on" ]; then
		echo "  $i  no incident raised"; fail=1; continue
	fi
	d=$(( $(jq -r .raised_us <<<"$inc") - on ))
	cause=$(jq -r .cause <<<"$inc") hop=$(jq -r .hop <<<"$inc")
	tl=$(jq -r '[.tlds[] | select(.wrong > 0) | .tld] | sort | join(",")' <<<"$inc")
	cn=$(jq -r '[.tlds[] | select(.tld == "cn") | "\(.judged)/\(.wrong)"] | join("")' <<<"$inc")
	pr=""
	while read -r path tp fp fn; do
		tp_all=$((tp_all + tp)) fp_all=$((fp_all + fp)) fn_all=$((fn_all + fn))
		p=$(awk -v a="$tp" -v b="$fp" 'BEGIN { printf "%.1f", a + b ? 100 * a / (a + b) : 100 }')
		r=$(awk -v a="$tp" -v b="$fn" 'BEGIN { printf "%.1f", a + b ? 100 * a / (a + b) : 100 }')
		pr="$pr  $p/$r% ($tp tp $fp fp $fn fn)"
		awk -v a="$tp" -v b="$fp" -v c="$fn" 'BEGIN { exit !(a > 0 && a * 100 >= 99 * (a + b) && a * 100 >= 99 * (a + c)) }' || fail=1
	done < <(prf r$i)
	printf '  %-6s  %s  %12.3f s  %-8s %-3s  %-11s  %-14s %s\n' "$i" \
		"$(date -u -d @$((on / 1000000)) +%H:%M:%S).$(printf %06d $((on % 1000000)) | cut -c1-3)" \
		"$(echo "$d / 1000000" | bc -l)" "$cause" "$hop" "$tl" "$cn" "$pr"
	lat="$lat $d"
	good=1
	[ "$nraised" = 1 ] && [ "$d" -ge 0 ] && [ "$d" -le 5000000 ] && [ "$cause" = on-path ] && [ "$hop" = 2 ] &&
		[ "$tl" = com,net,org ] && [ "${cn#*/}" = 0 ] && [ "${cn%/*}" -gt 0 ] || good=0
	[ $good = 1 ] && ok5=$((ok5 + 1)) || { fail=1; echo "    goal missed: raised $nraised, $(jq -c '{cause, hop, trigger}' <<<"$inc")"; }
done
echo "# 2014 --no-key: $ok5 of $replays replays met every goal (raised <= 5 s after the rule, on-path at hop 2, com/net/org, .cn untouched)"
echo "# raised - inject load (us):$lat"
awk -v a="$tp_all" -v b="$fp_all" -v c="$fn_all" 'BEGIN { printf "# precision %.2f%%, recall %.2f%% over all replays and the three paths (%d tp, %d fp, %d fn; goal >= 99%%)\n", 100 * a / (a + b), 100 * a / (a + c), a, b, c }'

run tld lab/scenarios/tld-compromise.scenario
inc=$(jq -c 'select(.event == "incident" and .id == 1)' "$tmp/tld.ev" | tail -1)
cause=$(jq -r '.cause // "none"' <<<"${inc:-{\}}")
echo "# tld-compromise --no-key: cause $cause (goal: data); for: $(jq -r '.for // ""' <<<"${inc:-{\}}")"
[ "$cause" = data ] || fail=1

if [ "$clean" -gt 0 ]; then
	lab_fresh
	mv "$state/answers.tsv" "$tmp/answers.tsv"
	s=$(date +%s)
	"$dw" watch --lab $name --no-key --events "$tmp/clean.ev" --status 0 --duration "$clean" 2>"$tmp/clean.err" &
	wpid=$!
	wait "$wpid"; wrc=$?; wpid=
	mv "$tmp/answers.tsv" "$state/answers.tsv"
	[ "$wrc" = 0 ] || { echo "# nokey: clean watch exited $wrc: $(tail -3 "$tmp/clean.err")"; fail=1; }
	ninc=$(jq -c 'select(.event == "incident")' "$tmp/clean.ev" | jq -s 'map(.id) | unique | length')
	echo "# clean run --no-key, $clean s ($(( $(date +%s) - s )) s wall clock): incidents $ninc (goal 0); $(jq -s -r '[.[] | select(.event == "series")] | "judged \(map(.judged) | add // 0), wrong \(map(.wrong) | add // 0), injected \(map(.injected) | add // 0), timeouts \(map(.timeouts) | add // 0)"' "$tmp/clean.ev")"
	[ "$ninc" = 0 ] || fail=1
fi
echo "# machine: $(nproc) cpu, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
