#!/bin/bash
# dnswatch census figures in the lab (bench/RESULTS.md, "census"):
#   1. rate: 1,000,000 names (the seeded blocklist's victims among random
#      innocent names) through the wall (the gfw preset, 11,000 rules of every
#      kind) towards the no-DNS address: names/s and the forged replies kept
#      against the wall's own count;
#   2. inference: 2,200 seeded rules, their victims among 100,000 innocent
#      names, census over A and AAAA with --infer: precision and recall of the
#      rules as rules; the inferred file in a second wall against a fresh list:
#      the same censored (name, type) pairs;
#   3. pools: a 600-address pool recovered from 1,200 queries.
#   bench/census/run.sh BUILD_DIR      (RATE=150000, THREADS=1 by default; needs root)
set -u
build=${1:?usage: bench/census/run.sh BUILD_DIR}
[ "$(id -u)" = 0 ] || { echo "bench/census: needs root"; exit 1; }
B=$build/dnswatch T=$build/bench/tool_seed
RATE=${RATE:-150000}
THREADS=${THREADS:-1}   # prober threads for the rate run (census --threads)
LAB=bc$(( $$ % 100000 ))
tmp=$(mktemp -d)
inj=
cleanup() {
	[ -n "$inj" ] && kill "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
	"$B" lab --name $LAB down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
wall() {
	"$B" inject --lab $LAB --busy-poll --preset gfw --rules "$1" >"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!
	for _ in $(seq 100); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	echo "bench/census: the wall did not start: $(cat "$tmp/inj.err")"; exit 1
}
unwall() { kill -TERM "$inj"; wait "$inj"; inj=; }
census() { "$B" census --lab $LAB --from client "$@"; }

"$B" lab --name $LAB up --names com=20,net=5,org=5,cn=10 --delay-ms 0 >"$tmp/up" 2>&1 || { cat "$tmp/up"; exit 1; }
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. rate -------------------------------------------------------------------------
if [ -z "${SKIP_RATE:-}" ]; then
"$T" seeded 1 1 1000 984000 "$tmp/r.rules" "$tmp/r.names" "$tmp/r.expect" || exit 1
echo "# rate: $(wc -l < "$tmp/r.names") names, $(grep -vc '^#\|^pool' "$tmp/r.rules") rules, --rate $RATE, --threads $THREADS"
wall "$tmp/r.rules"
/usr/bin/time -f "%e s elapsed, %U s user, %S s system" -o "$tmp/time" \
	"$B" census --lab $LAB --from client --threads "$THREADS" --rate "$RATE" --retries 0 --timeout 1000 --hold 100 \
	--db "$tmp/r.db" "$tmp/r.names" 2>"$tmp/r.err"
unwall
grep '^census:' "$tmp/r.err"
cat "$tmp/time"
forged=$(jq -r 'select(.event == "exit") | .forged' "$tmp/inj.out")
kept=$(sed -n 's/.*; \([0-9]*\) forged replies kept.*/\1/p' "$tmp/r.err")
echo "rate: wall forged $forged replies, census kept $kept, lost $((forged - kept))"
fi

# --- 2. inference ---------------------------------------------------------------------
if [ -z "${SKIP_INFER:-}" ]; then
"$T" seeded 2 1 200 100000 "$tmp/i.rules" "$tmp/i.names" "$tmp/i.expect" || exit 1
"$T" seeded 2 9 200 100000 "$tmp/i2.rules" "$tmp/fresh.names" "$tmp/i2.expect" || exit 1
echo "# inference: $(wc -l < "$tmp/i.names") names, $(wc -l < "$tmp/i.expect") seeded rules"
wall "$tmp/i.rules"
/usr/bin/time -f "%e s elapsed" -o "$tmp/itime" "$B" census --lab $LAB --from client -t A -t AAAA --rate 20000 --timeout 500 --retries 1 \
	--db "$tmp/i.db" --infer --rules-out "$tmp/inferred.rules" "$tmp/i.names" 2>"$tmp/i.err"
grep -E '^census:|^infer:' "$tmp/i.err"
cat "$tmp/itime"
census -t A -t AAAA --rate 20000 --timeout 500 --retries 1 --ndjson "$tmp/fresh.names" 2>/dev/null |
	jq -r '[.name, .qtype] | @tsv' | sort -u > "$tmp/fresh.orig"
unwall
grep -v '^#' "$tmp/inferred.rules" | awk '{ print $1 ($2 ~ /^qtype=/ ? " " $2 : "") ($NF == "pass" ? " pass" : "") }' | sort -u > "$tmp/got"
sort -u "$tmp/i.expect" > "$tmp/want"
common=$(comm -12 "$tmp/got" "$tmp/want" | wc -l)
ngot=$(wc -l < "$tmp/got") nwant=$(wc -l < "$tmp/want")
echo "inference: $ngot rules inferred, $nwant seeded, $common in common: precision $(echo "scale=4; 100 * $common / $ngot" | bc)%, recall $(echo "scale=4; 100 * $common / $nwant" | bc)%"
comm -3 "$tmp/got" "$tmp/want" | head -5 | sed 's/^/#   differs: /'
wall "$tmp/inferred.rules"
census -t A -t AAAA --rate 20000 --timeout 500 --retries 1 --ndjson "$tmp/fresh.names" 2>/dev/null |
	jq -r '[.name, .qtype] | @tsv' | sort -u > "$tmp/fresh.inferred"
unwall
both=$(comm -12 "$tmp/fresh.orig" "$tmp/fresh.inferred" | wc -l)
echo "second wall: fresh list of $(wc -l < "$tmp/fresh.names") names: $(wc -l < "$tmp/fresh.orig") censored (name, type) pairs under the seeded rules, $(wc -l < "$tmp/fresh.inferred") under the inferred ones, $both in both"

fi

# --- 3. pools -------------------------------------------------------------------------
"$T" pool 600 "$tmp/p.rules" || exit 1
echo www.pool.test > "$tmp/p.names"
wall "$tmp/p.rules"
census --db "$tmp/p.db" --pools --pool-queries 1200 --pool-rate 2000 "$tmp/p.names" 2>"$tmp/p.err"
unwall
grep '^pool' "$tmp/p.err" | cut -c1-200
# in order: the recovered cycle is the rule file's pool rotated
want=$(sed -n 's/^pool big //p' "$tmp/p.rules")
sqlite3 "$tmp/p.db" 'select length, confirmed, ord from census_pools' | while IFS='|' read -r len conf ord; do
	rot=$(echo " $want $want " | grep -cF " $ord " || true)
	echo "pool: length $len, confirmed $conf, the wall's order (rotated): $([ "$rot" = 1 ] && echo yes || echo no)"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
