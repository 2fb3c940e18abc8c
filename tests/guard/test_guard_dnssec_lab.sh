#!/bin/bash
# dnswatch guard --trust-anchor in a signed lab (docs/guard.md, "DNSSEC"):
# `lab up --sign`, the 2014 misfire in the wall, a client on the lab's
# client host resolving every .com name of the answer key through the guard
# (upstream the public resolver across the border, plain UDP), with every
# Hold-On check off (--no-ttl --no-rtt --no-layout --no-groups --no-addrs),
# so that only DNSSEC can catch the forgeries:
#   - the same lookups straight to the resolver come back forged;
#   - through the guard: 0 forged answers served, every answer the key's;
#   - a client asking with DO gets AD and the RRSIGs; one without DO and AD
#     gets neither;
#   - dropped_by.dnssec > 0, every drop logged with "dnssec" and its evidence,
#     key fetches made and none failed;
#   - an upstream only the wall answers: SERVFAIL, never the forgery;
#   - a trust anchor that names no root key: SERVFAIL with EDE 6 (DNSSEC
#     Bogus) saying why (the real keys fail against it);
#   - a trust-anchor file that is not one: one line FILE:LINE: reason, exit 2.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test gd "guard DNSSEC lab tests"
need_tools "guard DNSSEC lab tests" jq dig
g=
cleanup() {
	[ -n "$g" ] && kill -TERM "$g" 2>/dev/null && wait "$g" 2>/dev/null
	_lab_test_cleanup
}
trap cleanup EXIT

# ---- a trust anchor that is not one ---------------------------------------------
printf '; not an anchor\nexample. 300 IN A 192.0.2.1\n' > "$tmp/bad.ta"
"$DNSWATCH" guard --listen 127.0.0.1:5399 --upstream udp:127.0.0.1 --trust-anchor "$tmp/bad.ta" \
	>/dev/null 2>"$tmp/bad.err"
rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$tmp/bad.err")" = 1 ] && grep -q "$tmp/bad.ta:2: a DS or DNSKEY record expected" "$tmp/bad.err" &&
	ok "a bad --trust-anchor file: one line FILE:LINE: reason, exit 2" || fail "bad trust anchor" "rc $rc: $(cat "$tmp/bad.err")"

