#!/bin/bash
# dnswatch probe in the lab with a Tranco-format list (rank,name; a
# repeated name, a bad line) and no answer key, as a newcomer would with the
# list researchers download: the 2014 misfire in the wall; straight to the
# no-DNS address (outside the border), .com/.net/.org are injected and .cn
# untouched; every result carries its line in the list; the summary says
# how the list was read. Needs root; takes its own lab down whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test tr "lab tests"
"$DNSWATCH" lab --name $LAB up --names com=12,net=6,org=6,cn=12 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv
# The list: the key's A names, ranked, no final dot, CRLF ends; line 3 a
# repeat of line 1 in capitals, line 5 a name with a space.
awk -F'\t' '$2 == "A" { print substr($1, 1, length($1) - 1) }' "$key" | sort -u > "$tmp/names"
n=$(wc -l < "$tmp/names")
awk -v OFS=, '
	NR == 1 { first = $0 }
	{ print ++r, $0 }
	NR == 2 { print ++r, toupper(first); print ++r, "bad name.com" }
' "$tmp/names" | sed 's/$/\r/' > "$tmp/tranco.csv"

"$DNSWATCH" inject --lab $LAB --busy-poll --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" \
	--log "$tmp/inj.log" >"$tmp/inj.out" 2>"$tmp/inj.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && break; sleep 0.1; done
"$DNSWATCH" probe --lab $LAB --from client --target nodnsout --hold 400 --timeout 600 --retries 1 \
	"$tmp/tranco.csv" > "$tmp/out.ndjson" 2>"$tmp/err"
rc=$?
kill -TERM "$inj"; wait "$inj"; inj=

[ "$rc" = 0 ] && [ "$(wc -l < "$tmp/out.ndjson")" = "$n" ] \
	&& ok "a Tranco list probed: $n names, one result each (exit 0)" \
	|| fail "Tranco list probed" "rc=$rc, $(wc -l < "$tmp/out.ndjson") results for $n names: $(cat "$tmp/err")"
grep -q "^probe: .*: $n names of a csv-rank list (1 invalid lines skipped, 1 repeated names skipped)" "$tmp/err" \
	&& ok "the summary: read as csv-rank, 1 invalid line and 1 repeat skipped" \
	|| fail "the summary line" "$(grep '^probe:' "$tmp/err")"
grep -q "^$tmp/tranco.csv:4: invalid name 'bad name.com': bad character" "$tmp/err" \
	&& ok "the bad line told by file and line" || fail "the bad line told" "$(cat "$tmp/err")"
# each result's line is the line its name stands on in the list
bad=$(jq -r '[.line, (.name | rtrimstr("."))] | @tsv' "$tmp/out.ndjson" | while IFS=$'\t' read -r l nm; do
	want=$(sed -n "${l}p" "$tmp/tranco.csv" | tr -d '\r' | cut -d, -f2)
	[ "$want" = "$nm" ] || echo "$l:$nm:$want"
done)
[ -z "$bad" ] && ok "every result carries its line in the list" || fail "result lines" "$bad"
v=$(jq -r '[(.name | test("\\.cn\\.$")), .verdict] | @tsv' "$tmp/out.ndjson" | sort | uniq -c | awk '{ print $2 ":" $3 }' | paste -sd' ' -)
[ "$v" = "false:injected true:ok" ] && ok "no key: .com/.net/.org injected, .cn ok ($v)" || fail "verdicts without a key" "$v"
done_testing
