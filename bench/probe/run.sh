#!/bin/bash
# Prober throughput against a local authoritative server, side by side with
# dnsperf (Debian's) in one run, both with the same number of threads.
#   bench/probe/run.sh BUILD_DIR [ROUNDS] [THREADS] [REPEATS]
# A namespace of its own with only loopback; nsd with THREADS server
# processes (default: the cores) serves a zone of 100,000 names; dnsperf
# (-c THREADS -T THREADS) and then `dnswatch probe --threads THREADS` send
# ROUNDS x 100,000 distinct names (default 10: w0 ... w999999, the first
# 100,000 the zone's own records, the rest its wildcard's; distinct because
# the prober skips a repeated name) once each, as fast as they can. The
# pair runs REPEATS times (default 3), the tools taking turns, and the
# figure is the ratio of their median rates: on a VM the same run's rate
# drifts by 10-20% from one minute to the next. dnsperf runs once a repeat
# for each of its queries-outstanding settings in BP_DNSPERF_Q (default
# "2000 10000": more loses queries to full buffers, fewer leaves the server
# idle), and its best rate of the repeat is the one compared: the peer at
# its best.
# dnswatch probe keeps every reply (hold window 50 ms after the first),
# judges each query and writes its NDJSON line; dnsperf counts answers. Both
# share the cores with the server (nothing is pinned; BP_PIN=1 pins the
# server to cpu 1 and the client to cpu 0, the layout of the earlier
# single-thread figures). For each tool: its rate, its CPU time, the load
# average, the namespace's UDP RcvbufErrors (datagrams some socket's full
# buffer dropped: the server's, or dnsperf's) during its run, and for the
# prober its retransmissions and the drops of its own receive buffer (the
# capture ring: its UDP sockets queue nothing). Then, with BP_CALLGRIND=1,
# the prober's user-space instructions per query under callgrind (one
# thread; the difference of a 30,000- and a 10,000-name run over 20,000),
# a figure the machine's load does not move. Needs root; cleans up whatever
# happens.
set -u
build=${1:?usage: bench/probe/run.sh BUILD_DIR [ROUNDS] [THREADS] [REPEATS]}
rounds=${2:-10}
threads=${3:-$(nproc)}
repeats=${4:-3}
dw=${DW_BIN:-$build/dnswatch}
[ "$(id -u)" = 0 ] || { echo "bench/probe: needs root"; exit 1; }
ns=dw-bp$$-bench
tmp=$(mktemp -d)
nsdpid=
cleanup() {
	[ -n "$nsdpid" ] && kill "$nsdpid" 2>/dev/null && wait "$nsdpid" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $ns && ip -n $ns link set lo up
client= server=
if [ "${BP_PIN:-0}" = 1 ]; then client="taskset -c 0" server="taskset -c 1"; fi

# nsd with THREADS server processes (bench/lib/nsd.sh).
. "$(dirname "$0")/../lib/nsd.sh"
bench_nsd_up $ns "$tmp" "$threads" $server
nsdpid=$bench_nsd_pid
total=$((100000 * rounds))
awk -v n=$total 'BEGIN { for (i = 0; i < n; i++) printf "w%d.bench.example A\n", i }' > "$tmp/dnsperf.in"
cut -d' ' -f1 "$tmp/dnsperf.in" > "$tmp/names"
rcvbuf() { ip netns exec $ns awk '/^Udp:/ { n++; if (n == 1) for (i = 2; i <= NF; i++) k[$i] = i; else print $k["RcvbufErrors"] }' /proc/net/snmp; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cpu; nsd $(nsd -v 2>&1 | head -1 | awk '{print $3}') with $threads server processes; $total distinct names, one query each${BP_PIN:+; pinned: server cpu 1, client cpu 0}"
echo "# load average before: $(load)"

TIMEFORMAT='%R s wall, %U s user, %S s sys'
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: > "$tmp/rates"
for rep in $(seq "$repeats"); do
	echo "# run $rep of $repeats"
	dq=0 dp_wall=
	for q in ${BP_DNSPERF_Q:-2000 10000}; do
		echo "# dnsperf $(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null) -c $threads -T $threads -q $q"
		b=$(rcvbuf)
		{ time ip netns exec $ns $client dnsperf -s 127.0.0.1 -d "$tmp/dnsperf.in" -n 1 -c "$threads" \
			-T "$threads" -q "$q" -t 2 > "$tmp/dnsperf.out" 2>&1; } 2> "$tmp/dnsperf.time"
		grep -E 'Queries sent|Queries completed|Queries lost|Queries per second' "$tmp/dnsperf.out" | sed 's/^ */  /'
		echo "  cpu: $(cat "$tmp/dnsperf.time"); load average after: $(load); UDP RcvbufErrors during the run: $(($(rcvbuf) - b))"
		r=$(awk '/Queries per second/ { print $4 }' "$tmp/dnsperf.out")
		if [ "$(echo "$r > $dq" | bc)" = 1 ]; then dq=$r dp_wall=$(cut -d' ' -f1 "$tmp/dnsperf.time"); fi
	done

	echo "# dnswatch probe --threads $threads (every reply kept, hold 50 ms, verdicts judged, NDJSON written)"
	rm -f "$tmp/probe.ndjson"
	b=$(rcvbuf)
	{ time ip netns exec $ns $client "$dw" probe --threads "$threads" --target bench=auth:127.0.0.1 \
		--max-rate 5000000 --inflight 2000 --hold 50 --timeout 1000 --retries 1 "$tmp/names" \
		> "$tmp/probe.ndjson" 2> "$tmp/probe.err"; } 2> "$tmp/probe.time"
	sed 's/^/  /' "$tmp/probe.err"
	echo "  results written: $(wc -l < "$tmp/probe.ndjson")"
	echo "  cpu: $(cat "$tmp/probe.time"); load average after: $(load); UDP RcvbufErrors during the run: $(($(rcvbuf) - b))"
	pq=$(sed -n 's/^probe: [0-9.]* s, \([0-9]*\) queries\/s.*/\1/p' "$tmp/probe.err")
	# dnsperf's rate leaves out the loading of its whole input before the
	# first query; the prober reads its names as it sends. The whole job's
	# wall time, for the user who waits for it, said beside the rates.
	dw_wall=$(cut -d' ' -f1 "$tmp/probe.time")
	echo "# run $rep: dnswatch/dnsperf (its best) $(echo "scale=2; $pq / $dq" | bc); whole job, wall: dnsperf $dp_wall s, dnswatch $dw_wall s"
	echo "$dq $pq" >> "$tmp/rates"
done
dm=$(cut -d' ' -f1 "$tmp/rates" | median); pm=$(cut -d' ' -f2 "$tmp/rates" | median)
echo "# medians of $repeats runs: dnsperf $(printf '%.0f' "$dm") q/s, dnswatch probe $(printf '%.0f' "$pm") q/s"
echo "# ratio dnswatch/dnsperf: $(echo "scale=2; $pm / $dm" | bc)"

if [ "${BP_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null; then
	head -10000 "$tmp/names" > "$tmp/n10k"
	head -30000 "$tmp/names" > "$tmp/n30k"
	for f in n10k n30k; do
		ip netns exec $ns valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$f" "$dw" probe \
			--threads 1 --target bench=auth:127.0.0.1 --max-rate 5000 --inflight 2000 --hold 50 \
			--timeout 1000 --retries 1 "$tmp/$f" > /dev/null 2> "$tmp/cg.$f.err"
	done
	i10=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.n10k.err")
	i30=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.n30k.err")
	echo "# callgrind, one thread: $i10 instructions for 10,000 queries, $i30 for 30,000: $(( (i30 - i10) / 20000 )) a query"
fi
