#!/bin/bash
# dnswatch census in the lab, through the wall's three GFW injectors: the
# censored names and every forged reply kept (the wall's log agrees), the
# rules inferred (each kind, an exemption, a qtype selector) and loaded into
# a second wall that censors the same names, over-blocked names, the pools
# (cyclic, in order), resume after kill -9 (no name lost or doubled), the
# diff of two stores, bad list lines by file and line.
# Needs root; takes its own lab down whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test ce "census lab tests"
"$DNSWATCH" lab --name $LAB up --names com=20,net=5,org=5,cn=10 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
start_wall() {
	: > "$tmp/inj.log"
	"$DNSWATCH" inject --lab $LAB --busy-poll --preset gfw --rules "$1" --log "$tmp/inj.log" >"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	return 1
}
stop_wall() { kill -TERM "$inj"; wait "$inj"; inj=; }
census() { "$DNSWATCH" census --lab $LAB --from client --timeout 300 "$@"; }

cat > "$tmp/wall.rules" <<'RULES'
pool p1 198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6 198.51.100.7
*.blocked.com a=@p1
*.free.blocked.com pass
*youtube.com a=198.51.100.9
*google* a=198.51.100.8
exact.example.org nxdomain
v6.example.net qtype=AAAA aaaa=2001::/32
RULES
printf '%s\n' www.blocked.com a.b.blocked.com blocked.com x.free.blocked.com notyoutube.com \
	www.youtube.com googleapis.com www.google.com exact.example.org other.example.org \
	v6.example.net clean1.com clean2.net WWW.Blocked.com. 'bad..name' > "$tmp/names"
censored="a.b.blocked.com exact.example.org googleapis.com notyoutube.com v6.example.net www.blocked.com www.google.com www.youtube.com"

# --- the census, inference, pools ------------------------------------------------------
start_wall "$tmp/wall.rules" || fail "wall starts"
census -t A -t AAAA --db "$tmp/a.db" --ndjson "$tmp/names" > "$tmp/a.ndjson" 2>"$tmp/a.err"; rc=$?
got=$(jq -r .name "$tmp/a.ndjson" | sort -u | paste -sd' ')
[ $rc = 0 ] && [ "$got" = "$censored" ] && ok "the censored names, and only they (8 of 13)" || fail "censored names" "rc=$rc got '$got' $(cat "$tmp/a.err")"
kept=$(jq '.replies | length' "$tmp/a.ndjson" | paste -sd+ | bc)
# The wall flushes its log once a second: give it up to 3 s to catch up
# (more lines than kept, or fewer after that, still fail).
for _ in $(seq 30); do logged=$(wc -l < "$tmp/inj.log"); [ "$logged" -ge "$kept" ] && break; sleep 0.1; done
[ "$kept" = "$logged" ] && [ "$kept" -ge 45 ] && ok "every forged reply kept: $kept kept, $logged sent by the wall" || fail "every forged reply kept" "kept $kept, wall $logged"
v6=$(jq -r 'select(.name == "v6.example.net") | .qtype' "$tmp/a.ndjson" | sort -u | paste -sd' ')
[ "$v6" = AAAA ] && ok "a qtype=AAAA rule censors AAAA only" || fail "qtype=AAAA censored" "$v6"
# (a group with a reply or two: a random IP ID of 0 is a fingerprint of its own)
groups=$(sqlite3 "$tmp/a.db" "select count(*) from census_groups where fingerprint like '%NOERROR%' and replies > 2")
[ "$groups" = 3 ] && ok "three injector groups (the gfw preset's three injectors)" || fail "three groups" "$(sqlite3 "$tmp/a.db" 'select * from census_groups')"
grep -q "names\.*:15: invalid name 'bad..name': empty label, skipped" "$tmp/a.err" && grep -q '13 names (1 duplicates, 1 invalid lines skipped)' "$tmp/a.err" \
	&& ok "a duplicate and an invalid line counted and skipped, the invalid one by file and line" || fail "duplicates and invalid lines" "$(cat "$tmp/a.err")"
rows=$(sqlite3 "$tmp/a.db" "select count(*), sum(censored != 0), (select status from census_runs) from census_names" | tr '|' ' ')
[ "$rows" = "13 8 finished" ] && ok "the store: 13 names, 8 censored, the census finished" || fail "the store" "$rows"

census -t A -t AAAA --db "$tmp/b.db" --infer --rules-out "$tmp/inferred.rules" --pools --pool-queries 14 "$tmp/names" > /dev/null 2>"$tmp/b.err"; rc=$?
stop_wall
rules=$(grep -v '^#' "$tmp/inferred.rules" | awk '{ print $1, ($2 ~ /^qtype=/ ? $2 : ""), ($NF == "pass" ? "pass" : "") }' | sed 's/ *$//' | sort | paste -sd';')
want='*.blocked.com;*.free.blocked.com  pass;*google*;*youtube.com;exact.example.org;v6.example.net qtype=AAAA'
[ $rc = 0 ] && [ "$rules" = "$want" ] && ok "inferred: subdomain, its exemption, substring, text suffix, exact, qtype=AAAA" || fail "inferred rules" "got '$rules' $(cat "$tmp/b.err")"
grep -q '^# subdomain from www.blocked.com: [0-9]* probes, [0-9]* blocked; zq9.blocked.com blocked, zq9blocked.com not; explains 2 names' "$tmp/inferred.rules" \
	&& ok "each rule with its evidence (probes, the decisive pair)" || fail "evidence comments" "$(cat "$tmp/inferred.rules")"
