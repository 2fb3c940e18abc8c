#!/bin/bash
# Injector latency and loss, measured where the asker sits, side by side with
# Debian's dnsspoof (dsniff) in one run.
#   bench/inject/run.sh BUILD_DIR
# Three namespaces of its own: client (the load generator) -- border (a router;
# the injector captures there) -- sink (an address that runs no DNS and drops
# queries silently, so only an injector answers). Each query crosses the
# border; the time from sending it to the first forged reply is measured by
# bench/inject/tool_loadgen.c. Needs root. Cleans up whatever happens.
set -u
build=${1:?usage: bench/inject/run.sh BUILD_DIR}
[ "$(id -u)" = 0 ] || { echo "bench/inject: needs root"; exit 1; }
T=dw-bi$$
C=$T-client B=$T-border S=$T-sink
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $C $B $S; do ip netns del $n 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

for n in $C $B $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add c0 netns $C type veth peer name b0 netns $B
ip link add b1 netns $B type veth peer name s0 netns $S
ip -n $C addr add 198.18.252.1/24 dev c0
ip -n $B addr add 198.18.252.2/24 dev b0
ip -n $B addr add 198.18.253.1/24 dev b1
ip -n $S addr add 198.18.253.2/24 dev s0
for l in "$C c0" "$B b0" "$B b1" "$S s0"; do set -- $l; ip -n $1 link set $2 up; done
ip -n $C route add default via 198.18.252.2
ip -n $S route add default via 198.18.253.1
ip netns exec $B sysctl -qw net.ipv4.ip_forward=1
ip netns exec $S iptables -A INPUT -p udp --dport 53 -j DROP
SINK=198.18.253.2

steal() { awk '/^cpu /{ print $9 }' /proc/stat; }
echo "# injector: dnswatch inject --busy-poll (AF_PACKET TPACKET_V2 ring, sendmmsg), on cpu 1;"
echo "# load generator on cpu 0. Per run: the generator's JSON, then the injector's counters."
printf '*.com a=65.49.2.178\n' > "$tmp/rules"
for spec in "1000 3 4" "50000 5 4" "200000 3 32"; do
	set -- $spec
	ip netns exec $B taskset -c 1 "$build/dnswatch" inject -i b0 --busy-poll --rules "$tmp/rules" \
		>"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!; pids+=($inj)
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
	grep -q 'capturing on' "$tmp/inj.err" || { echo "bench/inject: the injector did not start: $(cat "$tmp/inj.err")"; exit 1; }
	s0=$(steal)
	printf 'dnswatch\t'
	ip netns exec $C taskset -c 0 "$build/bench/tool_loadgen" --server $SINK --rate "$1" \
		--duration "$2" --wait 1000 --sockets 16 --batch "$3"
	s1=$(steal)
	kill -TERM $inj; wait $inj
	echo "  injector: $(grep '"event":"exit"' "$tmp/inj.out"); steal during the run: $((s1 - s0)) ticks"
done

echo "# peer: dnsspoof (dsniff $(dpkg-query -W -f='${Version}' dsniff 2>/dev/null)), one core"
printf '65.49.2.178\t*.com\n' > "$tmp/hosts"
ip netns exec $B taskset -c 1 dnsspoof -i b0 -f "$tmp/hosts" 'udp dst port 53' >"$tmp/spoof.out" 2>&1 &
spoof=$!; pids+=($spoof)
sleep 1
for spec in "1000 3" "50000 3"; do
	set -- $spec
	printf 'dnsspoof\t'
	ip netns exec $C taskset -c 0 "$build/bench/tool_loadgen" --server $SINK --rate "$1" \
		--duration "$2" --wait 3000 --sockets 16 --batch 4
done
kill $spoof; wait $spoof 2>/dev/null
exit 0
