/*
 * The wall's decision core: a captured frame and the time it was seen go
 * in; the forged replies to send, each with the time to send it, come out
 * (through a callback), and the counters move. Which frames are queries to
 * answer (inject/forge: inject_classify), which rule applies
 * (inject/rules), which injector profiles answer (a rule's injectors=, a
 * profile's RD selection), and what each one sends (inject_forge, its
 * copies, its delay). The rule set in force is swapped whole between two
 * frames. No sockets, no clock, no printing: engine.c drives it with
 * AF_PACKET rings and sendmmsg, tests with scripted frames and times.
 */
#ifndef DW_INJECT_CORE_H
#define DW_INJECT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "inject/forge.h"
#include "inject/profile.h"
#include "inject/rules.h"
#include "util/error.h"

/* What happened, for SIGUSR1, the exit line and the JSON stats line. The
 * core counts the frames and the replies it forges; the engine the rest. */
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
	uint64_t rule_loads;    /* rule sets swapped in by inject_core_rules_set (not
				 * the one the core starts with) */
};

/* One reply to send: FRAME[0..LEN) out of interface IFACE (the one the
 * query came in on) at DUE_US (the frame's time plus the profile's delay),
 * copy COPY of the profile's copies. PROFILE, QUERY and RULE say why (for
 * a log). Everything is valid during the callback only. */
struct inject_reply {
	int iface;
	uint64_t due_us;
	const uint8_t *frame;
	size_t len;
	unsigned copy;
	const struct inject_profile *profile;
	const struct inject_query *query;
	const struct inject_rule *rule;
};

typedef void (*inject_reply_fn)(void *ctx, const struct inject_reply *r);

struct inject_core;

/*
 * A core running the NPROFILES injector PROFILES (copied), their random
 * numbers from SEED, with no rules (nothing matches) until
 * inject_core_rules_set. Replies go to REPLY(CTX, ...). Returns NULL with
 * ERR set (bad arguments, memory).
 */
struct inject_core *inject_core_new(const struct inject_profile *profiles, int nprofiles,
				    uint64_t seed, inject_reply_fn reply, void *ctx,
				    struct dw_error *err) DW_MUST_CHECK;
void inject_core_free(struct inject_core *c);

/*
 * Swap in rule set R (the core takes it, and frees it on failure): every
 * injector its injectors= names must be running. Counted in rule_loads.
 * Returns 0, or -1 with ERR set and the running rules in force.
 */
int inject_core_rules_set(struct inject_core *c, struct inject_rules *r,
			  struct dw_error *err) DW_MUST_CHECK;

/* The same for the rules the core starts with (before any frame, instead
 * of none), which is not a swap: not counted in rule_loads. */
int inject_core_rules_start(struct inject_core *c, struct inject_rules *r,
			    struct dw_error *err) DW_MUST_CHECK;
const struct inject_rules *inject_core_rules(const struct inject_core *c);

/* FRAME[0..LEN), an Ethernet frame captured on interface IFACE at NOW_US
 * (any clock; the replies' due times are on it). */
void inject_core_frame(struct inject_core *c, int iface, const uint8_t *frame, size_t len,
		       uint64_t now_us);

/* The counters (the engine adds what it sends, drops and loads). */
struct inject_stats *inject_core_stats(struct inject_core *c);

#endif
