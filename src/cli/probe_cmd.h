/* `dnswatch probe`: the bulk prober. */
#ifndef DW_PROBE_PROBE_CMD_H
#define DW_PROBE_PROBE_CMD_H

#include "util/error.h"

#define PROBE_USAGE                                                                           \
	"usage: dnswatch probe [--lab NAME --from HOST] --target T... [-t TYPE]...\n"         \
	"                      [--max-rate N [--allow-fast-public]] [--inflight N]\n"         \
	"                      [--retries N] [--timeout MS]\n"                                  \
	"                      [--hold MS] [--sockets N] [--threads N] [--no-edns]\n"          \
	"                      [--control-key FILE]\n"                                           \
	"                      [--control-run FILE] [--control-target LABEL] [--ca FILE]\n"     \
	"                      [--control-db FILE]\n"                                            \
	"                      [--db FILE [--resume] [--ndjson]] [--raw] [--pcap FILE]\n"       \
	"                      [--seed N] [--names-format F] [NAMES|-]\n"                        \
	"  Sends every name of NAMES (a file, or standard input: a list of names, '#'\n"      \
	"  comments allowed; a Tranco/Umbrella rank,name CSV; a Citizen Lab test list,\n"     \
	"  its URLs' hosts; or a zone file, its NS records' owners; invalid lines are\n"      \
	"  reported by line and skipped, repeated names skipped) to every target, keeps\n"    \
	"  every reply to every query for a hold window\n"                                     \
	"  after the first, with its IP TTL, IP ID and DF bit, and judges each query:\n"        \
	"  ok, injected, poisoned, inconsistent, nxdomain, servfail, refused, timeout\n"        \
	"  (docs/verdicts.md). Forged replies are grouped by injector fingerprint.\n"           \
	"  --target T      LABEL=KIND:ADDR[:PORT], KIND resolver, auth or nodns, e.g.\n"        \
	"                  isp=resolver:198.18.1.1; with --lab, a lab server's name will\n"      \
	"                  do (isp, public, nodns, nodnsout, com, auth1, ...)\n"                 \
	"  -t TYPE         query type (repeatable; default A)\n"                                  \
	"  --max-rate N    queries per second, all targets together (also --rate): default\n" \
	"                  1000 when every target is on loopback (127/8, ::1) or in the lab\n" \
	"                  (198.18.0.0/15), 100 when one is elsewhere; over 1000 to such a\n"  \
	"                  target only with --allow-fast-public (docs/ethics.md)\n"            \
	"  --inflight N    unanswered queries per target at once (default 1000)\n"              \
	"  --retries N     retransmissions of an unanswered query (default 2)\n"                 \
	"  --timeout MS    wait for a first reply per transmission (default 1000)\n"             \
	"  --hold MS       keep a query open after its first reply (default 2000)\n"             \
	"  --threads N     prober threads, each with its own sockets (--sockets N each) and\n" \
	"                  capture, names shared out by hash (default: one per core); the\n"   \
	"                  results still one stream, in the order the queries finished\n"      \
	"  --control-key FILE     expected answers: the lab's answers.tsv\n"                       \
	"  --control-run FILE     expected answers and known forgeries: an earlier NDJSON run,\n"  \
	"                  or zdns output (its A/AAAA/ALOOKUP results as the control)\n"        \
	"  --control-db FILE      the answers judged ok in every run of the store FILE (a\n"     \
	"                  second dnswatch's, at an uncensored vantage point) as the control\n"  \
	"  --control-target LABEL this target's answers are the control (an uncensored path);\n" \
	"                  LABEL=tls:ADDR[:PORT][#NAME] is one over DNS over TLS (port 853),\n"  \
	"                  the certificate checked for NAME (sent as SNI) against --ca FILE\n"   \
	"                  (default: the system's store; in a lab, the lab's CA)\n"             \
	"  --db FILE       write the SQLite store (docs/store.md) instead of NDJSON on\n"         \
	"                  stdout (--ndjson: both); --resume continues the last unfinished\n"    \
	"                  run of FILE after a crash or a kill, with no row lost or doubled\n"   \
	"  --db clickhouse://HOST[:PORT]/DATABASE  write into ClickHouse instead (shared\n"   \
	"                  by many vantage points; no --resume; docs/store.md)\n"            \
	"  --vantage NAME  the run's vantage point in ClickHouse (default: the host name)\n" \
	"  --raw           keep each reply's raw bytes in the output\n"                          \
	"  --pcap FILE     write every packet sent and received\n"                                \
	"  --names-format F  auto (default: from the content), plain, csv-rank,\n"             \
	"                  citizenlab or zone\n"                                                 \
	"  Output: one JSON object per query and target on stdout (NDJSON), a progress\n"     \
	"  line on stderr when stdout is a terminal, and a summary on stderr at the end.\n"    \
	"  Exit status: 0 done, 1 failed (the run can be resumed), 2 usage error.\n"

DW_MUST_CHECK int probe_cmd(int argc, char **argv);

#endif
