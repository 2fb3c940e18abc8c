#!/bin/bash
# A control over DNS over TLS in the lab: the public resolver's DoT (port
# 853, the lab CA's certificate for resolver.lab) as the control of probe
# with no answer key; the 2014 wall on: the public resolver over UDP judged
# injected by the race against the DoT control, .cn ok, the DoT answers
# never forged; each verdict's control in the store; a second vantage
# point's store (remote, outside the border) as the control
# (--control-db); a wrong name and a wrong CA refused in one line. Needs
# root; takes its own lab down.
. "$DW_ROOT/tests/lib.sh"
lab_test dt "lab DoT tests"
need_tools "lab DoT tests" openssl jq sqlite3
"$DNSWATCH" lab --name $LAB up --names com=60,net=20,org=20,cn=40 >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
state=/run/dnswatch/$LAB
[ -s "$state/ca.pem" ] && ok "lab up writes the lab CA ($state/ca.pem)" || fail "lab CA written"
# the names alone, every 4th (a list, not the key)
grep -v '^#' "$state/names.txt" | awk 'NR % 4 == 1' > "$tmp/names"
n=$(wc -l < "$tmp/names")
probe() { "$DNSWATCH" probe --lab $LAB --from client --hold 400 --timeout 600 --retries 1 "$@"; }
start_injector() {
	"$DNSWATCH" inject --lab $LAB --busy-poll "$@" --log "$tmp/inj.log" >"$tmp/inj.out" 2>"$tmp/inj.err" &
	inj=$!
	for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inj.err" && return 0; sleep 0.1; done
	return 1
}
stop_injector() { kill -TERM "$inj"; wait "$inj"; inj=; }

# --- no wall: every answer consistent with the DoT control -----------------------
probe --target public --target dot=tls:198.19.8.8#resolver.lab --control-target dot \
	--db "$tmp/off.db" --ndjson "$tmp/names" > "$tmp/off.ndjson" 2>"$tmp/off.err"
rc=$?
bad=$(jq -r 'select(.verdict != "ok") | [.name, .verdict, .evidence] | @tsv' "$tmp/off.ndjson")
[ $rc = 0 ] && [ "$(wc -l < "$tmp/off.ndjson")" = "$n" ] && [ -z "$bad" ] &&
	ok "no wall: all $n answers of the public resolver ok against the DoT control" ||
	fail "no wall: all ok against the DoT control" "rc $rc; $(head -3 "$tmp/off.err"); $bad"
ctl=$(sqlite3 "$tmp/off.db" "SELECT control, count(*) FROM queries GROUP BY control")
[ "$ctl" = "live dot|$n" ] && ok "the store records each verdict's control (live dot)" ||
	fail "the store records the control" "$ctl"

# a second vantage point outside: its store, the control of the next runs
"$DNSWATCH" probe --lab $LAB --from remote --hold 400 --timeout 600 --retries 1 --target public \
	--db "$tmp/remote.db" "$tmp/names" 2>"$tmp/remote.err"
[ $? = 0 ] && ok "remote (outside) writes its own store" || fail "remote store" "$(cat "$tmp/remote.err")"

# --- the 2014 wall: UDP forged on the path, DoT untouched -------------------------
start_injector --preset gfw --rules "$DW_ROOT/lab/scenarios/2014-misfire.rules" || fail "injector starts"
probe --target public --target dot=tls:198.19.8.8#resolver.lab --control-target dot \
	"$tmp/names" > "$tmp/on.ndjson" 2>"$tmp/on.err"
unbound-control -c $state/srv/public/unbound.conf flush_zone . >/dev/null
probe --target public --control-db "$tmp/remote.db" --db "$tmp/ondb.db" --ndjson "$tmp/names" > "$tmp/ondb.ndjson" 2>"$tmp/ondb.err"
stop_injector
v=$(jq -r '[(.name | test("\\.cn\\.$")), .verdict] | @tsv' "$tmp/ondb.ndjson" | sort | uniq -c | awk '{ print $2 ":" $3 }' | paste -sd' ' -)
ctl=$(sqlite3 "$tmp/ondb.db" "SELECT DISTINCT control FROM queries")
[ "$v" = "false:injected true:ok" ] && [ "$ctl" = run ] &&
	ok "2014 wall: against the remote vantage point's store (--control-db): injected, .cn ok, control 'run'" ||
	fail "2014 wall: --control-db" "$v; control $ctl; $(head -3 "$tmp/ondb.err")"
v=$(jq -r '[(.name | test("\\.cn\\.$")), .verdict] | @tsv' "$tmp/on.ndjson" | sort | uniq -c | awk '{ print $2 ":" $3 }' | paste -sd' ' -)
[ "$v" = "false:injected true:ok" ] &&
	ok "2014 wall: the public resolver over UDP injected (.com/.net/.org), .cn ok, against the DoT control" ||
	fail "2014 wall: verdicts against the DoT control" "$v; $(head -3 "$tmp/on.err")"
forged_ctl=$(jq -r 'select(.verdict == "injected") | select(.evidence | test("second matches|matches")) | .name' "$tmp/on.ndjson" | wc -l)
[ "$forged_ctl" -gt 0 ] && ok "the race seen against the DoT control ($forged_ctl names: forged first, the DoT answer's match last)" ||
	fail "race against the DoT control" "$(jq -r .evidence "$tmp/on.ndjson" | head -3)"

# --- refused: a wrong name, a wrong CA ---------------------------------------------
probe --target public --target dot=tls:198.19.8.8#other.lab --control-target dot "$tmp/names" >/dev/null 2>"$tmp/name.err"
rc=$?
[ $rc = 1 ] && grep -q 'control target dot: dot 198.19.8.8:853 (other.lab): certificate refused: hostname mismatch' "$tmp/name.err" &&
	ok "a name the certificate does not hold: refused in one line, exit 1" ||
	fail "wrong name refused" "rc $rc: $(cat "$tmp/name.err")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-keyout "$tmp/other.key" -out "$tmp/other.pem" -subj /CN=other-ca >/dev/null 2>&1
probe --target public --target dot=tls:198.19.8.8#resolver.lab --control-target dot --ca "$tmp/other.pem" \
	"$tmp/names" >/dev/null 2>"$tmp/ca.err"
rc=$?
[ $rc = 1 ] && grep -q 'certificate refused: unable to get local issuer certificate' "$tmp/ca.err" &&
	ok "a CA that did not sign it: refused in one line, exit 1" ||
	fail "wrong CA refused" "rc $rc: $(cat "$tmp/ca.err")"
probe --target public --target dot=tls:198.19.8.8#resolver.lab "$tmp/names" >/dev/null 2>"$tmp/use.err"
[ $? = 2 ] && grep -q 'a tls: target is the control only' "$tmp/use.err" &&
	ok "a tls: target that is not the control: usage error" || fail "tls target not the control" "$(cat "$tmp/use.err")"
done_testing
