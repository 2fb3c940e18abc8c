#!/bin/bash
# dnswatch probe and locate in the lab, with the 2014 scenario in the wall:
# verdicts per path, precision and recall against the injector's own log,
# locate naming the border, resume after kill -9, bad input lines, an input
# that cannot be read (the run left open for --resume).
# Needs root; takes its own lab down whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test pr "lab tests"
"$DNSWATCH" lab --name $LAB up --names com=90,net=30,org=30,cn=60 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
probe() { "$DNSWATCH" probe --lab $LAB --from client --control-key "$key" --hold 400 --timeout 600 --retries 1 "$@"; }
start_injector() {
	"$DNSWATCH" inject --lab $LAB --busy-poll "$@" --log "$tmp/inj.log" >"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	return 1
}
stop_injector() { kill -TERM "$inj"; wait "$inj"; inj=; }
# names: every 3rd A name of the key (about 70, all four TLDs)
awk -F'\t' '$2 == "A" { print substr($1, 1, length($1) - 1) }' "$key" | awk 'NR % 3 == 1' > "$tmp/names"
n=$(wc -l < "$tmp/names")

# --- scenario off: all ok ------------------------------------------------------
start_injector || fail "injector starts"
probe --target nodnsout --target public --target isp "$tmp/names" > "$tmp/off.ndjson" 2>"$tmp/off.err"
bad=$(jq -r 'select(.verdict != "ok") | [.name, .target.label, .verdict] | @tsv' "$tmp/off.ndjson")
[ "$(wc -l < "$tmp/off.ndjson")" = $((n * 3)) ] && [ -z "$bad" ] && ok "scenario off: all $((n * 3)) verdicts ok" || fail "scenario off: all ok" "$bad"
stop_injector
unbound-control -c /run/dnswatch/$LAB/srv/isp/unbound.conf flush_zone . >/dev/null
unbound-control -c /run/dnswatch/$LAB/srv/public/unbound.conf flush_zone . >/dev/null

# --- the 2014 misfire, the GFW's three injectors ----------------------------------
: > "$tmp/inj.log"
start_injector --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
probe --target nodnsout --target public --target isp "$tmp/names" > "$tmp/on.ndjson" 2>"$tmp/on.err"
stop_injector
v() { jq -r --arg t "$1" 'select(.target.label == $t) | [(.name | test("\\.cn\\.$")), .verdict] | @tsv' "$tmp/on.ndjson" | sort | uniq -c | awk '{ print $2 ":" $3 }' | paste -sd' ' -; }
[ "$(v nodnsout)" = "false:injected true:ok" ] && ok "straight to the no-DNS address: .com/.net/.org injected, .cn ok" || fail "no-DNS address verdicts" "$(v nodnsout)"
[ "$(v public)" = "false:injected true:ok" ] && ok "through the outside public resolver: injected, .cn ok" || fail "public resolver verdicts" "$(v public)"
isp=$(v isp)
case "$isp" in
"false:poisoned true:ok"|"false:injected false:poisoned true:ok"|"false:injected true:ok") ok "through the ISP resolver: poisoned (or injected), .cn ok ($isp)" ;;
*) fail "ISP resolver verdicts" "$isp" ;;
esac
# precision and recall of forged-answer verdicts, against the injector's own log
jq -r '.qname' "$tmp/inj.log" | sort -u > "$tmp/forged"
for t in nodnsout public isp; do
	jq -r --arg t $t 'select(.target.label == $t and (.verdict == "injected" or .verdict == "poisoned")) | .name' "$tmp/on.ndjson" | sort -u > "$tmp/judged.$t"
	fp=$(comm -23 "$tmp/judged.$t" "$tmp/forged" | wc -l)       # judged forged, never forged
	fnames=$(sed 's/$/./' "$tmp/names" | sort -u | comm -12 - "$tmp/forged")
	fn=$(comm -23 <(echo "$fnames") "$tmp/judged.$t" | grep -c .)  # forged, not judged
	tp=$(wc -l < "$tmp/judged.$t")
	[ "$fp" = 0 ] && [ "$fn" = 0 ] && [ "$tp" -gt 0 ] && ok "$t: precision and recall 100% ($tp forged answers)" || fail "$t: precision and recall" "false positives $fp, false negatives $fn"
