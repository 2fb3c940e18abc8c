#!/bin/bash
# The guard's signed-lab figure (issue 10; bench/RESULTS.md, "guard", 4):
# in a signed lab of its own (`lab up --sign`), the 2014 misfire's rules in
# the wall for the whole run (every .com/.net/.org lookup across the border
# draws forged replies from the three gfw injectors), dnswatch guard on the
# client host forwarding to the public resolver across the border over
# plain UDP, validating from the lab's trust anchor with every Hold-On check
# off (--no-ttl --no-rtt --no-layout --no-groups --no-addrs: only DNSSEC can
# tell the forgeries) and no answer cache (--cache 0: every lookup meets the
# wall). dnswatch probe sends every A name under injection ROUNDS times and
# judges each answer against the lab's key: the share resolved right (goal
# >= 99.9%), forged answers served (goal 0), and the guard's counters.
#   bash bench/guard/signed.sh BUILD_DIR     (as root; about a minute)
# GUARD_SIGNED_LAB="--loss-pct 1" adds options to `lab up` (a lossy
# long-haul link: lost replies and key fetches the guard must ask again).
# GUARD_SIGNED_KEEP=DIR keeps the run's files there (the guard's --log of
# drops and answers, its counters and stderr, probe's results).
# Also run at the end of bench/guard/run.sh.
set -u
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
dw=$root/$build/dnswatch
[ "$(id -u)" = 0 ] || { echo "# guard signed bench: needs root (a lab)"; exit 0; }
command -v jq >/dev/null || { echo "# guard signed bench: needs jq"; exit 1; }
LAB=bs$(( $$ % 100000 ))
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	"$dw" lab --name "$LAB" down >/dev/null 2>&1
	[ -n "${GUARD_SIGNED_KEEP:-}" ] && mkdir -p "$GUARD_SIGNED_KEEP" && cp -r "$tmp"/. "$GUARD_SIGNED_KEEP"/
	rm -rf "$tmp"
}
trap cleanup EXIT
NAMES=${GUARD_SIGNED_NAMES:-com=1200,net=300,org=300,cn=200}
ROUNDS=${GUARD_SIGNED_ROUNDS:-3}
"$dw" lab --name "$LAB" up --sign --names "$NAMES" ${GUARD_SIGNED_LAB:-} >"$tmp/up" 2>&1 || { cat "$tmp/up"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
awk -F'\t' '$2 == "A" && $1 ~ /\.(com|net|org)\.$/ { print substr($1, 1, length($1) - 1) }' "$key" > "$tmp/names"
"$dw" inject --lab "$LAB" --busy-poll --preset gfw --rules "$root/lab/scenarios/2014-misfire.rules" \
	>"$tmp/inj.out" 2>"$tmp/inj.err" &
pids="$pids $!"
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
ip netns exec "dw-$LAB-client" "$dw" guard --listen 127.0.0.1:5301 --upstream udp:198.19.8.8 \
	--trust-anchor "/run/dnswatch/$LAB/trust-anchor.ds" --no-ttl --no-rtt --no-layout --no-groups \
	--no-addrs --cache 0 --timeout 2400 --log "$tmp/guard.log" >"$tmp/guard.json" 2>"$tmp/guard.err" &
guard_pid=$!
pids="$pids $guard_pid"
for _ in $(seq 50); do grep -q serving "$tmp/guard.err" && break; sleep 0.1; done
echo "# lab: $(tail -1 "$tmp/up")"
echo "# wall: gfw preset, 2014-misfire.rules, on for the whole run; guard: --trust-anchor, only the dnssec check, --cache 0"
t0=$(date +%s)
for r in $(seq "$ROUNDS"); do
	"$dw" probe --lab "$LAB" --from client --control-key "$key" --retries 0 --timeout 2500 --hold 300 \
		--rate 300 --target guard=resolver:127.0.0.1:5301 --target public "$tmp/names" \
		>>"$tmp/res.ndjson" 2>>"$tmp/probe.err"
done
t1=$(date +%s)
kill -USR1 $guard_pid
sleep 0.5
# the guard's CPU time (user + system, from /proc: ip netns exec execs it)
guard_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$guard_pid/stat" 2>/dev/null)
# the lab's own losses: the long-haul delay element's drops and the public
# resolver's dropped or jostled queries (a reply lost there is lost for
# every client, the guard's included)
cp "/run/dnswatch/$LAB/delay.stats" "$tmp/delay.stats" 2>/dev/null
ip netns exec "dw-$LAB-outside" unbound-control -c "/run/dnswatch/$LAB/srv/public/unbound.conf" stats_noreset \
	>"$tmp/unbound.stats" 2>/dev/null
echo "## 4. signed lab: names under injection through the validating guard ($(wc -l < "$tmp/names") names x $ROUNDS rounds, $((t1 - t0)) s)"
printf '%-8s %8s %8s %8s %8s %9s  %s\n' target lookups forged correct other correct% "other verdicts"
for t in guard public; do
	jq -r --arg t $t 'select(.target.label == $t) |
		if ((.replies[0].answers // []) | map(.addr) | index("65.49.2.178")) != null then "forged" else .verdict end' \
		"$tmp/res.ndjson" |
		awk -v t=$t '{ n++ } /^forged$/ { f++; next } /^ok$/ { c++; next } { o[$1]++ }
			END { s = ""; for (k in o) s = s k "=" o[k] " ";
			      printf "%-8s %8d %8d %8d %8d %8.3f%%  %s\n", t, n, f, c, n - f - c, n ? 100 * c / n : 0, s }'
done
echo "# lab losses: delay element $(grep -E '^(dropped|enobufs|lost)=' "$tmp/delay.stats" 2>/dev/null | tr '\n' ' ')public resolver $(grep -E '^total\.requestlist\.(exceeded|overwritten)=' "$tmp/unbound.stats" 2>/dev/null | sed 's/^total\.requestlist\.//' | tr '\n' ' ')"
echo "# guard CPU: ${guard_cpu:-?} s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# guard: $(tail -1 "$tmp/guard.json" | jq -c '{answered, dropped, dropped_by, dnssec_secure, dnssec_insecure, dnssec_bogus, key_fetches, key_fetch_failed, dnssec_store, servfail, servfail_bogus, servfail_keys, servfail_timeout, retransmits}')"
