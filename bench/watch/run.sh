#!/bin/sh
# dnswatch watch: detection latency in the lab replay of 2014.scenario, and
# incidents raised in a clean run (no injection).
#   bench/watch/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS [SCALE]]]
# (bench/run.sh passes BUILD_DIR and its own arguments, e.g. --tsv: arguments
# that are not numbers are ignored, so `make bench` runs the defaults.)
#   REPLAYS        replays of lab/scenarios/2014.scenario (default 5), one watch
#                  each, on a lab brought up fresh for each
#   CLEAN_SECONDS  length of the clean run (default 600)
#   SCALE          replay --scale (default: the file's, 1s=1min: 55 s a replay;
#                  1s=2min halves it)
# Latency: raised_us of watch's first incident "raised" event minus time_us of
# the replay's "inject load" event (when the rule was in the wall), and
# raised_us - started_us. watch runs at its defaults (20 names/s per vantage
# point, panel 120, hold 500 ms, seed from the clock), from the root namespace
# into the lab's hosts; it is started 3 s before the replay and stopped with
# SIGTERM when the replay has ended. Clean run: watch --duration CLEAN_SECONDS
# against a fresh lab, no replay; incidents (must be 0) and queries judged (sum
# of the "series" events' judged). Own lab (name wb), taken down on exit;
# only processes started here are killed, by pid. Traffic stays in the lab.
# Needs root and jq. Exit 1 if a figure misses its goal or anything failed.
set -u
build=${1:?usage: bench/watch/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS [SCALE]]]}
shift
replays=5 clean=600 scale=
n=0
for a in "$@"; do
	case "$a" in
	-*) ;;
	*=*) scale=$a ;;
	''|*[!0-9]*) ;;
	*) case $n in 0) replays=$a ;; 1) clean=$a ;; esac; n=$((n + 1)) ;;
	esac
done
dw=$build/dnswatch
name=wb
scn=lab/scenarios/2014.scenario
limit_us=5000000
if [ "$(id -u)" != 0 ]; then
	echo "# watch: skipped (needs root)"
	exit 0
