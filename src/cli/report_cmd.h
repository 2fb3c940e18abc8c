/* `dnswatch report`: one self-contained HTML file from a store. */
#ifndef DW_REPORT_REPORT_CMD_H
#define DW_REPORT_REPORT_CMD_H

#include "util/error.h"

#define REPORT_CHARTJS_DEFAULT "/usr/share/javascript/chart.js/chart.min.js"

#define REPORT_USAGE                                                                          \
	"usage: dnswatch report DB [-o FILE] [--locate FILE]... [--chartjs FILE]\n"            \
	"       dnswatch report --db clickhouse://HOST[:PORT]/DATABASE [-o FILE] ...\n"      \
	"  Writes one self-contained HTML page (readable offline, no external URL) about\n"   \
	"  the SQLite store DB (written by `dnswatch probe --db`): the incident in plain\n"   \
	"  words, then charts of the forged share (injected + poisoned over all judged\n"      \
	"  answers) over time per path (target) and per TLD, with the injection window\n"     \
	"  (where `injected` verdicts occur) and the cache tail (after it, while\n"           \
	"  `poisoned` ones remain) shaded; the top forged addresses with first and last\n"   \
	"  sight; the injector groups (fingerprints, IP TTL and answer TTL ranges,\n"         \
	"  addresses), merged over runs; locate results; the incident records if the\n"     \
	"  store has any (written by `dnswatch watch`); and each run's command line,\n"       \
	"  targets and times. Every run in DB is read; times are UTC. A ClickHouse\n"        \
	"  database is read across its vantage points (a path: vantage/target), each\n"     \
	"  figure counted by the server (GROUP BY), docs/store.md.\n"                         \
	"  -o FILE         where to write the page (default report.html); written to a\n"    \
	"                  temporary file beside it and renamed, so FILE is whole or absent\n" \
	"  --locate FILE   output of `dnswatch locate --json` (one object a line;\n"          \
	"                  repeatable)\n"                                                      \
	"  --chartjs FILE  the Chart.js build to inline (default " REPORT_CHARTJS_DEFAULT     \
	",\n"                                                                                  \
	"                  from Debian's libjs-chart.js)\n"                                    \
	"  Exit status: 0 written, 1 error (missing or foreign DB, empty store, bad locate\n"  \
	"  file, missing Chart.js), 2 usage error.\n"

DW_MUST_CHECK int report_cmd(int argc, char **argv);

#endif
