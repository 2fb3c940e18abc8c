#!/bin/bash
# Run each libFuzzer target for SECONDS, on a working corpus seeded from
# tests/fuzz/corpus/TARGET; new inputs stay in BUILD/corpus/TARGET (merge the
# interesting ones back with `-merge=1` by hand), crashes go to BUILD/crashes,
# the whole libFuzzer output to BUILD/logs/TARGET.log. Prints the seed and
# final coverage (cov/ft), the final stats (exec/s) and any finding.
#   scripts/fuzz.sh BUILD SECONDS TARGET...
set -euo pipefail
build=$1 secs=$2; shift 2
mkdir -p "$build/crashes" "$build/logs"
status=0
for t in "$@"; do
	mkdir -p "$build/corpus/$t"
	log="$build/logs/$t.log"
	echo "== $t: ${secs}s (log: $log)"
	rc=0
	"$build/$t" -max_total_time="$secs" -max_len=65535 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crashes/$t-" -print_final_stats=1 \
		"$build/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
	grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::' "$log" || true
	if [ "$rc" != 0 ]; then
		status=1
		echo "!! $t exited with status $rc:"
		grep -E 'ERROR|SUMMARY|Test unit written|^artifact_prefix|deadly signal' "$log" || tail -30 "$log"
	fi
done
exit $status
