/* `dnswatch census`: the wall's blocklist read from outside (docs/census.md). */
#ifndef DW_CLI_CENSUS_CMD_H
#define DW_CLI_CENSUS_CMD_H

#include "util/error.h"

#define CENSUS_USAGE                                                                          \
	"usage: dnswatch census [--lab NAME --from HOST] [--target nodns:ADDR]... [-t TYPE]...\n" \
	"                       [--db FILE [--resume]] [--ndjson] [--rate N] [--inflight N]\n"   \
	"                       [--timeout MS] [--retries N] [--hold MS]\n"                       \
	"                       [--infer [--rules-out FILE] [--window N]]\n"                      \
	"                       [--pools [--pool-name NAME] [--pool-queries N] [--pool-rate N]]\n"\
	"                       NAMES...\n"                                                       \
	"       dnswatch census diff [--ndjson] OLD.db NEW.db\n"                                  \
	"  Asks every name of the NAMES files (one name a line, or the other formats the\n"     \
	"  names reader knows) of addresses that run no DNS: any reply is an injector's.\n"     \
	"  Keeps every forged reply with its injector group (fingerprint); a name is\n"         \
	"  censored for a query type when a reply came. Duplicates and invalid lines are\n"     \
	"  counted and skipped (invalid ones told as FILE:LINE).\n"                              \
	"  --target nodns:ADDR  an address that runs no DNS (repeatable; LABEL=nodns:ADDR too);\n"\
	"                  in a lab, `nodns` (inside) or `nodnsout` (outside; the default\n"     \
	"                  from an inside host, `nodns` from remote)\n"                          \
	"  -t TYPE         query types (default A; repeatable, at most 8)\n"                     \
	"  --db FILE       the store (docs/store.md, census tables); --resume continues its\n"   \
	"                  unfinished census after a crash, skipping the names stored\n"         \
	"  --ndjson        one JSON line per forged (name, type) to stdout (the default\n"       \
	"                  without --db), then the rules, over-blocked names and pools\n"        \
	"  --rate N        queries per second (default 1000); --inflight N unanswered\n"        \
	"                  queries per target (default 200000); --timeout MS (default 1000),\n" \
	"                  --retries N (default 1), --hold MS after a first reply (default 200),\n"\
	"                  --threads N prober threads (default 1)\n"                            \
	"  --infer         infer the rules behind the censored names with further probes\n"     \
	"                  (at most 18 per name, none for a name an inferred rule explains)\n"  \
	"  --rules-out FILE  write them as a rule file (docs/rules.md), each with its evidence\n"\
	"  --window N      names inferred at once (default 4096)\n"                             \
	"  --pools         ask one censored name again and again (--pool-name, default the\n"  \
	"                  first censored one with an A answer; --pool-queries N, default\n"    \
	"                  1200; --pool-rate N per second, default 500) and give each\n"        \
	"                  injector group's address pool: its length and cyclic order\n"        \
	"  census diff: names newly censored and no longer censored, rules added and\n"        \
	"  removed, pools changed between the last censuses of two stores.\n"                  \
	"  Exit status 0 when done, 1 on an error, 2 on bad usage.\n"

DW_MUST_CHECK int census_cmd(int argc, char **argv);

#endif
