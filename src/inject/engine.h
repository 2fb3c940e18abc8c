/*
 * The injector's engine: captures on interfaces with an AF_PACKET TPACKET_V2
 * ring (on-path: it reads copies, the original query goes on untouched),
 * vets and matches each query, forges one reply per injector profile, and
 * sends them on the interface the query came in on, in batches (sendmmsg).
 * Single-threaded and event-driven (poll over the rings, a signalfd, the
 * control socket and a timer for delayed replies), so a rule set swap takes
 * effect between two packets: no query ever sees half a rule set.
 */
#ifndef DW_INJECT_ENGINE_H
#define DW_INJECT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inject/forge.h"
#include "inject/profile.h"
#include "inject/rules.h"

/* What happened, for SIGUSR1, the exit line and the JSON stats line. */
struct inject_stats {
	uint64_t seen;          /* frames read from the rings */
	uint64_t queries;       /* well-formed queries */
	uint64_t responses;     /* replies passing through (ignored) */
	uint64_t malformed;     /* UDP/53 payloads that are not DNS */
	uint64_t not_query;     /* DNS but not a plain one-question query */
	uint64_t fragments;     /* IP fragments (ignored) */
	uint64_t other;         /* not UDP to port 53 */
	uint64_t matched;       /* queries a forging, nxdomain or noreply rule matched */
	uint64_t passed;        /* queries a pass rule exempted */
	uint64_t forged;        /* replies built (copies included) */
	uint64_t sent;          /* replies the kernel took */
	uint64_t send_errors;
	uint64_t ring_drops;    /* frames the kernel dropped because the ring was full */
	uint64_t delay_drops;   /* delayed replies dropped because the queue was full */
	uint64_t rule_loads;    /* rule sets swapped in */
};

/* A scheduled switch: at AT_US after start, load FILE (NULL: rules off). */
struct inject_sched {
	uint64_t at_us;
	char *file;
};

struct inject_config {
	char **ifaces;          /* names; NULL-terminated; none = every non-loopback one */
	struct inject_profile profile[PROFILE_MAX];
	int nprofiles;
	const char *rules_file; /* NULL: start with no rules */
	const char *control;    /* unix socket path, or NULL */
	const char *log;        /* NDJSON log of forged replies, or NULL */
	struct inject_sched *sched;
	int nsched;
	uint64_t seed;
	bool stats_json;        /* also print a JSON stats line every second */
	bool drop_caps;         /* drop every capability once the sockets are open */
	uint64_t duration_us;   /* stop after this long; 0 = until signalled */
	bool busy_poll;         /* spin on the rings instead of sleeping in poll() */
};

/* Run until SIGINT/SIGTERM (or the duration). Returns the exit status. */
int inject_engine_run(const struct inject_config *cfg);

void inject_stats_json(FILE *out, const struct inject_stats *s, const char *event);

#endif
