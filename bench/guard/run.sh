#!/bin/bash
# The guard's figures (issue 10; bench/RESULTS.md, "guard"), side by side in
# one run, in a lab of its own, with three forwarders on the lab's client
# host, each forwarding to the public resolver across the border over plain
# UDP (the path the wall injects on):
#   guard    dnswatch guard (--calibrate a .cn name), 127.0.0.1:5301
#   unbound  Debian's unbound as a plain forwarder (forward-zone "."), :5302
#   dnsmasq  Debian's dnsmasq (--server), :5303
# 1. Forged answers served during the 2014 replay (1s=30s): every forwarder
#    gets the same >= 20,000 lookups of the answer key's A names (the key's
#    names shuffled and repeated, so caches are hit as in life), judged
#    against the key by dnswatch probe: forged (the answer served holds the
#    misfire's 65.49.2.178), correct (equal to the key: verdict ok), other
#    (each verdict counted).
# 2. Latency for names the wall does not touch (the wall off, fresh
#    caches, the public resolver warmed so every forwarder meets the same
#    upstream cache): p50 and p99 of the round trip through guard and
#    unbound, one after the other.
# 3. Cache-hit throughput: dnsperf for 10 s against each, every name cached.
# 5. A blocklist day: the wall (inject --preset gfw: three injectors, one
#    mirroring the IP TTL) on for the whole part with bench/guard/blocklist.rules
#    (substring rules: an address pool and aaaa=2001::/32, and nxdomain; 608
#    of the 5000 names that cross the border), forwarders restarted with
#    empty caches, >= 20,000 lookups per forwarder of the key's names, A for
#    every name and AAAA for the names the key has AAAA for, rounds of the
#    key shuffled; forged = the answer served is the wall's (an address of
#    the pool, an AAAA in 2001::/32, or NXDOMAIN: the key has every name).
# 6. Latency for forged names, two ways: (a) inside the guard, its --log
#    "answer" events of part 5 (a query that had a reply dropped, answered):
#    answer_us (client query in to answer out) minus rtt_us (the served
#    real reply's round trip), i.e. what the guard added to the real reply's
#    arrival; (b) outside, paired: a fresh guard, every blocked A name once,
#    probe asks the guard and the resolver straight at once (hold 600 ms, so
#    the direct query sees the late real reply): the guard's answer rtt minus
#    the direct real reply's rtt, per name (the two cross the path apart, so
#    the lab's +-3 ms jitter each way is in the difference).
# 4. The signed lab: bench/guard/signed.sh (its own lab, after this one is
#    down: it runs last).
#   bash bench/guard/run.sh BUILD_DIR     (as root; about 6 minutes)
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
dw=$root/$build/dnswatch
[ "$(id -u)" = 0 ] || { echo "# guard bench: needs root (a lab)"; exit 0; }
for t in unbound dnsmasq dnsperf jq; do
	command -v $t >/dev/null || { echo "# guard bench: needs $t (make deps-bench)"; exit 1; }