"$DNSWATCH" lab --name "$LAB" up --sign --names com=60,net=10,org=10,cn=10 >"$tmp/up" 2>&1 ||
	{ fail "signed lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
ta=/run/dnswatch/$LAB/trust-anchor.ds
awk -F'\t' '$2 == "A" && $1 ~ /\.com\.$/ { print substr($1, 1, length($1) - 1) }' "$key" > "$tmp/names"

"$DNSWATCH" inject --lab "$LAB" --busy-poll --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" \
	>"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done

# start_guard LOG UPSTREAM [OPTIONS...]: the guard on the client host, 127.0.0.1:5353,
# validating, with only the dnssec check on
start_guard() {
	local log=$1 up=$2
	shift 2
	"$DNSWATCH" guard --lab "$LAB" --on client --listen 127.0.0.1:5353 --upstream "$up" \
		--trust-anchor "$ta" --no-ttl --no-rtt --no-layout --no-groups --no-addrs \
		--log "$tmp/$log.drops" "$@" >"$tmp/$log.json" 2>"$tmp/$log.err" &
	g=$!
	for _ in $(seq 50); do grep -q serving "$tmp/$log.err" && return 0; sleep 0.1; done
	return 1
}
stop_guard() { kill -TERM "$g"; wait "$g"; local rc=$?; g=; return $rc; }

# ---- names under injection, through the guard ------------------------------------
# --max-ttl 1: an answer is kept a second, so that every round meets the wall
start_guard sig udp:198.19.8.8 --max-ttl 1 || fail "guard starts" "$(cat "$tmp/sig.err")"
grep -q "validating DNSSEC" "$tmp/sig.err" && ok "the guard says it validates" || fail "guard banner" "$(cat "$tmp/sig.err")"
for round in 1 2 3; do
	"$DNSWATCH" probe --lab "$LAB" --from client --control-key "$key" --hold 300 --timeout 2500 \
		--retries 0 --target guard=resolver:127.0.0.1:5353 --target public "$tmp/names" \
		>>"$tmp/res.ndjson" 2>>"$tmp/probe.err"
	sleep 1.1
done
count() { jq -r --arg t "$1" --arg v "$2" 'select(.target.label == $t and .verdict == $v) | .name' "$tmp/res.ndjson" | wc -l; }
total=$(jq -r 'select(.target.label == "guard") | .name' "$tmp/res.ndjson" | wc -l)
gforged=$(( $(count guard injected) + $(count guard poisoned) ))
gok=$(count guard ok)
pforged=$(( $(count public injected) + $(count public poisoned) ))
[ "$pforged" -gt 0 ] && ok "without the guard: $pforged forged answers from the same resolver" ||
	fail "without the guard: forged answers" "none: is the wall up? $(tail -2 "$tmp/inj.err")"
[ "$total" -ge 150 ] && [ "$gforged" = 0 ] && ok "through the validating guard: 0 forged answers served in $total lookups" ||
	fail "through the guard: 0 forged" "$gforged forged of $total"
[ "$gok" = "$total" ] && ok "through the validating guard: every answer the key's ($gok of $total)" ||
	fail "through the guard: every answer the key's" "$(jq -r 'select(.target.label == "guard") | .verdict' "$tmp/res.ndjson" | sort | uniq -c | paste -sd' ')"

# ---- AD and the DNSSEC records, per client ------------------------------------------
lab_dig() { "$DNSWATCH" lab --name "$LAB" exec client dig +tries=1 +time=4 -p 5353 @127.0.0.1 "$@"; }
ad=0 plain=0
for n in $(head -5 "$tmp/names"); do
	want=$(awk -F'\t' -v n="$n." '$1 == n && $2 == "A" { print $3 }' "$key" | tr ',' '\n' | sort | paste -sd,)
	out=$(lab_dig +dnssec "$n")
	got=$(awk '$4 == "A" { print $5 }' <<<"$out" | sort | paste -sd,)
	grep -q "flags: qr rd ra ad;" <<<"$out" && grep -qE "IN[[:space:]]+RRSIG[[:space:]]+A " <<<"$out" &&
		[ "$got" = "$want" ] && ad=$((ad + 1))
	out=$(lab_dig +noadflag "$n")
	got=$(awk '$4 == "A" { print $5 }' <<<"$out" | sort | paste -sd,)
	grep -q "flags: qr rd ra;" <<<"$out" && ! grep -q RRSIG <<<"$out" && ! grep -qE "flags:.* do;" <<<"$out" &&
		[ "$got" = "$want" ] && plain=$((plain + 1))
done
[ $ad = 5 ] && ok "a client with DO gets AD and the RRSIGs (5 of 5, answers the key's)" ||
	fail "AD for a DO client" "$ad of 5: $(lab_dig +dnssec "$(head -1 "$tmp/names")")"
[ $plain = 5 ] && ok "a client without DO and AD gets neither AD nor RRSIG nor DO (5 of 5)" ||
	fail "no AD, no RRSIG without DO" "$plain of 5: $(lab_dig +noadflag "$(head -1 "$tmp/names")")"
stop_guard || fail "guard exits 0 on SIGTERM" "$(cat "$tmp/sig.err")"
j=$(tail -1 "$tmp/sig.json")
jq -e '.dropped > 0 and .dropped_by.dnssec == .dropped and .dnssec_secure > 0 and .key_fetches > 0 and .key_fetch_failed == 0 and .servfail == 0' <<<"$j" >/dev/null &&
	ok "counters: $(jq -r '"\(.dropped_by.dnssec) replies dropped as DNSSEC bogus, \(.dnssec_secure) validated, \(.key_fetches) key fetches, \(.dnssec_store) zones and names in the store"' <<<"$j")" ||
	fail "counters at exit" "$j"
# the log's drop events (it has the forged names' answer events too)
jq -c 'select(.event == "drop")' "$tmp/sig.drops" > "$tmp/sig.drops.only"
[ "$(wc -l < "$tmp/sig.drops.only")" = "$(jq .dropped <<<"$j")" ] &&
	jq -e -s 'all(.failed == ["dnssec"] and (.evidence | startswith("dnssec: ")) and .addrs == ["65.49.2.178"])' "$tmp/sig.drops.only" >/dev/null &&
	ok "every drop logged: failed [\"dnssec\"], its evidence, the forged address ($(jq -r .evidence "$tmp/sig.drops.only" | sed 's/ for .*//' | sort | uniq -c | sort -rn | head -1 | sed 's/^ *//'))" ||
	fail "drop log" "$(head -2 "$tmp/sig.drops")"

# ---- every reply the wall's (the outside no-DNS address) --------------------------------
start_guard wall udp:198.19.55.55 --timeout 1500 || fail "guard starts (only the wall)"
name=$(sed -n 3p "$tmp/names")
out=$(lab_dig "$name")
grep -q "status: SERVFAIL" <<<"$out" && ! grep -q 65.49.2.178 <<<"$out" && grep -qE "EDE: (6|9) " <<<"$out" &&
	ok "only the wall answers: SERVFAIL with $(grep -oE 'EDE: [0-9]+ \([^)]*\)' <<<"$out"), never the forgery" ||
	fail "only the wall answers" "$out"
stop_guard || fail "guard exits 0 (only the wall)"

# ---- a trust anchor that names no key of the root: nothing validates --------------------
printf '. 3600 IN DS 4242 13 2 %s\n' "$(printf '%064d' 0)" > "$tmp/wrong.ta"
"$DNSWATCH" guard --lab "$LAB" --on client --listen 127.0.0.1:5353 --upstream udp:198.19.8.8 \
	--trust-anchor "$tmp/wrong.ta" --timeout 1500 --log "$tmp/wrong.drops" >"$tmp/wrong.json" 2>"$tmp/wrong.err" &
g=$!
for _ in $(seq 50); do grep -q serving "$tmp/wrong.err" && break; sleep 0.1; done
cn=$(awk -F'\t' '$2 == "A" && $1 ~ /\.cn\.$/ { print $1; exit }' "$key")
out=$(lab_dig "$cn")
grep -q "status: SERVFAIL" <<<"$out" && grep -q "EDE: 6 (DNSSEC Bogus)" <<<"$out" &&
	grep -q "no DNSKEY of . matches its DS or anchor" <<<"$out" &&
	ok "a wrong trust anchor: SERVFAIL with EDE 6 (DNSSEC Bogus) saying why, the real root keys dropped" ||
	fail "wrong trust anchor" "$out"
stop_guard || fail "guard exits 0 (wrong anchor)"
done_testing
