#!/bin/bash
# Run each libFuzzer target for SECONDS, on a working corpus seeded from
# tests/fuzz/corpus/TARGET; new inputs stay in BUILD/corpus/TARGET (merge the
# interesting ones back with `-merge=1` by hand), crashes go to BUILD/crashes.
#   scripts/fuzz.sh BUILD SECONDS TARGET...
set -euo pipefail
build=$1 secs=$2; shift 2
mkdir -p "$build/crashes"
status=0
for t in "$@"; do
	mkdir -p "$build/corpus/$t"
	echo "== $t: ${secs}s"
	"$build/$t" -max_total_time="$secs" -max_len=65535 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crashes/$t-" -print_final_stats=1 \
		"$build/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | tail -15 || status=1
done
exit $status
