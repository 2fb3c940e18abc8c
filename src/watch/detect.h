/*
 * The watch's judgement over time: a time series per path and TLD of verdict
 * shares and answer addresses, incident detection, its evidence and most
 * likely cause, the end of the injection, each resolver's cache tail, and
 * the end of the incident. Fed one observation per judged query (from the
 * probe engines and the walker); asked to decide at each tick. No I/O, no
 * clock of its own, no threads: times are the caller's (microseconds since
 * the epoch), so tests replay any timeline. docs/watch.md states the rules.
 *
 * Three rules raise an incident: a few addresses suddenly answering for
 * many unrelated names (many zones, many authoritative servers: 2014's
 * signature); a burst of replies from an address that runs no DNS (forgery
 * by definition, no baseline needed); and a sequential test (a Bernoulli
 * CUSUM) per path and TLD, per path and authoritative server, and per path,
 * of the wrong share against its own baseline, with a stated false-alarm
 * rate. A wrong answer is one the classifier judged injected, poisoned or
 * inconsistent: it differs from what the control (the lab's answer key)
 * says; a timeout or a server failure is not one (loss is not forgery).
 */
#ifndef DW_WATCH_DETECT_H
#define DW_WATCH_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"
#include "util/error.h"

#define WATCH_PATHS_MAX 16
#define WATCH_TLDS_MAX 32       /* TLDs tracked by name; more are counted as "other" */
#define WATCH_ADDRS_MAX 16      /* forged addresses kept per incident */
#define WATCH_OBS_ADDRS 4       /* wrong answer addresses kept per observation */
#define WATCH_GROUPS_MAX 8      /* injector groups kept per incident */
#define WATCH_SERVERS_MAX 32    /* authoritative servers tested apart per path; more are not */
#define WATCH_OBS_GROUPS PROBE_REPLIES_MAX /* forged replies' groups per observation */

/* What kind of path: decides what its wrong answers are evidence of. */
enum watch_path_kind {
	WATCH_PATH_RESOLVER = 0, /* through a recursive resolver */
	WATCH_PATH_NODNS,        /* to an address that runs no DNS: any reply is injected */
	WATCH_PATH_WALK          /* the authoritative servers asked directly, from the root */
};

struct watch_path {
	char label[48];          /* "client/isp" */
	char vantage[16];        /* "client" */
	char target[32];         /* "isp" */
	enum watch_path_kind kind;
	bool outside;            /* the vantage is outside the border (the control side) */
	uint8_t addr[4];         /* the resolver's, no-DNS address's or root's address */
};

/* One judged query. */
struct watch_obs {
	int64_t time_us;         /* when the wrong reply came; for others when it was asked */
	unsigned path;
	const char *tld;         /* its TLD without dots ("com"), lower case */
	uint64_t name, zone, server; /* hashes of the name, its zone, its authoritative server */
	enum probe_verdict verdict;
	bool replied;            /* any reply at all (a no-DNS address: only injected ones) */
	uint8_t naddrs;          /* the wrong reply's addresses (wrong verdicts only) */
	uint8_t addrs[WATCH_OBS_ADDRS][4]; /* IPv4 only; IPv6 forgeries are counted, not kept */
	int32_t group;           /* injector group of the forged reply, -1 */
	uint8_t ngroups;         /* the groups of every forged reply of the query (a query
				  * can draw replies from several injectors), one per
				  * reply, repeats kept; 0: only GROUP counts */
	int32_t groups[WATCH_OBS_GROUPS];
};

