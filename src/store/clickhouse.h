/*
 * The ClickHouse store: the same runs, targets, results, answers, injector
 * groups and incidents as the SQLite store, written over ClickHouse's HTTP
 * interface (libcurl) into a database that many processes and hosts
 * (vantage points) share. Schema and its reasons: docs/store.md,
 * "ClickHouse". Made for Debian's clickhouse-server 18.16 (no DateTime64,
 * no IPv4 type): times are DateTime plus a UInt32 of microseconds,
 * addresses UInt32 (IPv4) and FixedString(16) (IPv6).
 *
 * Writing: results are formatted as RowBinary rows into a batch, posted
 * after opts.batch_rows results or opts.batch_ms milliseconds. Every table
 * is a ReplacingMergeTree keyed by (vantage, run, ...), so a batch posted
 * twice (a retry after a lost reply, a spool drained twice) leaves each row
 * once after merges, and every reader uses FINAL or GROUP BY over the key,
 * so a duplicate is never seen before the merge either.
 *
 * Outage: a batch that cannot be posted (the server unreachable, or
 * answering 5xx) is appended to a spool file (opts.spool_dir) and the
 * outage is written to errlog once; while it lasts every batch goes to the
 * spool, and at most once a second the spool is tried again; when it
 * drains, the end of the outage and the rows drained are written to errlog
 * and into the run's row (outages, outage_ms, spooled_rows). A spool left
 * by a process that died is drained by the next one opening the same
 * database (a lock tells a live process's spool from a dead one's).
 *
 * Errors: every call that fails records one line ("store: URL: WHY while
 * WHAT", ClickHouse's "Code: N" text included) in ch_error(), written to
 * errlog as it happens. Nothing is printed otherwise.
 *
 * One struct ch_store is used by one thread.
 */
#ifndef DW_STORE_CLICKHOUSE_H
#define DW_STORE_CLICKHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/result.h"
#include "store/sqlite.h"
#include "util/error.h"

#define CH_URL_PREFIX "clickhouse://"
#define CH_DEFAULT_PORT 8123

struct ch_opts {
	const char *vantage;    /* this process's vantage point; NULL/"": the host name */
	unsigned batch_rows;    /* post after this many results; 0: 200000 */
	unsigned batch_ms;      /* or this many ms after the batch began; 0: 1000 */
	const char *spool_dir;  /* NULL: $DNSWATCH_SPOOL, else /var/tmp/dnswatch-spool */
	bool readonly;          /* never create or write */
	bool no_schema;         /* connect only: neither create nor look for the
				 * tables (a handle for ch_select/ch_exec) */
	FILE *errlog;           /* where failure and outage lines go; NULL: nowhere */
	bool errlog_notes_only; /* errlog gets the outage lines only (the caller
				 * says failures itself, from ch_error) */
};

struct ch_store;

/* URL is "clickhouse://HOST[:PORT]/DATABASE". */
bool ch_url_is(const char *url);

/*
 * Connect to the server of URL and (unless readonly) create the database
 * and tables that are missing. A database that exists but lacks our tables
 * is given them; a table of ours left as it is (a Distributed table made by
 * hand over a cluster's local tables included: docs/store.md). Read-only,
 * DW_E_EMPTY if the database has no runs table. On success *OUT must be
 * ch_close()'d; on failure *OUT is NULL and ERR (may be NULL) says why.
 */
DW_MUST_CHECK
enum dw_status ch_open(struct ch_store **out, const char *url, const struct ch_opts *opts,
		       struct dw_error *err);
/* Post what is pending (spooling it if the server is away) and free C.
 * Returns DW_OK when nothing was lost: rows left in the spool file are
 * kept there for the next process, and reported (DW_E_IO). NULL: no-op. */
DW_MUST_CHECK
enum dw_status ch_close(struct ch_store *c);
const struct dw_error *ch_error(const struct ch_store *c);

/* --- writing (the SQLite store's calls, store/sqlite.h) --- */
DW_MUST_CHECK
enum dw_status ch_run_begin(struct ch_store *c, const char *cmdline, const char *options,
			   const struct probe_target *targets, size_t ntargets,
			   const uint16_t *qtypes, size_t nqtypes, int64_t *run);
DW_MUST_CHECK
enum dw_status ch_run_finish(struct ch_store *c, bool failed);
DW_MUST_CHECK
enum dw_status ch_put(struct ch_store *c, const struct probe_result *r);
DW_MUST_CHECK
enum dw_status ch_group_put(struct ch_store *c, int32_t id, const char *fingerprint,
			   uint64_t count, const struct probe_addr *addrs, size_t naddrs);
DW_MUST_CHECK
enum dw_status ch_incident_put(struct ch_store *c, struct store_incident *inc);
DW_MUST_CHECK
enum dw_status ch_flush(struct ch_store *c);
DW_MUST_CHECK
enum dw_status ch_tick(struct ch_store *c);
/*
 * Continue run RUN of this vantage point, or (RUN 0) its last run still
 * "running": its targets, query types and start are read back, and FN is
 * called once for every (seq, target, qtype) the queries table holds for it
 * (GROUP BY: a row posted twice is told once). Exact because a query row is
 * posted only after its answers, and spools of gone writers were drained
 * at open (refused, DW_E_STATE, if one could not be). Answers left without
 * their query (a writer killed between the two posts) are deleted (an
 * ALTER ... DELETE). The run's stored results count as posted
 * (ch_get_stats). DW_E_NORUN: no such run, or it is finished.
 */
