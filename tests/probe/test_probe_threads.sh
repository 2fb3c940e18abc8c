#!/bin/bash
# dnswatch probe over several threads (--threads): a namespace of this test's
# own with only loopback, nsd serving 3,000 names on 127.0.0.1 and 127.0.0.2
# (two targets, so each name has two queries, which must stay in one
# thread). The same names with 1 and with 2 threads give the same results;
# a 2-thread run into a store killed with -9 half-way and resumed with 3
# threads (another sharding) ends with the rows of an uninterrupted run:
# none lost, none doubled, the same answers. Needs root; removes its
# namespace whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "probe --threads"
need_tools "probe --threads" ip nsd sqlite3 jq dig
ns=dwth$$
tmp=$(mktemp -d)
nsdpid= p=
cleanup() {
	[ -n "$p" ] && kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null
	[ -n "$nsdpid" ] && kill "$nsdpid" 2>/dev/null && wait "$nsdpid" 2>/dev/null
	ip netns del $ns 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add $ns && ip -n $ns link set lo up || { fail "a namespace"; exit 1; }
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
# 3,000 names of the zone and 30 it does not have (NXDOMAIN), mixed case.
awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "%s%d.th.example\n", (i % 7 ? "n" : "N"), i; if (i % 100 == 0) printf "x%d.th.example\n", i } }' > "$tmp/names"
n=$(wc -l < "$tmp/names")
probe() { ip netns exec $ns "$DNSWATCH" probe --target a=auth:127.0.0.1 --target b=auth:127.0.0.2 \
	--hold 20 --timeout 500 --retries 2 "$@"; }
# What must come out the same: each (name, target)'s verdict and answer.
rows_of() { jq -r '[.seq, .line, .name, .target.index, .verdict, (.replies[0].answers[0].addr // "-")] | @tsv' "$1" | sort; }

probe --threads 1 --rate 20000 "$tmp/names" > "$tmp/one.ndjson" 2>"$tmp/one.err"; rc1=$?
probe --threads 2 --rate 20000 "$tmp/names" > "$tmp/two.ndjson" 2>"$tmp/two.err"; rc2=$?
[ $rc1 = 0 ] && [ $rc2 = 0 ] && [ "$(wc -l < "$tmp/two.ndjson")" = $((n * 2)) ] &&
	[ "$(rows_of "$tmp/one.ndjson" | md5sum)" = "$(rows_of "$tmp/two.ndjson" | md5sum)" ] \
	&& ok "1 and 2 threads: the same $((n * 2)) results (names, lines, verdicts, answers)" \
	|| fail "1 and 2 threads: the same results" "rc=$rc1/$rc2 $(cat "$tmp/one.err" "$tmp/two.err") $(diff <(rows_of "$tmp/one.ndjson") <(rows_of "$tmp/two.ndjson") | head -5)"
grep -q 'ok 6000 nxdomain 60$' "$tmp/two.err" && grep -q ', 2 threads' "$tmp/two.err" \
	&& grep -q ', 0 packets dropped by the capture ring' "$tmp/two.err" \
	&& ok "2 threads: the summary adds up the threads (verdicts, ring drops, threads)" || fail "2 threads: the summary" "$(cat "$tmp/two.err")"
ports=$(jq -r .sport "$tmp/two.ndjson" | sort -u | wc -l)
[ "$ports" -gt 8 ] && [ "$ports" -le 16 ] && ok "2 threads, 8 sockets each: $ports source ports" || fail "2 threads' sockets" "$ports ports"

# An uninterrupted run into a store, and one killed with -9 half-way.
probe --threads 2 --rate 20000 --db "$tmp/full.db" "$tmp/names" 2>"$tmp/full.err" || fail "the uninterrupted run" "$(cat "$tmp/full.err")"
# Not through the function: $! must be dnswatch itself (ip netns exec execs it).
ip netns exec $ns "$DNSWATCH" probe --target a=auth:127.0.0.1 --target b=auth:127.0.0.2 \
	--hold 20 --timeout 500 --retries 2 --threads 2 --rate 1500 --db "$tmp/run.db" "$tmp/names" 2>"$tmp/r1.err" &
p=$!
for _ in $(seq 100); do
	[ "$(sqlite3 "$tmp/run.db" 'select count(*) from queries' 2>/dev/null || echo 0)" -gt 1500 ] && break
	sleep 0.1
done
kill -9 $p; wait $p 2>/dev/null; p=
before=$(sqlite3 "$tmp/run.db" 'select count(*) from queries')
probe --threads 3 --rate 20000 --db "$tmp/run.db" --resume "$tmp/names" 2>"$tmp/r2.err"; rc=$?
q='select seq, target, qtype, line, name, verdict, (select group_concat(a.address) from replies r join answers a on a.reply = r.id where r.query = q.id) from queries q order by seq, target, qtype'
rows=$(sqlite3 "$tmp/run.db" 'select count(*) from queries')
distinct=$(sqlite3 "$tmp/run.db" 'select count(*) from (select distinct seq, target, qtype from queries)')
status=$(sqlite3 "$tmp/run.db" 'select status from runs')
[ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$before" -lt $((n * 2)) ] && [ "$rows" = $((n * 2)) ] &&
	[ "$distinct" = "$rows" ] && [ "$status" = finished ] \
	&& ok "2 threads killed with -9 after $before rows, resumed with 3: $rows rows, none lost or doubled, run finished" \
	|| fail "2 threads killed with -9, resumed" "rc=$rc before=$before rows=$rows distinct=$distinct status=$status $(cat "$tmp/r2.err")"
[ "$(sqlite3 "$tmp/run.db" "$q" | md5sum)" = "$(sqlite3 "$tmp/full.db" "$q" | md5sum)" ] \
	&& ok "the resumed store holds what the uninterrupted run's does (names, lines, verdicts, answers)" \
	|| fail "resumed = uninterrupted" "$(diff <(sqlite3 "$tmp/run.db" "$q") <(sqlite3 "$tmp/full.db" "$q") | head -5)"
grep -q "resuming run 1: $before results stored" "$tmp/r2.err" && grep -q ", $before already stored (resumed)" "$tmp/r2.err" \
	&& ok "the resume skips exactly the $before stored results" || fail "the resume's skips" "$(cat "$tmp/r2.err")"
done_testing
