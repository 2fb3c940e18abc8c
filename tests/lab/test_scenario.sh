#!/bin/bash
# Scenarios replayed in the lab (docs/scenarios.md), checked at the right
# moments by reading the replay's events file:
# - 2014.scenario (the wall, the GFW preset): a .com name through the ISP
#   resolver is forged in the window, still forged after it (the cache tail)
#   until the flush, real after; the tunnelled vpnclient is clean throughout;
#   the no-DNS address answers in the window; remote walking the delegation
#   chain from outside gets the real answer.
# - tld-compromise.scenario (no wall): remote walking the chain and the
#   public resolver get 65.49.2.178 in the window, the real answer after; the
#   no-DNS address stays silent; the com zone file comes back byte for byte.
# - a bad scenario file: FILE:LINE, exit 2, nothing run; SIGINT: exit 130,
#   everything undone; a running wall given with --control: its rules off on
#   SIGINT, the wall itself left running.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
need_root "scenario tests"
need_tools "scenario tests" dig jq
LAB=sc$(( $$ % 100000 ))
SCALE=1s=3min      # 15:10 to 16:05 in 18.3 s; the misfire window is 8 s
FORGED=65.49.2.178 ROGUE=198.19.66.66
ISP=198.18.1.1 PUBLIC=198.19.8.8 NODNS=198.18.55.55 COMTLD=198.19.53.2
tmp=$(mktemp -d)
rp=
wall=
cleanup() {
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	[ -n "$wall" ] && kill -TERM "$wall" 2>/dev/null && wait "$wall" 2>/dev/null
	"$DNSWATCH" lab --name $LAB down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
lab() { "$DNSWATCH" lab --name $LAB "$@"; }
lab up --names com=60,net=20,org=20,cn=40 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
key=/run/dnswatch/$LAB/answers.tsv

ask() { # HOST SERVER NAME: the A answers, sorted, comma-separated ("" for none)
	lab exec "$1" dig +short +tries=1 +time=2 @"$2" "$3" A 2>/dev/null | grep -v '^;' | sort | paste -sd, -
}
expected() { awk -F'\t' -v n="$1" '$1 == n && $2 == "A" { print $3 }' "$key" | tr ',' '\n' | sort | paste -sd, -; }
server_of() { awk -F'\t' -v n="$1" '$1 == n && $2 == "A" { print $5 }' "$key"; }
# A .com name in a zone no earlier check has touched (resolvers cache delegations).
touse() {
	local n
	n=$(awk -F'\t' 'NR == FNR { used[$1] = 1; next } FNR > 2 && $2 == "A" && $1 ~ /\.com\.$/ && !($4 in used) { print $1 "\t" $4; exit }' \
		"$tmp/used" "$key")
	[ -n "$n" ] || { echo "no unused .com zone left in the key" >&2; return 1; }
	echo "${n#*$'\t'}" >>"$tmp/used"
	echo "${n%%$'\t'*}"
}
echo "-" >"$tmp/used"   # never empty: awk's NR == FNR would hold for the key
# From remote, outside the border: ask the com TLD server for NAME without
# recursion, then the server its referral's glue names. Prints "GLUE ANSWERS".
walk() {
	local glue
	glue=$(lab exec remote dig +norec +noall +additional +tries=1 +time=2 @$COMTLD "$1" A 2>/dev/null |
		awk '$4 == "A" { print $5; exit }')
	echo "$glue $(lab exec remote dig +norec +short +tries=1 +time=2 @"${glue:-0.0.0.0}" "$1" A 2>/dev/null | sort | paste -sd, -)"
}
events=
seen() { grep -qF "\"action\":\"$1\"" "$events"; }
wait_event() { # ACTION: wait (at most 40 s) until the replay has written it
	for _ in $(seq 400); do seen "$1" && return 0; sleep 0.1; done
	return 1
}
replay() { # SCENARIO EVENTS: in the background, sets rp
	events=$2
	: >"$events"
	# dnswatch itself in the background (not through a function), so that $!
	# is its pid and SIGINT reaches it
	"$DNSWATCH" lab --name $LAB replay "$1" --scale $SCALE --events "$events" >"$events.out" 2>&1 &
	rp=$!
}

# ---- a bad file: FILE:LINE: reason, exit 2, nothing run ------------------------------
printf 'scenario x\nclock 15:10\nwall gfw\n15:10 inject load nothere.rules\n15:11 end\n' >"$tmp/bad.scenario"
err=$(lab replay "$tmp/bad.scenario" --events "$tmp/bad.ev" 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "bad.scenario:4: rules .*nothere.rules" && [ ! -e "$tmp/bad.ev" ] \
	&& ok "bad scenario: FILE:LINE, exit 2, nothing run" || fail "bad scenario: FILE:LINE, exit 2, nothing run" "rc=$rc $err"

# ---- 2014: the on-path injector ------------------------------------------------------
c1=$(touse) w1=$(touse) v1=$(touse)
replay "$DW_ROOT/lab/scenarios/2014.scenario" "$tmp/ev14"
wait_event start || fail "2014: the replay starts" "$(cat "$tmp/ev14.out")"
[ "$(ask vpnclient $PUBLIC "$v1")" = "$(expected "$v1")" ] && ok "2014 before: vpnclient clean" || fail "2014 before: vpnclient clean"

wait_event "inject load"
d_isp=$(ask client $ISP "$c1")
d_pub=$(ask client $PUBLIC "$w1")
d_vpn=$(ask vpnclient $PUBLIC "$w1")
d_nodns=$(ask remote $NODNS "$w1")
d_walk=$(walk "$w1")
in_window=$(seen "inject off" && echo no || echo yes)
[ "$in_window" = yes ] && ok "2014: the window's checks ran inside it" || fail "2014: the window's checks ran inside it"
[ "$d_isp" = $FORGED ] && ok "2014 window: $c1 through isp forged" || fail "2014 window: through isp forged" "$d_isp"
[ "$d_pub" = $FORGED ] && ok "2014 window: through the clean public resolver forged on the path" || fail "2014 window: public forged" "$d_pub"
[ "$d_vpn" = "$(expected "$w1")" ] && ok "2014 window: the same name from vpnclient, through its tunnel: the real answer" \
	|| fail "2014 window: vpnclient real" "got $d_vpn want $(expected "$w1")"
[ "$d_nodns" = $FORGED ] && ok "2014 window: the no-DNS address answers (an injector on the path)" || fail "2014 window: the no-DNS address answers" "$d_nodns"
[ "$d_walk" = "$(server_of "$w1") $(expected "$w1")" ] && ok "2014 window: remote asking the authoritatives directly gets the real answer" \
	|| fail "2014 window: remote walk real" "got '$d_walk' want '$(server_of "$w1") $(expected "$w1")'"

wait_event "inject off"
t_isp=$(ask client $ISP "$c1")
t_vpn=$(ask vpnclient $PUBLIC "$v1")
t_nodns=$(ask remote $NODNS "$v1")
in_tail=$(seen flush && echo no || echo yes)
[ "$in_tail" = yes ] && ok "2014: the cache tail's checks ran before the flush" || fail "2014: the cache tail's checks ran before the flush"
[ "$t_isp" = $FORGED ] && ok "2014 after 15:39: isp still serves the forgery (cache tail)" || fail "2014 cache tail" "$t_isp"
[ "$t_vpn" = "$(expected "$v1")" ] && ok "2014 after 15:39: vpnclient clean" || fail "2014 after 15:39: vpnclient clean" "$t_vpn"
[ -z "$t_nodns" ] && ok "2014 after 15:39: the no-DNS address is silent" || fail "2014 after 15:39: the no-DNS address is silent" "$t_nodns"

wait_event flush
[ "$(ask client $ISP "$c1")" = "$(expected "$c1")" ] && ok "2014 after the 16:00 flush: the real answer" || fail "2014 after the flush: real" "$(ask client $ISP "$c1")"
wait "$rp"; rc=$?; rp=
[ $rc = 0 ] && ok "2014: replay exits 0" || fail "2014: replay exits 0" "rc=$rc $(tail -3 "$tmp/ev14.out")"
acts=$(jq -r '.action' "$tmp/ev14" | paste -sd' ' -)
[ "$acts" = "start mark inject load mark mark inject off mark flush mark end wall stop" ] \
	&& ok "2014: one event per action, in order" || fail "2014: one event per action" "$acts"
jq -e -s 'map(select(.action != "wall stop")) | all(.time_us > 0 and .clock != null and .ok)' "$tmp/ev14" >/dev/null \
	&& jq -e -s '(map(select(.action == "inject load"))[0].offset_s == 300) and (map(select(.action == "inject off"))[0].clock == "15:39:00")' "$tmp/ev14" >/dev/null \
	&& ok "2014: events carry time_us, the scenario clock and the offset" || fail "2014: events fields" "$(head -3 "$tmp/ev14")"
# the replay's own timing: 15:15 -> 15:39 is 24 min, 8 s at 1s=3min
win=$(jq -s '(map(select(.action == "inject off"))[0].elapsed_us - map(select(.action == "inject load"))[0].elapsed_us) / 1e6' "$tmp/ev14")
awk -v w="$win" 'BEGIN { exit !(w > 7.5 && w < 8.8) }' && ok "2014: the window lasts 24 scenario minutes = ${win} s" || fail "2014: window length" "$win"
[ -z "$(pgrep -f "inject --lab $LAB ")" ] && ok "2014: the wall replay started is gone" || fail "2014: the wall is gone" "$(pgrep -af "inject --lab $LAB ")"

# ---- tld-compromise: the com TLD's data rewritten ---------------------------------------
cp "/run/dnswatch/$LAB/zones/com.zone" "$tmp/com.zone.before"
k1=$(touse) k2=$(touse)
replay "$DW_ROOT/lab/scenarios/tld-compromise.scenario" "$tmp/evtld"
wait_event "zone hijack" || fail "tld: the hijack happens" "$(cat "$tmp/evtld.out")"
h_walk=$(walk "$k1")
h_pub=$(ask remote $PUBLIC "$k2")
h_nodns=$(ask remote $NODNS "$k1")
h_vpn=$(ask vpnclient $PUBLIC "$k1")
in_window=$(seen "zone restore" && echo no || echo yes)
[ "$in_window" = yes ] && ok "tld: the window's checks ran inside it" || fail "tld: the window's checks ran inside it"
[ "$h_walk" = "$ROGUE $FORGED" ] && ok "tld window: remote asking the authoritatives directly: com refers to $ROGUE, which answers $FORGED" \
	|| fail "tld window: remote walk" "got '$h_walk'"
[ "$h_pub" = $FORGED ] && ok "tld window: the public resolver, outside the border, answers $FORGED" || fail "tld window: public" "$h_pub"
[ "$h_vpn" = $FORGED ] && ok "tld window: a VPN does not help against a compromised server" || fail "tld window: vpnclient" "$h_vpn"
[ -z "$h_nodns" ] && ok "tld window: the no-DNS address stays silent (no injector)" || fail "tld window: the no-DNS address stays silent" "$h_nodns"
wait_event "zone restore"
r_walk=$(walk "$k1")
[ "$r_walk" = "$(server_of "$k1") $(expected "$k1")" ] && ok "tld after 15:39: the walk reaches the key's server $(server_of "$k1") and the real answer" \
	|| fail "tld after restore: remote walk" "got '$r_walk' want '$(server_of "$k1") $(expected "$k1")'"
wait_event flush
[ "$(ask remote $PUBLIC "$k2")" = "$(expected "$k2")" ] && ok "tld after the 16:00 flush: the public resolver is right again" || fail "tld after flush: public" "$(ask remote $PUBLIC "$k2")"
wait "$rp"; rc=$?; rp=
[ $rc = 0 ] && ok "tld: replay exits 0" || fail "tld: replay exits 0" "rc=$rc $(tail -3 "$tmp/evtld.out")"
cmp -s "$tmp/com.zone.before" "/run/dnswatch/$LAB/zones/com.zone" && ok "tld: com.zone back byte for byte" || fail "tld: com.zone back byte for byte"
! lab exec outside ip -o addr show lo | grep -q "$ROGUE/" && [ -z "$(pgrep -f "/run/dnswatch/$LAB/scenario/rogue")" ] \
	&& ok "tld: the rogue server and its address are gone" || fail "tld: the rogue server and its address are gone"

# ---- SIGINT: everything undone ---------------------------------------------------------
replay "$DW_ROOT/lab/scenarios/tld-compromise.scenario" "$tmp/evint"
wait_event "zone hijack"
kill -INT "$rp"; wait "$rp"; rc=$?; rp=
[ $rc = 130 ] && seen interrupted && seen "zone restore" && cmp -s "$tmp/com.zone.before" "/run/dnswatch/$LAB/zones/com.zone" \
	&& [ "$(walk "$k1")" = "$(server_of "$k1") $(expected "$k1")" ] && [ -z "$(pgrep -f "/run/dnswatch/$LAB/scenario/rogue")" ] \
	&& ok "SIGINT in the tld window: exit 130, zone restored and served, rogue gone" \
	|| fail "SIGINT in the tld window" "rc=$rc $(tail -3 "$tmp/evint.out")"
replay "$DW_ROOT/lab/scenarios/2014.scenario" "$tmp/evint2"
wait_event "inject load"
kill -INT "$rp"; wait "$rp"; rc=$?; rp=
n=$(touse)
[ $rc = 130 ] && [ -z "$(pgrep -f "inject --lab $LAB ")" ] && [ "$(ask client $PUBLIC "$n")" = "$(expected "$n")" ] \
	&& ok "SIGINT in the 2014 window: exit 130, the wall stopped, lookups clean" \
	|| fail "SIGINT in the 2014 window" "rc=$rc $(tail -3 "$tmp/evint2.out")"
# a wall already running, given with --control: rules off on SIGINT, the wall left running
"$DNSWATCH" inject --lab $LAB --preset gfw --control "$tmp/wall.sock" >"$tmp/wall.out" 2>"$tmp/wall.err" &
wall=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/wall.err" && break; sleep 0.1; done
events="$tmp/evctl"; : >"$events"
"$DNSWATCH" lab --name $LAB replay "$DW_ROOT/lab/scenarios/2014.scenario" --control "$tmp/wall.sock" \
	--scale $SCALE --events "$events" >"$events.out" 2>&1 &
rp=$!
wait_event "inject load"
n=$(touse)
during=$(ask client $PUBLIC "$n")
kill -INT "$rp"; wait "$rp"; rc=$?; rp=
n=$(touse)
[ $rc = 130 ] && [ "$during" = $FORGED ] && seen "inject off" && [ "$(ask client $PUBLIC "$n")" = "$(expected "$n")" ] \
	&& kill -0 $wall 2>/dev/null && ok "--control: the running wall's rules on, then off on SIGINT; the wall left running" \
	|| fail "--control and SIGINT" "rc=$rc during=$during $(tail -3 "$events.out")"
kill -TERM $wall; wait $wall; wall=
lab status >/dev/null && ok "the lab is healthy after all replays" || fail "the lab is healthy after all replays"
done_testing
