#!/bin/bash
# dnswatch watch when things go wrong (docs/watch.md, "Faults"):
# - SIGTERM in the middle of an incident, with an --on-incident command that
#   hangs and ignores SIGTERM: exits 0 within seconds (the command's process
#   group ended after 5 s), the open
#   incident recorded as it stands (no end), the run finished, every result
#   committed, the database intact;
# - the database's disk fills up (a 320 KiB tmpfs in a mount namespace of
#   the test's own): one line naming the file, exit 1 within seconds, what
#   was committed before kept and readable, the database intact;
# - the ISP resolver dies mid-watch: a line and an event saying the path is
#   down, no incident (silence is not forgery), exit 0 at --duration.
# Needs root; its own lab, taken down by a trap whatever happens.
. "$DW_ROOT/tests/lib.sh"
lab_test wf "watch fault tests"
need_tools "watch fault tests" jq sqlite3 unshare
w=
rp=
cleanup() {
	[ -n "$w" ] && kill -TERM "$w" 2>/dev/null && wait "$w" 2>/dev/null
	[ -n "$rp" ] && kill -INT "$rp" 2>/dev/null && wait "$rp" 2>/dev/null
	_lab_test_cleanup
}
trap cleanup EXIT
"$DNSWATCH" lab --name "$LAB" up >"$tmp/up" 2>&1 || { fail "lab up" "$(cat "$tmp/up")"; exit 1; }
elapsed() { echo $(( $(date +%s%N) / 1000000 - $1 )); }

# ---- SIGTERM during the 2014 misfire -----------------------------------------
# The --on-incident command ignores SIGTERM and sleeps: watch must not wait for it.
"$DNSWATCH" watch --lab "$LAB" --status 0 --db "$tmp/term.db" --events "$tmp/term.ev" \
	--on-incident 'trap "" TERM; cat > /dev/null; sleep 60' 2>"$tmp/term.err" &
w=$!
sleep 2
"$DNSWATCH" lab --name "$LAB" replay "$DW_ROOT/lab/scenarios/2014.scenario" --scale 1s=2min >"$tmp/rp.out" 2>&1 &
rp=$!
for _ in $(seq 100); do grep -q '"raised"' "$tmp/term.ev" 2>/dev/null && break; sleep 0.1; done
sleep 1
t0=$(( $(date +%s%N) / 1000000 ))
kill -TERM $w
wait $w
rc=$?
ms=$(elapsed $t0)
w=
kill -INT $rp; wait $rp; rp=
[ $rc = 0 ] && [ $ms -lt 12000 ] && ok "SIGTERM: exit 0 in $ms ms, a hung --on-incident command ended" || fail "SIGTERM: exit 0 promptly" "status $rc after $ms ms: $(tail -3 "$tmp/term.err")"
# SIGKILL to the group is sent; the orphaned sleep is reaped by init a moment later
for _ in $(seq 20); do pgrep -f 'cat > /dev/null; sleep 60' >/dev/null || break; sleep 0.1; done
grep -q 'still running after 5 s; ended' "$tmp/term.err" && ! pgrep -f 'cat > /dev/null; sleep 60' >/dev/null &&
	ok "SIGTERM: the hung command's process group ended, and said so" || fail "SIGTERM: hook ended" "$(grep on-incident "$tmp/term.err")"
st=$(jq -r 'select(.event == "incident") | .state' "$tmp/term.ev" | tail -1)
[ "$st" = open-at-exit ] && ok "SIGTERM: the open incident reported as it stands" || fail "SIGTERM: open incident" "last state '$st'"
[ "$(jq -r 'select(.event == "watch") | .state' "$tmp/term.ev" | tail -1)" = stopped ] && ok "SIGTERM: a last event says stopped" ||
	fail "SIGTERM: last event" "$(tail -1 "$tmp/term.ev")"