/* Thresholds; watch_tuning_default() gives what docs/watch.md states. */
struct watch_tuning {
	int64_t window_us;       /* detection window: 3 s */
	unsigned min_names;      /* signature: one address answering this many names, 8 */
	unsigned min_zones;      /* in this many zones, 5 */
	unsigned min_servers;    /* served by this many authoritative servers, 2 */
	unsigned nodns_names;    /* this many replies from no-DNS addresses (distinct names
				  * per path) within nodns_window_us raise at once, 3 */
	int64_t nodns_window_us; /* 10 s */
	/* The sequential test (docs/watch.md, "The sequential test"): its
	 * threshold is ln(updates_per_day / far_per_day), so that the expected
	 * false alarms of all series together stay below far_per_day while the
	 * series see at most updates_per_day test updates in all. */
	double far_per_day;      /* 0.01: one false alarm in 100 days */
	double updates_per_day;  /* 1e8: 6 updates per judged answer, 190 judged/s */
	double p0_floor;         /* the baseline share is never taken below 0.002 */
	double big_p1;           /* the large shift tested for: a wrong share of 0.5 */
	double small_step;       /* the small shift: max(p0 + 0.04, 3 p0) */
	unsigned big_min_base;   /* baseline answers a series needs before its large-shift
				  * test runs, 20 */
	unsigned small_min_base; /* ... before its small-shift test runs, 200 */
	int64_t baseline_us;     /* the baseline's time constant (exponential decay): 600 s */
	int64_t quiet_us;        /* injection over after no active forgery for 4 s */
	int64_t clean_us;        /* a path clean after no wrong answer for 10 s */
	unsigned clean_min;      /* with at least this many judged in that time, 5 */
	int64_t down_us;         /* a path with no reply at all for 3 s is down */
	int64_t bucket_us;       /* time series bucket: 1 s */
};
void watch_tuning_default(struct watch_tuning *t);

enum watch_cause {
	WATCH_CAUSE_UNKNOWN = 0,
	WATCH_CAUSE_ON_PATH,     /* injection on the path */
	WATCH_CAUSE_RESOLVER,    /* a lying or poisoned resolver */
	WATCH_CAUSE_DATA         /* changed authoritative data (root, TLD or zone server) */
};
const char *watch_cause_name(enum watch_cause c); /* "on-path", "resolver", "data", "unknown" */

struct watch_count { uint64_t judged, wrong; };

struct watch_incident {
	int id;                  /* 1, 2, ... */
	int64_t started_us;      /* first wrong answer of the signature */
	int64_t raised_us;       /* when the signature was recognised */
	int64_t injection_end_us;/* last active forgery (injected reply, or wrong data from
				  * the authoritatives); 0 while it goes on */
	int64_t ended_us;        /* last wrong answer of all; 0 while it goes on */
	bool injection_over, over;
	char trigger[160];       /* what raised it, in words */

	size_t ntlds;
	char tld[WATCH_TLDS_MAX][16];
	struct watch_count tld_count[WATCH_TLDS_MAX];  /* on the affected paths, from its start
							 * to the end of the injection */
	struct watch_count path_count[WATCH_PATHS_MAX];
	uint64_t path_injected[WATCH_PATHS_MAX];       /* of those wrong: verdict injected */
	int64_t path_last_wrong_us[WATCH_PATHS_MAX];   /* 0: never wrong */
	int64_t path_clean_us[WATCH_PATHS_MAX];        /* when judged clean again; 0: not (yet) */

	size_t naddrs;
	uint8_t addr[WATCH_ADDRS_MAX][4];
	uint64_t addr_count[WATCH_ADDRS_MAX];
	uint64_t wrong_total;    /* wrong answers seen in the incident (forged answers handed out
				  * to the watch itself) */
	double peak_share;       /* highest wrong share of the affected paths in one bucket */

	size_t ngroups;          /* distinct injector groups among all its forged replies */
	int32_t group[WATCH_GROUPS_MAX];
	uint64_t group_count[WATCH_GROUPS_MAX]; /* forged replies of each */

	int hop;                 /* the injector's hop from locate, 0 unknown */
	char hop_note[128];      /* locate's conclusion in words */
	char hop_router[46];     /* the router that answered at the hop, "" none */

	enum watch_cause cause;
	char cause_for[512], cause_against[512];
};

/* What happened at a tick; the caller alerts, stores and prints. */
enum watch_event_kind {
	WATCH_EV_RAISED = 1,     /* a new incident */
	WATCH_EV_INJECTION_OVER, /* no active forgery for quiet_us */
	WATCH_EV_INJECTION_AGAIN,/* active forgery after it seemed over */
	WATCH_EV_PATH_CLEAN,     /* path .path serves no forgery any more (end of its cache tail) */
	WATCH_EV_ENDED,          /* every path clean: the incident is over */
	WATCH_EV_PATH_DOWN,      /* path .path gets no replies at all */
	WATCH_EV_PATH_UP         /* path .path answers again */
};

struct watch_event {
	enum watch_event_kind kind;
	int64_t time_us;
	unsigned path;           /* PATH_* events */
	const struct watch_incident *inc; /* incident events; owned by the detector */
};

