#!/bin/bash
# The commands over a real ClickHouse (scripts/clickhouse.sh, started by
# this test in a namespace of its own with only loopback, on a port of its
# own): `probe --resume` after kill -9 (2 threads, resumed with 2: every
# query once, none twice, as an uninterrupted run), a resume of another
# vantage point refused; `census --db clickhouse://` killed with -9 and
# resumed (every name once), the census read back by `report`. Needs root
# (the namespace; the prober reads a packet socket); stops its server by
# its pid and removes the namespace whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "commands over ClickHouse"
need_tools "commands over ClickHouse" ip nsd jq dig curl
command -v clickhouse-server >/dev/null 2>&1 || "$DW_ROOT/scripts/deps.sh" clickhouse >/dev/null 2>&1
command -v clickhouse-server >/dev/null 2>&1 || skip_all "commands over ClickHouse" "clickhouse-server is not installed"
ns=dwch$$
tmp=$(mktemp -d)
export DNSWATCH_SPOOL=$tmp/spool
# HTTP port (and TCP port + 1) apart from tests/store/test_clickhouse.c's 21000-33000
port=$((34000 + ($$ % 1000) * 2))
nsdpid= p= ch_up=
cleanup() {
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
	[ -n "$nsdpid" ] && kill "$nsdpid" 2>/dev/null && wait "$nsdpid" 2>/dev/null
	[ -n "$ch_up" ] && CH_KILL=1 "$DW_ROOT/scripts/clickhouse.sh" down "$tmp/ch" >/dev/null 2>&1
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $ns && ip -n $ns link set lo up || { fail "a namespace"; exit 1; }
if ! ip netns exec $ns env CH_WAIT=60 "$DW_ROOT/scripts/clickhouse.sh" up "$tmp/ch" $port >"$tmp/ch.out" 2>&1; then
	fail "clickhouse-server starts in the namespace" "$(cat "$tmp/ch.out")"
	exit 1
fi
ch_up=1
url=clickhouse://127.0.0.1:$port
chq() { ip netns exec $ns curl -sS --max-time 30 "http://127.0.0.1:$port/" --data-binary "$1"; }

{
	printf '$ORIGIN th.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n'
	awk 'BEGIN { for (i = 0; i < 3000; i++) printf "n%d A 198.19.%d.%d\n", i, int(i / 250), i % 250 + 1 }'
} > "$tmp/th.zone"
cat > "$tmp/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1
	ip-address: 127.0.0.2
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$tmp"
	zonelistfile: "$tmp/zone.list"
	xfrdfile: "$tmp/xfrd.state"
	xfrdir: "$tmp"
	pidfile: "$tmp/nsd.pid"
	logfile: "$tmp/nsd.log"
	verbosity: 0
remote-control:
	control-enable: no
zone:
	name: th.example
	zonefile: th.zone
CONF
ip netns exec $ns nsd -d -c "$tmp/nsd.conf" &
nsdpid=$!
for _ in $(seq 50); do
	ip netns exec $ns dig +short +tries=1 +time=1 @127.0.0.2 n1.th.example 2>/dev/null | grep -q 198.19 && break
	sleep 0.1
done
awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "%s%d.th.example\n", (i % 7 ? "n" : "N"), i; if (i % 100 == 0) printf "x%d.th.example\n", i } }' > "$tmp/names"
n=$(wc -l < "$tmp/names")

# --- probe --resume over ClickHouse ---------------------------------------------------
probe() { ip netns exec $ns "$DNSWATCH" probe --target a=auth:127.0.0.1 --target b=auth:127.0.0.2 \
	--hold 20 --timeout 500 --retries 2 --vantage lab1 "$@"; }
probe --threads 2 --rate 20000 --db "$url/full" "$tmp/names" 2>"$tmp/full.err" || fail "the uninterrupted run" "$(cat "$tmp/full.err")"
ip netns exec $ns "$DNSWATCH" probe --target a=auth:127.0.0.1 --target b=auth:127.0.0.2 \
	--hold 20 --timeout 500 --retries 2 --vantage lab1 --threads 2 --rate 1500 --db "$url/run" "$tmp/names" 2>"$tmp/r1.err" &
p=$!
for _ in $(seq 150); do
	[ "$(chq 'SELECT count() FROM run.queries' 2>/dev/null || echo 0)" -gt 1500 ] 2>/dev/null && break
	sleep 0.1
done
kill -9 $p; wait $p 2>/dev/null; p=
before=$(chq 'SELECT count() FROM run.queries')
probe --vantage lab2 --threads 2 --db "$url/run" --resume "$tmp/names" 2>"$tmp/other.err" >/dev/null; rc=$?
[ $rc != 0 ] && grep -q "no unfinished run" "$tmp/other.err" && ok "another vantage point has no unfinished run to resume" \
	|| fail "another vantage point's resume is refused, saying why" "rc=$rc $(cat "$tmp/other.err")"
