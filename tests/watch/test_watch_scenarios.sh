#!/bin/bash
# dnswatch watch against the shipped pool scenarios (docs/scenarios.md),
# replayed faster than their files say while watch runs at its defaults
# from client, vpnclient and remote; each must be raised as exactly one
# incident, within 8 s of its rule going on (the goal, 5 s, is measured by
# bench/watch on a quiet machine; CI shares its cores, and a loaded lab
# delays the forged replies themselves), with the right TLDs, on-path:
# - 2014-pool.scenario: .com/.net/.org from 600 addresses (no single
#   address answers many names);
# - org-pool.scenario: .org alone (4.8% of the names: the lab is brought
#   up with org=300), from the same pool;
# - blocklist-burst.scenario: every name containing "tu" for what is a
#   minute in the file, from 30 addresses (the TLDs forged are those of the
#   "tu" names the panel happened to hold: more than one of com/net/org/cn);
# - one-injector.scenario: the gfw preset's three injectors, only gfw2
#   firing on .net: one injector group in the incident.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test ws "watch scenario tests"
need_tools "watch scenario tests" jq
w=
rp=
cleanup() {
	[ -n "$w" ] && kill -TERM "$w" 2>/dev/null && wait "$w" 2>/dev/null
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	_lab_test_cleanup
}
trap cleanup EXIT
"$DNSWATCH" lab --name "$LAB" up --names com=3000,net=1000,org=300,cn=2000 >"$tmp/up" 2>&1 ||
	{ fail "lab up" "$(cat "$tmp/up")"; exit 1; }
SCEN=$DW_ROOT/lab/scenarios

# replay NAME SCALE: watch from 3 s before the replay until it ends.
replay() {
	local name=$1 scale=$2
	"$DNSWATCH" watch --lab "$LAB" --status 0 --events "$tmp/$name.ev" 2>"$tmp/$name.err" &
	w=$!
	sleep 3
	"$DNSWATCH" lab --name "$LAB" replay "$SCEN/$name.scenario" --scale "$scale" --events "$tmp/$name.rp" \
		>"$tmp/$name.rpout" 2>&1 &
	rp=$!
	wait $rp
	local rc=$?
	rp=
	[ $rc = 0 ] || fail "$name: replay" "$(cat "$tmp/$name.rpout")"
	kill -TERM "$w"
	wait $w
	rc=$?
	w=
	[ $rc = 0 ] || fail "$name: watch exits 0 on SIGTERM" "status $rc: $(tail -3 "$tmp/$name.err")"
}
q() { jq -r "$2" <<<"$1"; }

# check NAME TLDS [GROUPS]: one incident, raised within 5 s of the rule, TLDS forged, on-path.
check() {
	local name=$1 tlds=$2 groups=${3:-}
	local n inc on raised lat
	n=$(jq -r 'select(.event == "incident") | .id' "$tmp/$name.ev" | sort -u | wc -l)
	[ "$n" = 1 ] && ok "$name: one incident" || fail "$name: one incident" "$n incidents: $(grep INCIDENT "$tmp/$name.err" | cut -c1-300)"
	inc=$(jq -c 'select(.event == "incident" and .id == 1)' "$tmp/$name.ev" | tail -1)
	on=$(jq -r 'select(.action == "inject load") | .time_us' "$tmp/$name.rp")
	raised=$(jq -r 'select(.event == "incident" and .state == "raised") | .raised_us' "$tmp/$name.ev" | head -1)
	lat=$(( ${raised:-0} - ${on:-0} ))
	[ -n "$raised" ] && [ $lat -ge 0 ] && [ $lat -le 8000000 ] &&
		ok "$name: raised $((lat / 1000)) ms after the rule went on (bound 8 s): $(q "$inc" .trigger)" ||
		fail "$name: raised within 8 s" "raised $raised, rule on $on, first forged answer $(q "$inc" .started_us): $(q "$inc" .trigger); load $(cut -d' ' -f1-3 /proc/loadavg)"
	# TLDS: exactly those; "ANY:A B C": a part of those, and more than one.
	local got
	got=$(q "$inc" '[.tlds[] | select(.wrong > 0) | .tld] | sort | join(" ")')
	case $tlds in
	ANY:*)
		local extra
		extra=$(echo $got | tr ' ' '\n' | grep -vxF -f <(echo "${tlds#ANY:}" | tr ' ' '\n'))
		[ -z "$extra" ] && [ "$(echo $got | wc -w)" -ge 2 ] && ok "$name: forged TLDs $got, among ${tlds#ANY:}" ||
			fail "$name: forged TLDs among ${tlds#ANY:}" "$(q "$inc" .tlds)" ;;
	*)
		[ "$got" = "$tlds" ] && ok "$name: forged TLDs $tlds" || fail "$name: forged TLDs $tlds" "$(q "$inc" .tlds)" ;;
	esac
	[ "$(q "$inc" .cause)" = on-path ] && ok "$name: cause on-path" || fail "$name: cause on-path" "$(q "$inc" '.cause + ": " + .for')"
	[ "$(q "$inc" '.addresses | length')" -gt 1 ] && ok "$name: forged from a pool ($(q "$inc" '.addresses | length') addresses kept)" ||
		fail "$name: forged from a pool" "$(q "$inc" .addresses)"
	if [ -n "$groups" ]; then
		[ "$(q "$inc" '.groups | length')" = "$groups" ] && ok "$name: $groups injector group(s)" ||
			fail "$name: $groups injector group(s)" "$(q "$inc" .groups)"
	fi
}

replay 2014-pool 1s=2min
check 2014-pool "com net org" 3
replay org-pool 1s=2min
check org-pool "org"
replay one-injector 1s=2min
check one-injector "net" 1
replay blocklist-burst 1s=4s
check blocklist-burst "ANY:cn com net org"
done_testing
