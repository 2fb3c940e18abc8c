# Shell test helpers: source this, call ok/fail/check, end with `done_testing`.
# Output follows tests/harness.h: "ok - NAME" / "not ok - NAME", and
# "ok - NAME # SKIP REASON" for a test that cannot run here (tests/run.sh
# counts skips apart, and as failures under CI=true).
: "${DNSWATCH:?DNSWATCH must name the dnswatch binary (tests/run.sh sets it)}"
_t_failed=0
ok()   { echo "ok - $1"; }
fail() { echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "#   $*"; _t_failed=1; return 0; }
# skip NAME REASON: NAME cannot run here (never for a failure of dnswatch).
skip() { echo "ok - $1 # SKIP ${2:-no reason given}"; }
# check NAME COMMAND...: the command must succeed.
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n" "command failed: $*"; fi; }
# check_fails NAME COMMAND...: the command must fail.
check_fails() { local n=$1; shift; if "$@"; then fail "$n" "command succeeded: $*"; else ok "$n"; fi; }
done_testing() { return $_t_failed; }

# skip_all WHAT REASON: the whole script cannot run here: one skip, and the
# script ends (with the status of what it reported before).
skip_all() { skip "$1" "$2"; done_testing; exit; }
# need_root WHAT: skip the whole script unless it runs as root.
need_root() { [ "$(id -u)" = 0 ] || skip_all "$1" "needs root"; }
# need_tools WHAT TOOL...: skip the whole script unless every TOOL is installed.
need_tools() {
	local what=$1 t; shift
	for t in "$@"; do
		command -v "$t" >/dev/null || skip_all "$what" "needs $t (make deps)"
	done
}

# lab_test PREFIX WHAT: for tests that build a lab. Without root, one skipped
# test saying WHAT needs root, and the script ends (a failure under CI=true,
# see tests/run.sh). Otherwise sets LAB (a lab name of this run's own: PREFIX
# and the pid), tmp (a temporary directory) and inj (empty; set it to the
# pid of a wall the test starts), and a trap that stops that wall and takes
# the lab down whatever happens.
lab_test() {
	need_root "$2"
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
