#!/bin/bash
# dnswatch probe when the reply arrives in IP fragments: two namespaces of
# this test's own joined by a veth of MTU 576, a responder of ours
# (frag_responder.py) answering with a 1050-byte TXT record (a reply of
# 1095 bytes), which the kernel sends as two IPv4 fragments. The probe must reassemble and keep
# the reply, say so in its summary, and its --pcap hold the fragments that
# decode puts back together; then a forged reply racing ahead of the
# fragmented real one; then a target on port 10053 (issue 12's defect: the
# capture let in only replies from port 53). Needs root; removes its
# namespaces whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "probe: a fragmented reply"
need_tools "probe: a fragmented reply" ip python3 jq
a=dwfa$$ b=dwfb$$ resp=
tmp=$(mktemp -d)
cleanup() {
	[ -n "$resp" ] && kill "$resp" 2>/dev/null && wait "$resp" 2>/dev/null
	ip netns del $a 2>/dev/null
	ip netns del $b 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $a && ip netns add $b &&
	ip link add va$$ netns $a type veth peer name vb$$ netns $b &&
	ip -n $a addr add 198.18.250.1/30 dev va$$ && ip -n $b addr add 198.18.250.2/30 dev vb$$ &&
	ip -n $a link set va$$ mtu 576 up && ip -n $b link set vb$$ mtu 576 up &&
	ip -n $a link set lo up && ip -n $b link set lo up ||
	{ fail "namespaces and a veth of MTU 576"; exit 1; }
ip netns exec $b python3 "$DW_ROOT/tests/probe/frag_responder.py" 198.18.250.2 >"$tmp/resp.log" 2>&1 &
resp=$!
for _ in $(seq 50); do grep -q ready "$tmp/resp.log" && break; sleep 0.1; done
grep -q ready "$tmp/resp.log" || { fail "responder starts" "$(cat "$tmp/resp.log")"; exit 1; }

echo big.example.com > "$tmp/names"
ip netns exec $a "$DNSWATCH" probe --target far=auth:198.18.250.2 -t TXT --hold 300 --timeout 1000 \
	--retries 1 --pcap "$tmp/probe.pcap" "$tmp/names" >"$tmp/out.ndjson" 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && ok "probe runs, exit 0" || fail "probe runs, exit 0" "rc=$rc $(cat "$tmp/err")"
[ "$(jq -r '[.verdict != "timeout", (.replies | length), .replies[0].ip_ttl, .replies[0].df] | @tsv' "$tmp/out.ndjson")" = $'true\t1\t64\tfalse' ] \
	&& ok "the fragmented reply is kept, with the first fragment's TTL and DF" || fail "the fragmented reply is kept" "$(cat "$tmp/out.ndjson")"
jq -e '.replies[0] | .parsed and .len == 1095 and .ancount == 1 and .answer_ttl == 300' "$tmp/out.ndjson" >/dev/null \
	&& ok "its TXT answer read whole" || fail "its TXT answer read whole" "$(cat "$tmp/out.ndjson")"
grep -q ', 1 fragmented replies reassembled' "$tmp/err" \
	&& ok "summary: 1 fragmented replies reassembled" || fail "summary: fragmented replies" "$(cat "$tmp/err")"
out=$("$DNSWATCH" decode "$tmp/probe.pcap" 2>&1)
echo "$out" | grep -q 'IP TTL 64, IP ID [0-9]*, message 2, 1095 bytes (reassembled from 2 IP fragments)$' \
	&& ok "--pcap holds the two fragments, decode reassembles them" || fail "--pcap holds the fragments" "$out"

# The race the prober exists for: a forged reply, small and whole, first;
# the real one behind it, in fragments. Both are kept, in their order.
kill "$resp" 2>/dev/null; wait "$resp" 2>/dev/null
ip netns exec $b python3 "$DW_ROOT/tests/probe/frag_responder.py" 198.18.250.2 forge >"$tmp/resp2.log" 2>&1 &
resp=$!
for _ in $(seq 50); do grep -q ready "$tmp/resp2.log" && break; sleep 0.1; done
ip netns exec $a "$DNSWATCH" probe --target far=auth:198.18.250.2 -t TXT --hold 300 --timeout 1000 \
	--retries 1 "$tmp/names" >"$tmp/race.ndjson" 2>"$tmp/race.err"; rc=$?
[ $rc = 0 ] && ok "probe runs against a forger, exit 0" || fail "probe runs against a forger" "rc=$rc $(cat "$tmp/race.err")"
[ "$(jq -r '[(.replies | length), .replies[0].ip_ttl, .replies[0].len, .replies[1].ip_ttl, .replies[1].len, .replies[1].answer_ttl] | @tsv' "$tmp/race.ndjson")" = $'2\t200\t52\t64\t1095\t300' ] \
	&& ok "the forged reply first, the fragmented real reply behind it, both kept" \
	|| fail "the forged reply first, the fragmented real one behind it" "$(cat "$tmp/race.ndjson")"
grep -q ', 1 fragmented replies reassembled' "$tmp/race.err" \
	&& ok "summary: the real reply reassembled behind the forged one" || fail "summary after the race" "$(cat "$tmp/race.err")"

# A target on a port other than 53 (a test resolver, a stub, a proxy): its
# replies come from that port, and the capture must let them in.
kill "$resp" 2>/dev/null; wait "$resp" 2>/dev/null
ip netns exec $b python3 "$DW_ROOT/tests/probe/frag_responder.py" 198.18.250.2 small 10053 >"$tmp/resp3.log" 2>&1 &
resp=$!
for _ in $(seq 50); do grep -q ready "$tmp/resp3.log" && break; sleep 0.1; done
ip netns exec $a "$DNSWATCH" probe --target far=auth:198.18.250.2:10053 -t TXT --hold 100 --timeout 1000 \
	--retries 1 "$tmp/names" >"$tmp/port.ndjson" 2>"$tmp/port.err"; rc=$?
[ "$rc/$(jq -r '[.verdict != "timeout", (.replies | length), .replies[0].sport] | @tsv' "$tmp/port.ndjson")" = $'0/true\t1\t10053' ] \
	&& ok "a target on port 10053: its reply recorded" \
	|| fail "a target on port 10053: its reply recorded" "rc=$rc $(cat "$tmp/port.ndjson" "$tmp/port.err")"
done_testing
