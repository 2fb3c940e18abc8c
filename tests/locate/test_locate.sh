#!/bin/bash
# dnswatch locate on a chain of namespaces of its own:
#   client -- r1 -- border [injector] -- r2 -- sink (no DNS)
# The injector sits at hop 2. A TTL-mirroring injector must not be placed
# by its first reply. Needs root; cleans up whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "locate tests"
T=dw-lt$$
hosts="client r1 border r2 sink"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for h in $hosts; do ip netns del $T-$h 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
for h in $hosts; do ip netns add $T-$h; ip -n $T-$h link set lo up; done
link() { # A IFA ADDRA B IFB ADDRB
	ip link add $2 netns $T-$1 type veth peer name $5 netns $T-$4
	ip -n $T-$1 addr add $3/24 dev $2; ip -n $T-$4 addr add $6/24 dev $5
	ip -n $T-$1 link set $2 up; ip -n $T-$4 link set $5 up
}
link client c0 198.18.61.1 r1 a0 198.18.61.2
link r1 a1 198.18.62.1 border b0 198.18.62.2
link border b1 198.18.63.1 r2 d0 198.18.63.2
link r2 d1 198.18.64.1 sink s0 198.18.64.2
ip -n $T-client route add 198.18.0.0/16 via 198.18.61.2
ip -n $T-r1 route add 198.18.0.0/16 via 198.18.62.2
ip -n $T-border route add 198.18.61.0/24 via 198.18.62.1
ip -n $T-border route add 198.18.64.0/24 via 198.18.63.2
ip -n $T-r2 route add 198.18.0.0/16 via 198.18.63.1
ip -n $T-sink route add 198.18.0.0/16 via 198.18.64.1
for r in r1 border r2; do ip netns exec $T-$r sysctl -qw net.ipv4.ip_forward=1; done
ip netns exec $T-sink iptables -A INPUT -p udp --dport 53 -j DROP
SINK=198.18.64.2

start_injector() {
	ip netns exec $T-border "$DNSWATCH" inject --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" "$@" \
		>"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!; pids+=($inj)
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	return 1
}
loc() { ip netns exec $T-client "$DNSWATCH" locate --max-ttl 6 --probes 2 --wait 150 "$@"; }

# no injector: routers answer, no forged reply, no verdict of a hop
out=$(loc --json $SINK www.example.com)
echo "$out" | jq -e '.hop == null and .hops[0].router == "198.18.61.2" and .hops[1].router == "198.18.62.2" and .hops[2].router == "198.18.63.2"' >/dev/null \
	&& ok "routers by ICMP time exceeded; no injector, no hop" || fail "routers by ICMP time exceeded; no injector, no hop" "$out"

# an injector with its own TTL: placed at hop 2 (the border)
start_injector --injector name=fixed,ttl=64,ipid=zero || fail "injector starts"
out=$(loc --json $SINK www.example.com)
echo "$out" | jq -e '.hop == 2 and .hops[0].replies == 0 and .hops[1].replies == 2 and .untrusted_mirroring == false' >/dev/null \
	&& ok "a fixed-TTL injector is placed at hop 2" || fail "a fixed-TTL injector is placed at hop 2" "$out"
loc $SINK www.example.com > "$tmp/table"
grep -q 'verdict: the injector sits at hop 2 (198.18.62.2)' "$tmp/table" && ok "table names the hop and its router" || fail "table names the hop and its router" "$(cat "$tmp/table")"
kill $inj; wait $inj 2>/dev/null

# a TTL-mirroring injector alone: its first reply comes at TTL 3 (2h-1), not 2
start_injector --injector name=mirror,ttl=mirror,ipid=random,df=1 || fail "injector starts"
out=$(loc --json $SINK www.example.com)
echo "$out" | jq -e '.hop == null and .untrusted_mirroring == true and .injectors[0].mirrors_ttl == true and .injectors[0].first_ttl == 3' >/dev/null \
	&& ok "a mirroring injector is recognised and not placed at its first TTL" || fail "a mirroring injector is recognised" "$out"
loc $SINK www.example.com | grep -q 'cannot place the injector' && ok "table says why it cannot place it" || fail "table says why it cannot place it"
kill $inj; wait $inj 2>/dev/null

# the gfw preset: the mirroring one is set aside, the others place it at hop 2
start_injector --preset gfw || fail "injector starts"
out=$(loc --json $SINK www.example.com)
echo "$out" | jq -e '.hop == 2 and .untrusted_mirroring == true and ([.injectors[] | select(.mirrors_ttl)] | length) == 1' >/dev/null \
	&& ok "gfw preset: hop 2 from the injectors that do not mirror" || fail "gfw preset: hop 2 from the injectors that do not mirror" "$out"
# a .cn name draws nothing
out=$(loc --json $SINK www.example.cn)
echo "$out" | jq -e '.hop == null and (.injectors | length) == 0' >/dev/null && ok "no forged reply for .cn" || fail "no forged reply for .cn" "$out"
err=$("$DNSWATCH" locate --lab nolab --from client $SINK a.com 2>&1); rc=$?
[ $rc = 1 ] && echo "$err" | grep -q "lab 'nolab' has no host 'client'" && ok "a lab that is not up: one line" || fail "a lab that is not up: one line" "$err"
done_testing
