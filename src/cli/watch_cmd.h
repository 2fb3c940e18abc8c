/* `dnswatch watch`: continuous sampling, incident detection, cause, cache tail. */
#ifndef DW_WATCH_WATCH_CMD_H
#define DW_WATCH_WATCH_CMD_H

#include "util/error.h"

#define WATCH_USAGE                                                                            \
	"usage: dnswatch watch [--lab NAME] [--vantage HOST]... [--path HOST/TARGET]...\n"     \
	"                      [--outside HOST]... [--key FILE] [--rate N] [--panel N]\n"        \
	"                      [--churn F] [--walk-rate N] [--duration S] [--db FILE]\n"         \
	"                      [--events FILE] [--on-incident CMD] [--status S] [--no-locate]\n" \
	"                      [--timeout MS] [--hold MS] [--seed N] [--names FILE]\n"            \
	"                      [--no-key] [--control-target C]... [--ca FILE]\n"                  \
	"  Probes a rotating panel of names from the lab's answer key, from several\n"          \
	"  vantage points at once, through every path given (a caching resolver, a public\n"   \
	"  resolver, an address that runs no DNS, or the authoritative servers walked from\n"   \
	"  the root), without end or for --duration seconds. Keeps a time series per path\n"   \
	"  and TLD of wrong answers and their addresses, and raises an incident when a few\n"   \
	"  addresses suddenly answer for many unrelated names, or a path's share of wrong\n"    \
	"  answers jumps. Each incident names its TLDs, paths, forged addresses, share,\n"      \
	"  injector groups, the injector's hop (locate), the most likely cause (on-path,\n"     \
	"  resolver, data) with the evidence for and against, the end of the injection,\n"     \
	"  each resolver's cache tail and its end (docs/watch.md).\n"                            \
	"  --vantage HOST   watch from this lab host only (repeatable; default client,\n"       \
	"                   vpnclient and remote, each with its default paths)\n"              \
	"  --path HOST/T    a path: from lab host HOST to target T, a lab server's name\n"       \
	"                   (isp, public, nodns, nodnsout), LABEL=KIND:ADDR with KIND\n"        \
	"                   resolver or nodns, or LABEL=walk:ROOT (iterative, from the root);\n" \
	"                   HOST 'local' is where watch runs (without --lab: the only one,\n"   \
	"                   and --key is needed)\n"                                             \
	"  --outside HOST   HOST is outside the border (default: remote)\n"                    \
	"  --key FILE       the control: expected answers, the lab's answer key format\n"       \
	"                   (default: the lab's /run/dnswatch/NAME/answers.tsv)\n"            \
	"  --names FILE     no key: the panel from a list of names (plain, Tranco CSV,\n"     \
	"                   Citizen Lab CSV, zone file), judged by live controls only\n"      \
	"  --no-key         in a lab, do not read the key (the names from the lab's\n"        \
	"                   names.txt unless --names): as in the wild\n"                       \
	"  --control-target C  without a key, a control: HOST/LABEL, a resolver path whose\n" \
	"                   answers are the control, or HOST/LABEL=tls:ADDR[:PORT][#NAME],\n"  \
	"                   a resolver over DNS over TLS asked from HOST (repeatable; with\n"  \
	"                   --lab default remote/public and client/dot=tls:198.19.8.8#\n"      \
	"                   resolver.lab); --ca FILE: the CA for DoT (lab: its ca.pem)\n"     \
	"  --rate N         names per second per vantage point (default 20); over 1000\n"     \
	"                   queries/s to a path outside loopback and the lab only with\n"      \
	"                   --allow-fast-public (docs/ethics.md)\n"                               \
	"  --panel N        names in the panel (default 120); --churn F: share swapped\n"       \
	"                   for fresh names after each round (default 0.1)\n"                   \
	"  --walk-rate N    names per second walked from the root (default 5)\n"               \
	"  --db FILE        write every result, the groups and the incidents (SQLite)\n"       \
	"                   or clickhouse://HOST[:PORT]/DATABASE (ClickHouse, docs/store.md)\n"   \
	"                   (there each run is tagged with its vantage point: the one\n"     \
	"                   --vantage watched, else the host name)\n"                         \
	"  --events FILE    NDJSON events to FILE instead of standard output\n"                \
	"  --on-incident CMD  run `sh -c CMD` with each incident event on its stdin\n"        \
	"  --status S       a status line on stderr every S seconds (default 5; 0: none)\n"    \
	"  Output: NDJSON events on stdout (series, incident, path, watch), one line per\n"    \
	"  alert on stderr. SIGINT or SIGTERM: stops, writes what it has, exits 0.\n"          \
	"  Exit status: 0 done or stopped, 1 failed (the store, a vantage point), 2 usage.\n"

DW_MUST_CHECK int watch_cmd(int argc, char **argv);

#endif
