#!/bin/bash
# dnswatch inject end to end on two namespaces of its own (a client and an
# injector host whose address runs no DNS server): fingerprints as seen at the
# client, actions, the control socket, hot swaps, the schedule and counters.
# Needs root. Cleans up after itself whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "inject tests"

T=dw-ij$$
C=$T-client B=$T-border
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del $C 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add $C && ip netns add $B &&
ip link add c0 netns $C type veth peer name b0 netns $B &&
ip -n $C addr add 198.18.251.1/24 dev c0 && ip -n $B addr add 198.18.251.2/24 dev b0 &&
ip -n $C link set c0 up && ip -n $B link set b0 up && ip -n $C link set lo up &&
# no DNS server, and no ICMP port unreachable either: only an injector answers
ip netns exec $B iptables -A INPUT -p udp --dport 53 -j DROP || { fail "set up namespaces"; exit 1; }
NODNS=198.18.251.2

q() { # q NAME [dig options]: the A answers, one per line, or nothing
	local n=$1; shift
	ip netns exec $C dig @$NODNS "$n" +tries=1 +time=1 +short "$@" 2>/dev/null | grep -v '^;'
}
start_injector() { # args...; waits until it captures
	ip netns exec $B "$DNSWATCH" inject "$@" >"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!
	pids+=($inj)
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	return 1
}
stop_injector() { kill -TERM "$inj"; wait "$inj"; }
ctl() { "$DNSWATCH" inject ctl "$tmp/ctl" $1 2>&1 || true; }

