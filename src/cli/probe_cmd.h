/* `dnswatch probe`: the bulk prober. */
#ifndef DW_PROBE_PROBE_CMD_H
#define DW_PROBE_PROBE_CMD_H

#include "util/error.h"

#define PROBE_USAGE                                                                           \
	"usage: dnswatch probe [--lab NAME --from HOST] --target T... [-t TYPE]...\n"         \
	"                      [--rate N] [--inflight N] [--retries N] [--timeout MS]\n"        \
	"                      [--hold MS] [--sockets N] [--no-edns] [--control-key FILE]\n"    \
	"                      [--control-run FILE] [--control-target LABEL]\n"                 \
	"                      [--db FILE [--resume] [--ndjson]] [--raw] [--pcap FILE]\n"       \
	"                      [--seed N] [NAMES|-]\n"                                           \
	"  Sends every name of NAMES (a file, or standard input; one name a line, '#'\n"       \
	"  comments and blank lines allowed; invalid names are reported by line and\n"         \
	"  skipped) to every target, keeps every reply to every query for a hold window\n"     \
	"  after the first, with its IP TTL, IP ID and DF bit, and judges each query:\n"        \
	"  ok, injected, poisoned, inconsistent, nxdomain, servfail, refused, timeout\n"        \
	"  (docs/verdicts.md). Forged replies are grouped by injector fingerprint.\n"           \
	"  --target T      LABEL=KIND:ADDR[:PORT], KIND resolver, auth or nodns, e.g.\n"        \
	"                  isp=resolver:198.18.1.1; with --lab, a lab server's name will\n"      \
	"                  do (isp, public, nodns, nodnsout, com, auth1, ...)\n"                 \
	"  -t TYPE         query type (repeatable; default A)\n"                                  \
	"  --rate N        queries per second, all targets (default 1000)\n"                      \
	"  --inflight N    unanswered queries per target at once (default 1000)\n"              \
	"  --retries N     retransmissions of an unanswered query (default 2)\n"                 \
	"  --timeout MS    wait for a first reply per transmission (default 1000)\n"             \
	"  --hold MS       keep a query open after its first reply (default 2000)\n"             \
	"  --control-key FILE     expected answers: the lab's answers.tsv\n"                       \
	"  --control-run FILE     expected answers and known forgeries: an earlier NDJSON run\n"   \
	"  --control-target LABEL this target's answers are the control (an uncensored path)\n"  \
	"  --db FILE       write the SQLite store (docs/store.md) instead of NDJSON on\n"         \
	"                  stdout (--ndjson: both); --resume continues the last unfinished\n"    \
	"                  run of FILE after a crash or a kill, with no row lost or doubled\n"   \
	"  --db clickhouse://HOST[:PORT]/DATABASE  write into ClickHouse instead (shared\n"   \
	"                  by many vantage points; no --resume; docs/store.md)\n"            \
	"  --vantage NAME  the run's vantage point in ClickHouse (default: the host name)\n" \
	"  --raw           keep each reply's raw bytes in the output\n"                          \
	"  --pcap FILE     write every packet sent and received\n"                                \
	"  Output: one JSON object per query and target on stdout (NDJSON), a progress\n"     \
	"  line on stderr when stdout is a terminal, and a summary on stderr at the end.\n"    \
	"  Exit status: 0 done, 1 failed (the run can be resumed), 2 usage error.\n"

DW_MUST_CHECK int probe_cmd(int argc, char **argv);

#endif
