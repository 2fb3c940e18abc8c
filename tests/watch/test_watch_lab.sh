#!/bin/bash
# dnswatch watch in the lab (docs/watch.md), against the shipped scenarios,
# each replayed at 1s=2min while watch runs from client, vpnclient and
# remote through every default path:
# - 2014.scenario: one incident, raised within 5 s of the misfire rule going
#   on, .com/.net/.org forged to 65.49.2.178 and .cn untouched, on the ISP,
#   public-from-inside and both no-DNS paths and nowhere else (the tunnelled
#   vpnclient clean throughout), cause on-path with the injector at hop 2
#   (the border), the injection's end seen, the ISP's cache tail measured
#   (forged answers after the rule went off, until the flush) and ended,
#   the incident in the store (with the hop and the 3 injector groups) and
#   passed to --on-incident;
# - tld-compromise.scenario: one incident, cause changed authoritative data
#   (the walk from the root gets the forged answer), no-DNS paths silent;
# - a clean replay (the wall up, no rule ever loaded): no incident;
# - without --lab, from where watch runs (a lab host here, by lab exec).
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test wl "watch lab tests"
need_tools "watch lab tests" jq sqlite3
w=
rp=
cleanup() {
	[ -n "$w" ] && kill -TERM "$w" 2>/dev/null && wait "$w" 2>/dev/null
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	_lab_test_cleanup
}
trap cleanup EXIT
"$DNSWATCH" lab --name "$LAB" up >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
SCEN=$DW_ROOT/lab/scenarios

# replay NAME SCENARIO WATCH-SECONDS: watch from 3 s before the replay until
# WATCH-SECONDS after its start; events in $tmp/NAME.ev, replay's in NAME.rp.
replay() {
	local name=$1 scen=$2 secs=$3
	"$DNSWATCH" watch --lab "$LAB" --duration $((secs + 3)) --status 0 --db "$tmp/$name.db" \
		--events "$tmp/$name.ev" --on-incident "cat >> '$tmp/$name.hook'" 2>"$tmp/$name.err" &
	w=$!
	sleep 3
	"$DNSWATCH" lab --name "$LAB" replay "$scen" --scale 1s=2min --events "$tmp/$name.rp" \
		>"$tmp/$name.rpout" 2>&1 &
	rp=$!
	wait $rp
	local rc=$?
	rp=
	[ $rc = 0 ] || fail "$name: replay" "$(cat "$tmp/$name.rpout")"
	wait $w
	rc=$?
	w=
	[ $rc = 0 ] && ok "$name: watch exits 0 at --duration" || fail "$name: watch exits 0 at --duration" "status $rc: $(tail -3 "$tmp/$name.err")"
}
# The last state of incident 1 (the "ended" event, or whatever came last).
last() { jq -c 'select(.event == "incident" and .id == 1)' "$tmp/$1.ev" | tail -1; }
q() { jq -r "$2" <<<"$1"; }

# ---- 2014 ------------------------------------------------------------------
replay 2014 "$SCEN/2014.scenario" 45
inc=$(last 2014)
on_us=$(jq -r 'select(.action == "inject load") | .time_us' "$tmp/2014.rp")
off_us=$(jq -r 'select(.action == "inject off") | .time_us' "$tmp/2014.rp")
flush_us=$(jq -r 'select(.action == "flush") | .time_us' "$tmp/2014.rp")
raised=$(jq -r 'select(.event == "incident" and .state == "raised") | .raised_us' "$tmp/2014.ev" | head -1)
n=$(jq -r 'select(.event == "incident") | .id' "$tmp/2014.ev" | sort -u | wc -l)
[ "$n" = 1 ] && ok "2014: one incident" || fail "2014: one incident" "$n incidents: $(cut -c1-300 "$tmp/2014.err")"
lat=$(( ${raised:-0} - ${on_us:-0} ))
[ -n "$raised" ] && [ $lat -le 5000000 ] && [ $lat -ge 0 ] && ok "2014: raised $((lat / 1000)) ms after the rule went on (bound 5 s)" ||
	fail "2014: raised within 5 s" "raised $raised, rule on $on_us"
