#!/bin/bash
# make demo: 21 January 2014, replayed in the lab with what dnswatch has so
# far (the lab, the wall, the prober, locate). Continuous watching, incident
# detection (issue 6) is not built yet; this demo says so. It ends by writing
# report.html, one self-contained page, from everything it probed
# and does not pretend. Needs root; takes its lab down whatever happens.
#   scripts/demo.sh BUILD/dnswatch
set -u
DW=${1:?usage: scripts/demo.sh PATH/TO/dnswatch}
[ "$(id -u)" = 0 ] || { echo "make demo: the lab needs root (network namespaces)"; exit 1; }
LAB=demo
tmp=$(mktemp -d)
inj=
cleanup() {
	[ -n "$inj" ] && kill "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
	"$DW" lab --name $LAB down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
step() { printf '  $ %s\n' "$*"; }

say "dnswatch demo: the Great Firewall's DNS misfire of 21 January 2014, replayed"
echo "  1. a mini-Internet in network namespaces: real unbound and nsd, an 80 ms long-haul link"
"$DW" lab --name $LAB down >/dev/null 2>&1
"$DW" lab --name $LAB up || exit 1
key=/run/dnswatch/$LAB/answers.tsv
ctl="$tmp/inject.sock"

# Samples from the lab's answer key: 30 .com/.net/.org names and 10 .cn names per phase.
pick() { awk -F'\t' -v t="$1" '$2 == "A" && $1 ~ ("\\." t "\\.$") { print substr($1, 1, length($1) - 1) }' "$key" | sed -n "$2,$3p"; }
sample() { { pick com "$1" $(($1 + 14)); pick net "$1" $(($1 + 7)); pick org "$1" $(($1 + 7)); pick cn "$1" $(($1 + 9)); } > "$tmp/$2"; }
sample 1 before; sample 101 during

probe() { # NAMES-FILE LABEL [OPTIONS]: probe and print the verdicts
	local names=$1 label=$2
	shift 2
	"$DW" probe --lab $LAB --from client --target isp --target public --target nodnsout \
		--control-key "$key" --hold 400 --timeout 700 --retries 1 --db "$tmp/demo.db" --ndjson \
		"$@" "$tmp/$names" \
		> "$tmp/$label.ndjson" 2>"$tmp/$label.err"
	jq -r '[.target.label, (if (.name | test("\\.cn\\.$")) then ".cn" else ".com/.net/.org" end), .verdict] | @tsv' "$tmp/$label.ndjson" |
		sort | uniq -c | awk '{ printf "      %-9s %-14s %-12s %3d\n", $2, $3, $4, $1 }'
}

say "2. the wall at the border, three injectors with the GFW's published fingerprints, rules off"
"$DW" inject --lab $LAB --busy-poll --preset gfw --control "$ctl" --log "$tmp/inject.log" \
	>"$tmp/inject.out" 2>"$tmp/inject.err" &
inj=$!
for _ in $(seq 50); do grep -q 'capturing on' "$tmp/inject.err" && break; sleep 0.1; done
sed 's/^/  /' "$tmp/inject.err"

say "15:14  before: $(wc -l < "$tmp/before") names probed from the client through the ISP resolver, the public resolver (the 8.8.8.8 of the story), and an address that runs no DNS"
echo "      path      names          verdict    count"
probe before before

say "15:15  the misfire: every .com, .net and .org query crossing the border gets 65.49.2.178"
step "dnswatch inject ctl $ctl load lab/scenarios/2014-misfire.rules"
"$DW" inject ctl "$ctl" load "$(dirname "$0")/../lab/scenarios/2014-misfire.rules" | sed 's/^/  /'
echo "      path      names          verdict    count"
probe during during
echo
echo "  the evidence, as the prober keeps it (one query through the public resolver):"
jq -r 'select(.target.label == "public" and .verdict == "injected") | "    \(.name): \(.replies | length) replies: " + ([.replies[] | "\(.answers[0].addr // "-") (IP TTL \(.ip_ttl), ID \(.ip_id), DF \(.df), after \(if .rtt_us < 1000 then "\(.rtt_us) us" else "\(.rtt_us / 1000 | floor) ms" end))"] | join(", ")) + "\n    verdict: \(.verdict): \(.evidence)"' "$tmp/during.ndjson" | head -2
echo
sed -n 's/^injector group /  injector group: /p' "$tmp/during.err"
echo
echo "  users whose lookups went through a VPN saw nothing wrong: the same name through the public"
echo "  resolver from vpnclient, whose traffic abroad crosses the border inside a tunnel, and from the client:"
vname=$(sed -n 2p "$tmp/during")
for h in vpnclient client; do
	step "dnswatch lab exec $h dig +short @198.19.8.8 $vname"
	"$DW" lab --name $LAB exec $h dig +short +tries=2 +time=2 @198.19.8.8 "$vname" | sort | paste -sd' ' - | sed 's/^/      /'
done
echo
echo "  where is the injector? dnswatch locate, from the client towards an address that runs no DNS:"
"$DW" locate --lab $LAB --from client --max-ttl 6 198.19.55.55 "$(head -1 "$tmp/during")" | sed 's/^/    /'
"$DW" locate --lab $LAB --from client --max-ttl 6 --json 198.19.55.55 "$(head -1 "$tmp/during")" > "$tmp/locate.json"

say "15:39  the rule is lifted; the ISP resolver keeps serving what it cached (the same names again)"
"$DW" inject ctl "$ctl" off | sed 's/^/  /'
echo "  (the prober knows 65.49.2.178 as forged from its run at 15:15: --control-run)"
echo "      path      names          verdict    count"
probe during after --control-run "$tmp/during.ndjson"

say "16:00  the ISPs flush their caches by hand"
step "unbound-control flush_zone .   (in the ISP resolver)"
unbound-control -c /run/dnswatch/$LAB/srv/isp/unbound.conf flush_zone . | sed 's/^/  /'
unbound-control -c /run/dnswatch/$LAB/srv/public/unbound.conf flush_zone . >/dev/null
echo "      path      names          verdict    count"
probe during flushed

kill -TERM "$inj"; wait "$inj"; inj=
say "the wall's counters"
sed 's/^/  /' "$tmp/inject.out"
echo "  forged replies sent to askers: $(wc -l < "$tmp/inject.log") (never any traffic to 65.49.2.178 itself)"

say "the report: everything probed above, in one self-contained page"
"$DW" report "$tmp/demo.db" --locate "$tmp/locate.json" -o report.html || exit 1
echo "  wrote report.html ($(( $(stat -c %s report.html) / 1024 )) KiB, readable offline): open it in a browser"

say "not built yet (issue 6): continuous watching with incident detection and alerts, from inside and outside at once"
"$DW" lab --name $LAB down
