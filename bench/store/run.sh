#!/bin/bash
# The ClickHouse store's figures (bench/RESULTS.md, "store: ClickHouse").
#   bench/store/run.sh BUILD_DIR [SECONDS]        throughput and outage
#   DW_BENCH_STORE=throughput|outage|vantages bench/store/run.sh BUILD_DIR [SECONDS]
# throughput: one prober at its full rate for SECONDS (default 600) against
#   nsd on loopback, NDJSON to /dev/null, then the same names into Debian's
#   clickhouse-server (started here, in the same namespace): the two rates
#   side by side, and every row stored (rows = queries, none twice).
# outage: a paced prober (2000 queries/s, 90 s) into ClickHouse, the server
#   killed (SIGKILL) 30 s in and started again 30 s later: rows in the
#   database = queries sent, none twice, the outage said on stderr and kept
#   in the run's row.
# vantages: the lab, the 2014 replay watched by three watch processes
#   (client, vpnclient, remote) writing into one ClickHouse and, the same
#   run, into one SQLite file; the report over each, compared.
# A namespace of its own with only loopback (throughput, outage); nsd serves
# 100,000 names and a wildcard, so every name sent is distinct. Needs root;
# cleans up whatever happens.
# BS_LAYOUT: where the three processes run on a 2-core machine.
#   shared (default): the prober on cpu 0, nsd on cpu 1, clickhouse-server
#     on both: the server's CPU is taken from the prober's and nsd's.
#   own-core: the prober and nsd on cpu 0, clickhouse-server alone on cpu 1,
#     as the one server of many vantage points has cores of its own: the
#     figure then weighs what storing costs the prober itself.
set -u
build=${1:?usage: bench/store/run.sh BUILD_DIR [SECONDS]}
secs=${2:-600}
what=${DW_BENCH_STORE:-throughput outage vantages}
layout=${BS_LAYOUT:-shared}
case $layout in
shared) cpu_probe=0 cpu_nsd=1 cpu_ch=0,1 ;;
own-core) cpu_probe=0 cpu_nsd=0 cpu_ch=1 ;;
*) echo "bench/store: BS_LAYOUT is shared or own-core, not $layout"; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/store: needs root"; exit 1; }
DW=$root/$build/dnswatch
ns=dw-bs$$-bench
tmp=$(mktemp -d)
nsdpid= chdir= probepid= lab=
cleanup() {
	[ -n "$probepid" ] && kill "$probepid" 2>/dev/null && wait "$probepid" 2>/dev/null
	[ -n "$chdir" ] && CH_KILL=1 "$root/scripts/clickhouse.sh" down "$chdir" >/dev/null 2>&1
	[ -n "$nsdpid" ] && kill "$nsdpid" 2>/dev/null && wait "$nsdpid" 2>/dev/null
	[ -n "$lab" ] && "$DW" lab --name "$lab" down >/dev/null 2>&1
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export DNSWATCH_SPOOL=$tmp/spool
. "$root/bench/lib/nsd.sh"
q() { ip netns exec $ns curl -sS "http://127.0.0.1:8123/" --data-binary "$1"; }

netns_up() {
	ip netns add $ns && ip -n $ns link set lo up
	bench_nsd_up $ns "$tmp" 1 taskset -c $cpu_nsd
	nsdpid=$bench_nsd_pid
	chdir=$tmp/ch
	ip netns exec $ns taskset -c $cpu_ch "$root/scripts/clickhouse.sh" up "$chdir" 8123 | sed 's/^/# /' || exit 1
}

names() { # COUNT [FIRST]: distinct names (the prober skips a repeated one);
	# past w99999 the zone's wildcard answers
	awk -v n="$1" -v f="${2:-0}" 'BEGIN { for (i = f; i < f + n; i++) printf "w%d.bench.example\n", i }'
}

rate_of() { sed -n 's/^probe: [0-9.]* s, \([0-9]*\) queries\/s.*/\1/p' "$1"; }
queries_of() { sed -n 's/^probe: .*), \([0-9]*\) queries, .*/\1/p' "$1"; }
# PID and every process under it (nsd's server is the grandchild of the
# process started, which becomes its xfrd).
family() {
	local c
	echo "$1"
	for c in $(pgrep -P "$1"); do family "$c"; done
}
# CPU time (clock ticks, user + system) of PID's family so far: what the
# server beside the prober (nsd, ClickHouse) took.
ticks() {
	local p
	# utime and stime of every thread, counted after the name: "(nsd: server 1)"
	for p in $(family "$1"); do cat /proc/$p/task/*/stat 2>/dev/null; done |
		sed 's/.*) //' | awk '{ s += $12 + $13 } END { print s + 0 }'
}
hz=$(getconf CLK_TCK)
# "SERVER CPU s over the run" for the ticks before (A) and now of PID.
cpu_since() { echo "scale=1; ($(ticks "$2") - $1) / $hz" | bc; }

throughput() {
	echo "# throughput: one prober at full rate, NDJSON to /dev/null, then into ClickHouse (layout $layout: prober cpu $cpu_probe, nsd cpu $cpu_nsd, clickhouse-server cpu $cpu_ch)"
	names 300000 > "$tmp/cal"
	ip netns exec $ns taskset -c $cpu_probe "$DW" probe --target bench=auth:127.0.0.1 --rate 5000000 \
		--inflight 2000 --hold 50 --timeout 1000 --retries 1 "$tmp/cal" >/dev/null 2>"$tmp/cal.err"
	local r; r=$(rate_of "$tmp/cal.err")
	# Twice what the calibration's rate asks for: the figure is a rate
	# sustained for at least SECONDS, and on a shared VM the rate drifts by
	# up to half between one run and the next (57,000 queries/s calibrated,
	# then 70,000 and 84,000 in the two runs: the second lasted 509 s).
	local n=${BS_NAMES:-$((r * secs * 2))} # BS_NAMES: a count of one's own
	echo "# calibration: $r queries/s; $n names${BS_NAMES:+ (BS_NAMES)} for at least $secs s"
	names "$n" > "$tmp/names"
	TIMEFORMAT='%R s wall, %U s user, %S s sys'
	local chpid n0 c0
	chpid=$(cat "$chdir/server.pid")
	n0=$(ticks "$nsdpid"); c0=$(ticks "$chpid")
	{ time ip netns exec $ns taskset -c $cpu_probe "$DW" probe --target bench=auth:127.0.0.1 --rate 5000000 \
		--inflight 2000 --hold 50 --timeout 1000 --retries 1 "$tmp/names" >/dev/null 2>"$tmp/nd.err"; } 2>"$tmp/nd.time"
	echo "  ndjson >/dev/null: $(grep '^probe:' "$tmp/nd.err")"
	echo "    cpu: prober $(cat "$tmp/nd.time"); nsd $(cpu_since "$n0" "$nsdpid") s, clickhouse-server (idle) $(cpu_since "$c0" "$chpid") s"
	n0=$(ticks "$nsdpid"); c0=$(ticks "$chpid")
	{ time ip netns exec $ns taskset -c $cpu_probe "$DW" probe --target bench=auth:127.0.0.1 --rate 5000000 \
		--inflight 2000 --hold 50 --timeout 1000 --retries 1 --vantage bench \
		--db clickhouse://127.0.0.1:8123/bench "$tmp/names" >/dev/null 2>"$tmp/ch.err"; } 2>"$tmp/ch.time"
	echo "  clickhouse:        $(grep '^probe:' "$tmp/ch.err")"
	grep '^store:' "$tmp/ch.err" | sed 's/^/    /'
	echo "    cpu: prober $(cat "$tmp/ch.time"); nsd $(cpu_since "$n0" "$nsdpid") s, clickhouse-server $(cpu_since "$c0" "$chpid") s"
	local rn rc qc rows fin seqs
	rn=$(rate_of "$tmp/nd.err"); rc=$(rate_of "$tmp/ch.err"); qc=$(queries_of "$tmp/ch.err")
	rows=$(q "SELECT count() FROM bench.queries")
	# None twice: FINAL collapses rows of one key (vantage, run, seq,
	# target, qtype), so FINAL's count equal to the rows' says no key is
	# there twice (uniqExact over 100 M keys is past the server's default
	# memory limit); every one there: one run, one target, one type, and
	# seq from 0 to the count less one.
	fin=$(q "SELECT count() FROM bench.queries FINAL")
	seqs=$(q "SELECT min(seq), max(seq), uniq(run, target, qtype) FROM bench.queries" | tr '\t' ' ')
	echo "  rows: $rows (FINAL $fin; seq min, max and (run, target, qtype) seen: $seqs) for $qc queries sent"
	echo "  on disk: $(q "SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = 'bench' AND active")"
	echo "# ratio clickhouse/ndjson: $(echo "scale=3; $rc / $rn" | bc)"
	[ "$rows" = "$qc" ] && [ "$fin" = "$qc" ] && [ "$seqs" = "0 $((qc - 1)) 1" ]
}

outage() {
	echo "# outage: 2000 queries/s for 90 s into ClickHouse; the server killed at 30 s, back at 60 s"
	names 180000 > "$tmp/onames"
	ip netns exec $ns taskset -c $cpu_probe "$DW" probe --target bench=auth:127.0.0.1 --rate 2000 \
		--hold 50 --timeout 1000 --retries 1 --vantage outage \
		--db clickhouse://127.0.0.1:8123/outage "$tmp/onames" >/dev/null 2>"$tmp/out.err" &
	probepid=$!
	sleep 30
	CH_KILL=1 "$root/scripts/clickhouse.sh" down "$chdir" | sed 's/^/# /'
	sleep 30
	ip netns exec $ns taskset -c $cpu_ch "$root/scripts/clickhouse.sh" up "$chdir" 8123 | sed 's/^/# /'
	wait $probepid; local rc=$?; probepid=
	echo "  probe exit status $rc: $(grep '^probe:' "$tmp/out.err")"
	grep '^store:' "$tmp/out.err" | sed 's/^/    /'
	local qc rows fin uniq
	qc=$(queries_of "$tmp/out.err")
	rows=$(q "SELECT count() FROM outage.queries")
	fin=$(q "SELECT count() FROM outage.queries FINAL")
	uniq=$(q "SELECT uniqExact(run, seq, target, qtype) FROM outage.queries")
	echo "  rows: $rows (FINAL $fin, distinct keys $uniq) for $qc queries sent"
	echo "  the run's row: $(q "SELECT argMax(status, version), argMax(outages, version), argMax(outage_ms, version), argMax(spooled_rows, version) FROM outage.runs GROUP BY run" | tr '\t' ' ')"
	[ "$fin" = "$qc" ] && [ "$uniq" = "$qc" ]
}

failed=0
case " $what " in *" throughput "*|*" outage "*) netns_up ;; esac
for w in $what; do
	case $w in
	throughput) throughput || failed=1 ;;
	outage) outage || failed=1 ;;
	vantages) bash "$root/bench/store/vantages.sh" "$build" || failed=1 ;;
	esac
done
exit $failed
