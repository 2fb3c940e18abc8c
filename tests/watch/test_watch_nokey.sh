#!/bin/bash
# dnswatch watch --no-key in the lab: no answer key (the lab's answers.tsv
# is moved away while watch runs, so it cannot be read), the panel from the
# lab's list of names, judged by live controls only: the remote vantage
# point's public resolver and the public resolver over DoT from client
# (docs/verdicts.md, "Controls without a key"). Both shipped scenarios,
# replayed at 1s=3min:
# - 2014.scenario: one incident, raised within 5 s of the rule, cause
#   on-path at hop 2, .com/.net/.org wrong and .cn untouched; every stored
#   verdict names its control, none the key;
# - tld-compromise.scenario: cause data (the walk from the root is
#   inconsistent with what the controls said before), no-DNS paths silent.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test wn "watch --no-key lab tests"
need_tools "watch --no-key lab tests" jq sqlite3
w=
rp=
key=
cleanup() {
	[ -n "$w" ] && kill -TERM "$w" 2>/dev/null && wait "$w" 2>/dev/null
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	[ -n "$key" ] && [ -e "$tmp/answers.tsv" ] && mv "$tmp/answers.tsv" "$key"
	_lab_test_cleanup
}
trap cleanup EXIT
"$DNSWATCH" lab --name "$LAB" up --names com=240,net=80,org=80,cn=160 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
SCEN=$DW_ROOT/lab/scenarios
key=/run/dnswatch/$LAB/answers.tsv

# replay NAME SCENARIO WATCH-SECONDS: watch --no-key from 3 s before the
# replay until WATCH-SECONDS after its start, the key moved away meanwhile.
replay() {
	local name=$1 scen=$2 secs=$3
	mv "$key" "$tmp/answers.tsv"
	"$DNSWATCH" watch --lab "$LAB" --no-key --duration $((secs + 3)) --status 0 --db "$tmp/$name.db" \
		--events "$tmp/$name.ev" 2>"$tmp/$name.err" &
	w=$!
	sleep 3
	"$DNSWATCH" lab --name "$LAB" replay "$scen" --scale 1s=3min --events "$tmp/$name.rp" \
		>"$tmp/$name.rpout" 2>&1 &
	rp=$!
	wait $rp
	local rc=$?
	rp=
	[ $rc = 0 ] || fail "$name: replay" "$(cat "$tmp/$name.rpout")"
	wait $w
	rc=$?
	w=
	mv "$tmp/answers.tsv" "$key"
	[ $rc = 0 ] && ok "$name: watch --no-key runs without the key and exits 0" ||
		fail "$name: watch --no-key exits 0" "status $rc: $(tail -3 "$tmp/$name.err")"
}
last() { jq -c 'select(.event == "incident" and .id == 1)' "$tmp/$1.ev" | tail -1; }
q() { jq -r "$2" <<<"$1"; }

# ---- 2014 ------------------------------------------------------------------
replay 2014 "$SCEN/2014.scenario" 24
grep -q 'no answer key; controls: remote/public, client/dot=tls:198.19.8.8#resolver.lab' "$tmp/2014.err" &&
	ok "2014: the controls said at the start (remote/public, DoT from client)" ||
	fail "2014: controls said" "$(head -3 "$tmp/2014.err")"
inc=$(last 2014)
on_us=$(jq -r 'select(.action == "inject load") | .time_us' "$tmp/2014.rp")
n=$(jq -c 'select(.event == "incident" and .state == "raised")' "$tmp/2014.ev" | wc -l)
[ "$n" = 1 ] && ok "2014: one incident raised" || fail "2014: one incident raised" "$n raised"
lat=$(( $(q "$inc" .raised_us) - on_us ))
[ "$lat" -ge 0 ] && [ "$lat" -le 5000000 ] && ok "2014: raised $((lat / 1000)) ms after the rule (<= 5 s)" ||
	fail "2014: raised within 5 s" "latency $lat us"
[ "$(q "$inc" '.cause + " " + (.hop | tostring)')" = "on-path 2" ] && ok "2014: cause on-path, the injector at hop 2" ||
	fail "2014: cause on-path at hop 2" "$(q "$inc" '.cause + " hop " + (.hop | tostring) + ": " + .for')"
tl=$(q "$inc" '[.tlds[] | select(.wrong > 0) | .tld] | sort | join(" ")')
cn=$(q "$inc" '[.tlds[] | select(.tld == "cn") | .judged, .wrong] | join(" ")')
[ "$tl" = "com net org" ] && [ "${cn% *}" -gt 0 ] && [ "${cn#* }" = 0 ] &&
	ok "2014: .com/.net/.org wrong, .cn untouched ($cn judged/wrong)" || fail "2014: TLDs" "wrong in: $tl; cn: $cn"
ctl=$(sqlite3 "$tmp/2014.db" "SELECT DISTINCT control FROM queries ORDER BY 1" | paste -sd, -)
case ",$ctl," in
*,key,*) fail "2014: no verdict judged by the key" "$ctl" ;;
*"live client/dot"*) ok "2014: verdicts record their live control ($ctl)" ;;
*) fail "2014: verdicts record their live control" "$ctl" ;;
esac
v=$(sqlite3 "$tmp/2014.db" "SELECT t.label || ':' || q.verdict FROM queries q JOIN targets t ON t.run = q.run AND t.idx = q.target WHERE q.verdict IN ('injected', 'poisoned') GROUP BY 1 ORDER BY 1" | paste -sd' ' -)
[ "$v" = "client/isp:poisoned client/nodns:injected client/public:injected remote/nodns:injected" ] &&
	ok "2014: forged answers only on the paths that cross the border ($v)" || fail "2014: forged paths" "$v"

# ---- tld-compromise -----------------------------------------------------------
replay tld "$SCEN/tld-compromise.scenario" 24
inc=$(last tld)
[ "$(q "$inc" .cause)" = data ] && ok "tld-compromise: cause data" ||
	fail "tld-compromise: cause data" "$(q "$inc" '.cause + ": " + .for + " / " + .against')"
nd=$(q "$inc" '[.paths[] | select(.path | test("nodns")) | .wrong] | add')
[ "$nd" = 0 ] && ok "tld-compromise: the no-DNS paths silent" || fail "tld-compromise: no-DNS silent" "$nd wrong"
done_testing