done
groups=$(grep -c '^injector group' "$tmp/on.err")
[ "$groups" = 3 ] && ok "three injector groups from the three injectors" || fail "three injector groups" "$(grep '^injector group' "$tmp/on.err")"
jq -e -s 'map(select(.verdict == "injected" and .target.label == "nodnsout")) | all(.replies | length == 3)' "$tmp/on.ndjson" >/dev/null \
	&& ok "every reply kept (3 per query to the no-DNS address)" || fail "every reply kept"
jq -e -s 'map(select(.target.label == "public" and .verdict == "injected")) | all(.replies[0].ip_ttl != null and .replies[-1].answers[0].addr != "65.49.2.178" and .replies[0].answers[0].addr == "65.49.2.178")' "$tmp/on.ndjson" >/dev/null \
	&& ok "public path: the forged replies first, the real one last (Hold-On)" || fail "public path: forged first, real last"

# --- locate -------------------------------------------------------------------------
start_injector --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
out=$("$DNSWATCH" locate --lab $LAB --from client --max-ttl 8 --json 198.19.55.55 www.example.com)
echo "$out" | jq -e '.hop == 2 and .hops[1].router == "198.18.2.1" and .untrusted_mirroring == true' >/dev/null \
	&& ok "locate: the border is hop 2 (198.18.2.1); the mirroring injector set aside" || fail "locate: the border is hop 2" "$out"
stop_injector
start_injector --injector name=mirror,ttl=mirror --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
out=$("$DNSWATCH" locate --lab $LAB --from client --max-ttl 8 198.19.55.55 www.example.com)
echo "$out" | grep -q 'verdict: cannot place the injector: every injector seen mirrors' \
	&& ok "locate: a TTL-mirroring injector alone: cannot trust the hop, says why" || fail "locate: a TTL-mirroring injector alone" "$out"
stop_injector

# --- resume after kill -9: no row lost, none doubled ----------------------------------
start_injector --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
"$DNSWATCH" probe --lab $LAB --from client --control-key "$key" --hold 200 --timeout 300 --retries 0 \
	--rate 30 --target nodnsout --target public --db "$tmp/run.db" "$tmp/names" 2>"$tmp/r1.err" &
p=$!
# kill it once some rows are stored (not after a fixed time: on a loaded
# machine start-up alone can take longer), well before the end (~14 s)
for _ in $(seq 100); do
	[ "$(sqlite3 -cmd '.timeout 200' "$tmp/run.db" 'select count(*) from queries' 2>/dev/null || echo 0)" -ge 10 ] && break
	sleep 0.1
done
kill -9 $p; wait $p 2>/dev/null
before=$(sqlite3 "$tmp/run.db" 'select count(*) from queries')
"$DNSWATCH" probe --lab $LAB --from client --control-key "$key" --hold 200 --timeout 300 --retries 0 \
	--rate 200 --db "$tmp/run.db" --resume "$tmp/names" 2>"$tmp/r2.err"; rc=$?
