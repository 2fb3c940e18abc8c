#!/bin/bash
# Run every test and print one closing line `N passed, N failed`.
#   tests/run.sh BUILD_DIR        (BUILD_DIR is the sanitizer build, build/san)
# Runs: the C test programs (BUILD_DIR/tests/*/test_*), the fuzz corpus
# replays (BUILD_DIR/replay/fuzz_* over tests/fuzz/corpus/fuzz_*), and the
# shell tests (tests/*/test_*.sh, which get DNSWATCH=BUILD_DIR/dnswatch).
# Every test prints "ok - NAME" or "not ok - NAME"; a program that dies
# without saying so counts as one more failure. Exit status 1 if any failed.
set -u
build=${1:?usage: tests/run.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
export DNSWATCH="$root/$build/dnswatch"
export DW_ROOT="$root"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
per_test_timeout=${DW_TEST_TIMEOUT:-900}

passed=0 failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_one() { # label, command...
	local label=$1; shift
	echo "# --- $label"
	timeout -k 10 "$per_test_timeout" "$@" >"$out" 2>&1
	local rc=$?
	cat "$out"
	local p f
	p=$(grep -c '^ok - ' "$out")
	f=$(grep -c '^not ok - ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $label exited with status $rc"
		f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $label ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in $(find "$build/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
	run_one "${t#$build/}" "$t"
done
for r in $(find "$build/replay" -type f -perm -u+x -name 'fuzz_*' 2>/dev/null | sort); do
	name=$(basename "$r")
	run_one "replay $name" "$r" "$root/tests/fuzz/corpus/$name"
done
for s in $(find tests -name 'test_*.sh' | sort); do
	run_one "$s" bash "$s"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