[ "$(q "$inc" .cause)" = on-path ] && ok "2014: cause on-path" || fail "2014: cause on-path" "$(q "$inc" '.cause + ": " + .for')"
[ "$(q "$inc" .hop)" = 2 ] && ok "2014: the injector at hop 2, the border" || fail "2014: hop 2" "hop $(q "$inc" .hop); $(grep locate "$tmp/2014.err")"
[ "$(q "$inc" '[.tlds[] | select(.wrong > 0) | .tld] | sort | join(" ")')" = "com net org" ] &&
	ok "2014: .com .net .org forged" || fail "2014: .com .net .org forged" "$(q "$inc" .tlds)"
[ "$(q "$inc" '[.tlds[] | select(.tld == "cn" and .judged > 20 and .wrong == 0)] | length')" = 1 ] &&
	ok "2014: .cn untouched" || fail "2014: .cn untouched" "$(q "$inc" .tlds)"
[ "$(q "$inc" '.addresses[0].addr')" = 65.49.2.178 ] && [ "$(q "$inc" '.addresses | length')" = 1 ] &&
	ok "2014: one forged address, 65.49.2.178" || fail "2014: forged address" "$(q "$inc" .addresses)"
[ "$(q "$inc" '[.paths[] | select(.wrong > 0) | .path] | sort | join(" ")')" = "client/isp client/nodns client/public remote/nodns" ] &&
	ok "2014: forged on the ISP, public-from-inside and no-DNS paths only" || fail "2014: affected paths" "$(q "$inc" .paths)"
ser=$(jq -s '[.[] | select(.event == "series" and .path == "vpnclient/public")] | {j: (map(.judged) | add), w: (map(.wrong) | add)}' "$tmp/2014.ev")
[ "$(q "$ser" .w)" = 0 ] && [ "$(q "$ser" .j)" -gt 300 ] && ok "2014: the tunnelled vpnclient clean throughout ($(q "$ser" .j) answers)" ||
	fail "2014: vpnclient clean" "$ser"
q "$inc" .for | grep -q "run no DNS" && q "$inc" .for | grep -q "correctly from remote" &&
	ok "2014: evidence: no-DNS replies, and the public resolver clean from outside" || fail "2014: evidence" "$(q "$inc" .for)"
inj_end=$(q "$inc" .injection_end_us)
[ "$inj_end" != null ] && [ $((inj_end - off_us)) -le 1000000 ] && [ $((off_us - inj_end)) -le 3000000 ] &&
	ok "2014: the injection's end seen at the rule's" || fail "2014: injection end" "end $inj_end, rule off $off_us"
isp_last=$(q "$inc" '.paths[] | select(.path == "client/isp") | .last_wrong_us')
isp_clean=$(q "$inc" '.paths[] | select(.path == "client/isp") | .clean_us')
tail_ms=$(( (isp_last - inj_end) / 1000 ))
[ $tail_ms -ge 5000 ] && [ "$isp_last" -le $((flush_us + 1500000)) ] &&
	ok "2014: the ISP's cache tail: forged answers ${tail_ms} ms after the injection, until the flush" ||
	fail "2014: ISP cache tail" "last forged $isp_last, injection end $inj_end, flush $flush_us"
[ "$isp_clean" != null ] && [ "$isp_clean" -ge "$isp_last" ] && [ "$(q "$inc" .state)" = ended ] &&
	ok "2014: the ISP clean again and the incident ended" || fail "2014: ended" "$(q "$inc" '.state + " " + (.ended_us | tostring)')"
row=$(sqlite3 "$tmp/2014.db" "SELECT count(*), max(cause), max(addresses), max(ended_us IS NOT NULL), max(raised_us - started_us < 5000000) FROM incidents")
[ "$row" = "1|on-path|65.49.2.178|1|1" ] && ok "2014: the incident in the store" || fail "2014: store" "$row"
# the evidence agrees: the store's hop is the event's, its groups the event's groups, and
# the groups are those of the store's groups table (the gfw preset: all three forge)
srow=$(sqlite3 "$tmp/2014.db" "SELECT hop, hop_router != '', groups FROM incidents")
egroups=$(q "$inc" '[.groups[].id] | map(tostring) | join(" ")')
ngroups=$(sqlite3 "$tmp/2014.db" "SELECT count(*) FROM groups")
[ "$srow" = "2|1|$egroups" ] && [ "$(q "$inc" '.groups | length')" = "$ngroups" ] && [ "$ngroups" = 3 ] &&
	ok "2014: the store has watch's hop 2, its router and the incident's 3 injector groups, as the event and the groups table" ||
	fail "2014: store hop and groups" "store $srow; event groups $egroups; groups table $ngroups"
