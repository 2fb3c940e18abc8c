/*
 * The SQLite store: runs, their targets, every query with its replies and
 * answer addresses, verdicts and injector groups, in one file with a
 * versioned schema (docs/store.md, "SQLite schema, version 1").
 *
 * Writing: store_put() inserts a result into the open batch transaction;
 * the batch is committed after opts.batch_results results or opts.batch_ms
 * milliseconds (checked on every put and on store_tick()). Nothing of a
 * batch is visible to readers, or survives a crash, before its commit. A
 * failed commit (full disk, I/O error) is reported as one line naming the
 * path and what was being written (kept as the dw_error store_error
 * returns, and written to errlog if the caller gave one), rolls back that
 * batch only, and leaves every earlier batch in place; the database stays
 * consistent.
 *
 * Errors: every call that fails records its status and one line in the
 * store's error record (store_error), whatever the failure: the file's,
 * memory, or a refusal of the call itself. The store prints nothing of its
 * own: a caller that wants the lines as they happen gives opts.errlog.
 *
 * Resume: each commit also records the run's high-water mark (every seq below
 * it is stored for every target) in the same transaction, so after a crash
 * store_run_resume() needs only the rows above that mark to know exactly which
 * (seq, target, qtype) results are stored. store_done_below()/store_done_has()
 * tell the engine what to skip; store_put() refuses a stored result
 * (DW_E_DUP), and a UNIQUE (run, seq, target, qtype) constraint backs that
 * up in the file itself.
 *
 * Reading: store_iter_* walks a run's results in (seq, target) order with
 * optional verdict and target filters, refilling struct probe_result;
 * store_verdict_counts() and store_groups() summarise. Readers may run in
 * another process while a writer writes (WAL mode).
 *
 * One struct store_db is used by one thread.
 */
#ifndef DW_STORE_SQLITE_H
#define DW_STORE_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/result.h"
#include "util/error.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_APPLICATION_ID 0x64774442 /* "dwDB", PRAGMA application_id */


struct store_opts {
	unsigned batch_results; /* commit after this many results; 0: 1000 */
	unsigned batch_ms;      /* or this many ms after the batch began; 0: 200 */
	bool keep_raw;          /* store each reply's raw bytes (BLOB) */
	bool readonly;          /* open only; never create or write */
	FILE *errlog;           /* where one-line errors go as they happen (not the
				 * refusals: DW_E_DUP, DW_E_INVALID, DW_E_STATE,
				 * DW_E_NORUN); NULL: nowhere */
	bool quiet;             /* write no error lines even with an errlog */
	bool append_only;       /* keep no done set: results are only appended, never
				 * resumed (watch: a run without end, whose names repeat
				 * under new seqs); the UNIQUE constraint still refuses a
				 * duplicate, failing its batch */
	/* A PATH of clickhouse://HOST[:PORT]/DATABASE opens the ClickHouse store
	 * instead (store/clickhouse.h): the writing calls and resume go there
	 * (a resumed run's done set is read back from ClickHouse and kept
	 * here); the reading calls are refused (report/data.h reads it). */
	const char *vantage;    /* ClickHouse: the vantage point each run is
				 * tagged with; NULL: the host name */
	const char *spool_dir;  /* ClickHouse: where batches wait during an
				 * outage; NULL: $DNSWATCH_SPOOL or /var/tmp/dnswatch-spool */
};

struct store_db;

/*
 * Open the database at PATH, creating it with schema version 1 if the file
 * is new or empty. Refuses (DW_E_VERSION) a file whose user_version is
 * newer, (DW_E_FOREIGN) a non-empty database that is not a dnswatch store,
 * and, read-only, (DW_E_EMPTY) a file with nothing in it. OPTS may be NULL
 * for defaults. On success *OUT must be store_close()'d by the caller; on
 * failure *OUT is NULL, the error line has been written to errlog (if any)
 * and ERR (may be NULL) holds it with its status.
 */
DW_MUST_CHECK
enum dw_status store_open(struct store_db **out, const char *path,
			  const struct store_opts *opts, struct dw_error *err);

/* The ClickHouse store DB was opened on (a clickhouse:// path), or NULL. */
struct ch_store;
struct ch_store *store_clickhouse(const struct store_db *db);

/* Commit what is pending and close. Returns the commit's status; DB is freed
 * in every case, so the reason for a failure is only in errlog: a caller
 * that wants it in hand calls store_flush (and store_error) first. NULL is
 * a no-op. */
DW_MUST_CHECK
enum dw_status store_close(struct store_db *db);

