#!/bin/bash
# `dnswatch decode` end to end: pcap, hex and raw input, text and JSON output,
# broken messages, bad files.
. "$DW_ROOT/tests/lib.sh"
data="$DW_ROOT/tests/decode/data"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$("$DNSWATCH" decode "$data/sample.pcap"); rc=$?
[ $rc = 0 ] && ok "pcap decodes, exit 0" || fail "pcap decodes, exit 0" "rc=$rc"
echo "$out" | grep -q $'^www.example.com.\t300\tIN\tA\t65.49.2.178$' && ok "pcap: forged answer shown dig-like" || fail "pcap: forged answer shown dig-like"
echo "$out" | grep -q 'packet 2, 2014-01-21T07:15:00.000150Z, 198.18.8.8 port 53 -> 198.18.1.10 port 40000, IP TTL 47, IP ID 0, message 2' \
	&& ok "pcap: time, addresses, IP TTL and ID per message" || fail "pcap: time, addresses, IP TTL and ID per message"
echo "$out" | grep -q '3 packets, 3 DNS messages' && ok "pcap: packet summary" || fail "pcap: packet summary"

json=$("$DNSWATCH" decode --json "$data/sample.pcap")
[ "$(echo "$json" | jq -s length)" = 3 ] && ok "json: one valid object per message" || fail "json: one valid object per message"
[ "$(echo "$json" | jq -r 'select(.index==3) | [.ip_ttl, .ip_id, .df, .answer[0].rdata, .answer[0].ttl, .flags.qr] | @tsv')" = $'56\t7777\ttrue\t93.184.216.34\t3600\ttrue' ] \
	&& ok "json: IP fields, answer rdata and TTL, flags" || fail "json: IP fields, answer rdata and TTL, flags"
[ "$(echo "$json" | jq -r 'select(.index==1) | .raw')" = "20140100000100000000000003777777076578616d706c6503636f6d0000010001" ] \
	&& ok "json: raw bytes in hex" || fail "json: raw bytes in hex"

# IP fragments (tests/decode/data/make_fragmented.py): the real reply in
# three IPv4 fragments, last before middle; an overlap, an incomplete and an
# expired datagram.
out=$("$DNSWATCH" decode "$data/fragmented.pcap"); rc=$?
[ $rc = 0 ] && ok "fragmented pcap decodes, exit 0" || fail "fragmented pcap decodes, exit 0" "rc=$rc"
echo "$out" | grep -q 'packet 5, 2016-01-01T00:00:00.160170Z, 198.18.8.8 port 53 -> 198.18.1.10 port 40000, IP TTL 56, IP ID 4242, message 3, 1325 bytes (reassembled from 3 IP fragments)$' \
	&& ok "fragments: reassembled reply shown at its last fragment, first fragment's TTL and ID" || fail "fragments: reassembled reply shown at its last fragment, first fragment's TTL and ID" "$out"