row=$(sqlite3 "$tmp/term.db" "SELECT count(*), max(ended_us IS NULL), max(cause) FROM incidents; SELECT status FROM runs; PRAGMA integrity_check" | paste -sd' ' -)
[ "$row" = "1|1|on-path finished ok" ] && ok "SIGTERM: store: the incident without an end, the run finished, intact" || fail "SIGTERM: store" "$row"
n=$(sqlite3 "$tmp/term.db" "SELECT count(*) FROM queries")
said=$(sed -n 's/.*; \([0-9]*\) results kept in.*/\1/p' "$tmp/term.err")
[ "$n" -gt 100 ] && [ "$n" = "$said" ] && ok "SIGTERM: all $n results it reported are in the store" || fail "SIGTERM: results" "store $n, said '$said'"

# ---- a full disk -------------------------------------------------------------
mkdir "$tmp/small"
t0=$(( $(date +%s%N) / 1000000 ))
unshare -m bash -c '
	mount -t tmpfs -o size=320k tmpfs "$1" || exit 99
	"$2" watch --lab "$3" --vantage client --rate 200 --status 0 --duration 90 --db "$1/w.db" --events "$4/full.ev" 2>"$4/full.err"
	echo "rc=$?" >"$4/full.rc"
	sqlite3 "$1/w.db" "SELECT count(*) FROM queries; PRAGMA integrity_check" >"$4/full.db" 2>&1
' _ "$tmp/small" "$DNSWATCH" "$LAB" "$tmp"
ms=$(elapsed $t0)
rc=$(cat "$tmp/full.rc" 2>/dev/null)
[ "$rc" = rc=1 ] && [ $ms -lt 60000 ] && ok "full disk: exit 1 after $ms ms, not at --duration" || fail "full disk: exit 1" "$rc after $ms ms: $(tail -3 "$tmp/full.err")"
grep -q 'w\.db.*full' "$tmp/full.err" && [ "$(grep -c 'w\.db' "$tmp/full.err")" -le 3 ] && ok "full disk: one line naming the file" ||
	fail "full disk: the error line" "$(cat "$tmp/full.err")"
db=$(paste -sd' ' - <"$tmp/full.db")
[ "${db%% *}" -gt 0 ] 2>/dev/null && [ "${db#* }" = ok ] && ok "full disk: ${db%% *} results committed before it kept, the database intact" ||
	fail "full disk: what was kept" "$db"
[ "$(jq -r 'select(.event == "watch") | .state' "$tmp/full.ev" | tail -1)" = failed ] && ok "full disk: a last event says failed" ||
	fail "full disk: last event" "$(tail -1 "$tmp/full.ev")"

# ---- the ISP resolver dies -----------------------------------------------------
pidf=/run/dnswatch/$LAB/srv/isp/unbound.pid
"$DNSWATCH" watch --lab "$LAB" --vantage client --status 0 --duration 14 --db "$tmp/dead.db" --events "$tmp/dead.ev" 2>"$tmp/dead.err" &
w=$!
sleep 4
upid=$(cat "$pidf")
# The lab's own unbound, by the pid it wrote; checked to be unbound first.
[ "$(cat /proc/$upid/comm 2>/dev/null)" = unbound ] && kill -TERM "$upid"
wait $w
rc=$?
w=
[ $rc = 0 ] && ok "resolver dies: watch exits 0 at --duration" || fail "resolver dies: exit 0" "status $rc: $(tail -3 "$tmp/dead.err")"
grep -q 'path client/isp: no reply' "$tmp/dead.err" && [ "$(jq -r 'select(.event == "path" and .path == "client/isp") | .state' "$tmp/dead.ev" | head -1)" = down ] &&
	ok "resolver dies: reported as the path being down" || fail "resolver dies: reported" "$(cat "$tmp/dead.err")"
n=$(jq -r 'select(.event == "incident") | .id' "$tmp/dead.ev" | sort -u | wc -l)
[ "$n" = 0 ] && ok "resolver dies: no incident (silence is not forgery)" || fail "resolver dies: no incident" "$n"
r=$(sqlite3 "$tmp/dead.db" "SELECT count(*) FROM queries q JOIN targets t ON t.run = q.run AND t.idx = q.target WHERE t.label = 'client/isp'" 2>&1)
[ "$r" -gt 50 ] 2>/dev/null && ok "resolver dies: the path's results kept ($r)" || fail "resolver dies: results" "$r"
done_testing
