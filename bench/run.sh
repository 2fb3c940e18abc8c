#!/bin/sh
# Run every benchmark and print its results.
#   bench/run.sh BUILD_DIR [ARGS...]
# Runs each compiled benchmark BUILD_DIR/bench/bench_* (built by `make bench`
# from bench/*/bench_*.c; ARGS are passed to each, e.g. --tsv), then each
# bench/*/run.sh script, which gets BUILD_DIR as its first argument. A new
# benchmark adds itself by dropping a bench_*.c or a run.sh into its folder.
# Exit status 1 if any benchmark failed.
set -u
build=${1:?usage: bench/run.sh BUILD_DIR [ARGS...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

echo "# machine: $(nproc) cpu, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
	"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")," \
	"$(${CC:-cc} --version 2>/dev/null | head -1)"
failed=0 ran=0
for b in "$build"/bench/bench_*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	echo "# --- $(basename "$b")"
	ran=$((ran + 1))
	"$b" "$@" || { echo "# FAILED: $b (exit $?)"; failed=$((failed + 1)); }
done
for s in bench/*/run.sh; do
	[ -f "$s" ] || continue
	echo "# --- $s"
	ran=$((ran + 1))
	bash "$s" "$build" "$@" || { echo "# FAILED: $s (exit $?)"; failed=$((failed + 1)); }
done
echo "# $ran benchmark(s), $failed failed"
[ "$failed" = 0 ]