res=$(sqlite3 "$tmp/2014.db" "SELECT count(*) FROM queries")
[ "$res" -gt 3000 ] && ok "2014: $res results in the store" || fail "2014: results stored" "$res"
[ "$(jq -r .state "$tmp/2014.hook" | paste -sd' ' -)" = "$(jq -r 'select(.event == "incident") | .state' "$tmp/2014.ev" | paste -sd' ' -)" ] &&
	grep -q '"raised"' "$tmp/2014.hook" && ok "2014: --on-incident got every incident event on stdin" ||
	fail "2014: --on-incident" "$(jq -r .state "$tmp/2014.hook" 2>&1 | paste -sd' ' -)"
grep -q "INCIDENT 1 raised" "$tmp/2014.err" && ok "2014: one alert line on stderr" || fail "2014: alert line" "$(head -3 "$tmp/2014.err")"

# ---- tld-compromise --------------------------------------------------------
replay tld "$SCEN/tld-compromise.scenario" 45
inc=$(last tld)
n=$(jq -r 'select(.event == "incident") | .id' "$tmp/tld.ev" | sort -u | wc -l)
[ "$n" = 1 ] && ok "tld-compromise: one incident" || fail "tld-compromise: one incident" "$n"
[ "$(q "$inc" .cause)" = data ] && ok "tld-compromise: cause changed authoritative data" ||
	fail "tld-compromise: cause data" "$(q "$inc" '.cause + ": " + .for')"
[ "$(q "$inc" '[.paths[] | select(.path == "remote/walk") | .wrong > 0][0]')" = true ] &&
	[ "$(q "$inc" '[.paths[] | select(.path | endswith("nodns")) | .wrong] | add')" = 0 ] &&
	ok "tld-compromise: the walk from the root forged, no-DNS addresses silent" || fail "tld-compromise: evidence" "$(q "$inc" .paths)"
[ "$(q "$inc" '[.tlds[] | select(.wrong > 0) | .tld] | join(" ")')" = com ] &&
	ok "tld-compromise: only .com" || fail "tld-compromise: only .com" "$(q "$inc" .tlds)"

# ---- clean -----------------------------------------------------------------
cat >"$tmp/clean.scenario" <<'EOF'
scenario clean the wall in place, no rule ever loaded
clock 15:10 China
scale 1s=1min
wall gfw
15:10 mark before
15:39 mark nothing happened
15:50 end
EOF
replay clean "$tmp/clean.scenario" 22
n=$(jq -r 'select(.event == "incident") | .id' "$tmp/clean.ev" | sort -u | wc -l)
j=$(jq -s '[.[] | select(.event == "series") | .judged] | add' "$tmp/clean.ev")
[ "$n" = 0 ] && [ "$j" -gt 1000 ] && ok "clean replay: no incident in $j judged answers" || fail "clean replay: no incident" "$n incidents, $j judged"
# ---- no lab: the vantage point where watch runs (here a lab host, by lab exec) ----
"$DNSWATCH" lab --name "$LAB" exec client "$DNSWATCH" watch --path local/isp=resolver:198.18.1.1 \
	--path local/nodns=nodns:198.19.55.55 --key "/run/dnswatch/$LAB/answers.tsv" --duration 6 --status 0 \
	--events "$tmp/local.ev" 2>"$tmp/local.err"
rc=$?
j=$(jq -s '[.[] | select(.event == "series" and .path == "local/isp") | .judged] | add' "$tmp/local.ev")
[ $rc = 0 ] && [ "${j:-0}" -gt 30 ] && ok "without --lab: watches from where it runs ($j judged through local/isp)" ||
	fail "without --lab" "status $rc, judged $j: $(tail -3 "$tmp/local.err")"
check_fails "without --lab, a lab host as vantage point is refused" "$DNSWATCH" watch --path client/isp=resolver:198.18.1.1 --key "/run/dnswatch/$LAB/answers.tsv"
done_testing
