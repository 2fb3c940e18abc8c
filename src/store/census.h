/*
 * The census's tables (docs/store.md, "census tables"), in a dnswatch store
 * file beside the prober's (the file is made a store by store_open first,
 * so `dnswatch report` reads it). One row per name probed, every forged
 * reply of a censored name with its injector group, the groups by
 * fingerprint, and what the census found after: inferred rules, over-blocked
 * names, address pools.
 *
 * Writing is batched like the prober's store: rows go into an open
 * transaction committed every CENSUS_STORE_BATCH names or 1 s
 * (census_store_tick) and at the end. A name's row and its replies are in
 * the same transaction, and the UNIQUE (run, seq) key refuses a name
 * stored twice, so a census killed at any point (kill -9 included) keeps
 * whole names only: census_store_done() gives the names stored, which a
 * resumed census skips.
 *
 * A PATH of clickhouse://HOST[:PORT]/DATABASE keeps the same tables in
 * ClickHouse, behind the same calls (store/census_ch.h; docs/store.md);
 * `census diff` then compares two databases of one server.
 *
 * One struct census_store is used by one thread. Failures: -1 with ERR set,
 * "census store: PATH: why while what".
 */
#ifndef DW_STORE_CENSUS_H
#define DW_STORE_CENSUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define CENSUS_STORE_BATCH 50000

struct census_store;

/* Open (creating the store and the census tables when new) or, READONLY,
 * only open. */
DW_MUST_CHECK int census_store_open(struct census_store **out, const char *path, bool readonly,
				    struct dw_error *err);
/* Commit what is pending and close (NULL: nothing). 0 or -1 with ERR. */
DW_MUST_CHECK int census_store_close(struct census_store *s, struct dw_error *err);

/* A new census run (targets and query types as text), or the last one not
 * finished (*RUN 0 if there is none). */
DW_MUST_CHECK int census_store_run_begin(struct census_store *s, const char *cmdline,
					 const char *targets, const char *qtypes, int64_t *run,
					 struct dw_error *err);
DW_MUST_CHECK int census_store_run_unfinished(struct census_store *s, int64_t *run, char *targets,
					      size_t tcap, char *qtypes, size_t qcap,
					      struct dw_error *err);
/* Continue RUN (writes go to it; ClickHouse: its groups read back, replies
 * left without their name deleted). */
DW_MUST_CHECK int census_store_run_use(struct census_store *s, int64_t run, struct dw_error *err);
/* The run finished (its names all stored); STATUS "finished" or "failed". */
DW_MUST_CHECK int census_store_run_finish(struct census_store *s, const char *status,
					  struct dw_error *err);
/* The last finished run (0 if none). */
DW_MUST_CHECK int census_store_run_last(struct census_store *s, int64_t *run, struct dw_error *err);

/* --- names and replies ---------------------------------------------------- */

struct census_store_name {
	uint64_t seq;
	uint32_t line;
	const char *name;        /* text, no trailing dot */
	uint8_t censored;        /* bit i: the run's query type i drew a forged reply */
	unsigned replies;        /* forged replies, all types */
	uint32_t a;              /* the first forged A address (host order), 0: none */
	bool has_aaaa;           /* AAAA holds the first forged AAAA address */
	uint8_t aaaa[16];
	bool nxdomain;           /* a forged NXDOMAIN was seen */
};

struct census_store_reply {
	uint64_t seq;
	uint16_t qtype;
	unsigned idx;            /* the reply's place among the query's replies */
	int group;               /* the store's group id (census_store_group) */
	uint8_t ip_ttl;
	uint16_t ip_id;
	bool df;
	uint16_t flags, rcode;
	uint32_t answer_ttl;
	const char *addrs;       /* the answer addresses, space-separated */
};

DW_MUST_CHECK int census_store_name_put(struct census_store *s, const struct census_store_name *n,
					struct dw_error *err);
DW_MUST_CHECK int census_store_reply_put(struct census_store *s, const struct census_store_reply *r,
					 struct dw_error *err);
/* The store's id of the injector group with FINGERPRINT in the current run
 * (made when new), stable across a resume. */
DW_MUST_CHECK int census_store_group(struct census_store *s, const char *fingerprint, int *id,
				     struct dw_error *err);