# --- not in a lab host: refused -------------------------------------------------
err=$("$DNSWATCH" inject --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" --duration 1 2>&1); rc=$?
[ $rc = 1 ] && echo "$err" | grep -q 'not a dnswatch lab host' && ok "refuses to run outside a lab host" || fail "refuses to run outside a lab host" "$err"

# --- fingerprints, seen by the client ----------------------------------------
ip netns exec $C tcpdump -i c0 -w "$tmp/c.pcap" -U 'udp src port 53' 2>/dev/null &
pids+=($!); tcpd=$!
sleep 0.5
cat > "$tmp/fp.rules" <<R
pool p 10.9.0.1 10.9.0.2 10.9.0.3
*.com a=65.49.2.178
*.pool.net a=@p
*.v6.net aaaa=2001::/32
nx.org nxdomain
*.cn pass
R
start_injector --rules "$tmp/fp.rules" --log "$tmp/log" \
	--injector name=one,ttl=33,ipid=zero,df=1,answer-ttl=77,flags=copy,owner=full \
	--injector name=two,ttl=mirror+1,ipid=increment,df=0,answer-ttl=random:100-110,flags=follow,delay=20000,copies=2 \
	|| fail "injector starts" "$(cat "$tmp/inj.err")"
[ "$(q www.example.com)" = "65.49.2.178" ] && ok "forged A for a .com name" || fail "forged A for a .com name"
q www.example.com +norecurse >/dev/null
q www.gov.cn >/dev/null
q nx.org >/dev/null
for i in 1 2 3 4; do q a.pool.net; done > "$tmp/pool"
ip netns exec $C dig @$NODNS x.v6.net AAAA +tries=1 +time=1 +short > "$tmp/v6" 2>/dev/null
sleep 0.3
stop_injector
sleep 0.3; kill $tcpd; wait $tcpd 2>/dev/null
"$DNSWATCH" decode --json "$tmp/c.pcap" > "$tmp/replies.json"
one=$(jq -c 'select(.id != null and .ip_ttl == 33)' "$tmp/replies.json" | head -1)
[ -n "$one" ] && [ "$(echo "$one" | jq -r '[.ip_id, .df, .flags.aa, .flags.ra, .answer[0].ttl] | @tsv')" = $'0\ttrue\tfalse\ttrue\t77' ] \
	&& ok "injector one: IP TTL 33, IP ID 0, DF, flags copied, answer TTL 77" || fail "injector one: IP TTL 33, IP ID 0, DF, flags copied, answer TTL 77" "$one"
# owner in full: the answer's owner is not a pointer (c00c) in the raw bytes
echo "$one" | jq -r .raw | grep -q 'c00c0001' && fail "injector one: answer owner in full" || ok "injector one: answer owner in full"
# dig sends with IP TTL 64: mirror+1 gives 65
two=$(jq -c 'select(.ip_ttl == 65 and .question[0].name == "www.example.com.")' "$tmp/replies.json")
[ "$(echo "$two" | jq -s 'length')" = 4 ] && ok "injector two: 2 copies per query, IP TTL mirrored +1" || fail "injector two: 2 copies per query, IP TTL mirrored +1" "$two"
[ "$(echo "$two" | jq -s -r 'map(.df) | unique | @tsv')" = "false" ] && ok "injector two: DF clear" || fail "injector two: DF clear"
ids=$(echo "$two" | jq -s -r 'map(.ip_id) | unique | length')
[ "$ids" = 2 ] && ok "injector two: IP ID increments per reply, same in copies" || fail "injector two: IP ID increments per reply, same in copies" "ids=$ids"
[ "$(echo "$two" | jq -s -r 'map(.flags.aa) | sort | @tsv')" = $'false\tfalse\ttrue\ttrue' ] \
	&& ok "injector two: flags follow RD (0x8180 with RD, 0x8400 without)" || fail "injector two: flags follow RD"
echo "$two" | jq -e -s 'all(.answer[0].ttl >= 100 and .answer[0].ttl <= 110)' >/dev/null && ok "injector two: answer TTL in its random range" || fail "injector two: answer TTL in its random range"
# the delay: injector two's reply comes about 20 ms after injector one's
d=$(jq -s -r '[ .[] | select(.question[0].name == "www.example.com.") | .time ] | .[0:2] | @tsv' "$tmp/replies.json")
ok "delay recorded ($d)"
[ "$(jq -s '[.[] | select(.question[0].name == "www.gov.cn.")] | length' "$tmp/replies.json")" = 0 ] && ok "pass rule: .cn not answered" || fail "pass rule: .cn not answered"
jq -e -s '[.[] | select(.question[0].name == "nx.org.")] | length == 3 and all(.rcode == "NXDOMAIN" and .ancount == 0)' "$tmp/replies.json" >/dev/null \
	&& ok "nxdomain action" || fail "nxdomain action" "replies to nx.org (IP TTL, rcode, answers, time): $(jq -c 'select(.question[0].name == "nx.org.") | [.ip_ttl, .rcode, .ancount, .time]' "$tmp/replies.json" | paste -sd' ' -); injector: $(grep -c 'nx.org' "$tmp/log") log lines"
[ "$(tr '\n' ' ' < "$tmp/pool" | awk '{ for (i = 2; i <= NF; i++) { split($(i-1), a, "."); split($i, b, "."); if (b[4] != a[4] % 3 + 1) bad = 1 } } END { print bad ? "bad" : "cyclic" }')" = cyclic ] \
	&& ok "pool handed out in cyclic order per name" || fail "pool handed out in cyclic order per name" "$(cat "$tmp/pool")"
grep -q '^2001::\|^2001:0:' "$tmp/v6" && ok "AAAA from 2001::/32" || fail "AAAA from 2001::/32" "$(cat "$tmp/v6")"
# counters add up: every matched query forged by both injectors (one 1 copy, two 2 copies)
st=$(grep '"event":"exit"' "$tmp/inj.out")
m=$(echo "$st" | jq .matched); f=$(echo "$st" | jq .forged); s=$(echo "$st" | jq .sent); p=$(echo "$st" | jq .passed)
[ "$f" = "$s" ] && [ "$p" = 1 ] && [ "$(echo "$st" | jq .send_errors)" = 0 ] && [ "$(echo "$st" | jq .ring_drops)" = 0 ] \
	&& ok "counters: sent = forged ($s), 1 passed, no errors or drops" || fail "counters: sent = forged, 1 passed" "$st"
[ "$(wc -l < "$tmp/log")" -gt 0 ] && [ "$(jq -s 'map(select(.injector == "one")) | length' "$tmp/log")" = "$((m - 0))" ] \
	&& ok "log: one line per query per injector" || fail "log: one line per query per injector" "matched=$m"

# --- control socket: off, load, a bad file, stats ------------------------------
printf '*.com a=1.1.1.1\n' > "$tmp/a.rules"
printf '*.com a=2.2.2.2\n*.com bogus\n' > "$tmp/bad.rules"
start_injector --rules "$tmp/a.rules" --control "$tmp/ctl" || fail "injector starts with a control socket"
[ "$(q a.com)" = 1.1.1.1 ] && ok "rules from --rules" || fail "rules from --rules"
r=$(ctl "load $tmp/bad.rules")
[ "$r" = "error $tmp/bad.rules:2: unknown word 'bogus' (a=, aaaa=, nxdomain, noreply, pass, ttl=, qtype=, injectors=)" ] \
	&& ok "a bad rule file: its line and reason" || fail "a bad rule file: its line and reason" "$r"
[ "$(q a.com)" = 1.1.1.1 ] && ok "a bad rule file leaves the running rules" || fail "a bad rule file leaves the running rules"
mkfifo "$tmp/fifo"
r=$(timeout 5 "$DNSWATCH" inject ctl "$tmp/ctl" load "$tmp/fifo" 2>&1)
[ "$r" = "error $tmp/fifo: not a regular file" ] && [ "$(q a.com)" = 1.1.1.1 ] \
	&& ok "a FIFO named as a rule file: refused at once, the wall goes on" || fail "a FIFO named as a rule file" "$r"
r=$(ctl off); [ "$r" = "ok rules off" ] && [ -z "$(q a.com)" ] && ok "off: no more forgeries" || fail "off: no more forgeries" "$r"
printf '*.com a=2.2.2.2\n' > "$tmp/b.rules"
r=$(ctl "load $tmp/b.rules"); [ "$r" = "ok 1 rules" ] && [ "$(q a.com)" = 2.2.2.2 ] && ok "load: swapped without a restart" || fail "load: swapped without a restart" "$r"
printf '*.com a=3.3.3.3\n' > "$tmp/a.rules"
kill -HUP $inj; sleep 0.3
[ "$(q a.com)" = 3.3.3.3 ] && ok "SIGHUP re-reads --rules" || fail "SIGHUP re-reads --rules"
r=$(ctl stats); echo "$r" | jq -e '.event == "stats" and .rule_loads == 3' >/dev/null && ok "stats over the control socket" || fail "stats over the control socket" "$r"
kill -USR1 $inj; sleep 0.2
grep -q '"event":"stats"' "$tmp/inj.err" && ok "SIGUSR1 prints the counters" || fail "SIGUSR1 prints the counters"

# --- hot swap under load: no query sees a half-loaded set ----------------------
{ for i in $(seq 50000); do echo "*.zz$i.test a=9.9.9.9"; done; echo '*.com a=2.2.2.2'; } > "$tmp/big.rules"
printf '*.com a=1.1.1.1\n' > "$tmp/small.rules"
ctl "load $tmp/small.rules" >/dev/null
( for i in $(seq 6); do ctl "load $tmp/big.rules"; ctl "load $tmp/small.rules"; done ) > "$tmp/swaps" &
swapper=$!
for i in $(seq 150); do q "h$i.com"; echo "#"; done > "$tmp/answers"
wait $swapper
bad=$(grep -vcE '^(1\.1\.1\.1|2\.2\.2\.2|#)$' "$tmp/answers")
none=$(awk '/^#/{ if (!seen) n++; seen = 0; next } { seen = 1 } END { print n + 0 }' "$tmp/answers")
[ "$bad" = 0 ] && [ "$none" = 0 ] && [ "$(grep -c '^ok' "$tmp/swaps")" = 12 ] \
	&& ok "hot swap under load: every answer from a whole rule set" || fail "hot swap under load" "bad=$bad unanswered=$none swaps=$(cat "$tmp/swaps" | tr '\n' ' ')"
stop_injector

# --- the schedule: the misfire switched on, then off ---------------------------
start_injector --schedule 2:"$DW_ROOT/lab/scenarios/2014-misfire.rules" --schedule 5:off || fail "injector starts with a schedule"
t0=$(date +%s.%N)
at() { sleep "$(echo "$t0 + $1 - $(date +%s.%N)" | bc -l | sed 's/^-.*/0/')"; }
a0=$(q before.com); at 2.5; a1=$(q during.com); a1n=$(q during.example.net); a1c=$(q during.example.cn); at 5.5; a2=$(q after.com)
[ -z "$a0" ] && [ "$a1" = 65.49.2.178 ] && [ "$a1n" = 65.49.2.178 ] && [ -z "$a1c" ] && [ -z "$a2" ] \
	&& ok "schedule: the 2014 rules on at 2 s, off at 5 s; .cn untouched" || fail "schedule" "before=$a0 during=$a1/$a1n/$a1c after=$a2"
stop_injector
done_testing
