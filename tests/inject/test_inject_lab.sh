#!/bin/bash
# The 2014 misfire in the lab: the wall at the border, the scenario's rules
# switched on and off at run time, the ISP resolver's cache tail, the public
# resolver forged on the path, .cn untouched, the no-DNS address answered only
# while the rule is on. Needs root; takes its own lab down whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test ij "lab tests"
"$DNSWATCH" lab --name $LAB up --names com=60,net=20,org=20,cn=40 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
ISP=198.18.1.1 PUBLIC=198.19.8.8 NODNS=198.18.55.55
ctl() { "$DNSWATCH" inject ctl "$tmp/ctl" "$@"; }
ask() { # HOST SERVER NAME: the A answers, sorted, comma-separated
	"$DNSWATCH" lab --name $LAB exec "$1" dig +short +tries=1 +time=2 @"$2" "$3" A 2>/dev/null | grep -v '^;' | sort | paste -sd, -
}
expected() { awk -F'\t' -v n="$1." '$1 == n && $2 == "A" { print $3 }' "$key" | tr ',' '\n' | sort | paste -sd, -; }
pick() { awk -F'\t' -v t="$1" '$2 == "A" && $1 ~ ("\\." t "\\.$") { print substr($1, 1, length($1) - 1) }' "$key" | sed -n "${2}p"; }

"$DNSWATCH" inject --lab $LAB --busy-poll --injector name=gfw,answer-ttl=3600 --control "$tmp/ctl" \
	--log "$tmp/log" >"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
grep -q 'capturing on dwij' "$tmp/inj.err" && ok "the wall runs in the lab's border" || fail "the wall runs in the lab's border" "$(cat "$tmp/inj.err")"

com1=$(pick com 1) com2=$(pick com 2) com3=$(pick com 3) net1=$(pick net 1) org1=$(pick org 1) cn1=$(pick cn 1) cn2=$(pick cn 2)
[ "$(ask client $ISP "$com1")" = "$(expected "$com1")" ] && ok "rules off: the real answer" || fail "rules off: the real answer"

r=$(ctl load "$DW_ROOT/lab/scenarios/2014-misfire.rules")
[ "$r" = "ok 3 rules" ] && ok "the 2014 rules switched on at run time" || fail "the 2014 rules switched on at run time" "$r"
[ "$(ask client $ISP "$com2")" = 65.49.2.178 ] && ok "uncached .com through the ISP resolver: 65.49.2.178" || fail "uncached .com through the ISP resolver"
[ "$(ask client $ISP "$net1")" = 65.49.2.178 ] && [ "$(ask client $ISP "$org1")" = 65.49.2.178 ] && ok ".net and .org forged too" || fail ".net and .org forged too"
[ "$(ask client $PUBLIC "$com2")" = 65.49.2.178 ] && ok "the same name through the clean public resolver: forged on the path" || fail "the same name through the clean public resolver"
[ "$(ask client $ISP "$cn1")" = "$(expected "$cn1")" ] && ok ".cn untouched: its servers are inside the border" || fail ".cn untouched"
[ "$(ask remote $NODNS "$com3")" = 65.49.2.178 ] && ok "the no-DNS address answers only through the injector" || fail "the no-DNS address answers only through the injector"

r=$(ctl off)
[ "$(ask client $ISP "$com2")" = 65.49.2.178 ] && ok "rule off: the ISP resolver keeps serving the forgery (cache tail)" || fail "rule off: cache tail"
[ -z "$(ask remote $NODNS "$com3")" ] && ok "rule off: the no-DNS address is silent" || fail "rule off: the no-DNS address is silent"
[ "$(ask client $ISP "$com3")" = "$(expected "$com3")" ] && ok "rule off: uncached names resolve again" || fail "rule off: uncached names resolve again"
unbound-control -c /run/dnswatch/$LAB/srv/isp/unbound.conf flush_zone . >/dev/null 2>&1
[ "$(ask client $ISP "$com2")" = "$(expected "$com2")" ] && ok "after the flush: the real answer again" || fail "after the flush: the real answer again"
[ "$(ask client $ISP "$cn2")" = "$(expected "$cn2")" ] && ok "and .cn still fine" || fail "and .cn still fine"

kill -TERM $inj; wait $inj; inj=
st=$(grep '"event":"exit"' "$tmp/inj.out")
echo "$st" | jq -e '.forged == .sent and .send_errors == 0 and .ring_drops == 0 and .forged >= 6' >/dev/null \
	&& ok "counters add up ($(echo "$st" | jq -c '{queries,matched,forged,sent}'))" || fail "counters add up" "$st"
[ "$(jq -s 'map(.qname) | map(select(endswith(".cn."))) | length' "$tmp/log")" = 0 ] && ok "the injector's log: no .cn name" || fail "the injector's log: no .cn name"
done_testing