stop_injector
rows=$(sqlite3 "$tmp/run.db" 'select count(*) from queries')
distinct=$(sqlite3 "$tmp/run.db" 'select count(*) from (select distinct seq, target, qtype from queries)')
status=$(sqlite3 "$tmp/run.db" 'select status from runs')
[ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$before" -lt $((n * 2)) ] && [ "$rows" = $((n * 2)) ] && [ "$distinct" = "$rows" ] && [ "$status" = finished ] \
	&& ok "kill -9 after $before rows, --resume: $rows rows, none lost or doubled, run finished" \
	|| fail "resume after kill -9" "rc=$rc before=$before rows=$rows distinct=$distinct status=$status $(cat "$tmp/r2.err")"

# --- the store remembers forgeries: a later run, rule off, still sees the poison ------
printf '%s\n' "$(grep '\.cn$' "$tmp/names" | sed -n 2p)" "$(grep '\.com$' "$tmp/names" | sed -n 5p)" > "$tmp/two"
start_injector --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
"$DNSWATCH" probe --lab $LAB --from client --control-key "$key" --hold 300 --target nodnsout --target isp \
	--db "$tmp/mem.db" --pcap "$tmp/p.pcap" "$tmp/two" 2>/dev/null
stop_injector
"$DNSWATCH" probe --lab $LAB --from client --control-key "$key" --hold 300 --target isp --db "$tmp/mem.db" --ndjson \
	"$tmp/two" > "$tmp/later.ndjson" 2>/dev/null
v2=$(jq -r 'select(.name | test("\\.com\\.$")) | .verdict' "$tmp/later.ndjson")
[ "$v2" = poisoned ] && ok "a later run, rule off: the store's forgeries make the ISP's answer poisoned" || fail "the store's forgeries" "$v2 $(cat "$tmp/later.ndjson")"
[ "$(sqlite3 "$tmp/mem.db" 'select count(*) from runs')" = 2 ] && ok "two runs in one store" || fail "two runs in one store"
# --pcap: every packet sent and received
pk=$("$DNSWATCH" decode --json "$tmp/p.pcap" | jq -s '[(map(select(.flags.qr == false)) | length), (map(select(.flags.qr)) | length)] | @tsv' -r)
q=${pk%%$'\t'*} r=${pk##*$'\t'}
[ "$q" -ge 4 ] && [ "$r" -ge 4 ] && ok "--pcap: queries sent ($q) and replies received ($r), decodable" || fail "--pcap" "$pk"

# --- bad input lines: reported by line, the run goes on -----------------------------
printf 'www.example.com\nbad..name\n# a comment\n\nok.example.org\nwith space.com\n%s.com\n' "$(printf 'a%.0s' $(seq 64))" > "$tmp/badnames"
out=$("$DNSWATCH" probe --lab $LAB --from client --target isp --hold 100 --timeout 300 --retries 0 "$tmp/badnames" 2>"$tmp/bad.err")
grep -q "$tmp/badnames:2: invalid name 'bad..name': empty label, skipped" "$tmp/bad.err" &&
grep -q "$tmp/badnames:6: invalid name 'with space.com': bad character" "$tmp/bad.err" &&
grep -q "$tmp/badnames:7: invalid name '.*': label over 63 octets, skipped" "$tmp/bad.err" &&
[ "$(echo "$out" | jq -s 'map(.line) | sort | @csv' -r)" = "1,5" ] \
	&& ok "invalid names reported with their line numbers, the others probed" || fail "invalid names" "$(cat "$tmp/bad.err") $out"
# --- an input that cannot be read: exit 1, the run left open, --resume goes on --------
mkdir -p "$tmp/notafile"
"$DNSWATCH" probe --lab $LAB --from client --target isp --hold 100 --timeout 300 --retries 0 \
	--db "$tmp/rerr.db" "$tmp/notafile" >/dev/null 2>"$tmp/rerr.err"; rc=$?
status=$(sqlite3 "$tmp/rerr.db" 'select status from runs')
[ $rc = 1 ] && [ "$status" != finished ] &&
grep -q "$tmp/notafile: read error; stopping the input here: the run stays open (--resume probes the rest)" "$tmp/rerr.err" \
	&& ok "an input read error: said, exit 1, the run left open ($status)" || fail "an input read error" "rc=$rc status=$status $(cat "$tmp/rerr.err")"
"$DNSWATCH" probe --lab $LAB --from client --hold 100 --timeout 300 --retries 0 \
	--db "$tmp/rerr.db" --resume "$tmp/two" >/dev/null 2>"$tmp/rerr2.err"; rc=$?
status=$(sqlite3 "$tmp/rerr.db" 'select status from runs')
rows=$(sqlite3 "$tmp/rerr.db" 'select count(*) from queries')
[ $rc = 0 ] && [ "$status" = finished ] && [ "$rows" = 2 ] \
	&& ok "--resume after the read error: the rest probed, the run finished" || fail "--resume after the read error" "rc=$rc status=$status rows=$rows $(cat "$tmp/rerr2.err")"
err=$("$DNSWATCH" probe --lab $LAB --from client --target bogus "$tmp/names" 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "bad target" && ok "a bad target: one line, exit 2" || fail "a bad target" "$err"
done_testing
