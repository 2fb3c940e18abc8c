# Shell test helpers: source this, call ok/fail/check, end with `done_testing`.
# Output follows tests/harness.h: "ok - NAME" / "not ok - NAME".
: "${DNSWATCH:?DNSWATCH must name the dnswatch binary (tests/run.sh sets it)}"
_t_failed=0
ok()   { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "#   $*"; _t_failed=1; return 0; }
# check NAME COMMAND...: the command must succeed.
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n" "command failed: $*"; fi; }
# check_fails NAME COMMAND...: the command must fail.
check_fails() { local n=$1; shift; if "$@"; then fail "$n" "command succeeded: $*"; else ok "$n"; fi; }
done_testing() { return $_t_failed; }