done
LAB=bg$(( $$ % 100000 ))
tmp=$(mktemp -d)
pids=
inj=
cleanup() {
	for p in $pids $inj; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	"$dw" lab --name "$LAB" down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
"$dw" lab --name "$LAB" up >"$tmp/up" 2>&1 || { cat "$tmp/up"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
NS="ip netns exec dw-$LAB-client"   # execs the command: \$! is its pid
cal=$(awk -F'\t' '$2 == "A" && $1 ~ /\.cn\.$/ { print $1; exit }' "$key")
LOOKUPS=${GUARD_BENCH_LOOKUPS:-21000}
awk -F'\t' '$2 == "A" { print substr($1, 1, length($1) - 1) }' "$key" > "$tmp/anames"
# the key's names shuffled (a fixed seed), round after round, up to LOOKUPS
for i in 1 2 3 4 5 6 7 8; do shuf --random-source=<(yes $i) "$tmp/anames"; done | head -"$LOOKUPS" > "$tmp/names"

cat > "$tmp/unbound.conf" <<EOF
server:
  interface: 127.0.0.1@5302
  port: 5302
  do-ip6: no
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$tmp"
  pidfile: "$tmp/unbound.pid"
  use-syslog: no
  logfile: "$tmp/unbound.log"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  num-threads: 1
  msg-cache-size: 64m
  rrset-cache-size: 64m
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 198.19.8.8
EOF
# start_forwarders [GUARD_OPTIONS...]
start_forwarders() {
	$NS "$dw" guard --listen 127.0.0.1:5301 --upstream udp:198.19.8.8 --calibrate "$cal" \
		--cache 100000 --timeout 2400 "$@" >"$tmp/guard.json" 2>"$tmp/guard.err" &
	pids="$pids $!"
	guard_pid=$!
	$NS unbound -c "$tmp/unbound.conf" &
	pids="$pids $!"
	$NS dnsmasq --keep-in-foreground --user=root --port 5303 --listen-address 127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --server 198.19.8.8 --cache-size=10000 --pid-file="$tmp/dnsmasq.pid" \
		2>"$tmp/dnsmasq.err" &
	pids="$pids $!"
	sleep 2
}
stop_forwarders() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	pids=
}
probe() {
	"$dw" probe --lab "$LAB" --from client --control-key "$key" --retries 0 --timeout 2500 "$@"
}
echo "# lab: $(tail -1 "$tmp/up")"
echo "# forwarders on the client host, upstream the public resolver 198.19.8.8 (plain UDP, across the wall)"

# A forwarder's line of a forged-answers table, from one word per lookup on
# stdin ("forged", or the verdict): lookups, forged, correct, other.
tally() {
	awk -v t=$1 '{ n++ } /^forged$/ { f++; next } /^ok$/ { c++; next } { o[$1]++ }
		END { s = ""; for (k in o) s = s k "=" o[k] " ";
		      printf "%-8s %8d %8d %8d %8d %8.3f%%  %s\n", t, n, f, c, n - f - c, n ? 100 * c / n : 0, s }'
}

# ---- 1. the 2014 replay --------------------------------------------------------
start_forwarders
"$dw" lab --name "$LAB" replay "$root/lab/scenarios/2014.scenario" --scale 1s=30s \
	--events "$tmp/rp.ev" >"$tmp/rp.out" 2>&1 &
rp=$!
pids="$pids $rp"
sleep 1
t0=$(date +%s)
# probe asks each name of a run once: rounds of distinct names until LOOKUPS
split -l "$(wc -l < "$tmp/anames")" "$tmp/names" "$tmp/round."
for r in "$tmp"/round.*; do
	probe --hold 300 --rate 1300 --inflight 2000 --target guard=resolver:127.0.0.1:5301 \
		--target unbound=resolver:127.0.0.1:5302 --target dnsmasq=resolver:127.0.0.1:5303 \
		"$r" >>"$tmp/replay.ndjson" 2>>"$tmp/replay.err"
done
t1=$(date +%s)
wait $rp
echo "## 1. forged answers served during the 2014 replay (1s=30s: the misfire 48 s; lookups over $((t1 - t0)) s of its 110 s)"
printf '%-8s %8s %8s %8s %8s %9s  %s\n' forwarder lookups forged correct other correct% "other verdicts"
for t in guard unbound dnsmasq; do
	# forged: the answer served carries the misfire's address (the key never does)
	jq -r --arg t $t 'select(.target.label == $t) |
		if ((.replies[0].answers // []) | map(.addr) | index("65.49.2.178")) != null then "forged" else .verdict end' \
		"$tmp/replay.ndjson" |
		tally $t
done
kill -USR1 $guard_pid
sleep 0.5
echo "# guard: $(tail -1 "$tmp/guard.json" | jq -c '{answered, cache_hits, dropped, dropped_by, servfail, servfail_forged, servfail_timeout, accepted_unverified}')"
stop_forwarders

# ---- 2. latency, names the wall does not touch ------------------------------------
head -2000 "$tmp/anames" > "$tmp/lat"
probe --hold 0 --rate 500 --target public "$tmp/lat" >/dev/null 2>&1   # warm the upstream's cache
start_forwarders
echo "## 2. latency through the forwarder, 2000 names untouched (wall off), upstream cache warm, forwarder cache cold"
printf '%-8s %8s %10s %10s\n' forwarder answers p50_ms p99_ms
for t in guard:5301 unbound:5302; do
	probe --hold 0 --rate 200 --target "${t%%:*}=resolver:127.0.0.1:${t##*:}" "$tmp/lat" 2>/dev/null |
		jq -r 'select(.verdict == "ok") | .replies[0].rtt_us' | sort -n |
		awk -v t=${t%%:*} '{ v[NR] = $1 } END { printf "%-8s %8d %10.1f %10.1f\n", t, NR, v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }'
done

# ---- 3. cache-hit throughput --------------------------------------------------------
head -1000 "$tmp/anames" | sed 's/$/ A/' > "$tmp/perf"
echo "## 3. cache-hit throughput, dnsperf -l 10 on loopback (1000 names, every one cached)"
printf '%-8s %12s %10s\n' forwarder queries/s lost
for t in guard:5301 unbound:5302 dnsmasq:5303; do
	$NS dnsperf -s 127.0.0.1 -p ${t##*:} -d "$tmp/perf" -l 3 >/dev/null 2>&1   # fill the cache
	$NS dnsperf -s 127.0.0.1 -p ${t##*:} -d "$tmp/perf" -l 10 2>&1 |
		awk -v t=${t%%:*} '/Queries per second/ { q = $4 } /Queries lost/ { l = $3 } END { printf "%-8s %12.0f %10s\n", t, q, l }'
done
stop_forwarders

# ---- 5. a blocklist day -------------------------------------------------------------
# p50 and p99 of the numbers on standard input (one a line)
pct() { sort -n | awk -v u="${1:-1}" '{ v[NR] = $1 } END { if (NR) printf "%8d %9.2f %9.2f %9.2f", NR, v[int(NR * 0.5) + 1] / u, v[int(NR * 0.99) + 1] / u, v[NR] / u; else printf "%8d %9s %9s %9s", 0, "-", "-", "-" }'; }
"$dw" inject --lab "$LAB" --busy-poll --preset gfw --rules "$root/bench/guard/blocklist.rules" \
	>"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!   # not in pids: stop_forwarders leaves the wall on for part 6
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
start_forwarders --log "$tmp/bl.log"
awk -F'\t' '$2 == "AAAA" { print substr($1, 1, length($1) - 1) }' "$key" > "$tmp/aaaanames"
# the names the rules block that cross the border (not .cn)
grep -E 'tu|pa' "$tmp/anames" | grep -v '\.cn$' > "$tmp/blocked"
: >"$tmp/bl.ndjson"
n=0 r=0
t0=$(date +%s)
while [ $n -lt "$LOOKUPS" ]; do
	r=$((r + 1))
	for t in A AAAA; do
		[ $t = A ] && src=$tmp/anames || src=$tmp/aaaanames
		shuf --random-source=<(yes "$r$t") "$src" | head -$((LOOKUPS - n)) > "$tmp/blround"
		[ -s "$tmp/blround" ] || continue
		n=$((n + $(wc -l < "$tmp/blround")))
		probe -t $t --hold 300 --rate 1300 --inflight 2000 --target guard=resolver:127.0.0.1:5301 \
			--target unbound=resolver:127.0.0.1:5302 --target dnsmasq=resolver:127.0.0.1:5303 \
			"$tmp/blround" >>"$tmp/bl.ndjson" 2>>"$tmp/bl.err"
	done
done
t1=$(date +%s)
nblk=$(jq -r 'select(.target.label == "guard") | .name' "$tmp/bl.ndjson" | sed 's/\.$//' | grep -E 'tu|pa' | grep -vc '\.cn$')
echo "## 5. a blocklist day (gfw preset, blocklist.rules: pool, aaaa=2001::/32, nxdomain; $(wc -l < "$tmp/blocked") names blocked), $n lookups per forwarder ($nblk of blocked names; A and AAAA) in $((t1 - t0)) s"
printf '%-8s %8s %8s %8s %8s %9s  %s\n' forwarder lookups forged correct other correct% "other verdicts"
for t in guard unbound dnsmasq; do
	# forged: the wall's answer served (a pool address, a 2001::/32 AAAA,
	# NXDOMAIN: every name asked is in the key)
	jq -r --arg t $t 'select(.target.label == $t) | .replies[0] as $r |
		if $r == null then .verdict
		elif $r.rcode == "NXDOMAIN" or (($r.answers // []) | any(.addr | test("^198\\.51\\.100\\.2(0[1-9]|[12][0-9]|30)$") or test("^2001:(0:|:)"))) then "forged"
		else .verdict end' "$tmp/bl.ndjson" |
		tally $t
done
kill -USR1 $guard_pid
sleep 0.5
echo "# guard: $(tail -1 "$tmp/guard.json" | jq -c '{answered, cache_hits, cache_purged, dropped, dropped_by, servfail, servfail_forged, servfail_timeout, accepted_unverified, forged_addrs_learned}')"
stop_forwarders

# ---- 6. latency for forged names -----------------------------------------------------
echo "## 6. latency for forged names: the guard's answer against the real reply's arrival"
printf '%-44s %8s %9s %9s %9s\n' measure n p50_ms p99_ms max_ms
jq -r 'select(.event == "answer" and .unverified == false and .rtt_us > 0) | .answer_us - .rtt_us' "$tmp/bl.log" |
	{ printf '%-44s ' "(a) in the guard, part 5: answer - real rtt"; pct 1000; echo; }
jq -r 'select(.event == "answer" and .unverified == false and .rtt_us > 0) | .rtt_us' "$tmp/bl.log" |
	{ printf '%-44s ' "    (the real reply's rtt itself)"; pct 1000; echo; }
grep -E 'tu|pa' "$tmp/anames" | grep -v '\.cn$' > "$tmp/lat6"
start_forwarders --log "$tmp/lat6.log"
probe --hold 600 --rate 100 --target guard=resolver:127.0.0.1:5301 --target public "$tmp/lat6" \
	>"$tmp/lat6.ndjson" 2>"$tmp/lat6.err"
jq -s -r 'def wall: .rcode == "NXDOMAIN" or ((.answers // []) | any(.addr | test("^198\\.51\\.100\\.2(0[1-9]|[12][0-9]|30)$")));
	group_by(.name)[] |
	(map(select(.target.label == "guard"))[0]) as $g | (map(select(.target.label == "public"))[0]) as $p |
	select($g != null and $p != null and $g.verdict == "ok") |
	([$p.replies[] | select(.parsed and (wall | not))][0]) as $real |
	select($real != null) | $g.replies[0].rtt_us - $real.rtt_us' "$tmp/lat6.ndjson" > "$tmp/lat6.diff"
{ printf '%-44s ' "(b) outside, paired: guard rtt - real rtt"; pct 1000 < "$tmp/lat6.diff"; echo; }
awk -v names="$(wc -l < "$tmp/lat6")" '{ n++; if ($1 <= 5000) k++ }
	END { printf "#    within 5 ms: %d of %d (%.1f%%); names paired (guard ok, real reply seen): %d of %d\n", k, n, n ? 100 * k / n : 0, n, names }' "$tmp/lat6.diff"
jq -r 'select(.event == "answer" and .unverified == false and .rtt_us > 0) | .answer_us - .rtt_us' "$tmp/lat6.log" |
	{ printf '%-44s ' "    (a) in the guard, the same queries"; pct 1000; echo; }
stop_forwarders
kill "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
inj=

# ---- 4. the signed lab: only DNSSEC against the forgeries (a lab of its own) --------
"$dw" lab --name "$LAB" down >/dev/null 2>&1
bash "$root/bench/guard/signed.sh" "$build"
