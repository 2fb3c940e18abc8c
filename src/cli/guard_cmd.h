/* `dnswatch guard`: a local resolver that keeps answering right while the wall injects. */
#ifndef DW_CLI_GUARD_CMD_H
#define DW_CLI_GUARD_CMD_H

#include "util/error.h"

#define GUARD_USAGE                                                                          \
	"usage: dnswatch guard --listen ADDR[:PORT]... --upstream KIND:ADDR[:PORT][#NAME]...\n" \
	"                      [--lab NAME --on HOST] [--calibrate NAME]\n"                    \
	"                      [--trust-anchor FILE] [options]\n"                              \
	"  A caching DNS forwarder that never serves a forged answer knowingly\n"               \
	"  (docs/guard.md). Clients ask over UDP and TCP on every --listen address\n"            \
	"  (default port 53); a miss goes to every plain upstream at once, and each\n"           \
	"  reply is judged: IP TTL within +-1 of the path's, round trip not under\n"             \
	"  half its floor, the upstream's own DNS layout, no learned injector group,\n"          \
	"  no address seen forged (Hold-On). A reply that fits nothing is dropped and\n"          \
	"  the query waits for the real one; with none in time the client gets\n"               \
	"  SERVFAIL with an Extended DNS Error (RFC 8914) saying why.\n"                        \
	"  --upstream udp:A[:P] | tcp:A[:P] | tls:A[:P][#NAME]   repeatable\n"                  \
	"  --lab NAME --on HOST  run inside that lab host (e.g. --lab dw --on client)\n"        \
	"  --ca FILE       the CA that tls: upstreams' certificates are checked against\n"        \
	"                  (default: the system's store)\n"                                     \
	"  --prefer tls    every query to the tls: upstreams (DoT, RFC 7858)\n"                \
	"  --no-fallback   never fall back to tls: (by default a query goes there while\n"     \
	"                  every plain path is judged injected or its name drew a forgery)\n"  \
	"  --fallback-hold MS  a path is judged injected this long after a drop (30000)\n"      \
	"  --calibrate NAME  learn each path's profile from NAME (a zone the wall does\n"        \
	"                  not touch), asked over UDP and confirmed over TCP\n"                 \
	"  --calibrate-every MS  (default 10000)\n"                                             \
	"  --timeout MS    a query's whole life (default 2000)\n"                               \
	"  --window MS     hold after the first reply when no profile can verify it (300)\n"    \
	"  --min-ttl S --max-ttl S  cache TTL clamps (default 0 and 86400)\n"                   \
	"  --cache N       entries (default 10000; 0: no cache)\n"                              \
	"  --inflight N    queries open at once (default 1024; more get SERVFAIL, counted)\n"   \
	"  --no-holdon     a plain forwarder: no judging, no waiting\n"                         \
	"  --no-ttl --no-rtt --no-layout --no-groups --no-addrs   switch one check off\n"      \
	"  --trust-anchor FILE  validate DNSSEC from these DS/DNSKEY records (unbound's\n"     \
	"                  trust-anchor-file form): upstream queries carry DO, bogus\n"        \
	"                  replies are dropped like forged ones, AD for DO/AD clients\n"      \
	"  --learn-from DB forged addresses of a dnswatch store's injector groups\n"            \
	"  --log FILE      one JSON line per dropped reply, with its evidence\n"                \
	"  --db FILE       the drops into a dnswatch store's guard_drops table (report shows them)\n" \
	"  --duration S    stop after S seconds (default: until SIGINT or SIGTERM)\n"           \
	"  Counters go to standard output as one JSON line on SIGUSR1 and at exit.\n"            \
	"  Exit status 0 after a clean stop, 1 on an error, 2 on a usage error.\n"

DW_MUST_CHECK int guard_cmd(int argc, char **argv);

#endif
