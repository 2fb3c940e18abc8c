#!/bin/bash
# Three vantage points into one ClickHouse, through the 2014 replay.
#   bench/store/vantages.sh BUILD_DIR
# The lab comes up with the GFW's three injectors at its border (no rule);
# clickhouse-server starts on the host's loopback (its own directory and
# port). Six watch processes sample through the replay of 2014.scenario:
# three (client, vpnclient, remote) write straight into one ClickHouse
# database, `live`; three more (the same vantage points) into one SQLite
# file. Then: the report over `live`; and the SQLite runs written again into
# ClickHouse (`copy`) through the store's calls, each tagged with its
# vantage point, and the report's figures over `copy` compared with the
# report's figures over the SQLite file (tool_chcopy): equal, or each
# difference. Needs root; takes everything down whatever happens.
set -u
build=${1:?usage: bench/store/vantages.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
DW=$root/$build/dnswatch
[ "$(id -u)" = 0 ] || { echo "bench/store/vantages: needs root"; exit 1; }
LAB=bsv$$
tmp=$(mktemp -d)
port=$((23000 + $$ % 1000 * 2))
pids= inj= chdir=$tmp/ch
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "$inj" ] && kill -TERM "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
	CH_KILL=1 "$root/scripts/clickhouse.sh" down "$chdir" >/dev/null 2>&1
	"$DW" lab --name $LAB down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export DNSWATCH_SPOOL=$tmp/spool
"$root/scripts/clickhouse.sh" up "$chdir" "$port" | sed 's/^/# /' || exit 1
url=clickhouse://127.0.0.1:$port
"$DW" lab --name $LAB up | sed 's/^/# /' || exit 1
ctl=$tmp/inject.sock
"$DW" inject --lab $LAB --busy-poll --preset gfw --control "$ctl" >"$tmp/inject.out" 2>"$tmp/inject.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inject.err" && break; sleep 0.1; done
for v in client vpnclient remote; do
	"$DW" watch --lab $LAB --vantage $v --db "$url/live" --events "$tmp/live-$v.ndjson" --status 0 \
		2>"$tmp/live-$v.err" &
	pids="$pids $!"
	"$DW" watch --lab $LAB --vantage $v --db "$tmp/same.db" --events "$tmp/sq-$v.ndjson" --status 0 \
		2>"$tmp/sq-$v.err" &
	pids="$pids $!"
done
sleep 4
echo "# replay of 2014.scenario (1 lab second per scenario minute), six watch processes"
"$DW" lab --name $LAB replay "$root/lab/scenarios/2014.scenario" --control "$ctl" \
	--events "$tmp/replay.ndjson" >/dev/null
sleep 20   # the caches' tails, as the demo waits for them
for p in $pids; do kill -TERM "$p" 2>/dev/null; done
for p in $pids; do wait "$p"; done
pids=
for f in "$tmp"/live-*.err "$tmp"/sq-*.err; do grep -E '^store:|results kept' "$f" | sed "s|^|# $(basename "$f" .err): |"; done
echo "# live: three watch processes wrote into $url/live"
curl -sS "http://127.0.0.1:$port/" --data-binary "SELECT vantage, count(), countIf(verdict IN (2, 3)) FROM live.queries FINAL GROUP BY vantage ORDER BY vantage FORMAT TSV" |
	awk -F'\t' '{ printf "  %-10s %6d results, %5d forged\n", $1, $2, $3 }'
"$DW" report --db "$url/live" -o "$tmp/live.html" 2>&1 | sed 's/^/  /'
echo "# the same data both ways: the SQLite file's runs copied into $url/copy"
"$root/$build/bench/tool_chcopy" "$tmp/same.db" "$url/copy"
