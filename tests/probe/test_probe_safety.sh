#!/bin/bash
# dnswatch probe's rate rule for real networks (docs/ethics.md): over 1000
# queries/s to a target outside loopback and the lab is refused without
# --allow-fast-public, with one line saying what to add; with such a target
# and no --max-rate the run goes at 100 queries/s. Every run here is in a
# network namespace of its own (unshare -n): the "public" address is put on
# its loopback, so nothing can leave this machine whatever dnswatch does.
. "${DW_ROOT:-.}/tests/lib.sh"
need_root "probe safety"
need_tools "probe safety" unshare ip
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 50); do echo "n$i.example"; done > "$tmp/names.txt"
for i in $(seq 1 100); do echo "m$i.example"; done > "$tmp/names100.txt"

# In an empty namespace whose loopback also answers for 192.0.2.1 (TEST-NET-1).
inns() { unshare -n sh -c 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo && exec "$@"' sh "$@"; }

rc=0
inns "$DNSWATCH" probe --target pub=nodns:192.0.2.1 --max-rate 5000 "$tmp/names.txt" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
   grep -q -- '--max-rate asks 5000 queries/s, over 1000, of pub (192.0.2.1), outside loopback and the lab: add --allow-fast-public' "$tmp/err" &&
   [ ! -s "$tmp/out" ]; then
	ok "over 1000/s to a public address: refused (exit 2), one line naming the flag, nothing probed"
else
	fail "over 1000/s to a public address: refused" "rc=$rc err=$(cat "$tmp/err")"
fi

rc=0
inns "$DNSWATCH" probe --target lo=resolver:127.0.0.1:9 --target pub=nodns:2001:db8::1 --rate 1001 \
	"$tmp/names.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q 'add --allow-fast-public' "$tmp/err"; then
	ok "--rate (the older name) is held to the same rule, for any of several targets"
else
	fail "--rate held to the rule" "rc=$rc err=$(cat "$tmp/err")"
fi

rc=0
inns "$DNSWATCH" probe --target lo=nodns:127.0.0.1 --target dot=tls:192.0.2.1#dns.example --control-target dot \
	--max-rate 5000 "$tmp/names.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -q 'of dot (192.0.2.1), outside loopback and the lab: add --allow-fast-public' "$tmp/err"; then
	ok "a DoT control outside loopback and the lab counts too (asked once a name)"
else
	fail "DoT control held to the rule" "rc=$rc err=$(cat "$tmp/err")"
fi

# The default for a public target: 100 queries/s, said; 50 names take 0.5 s.
inns "$DNSWATCH" probe --target pub=nodns:192.0.2.1 --timeout 50 --retries 0 --hold 0 \
	"$tmp/names.txt" >"$tmp/out" 2>"$tmp/err" || true
secs=$(sed -n 's/^probe: \([0-9.]*\) s,.*/\1/p' "$tmp/err")
if grep -q '^dnswatch probe: 100 queries/s: the default with a target outside loopback and the lab (pub); --max-rate N to change it$' "$tmp/err" &&
   [ "$(wc -l <"$tmp/out")" = 50 ] && awk -v s="$secs" 'BEGIN { exit !(s >= 0.45) }'; then
	ok "a public target without --max-rate: 100 queries/s, said (50 names in $secs s)"
else
	fail "default 100 queries/s for a public target" "secs=$secs err=$(cat "$tmp/err")"
fi

# With the flag, a fast rate is sent (100 names well under the 1 s that
# 100/s would take); to loopback alone it needs none.
rc=0
inns "$DNSWATCH" probe --target pub=nodns:192.0.2.1 --max-rate 5000 --allow-fast-public --timeout 50 \
	--retries 0 --hold 0 "$tmp/names100.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
secs=$(sed -n 's/^probe: \([0-9.]*\) s,.*/\1/p' "$tmp/err")
if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 100 ] && awk -v s="$secs" 'BEGIN { exit !(s < 0.9) }'; then
	ok "--allow-fast-public: 5000/s to a public address sent (100 names in $secs s)"
else
	fail "--allow-fast-public" "rc=$rc secs=$secs err=$(cat "$tmp/err")"
fi
rc=0
inns "$DNSWATCH" probe --target lo=nodns:127.0.0.1 --max-rate 5000 --timeout 50 --retries 0 --hold 0 \
	"$tmp/names.txt" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 0 ] && ! grep -q 'default\|allow-fast' "$tmp/err"; then
	ok "loopback alone: 5000/s needs no flag, and no default is said"
else
	fail "loopback fast" "rc=$rc err=$(cat "$tmp/err")"
fi

# A namespace with no route at all: every send refused by the kernel, and
# the summary says so (not only "sent").
unshare -n "$DNSWATCH" probe --target far=nodns:192.0.2.9 --timeout 50 --retries 0 --hold 0 \
	"$tmp/names.txt" >"$tmp/out" 2>"$tmp/err" || true
if grep -q '^probe: .*, 50 refused by the kernel (no route to a target, or a full send buffer)' "$tmp/err"; then
	ok "no route: the summary counts the sends the kernel refused"
else
	fail "sends refused counted" "$(grep '^probe:' "$tmp/err")"
fi

# watch holds to the same rule: its --rate is names/s, a name sent to each path.
printf 'x.example\tA\t192.0.2.7\n' > "$tmp/key.tsv"
rc=0
inns "$DNSWATCH" watch --path local/pub=resolver:192.0.2.1 --key "$tmp/key.tsv" --rate 2000 \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 2 ] && grep -Eq 'asks 2000 queries/s, over 1000, of (local/)?pub \(192.0.2.1\), outside loopback and the lab: add --allow-fast-public' "$tmp/err"; then
	ok "watch: over 1000 queries/s to a public path refused the same way"
else
	fail "watch's rate rule" "rc=$rc err=$(cat "$tmp/err")"
fi
done_testing
