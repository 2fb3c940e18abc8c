#!/bin/bash
# The lab end to end, as root: up, resolution checked against the answer key
# through the ISP resolver and through the public resolver, the long-haul
# round trip, the no-DNS address, two labs side by side, bad input, a failing
# server start, a half-up lab, and down leaving the machine as it found it.
# Every lab here has a name of its own and a trap takes it down on any exit.
. "$DW_ROOT/tests/lib.sh"

need_root "lab tests"
need_tools "lab tests" dig ip iptables-save nsd unbound shuf setpriv

L=t$(( $$ % 100000 ))        # this run's lab; a second one is ${L}b, a failing one ${L}f
DELAY=80 JITTER=3
tmp=$(mktemp -d /tmp/dnswatch-labtest.XXXXXX)
lab() { "$DNSWATCH" lab "$@"; }
cleanup() {
	for n in "$L" "${L}b" "${L}f" "${L}p" "${L}s"; do lab --name "$n" down >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# What a lab may leave behind, if it leaked: namespaces, host links, live
# processes that mention a lab's state, host firewall rules, mounts, state.
# Namespaces, mounts and state are filtered to this run's labs (dw-$L...):
# other people's namespaces may come and go on a shared machine meanwhile.
snapshot() {
	echo "== netns"; ip netns list 2>/dev/null | grep "^dw-$L" | sort
	echo "== links"; ip -o link show | sed 's/^[0-9]*: //; s/ qlen .*//' | awk '{print $1}' | sort
	echo "== procs"; ps -eo stat=,args= | awk '$1 !~ /^Z/' | grep -E "/run/dnswatch/$L|dw-$L" | grep -v grep | sort
	echo "== iptables"; iptables-save 2>/dev/null | grep -v '^#'
	echo "== mounts"; grep -E "dw-$L|dnswatch" /proc/self/mountinfo | awk '{print $5}' | sort
	echo "== state"; ls -d /run/dnswatch/$L* 2>/dev/null
}
snapshot >"$tmp/before"

# ---- bad input: one line, exit 2, nothing built ----------------------------------
err=$(lab --name 'Bad!' up 2>&1); rc=$?
[ $rc = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q 'bad lab name' \
	&& ok "bad lab name: one line, exit 2" || fail "bad lab name: one line, exit 2" "rc=$rc err=$err"
err=$(lab --name "$L" up --frobnicate 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "unknown option '--frobnicate'" \
	&& ok "unknown option: exit 2" || fail "unknown option: exit 2" "rc=$rc err=$err"
err=$(lab --name "$L" sideways 2>&1); rc=$?
[ $rc = 2 ] && ok "unknown lab command: exit 2" || fail "unknown lab command: exit 2" "rc=$rc err=$err"
err=$(lab --name "$L" exec nowhere true 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "no host 'nowhere'" && ok "exec on an unknown host: exit 2" \
	|| fail "exec on an unknown host: exit 2" "rc=$rc err=$err"

# not root: say so
cp "$DNSWATCH" "$tmp/dnswatch" && chmod 755 "$tmp" "$tmp/dnswatch"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/dnswatch" lab --name "$L" up 2>&1); rc=$?
[ $rc = 1 ] && echo "$err" | grep -q 'must run as root' && ok "not root: says so, exit 1" \
	|| fail "not root: says so, exit 1" "rc=$rc err=$err"

# a missing package: a PATH with every tool but nsd
mkdir "$tmp/bin"
for t in ip tc iptables-restore iptables-save unbound unbound-control; do ln -s "$(command -v $t)" "$tmp/bin/$t"; done
err=$(PATH="$tmp/bin" lab --name "$L" up 2>&1); rc=$?
[ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q 'nsd (Debian package nsd)' \
	&& [ ! -e "/run/dnswatch/$L" ] && ok "missing package: names it, exit 1, nothing built" \
	|| fail "missing package: names it, exit 1, nothing built" "rc=$rc err=$err"

# ---- up ---------------------------------------------------------------------------
start=$(date +%s.%N)
out=$(lab --name "$L" up --delay-ms $DELAY --jitter-ms $JITTER 2>&1); rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
echo "# $out"
echo "# lab up (default population) took ${secs} s wall clock"
[ $rc = 0 ] && ok "lab up" || { fail "lab up" "rc=$rc out=$out"; done_testing; exit; }
awk -v s="$secs" 'BEGIN {exit !(s < 10)}' && ok "lab up in under 10 s" || fail "lab up in under 10 s" "took $secs s"

out=$(lab --name "$L" up 2>&1); rc=$?
[ $rc = 3 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q 'is already up' \
	&& ok "lab up twice: one line, exit 3" || fail "lab up twice: one line, exit 3" "rc=$rc out=$out"

st=$(lab --name "$L" status 2>&1); rc=$?
[ $rc = 0 ] && ok "status: up and healthy, exit 0" || fail "status: up and healthy, exit 0" "$st"
echo "$st" | grep -q 'delay:  nfqueue element at transit.*: active' && ok "status: delay element active" \
	|| fail "status: delay element active" "$(echo "$st" | grep delay)"
bad=$(echo "$st" | awk '/^SERVER/{s=1; next} s && NF && $6 != "ok" && $1 !~ /^nodns/')
[ -z "$bad" ] && [ "$(echo "$st" | awk '/^SERVER/{s=1; next} s && $6 == "ok"' | wc -l)" = 16 ] \
	&& ok "status: all 16 servers answer" || fail "status: all 16 servers answer" "$bad"
echo "$st" | grep -q '^nodns .*silent' && echo "$st" | grep -q '^nodnsout .*silent' \
	&& ok "status: the two no-DNS addresses are silent" || fail "status: the two no-DNS addresses are silent"
for h in client isp cn border transit outside remote vpnclient; do
	echo "$st" | grep -q "^$h " || fail "status lists host $h"
done

key=/run/dnswatch/$L/answers.tsv
[ -s "$key" ] && head -2 "$key" | tail -1 | grep -qx $'name\ttype\taddresses\tzone\tserver\tttl' \
	&& ok "answer key written with its header" || fail "answer key written with its header"

# ---- resolution against the answer key ----------------------------------------
# 100 random names per TLD (fixed random source: the same sample every run);
# each name's A set, and its AAAA set where the key has one.
seedfile="$tmp/seed"; head -c 4096 /dev/zero | tr '\0' 'x' >"$seedfile"
: >"$tmp/sample"
for tld in com net org cn; do
	awk -F'\t' -v t="$tld" 'NR > 2 && $2 == "A" && $1 ~ ("\\." t "\\.$") {print $1}' "$key" |
		shuf -n 100 --random-source="$seedfile" >>"$tmp/sample"
done
awk -F'\t' 'NR == FNR {want[$1] = 1; next} FNR > 2 && ($1 in want) {print $1 "\t" $2 "\t" $3}' \
	"$tmp/sample" "$key" | sort >"$tmp/expected"
awk -F'\t' '{print $1, $2}' "$tmp/expected" >"$tmp/queries"

# Resolve QUERIES through SERVER from the client, 20 dig batches at once.
resolve() { # server outfile
	rm -rf "$tmp/chunks"; mkdir "$tmp/chunks"
	split -n l/20 "$tmp/queries" "$tmp/chunks/q."
	ls "$tmp/chunks"/q.* | xargs -P 20 -I{} sh -c \
		'"$1" lab --name "$2" exec client dig @"$3" +noall +answer +tries=3 +time=4 -f "$4" >"$4.out" 2>&1' \
		_ "$DNSWATCH" "$L" "$1" {}
	cat "$tmp/chunks"/q.*.out | awk '$3 == "IN" && ($4 == "A" || $4 == "AAAA") {print $1 "\t" $4 "\t" $5 "\t" $2}' >"$2.raw"
	# one line per (name, type): addresses sorted and comma-joined, like the key
	sort -t$'\t' -k1,1 -k2,2 -k3,3V "$2.raw" | awk -F'\t' '
		{k = $1 "\t" $2; if (k != p) {if (p != "") print p "\t" a; p = k; a = $3} else a = a "," $3}
		END {if (p != "") print p "\t" a}' | sort >"$2"
}
norm_expected() { # sort each address list the same way
	awk -F'\t' '{n = split($3, x, ","); for (i = 1; i <= n; i++) print $1 "\t" $2 "\t" x[i]}' "$tmp/expected" |
		sort -t$'\t' -k1,1 -k2,2 -k3,3V | awk -F'\t' '
		{k = $1 "\t" $2; if (k != p) {if (p != "") print p "\t" a; p = k; a = $3} else a = a "," $3}
		END {if (p != "") print p "\t" a}' | sort
}
norm_expected >"$tmp/expected.n"
nexp=$(wc -l <"$tmp/expected.n")

t0=$(date +%s.%N)
resolve 198.18.1.1 "$tmp/got.isp"
echo "# resolved $nexp (name, type) pairs through the ISP resolver in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
if diff "$tmp/expected.n" "$tmp/got.isp" >"$tmp/diff.isp"; then
	ok "client via isp: 400 names (A, and AAAA where present) match the answer key"
else
	fail "client via isp: 400 names (A, and AAAA where present) match the answer key" \
		"$(wc -l <"$tmp/diff.isp") diff lines; first: $(head -3 "$tmp/diff.isp" | tr '\n' ' ')"
fi
t0=$(date +%s.%N)
resolve 198.19.8.8 "$tmp/got.pub"
echo "# resolved $nexp (name, type) pairs through the public resolver in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
if diff "$tmp/expected.n" "$tmp/got.pub" >"$tmp/diff.pub"; then
	ok "client via public resolver: 400 names match the answer key"
else
	fail "client via public resolver: 400 names match the answer key" \
		"$(wc -l <"$tmp/diff.pub") diff lines; first: $(head -3 "$tmp/diff.pub" | tr '\n' ' ')"
fi
# TTLs handed out never exceed the key's
over=$(awk -F'\t' 'NR == FNR {ttl[$1 "\t" $2] = $6; next} ($1 "\t" $2) in ttl && $4 > ttl[$1 "\t" $2]' \
	<(tail -n +3 "$key") "$tmp/got.isp.raw" | head -3)
[ -z "$over" ] && ok "answered TTLs within the key's TTLs" || fail "answered TTLs within the key's TTLs" "$over"

# ---- the long haul ---------------------------------------------------------------
qtime() { # server name -> dig's query time in ms, or "timeout"
	lab --name "$L" exec client dig @"$1" "$2" A +tries=1 +time=5 2>&1 |
		awk '/Query time:/ {print $4; f = 1} END {if (!f) print "timeout"}'
}
fresh=$(awk -F'\t' 'NR == FNR {used[$1] = 1; next} FNR > 2 && $2 == "A" && $1 ~ /\.com\.$/ && !($1 in used) {print $1}' \
	"$tmp/sample" "$key" | shuf -n 5 --random-source="$seedfile")
lo=$((2 * DELAY - 2 * JITTER - 2)) hi=$((2 * DELAY + 2 * JITTER + 30))
unc="" cac="" badrtt=""
for n in $fresh; do
	t=$(qtime 198.19.8.8 "$n"); unc="$unc $t"
	{ [ "$t" != timeout ] && [ "$t" -ge $lo ] && [ "$t" -le $hi ]; } || badrtt="$badrtt $n:$t"
	t=$(qtime 198.19.8.8 "$n"); cac="$cac $t"
done
echo "# via public resolver, uncached (ms):$unc; same names again, cached there (ms):$cac"
[ -z "$badrtt" ] && ok "uncached via public resolver: one long-haul round trip ($lo..$hi ms)" \
	|| fail "uncached via public resolver: one long-haul round trip ($lo..$hi ms)" "$badrtt"
# The ISP resolver: uncached it crosses the long haul at least once; cached it does not.
isp_unc="" isp_cac="" badisp=""
for n in $(echo "$fresh" | head -3); do
	t=$(qtime 198.18.1.1 "$n"); isp_unc="$isp_unc $t"
	{ [ "$t" != timeout ] && [ "$t" -ge $lo ]; } || badisp="$badisp uncached:$n:$t"
	t=$(qtime 198.18.1.1 "$n"); isp_cac="$isp_cac $t"
	{ [ "$t" != timeout ] && [ "$t" -lt $((DELAY / 4)) ]; } || badisp="$badisp cached:$n:$t"
done
echo "# via ISP resolver, uncached (ms):$isp_unc; cached (ms):$isp_cac"
[ -z "$badisp" ] && ok "via isp: uncached >= one round trip, cached well under it" \
	|| fail "via isp: uncached >= one round trip, cached well under it" "$badisp"

# ---- the ISP resolver's cache through its control socket: dump, flush ---------------------
uc="/run/dnswatch/$L/srv/isp/unbound.conf"
n1=$(echo "$fresh" | head -1)
unbound-control -c "$uc" dump_cache 2>&1 | grep -q "^$n1" && ok "isp cache dump shows a resolved name" \
	|| fail "isp cache dump shows a resolved name" "$n1 not in dump_cache"
out=$(unbound-control -c "$uc" flush_zone . 2>&1); rc=$?
t=$(qtime 198.18.1.1 "$n1")
[ $rc = 0 ] && [ "$t" != timeout ] && [ "$t" -ge $lo ] && ok "isp cache flushed: the name takes a round trip again ($t ms)" \
	|| fail "isp cache flushed: the name takes a round trip again" "rc=$rc $out t=$t"

# ---- the address inside the border that runs no DNS ---------------------------------
t0=$(date +%s)
out=$(lab --name "$L" exec client dig @198.18.55.55 www.example.com A +tries=1 +time=2 2>&1); rc=$?
[ $rc = 9 ] && echo "$out" | grep -qE 'timed out|no servers could be reached' \
	&& ok "query to the no-DNS address times out" || fail "query to the no-DNS address times out" "rc=$rc $out"

# ---- exec passes the exit status through --------------------------------------------
lab --name "$L" exec client sh -c 'exit 7'; rc=$?
[ $rc = 7 ] && ok "exec passes the exit status through" || fail "exec passes the exit status through" "rc=$rc"
out=$(lab --name "$L" exec outside ip -o addr show lo)
echo "$out" | grep -q '198.19.8.8/32' && ok "exec runs inside the host's namespace" || fail "exec runs inside the host's namespace"
# nothing addressed outside the lab can leave it
lab --name "$L" exec client ip route get 8.8.8.8 >/dev/null 2>&1 \
	&& fail "no route out of the lab" "client has a route to 8.8.8.8" || ok "no route out of the lab"
ip route get 198.18.1.1 2>/dev/null | grep -q 'dev dw' && fail "host has no route into the lab" || ok "host has no route into the lab"

# ---- a second lab side by side --------------------------------------------------------
out=$(lab --name "${L}b" up --names com=30,net=10,org=10,cn=20 2>&1); rc=$?
[ $rc = 0 ] && ok "second lab up beside the first" || fail "second lab up beside the first" "$out"
n2=$(awk -F'\t' 'NR > 2 && $2 == "A" {print $1 "\t" $3; exit}' "/run/dnswatch/${L}b/answers.tsv")
got=$(lab --name "${L}b" exec client dig +short @198.18.1.1 "${n2%%$'\t'*}" A | sort -V | paste -sd,)
[ -n "$got" ] && [ "$got" = "${n2#*$'\t'}" ] && ok "second lab resolves its own names" \
	|| fail "second lab resolves its own names" "want ${n2#*$'\t'} got $got"
lab --name "${L}b" down >/dev/null; rc=$?
lab --name "$L" status >/dev/null; rc2=$?
[ $rc = 0 ] && [ $rc2 = 0 ] && [ -z "$(ip netns list | grep "^dw-${L}b-")" ] \
	&& ok "second lab down; the first still healthy" || fail "second lab down; the first still healthy"

# ---- a server that fails to start: one line with its log line, rolled back ---------------
err=$(lab --name "${L}f" up --fault auth3 --names com=30,net=10,org=10,cn=20 2>&1); rc=$?
[ $rc = 1 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q "nsd for auth3.*can't bind.*rolled back" \
	&& ok "failing nsd: one line with its log line, exit 1" || fail "failing nsd: one line with its log line, exit 1" "rc=$rc err=$err"
left=$(ip netns list | grep -c "^dw-${L}f-"; ls -d "/run/dnswatch/${L}f" 2>/dev/null; pgrep -f "/run/dnswatch/${L}f/")
[ "$left" = 0 ] && ok "failing nsd: everything rolled back" || fail "failing nsd: everything rolled back" "$left"

# ---- a half-up lab: one line, taken down, non-zero; then up works again -------------------
out=$(lab --name "${L}p" up --names com=30,net=10,org=10,cn=20 2>&1)
kill "$(sed -n 's/^pid.isp=//p' "/run/dnswatch/${L}p/state")"
sleep 0.3
lab --name "${L}p" status >"$tmp/half" 2>&1; rc=$?
[ $rc = 1 ] && grep -q 'HALF UP' "$tmp/half" && ok "status reports a half-up lab, exit 1" \
	|| fail "status reports a half-up lab, exit 1" "rc=$rc $(head -1 "$tmp/half")"
out=$(lab --name "${L}p" up --names com=30,net=10,org=10,cn=20 2>&1); rc=$?
left=$(ip netns list | grep -c "^dw-${L}p-"; ls -d "/run/dnswatch/${L}p" 2>/dev/null; pgrep -f "/run/dnswatch/${L}p/")
[ $rc = 1 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q 'was half up (unbound server isp' \
	&& [ "$left" = 0 ] && ok "up on a half-up lab: one line, exit 1, taken down" \
	|| fail "up on a half-up lab: one line, exit 1, taken down" "rc=$rc $out left=$left"
out=$(lab --name "${L}p" up --names com=30,net=10,org=10,cn=20 2>&1); rc=$?
[ $rc = 0 ] && lab --name "${L}p" status >/dev/null && ok "then up builds it afresh" \
	|| fail "then up builds it afresh" "rc=$rc $out"
lab --name "${L}p" down >/dev/null

# ---- a signed lab: both resolvers validate from the lab's trust anchor -------------------
out=$(lab --name "${L}s" up --sign --names com=20,net=5,org=5,cn=10 2>&1); rc=$?
[ $rc = 0 ] && [ -s "/run/dnswatch/${L}s/trust-anchor.ds" ] && ok "signed lab up" || fail "signed lab up" "$out"
sk="/run/dnswatch/${L}s/answers.tsv"
for srv in 198.18.1.1 198.19.8.8; do
	for tld in com cn; do
		n=$(awk -F'\t' -v t="$tld" 'NR > 2 && $2 == "A" && $1 ~ ("\\." t "\\.$") {print $1; exit}' "$sk")
		out=$(lab --name "${L}s" exec client dig +dnssec +tries=2 +time=4 @$srv "$n" A 2>&1)
		echo "$out" | grep -q 'flags: qr rd ra ad;' && echo "$out" | grep -q "RRSIG" \
			&& ok "signed lab: $n validates (AD) via $srv" || fail "signed lab: $n validates (AD) via $srv" "$(echo "$out" | grep flags:)"
	done
done
lab --name "${L}s" down >/dev/null

# ---- down leaves nothing ----------------------------------------------------------------
out=$(lab --name "$L" down 2>&1); rc=$?
[ $rc = 0 ] && ok "lab down" || fail "lab down" "$out"
sleep 0.2
snapshot >"$tmp/after"
if diff "$tmp/before" "$tmp/after" >"$tmp/snapdiff"; then
	ok "down leaves no namespace, link, process, rule, mount or state"
else
	fail "down leaves no namespace, link, process, rule, mount or state" "$(tr '\n' ' ' <"$tmp/snapdiff")"
fi
out=$(lab --name "$L" down 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'not up' && ok "down on a lab that is not up: exit 0" \
	|| fail "down on a lab that is not up: exit 0" "rc=$rc $out"
done_testing