/* One bucket of the time series of one path (emitted when the bucket closes). */
struct watch_bucket {
	int64_t start_us;
	unsigned path;
	struct watch_count all;
	uint64_t injected, timeouts, replied;
	size_t ntlds;
	const char *tld[WATCH_TLDS_MAX];
	struct watch_count tld_count[WATCH_TLDS_MAX];
	size_t naddrs;           /* wrong answer addresses in it, most frequent first */
	uint8_t addr[WATCH_ADDRS_MAX][4];
	uint64_t addr_count[WATCH_ADDRS_MAX];
};

struct watch_detect;

/* The sequential test's threshold for tuning T: ln(updates_per_day / far_per_day). */
double watch_cusum_threshold(const struct watch_tuning *t);
/*
 * The expected number of a series' answers the large-shift test needs to
 * raise when a share SHARE of them is wrong, over a baseline share P0
 * (Wald's approximation: the threshold over the mean step); infinity if it
 * would not raise (the mean step is not positive). Multiply by the
 * seconds between two answers of the series for the delay (docs/watch.md).
 */
double watch_cusum_expected_obs(const struct watch_tuning *t, double p0, double share);

/* A detector over PATHS (copied). T NULL: the defaults. NULL if out of memory. */
DW_MUST_CHECK struct watch_detect *watch_detect_new(const struct watch_path *paths, size_t npaths,
						    const struct watch_tuning *t);
void watch_detect_free(struct watch_detect *d);

/* Whether O says something about forgery (judged: an answer, or any query
 * to a no-DNS address), and if so whether it is wrong (*WRONG). */
bool watch_obs_judged(const struct watch_detect *d, const struct watch_obs *o, bool *wrong);

/* Add one observation. Returns -1 if it was dropped (path out of range). */
DW_MUST_CHECK int watch_detect_add(struct watch_detect *d, const struct watch_obs *o);

/*
 * Decide at time NOW: closes time series buckets (each handed to BUCKET_FN),
 * raises, follows and ends incidents and path states (each change handed to
 * EVENT_FN, in time order). Either callback may be NULL.
 */
void watch_detect_tick(struct watch_detect *d, int64_t now_us,
		       void (*bucket_fn)(void *ctx, const struct watch_bucket *b),
		       void (*event_fn)(void *ctx, const struct watch_event *e), void *ctx);

/* Close every time series bucket still open (at the end of a watch),
 * handing each to BUCKET_FN; incidents are left as they stand. */
void watch_detect_flush_series(struct watch_detect *d,
			       void (*bucket_fn)(void *ctx, const struct watch_bucket *b), void *ctx);

/* Locate's finding for the open incident (or the last): HOP (0: none found)
 * and its words. Re-weighs the cause. */
void watch_detect_set_hop(struct watch_detect *d, int hop, const char *note);
/* The router that answered at that hop (text; NULL or "" none), for the record. */
void watch_detect_set_hop_router(struct watch_detect *d, const char *router);

/* The open incident, or NULL. The last incident (open or not), or NULL. */
const struct watch_incident *watch_detect_open(const struct watch_detect *d);
const struct watch_incident *watch_detect_last(const struct watch_detect *d);
size_t watch_detect_count(const struct watch_detect *d);

/*
 * How long watch lets a name's first result wait for the rest of its
 * paths (probe/gather's bound): a name is judged when all are in or when
 * its first result has waited this long, and what comes later is judged
 * alone. Its first result comes a hold window (HOLD_MS) after its answer,
 * and an injector's forgery on another path of the name within about that
 * window too, so the wait is the hold window and half a second more; but
 * never so long that the judged result (observed at its sending time)
 * reaches the detector after it closed the time bucket: that is the
 * detector's lateness allowance, less the hold window and a second's
 * margin (round trip, and the engine's one-second tick). Never negative: a
 * hold window that long leaves no wait at all.
 */
uint64_t watch_gather_wait_us(uint32_t hold_ms);

/* A time of day as watch says times (the summary, every stderr line):
 * "HH:MM:SS.d" in UTC, "-" for 0, into BUF (CAP bytes). */
void watch_time_text(int64_t us, char *buf, size_t cap);

/* The incident in plain words, one paragraph (for the store, the report and
 * the alert). Returns the length. */
size_t watch_incident_summary(const struct watch_detect *d, const struct watch_incident *inc,
			      char *buf, size_t cap);

#endif
