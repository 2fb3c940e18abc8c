#!/bin/sh
# Time `dnswatch lab up` (default population) and measure the long-haul round
# trip, on a lab of its own (name "bench"), taken down at the end.
#   bench/lab/run.sh BUILD_DIR [RUNS]      (bench/run.sh passes BUILD_DIR; needs root)
set -u
build=${1:-build}
runs=${2:-5}
case "$runs" in *[!0-9]*|'') runs=5 ;; esac
dw=$build/dnswatch
name=bench
if [ "$(id -u)" != 0 ]; then
	echo "# lab: skipped (needs root)"
	exit 0
fi
trap '"$dw" lab --name $name down >/dev/null 2>&1' EXIT
"$dw" lab --name $name down >/dev/null 2>&1
times=""
i=1
while [ "$i" -le "$runs" ]; do
	s=$(date +%s.%N)
	"$dw" lab --name $name up >/dev/null || { echo "lab up failed" >&2; exit 1; }
	times="$times $(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')"
	[ "$i" -lt "$runs" ] && "$dw" lab --name $name down >/dev/null
	i=$((i + 1))
done
echo "lab up (default population), wall clock (s), $runs runs:$times"
echo "$times" | tr ' ' '\n' | grep . | sort -n |
	awk '{v[NR] = $1} END {printf "  min %.2f  median %.2f  max %.2f\n", v[1], v[int((NR + 1) / 2)], v[NR]}'
key=/run/dnswatch/$name/answers.tsv
q() { "$dw" lab --name $name exec client dig @"$1" "$2" A +tries=1 +time=5 | awk '/Query time:/ {print $4}'; }
med() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
pu="" pc="" iu="" ic=""
for n in $(awk -F'\t' 'NR > 2 && $2 == "A" && $1 ~ /\.com\.$/ {print $1}' "$key" | head -10); do
	pu="$pu $(q 198.19.8.8 "$n")"; pc="$pc $(q 198.19.8.8 "$n")"
done
for n in $(awk -F'\t' 'NR > 2 && $2 == "A" && $1 ~ /\.net\.$/ {print $1}' "$key" | head -10); do
	iu="$iu $(q 198.18.1.1 "$n")"; ic="$ic $(q 198.18.1.1 "$n")"
done
echo "client -> public resolver (198.19.8.8), uncached (ms):$pu  median $(echo "$pu" | med)"
echo "client -> public resolver, cached there (ms):         $pc  median $(echo "$pc" | med)"
echo "client -> ISP resolver (198.18.1.1), uncached (ms):   $iu  median $(echo "$iu" | med)"
echo "client -> ISP resolver, cached (ms):                  $ic  median $(echo "$ic" | med)"