/* A group's totals and addresses, at the end of a run. */
DW_MUST_CHECK int census_store_group_totals(struct census_store *s, int id, uint64_t replies,
					    const char *addrs, struct dw_error *err);
/* Commit the batch if it is full or older than 1 s; census_store_flush: now. */
DW_MUST_CHECK int census_store_tick(struct census_store *s, struct dw_error *err);
DW_MUST_CHECK int census_store_flush(struct census_store *s, struct dw_error *err);

/* The names of RUN stored so far, in seq order: FN(ctx, row) (row.name valid
 * during the call). Returns 0, -1 with ERR, or what FN returned when it
 * returned non-zero (which stops the walk). */
DW_MUST_CHECK int census_store_names(struct census_store *s, int64_t run, bool censored_only,
				     int (*fn)(void *ctx, const struct census_store_name *n),
				     void *ctx, struct dw_error *err);

/* --- what the census found ------------------------------------------------ */

struct census_store_rule {
	const char *pattern;
	const char *kind;        /* "exact", "subdomain", "suffix", "substring" */
	bool pass;
	const char *qtypes;      /* "qtype=AAAA" or "" */
	const char *action;      /* as the rule file writes it */
	const char *from;        /* the name it was inferred from */
	unsigned probes, blocked;
	uint64_t names, overblocked;
	const char *evidence;    /* the comment line the rule file has */
};
DW_MUST_CHECK int census_store_rule_put(struct census_store *s, const struct census_store_rule *r,
					struct dw_error *err);
DW_MUST_CHECK int census_store_overblocked_put(struct census_store *s, const char *name,
					       const char *pattern, struct dw_error *err);

struct census_store_pool {
	const char *fingerprint; /* the injector group's */
	const char *name;        /* the name queried again and again */
	unsigned queries, replies, distinct, length;
	bool confirmed;
	const char *order;       /* the addresses in cyclic order, space-separated */
};
DW_MUST_CHECK int census_store_pool_put(struct census_store *s, const struct census_store_pool *p,
					struct dw_error *err);

/* --- day over day ----------------------------------------------------------- */

enum census_change {
	CENSUS_NEWLY_CENSORED,   /* A: the name; B: "" */
	CENSUS_NO_LONGER,        /* A: the name; B: "tested" or "not tested" in NEW */
	CENSUS_RULE_ADDED,       /* A: the pattern; B: its qtypes and pass */
	CENSUS_RULE_REMOVED,
	CENSUS_POOL_CHANGED,     /* A: the fingerprint; B: "OLD_LENGTH NEW_LENGTH same|reordered|new|gone" */
	CENSUS_CHANGE_COUNT
};
const char *census_change_name(enum census_change c);

/*
 * Compare the last finished census of NOW with census OLD_RUN of OLD_PATH
 * (OLD_RUN 0: its last finished one; OLD_PATH may be NOW's own file, for
 * two censuses of one store): FN(ctx, change, a, b) for each difference,
 * in the order of the enum. 0, or -1 with ERR (no finished census on
 * either side, or reading failed).
 */
DW_MUST_CHECK int census_store_diff(struct census_store *now, const char *old_path, int64_t old_run,
				    int (*fn)(void *ctx, enum census_change c, const char *a,
					      const char *b),
				    void *ctx, struct dw_error *err);

/* --- reading for the report ------------------------------------------------ */

struct census_store_summary {
	int64_t run, previous;       /* the last finished census, the one before (0: none) */
	uint64_t names, censored, replies, groups, rules, overblocked, pools;
};
/* The last finished census's counts; run 0 if there is none. */
DW_MUST_CHECK int census_store_summary(struct census_store *s, struct census_store_summary *sum,
				       struct dw_error *err);
/* Rows of RUN as text columns, for a report: WHAT is "rules" (pattern,
 * qtypes, pass, names, overblocked; by names blocked), "overblocked" (name,
 * pattern) or "pools" (fingerprint, length, distinct, queries, confirmed);
 * at most LIMIT rows; FN(ctx, ncols, cols). 0 or -1 with ERR. */
DW_MUST_CHECK int census_store_rows(struct census_store *s, int64_t run, const char *what,
				    unsigned limit,
				    int (*fn)(void *ctx, int ncols, const char *const *cols),
				    void *ctx, struct dw_error *err);

#endif
