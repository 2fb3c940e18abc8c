#!/bin/bash
# dnswatch guard in the lab (docs/guard.md): during the 2014 replay (at
# 1s=3min) a client on the lab's client host resolves names of the answer
# key through the guard, upstream the public resolver across the border
# (plain UDP, which the wall injects on), next to a client asking the same
# resolver without the guard; answers judged against the lab's answer key:
#   - through the guard: 0 forged answers served, every answer the key's;
#   - without it: forged answers, during the misfire;
#   - the guard's drops logged with their evidence, counted per check, in
#     the store (--db) and on dnswatch report's page;
#   - upstream down (an address that runs no DNS, a name the wall leaves
#     alone): SERVFAIL with EDE "upstream timed out", within the timeout;
#   - all upstreams injected and no TLS (the no-DNS address across the
#     border: only the wall answers): SERVFAIL with EDE "forged reply
#     dropped, no real reply", never the forgery;
#   - with a tls: upstream too (the public resolver's DoT, the lab CA), the
#     queries go there once the plain path is judged injected: every answer
#     the key's;
#   - a forgery served unverified (a path never calibrated, --no-layout)
#     and cached is purged when a reply dropped for its name holds its
#     address, and the name is asked upstream again.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test gl "guard lab tests"
need_tools "guard lab tests" jq dig sqlite3
g=
rp=
cleanup() {
	[ -n "$g" ] && kill -TERM "$g" 2>/dev/null && wait "$g" 2>/dev/null
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	_lab_test_cleanup
}
trap cleanup EXIT
"$DNSWATCH" lab --name "$LAB" up --names com=60,net=20,org=20,cn=30 >"$tmp/up" 2>&1 ||
	{ fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
# the calibration name: a .cn name, which the 2014 rules leave alone
cal=$(awk -F'\t' '$2 == "A" && $1 ~ /\.cn\.$/ { print $1; exit }' "$key")
awk -F'\t' '$2 == "A" && $1 !~ /\.cn\.$/ { print substr($1, 1, length($1) - 1) }' "$key" > "$tmp/names"

# start_guard LOG UPSTREAM [OPTIONS...]: the guard on the client host, 127.0.0.1:5353
start_guard() {
	local log=$1 up=$2
	shift 2
	"$DNSWATCH" guard --lab "$LAB" --on client --listen 127.0.0.1:5353 --upstream "$up" \
		--log "$tmp/$log.drops" "$@" >"$tmp/$log.json" 2>"$tmp/$log.err" &
	g=$!
	for _ in $(seq 50); do grep -q serving "$tmp/$log.err" && return 0; sleep 0.1; done
	return 1
}
stop_guard() { kill -TERM "$g"; wait "$g"; local rc=$?; g=; return $rc; }
probe() {
	"$DNSWATCH" probe --lab "$LAB" --from client --control-key "$key" --hold 300 --timeout 2500 \
		--retries 0 --target guard=resolver:127.0.0.1:5353 --target public "$tmp/names"
}

# ---- the 2014 replay ---------------------------------------------------------
start_guard r2014 udp:198.19.8.8 --calibrate "$cal" --calibrate-every 2000 --max-ttl 1 --db "$tmp/g.db" ||
	fail "guard starts" "$(cat "$tmp/r2014.err")"
"$DNSWATCH" lab --name "$LAB" replay "$DW_ROOT/lab/scenarios/2014.scenario" --scale 1s=3min \
	--events "$tmp/rp.ev" >"$tmp/rp.out" 2>&1 &
rp=$!
# rounds of lookups until the replay is over (each round every name, through
# both); --max-ttl 1 lets the guard keep an answer one second only, so that
# every round meets the wall
rounds=0
while kill -0 $rp 2>/dev/null && [ $rounds -lt 12 ]; do
	probe >>"$tmp/res.ndjson" 2>>"$tmp/probe.err"
	rounds=$((rounds + 1))
done
wait $rp
rc=$?
rp=
[ $rc = 0 ] && ok "2014 replay ran ($rounds rounds of lookups)" || fail "2014 replay" "$(tail -3 "$tmp/rp.out")"
stop_guard || fail "guard exits 0 on SIGTERM" "$(cat "$tmp/r2014.err")"
count() { jq -r --arg t "$1" --arg v "$2" 'select(.target.label == $t and .verdict == $v) | .name' "$tmp/res.ndjson" | wc -l; }
total=$(jq -r 'select(.target.label == "guard") | .name' "$tmp/res.ndjson" | wc -l)
gforged=$(( $(count guard injected) + $(count guard poisoned) ))
gok=$(count guard ok)
pforged=$(( $(count public injected) + $(count public poisoned) ))
[ "$total" -ge 200 ] && [ "$gforged" = 0 ] && ok "through the guard: 0 forged answers served in $total lookups" ||
	fail "through the guard: 0 forged" "$gforged forged of $total"
[ "$gok" = "$total" ] && ok "through the guard: every answer the key's ($gok of $total)" ||
	fail "through the guard: every answer the key's" "$(jq -r 'select(.target.label == "guard") | .verdict' "$tmp/res.ndjson" | sort | uniq -c | paste -sd' ')"
[ "$pforged" -gt 0 ] && ok "without the guard: $pforged forged answers from the same resolver" ||
	fail "without the guard: forged answers" "none: did the misfire run?"
j=$(tail -1 "$tmp/r2014.json")
jq -e '.dropped > 0 and .dropped_by.rtt > 0 and .dropped_by.layout > 0 and .answered > 0 and .calibration_samples >= 2 and .upstreams[0].ready' <<<"$j" >/dev/null &&
	ok "counters at exit: $(jq -r '"\(.dropped) replies dropped (rtt \(.dropped_by.rtt), layout \(.dropped_by.layout), ttl \(.dropped_by.ttl), group \(.dropped_by.group)), \(.cache_hits) cache hits"' <<<"$j")" ||
	fail "counters at exit" "$j"
# the log's drop events (it has the forged names' answer events too)
jq -c 'select(.event == "drop")' "$tmp/r2014.drops" > "$tmp/r2014.drops.only"
[ "$(wc -l < "$tmp/r2014.drops.only")" = "$(jq .dropped <<<"$j")" ] &&
	jq -e -s 'all((.failed | length > 0) and (.evidence | length > 0) and .addrs == ["65.49.2.178"])' "$tmp/r2014.drops.only" >/dev/null &&
	ok "every drop logged with its evidence, each the forged address" || fail "drop log" "$(head -2 "$tmp/r2014.drops")"
rows=$(sqlite3 "$tmp/g.db" "SELECT count(*), count(DISTINCT addrs), min(length(failed) > 0) FROM guard_drops" 2>&1)
# report reads a store with a run in it: a few names probed into the same file
head -5 "$tmp/names" > "$tmp/names5"
"$DNSWATCH" probe --lab "$LAB" --from client --control-key "$key" --hold 100 --timeout 1000 --retries 0 \
	--target public --db "$tmp/g.db" "$tmp/names5" >"$tmp/p5.out" 2>&1
"$DNSWATCH" report "$tmp/g.db" -o "$tmp/g.html" >"$tmp/rep.out" 2>&1
[ "$rows" = "$(jq .dropped <<<"$j")|1|1" ] && grep -q "Replies the guard dropped" "$tmp/g.html" && grep -q "65.49.2.178" "$tmp/g.html" &&
	ok "--db: every drop in the store's guard_drops table, and in dnswatch report's page" ||
	fail "--db and report" "rows $rows; $(cat "$tmp/p5.out" "$tmp/rep.out")"

# ---- upstream down -------------------------------------------------------------
lab_dig() { "$DNSWATCH" lab --name "$LAB" exec client dig +tries=1 +time=6 -p 5353 @127.0.0.1 "$@"; }
start_guard down udp:198.19.55.55 --timeout 1500 || fail "guard starts (upstream down)"
t0=$(date +%s%N)
out=$(lab_dig "${cal%.}")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q "status: SERVFAIL" <<<"$out" && grep -q "EDE: 22.*upstream timed out" <<<"$out" && [ $ms -lt 3000 ] &&
	ok "upstream down: SERVFAIL with EDE 22 'upstream timed out' in $ms ms" || fail "upstream down" "$ms ms: $out"
stop_guard || fail "guard exits 0 (upstream down)"

# ---- every upstream injected, no TLS ---------------------------------------------
"$DNSWATCH" inject --lab "$LAB" --busy-poll --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" \
	>"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
start_guard inj udp:198.19.55.55 --timeout 1500 || fail "guard starts (injected)"
name=$(head -1 "$tmp/names")
out=$(lab_dig "$name")
direct=$("$DNSWATCH" lab --name "$LAB" exec client dig +tries=1 +time=3 +short @198.19.55.55 "$name")
grep -q "status: SERVFAIL" <<<"$out" && grep -q "forged reply dropped, no real reply" <<<"$out" && ! grep -q 65.49.2.178 <<<"$out" &&
	[ "$direct" = 65.49.2.178 ] &&
	ok "only the wall answers: SERVFAIL with EDE 'forged reply dropped, no real reply', never the forgery (asked directly: $direct)" ||
	fail "only the wall answers" "$out / direct: $direct"
# the bad input on the client side: counted, no crash
"$DNSWATCH" lab --name "$LAB" exec client bash -c 'printf "\001\002\003" > /dev/udp/127.0.0.1/5353; printf "\377\377junk" > /dev/tcp/127.0.0.1/5353' 2>/dev/null
sleep 0.3
kill -USR1 $g
sleep 0.3
j=$(head -1 "$tmp/inj.json")
jq -e '.malformed >= 1 and .oversized >= 1 and .servfail_forged >= 1' <<<"$j" >/dev/null &&
	ok "garbage on UDP and an oversized TCP length: counted drops, no crash; counters on SIGUSR1" || fail "bad input counted" "$j"
stop_guard || fail "guard exits 0 (injected)"

# ---- the encrypted fallback: the same plain path, and the public resolver's DoT --
head -30 "$tmp/names" > "$tmp/names30"
start_guard tls udp:198.19.55.55 --upstream tls:198.19.8.8#resolver.lab --ca "/run/dnswatch/$LAB/ca.pem" \
	--timeout 3000 || fail "guard starts (fallback)" "$(cat "$tmp/tls.err")"
"$DNSWATCH" probe --lab "$LAB" --from client --control-key "$key" --hold 300 --timeout 3500 --retries 0 \
	--rate 50 --target guard=resolver:127.0.0.1:5353 "$tmp/names30" >"$tmp/tls.ndjson" 2>"$tmp/tls.perr"
stop_guard || fail "guard exits 0 (fallback)"
j=$(tail -1 "$tmp/tls.json")
okn=$(jq -r 'select(.verdict == "ok") | .name' "$tmp/tls.ndjson" | wc -l)
[ "$okn" = 30 ] && jq -e '.fallbacks >= 30 and .dropped > 0 and .servfail == 0' <<<"$j" >/dev/null &&
	ok "TLS fallback while the plain path is injected: 30 of 30 answers the key's ($(jq .fallbacks <<<"$j") queries over DoT)" ||
	fail "TLS fallback" "$okn ok; $(jq -c '{fallbacks, dropped, servfail, upstream_errors}' <<<"$j")"

# ---- a forged answer served unverified, then purged ----------------------------------
# Two upstreams: the no-DNS address (only the wall answers: its path is never
# calibrated, so a forgery there, laid out like a reply with --no-layout, is
# served unverified once the 50 ms window ends) and the public resolver
# (calibrated: the wall's replies on it fail the RTT check and are dropped).
# A name's A answer, forged, is served and cached; its AAAA lookup draws
# the wall's A record again, dropped on the calibrated path: the cached
# answer holding that address is purged, and the next A lookup goes upstream.
start_guard purge udp:198.19.55.55 --upstream udp:198.19.8.8 --calibrate "$cal" --no-layout \
	--window 50 --timeout 1500 --db "$tmp/purge.db" || fail "guard starts (purge)" "$(cat "$tmp/purge.err")"
counters() { kill -USR1 "$g"; sleep 0.3; tail -1 "$tmp/purge.json"; }
for _ in $(seq 30); do [ "$(counters | jq '.upstreams[1].ready')" = true ] && break; done
name=$(sed -n 2p "$tmp/names")
a1=$(lab_dig +short "$name")
a2=$(lab_dig +short "$name")
j1=$(counters)
lab_dig "$name" AAAA >/dev/null
j2=$(counters)
lab_dig +short "$name" >/dev/null
j3=$(counters)
[ "$a1" = 65.49.2.178 ] && [ "$a2" = 65.49.2.178 ] && jq -e '.accepted_unverified >= 1 and .cache_hits == 1 and .cache_purged == 0' <<<"$j1" >/dev/null &&
	ok "before calibration of its path a forgery is served unverified and cached ($a1, then from the cache)" ||
	fail "unverified forgery served and cached" "$a1 / $a2 / $(jq -c '{accepted_unverified, cache_hits, cache_purged, dropped}' <<<"$j1")"
[ "$(jq .cache_purged <<<"$j2")" = 1 ] &&
	jq -e -s --arg n "$name." 'map(select(.event == "purge"))[0] | .qname == $n and .qtype == "A" and .addr == "65.49.2.178" and .why == "dropped"' "$tmp/purge.drops" >/dev/null &&
	ok "the same address in a dropped reply for the name: the cached answer purged, logged (name, A, 65.49.2.178, dropped)" ||
	fail "purge on a drop" "$(jq -c '{cache_purged, dropped}' <<<"$j2"); $(grep purge "$tmp/purge.drops")"
# (its AAAA answer, the wall's A record served unverified and cached too,
# goes when the A lookup draws the wall again)
[ "$(jq .cache_hits <<<"$j3")" = 1 ] && [ "$(jq .cache_misses <<<"$j3")" -gt "$(jq .cache_misses <<<"$j2")" ] &&
	[ "$(jq .cache_purged <<<"$j3")" = 2 ] &&
	ok "after the purge the name is asked upstream again, not served from the cache" ||
	fail "after the purge" "$(jq -c '{cache_hits, cache_misses, cache_purged}' <<<"$j3")"
stop_guard || fail "guard exits 0 (purge)"
# --db: each purge a row of guard_purges, and the report's guard section shows them
prows=$(sqlite3 "$tmp/purge.db" "SELECT count(*), sum(qtype = 'A' AND qname = '$name.' AND addr = '65.49.2.178' AND why = 'dropped'), min(qname = '$name.') FROM guard_purges" 2>&1)
"$DNSWATCH" probe --lab "$LAB" --from client --control-key "$key" --hold 100 --timeout 1000 --retries 0 \
	--target public --db "$tmp/purge.db" "$tmp/names5" >"$tmp/pp5.out" 2>&1
"$DNSWATCH" report "$tmp/purge.db" -o "$tmp/purge.html" >"$tmp/prep.out" 2>&1
[ "$prows" = "2|1|1" ] && grep -q "Cached answers purged" "$tmp/purge.html" && grep -q "<code>$name.</code></td><td class=\"num\">2<" "$tmp/purge.html" &&
	ok "--db: both purges in the store's guard_purges table (the A answer: name, 65.49.2.178, dropped), and in the report's guard section" ||
	fail "--db: purges in the store and the report" "rows $prows; $(cat "$tmp/pp5.out" "$tmp/prep.out"; grep -o 'Cached answers purged.*' "$tmp/purge.html" | head -c 600)"
kill "$inj" && wait "$inj"
inj=
done_testing
