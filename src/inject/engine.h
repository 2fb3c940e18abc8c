/*
 * The injector's engine: the I/O around the decision core (core.h). It
 * captures on interfaces with an AF_PACKET TPACKET_V2 ring (on-path: it
 * reads copies, the original query goes on untouched), hands each frame to
 * the core, and sends the core's replies on the interface the query came in
 * on, in batches (sendmmsg), holding delayed ones in a heap until they are
 * due. Single-threaded and event-driven (poll over the rings, the control
 * socket, the caller's descriptor and a timer for delayed replies), so a
 * rule set swap takes effect between two packets: no query ever sees half
 * a rule set.
 *
 * The engine prints nothing and installs no signal handler: what a person
 * should see goes through hooks, and the caller owns the signals (it can
 * hand the engine a descriptor to watch, such as a signalfd, and act on it
 * in the wake hook: reload, stats, stop).
 */
#ifndef DW_INJECT_ENGINE_H
#define DW_INJECT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inject/core.h"
#include "inject/profile.h"
#include "util/error.h"

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
	bool drop_caps;         /* drop every capability once the sockets are open */
	uint64_t duration_us;   /* stop after this long; 0 = until stopped */
	bool busy_poll;         /* spin on the rings instead of sleeping in poll() */
	int wake_fd;            /* the caller's descriptor to watch (hooks.wake), -1 none */
};

struct inject_engine;

struct inject_hooks {
	/* A rule set was swapped in (at the start, by the schedule, the
	 * control socket or inject_engine_load); FILE NULL: rules off. */
	void (*rules_loaded)(void *ctx, const char *file, size_t nrules);
	/* A scheduled load failed; the running rules stay. */
	void (*schedule_failed)(void *ctx, const struct dw_error *err);
	/* Once a second. */
	void (*tick)(void *ctx, struct inject_engine *e);
	/* cfg->wake_fd is readable. */
	void (*wake)(void *ctx, struct inject_engine *e);
	void *ctx;
};

/*
 * Load the rules, open the rings, the control socket and the log, and drop
 * capabilities (cfg->drop_caps). CFG and HOOKS must outlive the engine.
 * Returns 0 with *OUT set, or -1 with ERR set (everything closed).
 */
int inject_engine_open(struct inject_engine **out, const struct inject_config *cfg,
		       const struct inject_hooks *hooks, struct dw_error *err) DW_MUST_CHECK;

/*
 * Capture, forge and send until inject_engine_stop or cfg->duration_us;
 * then send what is still held for a delay (the queries were seen).
 * Returns 0, or -1 with ERR set (poll failed).
 */
int inject_engine_run(struct inject_engine *e, struct dw_error *err) DW_MUST_CHECK;

/* End the run after the current turn (from a hook). */
void inject_engine_stop(struct inject_engine *e);

/* Swap in the rules of FILE (NULL: rules off). Returns 0, or -1 with ERR
 * set and the running rules in force. */
int inject_engine_load(struct inject_engine *e, const char *file, struct dw_error *err) DW_MUST_CHECK;

/* The counters, with the rings' drops collected. */
void inject_engine_stats(struct inject_engine *e, struct inject_stats *out);

/* The name of capture interface I, NULL past the last. */
const char *inject_engine_iface(const struct inject_engine *e, int i);

/* Close everything (the control socket's file is removed). NULL is fine. */
void inject_engine_close(struct inject_engine *e);

/* The counters as one JSON line {"event":EVENT,...} into OUT. */
void inject_stats_json(FILE *out, const struct inject_stats *s, const char *event);

#endif