[ "$(echo "$out" | grep -c $'^big.example.com.\t3600\tIN\tTXT\t"a')" = 1 ] && ok "fragments: the whole TXT answer decoded" || fail "fragments: the whole TXT answer decoded"
echo "$out" | grep -q '10 packets, 3 DNS messages, 8 IP fragments (datagrams: 1 reassembled, 2 expired, 1 incomplete at the end; fragments rejected: 1 overlap)$' \
	&& ok "fragments: summary counts" || fail "fragments: summary counts" "$(echo "$out" | tail -1)"
json=$("$DNSWATCH" decode --json "$data/fragmented.pcap")
[ "$(echo "$json" | jq -s length)" = 4 ] && ok "fragments json: three messages and a summary" || fail "fragments json: three messages and a summary"
[ "$(echo "$json" | jq -r 'select(.index==3) | [.packet, .fragments, .ip_ttl, .ip_id, .df, .length, .ancount, (.answer[0].rdata | length > 1000)] | @tsv')" = $'5\t3\t56\t4242\tfalse\t1325\t1\ttrue' ] \
	&& ok "fragments json: packet, fragments, IP fields, length" || fail "fragments json: packet, fragments, IP fields, length"
[ "$(echo "$json" | jq -r 'select(.index==2) | has("fragments")')" = false ] && ok "fragments json: no key on a whole packet" || fail "fragments json: no key on a whole packet"
[ "$(echo "$json" | jq -r 'select(.summary) | .summary | [.packets, .messages, .fragments, .reassembled, .expired, .incomplete, .rejected.overlap, .rejected.oversize] | @tsv')" = $'10\t3\t8\t1\t2\t1\t1\t0' ] \
	&& ok "fragments json: summary object" || fail "fragments json: summary object" "$json"
[ "$("$DNSWATCH" decode --json "$data/sample.pcap" | jq -s 'map(select(.summary)) | length')" = 0 ] && ok "json: no summary without fragments" || fail "json: no summary without fragments"

out=$("$DNSWATCH" decode "$data/broken.hex" 2>&1); rc=$?
[ $rc = 1 ] && ok "broken messages: exit 1" || fail "broken messages: exit 1" "rc=$rc"
echo "$out" | grep -q 'PARSE ERROR: truncated at offset 47 (answer\[0\] rdata)' && ok "truncated rdata: reason, offset, field" || fail "truncated rdata: reason, offset, field" "$out"
echo "$out" | grep -q 'PARSE ERROR: compression pointer does not point backwards (loop) at offset 12 (question\[0\] owner)' && ok "pointer loop: reason, offset, field" || fail "pointer loop: reason, offset, field"
echo "$out" | grep -q '^;example.cn.' && ok "decoding goes on after a bad message" || fail "decoding goes on after a bad message"
[ "$("$DNSWATCH" decode --json "$data/broken.hex" | jq -r 'select(.index==1) | [.error.offset, .error.section, .error.field, .qdcount] | @tsv')" = $'47\tanswer\trdata\t1' ] \
	&& ok "json: error offset, section and field" || fail "json: error offset, section and field"

printf '\x00\x07\x81\x83\x00\x00\x00\x00\x00\x00\x00\x00' > "$tmp/raw.bin"
"$DNSWATCH" decode < "$tmp/raw.bin" | grep -q 'status: NXDOMAIN, id: 7' && ok "raw binary from stdin" || fail "raw binary from stdin"

err=$("$DNSWATCH" decode "$tmp/missing" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && [ "$err" = "dnswatch decode: $tmp/missing: No such file or directory" ] && ok "missing file: one line, exit 1" || fail "missing file: one line, exit 1" "$err"
printf 'abc' > "$tmp/odd.hex"
err=$("$DNSWATCH" decode "$tmp/odd.hex" 2>&1 >/dev/null)
[ "$err" = "dnswatch decode: $tmp/odd.hex:1: odd number of hex digits in the message starting here" ] && ok "odd hex: file and line" || fail "odd hex: file and line" "$err"
err=$("$DNSWATCH" decode --bogus 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "unknown option '--bogus'" && ok "unknown option: exit 2" || fail "unknown option: exit 2"
# An RFC 2136 UPDATE as nsupdate (bind9-dnsutils) sent it to a local port:
# prerequisites "RRset does not exist" (class NONE) and "RRset exists"
# (class ANY), deletes of an RRset (ANY), of all RRsets (ANY ANY), of one RR
# (NONE with data), adds; the empty ones with RDLENGTH 0 (2.4, 2.5).
out=$("$DNSWATCH" decode "$data/nsupdate.bin"); rc=$?
[ $rc = 0 ] && ok "nsupdate UPDATE: parses, exit 0" || fail "nsupdate UPDATE: parses, exit 0" "rc=$rc $out"
echo "$out" | grep -q ' ZONE: 1, PREREQ: 2, UPDATE: 5, ADDITIONAL: 0$' && echo "$out" | grep -q '^;; ZONE SECTION:$' \
	&& echo "$out" | grep -q '^;; PREREQUISITE SECTION:$' && echo "$out" | grep -q '^;; UPDATE SECTION:$' \
	&& ! echo "$out" | grep -q 'QUESTION\|ANSWER\|AUTHORITY' \
	&& ok "UPDATE: RFC 2136 2.2 section names" || fail "UPDATE: RFC 2136 2.2 section names" "$out"
echo "$out" | grep -q $'^new.example.com.\t0\tNONE\tA$' && echo "$out" | grep -q $'^www.example.com.\t0\tANY\tAAAA$' \
	&& echo "$out" | grep -q $'^gone.example.com.\t0\tANY\tANY$' \
	&& echo "$out" | grep -q $'^www.example.com.\t0\tNONE\tMX\t10 mail.example.com.$' \
	&& echo "$out" | grep -q $'^new.example.com.\t300\tIN\tTXT\t"hello"$' \
	&& ok "UPDATE: empty rdata shown as no rdata, as dig does" || fail "UPDATE: empty rdata shown as no rdata, as dig does" "$out"
json=$("$DNSWATCH" decode --json "$data/nsupdate.bin")
[ "$(echo "$json" | jq -s length)" = 1 ] \
	&& [ "$(echo "$json" | jq -r '[.opcode, .error, .answer[0].class, .answer[0].type, .answer[0].rdlength, .answer[0].rdata, .authority[1].type, .authority[2].rdata, .sections.question, .sections.answer, .sections.authority] | @tsv')" = \
		$'UPDATE\t\tNONE\tA\t0\t\tANY\t10 mail.example.com.\tzone\tprerequisite\tupdate' ] \
	&& ok "json: UPDATE, empty rdata \"\", keys kept, RFC 2136 names beside" || fail "json: UPDATE, empty rdata \"\", keys kept, RFC 2136 names beside" "$json"
# --json: one object for every input, also for a file that fails as a whole
# ("file", "format" when known, "error" with a stable "status"); the line on
# stderr and the exit status as without --json.
: > "$tmp/empty.bin"
head -c 70000 /dev/zero | tr '\0' 'z' > "$tmp/big.bin"
mkdir "$tmp/adir"
printf '0007818300000000000000 00\n\nabc\n' > "$tmp/half.hex"
for c in "empty.bin|empty||empty input" "big.bin|too_large|raw|70000 bytes: too large for one DNS message and not a capture or hex text" \
	 "adir|unreadable||read error" "missing|unreadable||No such file or directory" \
	 "half.hex|syntax|hex|odd number of hex digits in the message starting here"; do
	IFS='|' read -r f status format reason <<<"$c"
	json=$("$DNSWATCH" decode --json "$tmp/$f" 2>"$tmp/err"); rc=$?
	obj=$(echo "$json" | jq -c 'select(.index == null)')
	[ $rc = 1 ] && [ "$(echo "$obj" | jq -s length)" = 1 ] \
		&& [ "$(echo "$obj" | jq -r '[.file, (.format // ""), .error.status, .error.reason, .error.text] | @tsv')" = \
			"$tmp/$f"$'\t'"$format"$'\t'"$status"$'\t'"$reason"$'\t'"$(sed 's/^dnswatch decode: //' "$tmp/err")" ] \
		&& [ "$(wc -l < "$tmp/err")" = 1 ] && grep -q "^dnswatch decode: $tmp/$f" "$tmp/err" \
		&& ok "json: $f: one object with the error ($status), stderr line, exit 1" \
		|| fail "json: $f: one object with the error ($status), stderr line, exit 1" "rc=$rc $json $(cat "$tmp/err")"
done
[ "$("$DNSWATCH" decode --json "$tmp/half.hex" 2>/dev/null | jq -s -r 'map(.index // "file") | @tsv')" = $'1\tfile' ] \
	&& ok "json: the messages before a file's failure, then the file's object" || fail "json: the messages before a file's failure, then the file's object"
[ "$("$DNSWATCH" decode --json < "$tmp/empty.bin" 2>/dev/null | jq -r '[.file, .error.status] | @tsv')" = $'<stdin>\tempty' ] \
	&& ok "json: empty stdin" || fail "json: empty stdin"
out=$("$DNSWATCH" decode --json "$tmp/empty.bin" "$data/nsupdate.bin" "$tmp/missing" 2>/dev/null); rc=$?
[ $rc = 1 ] && [ "$(echo "$out" | jq -s -r 'map(.error.status // "message") | @tsv')" = $'empty\tmessage\tunreadable' ] \
	&& ok "json: one object per input, in order, exit 1" || fail "json: one object per input, in order, exit 1" "$out"
[ -z "$("$DNSWATCH" decode "$tmp/empty.bin" 2>/dev/null)" ] && ok "text: a failed file prints nothing on stdout" || fail "text: a failed file prints nothing on stdout"
done_testing
