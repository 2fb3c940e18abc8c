#!/bin/bash
# Time `dnswatch lab up` (default population) and measure the long-haul round
# trip, on a lab of its own (name "bench"), taken down at the end.
#   bench/lab/up.sh [DNSWATCH] [RUNS]      (as root)
set -u
dw=${1:-build/dnswatch}
runs=${2:-5}
name=bench
trap '"$dw" lab --name $name down >/dev/null 2>&1' EXIT
"$dw" lab --name $name down >/dev/null 2>&1
times=()
for i in $(seq "$runs"); do
	s=$(date +%s.%N)
	"$dw" lab --name $name up >/dev/null || { echo "lab up failed" >&2; exit 1; }
	times+=("$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')")
	[ "$i" -lt "$runs" ] && "$dw" lab --name $name down >/dev/null
done
echo "lab up, wall clock (s), $runs runs: ${times[*]}"
printf '%s\n' "${times[@]}" | sort -n | awk '{v[NR] = $1} END {printf "  min %.2f  median %.2f  max %.2f\n", v[1], v[int((NR + 1) / 2)], v[NR]}'
key=/run/dnswatch/$name/answers.tsv
q() { "$dw" lab --name $name exec client dig @"$1" "$2" A +tries=1 +time=5 | awk '/Query time:/ {print $4}'; }
names=$(awk -F'\t' 'NR > 2 && $2 == "A" && $1 ~ /\.com\.$/ {print $1}' "$key" | head -10)
pu="" pc="" iu="" ic=""
for n in $names; do pu="$pu $(q 198.19.8.8 "$n")"; pc="$pc $(q 198.19.8.8 "$n")"; done
for n in $(awk -F'\t' 'NR > 2 && $2 == "A" && $1 ~ /\.net\.$/ {print $1}' "$key" | head -10); do
	iu="$iu $(q 198.18.1.1 "$n")"; ic="$ic $(q 198.18.1.1 "$n")"
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "client -> public resolver (198.19.8.8), uncached (ms):$pu  median $(echo "$pu" | med)"
echo "client -> public resolver, cached there (ms):         $pc  median $(echo "$pc" | med)"
echo "client -> ISP resolver (198.18.1.1), uncached (ms):   $iu  median $(echo "$iu" | med)"
echo "client -> ISP resolver, cached (ms):                  $ic  median $(echo "$ic" | med)"
