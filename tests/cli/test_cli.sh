#!/bin/bash
# The subcommand table drives dispatch and help.
. "$DW_ROOT/tests/lib.sh"

out=$("$DNSWATCH" help) && echo "$out" | grep -q '^  help ' && ok "help lists the commands" || fail "help lists the commands"
"$DNSWATCH" help help | grep -q 'usage: dnswatch help' && ok "help CMD prints its usage" || fail "help CMD prints its usage"
"$DNSWATCH" help --help >/dev/null && ok "CMD --help works" || fail "CMD --help works"
err=$("$DNSWATCH" no-such-cmd 2>&1); rc=$?
[ $rc = 2 ] && echo "$err" | grep -q "unknown command 'no-such-cmd'" && ok "unknown command: one line, exit 2" || fail "unknown command: one line, exit 2" "rc=$rc err=$err"
"$DNSWATCH" >/dev/null 2>&1; [ $? = 2 ] && ok "no command: usage, exit 2" || fail "no command: usage, exit 2"
done_testing