fi
command -v jq >/dev/null || { echo "# watch: needs jq"; exit 1; }
[ -x "$dw" ] || { echo "# watch: no $dw (run make)"; exit 1; }
tmp=$(mktemp -d /tmp/dw-bench-watch.XXXXXX)
wpid= rpid=
cleanup() {
	[ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null
	[ -n "$wpid" ] && kill -TERM "$wpid" 2>/dev/null && wait "$wpid" 2>/dev/null
	"$dw" lab --name $name down >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "# watch: files kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

lab_fresh() {
	"$dw" lab --name $name down >/dev/null 2>&1
	"$dw" lab --name $name up >"$tmp/up.out" 2>&1 || { echo "# watch: lab up failed: $(cat "$tmp/up.out")"; exit 1; }
}
fail=0
echo "# watch: $replays replay(s) of $scn (scale ${scale:-of the file}), then a clean run of $clean s; lab '$name'"
echo "# replay  inject_load (UTC)  raised - inject_load  raised - started  started - inject_load  cause     incidents  judged"
lat="" own=""
i=1
while [ "$i" -le "$replays" ]; do
	lab_fresh
	ev=$tmp/watch$i.ndjson rev=$tmp/replay$i.ndjson
	"$dw" watch --lab $name --events "$ev" --status 0 2>"$tmp/watch$i.err" &
	wpid=$!
	sleep 3
	kill -0 "$wpid" 2>/dev/null || { echo "# watch: watch exited early: $(cat "$tmp/watch$i.err")"; exit 1; }
	"$dw" lab --name $name replay $scn --events "$rev" ${scale:+--scale "$scale"} >"$tmp/replay$i.out" 2>&1 &
	rpid=$!
	wait "$rpid"; rrc=$?; rpid=
	[ "$rrc" = 0 ] || { echo "# watch: replay $i failed ($rrc): $(tail -3 "$tmp/replay$i.out")"; fail=1; }
	kill -TERM "$wpid"; wait "$wpid"; wrc=$?; wpid=
	[ "$wrc" = 0 ] || { echo "# watch: watch $i exited $wrc: $(tail -3 "$tmp/watch$i.err")"; fail=1; }
	on=$(jq -r 'select(.action == "inject load") | .time_us' "$rev" | head -1)
	inc=$(jq -c 'select(.event == "incident" and .state == "raised")' "$ev" | head -1)
	nraised=$(jq -c 'select(.event == "incident" and .state == "raised")' "$ev" | wc -l)
	judged=$(jq -s '[.[] | select(.event == "series") | .judged] | add // 0' "$ev")
	if [ -z "$on" ] || [ -z "$inc" ]; then
		echo "  $i       no $([ -z "$on" ] && echo '"inject load" event' || echo 'incident raised')" \
			"(judged $judged)"
		fail=1
	else
		set -- $(echo "$inc" | jq -r --argjson on "$on" '[.raised_us - $on, .raised_us - .started_us, .cause, .started_us - $on] | @tsv')
		d=$1 ds=$2 cause=$3 sd=$4
		printf '  %-6s  %s  %18.3f s  %14.3f s  %19.3f s  %-8s  %9s  %6s\n' "$i" \
			"$(date -u -d @$((on / 1000000)) +%H:%M:%S).$(printf %06d $((on % 1000000)) | cut -c1-3)" \
			"$(echo "$d / 1000000" | bc -l)" "$(echo "$ds / 1000000" | bc -l)" "$(echo "$sd / 1000000" | bc -l)" \
			"$cause" "$nraised" "$judged"
		echo "          trigger: $(echo "$inc" | jq -r .trigger)"
		lat="$lat $d" own="$own $ds"
		[ "$cause" = on-path ] || { echo "    cause is not on-path: $inc"; fail=1; }
		[ "$d" -le $limit_us ] || { echo "    latency over 5 s: $inc"; fail=1; }
		[ "$d" -ge 0 ] || { echo "    raised before the rule was on: $inc"; fail=1; }
	fi
	i=$((i + 1))
done
stats() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1 / 1e6} END {
	if (NR) printf "min %.3f  median %.3f  max %.3f s (n=%d)", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'; }
echo "# raised - inject load:  $(echo "$lat" | stats)   (goal: max <= 5 s)"
echo "# raised - started:      $(echo "$own" | stats)"

if [ "$clean" -gt 0 ]; then
	lab_fresh
	ev=$tmp/clean.ndjson
	s=$(date +%s.%N)
	"$dw" watch --lab $name --events "$ev" --status 0 --duration "$clean" 2>"$tmp/clean.err" &
	wpid=$!
	wait "$wpid"; wrc=$?; wpid=
	el=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	[ "$wrc" = 0 ] || { echo "# watch: clean watch exited $wrc: $(tail -3 "$tmp/clean.err")"; fail=1; }
	ninc=$(jq -c 'select(.event == "incident")' "$ev" | jq -s 'map(.id) | unique | length')
	wevent=$(jq -c 'select(.event == "watch" and .state != "start")' "$ev")
	jq -s '[.[] | select(.event == "series")] |
		"judged \(map(.judged) | add // 0), wrong \(map(.wrong) | add // 0), injected \(map(.injected) | add // 0), timeouts \(map(.timeouts) | add // 0), series buckets \(length)"' \
		-r "$ev" > "$tmp/clean.sum"
	echo "# clean run: watch --duration $clean, no replay: $el s wall clock"
	echo "  incidents raised: $ninc   (goal: 0)"
	echo "  $(cat "$tmp/clean.sum")"
	echo "  per path (judged/wrong):$(jq -s -r 'map(select(.event == "series")) | group_by(.path)[] |
		" \(.[0].path) \(map(.judged) | add)/\(map(.wrong) | add)"' "$ev" | tr -d '\n')"
	echo "  watch's last event: $wevent"
	if [ "$ninc" != 0 ]; then
		fail=1
		echo "  incident events:"
		jq -c 'select(.event == "incident")' "$ev" | sed 's/^/    /'
		grep -i incident "$tmp/clean.err" | sed 's/^/    stderr: /'
	fi
fi
echo "# machine: $(nproc) cpu, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
