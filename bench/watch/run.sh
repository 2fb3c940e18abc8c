#!/bin/sh
# dnswatch watch: detection delay in lab replays of the shipped scenarios,
# and incidents raised in a clean run and in a run with random loss.
#   bench/watch/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS [LOSS_SECONDS]]]
# (bench/run.sh passes BUILD_DIR and its own arguments, e.g. --tsv: arguments
# that are not numbers are ignored, so `make bench` runs the defaults.)
#   REPLAYS        replays of each scenario (default 5), one watch each, on a
#                  lab brought up fresh for each
#   CLEAN_SECONDS  length of the clean run (default 1800)
#   LOSS_SECONDS   length of the run with 5% random loss each way on the
#                  long-haul link (lab up --loss-pct 5; default 600)
#   SCENARIOS      (environment) which, default "2014 2014-pool org-pool
#                  blocklist-burst org-pool/resolvers"; each at a faster scale
#                  than its file's (1s=2min; blocklist-burst 1s=2s: its minute
#                  lasts 30 s), which changes nothing before the rule goes on.
#                  org-pool/resolvers: org-pool with watch on the resolver
#                  paths only (client/isp, client/public, remote/public: no
#                  no-DNS address, so only the sequential test can raise it),
#                  at 1s=30s (30 s of baseline before the rule)
# The org-pool lab is brought up with --names com=3000,net=1000,org=300,cn=2000
# (.org 4.8% of the names); the others with the default population.
# Delay: raised_us of watch's first incident "raised" event minus time_us of
# the replay's "inject load" event (when the rule was in the wall), and
# raised_us - started_us. Incidents: distinct incident ids in the replay.
# watch runs at its defaults (20 names/s per vantage point, panel 120, hold
# 500 ms, seed from the clock), from the root namespace into the lab's hosts;
# it is started 3 s before the replay and stopped with SIGTERM when the
# replay has ended. Clean and lossy runs: watch --duration against a fresh
# lab, no replay; incidents (must be 0) and answers judged. Own lab (name wb),
# taken down on exit; only processes started here are killed, by pid.
# Traffic stays in the lab. Needs root and jq. Exit 1 if a figure misses its
# goal (every replay raised, exactly one incident, within 5 s, on-path; no
# incident in the clean and lossy runs) or anything failed.
set -u
build=${1:?usage: bench/watch/run.sh BUILD_DIR [REPLAYS [CLEAN_SECONDS [LOSS_SECONDS]]]}
shift
replays=5 clean=1800 lossy=600
n=0
for a in "$@"; do
	case "$a" in
	-*) ;;
	''|*[!0-9]*) ;;
	*) case $n in 0) replays=$a ;; 1) clean=$a ;; 2) lossy=$a ;; esac; n=$((n + 1)) ;;
	esac
done
scenarios=${SCENARIOS:-2014 2014-pool org-pool blocklist-burst org-pool/resolvers}
dw=$build/dnswatch
name=wb
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
	"$dw" lab --name $name up "$@" >"$tmp/up.out" 2>&1 || { echo "# watch: lab up failed: $(cat "$tmp/up.out")"; exit 1; }
}
fail=0
stats() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1 / 1e6} END {
	if (NR) printf "min %.3f  median %.3f  max %.3f s (n=%d)", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }'; }