grep -q 'at most [0-9]* per name (bound 18)' "$tmp/b.err" && ok "probes per name bounded and stated" || fail "probes bound" "$(cat "$tmp/b.err")"
over=$(sqlite3 "$tmp/b.db" 'select name || " " || pattern from census_overblocked order by 1' | paste -sd';')
[ "$over" = 'googleapis.com *google*;notyoutube.com *youtube.com' ] && ok "over-blocked: notyoutube.com, googleapis.com, with their rules" || fail "over-blocked" "$over"
pools=$(sqlite3 "$tmp/b.db" 'select length, confirmed, ord from census_pools where replies > 2' | sort -u)
[ "$pools" = "7|1|198.51.100.1 198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6 198.51.100.7" ] \
	&& [ "$(sqlite3 "$tmp/b.db" 'select count(*) from census_pools where replies > 2')" = 3 ] \
	&& ok "pools: each injector's 7 addresses, cyclic, in order, from 14 queries" || fail "pools" "$pools $(grep pool "$tmp/b.err")"

# --- the inferred rules in a second wall: the same censored set ------------------------
start_wall "$tmp/inferred.rules" || fail "a wall loads the inferred rules" "$(cat "$tmp/inj.err")"
census -t A -t AAAA --ndjson "$tmp/names" > "$tmp/c.ndjson" 2>"$tmp/c.err"
stop_wall
same=$(diff <(jq -r '[.name, .qtype] | @tsv' "$tmp/a.ndjson" | sort -u) <(jq -r '[.name, .qtype] | @tsv' "$tmp/c.ndjson" | sort -u))
[ -z "$same" ] && [ -s "$tmp/c.ndjson" ] && ok "the inferred rules in a second wall censor the same (name, type) pairs" || fail "second wall" "$same"

# --- day over day: rules changed, the diff -------------------------------------------------
grep -v 'google' "$tmp/wall.rules" > "$tmp/wall2.rules"
echo '*.example.org a=198.51.100.10' >> "$tmp/wall2.rules"
# the second day in a copy of the first's store, which also gets a probe run,
# so that `dnswatch report` draws it (with the census section)
cp "$tmp/b.db" "$tmp/d.db"
"$DNSWATCH" probe --lab $LAB --from client --target nodnsout --hold 100 --timeout 300 --retries 0 \
	--db "$tmp/d.db" "$tmp/names" >/dev/null 2>&1
start_wall "$tmp/wall2.rules" || fail "wall starts"
census -t A -t AAAA --db "$tmp/d.db" --infer --pools --pool-queries 14 "$tmp/names" > /dev/null 2>"$tmp/d.err"
stop_wall
"$DNSWATCH" census diff --ndjson "$tmp/b.db" "$tmp/d.db" > "$tmp/diff.ndjson" 2>"$tmp/diff.err"; rc=$?
# (pools are left out here: a random IP ID of 0 now and then makes a reply a
# fingerprint of its own; the pools' diff is tests/census/test_census_store.c's)
d=$(jq -r 'select(.change != "pool_changed") | [.change, .name // .rule] | join(" ")' "$tmp/diff.ndjson" | paste -sd';')
want='newly_censored other.example.org;no_longer_censored googleapis.com;no_longer_censored www.google.com;rule_added *.example.org;rule_removed *google*'
[ $rc = 0 ] && [ "$d" = "$want" ] && grep -q '1 newly censored, 2 no longer censored, 1 rules added, 1 removed, [0-9]* pools changed' "$tmp/diff.err" \
	&& ok "census diff: newly and no longer censored, rules added and removed" || fail "census diff" "rc=$rc '$d' $(cat "$tmp/diff.err")"

"$DNSWATCH" report "$tmp/d.db" -o "$tmp/report.html" >/dev/null 2>"$tmp/report.err"
grep -q '<section id="census"><h2>Census</h2>' "$tmp/report.html" && grep -q 'Since census 1' "$tmp/report.html" &&
	grep -q 'rules removed: 1 (<code>\*google\*</code>)' "$tmp/report.html" && grep -q '<code>notyoutube.com</code> under' "$tmp/report.html" \
	&& ok "report: the census section (counts, rules, over-blocked, pools, since the census before)" \
	|| fail "report's census section" "$(cat "$tmp/report.err"; grep -o '<section id="census">.*' "$tmp/report.html" | head -c 800)"

