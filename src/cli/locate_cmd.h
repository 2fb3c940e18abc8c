/* `dnswatch locate`: at which hop does the injector sit? */
#ifndef DW_LOCATE_LOCATE_CMD_H
#define DW_LOCATE_LOCATE_CMD_H

#include "util/error.h"

#define LOCATE_USAGE                                                                       \
	"usage: dnswatch locate [--lab NAME --from HOST] [--max-ttl N] [--probes N]\n"     \
	"                       [--wait MS] [--qtype TYPE] [--port P] [--json] TARGET NAME\n"\
	"  Sends the query for NAME towards TARGET (an address behind the injector,\n"    \
	"  ideally one that runs no DNS) with IP TTL 1, 2, ... N, records the routers\n"   \
	"  that answer with ICMP time exceeded and the first TTL at which forged\n"       \
	"  replies come back, and says at which hop the injector sits. An injector\n"     \
	"  whose reply TTL mirrors the probe's is recognised (its replies' TTL rises\n"   \
	"  with the probe TTL) and not used to place it, with the reason.\n"              \
	"  --lab NAME --from HOST  run from that lab host (e.g. --lab dw --from client)\n" \
	"  --max-ttl N     highest probe TTL (default 12, at most 64)\n"                  \
	"  --probes N      queries per TTL (default 2)\n"                                  \
	"  --wait MS       wait after each TTL (default 300)\n"                           \
	"  --json          one JSON object instead of the table\n"                        \
	"  Exit status 0 when done (whatever it found), 1 on an error.\n"

DW_MUST_CHECK int locate_cmd(int argc, char **argv);

#endif
