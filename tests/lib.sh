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

# lab_test PREFIX WHAT: for tests that build a lab. Without root, one failed
# test saying WHAT needs root, and the script ends. Otherwise sets LAB (a lab
# name of this run's own: PREFIX and the pid), tmp (a temporary directory)
# and inj (empty; set it to the pid of a wall the test starts), and a trap
# that stops that wall and takes the lab down whatever happens.
lab_test() {
	if [ "$(id -u)" != 0 ]; then fail "$2 need root"; done_testing; exit; fi
	LAB=$1$(( $$ % 100000 ))
	tmp=$(mktemp -d)
	inj=
	trap _lab_test_cleanup EXIT
}
_lab_test_cleanup() {
	[ -n "$inj" ] && kill "$inj" 2>/dev/null && wait "$inj" 2>/dev/null
	"$DNSWATCH" lab --name "$LAB" down >/dev/null 2>&1
	rm -rf "$tmp"
}