# --- resume after kill -9: no name lost or doubled ----------------------------------------
for i in $(seq 1500); do echo "n$i.blocked.com"; echo "c$i.clean.net"; done > "$tmp/many"
start_wall "$tmp/wall.rules" || fail "wall starts"
"$DNSWATCH" census --lab $LAB --from client --timeout 300 --rate 800 --hold 50 --db "$tmp/r.db" "$tmp/many" 2>"$tmp/r1.err" &
p=$!
# killed once a batch of names is in (the first commits after 1 s), at 2.5 s at the earliest
sleep 2.5
for _ in $(seq 50); do [ "$(sqlite3 "$tmp/r.db" 'select count(*) from census_names' 2>/dev/null || echo 0)" -gt 0 ] && break; sleep 0.1; done
kill -9 $p; wait $p 2>/dev/null
before=$(sqlite3 "$tmp/r.db" 'select count(*) from census_names')
census --rate 5000 --hold 50 --db "$tmp/r.db" --resume "$tmp/many" 2>"$tmp/r2.err"; rc=$?
stop_wall
r=$(sqlite3 "$tmp/r.db" "select count(*), count(distinct seq), sum(censored != 0), (select count(*) from census_runs), (select status from census_runs) from census_names" | tr '|' ' ')
[ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$before" -lt 3000 ] && [ "$r" = "3000 3000 1500 1 finished" ] \
	&& ok "kill -9 after $before names, --resume: 3000 names once each, 1500 censored, one census finished" \
	|| fail "resume after kill -9" "rc=$rc before=$before now='$r' $(cat "$tmp/r2.err")"
check_fails "--resume with another list is refused" census --db "$tmp/r.db" --resume "$tmp/names" 2>/dev/null
# --- the census into ClickHouse, from the lab host --------------------------------------------
# A server of this test's own on the host's loopback (a port of its own,
# stopped by its pid); the census runs in the client's namespace, its
# store opened from the host's: the same names, rules and counts as SQLite's.
command -v clickhouse-server >/dev/null 2>&1 || "$DW_ROOT/scripts/deps.sh" clickhouse >/dev/null 2>&1
# Below the ephemeral range (32768-60999): on the host's loopback a port in
# it can be held by any outgoing connection, and the server could not bind.
chport=$((20000 + ($$ % 1000) * 2))
ch_up=
trap '[ -n "$ch_up" ] && CH_KILL=1 "$DW_ROOT/scripts/clickhouse.sh" down "$tmp/ch" >/dev/null 2>&1; _lab_test_cleanup' EXIT
if CH_WAIT=60 "$DW_ROOT/scripts/clickhouse.sh" up "$tmp/ch" $chport >"$tmp/ch.out" 2>&1; then
	ch_up=1
	chq() { curl -sS --max-time 30 "http://127.0.0.1:$chport/" --data-binary "$1"; }
	chu=clickhouse://127.0.0.1:$chport/lab
	export DNSWATCH_SPOOL=$tmp/spool
	start_wall "$tmp/wall.rules" || fail "wall starts"
	census -t A -t AAAA --db "$chu" --infer --rules-out "$tmp/ch.rules" "$tmp/names" > /dev/null 2>"$tmp/ch.err"; rc=$?
	stop_wall
	r=$(chq "SELECT count(), sum(censored != 0) FROM lab.census_names FINAL" | tr '\t' ' ')
	rules=$(chq "SELECT pattern FROM lab.census_rules FINAL ORDER BY pattern" | paste -sd';')
	over=$(chq "SELECT concat(name, ' ', pattern) FROM lab.census_overblocked FINAL ORDER BY name" | paste -sd';')
	st=$(chq "SELECT argMax(status, version) FROM lab.census_runs GROUP BY run")
	[ $rc = 0 ] && [ "$r" = "13 8" ] && [ "$st" = finished ] &&
		[ "$rules" = "$(sqlite3 "$tmp/b.db" 'select pattern from census_rules order by pattern' | paste -sd';')" ] &&
		[ "$over" = 'googleapis.com *google*;notyoutube.com *youtube.com' ] \
		&& ok "census --db clickhouse:// from the lab host: 13 names, 8 censored, the same rules and over-blocked names as SQLite's" \
		|| fail "census into ClickHouse" "rc=$rc names '$r' status $st rules '$rules' over '$over' $(cat "$tmp/ch.err")"
	"$DNSWATCH" census diff "$chu" "$chu" >"$tmp/chdiff.out" 2>&1; rc=$?
	"$DNSWATCH" census diff "$tmp/b.db" "$chu" >"$tmp/chdiff2.out" 2>&1; rc2=$?
	[ $rc = 0 ] && grep -q ': 0 newly censored, 0 no longer censored, 0 rules added, 0 removed, 0 pools changed' "$tmp/chdiff.out" &&
		[ $rc2 != 0 ] && grep -q 'compare two stores of one kind' "$tmp/chdiff2.out" \
		&& ok "census diff over ClickHouse (the census against itself: nothing changed; against a file: refused)" \
		|| fail "census diff over ClickHouse" "rc=$rc/$rc2 $(cat "$tmp/chdiff.out" "$tmp/chdiff2.out")"
	CH_KILL=1 "$DW_ROOT/scripts/clickhouse.sh" down "$tmp/ch" >/dev/null 2>&1
	ch_up=
	unset DNSWATCH_SPOOL
else
	fail "clickhouse-server starts" "$(cat "$tmp/ch.out")"
fi

done_testing