echo "# watch: $replays replay(s) of each of: $scenarios; then a clean run of $clean s and a run of $lossy s with 5% loss; lab '$name'"
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for sc in $scenarios; do
	scn=lab/scenarios/${sc%%/*}.scenario
	scale=1s=2min paths=
	[ "$sc" = blocklist-burst ] && scale=1s=2s
	[ "$sc" = org-pool/resolvers ] && scale=1s=30s paths="--path client/isp --path client/public --path remote/public"
	echo "## $sc ($scn, --scale $scale)"
	echo "# replay  inject_load (UTC)  raised - inject_load  raised - started  started - inject_load  cause     incidents  judged"
	lat="" own="" incs=""
	i=1
	while [ "$i" -le "$replays" ]; do
		if [ "${sc%%/*}" = org-pool ]; then lab_fresh --names com=3000,net=1000,org=300,cn=2000; else lab_fresh; fi
		tag=$(echo "$sc" | tr / _)
		ev=$tmp/$tag.watch$i.ndjson rev=$tmp/$tag.replay$i.ndjson
		# shellcheck disable=SC2086
		"$dw" watch --lab $name $paths --events "$ev" --status 0 2>"$tmp/watch$i.err" &
		wpid=$!
		sleep 3
		kill -0 "$wpid" 2>/dev/null || { echo "# watch: watch exited early: $(cat "$tmp/watch$i.err")"; exit 1; }
		"$dw" lab --name $name replay $scn --events "$rev" --scale "$scale" >"$tmp/replay$i.out" 2>&1 &
		rpid=$!
		wait "$rpid"; rrc=$?; rpid=
		[ "$rrc" = 0 ] || { echo "# watch: replay $i failed ($rrc): $(tail -3 "$tmp/replay$i.out")"; fail=1; }
		kill -TERM "$wpid"; wait "$wpid"; wrc=$?; wpid=
		[ "$wrc" = 0 ] || { echo "# watch: watch $i exited $wrc: $(tail -3 "$tmp/watch$i.err")"; fail=1; }
		on=$(jq -r 'select(.action == "inject load") | .time_us' "$rev" | head -1)
		inc=$(jq -c 'select(.event == "incident" and .state == "raised")' "$ev" | head -1)
		ninc=$(jq -r 'select(.event == "incident") | .id' "$ev" | sort -u | wc -l)
		judged=$(jq -s '[.[] | select(.event == "series") | .judged] | add // 0' "$ev")
		incs="$incs $ninc"
		[ "$ninc" = 1 ] || { echo "    $ninc incidents in replay $i (goal: exactly one)"; fail=1; }
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
				"$cause" "$ninc" "$judged"
			echo "          trigger: $(echo "$inc" | jq -r .trigger)"
			lat="$lat $d" own="$own $ds"
			[ "$cause" = on-path ] || { echo "    cause is not on-path: $inc"; fail=1; }
			if [ -z "$paths" ]; then
				[ "$d" -le $limit_us ] || { echo "    delay over 5 s: $inc"; fail=1; }
			fi
			[ "$d" -ge 0 ] || { echo "    raised before the rule was on: $inc"; fail=1; }
		fi
		i=$((i + 1))
	done
	echo "# $sc raised - inject load:  $(echo "$lat" | stats)   $([ -z "$paths" ] && echo '(goal: max <= 5 s)' || echo '(no goal: the sequential test alone)')"
	echo "# $sc raised - started:      $(echo "$own" | stats)"
	echo "# $sc incidents per replay: $incs   (goal: 1 each)"
done

# quiet NAME SECONDS [LAB UP OPTIONS]: a watch of SECONDS on a fresh lab, no replay.
quiet() {
	qn=$1 secs=$2
	shift 2
	lab_fresh "$@"
	ev=$tmp/$qn.ndjson
	s=$(date +%s.%N)
	"$dw" watch --lab $name --events "$ev" --status 0 --duration "$secs" 2>"$tmp/$qn.err" &
	wpid=$!
	wait "$wpid"; wrc=$?; wpid=
	el=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	[ "$wrc" = 0 ] || { echo "# watch: $qn watch exited $wrc: $(tail -3 "$tmp/$qn.err")"; fail=1; }
	ninc=$(jq -c 'select(.event == "incident")' "$ev" | jq -s 'map(.id) | unique | length')
	wevent=$(jq -c 'select(.event == "watch" and .state != "start")' "$ev")
	echo "# $qn run: lab up $*; watch --duration $secs, no replay: $el s wall clock"
	echo "  incidents raised: $ninc   (goal: 0)"
	echo "  $(jq -s -r '[.[] | select(.event == "series")] |
		"judged \(map(.judged) | add // 0), wrong \(map(.wrong) | add // 0), injected \(map(.injected) | add // 0), timeouts \(map(.timeouts) | add // 0), series buckets \(length)"' "$ev")"
	echo "  per path (judged/wrong/timeouts):$(jq -s -r 'map(select(.event == "series")) | group_by(.path)[] |
		" \(.[0].path) \(map(.judged) | add)/\(map(.wrong) | add)/\(map(.timeouts) | add)"' "$ev" | tr -d '\n')"
	echo "  path down events: $(jq -c 'select(.event == "path" and .state == "down")' "$ev" | wc -l)"
	[ -f "/run/dnswatch/$name/delay.stats" ] && echo "  delay element: $(grep -E '^(passed|lost|loss_ppm)=' "/run/dnswatch/$name/delay.stats" | tr '\n' ' ')"
	echo "  watch's last event: $wevent"
	if [ "$ninc" != 0 ]; then
		fail=1
		echo "  incident events:"
		jq -c 'select(.event == "incident")' "$ev" | sed 's/^/    /'
	fi
}
[ "$clean" -gt 0 ] && quiet clean "$clean"
[ "$lossy" -gt 0 ] && quiet lossy "$lossy" --loss-pct 5
echo "# machine: $(nproc) cpu, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