/* The last failure of a call on DB, with its status: every failing call
 * records one, "store: PATH: WHY while WHAT" (the line errlog got, if it
 * is not a refusal); DW_OK and "" if none yet. Owned by DB. */
const struct dw_error *store_error(const struct store_db *db);

/* --- runs ----------------------------------------------------------------- */

#define STORE_QTYPES_MAX 16

/*
 * Begin a new run, recording CMDLINE and OPTIONS (free text, e.g. JSON; may
 * be NULL), the run's targets (copied) and the query types each (name,
 * target) is probed with: QTYPES[0..NQTYPES), or NULL/0 for "one query per
 * (name, target), of whatever type". A result is identified by (seq, target,
 * qtype). Sets *RUN to its id. Committed at once, so the run exists even if
 * nothing else is.
 */
DW_MUST_CHECK
enum dw_status store_run_begin(struct store_db *db, const char *cmdline,
				  const char *options, const struct probe_target *targets,
				  size_t ntargets, const uint16_t *qtypes, size_t nqtypes,
				  int64_t *run);

/*
 * Continue run RUN, or the last unfinished run if RUN is 0: loads its targets
 * and which (seq, target) pairs are stored. Sets *RUN_OUT (may be NULL).
 * DW_E_NORUN if there is no such run, or it is finished.
 */
DW_MUST_CHECK
enum dw_status store_run_resume(struct store_db *db, int64_t run, int64_t *run_out);

/* Commit what is pending and mark the current run finished (or "failed" if
 * FAILED). After this, puts need a new store_run_begin/resume. */
DW_MUST_CHECK
enum dw_status store_run_finish(struct store_db *db, bool failed);

/* The current run's id (0 if none), its targets and query types (owned by
 * DB; *N is 0 for "any type"). */
int64_t store_run_id(const struct store_db *db);
const struct probe_target *store_run_targets(const struct store_db *db, size_t *n);
const uint16_t *store_run_qtypes(const struct store_db *db, size_t *n);

/* Every seq below this is stored for every target and query type of the
 * current run: the engine skips these names outright. */
uint64_t store_done_below(const struct store_db *db);
/* (SEQ, TARGET) is stored for every query type of the run (committed or in
 * the open batch): the engine's skip hook. */
bool store_done_has(const struct store_db *db, uint64_t seq, uint16_t target);
/* (SEQ, TARGET, QTYPE) is stored (committed or in the open batch). */
bool store_done_has_qtype(const struct store_db *db, uint64_t seq, uint16_t target,
			  uint16_t qtype);
/* Results stored (committed) in the current run. */
uint64_t store_done_count(const struct store_db *db);

/* --- writing ------------------------------------------------------------- */

/*
 * Add R to the current batch (and commit the batch if it is full or old).
 * DW_E_DUP if (R->seq, R->target, R->qtype) is already stored (nothing
 * written; a resumed engine that repeats a whole (seq, target) gets this for
 * the query types stored before the crash, and may ignore it);
 * DW_E_INVALID if R->target or R->qtype is not one of the run's;
 * DW_E_FULL / DW_E_IO / DW_E_DB if the batch commit failed: that
 * batch is rolled back (R included) and reported, the ones before are kept,
 * and those pairs are not marked stored, so a resume will redo them.
 */
DW_MUST_CHECK
enum dw_status store_put(struct store_db *db, const struct probe_result *r);

/*
 * Record (or update) injector group ID of the current run: a fingerprint
 * in text, how many forged replies carried it, and the addresses it forged.
 * Written in the current batch.
 */
DW_MUST_CHECK
enum dw_status store_group_put(struct store_db *db, int32_t id, const char *fingerprint,
				  uint64_t count, const struct probe_addr *addrs,
				  size_t naddrs);

/* Commit the open batch now (no-op if none). */
DW_MUST_CHECK
enum dw_status store_flush(struct store_db *db);
/* Commit the open batch if it is older than batch_ms (for an idle engine). */
DW_MUST_CHECK
enum dw_status store_tick(struct store_db *db);

struct store_stats {
	uint64_t commits;       /* batch transactions committed */
	uint64_t rollbacks;     /* batch transactions rolled back after a failure */
	uint64_t results;       /* results committed */
	uint64_t pending;       /* results in the open batch */
};
void store_get_stats(const struct store_db *db, struct store_stats *st);

/* --- reading --------------------------------------------------------------- */

struct store_run_info {
	int64_t id;
	int64_t started_us, finished_us;  /* finished_us 0 while running */
	char status[16];                   /* "running", "finished", "failed" */
	char qtypes[96];                   /* "1,28"; "" for any */
	char cmdline[512], options[512];   /* cut if longer */
	uint32_t ntargets;
	uint64_t complete_below;
	uint64_t nqueries;                 /* committed query rows */
};
/* RUN 0 means the last run. */
DW_MUST_CHECK
enum dw_status store_run_info(struct store_db *db, int64_t run, struct store_run_info *info);

