#!/bin/bash
# Run every test and print one closing line `N passed, N failed, N skipped`.
#   tests/run.sh BUILD_DIR [REGEX]   (BUILD_DIR is the sanitizer build, build/san)
# With REGEX (grep -E), only the tests whose label matches it run; labels are
# tests/DIR/test_NAME (C), "replay fuzz_NAME", tests/DIR/test_NAME.sh.
# Runs: the C test programs (BUILD_DIR/tests/*/test_*), the fuzz corpus
# replays (BUILD_DIR/replay/fuzz_* over tests/fuzz/corpus/fuzz_*), and the
# shell tests (tests/*/test_*.sh, which get DNSWATCH=BUILD_DIR/dnswatch).
# Every test prints "ok - NAME", "not ok - NAME" or "ok - NAME # SKIP REASON"
# (tests/harness.h, tests/lib.sh); a program that dies without saying so, or
# says nothing at all, counts as one more failure.
#
# Skips. A test skips only when it truly cannot run here: a lab test
# without root, a tool that is not installed, a mount the kernel refuses.
# Outside CI a skip is counted apart and does not fail the run. Under
# CI=true every skip counts as a failure (and is reported as "not ok ...
# skipped under CI"): CI runs as root with every tool installed (`make
# deps`), so there a skip means a test that silently stopped testing.
# Exit status 1 if any failed.
set -u
build=${1:?usage: tests/run.sh BUILD_DIR [REGEX]}
only=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
export DNSWATCH="$root/$build/dnswatch"
export DW_ROOT="$root"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
per_test_timeout=${DW_TEST_TIMEOUT:-900}
in_ci=false
[ "${CI:-}" = true ] && in_ci=true

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_one() { # label, command...
	local label=$1; shift
	if [ -n "$only" ] && ! grep -qE -- "$only" <<<"$label"; then return; fi
	echo "# --- $label"
	timeout -k 10 "$per_test_timeout" "$@" >"$out" 2>&1
	local rc=$?
	cat "$out"
	local p f s
	s=$(grep -cE '^ok - .* # SKIP( |$)' "$out")
	p=$(( $(grep -c '^ok - ' "$out") - s ))
	f=$(grep -c '^not ok - ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $label exited with status $rc"
		f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ] && [ "$s" = 0 ]; then
		echo "not ok - $label ran no test"
		f=1
	fi
	if [ "$s" != 0 ] && $in_ci; then
		grep -E '^ok - .* # SKIP( |$)' "$out" | sed 's/^ok - /not ok - skipped under CI=true: /'
		f=$((f + s))
		s=0
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
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

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
