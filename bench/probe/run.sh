#!/bin/bash
# Prober throughput against a local authoritative server, side by side with
# dnsperf (Debian's) in one run, on the same server and the same 2 cores.
#   bench/probe/run.sh BUILD_DIR [NAMES]
# A namespace of its own with only loopback; nsd (one process, one core)
# serves a zone of 100,000 names; each tool then sends every name of the zone
# (NAMES times over, default 10) as fast as it can. dnswatch probe keeps every
# reply (hold window 50 ms after the first) and judges each query; dnsperf
# counts answers. Needs root; cleans up whatever happens.
set -u
build=${1:?usage: bench/probe/run.sh BUILD_DIR [ROUNDS]}
rounds=${2:-10}
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

# The zone: 100,000 A records, names w0 ... w99999 under bench.example.
{
	printf '$ORIGIN bench.example.\n$TTL 3600\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n'
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "w%d A 198.19.%d.%d\n", i, int(i / 250) % 250, i % 250 + 1 }'
} > "$tmp/bench.zone"
cat > "$tmp/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$tmp"
	zonelistfile: "$tmp/zone.list"
	xfrdfile: "$tmp/xfrd.state"
	xfrdir: "$tmp"
	pidfile: "$tmp/nsd.pid"
	logfile: "$tmp/nsd.log"
	server-count: 1
	verbosity: 0
remote-control:
	control-enable: no
zone:
	name: bench.example
	zonefile: bench.zone
CONF
ip netns exec $ns taskset -c 1 nsd -d -c "$tmp/nsd.conf" &
nsdpid=$!
for _ in $(seq 100); do
	ip netns exec $ns dig +short +tries=1 +time=1 @127.0.0.1 w1.bench.example >/dev/null 2>&1 && break
	sleep 0.1
done
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "w%d.bench.example A\n", i }' > "$tmp/dnsperf.in"
for r in $(seq "$rounds"); do cut -d' ' -f1 "$tmp/dnsperf.in"; done > "$tmp/names"
total=$((100000 * rounds))
echo "# nsd $(nsd -v 2>&1 | head -1 | awk '{print $3}') on cpu 1 serving 100,000 names; clients on cpu 0; $total queries each"

TIMEFORMAT='%R s wall, %U s user, %S s sys'
echo "# dnsperf $(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null)"
{ time ip netns exec $ns taskset -c 0 dnsperf -s 127.0.0.1 -d "$tmp/dnsperf.in" -n "$rounds" -c 8 -q 2000 -t 2 > "$tmp/dnsperf.out" 2>&1; } 2> "$tmp/dnsperf.time"
grep -E 'Queries sent|Queries completed|Queries lost|Queries per second' "$tmp/dnsperf.out" | sed 's/^ */  /'
echo "  cpu: $(cat "$tmp/dnsperf.time")"

echo "# dnswatch probe (every reply kept, hold 50 ms, verdicts judged)"
{ time ip netns exec $ns taskset -c 0 "$build/dnswatch" probe --target bench=auth:127.0.0.1 \
	--rate 5000000 --inflight 2000 --hold 50 --timeout 1000 --retries 1 "$tmp/names" \
	> "$tmp/probe.ndjson" 2> "$tmp/probe.err"; } 2> "$tmp/probe.time"
sed 's/^/  /' "$tmp/probe.err"
echo "  results written: $(wc -l < "$tmp/probe.ndjson")"
echo "  cpu: $(cat "$tmp/probe.time")"
dq=$(awk '/Queries per second/ { print $4 }' "$tmp/dnsperf.out")
pq=$(sed -n 's/^probe: [0-9.]* s, \([0-9]*\) queries\/s.*/\1/p' "$tmp/probe.err")
echo "# ratio dnswatch/dnsperf: $(echo "scale=2; $pq / $dq" | bc)"
