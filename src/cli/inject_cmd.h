/* `dnswatch inject`: the wall. */
#ifndef DW_INJECT_INJECT_CMD_H
#define DW_INJECT_INJECT_CMD_H

#include "util/error.h"

#define INJECT_USAGE                                                                        \
	"usage: dnswatch inject [--lab NAME] [-i IFACE]... [--rules FILE]\n"                \
	"                       [--preset gfw|simple] [--injector SPEC]...\n"               \
	"                       [--schedule SECONDS:FILE|SECONDS:off]... [--control PATH]\n"\
	"                       [--log FILE] [--stats-json] [--seed N] [--duration SECONDS]\n"\
	"                       [--busy-poll] [--keep-caps] [--not-a-lab]\n"               \
	"       dnswatch inject ctl SOCKET load FILE | off | stats\n"                     \
	"  An on-path DNS injector, a lab instrument: it reads copies of the DNS\n"        \
	"  queries crossing the interfaces (the queries go on untouched) and, where a\n"   \
	"  rule matches, races a forged reply back to the asker, one per injector.\n"      \
	"  --lab NAME       run in the border router of lab NAME (see `dnswatch lab`);\n"  \
	"                   without it, the current network namespace must be a lab\n"     \
	"                   host, or --not-a-lab must be given\n"                          \
	"  -i IFACE         capture on IFACE (repeatable; default every non-loopback)\n"   \
	"  --rules FILE     the rule file (docs/rules.md); SIGHUP re-reads it; a bad\n"    \
	"                   file is reported by line and the running rules stay\n"         \
	"  --preset NAME    injectors: gfw (the GFW's three published injectors) or\n"     \
	"                   simple (one); default simple\n"                                \
	"  --injector SPEC  add an injector with its fingerprint, e.g.\n"                  \
	"                   name=i1,ttl=mirror,ipid=zero,df=1,delay=500,copies=2,\n"       \
	"                   answer-ttl=60,flags=follow (replaces the preset)\n"            \
	"  --schedule T:F   at T seconds after start load rule file F (or 'off')\n"        \
	"  --control PATH   unix socket taking 'load FILE', 'off' and 'stats', which\n"   \
	"                   `dnswatch inject ctl PATH ...` sends (exit 1 on an error)\n"   \
	"  --log FILE       append one JSON line per forged reply\n"                       \
	"  --stats-json     print the counters as a JSON line every second\n"              \
	"  --duration S     stop after S seconds (default: at SIGINT or SIGTERM)\n"        \
	"  --busy-poll      spin on the capture rings instead of sleeping: one core at\n"  \
	"                   100%, replies tens of microseconds sooner (wins races)\n"       \
	"  --keep-caps      do not drop capabilities once the sockets are open\n"          \
	"  Counters (seen, queries, matched, forged, sent, ring drops, send errors)\n"     \
	"  print as JSON on SIGUSR1 (stderr) and at exit (stdout).\n"

DW_MUST_CHECK int inject_cmd(int argc, char **argv);

#endif