struct store_filter {
	int64_t run;      /* 0: the last run */
	int verdict;      /* enum probe_verdict, or -1 for any */
	int target;       /* target index, or -1 for any */
};
#define STORE_FILTER_ALL(run_) ((struct store_filter){.run = (run_), .verdict = -1, .target = -1})

struct store_iter;
/* Iterate committed results matching F in (seq, target) order. *IT must be
 * store_iter_close()'d. Do not write through DB while an iterator is open. */
DW_MUST_CHECK
enum dw_status store_iter_open(struct store_db *db, const struct store_filter *f,
				  struct store_iter **it);
/* Fill R with the next result (replies, answers and raw bytes included) and
 * set *GOT; *GOT false at the end. */
DW_MUST_CHECK
enum dw_status store_iter_next(struct store_iter *it, struct probe_result *r, bool *got);
void store_iter_close(struct store_iter *it);

/* COUNTS[t * VERDICT_COUNT + v]: results of run RUN (0: last) for target t
 * (< NTARGETS) with verdict v. COUNTS is zeroed first. */
DW_MUST_CHECK
enum dw_status store_verdict_counts(struct store_db *db, int64_t run, uint64_t *counts,
				       size_t ntargets);

struct store_group {
	int32_t id;
	uint64_t count;
	char fingerprint[256];
	size_t naddrs;
	struct probe_addr addrs[32];  /* first 32 addresses */
};
/* Call FN for each group of run RUN (0: last) in id order; FN returning
 * non-zero stops the walk. */
DW_MUST_CHECK
enum dw_status store_groups(struct store_db *db, int64_t run,
			       int (*fn)(void *ctx, const struct store_group *g), void *ctx);

/* The targets of run RUN (0: last), by index: the first CAP into OUT (may be
 * NULL if CAP is 0); *N is set to how many the run has. */
DW_MUST_CHECK
enum dw_status store_targets(struct store_db *db, int64_t run, struct probe_target *out,
				size_t cap, size_t *n);

/* Call FN with each run's id, in id order; FN returning non-zero stops. */
DW_MUST_CHECK
enum dw_status store_runs(struct store_db *db, int (*fn)(void *ctx, int64_t run), void *ctx);

/* --- incidents: written by watch, read by report ----------------------------
 * An extra table of the same schema version (docs/store.md, "incidents"),
 * created only when first needed, so stores written before it exist read
 * the same. */
struct store_incident {
	int64_t id;                 /* set by store_incident_put when 0 */
	int64_t run;                /* the run (watch session) that saw it; 0: none */
	int64_t started_us;         /* first forged answer */
	int64_t raised_us;          /* when watch recognised it; 0: not recorded */
	int64_t injection_end_us;   /* last injected answer; 0: injection still going */
	int64_t ended_us;           /* last forged answer (end of the cache tail); 0: going */
	double peak_share;          /* highest forged share in one time bucket, 0..1 */
	char scope[256];            /* what was hit, e.g. "com net org via isp public" */
	char addresses[256];        /* forged addresses, space-separated */
	char summary[2048];         /* the incident in plain words */
	char cause[16];             /* "on-path", "resolver", "data", "unknown" */
	char evidence[1024];        /* for and against that cause, in words */
	int hop;                    /* the injector's hop from watch's locate; 0: not located */
	char hop_router[46];        /* the router that answered at that hop; "": none seen */
	char locate[256];           /* locate's conclusion in words (also when not located);
				     * "": locate not run or not finished */
	char groups[256];           /* the injector groups of its forged replies: ids of the
				     * run's groups table, space-separated ("1 2 3") */
};
/* Create the incidents table if it is absent (a writable store). */
DW_MUST_CHECK
enum dw_status store_incidents_ensure(struct store_db *db);
/* Insert INC (id 0: a new id, written back) or replace incident INC->id;
 * creates the table if needed. In the open batch if there is one, else
 * committed at once. */
DW_MUST_CHECK
enum dw_status store_incident_put(struct store_db *db, struct store_incident *inc);
/* Call FN for each incident in start order; *PRESENT says whether the store
 * has the table at all (false: no incident records, FN never called). */
DW_MUST_CHECK
enum dw_status store_incidents(struct store_db *db, bool *present,
				  int (*fn)(void *ctx, const struct store_incident *inc),
				  void *ctx);

#endif