DW_MUST_CHECK
enum dw_status ch_run_resume(struct ch_store *c, int64_t run,
			     int (*fn)(void *ctx, uint64_t seq, uint16_t target, uint16_t qtype),
			     void *ctx, int64_t *run_out);
int64_t ch_run_id(const struct ch_store *c);
const struct probe_target *ch_run_targets(const struct ch_store *c, size_t *n);
const uint16_t *ch_run_qtypes(const struct ch_store *c, size_t *n);
void ch_get_stats(const struct ch_store *c, struct store_stats *st);

struct ch_outage_stats {
	uint32_t outages;       /* times the server went away */
	uint64_t outage_ms;     /* time spent away, over all outages */
	uint64_t spooled_rows;  /* result rows that went through the spool */
	uint64_t spool_pending; /* bytes in the spool now */
	bool down;              /* in an outage now */
};
void ch_get_outage(const struct ch_store *c, struct ch_outage_stats *st);

/* --- reading (the report's queries) --- */

/* The database's name, for qualifying tables ("db"); owned by C. */
const char *ch_database(const struct ch_store *c);
/*
 * Run SQL (a SELECT, FORMAT TabSeparated appended) and hand its rows to FN,
 * one row at a time as NCOLS unescaped NUL-terminated fields (a row with
 * another number of fields is an error). FN returning non-zero stops.
 */
DW_MUST_CHECK
enum dw_status ch_select(struct ch_store *c, const char *sql,
			 int (*fn)(void *ctx, char **fields, size_t nfields), void *ctx);
/* The parsing under ch_select, for the fuzzer: TEXT (NUL-terminated,
 * changed in place) as TabSeparated rows, each handed to FN as its fields
 * unescaped (at most CH_TSV_FIELDS_MAX; more are left in the last). FN
 * returning non-zero stops. Returns the rows handed out. */
#define CH_TSV_FIELDS_MAX 64
size_t ch_tsv_rows(char *text, int (*fn)(void *ctx, char **fields, size_t nfields), void *ctx);

/* The format of a batch's rows: the prober's results (the queries and
 * answers tables) go as RowBinary, cheaper to write and for the server to
 * read than text; every other table as TabSeparated. */
enum ch_format { CH_TSV, CH_ROWBINARY };

/* A spool record: "dnswatch-spool 2 TABLE FORMAT ROWS LEN\n" (FORMAT
 * TabSeparated or RowBinary; a version 1 head, "dnswatch-spool 1 TABLE ROWS
 * LEN", is TabSeparated) then LEN bytes of rows for TABLE (one of ours). */
struct ch_spool_rec {
	char table[32];
	enum ch_format format;
	uint64_t rows;                    /* result rows in it (queries) */
	size_t body_off, body_len, next;  /* its rows; the next record */
};
/* The record at OFF of BUF[0..SIZE) (need not be NUL-terminated): 0, or -1
 * if the bytes there are not one whole record. */
int ch_spool_record(const char *buf, size_t size, size_t off, struct ch_spool_rec *rec);

/* --- other modules' tables (census, guard): the same sender, spool and keys --- */

/* A growable buffer of TabSeparated rows; oom is sticky. {0} is empty. */
struct ch_buf {
	char *p;
	size_t n, cap;
	bool oom;
};
/* A String field, escaped as TabSeparated wants (no separator added). */
void ch_buf_str(struct ch_buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void ch_buf_printf(struct ch_buf *b, const char *fmt, ...);
void ch_buf_free(struct ch_buf *b);
/* SQL text for a string literal: quoted, ' and \ escaped (into OUT, cut
 * to CAP). */
void ch_sql_str(char *out, size_t cap, const char *s);
/* CREATE TABLE IF NOT EXISTS DB.NAME (COLUMNS) ENGINE = ENGINE. */
DW_MUST_CHECK
enum dw_status ch_table_ensure(struct ch_store *c, const char *name, const char *columns,
			       const char *engine);
/* Hand B's rows for TABLE (one of the spool's known tables) to the sender
 * thread, in order with every other batch: posted, or spooled in an
 * outage. B is left empty. */
DW_MUST_CHECK
enum dw_status ch_insert_rows(struct ch_store *c, const char *table, struct ch_buf *b);
/* Delete the rows of TABLE matching WHERE (SQL), if there are any: an
 * ALTER TABLE ... DELETE, waited for (at most 60 s) until the server has
 * applied it, so that rows written after it are untouched and rows read
 * after it are without them. *DELETED (may be NULL): the rows there were. */
DW_MUST_CHECK
enum dw_status ch_delete_where(struct ch_store *c, const char *table, const char *where, long *deleted);
/* The vantage point rows are tagged with. */
const char *ch_vantage(const struct ch_store *c);
/* Spools of gone writers that could not be drained at open (the server
 * went away meanwhile): a resume would not see their rows. */
unsigned ch_orphans_left(const struct ch_store *c);
/* The DateTime text of US (seconds since the epoch, zero-padded). */
#define CH_DT_FMT "%010llu"

/* Run one statement that returns nothing (DDL, INSERT ... SELECT). */
DW_MUST_CHECK
enum dw_status ch_exec(struct ch_store *c, const char *sql);

#endif
