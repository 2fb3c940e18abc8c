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
 * path and what was being written, rolls back that batch only, and leaves
 * every earlier batch in place; the database stays consistent.
 *
 * Resume: each commit also records the run's high-water mark (every seq below
 * it is stored for every target) in the same transaction, so after a crash
 * store_run_resume() needs only the rows above that mark to know exactly which
 * (seq, target) pairs are stored. store_done_below()/store_done_has() tell the
 * engine what to skip; store_put() refuses a stored pair (STORE_E_DUP), and a
 * UNIQUE (run, seq, target) constraint backs that up in the file itself.
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

#define STORE_SCHEMA_VERSION 1
#define STORE_APPLICATION_ID 0x64774442 /* "dwDB", PRAGMA application_id */

enum store_status {
	STORE_OK = 0,
	STORE_E_OPEN,      /* cannot open or create the file */
	STORE_E_VERSION,   /* schema version newer than this program knows */
	STORE_E_FOREIGN,   /* the file is an SQLite database, but not ours */
	STORE_E_FULL,      /* disk or database full (SQLITE_FULL) */
	STORE_E_IO,        /* I/O error (SQLITE_IOERR and kin) */
	STORE_E_DB,        /* any other SQLite failure */
	STORE_E_NOMEM,
	STORE_E_NORUN,     /* no such run (or no unfinished run to resume) */
	STORE_E_STATE,     /* call out of order (e.g. put with no run begun) */
	STORE_E_DUP,       /* this (seq, target) is already stored */
	STORE_E_ARG,       /* bad argument (target index out of range, ...) */
	STORE_E_COUNT
};

const char *store_strerror(enum store_status s);

struct store_opts {
	unsigned batch_results; /* commit after this many results; 0: 1000 */
	unsigned batch_ms;      /* or this many ms after the batch began; 0: 200 */
	bool keep_raw;          /* store each reply's raw bytes (BLOB) */
	bool readonly;          /* open only; never create or write */
	FILE *errlog;           /* where one-line errors go; NULL: stderr */
	bool quiet;             /* write no error lines (store_errmsg still has them) */
};

struct store_db;

/*
 * Open the database at PATH, creating it with schema version 1 if the file
 * is new or empty. Refuses (STORE_E_VERSION) a file whose user_version is
 * newer, and (STORE_E_FOREIGN) a non-empty database that is not a dnswatch
 * store. OPTS may be NULL for defaults. On success *OUT must be
 * store_close()'d by the caller; on failure *OUT is NULL and the error line
 * has been reported (errlog) and is lost with it: pass an errlog to see it.
 */
__attribute__((warn_unused_result))
enum store_status store_open(struct store_db **out, const char *path,
			     const struct store_opts *opts);

/* Commit what is pending and close. Returns the commit's status; DB is freed
 * in every case. NULL is a no-op. */
enum store_status store_close(struct store_db *db);

/* The last error, one line without newline ("" if none). Owned by DB. */
const char *store_errmsg(const struct store_db *db);

/* --- runs ----------------------------------------------------------------- */

/*
 * Begin a new run, recording CMDLINE and OPTIONS (free text, e.g. JSON; may
 * be NULL) and the run's targets (copied). Sets *RUN to its id. Committed at
 * once, so the run exists even if nothing else is.
 */
__attribute__((warn_unused_result))
enum store_status store_run_begin(struct store_db *db, const char *cmdline,
				  const char *options, const struct probe_target *targets,
				  size_t ntargets, int64_t *run);

/*
 * Continue run RUN, or the last unfinished run if RUN is 0: loads its targets
 * and which (seq, target) pairs are stored. Sets *RUN_OUT (may be NULL).
 * STORE_E_NORUN if there is no such run, or it is finished.
 */
__attribute__((warn_unused_result))
enum store_status store_run_resume(struct store_db *db, int64_t run, int64_t *run_out);

/* Commit what is pending and mark the current run finished (or "failed" if
 * FAILED). After this, puts need a new store_run_begin/resume. */
__attribute__((warn_unused_result))
enum store_status store_run_finish(struct store_db *db, bool failed);

/* The current run's id (0 if none) and its targets (owned by DB). */
int64_t store_run_id(const struct store_db *db);
const struct probe_target *store_run_targets(const struct store_db *db, size_t *n);

/* Every seq below this is stored for every target of the current run. */
uint64_t store_done_below(const struct store_db *db);
/* (SEQ, TARGET) is stored in the current run, or in the open batch. */
bool store_done_has(const struct store_db *db, uint64_t seq, uint16_t target);
/* Pairs stored (committed) in the current run, counted since begin/resume. */
uint64_t store_done_count(const struct store_db *db);

/* --- writing ------------------------------------------------------------- */

/*
 * Add R to the current batch (and commit the batch if it is full or old).
 * STORE_E_DUP if (R->seq, R->target) is already stored (nothing written);
 * STORE_E_FULL / STORE_E_IO / STORE_E_DB if the batch commit failed: that
 * batch is rolled back (R included) and reported, the ones before are kept,
 * and those pairs are not marked stored, so a resume will redo them.
 */
__attribute__((warn_unused_result))
enum store_status store_put(struct store_db *db, const struct probe_result *r);

/*
 * Record (or update) injector group ID of the current run: a fingerprint
 * in text, how many forged replies carried it, and the addresses it forged.
 * Written in the current batch.
 */
__attribute__((warn_unused_result))
enum store_status store_group_put(struct store_db *db, int32_t id, const char *fingerprint,
				  uint64_t count, const struct probe_addr *addrs,
				  size_t naddrs);

/* Commit the open batch now (no-op if none). */
__attribute__((warn_unused_result))
enum store_status store_flush(struct store_db *db);
/* Commit the open batch if it is older than batch_ms (for an idle engine). */
__attribute__((warn_unused_result))
enum store_status store_tick(struct store_db *db);

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
	char cmdline[512], options[512];   /* cut if longer */
	uint32_t ntargets;
	uint64_t complete_below;
	uint64_t nqueries;                 /* committed query rows */
};
/* RUN 0 means the last run. */
__attribute__((warn_unused_result))
enum store_status store_run_info(struct store_db *db, int64_t run, struct store_run_info *info);

struct store_filter {
	int64_t run;      /* 0: the last run */
	int verdict;      /* enum probe_verdict, or -1 for any */
	int target;       /* target index, or -1 for any */
};
#define STORE_FILTER_ALL(run_) ((struct store_filter){.run = (run_), .verdict = -1, .target = -1})

struct store_iter;
/* Iterate committed results matching F in (seq, target) order. *IT must be
 * store_iter_close()'d. Do not write through DB while an iterator is open. */
__attribute__((warn_unused_result))
enum store_status store_iter_open(struct store_db *db, const struct store_filter *f,
				  struct store_iter **it);
/* Fill R with the next result (replies, answers and raw bytes included) and
 * set *GOT; *GOT false at the end. */
__attribute__((warn_unused_result))
enum store_status store_iter_next(struct store_iter *it, struct probe_result *r, bool *got);
void store_iter_close(struct store_iter *it);

/* COUNTS[t * VERDICT_COUNT + v]: results of run RUN (0: last) for target t
 * (< NTARGETS) with verdict v. COUNTS is zeroed first. */
__attribute__((warn_unused_result))
enum store_status store_verdict_counts(struct store_db *db, int64_t run, uint64_t *counts,
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
__attribute__((warn_unused_result))
enum store_status store_groups(struct store_db *db, int64_t run,
			       int (*fn)(void *ctx, const struct store_group *g), void *ctx);

#endif