probe --threads 2 --rate 20000 --db "$url/run" --resume "$tmp/names" 2>"$tmp/r2.err"; rc=$?
rows=$(chq 'SELECT count() FROM run.queries')
final=$(chq 'SELECT count() FROM run.queries FINAL')
distinct=$(chq 'SELECT uniqExact(seq, target, qtype) FROM run.queries')
status=$(chq "SELECT argMax(status, version) FROM run.runs GROUP BY run")
[ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$before" -lt $((n * 2)) ] && [ "$rows" = $((n * 2)) ] &&
	[ "$final" = "$rows" ] && [ "$distinct" = "$rows" ] && [ "$status" = finished ] \
	&& ok "probe --threads 2 into ClickHouse killed with -9 after $before rows, resumed: $rows rows, each query once (none twice even before a merge), run finished" \
	|| fail "probe into ClickHouse killed with -9, resumed" "rc=$rc before=$before rows=$rows final=$final distinct=$distinct status=$status $(cat "$tmp/r2.err")"
grep -q "resuming run [0-9]*: $before results stored" "$tmp/r2.err" && grep -q ", $before already stored (resumed)" "$tmp/r2.err" \
	&& ok "the resume skips exactly the $before stored results" || fail "the resume's skips" "$(cat "$tmp/r2.err")"
q='SELECT seq, target, qtype, line, qname, verdict FROM DB.queries FINAL ORDER BY seq, target, qtype'
a='SELECT seq, target, qtype, reply, idx, v4 FROM DB.answers FINAL ORDER BY seq, target, qtype, reply, idx'
[ "$(chq "${q//DB/run}" | md5sum)" = "$(chq "${q//DB/full}" | md5sum)" ] &&
	[ "$(chq "${a//DB/run}" | md5sum)" = "$(chq "${a//DB/full}" | md5sum)" ] &&
	[ "$(chq "SELECT count() FROM run.answers")" = "$(chq "SELECT count() FROM full.answers")" ] \
	&& ok "the resumed database holds what the uninterrupted run's does (queries, lines, names, verdicts, answers)" \
	|| fail "resumed = uninterrupted" "$(diff <(chq "${q//DB/run}") <(chq "${q//DB/full}") | head -5)"
probe --threads 2 --db "$url/run" --resume "$tmp/names" 2>"$tmp/fin.err" >/dev/null; rc=$?
[ $rc != 0 ] && grep -q "no unfinished run" "$tmp/fin.err" && ok "a finished run is not resumed" \
	|| fail "a finished run is not resumed" "rc=$rc $(cat "$tmp/fin.err")"

# --- census --db clickhouse://, killed with -9 and resumed ----------------------------------
# (into the probe's database: the report shows both). An address that runs
# no DNS on loopback: no forged reply, every name asked, none censored.
census() { ip netns exec $ns "$DNSWATCH" census --target nodns:127.0.0.3 --timeout 300 --hold 50 "$@"; }
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "c%d.example.net\n", i }' > "$tmp/many"
ip netns exec $ns "$DNSWATCH" census --target nodns:127.0.0.3 --timeout 300 --hold 50 --rate 600 \
	--db "$url/run" "$tmp/many" 2>"$tmp/c1.err" &
p=$!
for _ in $(seq 150); do
	[ "$(chq 'SELECT count() FROM run.census_names' 2>/dev/null || echo 0)" -gt 300 ] 2>/dev/null && break
	sleep 0.1
done
kill -9 $p; wait $p 2>/dev/null; p=
before=$(chq 'SELECT count() FROM run.census_names')
census --rate 5000 --db "$url/run" --resume "$tmp/many" 2>"$tmp/c2.err"; rc=$?
r=$(chq "SELECT count(), uniqExact(seq), sum(censored != 0) FROM run.census_names" | tr '\t' ' ')
st=$(chq "SELECT argMax(status, version) FROM run.census_runs GROUP BY run")
[ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$before" -lt 3000 ] && [ "$r" = "3000 3000 0" ] && [ "$st" = finished ] &&
	grep -q "resuming census [0-9]*: $before names stored" "$tmp/c2.err" \
	&& ok "census into ClickHouse killed with -9 after $before names, --resume: 3000 names once each, the census finished" \
	|| fail "census into ClickHouse, resumed" "rc=$rc before=$before now='$r' status=$st $(cat "$tmp/c1.err" "$tmp/c2.err")"
census --db "$url/run" --resume "$tmp/many" 2>"$tmp/c3.err"; rc=$?
[ $rc != 0 ] && grep -q "no unfinished census" "$tmp/c3.err" && ok "a finished census is not resumed" \
	|| fail "a finished census is not resumed" "rc=$rc $(cat "$tmp/c3.err")"
ip netns exec $ns "$DNSWATCH" census diff "$url/run" "$url/run" >"$tmp/diff.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "0 newly censored, 0 no longer censored, 0 rules added, 0 removed, 0 pools changed" "$tmp/diff.out" \
	&& ok "census diff of two ClickHouse databases: the census against itself, nothing changed" \
	|| fail "census diff over ClickHouse" "rc=$rc $(cat "$tmp/diff.out")"
ip netns exec $ns "$DNSWATCH" census diff "$url/run" "$tmp/none.db" >"$tmp/diff2.out" 2>&1; rc=$?
[ $rc != 0 ] && [ "$(wc -l < "$tmp/diff2.out")" = 1 ] && ok "census diff of a ClickHouse database and a file: refused in one line" \
	|| fail "census diff of ClickHouse and SQLite" "rc=$rc $(cat "$tmp/diff2.out")"

# --- report over ClickHouse: the probe's runs and the census ---------------------------------
ip netns exec $ns "$DNSWATCH" report --db "$url/run" -o "$tmp/run.html" >"$tmp/rep.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "report: $tmp/run.html: 1 run, $((n * 2)) results" "$tmp/rep.out" &&
	grep -q '<section id="census">' "$tmp/run.html" && grep -q '3000' "$tmp/run.html" \
	&& ok "report over ClickHouse: the probe's run ($((n * 2)) results) and the census section" \
	|| fail "report over ClickHouse" "rc=$rc $(cat "$tmp/rep.out")"
done_testing
