/* The SQLite store (see sqlite.h; schema and resume in docs/store.md). */
#include "store/sqlite.h"

#include "store/clickhouse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/packet.h"
#include "util/clock.h"
#include "util/text.h"
#include "wire/name.h"

#define DEFAULT_BATCH_RESULTS 1000
#define DEFAULT_BATCH_MS 200
#define BATCH_RESULTS_MAX 1000000
/* Bits the done set may span above its high-water mark (64 MiB of memory):
 * 10 million names times 50 targets even with a hole at the very start. */
#define DONE_BITS_MAX (1ull << 29)

/* ---- the done set: a high-water mark and a bitmap above it ------------------
 * A slot is one (target, query type) of a name: target * nqtypes + qtype
 * index. Every seq < below is stored for all NT slots. Bit (seq - below) * NT
 * + slot, counted from bit OFF of BITS, says whether that result is stored
 * (or is in the open batch). The window above the mark is what the engine had in
 * flight, so the bitmap stays small; it grows if a hole stays open. */
struct done_set {
	uint64_t below;
	uint32_t nt;
	uint8_t *bits;
	size_t cap;   /* bytes */
	uint64_t off; /* bit of (below, 0) */
};

static void done_free(struct done_set *d)
{
	free(d->bits);
	*d = (struct done_set){0};
}

static bool done_bit(const struct done_set *d, uint64_t seq, uint32_t t, uint64_t *bit)
{
	uint64_t rel = seq - d->below;
	if (rel > DONE_BITS_MAX / d->nt)
		return false;
	*bit = d->off + rel * d->nt + t;
	return true;
}

static bool done_test(const struct done_set *d, uint64_t seq, uint32_t t)
{
	uint64_t bit;
	if (d->nt == 0 || t >= d->nt)
		return false;
	if (seq < d->below)
		return true;
	if (!done_bit(d, seq, t, &bit) || bit / 8 >= d->cap)
		return false;
	return (d->bits[bit / 8] >> (bit % 8)) & 1;
}

/* DW_OK, DW_E_TOO_LARGE when SEQ is further above the mark than the set
 * may span, DW_E_NOMEM. */
static enum dw_status done_mark(struct done_set *d, uint64_t seq, uint32_t t)
{
	uint64_t bit;
	if (seq < d->below)
		return DW_OK;
	if (!done_bit(d, seq, t, &bit))
		return DW_E_TOO_LARGE;
	if (bit / 8 >= d->cap) {
		size_t ncap = d->cap ? d->cap : 64;
		while (ncap <= bit / 8)
			ncap *= 2;
		uint8_t *nb = realloc(d->bits, ncap);
		if (!nb)
			return DW_E_NOMEM;
		memset(nb + d->cap, 0, ncap - d->cap);
		d->bits = nb;
		d->cap = ncap;
	}
	d->bits[bit / 8] |= (uint8_t)(1u << (bit % 8));
	return DW_OK;
}

static void done_clear(struct done_set *d, uint64_t seq, uint32_t t)
{
	uint64_t bit;
	if (seq >= d->below && done_bit(d, seq, t, &bit) && bit / 8 < d->cap)
		d->bits[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

/* How many seqs from the mark up are complete for every target. */
static uint64_t done_scan(const struct done_set *d)
{
	uint64_t k = 0, bit = d->off;
	if (d->nt == 0)
		return 0;
	for (;;) {
		for (uint32_t t = 0; t < d->nt; t++, bit++)
			if (bit / 8 >= d->cap || !((d->bits[bit / 8] >> (bit % 8)) & 1))
				return k;
		k++;
	}
}

static void done_advance(struct done_set *d, uint64_t k)
{
	if (k == 0)
		return;
	d->below += k;
	d->off += k * d->nt;
	if (d->off / 8 > d->cap / 2) {
		size_t shift = (size_t)(d->off / 8);
		memmove(d->bits, d->bits + shift, d->cap - shift);
		memset(d->bits + d->cap - shift, 0, shift);
		d->off -= (uint64_t)shift * 8;
	}
}

/* ---- the handle ------------------------------------------------------------ */

struct pair {
	uint64_t seq;
	uint32_t slot;
};

enum {
	ST_INS_QUERY, ST_INS_REPLY, ST_INS_ANSWER, ST_UPS_GROUP, ST_PROGRESS,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_INS_QUERY] =
		"INSERT INTO queries (run, seq, target, name, qtype, line, qid, sport, attempts,"
		" sent_us, replies_seen, verdict, evidence, forged_reply, grp, control)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_INS_REPLY] =
		"INSERT INTO replies (query, idx, time_us, rtt_us, family, src, sport, ip_ttl,"
		" ip_id, df, parsed, question_match, flags, rcode, ancount, nscount, arcount,"
		" ncnames, answer_ttl, answer_ptr, len, raw)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_INS_ANSWER] =
		"INSERT INTO answers (reply, idx, family, address, ttl) VALUES (?,?,?,?,?)",
	[ST_UPS_GROUP] =
		"INSERT INTO groups (run, id, fingerprint, count, addresses) VALUES (?,?,?,?,?)"
		" ON CONFLICT (run, id) DO UPDATE SET fingerprint = excluded.fingerprint,"
		" count = excluded.count, addresses = excluded.addresses",
	[ST_PROGRESS] = "UPDATE runs SET complete_below = ? WHERE id = ?",
};

struct store_db {
	struct ch_store *ch;  /* a ClickHouse store (path clickhouse://...): every
			       * call goes there (store/clickhouse.h) */
	bool ch_done;         /* ClickHouse, a resumed run: the done set below is
			       * kept (read back from ClickHouse, then each put) */
	uint64_t ch_puts;
	sqlite3 *h;
	char *path;
	struct store_opts opts;
	sqlite3_stmt *st[ST_COUNT];
	struct dw_error err;  /* the last failure reported */

	int64_t run;
	struct probe_target *targets;
	size_t ntargets;
	uint16_t qtypes[STORE_QTYPES_MAX];
	size_t nqtypes;       /* 0: any type, one slot per (seq, target) */
	struct done_set done;
	uint64_t done_count;

	bool in_txn;
	uint64_t batch_t0_ms;
	size_t batch_n;
	struct pair *batch;   /* opts.batch_results entries */
	struct store_stats stats;
};

static const char *rc_name(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return "SQLITE_FULL";
	case SQLITE_IOERR: return "SQLITE_IOERR";
	case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
	case SQLITE_NOTADB: return "SQLITE_NOTADB";
	case SQLITE_BUSY: return "SQLITE_BUSY";
	case SQLITE_LOCKED: return "SQLITE_LOCKED";
	case SQLITE_READONLY: return "SQLITE_READONLY";
	case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
	case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
	case SQLITE_NOMEM: return "SQLITE_NOMEM";
	case SQLITE_PERM: return "SQLITE_PERM";
	default: return "SQLITE_ERROR";
	}
}

static enum dw_status rc_status(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return DW_OK;
	case SQLITE_FULL: return DW_E_FULL;
	case SQLITE_IOERR: return DW_E_IO;
	case SQLITE_NOMEM: return DW_E_NOMEM;
	case SQLITE_NOTADB: return DW_E_FOREIGN;
	case SQLITE_CANTOPEN: case SQLITE_PERM: return DW_E_OPEN;
	default: return DW_E_DB;
	}
}

/* Refusals of what the caller asked, the file being fine: recorded like
 * every failure, but not written to errlog (a resumed engine meets
 * DW_E_DUP in the normal course of things). */
static bool refusal(enum dw_status st)
{
	return st == DW_E_DUP || st == DW_E_INVALID || st == DW_E_STATE || st == DW_E_NORUN;
}

/*
 * The one way a store call fails: record status ST and the line "store:
 * PATH: WHY while WHAT" as the store's current error (store_error), and
 * write the line to errlog unless it is a refusal. Returns ST, for `return
 * report(...)`.
 */
__attribute__((format(printf, 4, 5)))
static enum dw_status report(struct store_db *db, enum dw_status st, const char *why,
			     const char *what, ...)
{
	char w[512];
	va_list ap;
	va_start(ap, what);
	vsnprintf(w, sizeof w, what, ap);
	va_end(ap);
	dw_error_set(&db->err, st, "store: %s: %s while %s", db->path, why, w);
	for (char *p = db->err.text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (db->opts.errlog && !db->opts.quiet && !refusal(st)) {
		fprintf(db->opts.errlog, "%s\n", db->err.text);
		fflush(db->opts.errlog);
	}
	return st;
}

/* Report a failed SQLite call RC; returns its status. */
__attribute__((format(printf, 3, 4)))
static enum dw_status sql_fail(struct store_db *db, int rc, const char *what, ...)
{
	char w[512], why[300];
	va_list ap;
	va_start(ap, what);
	vsnprintf(w, sizeof w, what, ap);
	va_end(ap);
	const char *msg = db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
	snprintf(why, sizeof why, "%s (%s)", msg, rc_name(rc));
	return report(db, rc_status(rc), why, "%s", w);
}

static int exec(struct store_db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

/* One integer from SQL (first column of the first row); RC is the result. */
static int query_int(struct store_db *db, const char *sql, int64_t arg, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*v = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- schema, version 1 (docs/store.md) -------------------------------------- */

static const char schema_v1[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  started_us INTEGER NOT NULL,\n"
	"  finished_us INTEGER,\n"
	"  cmdline TEXT NOT NULL DEFAULT '',\n"
	"  options TEXT NOT NULL DEFAULT '',\n"
	"  status TEXT NOT NULL DEFAULT 'running'\n"
	"    CHECK (status IN ('running', 'finished', 'failed')),\n"
	"  ntargets INTEGER NOT NULL,\n"
	"  qtypes TEXT NOT NULL DEFAULT '',\n"
	"  complete_below INTEGER NOT NULL DEFAULT 0\n"
	");\n"
	"CREATE TABLE targets (\n"
	"  run INTEGER NOT NULL REFERENCES runs (id),\n"
	"  idx INTEGER NOT NULL,\n"
	"  label TEXT NOT NULL,\n"
	"  kind TEXT NOT NULL,\n"
	"  family INTEGER NOT NULL,\n"
	"  address TEXT NOT NULL,\n"
	"  port INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run, idx)\n"
	");\n"
	"CREATE TABLE queries (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run INTEGER NOT NULL REFERENCES runs (id),\n"
	"  seq INTEGER NOT NULL,\n"
	"  target INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  qtype INTEGER NOT NULL,\n"
	"  line INTEGER NOT NULL,\n"
	"  qid INTEGER NOT NULL,\n"
	"  sport INTEGER NOT NULL,\n"
	"  attempts INTEGER NOT NULL,\n"
	"  sent_us INTEGER NOT NULL,\n"
	"  replies_seen INTEGER NOT NULL,\n"
	"  verdict TEXT NOT NULL,\n"
	"  evidence TEXT NOT NULL,\n"
	"  forged_reply INTEGER,\n"
	"  grp INTEGER,\n"
	"  control TEXT NOT NULL DEFAULT '',\n"
	"  UNIQUE (run, seq, target, qtype)\n"
	");\n"
	"CREATE TABLE replies (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  query INTEGER NOT NULL REFERENCES queries (id),\n"
	"  idx INTEGER NOT NULL,\n"
	"  time_us INTEGER NOT NULL,\n"
	"  rtt_us INTEGER NOT NULL,\n"
	"  family INTEGER NOT NULL,\n"
	"  src TEXT NOT NULL,\n"
	"  sport INTEGER NOT NULL,\n"
	"  ip_ttl INTEGER,\n"
	"  ip_id INTEGER,\n"
	"  df INTEGER,\n"
	"  parsed INTEGER NOT NULL,\n"
	"  question_match INTEGER NOT NULL,\n"
	"  flags INTEGER NOT NULL,\n"
	"  rcode INTEGER NOT NULL,\n"
	"  ancount INTEGER NOT NULL,\n"
	"  nscount INTEGER NOT NULL,\n"
	"  arcount INTEGER NOT NULL,\n"
	"  ncnames INTEGER NOT NULL,\n"
	"  answer_ttl INTEGER NOT NULL,\n"
	"  answer_ptr INTEGER NOT NULL,\n"
	"  len INTEGER NOT NULL,\n"
	"  raw BLOB,\n"
	"  UNIQUE (query, idx)\n"
	");\n"
	"CREATE TABLE answers (\n"
	"  reply INTEGER NOT NULL REFERENCES replies (id),\n"
	"  idx INTEGER NOT NULL,\n"
	"  family INTEGER NOT NULL,\n"
	"  address TEXT NOT NULL,\n"
	"  ttl INTEGER NOT NULL,\n"
	"  PRIMARY KEY (reply, idx)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE groups (\n"
	"  run INTEGER NOT NULL REFERENCES runs (id),\n"
	"  id INTEGER NOT NULL,\n"
	"  fingerprint TEXT NOT NULL,\n"
	"  count INTEGER NOT NULL,\n"
	"  addresses TEXT NOT NULL,\n"
	"  PRIMARY KEY (run, id)\n"
	");\n"
	"INSERT INTO meta (key, value) VALUES ('application', 'dnswatch'),"
	" ('schema_version', '1');\n";

static enum dw_status create_schema(struct store_db *db)
{
	char sql[sizeof schema_v1 + 256];
	snprintf(sql, sizeof sql,
		 "BEGIN IMMEDIATE;\n%s"
		 "INSERT INTO meta (key, value) VALUES ('created_us', '%" PRId64 "');\n"
		 "PRAGMA application_id = %d;\n"
		 "PRAGMA user_version = %d;\n"
		 "COMMIT;",
		 schema_v1, (int64_t)util_real_us(), STORE_APPLICATION_ID, STORE_SCHEMA_VERSION);
	int rc = exec(db, sql);
	if (rc != SQLITE_OK) {
		enum dw_status st = sql_fail(db, rc, "creating the schema (version %d)",
						STORE_SCHEMA_VERSION);
		if (!sqlite3_get_autocommit(db->h))
			exec(db, "ROLLBACK");
		return st;
	}
	return DW_OK;
}

static enum dw_status check_schema(struct store_db *db, bool *empty)
{
	int64_t ver, app, n;
	int rc = query_int(db, "PRAGMA user_version", 0, &ver);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA application_id", 0, &app);
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_master", 0, &n);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading the schema version");
	*empty = false;
	if (ver > STORE_SCHEMA_VERSION) {
		char why[128];
		snprintf(why, sizeof why,
			 "schema version %" PRId64 " is newer than this dnswatch understands (%d)",
			 ver, STORE_SCHEMA_VERSION);
		return report(db, DW_E_VERSION, why, "opening the store (upgrade dnswatch to read it)");
	}
	if (ver == 0 && n == 0) {
		*empty = true;
		return DW_OK;
	}
	if (ver < 1 || app != STORE_APPLICATION_ID) {
		char why[160];
		snprintf(why, sizeof why,
			 "not a dnswatch store (application_id %#" PRIx64 ", user_version %" PRId64 ")",
			 (uint64_t)app, ver);
		return report(db, DW_E_FOREIGN, why, "opening the store");
	}
	return DW_OK;
}

/* ---- ClickHouse: the same calls, another store (store/clickhouse.h) ---- */

static enum dw_status open_clickhouse(struct store_db **out, const char *path,
				     const struct store_opts *opts, struct dw_error *err)
{
	struct store_db *db = calloc(1, sizeof *db);
	if (db)
		db->path = strdup(path);
	if (!db || !db->path) {
		free(db);
		dw_error_set(err, DW_E_NOMEM, "store: %s: out of memory while opening the store", path);
		return DW_E_NOMEM;
	}
	if (opts)
		db->opts = *opts;
	struct ch_opts co = {.vantage = db->opts.vantage, .spool_dir = db->opts.spool_dir,
			     .readonly = db->opts.readonly,
			     .errlog = db->opts.quiet ? NULL : db->opts.errlog};
	enum dw_status st = ch_open(&db->ch, path, &co, err);
	if (st != DW_OK) {
		free(db->path);
		free(db);
		return st;
	}
	*out = db;
	return DW_OK;
}

/* What the ClickHouse store does not do through this API (resume; reading,
 * which report/data.c does with GROUP BY in ClickHouse). */
__attribute__((format(printf, 3, 4)))
static enum dw_status ch_refuse(struct store_db *db, enum dw_status st, const char *what, ...)
{
	char w[256];
	va_list ap;
	va_start(ap, what);
	vsnprintf(w, sizeof w, what, ap);
	va_end(ap);
	return report(db, st, "not with a ClickHouse store", "%s", w);
}

struct ch_store *store_clickhouse(const struct store_db *db)
{
	return db ? db->ch : NULL;
}

/* Whether the queries table has its control column (stores made before it
 * are given it when opened for writing, and read with it empty). */
static bool queries_have_control(struct store_db *db)
{
	int64_t n = 0;
	return query_int(db, "SELECT count(*) FROM pragma_table_info('queries') WHERE name = 'control'",
			 0, &n) == SQLITE_OK && n > 0;
}

enum dw_status store_open(struct store_db **out, const char *path,
			  const struct store_opts *opts, struct dw_error *err)
{
	*out = NULL;
	if (ch_url_is(path))
		return open_clickhouse(out, path, opts, err);
	struct store_db *db = calloc(1, sizeof *db);
	if (!db) {
		dw_error_set(err, DW_E_NOMEM, "store: %s: out of memory while opening the store", path);
		return DW_E_NOMEM;
	}
	if (opts)
		db->opts = *opts;
	if (!db->opts.batch_results)
		db->opts.batch_results = DEFAULT_BATCH_RESULTS;
	if (db->opts.batch_results > BATCH_RESULTS_MAX)
		db->opts.batch_results = BATCH_RESULTS_MAX;
	if (!db->opts.batch_ms)
		db->opts.batch_ms = DEFAULT_BATCH_MS;
	db->path = strdup(path);
	db->batch = calloc(db->opts.batch_results, sizeof *db->batch);
	if (!db->path || !db->batch) {
		free(db->path);
		free(db->batch);
		free(db);
		dw_error_set(err, DW_E_NOMEM, "store: %s: out of memory while opening the store", path);
		return DW_E_NOMEM;
	}
	enum dw_status st = DW_OK;
	int flags = db->opts.readonly ? SQLITE_OPEN_READONLY
				      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		st = sql_fail(db, rc, "opening the store");
		if (st == DW_E_DB)
			st = db->err.status = DW_E_OPEN;
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 0);
	sqlite3_busy_timeout(db->h, 5000);
	bool empty;
	if ((st = check_schema(db, &empty)) != DW_OK)
		goto fail;
	if (!db->opts.readonly) {
		/* WAL: readers (report, a second watch) never block the writer, and a
		 * commit is one append; NORMAL sync keeps every commit across a
		 * killed process (the WAL is in the page cache) and the file
		 * consistent across power loss, losing at most the last commits. */
		rc = exec(db, "PRAGMA journal_mode = WAL");
		if (rc == SQLITE_OK)
			rc = exec(db, "PRAGMA synchronous = NORMAL");
		if (rc != SQLITE_OK) {
			st = sql_fail(db, rc, "setting WAL mode");
			goto fail;
		}
		if (empty && (st = create_schema(db)) != DW_OK)
			goto fail;
		/* The control each verdict was judged by (docs/store.md), added
		 * to stores made before it. */
		if (!queries_have_control(db) &&
		    (rc = exec(db, "ALTER TABLE queries ADD COLUMN control TEXT NOT NULL DEFAULT ''")) != SQLITE_OK) {
			st = sql_fail(db, rc, "adding the queries' control column");
			goto fail;
		}
		for (int i = 0; i < ST_COUNT; i++) {
			rc = sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
						&db->st[i], NULL);
			if (rc != SQLITE_OK) {
				st = sql_fail(db, rc, "preparing statement %d", i);
				goto fail;
			}
		}
	} else if (empty) {
		st = report(db, DW_E_EMPTY, "empty database", "opening the store read-only");
		goto fail;
	}
	*out = db;
	return DW_OK;
fail:
	if (err)
		*err = db->err;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db->path);
	free(db->batch);
	free(db);
	return st;
}

const struct dw_error *store_error(const struct store_db *db)
{
	if (db->ch && db->err.status == DW_OK)
		return ch_error(db->ch);
	return &db->err;
}

static void run_clear(struct store_db *db)
{
	db->run = 0;
	db->ch_done = false;
	free(db->targets);
	db->targets = NULL;
	db->ntargets = 0;
	db->nqtypes = 0;
	done_free(&db->done);
	db->done_count = 0;
}

enum dw_status store_close(struct store_db *db)
{
	if (db && db->ch) {
		enum dw_status cst = ch_close(db->ch);
		run_clear(db); /* a resumed run's targets and done set */
		free(db->path);
		free(db);
		return cst;
	}
	if (!db)
		return DW_OK;
	enum dw_status st = store_flush(db);
	run_clear(db);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db->path);
	free(db->batch);
	free(db);
	return st;
}

/* ---- batches ------------------------------------------------------------------ */

static void batch_range(const struct store_db *db, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (size_t i = 0; i < db->batch_n; i++) {
		if (db->batch[i].seq < *lo)
			*lo = db->batch[i].seq;
		if (db->batch[i].seq > *hi)
			*hi = db->batch[i].seq;
	}
	if (db->batch_n == 0)
		*lo = 0;
}

/* Undo the open batch: in the file (if SQLite has not already) and in the
 * done set, so its pairs count as not stored. */
static void batch_rollback(struct store_db *db)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (db->st[i])
			sqlite3_reset(db->st[i]);
	if (!sqlite3_get_autocommit(db->h))
		exec(db, "ROLLBACK");
	for (size_t i = 0; i < db->batch_n; i++)
		done_clear(&db->done, db->batch[i].seq, db->batch[i].slot);
	if (db->in_txn)
		db->stats.rollbacks++;
	db->batch_n = 0;
	db->in_txn = false;
}

static enum dw_status batch_begin(struct store_db *db)
{
	if (db->in_txn)
		return DW_OK;
	int rc = exec(db, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "beginning a batch (run %" PRId64 ")", db->run);
	db->in_txn = true;
	db->batch_t0_ms = util_mono_ms();
	db->batch_n = 0;
	return DW_OK;
}

/* Fail the open batch: report what was written, roll it back. */
static enum dw_status batch_fail(struct store_db *db, int rc, const char *doing)
{
	uint64_t lo, hi;
	batch_range(db, &lo, &hi);
	enum dw_status st = sql_fail(db, rc,
		"%s (batch of %zu results, run %" PRId64 ", seq %" PRIu64 "..%" PRIu64
		"); this batch is rolled back, earlier batches are kept",
		doing, db->batch_n, db->run, lo, hi);
	batch_rollback(db);
	return st;
}

enum dw_status store_flush(struct store_db *db)
{
	if (db->ch)
		return ch_flush(db->ch);
	if (!db->in_txn)
		return DW_OK;
	/* The high-water mark goes in the same transaction as the rows it covers. */
	uint64_t k = done_scan(&db->done);
	sqlite3_stmt *s = db->st[ST_PROGRESS];
	sqlite3_bind_int64(s, 1, (sqlite3_int64)(db->done.below + k));
	sqlite3_bind_int64(s, 2, db->run);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return batch_fail(db, rc, "recording progress");
	rc = exec(db, "COMMIT");
	if (rc != SQLITE_OK)
		return batch_fail(db, rc, "committing");
	done_advance(&db->done, k);
	db->in_txn = false;
	db->stats.commits++;
	db->stats.results += db->batch_n;
	db->done_count += db->batch_n;
	db->batch_n = 0;
	return DW_OK;
}

enum dw_status store_tick(struct store_db *db)
{
	if (db->ch)
		return ch_tick(db->ch);
	if (db->in_txn && util_mono_ms() - db->batch_t0_ms >= db->opts.batch_ms)
		return store_flush(db);
	return DW_OK;
}

void store_get_stats(const struct store_db *db, struct store_stats *st)
{
	if (db->ch) {
		ch_get_stats(db->ch, st);
		return;
	}
	*st = db->stats;
	st->pending = db->batch_n;
}

/* ---- runs ------------------------------------------------------------------------ */

static int family_num(int family)
{
	return family == AF_INET6 ? 6 : family == AF_INET ? 4 : 0;
}

static int family_af(int64_t num)
{
	return num == 6 ? AF_INET6 : num == 4 ? AF_INET : 0;
}

static void addr_parse(int family, const char *text, uint8_t *addr)
{
	memset(addr, 0, 16);
	if (family && text)
		inet_pton(family, text, addr);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static size_t qslots(const struct store_db *db)
{
	return db->nqtypes ? db->nqtypes : 1;
}

/* The slot of (TARGET, QTYPE) in the current run; false if neither is its. */
static bool slot_of(const struct store_db *db, uint16_t target, uint16_t qtype, uint32_t *slot)
{
	if (target >= db->ntargets)
		return false;
	size_t qi = 0;
	if (db->nqtypes) {
		while (qi < db->nqtypes && db->qtypes[qi] != qtype)
			qi++;
		if (qi == db->nqtypes)
			return false;
	}
	*slot = (uint32_t)(target * qslots(db) + qi);
	return true;
}

/* "1,28" <-> the run's query types. */
static void qtypes_text(const uint16_t *q, size_t n, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		len = text_cat(buf, cap, len, "%s%u", i ? "," : "", q[i]);
}

static bool qtypes_parse(struct store_db *db, const char *text)
{
	db->nqtypes = 0;
	while (*text) {
		char *end;
		unsigned long v = strtoul(text, &end, 10);
		if (end == text || v > UINT16_MAX || db->nqtypes == STORE_QTYPES_MAX)
			return false;
		db->qtypes[db->nqtypes++] = (uint16_t)v;
		text = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return false;
	}
	return true;
}

static enum dw_status done_init(struct store_db *db, uint64_t below)
{
	done_free(&db->done);
	db->done.nt = (uint32_t)(db->ntargets * qslots(db));
	db->done.below = below;
	return DW_OK;
}

/* Mark (SEQ, SLOT) stored in the done set; a failure is reported. */
static enum dw_status mark_stored(struct store_db *db, uint64_t seq, uint32_t slot)
{
	enum dw_status st = done_mark(&db->done, seq, slot);
	if (st == DW_E_TOO_LARGE) {
		char why[96];
		snprintf(why, sizeof why, "too far above the first seq not yet stored (%" PRIu64 ")",
			 db->done.below);
		return report(db, st, why, "marking seq %" PRIu64 " stored", seq);
	}
	if (st != DW_OK)
		return report(db, st, "out of memory", "marking seq %" PRIu64 " stored", seq);
	return DW_OK;
}

/* What store_run_begin refuses: a read-only store, no targets or too many,
 * query types too many or twice. */
static enum dw_status run_begin_check(struct store_db *db, const struct probe_target *targets,
				      size_t ntargets, const uint16_t *qtypes, size_t nqtypes)
{
	const char *what = "beginning a run";
	if (db->opts.readonly)
		return report(db, DW_E_INVALID, "opened read-only", "%s", what);
	if (ntargets == 0 || ntargets > UINT16_MAX + 1u || !targets)
		return report(db, DW_E_INVALID, "no targets, or more than 65536", "%s (%zu targets)",
			      what, ntargets);
	if (nqtypes > STORE_QTYPES_MAX || (nqtypes && !qtypes))
		return report(db, DW_E_INVALID, "no query types, or more than 16",
			      "%s (%zu query types)", what, nqtypes);
	for (size_t i = 0; i < nqtypes; i++)
		for (size_t k = 0; k < i; k++)
			if (qtypes[i] == qtypes[k])
				return report(db, DW_E_INVALID, "a query type given twice",
					      "%s (query type %u)", what, qtypes[i]);
	return DW_OK;
}

enum dw_status store_run_begin(struct store_db *db, const char *cmdline,
				  const char *options, const struct probe_target *targets,
				  size_t ntargets, const uint16_t *qtypes, size_t nqtypes,
				  int64_t *run)
{
	if (db->ch) {
		run_clear(db);
		return ch_run_begin(db->ch, cmdline, options, targets, ntargets, qtypes, nqtypes, run);
	}
	enum dw_status st = run_begin_check(db, targets, ntargets, qtypes, nqtypes);
	if (st == DW_OK)
		st = store_flush(db);
	if (st != DW_OK)
		return st;
	run_clear(db);
	db->targets = malloc(ntargets * sizeof *targets);
	if (!db->targets)
		return report(db, DW_E_NOMEM, "out of memory", "beginning a run (%zu targets)",
			      ntargets);
	memcpy(db->targets, targets, ntargets * sizeof *targets);
	db->ntargets = ntargets;
	if (nqtypes)
		memcpy(db->qtypes, qtypes, nqtypes * sizeof *qtypes);
	db->nqtypes = nqtypes;
	char qt[STORE_QTYPES_MAX * 6 + 1];
	qtypes_text(db->qtypes, db->nqtypes, qt, sizeof qt);

	sqlite3_stmt *s = NULL;
	int rc = exec(db, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		goto fail;
	rc = sqlite3_prepare_v2(db->h,
		"INSERT INTO runs (started_us, cmdline, options, status, ntargets, qtypes,"
		" complete_below) VALUES (?, ?, ?, 'running', ?, ?, 0)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(s, 1, (int64_t)util_real_us());
	sqlite3_bind_text(s, 2, cmdline ? cmdline : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, options ? options : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)ntargets);
	sqlite3_bind_text(s, 5, qt, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s)) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	s = NULL;
	int64_t id = sqlite3_last_insert_rowid(db->h);
	rc = sqlite3_prepare_v2(db->h,
		"INSERT INTO targets (run, idx, label, kind, family, address, port)"
		" VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < ntargets; i++) {
		const struct probe_target *t = &targets[i];
		char a[64];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
		sqlite3_bind_text(s, 3, t->label, (int)strnlen(t->label, sizeof t->label),
				  SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, probe_target_kind_name(t->kind), -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, family_num(t->family));
		sqlite3_bind_text(s, 6, net_packet_addr_text(t->family, t->addr, a, sizeof a), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 7, t->port);
		if ((rc = sqlite3_step(s)) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((rc = exec(db, "COMMIT")) != SQLITE_OK)
		goto fail;
	db->run = id;
	done_init(db, 0);
	if (run)
		*run = id;
	return DW_OK;
fail:
	st = sql_fail(db, rc, "beginning a run (%zu targets)", ntargets);
	sqlite3_finalize(s);
	if (!sqlite3_get_autocommit(db->h))
		exec(db, "ROLLBACK");
	run_clear(db);
	return st;
}

static enum dw_status resolve_run(struct store_db *db, int64_t run, int64_t *id)
{
	if (run > 0) {
		*id = run;
		return DW_OK;
	}
	int rc = query_int(db, "SELECT max(id) FROM runs", 0, id);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "finding the last run");
	return *id ? DW_OK : report(db, DW_E_NORUN, "the store holds no runs", "finding the last run");
}

/* One row of `targets` (idx, label, kind, family, address, port) into T. */
static void target_from_row(sqlite3_stmt *s, struct probe_target *t)
{
	copy_text(t->label, sizeof t->label, col_text(s, 1));
	const char *k = col_text(s, 2);
	t->kind = strcmp(k, "auth") == 0 ? TARGET_AUTH
		  : strcmp(k, "nodns") == 0 ? TARGET_NODNS : TARGET_RESOLVER;
	t->family = family_af(sqlite3_column_int64(s, 3));
	addr_parse(t->family, col_text(s, 4), t->addr);
	t->port = (uint16_t)sqlite3_column_int(s, 5);
}

static enum dw_status load_targets(struct store_db *db, int64_t run, size_t n)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT idx, label, kind, family, address, port FROM targets"
		" WHERE run = ? ORDER BY idx", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading the targets of run %" PRId64, run);
	db->targets = calloc(n ? n : 1, sizeof *db->targets);
	if (!db->targets) {
		sqlite3_finalize(s);
		return report(db, DW_E_NOMEM, "out of memory",
			      "reading the targets of run %" PRId64, run);
	}
	db->ntargets = n;
	sqlite3_bind_int64(s, 1, run);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i < 0 || (size_t)i >= n)
			continue;
		struct probe_target *t = &db->targets[i];
		target_from_row(s, t);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(db, rc, "reading the targets of run %" PRId64, run);
	return DW_OK;
}

/* The run record of ID, which must be running: its number of targets and
 * its mark (*NT, *BELOW), and its query types into DB. */
static enum dw_status resume_read_run(struct store_db *db, int64_t id, int64_t *nt,
				      int64_t *below)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT status, ntargets, complete_below, qtypes FROM runs WHERE id = ?", -1, &s,
		NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return sql_fail(db, rc, "reading run %" PRId64, id);
		return report(db, DW_E_NORUN, "no such run", "resuming run %" PRId64, id);
	}
	bool running = strcmp(col_text(s, 0), "running") == 0;
	*nt = sqlite3_column_int64(s, 1);
	*below = sqlite3_column_int64(s, 2);
	bool qt_ok = qtypes_parse(db, col_text(s, 3));
	sqlite3_finalize(s);
	if (!running) {
		db->nqtypes = 0;
		return report(db, DW_E_NORUN, "run is finished", "resuming run %" PRId64, id);
	}
	if (*nt <= 0 || *nt > UINT16_MAX + 1 || *below < 0 || !qt_ok) {
		db->nqtypes = 0;
		return report(db, DW_E_DB, "run record is damaged", "resuming run %" PRId64, id);
	}
	return DW_OK;
}

/* The done set of run ID (NT targets) from the rows at and above its mark
 * BELOW. Everything below the mark is complete (it was written in the
 * commit that stored the last of those rows); above it, read what is
 * there: the UNIQUE (run, seq, target) index makes this a range scan. */
static enum dw_status resume_load_done(struct store_db *db, int64_t id, int64_t nt,
				       int64_t below)
{
	done_init(db, (uint64_t)below);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT seq, target, qtype FROM queries WHERE run = ? AND seq >= ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading the stored results of run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, below);
	uint64_t above = 0;
	enum dw_status st = DW_OK;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0), t = sqlite3_column_int64(s, 1);
		int64_t qtype = sqlite3_column_int64(s, 2);
		uint32_t slot;
		if (seq < 0 || t < 0 || t >= nt || qtype < 0 || qtype > UINT16_MAX ||
		    !slot_of(db, (uint16_t)t, (uint16_t)qtype, &slot))
			continue;
		if ((st = mark_stored(db, (uint64_t)seq, slot)) != DW_OK)
			break;
		above++;
	}
	sqlite3_finalize(s);
	if (st != DW_OK)
		return st;
	if (rc != SQLITE_DONE)
		return sql_fail(db, rc, "reading the stored results of run %" PRId64, id);
	done_advance(&db->done, done_scan(&db->done));
	db->done_count = (uint64_t)below * db->done.nt + above;
	return DW_OK;
}

/* ClickHouse: the run read back (clickhouse.c), its stored results into
 * the done set, which the calls below then keep as for SQLite. The run's
 * targets and types are taken from the ClickHouse store (read before its
 * rows) the first time they are needed. */
static enum dw_status ch_take_run(struct store_db *db)
{
	if (db->targets)
		return DW_OK;
	size_t n, nq;
	const struct probe_target *t = ch_run_targets(db->ch, &n);
	const uint16_t *qt = ch_run_qtypes(db->ch, &nq);
	db->targets = malloc((n ? n : 1) * sizeof *t);
	if (!db->targets)
		return report(db, DW_E_NOMEM, "out of memory", "resuming a run (%zu targets)", n);
	memcpy(db->targets, t, n * sizeof *t);
	db->ntargets = n;
	memcpy(db->qtypes, qt, nq * sizeof *qt);
	db->nqtypes = nq;
	return done_init(db, 0);
}

static int ch_mark_row(void *ctx, uint64_t seq, uint16_t target, uint16_t qtype)
{
	struct store_db *db = ctx;
	uint32_t slot;
	if (ch_take_run(db) != DW_OK)
		return 1;
	if (!slot_of(db, target, qtype, &slot))
		return 0; /* not of the run: nothing to skip */
	return mark_stored(db, seq, slot) != DW_OK;
}

static enum dw_status resume_clickhouse(struct store_db *db, int64_t run, int64_t *run_out)
{
	if (db->opts.readonly)
		return report(db, DW_E_INVALID, "opened read-only", "resuming");
	run_clear(db);
	int64_t id = 0;
	enum dw_status st = ch_run_resume(db->ch, run, ch_mark_row, db, &id);
	if (st != DW_OK && db->err.status != DW_E_NOMEM)
		db->err = *ch_error(db->ch); /* the line store_error gives */
	if (st == DW_OK)
		st = ch_take_run(db);
	if (st != DW_OK) {
		run_clear(db);
		return st;
	}
	db->run = id;
	done_advance(&db->done, done_scan(&db->done));
	db->ch_done = true;
	db->ch_puts = 0;
	if (run_out)
		*run_out = id;
	return DW_OK;
}

enum dw_status store_run_resume(struct store_db *db, int64_t run, int64_t *run_out)
{
	if (db->ch)
		return resume_clickhouse(db, run, run_out);
	if (db->opts.readonly)
		return report(db, DW_E_INVALID, "opened read-only", "resuming");
	enum dw_status st = store_flush(db);
	if (st != DW_OK)
		return st;
	run_clear(db);
	int64_t id = run;
	if (id <= 0) {
		int rc = query_int(db, "SELECT max(id) FROM runs WHERE status = 'running'", 0, &id);
		if (rc != SQLITE_OK)
			return sql_fail(db, rc, "finding the last unfinished run");
		if (!id)
			return report(db, DW_E_NORUN, "no unfinished run", "resuming");
	}
	int64_t nt = 0, below = 0;
	if ((st = resume_read_run(db, id, &nt, &below)) != DW_OK)
		return st;
	if ((st = load_targets(db, id, (size_t)nt)) != DW_OK) {
		run_clear(db);
		return st;
	}
	db->run = id;
	if ((st = resume_load_done(db, id, nt, below)) != DW_OK) {
		run_clear(db);
		return st;
	}
	if (run_out)
		*run_out = id;
	return DW_OK;
}

enum dw_status store_run_finish(struct store_db *db, bool failed)
{
	if (db->ch) {
		enum dw_status cst = ch_run_finish(db->ch, failed);
		if (cst == DW_OK)
			run_clear(db);
		return cst;
	}
	if (!db->run)
		return report(db, DW_E_STATE, "no run begun or resumed", "finishing the run");
	enum dw_status st = store_flush(db);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"UPDATE runs SET status = ?, finished_us = ? WHERE id = ?", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, failed ? "failed" : "finished", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (int64_t)util_real_us());
		sqlite3_bind_int64(s, 3, db->run);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "marking run %" PRId64 " %s", db->run,
				failed ? "failed" : "finished");
	run_clear(db);
	return DW_OK;
}

int64_t store_run_id(const struct store_db *db)
{
	if (db->ch)
		return ch_run_id(db->ch);
	return db->run;
}

const struct probe_target *store_run_targets(const struct store_db *db, size_t *n)
{
	if (db->ch)
		return ch_run_targets(db->ch, n);
	*n = db->ntargets;
	return db->targets;
}

uint64_t store_done_below(const struct store_db *db)
{
	if (db->ch && !db->ch_done)
		return 0;
	return db->done.below;
}

const uint16_t *store_run_qtypes(const struct store_db *db, size_t *n)
{
	if (db->ch)
		return ch_run_qtypes(db->ch, n);
	*n = db->nqtypes;
	return db->qtypes;
}

bool store_done_has(const struct store_db *db, uint64_t seq, uint16_t target)
{
	if (db->ch && !db->ch_done)
		return false;
	if (!db->run || target >= db->ntargets)
		return false;
	for (size_t qi = 0; qi < qslots(db); qi++)
		if (!done_test(&db->done, seq, (uint32_t)(target * qslots(db) + qi)))
			return false;
	return true;
}

bool store_done_has_qtype(const struct store_db *db, uint64_t seq, uint16_t target,
			  uint16_t qtype)
{
	if (db->ch && !db->ch_done)
		return false;
	uint32_t slot;
	return db->run && slot_of(db, target, qtype, &slot) && done_test(&db->done, seq, slot);
}

uint64_t store_done_count(const struct store_db *db)
{
	if (db->ch) {
		struct store_stats cs;
		ch_get_stats(db->ch, &cs);
		return cs.results;
	}
	return db->done_count;
}

/* ---- writing ------------------------------------------------------------------ */

static int insert_result(struct store_db *db, const struct probe_result *r)
{
	char name[WIRE_NAME_TEXT_MAX], a[64];
	sqlite3_stmt *s = db->st[ST_INS_QUERY];
	if (wire_name_len(r->qname, WIRE_NAME_MAX))
		wire_name_to_text(r->qname, name, sizeof name);
	else
		name[0] = 0;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, db->run);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)r->seq);
	sqlite3_bind_int(s, 3, r->target);
	sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, r->qtype);
	sqlite3_bind_int64(s, 6, r->line);
	sqlite3_bind_int(s, 7, r->id);
	sqlite3_bind_int(s, 8, r->sport);
	sqlite3_bind_int(s, 9, r->attempts);
	sqlite3_bind_int64(s, 10, (sqlite3_int64)r->sent_us);
	sqlite3_bind_int(s, 11, r->replies_seen);
	sqlite3_bind_text(s, 12, probe_verdict_name(r->verdict), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 13, r->evidence, (int)strnlen(r->evidence, sizeof r->evidence),
			  SQLITE_STATIC);
	if (r->forged_reply >= 0)
		sqlite3_bind_int(s, 14, r->forged_reply);
	else
		sqlite3_bind_null(s, 14);
	if (r->group >= 0)
		sqlite3_bind_int(s, 15, r->group);
	else
		sqlite3_bind_null(s, 15);
	sqlite3_bind_text(s, 16, r->control, (int)strnlen(r->control, sizeof r->control),
			  SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return rc;
	int64_t qrow = sqlite3_last_insert_rowid(db->h);

	unsigned nrep = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < nrep; i++) {
		const struct probe_reply *p = &r->reply[i];
		bool v4 = p->family == AF_INET;
		s = db->st[ST_INS_REPLY];
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, qrow);
		sqlite3_bind_int(s, 2, (int)i);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)p->time_us);
		sqlite3_bind_int64(s, 4, p->rtt_us);
		sqlite3_bind_int(s, 5, family_num(p->family));
		sqlite3_bind_text(s, 6, net_packet_addr_text(p->family, p->src, a, sizeof a), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 7, p->sport);
		if (p->ip_known)
			sqlite3_bind_int(s, 8, p->ip_ttl);
		else
			sqlite3_bind_null(s, 8);
		if (p->ip_known && v4) {
			sqlite3_bind_int(s, 9, p->ip_id);
			sqlite3_bind_int(s, 10, p->df);
		} else {
			sqlite3_bind_null(s, 9);
			sqlite3_bind_null(s, 10);
		}
		sqlite3_bind_int(s, 11, p->parsed);
		sqlite3_bind_int(s, 12, p->question_match);
		sqlite3_bind_int(s, 13, p->flags);
		sqlite3_bind_int(s, 14, p->rcode);
		sqlite3_bind_int(s, 15, p->ancount);
		sqlite3_bind_int(s, 16, p->nscount);
		sqlite3_bind_int(s, 17, p->arcount);
		sqlite3_bind_int(s, 18, p->ncnames);
		sqlite3_bind_int64(s, 19, p->answer_ttl);
		sqlite3_bind_int(s, 20, p->answer_ptr);
		sqlite3_bind_int(s, 21, p->len);
		if (db->opts.keep_raw)
			sqlite3_bind_blob(s, 22, p->raw,
					  p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 22);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return rc;
		int64_t rrow = sqlite3_last_insert_rowid(db->h);
		unsigned na = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned k = 0; k < na; k++) {
			const struct probe_addr *ad = &p->addrs[k];
			s = db->st[ST_INS_ANSWER];
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, rrow);
			sqlite3_bind_int(s, 2, (int)k);
			sqlite3_bind_int(s, 3, family_num(ad->family));
			sqlite3_bind_text(s, 4, net_packet_addr_text(ad->family, ad->addr, a, sizeof a),
					  -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 5, ad->ttl);
			rc = sqlite3_step(s);
			sqlite3_reset(s);
			if (rc != SQLITE_DONE)
				return rc;
		}
	}
	return SQLITE_DONE;
}

/* A resumed ClickHouse run: what is stored is refused (DW_E_DUP) as in
 * SQLite; the rest goes to ClickHouse and into the done set. */
static enum dw_status put_clickhouse_resumed(struct store_db *db, const struct probe_result *r)
{
	char what[96];
	snprintf(what, sizeof what, "storing seq %" PRIu64 " target %u qtype %u", r->seq, r->target,
		 r->qtype);
	uint32_t slot;
	if (!slot_of(db, r->target, r->qtype, &slot))
		return report(db, DW_E_INVALID, "not a target and query type of the run", "%s", what);
	if (done_test(&db->done, r->seq, slot))
		return report(db, DW_E_DUP, "already stored", "%s", what);
	enum dw_status st = ch_put(db->ch, r);
	if (st == DW_OK)
		st = mark_stored(db, r->seq, slot);
	if (st == DW_OK && ++db->ch_puts % 1024 == 0)
		done_advance(&db->done, done_scan(&db->done));
	return st;
}

enum dw_status store_put(struct store_db *db, const struct probe_result *r)
{
	if (db->ch && !db->ch_done)
		return ch_put(db->ch, r);
	if (db->ch)
		return put_clickhouse_resumed(db, r);
	char what[96];
	snprintf(what, sizeof what, "storing seq %" PRIu64 " target %u qtype %u", r->seq, r->target,
		 r->qtype);
	if (!db->run || db->opts.readonly)
		return report(db, DW_E_STATE, db->run ? "opened read-only" : "no run begun or resumed",
			      "%s", what);
	uint32_t slot;
	if (!slot_of(db, r->target, r->qtype, &slot))
		return report(db, DW_E_INVALID, "not a target and query type of the run", "%s", what);
	if (!db->opts.append_only && done_test(&db->done, r->seq, slot))
		return report(db, DW_E_DUP, "already stored", "%s", what);
	enum dw_status st = batch_begin(db);
	if (st != DW_OK)
		return st;
	if (!db->opts.append_only && (st = mark_stored(db, r->seq, slot)) != DW_OK)
		return st;
	db->batch[db->batch_n].seq = r->seq;
	db->batch[db->batch_n].slot = slot;
	db->batch_n++;
	int rc = insert_result(db, r);
	if (rc != SQLITE_DONE) {
		snprintf(what, sizeof what, "inserting seq %" PRIu64 " target %u qtype %u", r->seq,
			 r->target, r->qtype);
		return batch_fail(db, rc, what);
	}
	if (db->batch_n >= db->opts.batch_results ||
	    util_mono_ms() - db->batch_t0_ms >= db->opts.batch_ms)
		return store_flush(db);
	return DW_OK;
}

enum dw_status store_group_put(struct store_db *db, int32_t id, const char *fingerprint,
				  uint64_t count, const struct probe_addr *addrs,
				  size_t naddrs)
{
	if (db->ch)
		return ch_group_put(db->ch, id, fingerprint, count, addrs, naddrs);
	if (!db->run || db->opts.readonly)
		return report(db, DW_E_STATE, db->run ? "opened read-only" : "no run begun or resumed",
			      "writing group %d", (int)id);
	if (id < 0)
		return report(db, DW_E_INVALID, "a negative group id", "writing group %d", (int)id);
	enum dw_status st = batch_begin(db);
	if (st != DW_OK)
		return st;
	size_t cap = naddrs * 48 + 1, len = 0;
	char *list = malloc(cap);
	if (!list)
		return report(db, DW_E_NOMEM, "out of memory", "writing group %d (%zu addresses)",
			      (int)id, naddrs);
	list[0] = 0;
	for (size_t i = 0; i < naddrs; i++) {
		char a[64];
		net_packet_addr_text(addrs[i].family, addrs[i].addr, a, sizeof a);
		len = text_cat(list, cap, len, "%s%s", i ? " " : "", a);
	}
	sqlite3_stmt *s = db->st[ST_UPS_GROUP];
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, db->run);
	sqlite3_bind_int(s, 2, id);
	sqlite3_bind_text(s, 3, fingerprint ? fingerprint : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)count);
	sqlite3_bind_text(s, 5, list, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	free(list);
	if (rc != SQLITE_DONE) {
		char what[64];
		snprintf(what, sizeof what, "writing group %d", (int)id);
		return batch_fail(db, rc, what);
	}
	return DW_OK;
}

/* ---- reading --------------------------------------------------------------------- */

enum dw_status store_run_info(struct store_db *db, int64_t run, struct store_run_info *info)
{
	if (db->ch)
		return ch_refuse(db, DW_E_NORUN, "reading run %lld (read ClickHouse with dnswatch report)", (long long)run);
	int64_t id;
	enum dw_status st = resolve_run(db, run, &id);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT id, started_us, finished_us, status, cmdline, options, ntargets,"
		" complete_below, (SELECT count(*) FROM queries WHERE run = runs.id), qtypes"
		" FROM runs WHERE id = ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*info = (struct store_run_info){0};
		info->id = sqlite3_column_int64(s, 0);
		info->started_us = sqlite3_column_int64(s, 1);
		info->finished_us = sqlite3_column_int64(s, 2);
		copy_text(info->status, sizeof info->status, col_text(s, 3));
		copy_text(info->cmdline, sizeof info->cmdline, col_text(s, 4));
		copy_text(info->options, sizeof info->options, col_text(s, 5));
		info->ntargets = (uint32_t)sqlite3_column_int64(s, 6);
		info->complete_below = (uint64_t)sqlite3_column_int64(s, 7);
		info->nqueries = (uint64_t)sqlite3_column_int64(s, 8);
		copy_text(info->qtypes, sizeof info->qtypes, col_text(s, 9));
		sqlite3_finalize(s);
		return DW_OK;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return report(db, DW_E_NORUN, "no such run", "reading run %" PRId64, id);
	return sql_fail(db, rc, "reading run %" PRId64, id);
}

struct store_iter {
	struct store_db *db;
	sqlite3_stmt *q, *rep, *ans;
};

void store_iter_close(struct store_iter *it)
{
	if (!it)
		return;
	sqlite3_finalize(it->q);
	sqlite3_finalize(it->rep);
	sqlite3_finalize(it->ans);
	free(it);
}

enum dw_status store_iter_open(struct store_db *db, const struct store_filter *f,
				  struct store_iter **out)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "reading results (read ClickHouse with dnswatch report)");
	*out = NULL;
	int64_t run;
	enum dw_status st = resolve_run(db, f->run, &run);
	if (st != DW_OK)
		return st;
	struct store_iter *it = calloc(1, sizeof *it);
	if (!it)
		return report(db, DW_E_NOMEM, "out of memory",
			      "reading the results of run %" PRId64, run);
	it->db = db;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT id, seq, line, target, name, qtype, qid, sport, attempts, sent_us,"
		 " replies_seen, verdict, evidence, forged_reply, grp, %s FROM queries"
		 " WHERE run = ?1 AND (?2 IS NULL OR verdict = ?2) AND (?3 IS NULL OR target = ?3)"
		 " ORDER BY seq, target", queries_have_control(db) ? "control" : "''");
	int rc = sqlite3_prepare_v2(db->h, sql, -1, &it->q, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db->h,
			"SELECT id, time_us, rtt_us, family, src, sport, ip_ttl, ip_id, df, parsed,"
			" question_match, flags, rcode, ancount, nscount, arcount, ncnames,"
			" answer_ttl, answer_ptr, len, raw FROM replies WHERE query = ? ORDER BY idx",
			-1, &it->rep, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db->h,
			"SELECT family, address, ttl FROM answers WHERE reply = ? ORDER BY idx",
			-1, &it->ans, NULL);
	if (rc != SQLITE_OK) {
		st = sql_fail(db, rc, "reading the results of run %" PRId64, run);
		store_iter_close(it);
		return st;
	}
	sqlite3_bind_int64(it->q, 1, run);
	if (f->verdict >= 0)
		sqlite3_bind_text(it->q, 2, probe_verdict_name((enum probe_verdict)f->verdict), -1,
				  SQLITE_STATIC);
	if (f->target >= 0)
		sqlite3_bind_int(it->q, 3, f->target);
	*out = it;
	return DW_OK;
}

static int read_reply(struct store_iter *it, int64_t rrow, struct probe_reply *p)
{
	sqlite3_stmt *s = it->rep;
	p->family = family_af(sqlite3_column_int64(s, 3));
	p->time_us = (uint64_t)sqlite3_column_int64(s, 1);
	p->rtt_us = (uint32_t)sqlite3_column_int64(s, 2);
	addr_parse(p->family, col_text(s, 4), p->src);
	p->sport = (uint16_t)sqlite3_column_int(s, 5);
	p->ip_known = sqlite3_column_type(s, 6) != SQLITE_NULL;
	p->ip_ttl = (uint8_t)sqlite3_column_int(s, 6);
	p->ip_id = (uint16_t)sqlite3_column_int(s, 7);
	p->df = sqlite3_column_int(s, 8) != 0;
	p->parsed = sqlite3_column_int(s, 9) != 0;
	p->question_match = sqlite3_column_int(s, 10) != 0;
	p->flags = (uint16_t)sqlite3_column_int(s, 11);
	p->rcode = (uint16_t)sqlite3_column_int(s, 12);
	p->ancount = (uint16_t)sqlite3_column_int(s, 13);
	p->nscount = (uint16_t)sqlite3_column_int(s, 14);
	p->arcount = (uint16_t)sqlite3_column_int(s, 15);
	p->ncnames = (uint8_t)sqlite3_column_int(s, 16);
	p->answer_ttl = (uint32_t)sqlite3_column_int64(s, 17);
	p->answer_ptr = sqlite3_column_int(s, 18) != 0;
	p->len = (uint16_t)sqlite3_column_int(s, 19);
	const void *raw = sqlite3_column_blob(s, 20);
	int rawlen = sqlite3_column_bytes(s, 20);
	if (raw && rawlen > 0) {
		p->rawlen = (uint16_t)(rawlen < PROBE_RAW_MAX ? rawlen : PROBE_RAW_MAX);
		memcpy(p->raw, raw, p->rawlen);
	}
	sqlite3_stmt *a = it->ans;
	sqlite3_reset(a);
	sqlite3_bind_int64(a, 1, rrow);
	int rc;
	while ((rc = sqlite3_step(a)) == SQLITE_ROW) {
		if (p->naddrs >= PROBE_ADDRS_MAX)
			continue;
		struct probe_addr *ad = &p->addrs[p->naddrs++];
		ad->family = family_af(sqlite3_column_int64(a, 0));
		addr_parse(ad->family, col_text(a, 1), ad->addr);
		ad->ttl = (uint32_t)sqlite3_column_int64(a, 2);
	}
	sqlite3_reset(a);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum dw_status store_iter_next(struct store_iter *it, struct probe_result *r, bool *got)
{
	*got = false;
	sqlite3_stmt *q = it->q;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return DW_OK;
	if (rc != SQLITE_ROW)
		return sql_fail(it->db, rc, "reading results");
	memset(r, 0, sizeof *r);
	int64_t qrow = sqlite3_column_int64(q, 0);
	r->seq = (uint64_t)sqlite3_column_int64(q, 1);
	r->line = (uint32_t)sqlite3_column_int64(q, 2);
	r->target = (uint16_t)sqlite3_column_int(q, 3);
	size_t nlen;
	if (wire_name_from_text(col_text(q, 4), r->qname, &nlen) != DW_OK)
		memset(r->qname, 0, sizeof r->qname);
	r->qtype = (uint16_t)sqlite3_column_int(q, 5);
	r->id = (uint16_t)sqlite3_column_int(q, 6);
	r->sport = (uint16_t)sqlite3_column_int(q, 7);
	r->attempts = (uint8_t)sqlite3_column_int(q, 8);
	r->sent_us = (uint64_t)sqlite3_column_int64(q, 9);
	r->replies_seen = (uint16_t)sqlite3_column_int(q, 10);
	enum probe_verdict v;
	r->verdict = probe_verdict_from_name(col_text(q, 11), &v) ? v : VERDICT_NONE;
	copy_text(r->evidence, sizeof r->evidence, col_text(q, 12));
	r->forged_reply = sqlite3_column_type(q, 13) == SQLITE_NULL
				  ? -1 : (int8_t)sqlite3_column_int(q, 13);
	r->group = sqlite3_column_type(q, 14) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 14);
	copy_text(r->control, sizeof r->control, col_text(q, 15));

	sqlite3_stmt *s = it->rep;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, qrow);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->nreplies >= PROBE_REPLIES_MAX)
			continue;
		rc = read_reply(it, sqlite3_column_int64(s, 0), &r->reply[r->nreplies++]);
		if (rc != SQLITE_OK)
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sql_fail(it->db, rc, "reading the replies of seq %" PRIu64, r->seq);
	*got = true;
	return DW_OK;
}

enum dw_status store_verdict_counts(struct store_db *db, int64_t run, uint64_t *counts,
				       size_t ntargets)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "counting verdicts (read ClickHouse with dnswatch report)");
	memset(counts, 0, ntargets * VERDICT_COUNT * sizeof *counts);
	int64_t id;
	enum dw_status st = resolve_run(db, run, &id);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT target, verdict, count(*) FROM queries WHERE run = ?"
		" GROUP BY target, verdict", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "counting verdicts of run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(s, 0);
		enum probe_verdict v;
		if (t < 0 || (uint64_t)t >= ntargets ||
		    !probe_verdict_from_name(col_text(s, 1), &v))
			continue;
		counts[(size_t)t * VERDICT_COUNT + v] += (uint64_t)sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(db, rc, "counting verdicts of run %" PRId64, id);
	return DW_OK;
}

enum dw_status store_groups(struct store_db *db, int64_t run,
			       int (*fn)(void *ctx, const struct store_group *g), void *ctx)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "reading groups (read ClickHouse with dnswatch report)");
	int64_t id;
	enum dw_status st = resolve_run(db, run, &id);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT id, fingerprint, count, addresses FROM groups WHERE run = ? ORDER BY id",
		-1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "listing groups of run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	struct store_group *g = malloc(sizeof *g);
	if (!g) {
		sqlite3_finalize(s);
		return report(db, DW_E_NOMEM, "out of memory", "listing groups of run %" PRId64, id);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(g, 0, sizeof *g);
		g->id = sqlite3_column_int(s, 0);
		copy_text(g->fingerprint, sizeof g->fingerprint, col_text(s, 1));
		g->count = (uint64_t)sqlite3_column_int64(s, 2);
		const char *p = col_text(s, 3);
		while (*p && g->naddrs < sizeof g->addrs / sizeof g->addrs[0]) {
			char a[64];
			size_t n = strcspn(p, " ");
			if (n > 0 && n < sizeof a) {
				memcpy(a, p, n);
				a[n] = 0;
				struct probe_addr *ad = &g->addrs[g->naddrs];
				ad->family = strchr(a, ':') ? AF_INET6 : AF_INET;
				if (inet_pton(ad->family, a, ad->addr) == 1)
					g->naddrs++;
			}
			p += n;
			p += strspn(p, " ");
		}
		if (fn(ctx, g))
			break;
	}
	free(g);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(db, rc, "listing groups of run %" PRId64, id);
	return DW_OK;
}

enum dw_status store_targets(struct store_db *db, int64_t run, struct probe_target *out,
				size_t cap, size_t *n)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "reading targets (read ClickHouse with dnswatch report)");
	*n = 0;
	int64_t id;
	enum dw_status st = resolve_run(db, run, &id);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"SELECT idx, label, kind, family, address, port FROM targets"
		" WHERE run = ? ORDER BY idx", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading the targets of run %" PRId64, id);
	sqlite3_bind_int64(s, 1, id);
	if (cap)
		memset(out, 0, cap * sizeof *out);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(s, 0);
		if (i < 0 || i > UINT16_MAX)
			continue;
		if ((size_t)i + 1 > *n)
			*n = (size_t)i + 1;
		if ((size_t)i >= cap)
			continue;
		struct probe_target *t = &out[i];
		target_from_row(s, t);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(db, rc, "reading the targets of run %" PRId64, id);
	return DW_OK;
}

enum dw_status store_runs(struct store_db *db, int (*fn)(void *ctx, int64_t run), void *ctx)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "listing runs (read ClickHouse with dnswatch report)");
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h, "SELECT id FROM runs ORDER BY id", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "listing runs");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(ctx, sqlite3_column_int64(s, 0)))
			break;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(db, rc, "listing runs");
	return DW_OK;
}

/* ---- incidents (docs/store.md): written by watch, read by report ---------------- */

static const char incidents_sql[] =
	"CREATE TABLE IF NOT EXISTS incidents (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  run INTEGER REFERENCES runs (id),\n"
	"  started_us INTEGER NOT NULL,\n"
	"  raised_us INTEGER,\n"
	"  injection_end_us INTEGER,\n"
	"  ended_us INTEGER,\n"
	"  peak_share REAL NOT NULL DEFAULT 0,\n"
	"  scope TEXT NOT NULL DEFAULT '',\n"
	"  addresses TEXT NOT NULL DEFAULT '',\n"
	"  summary TEXT NOT NULL DEFAULT '',\n"
	"  cause TEXT NOT NULL DEFAULT '',\n"
	"  evidence TEXT NOT NULL DEFAULT '',\n"
	"  hop INTEGER,\n"
	"  hop_router TEXT NOT NULL DEFAULT '',\n"
	"  locate TEXT NOT NULL DEFAULT '',\n"
	"  groups TEXT NOT NULL DEFAULT ''\n"
	")";

/* Whether the incidents table has the columns watch added to it (raised_us,
 * cause, evidence); a table made before them is read with those empty. */
static bool incidents_have_cause(struct store_db *db)
{
	int64_t n = 0;
	return query_int(db, "SELECT count(*) FROM pragma_table_info('incidents') WHERE name = 'cause'",
			 0, &n) == SQLITE_OK && n > 0;
}

/* Whether it has the columns of watch's locate and groups (hop, hop_router,
 * locate, groups); a table made before them is read with those empty. */
static bool incidents_have_hop(struct store_db *db)
{
	int64_t n = 0;
	return query_int(db, "SELECT count(*) FROM pragma_table_info('incidents') WHERE name = 'hop'",
			 0, &n) == SQLITE_OK && n > 0;
}

enum dw_status store_incidents_ensure(struct store_db *db)
{
	if (db->ch)
		return DW_OK;
	if (db->opts.readonly)
		return report(db, DW_E_INVALID, "opened read-only", "creating the incidents table");
	int rc = exec(db, incidents_sql);
	if (rc == SQLITE_OK && !incidents_have_cause(db))
		rc = exec(db, "ALTER TABLE incidents ADD COLUMN raised_us INTEGER;"
			      " ALTER TABLE incidents ADD COLUMN cause TEXT NOT NULL DEFAULT '';"
			      " ALTER TABLE incidents ADD COLUMN evidence TEXT NOT NULL DEFAULT ''");
	if (rc == SQLITE_OK && !incidents_have_hop(db))
		rc = exec(db, "ALTER TABLE incidents ADD COLUMN hop INTEGER;"
			      " ALTER TABLE incidents ADD COLUMN hop_router TEXT NOT NULL DEFAULT '';"
			      " ALTER TABLE incidents ADD COLUMN locate TEXT NOT NULL DEFAULT '';"
			      " ALTER TABLE incidents ADD COLUMN groups TEXT NOT NULL DEFAULT ''");
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "creating the incidents table");
	return DW_OK;
}

static void bind_opt_us(sqlite3_stmt *s, int i, int64_t us)
{
	if (us)
		sqlite3_bind_int64(s, i, us);
	else
		sqlite3_bind_null(s, i);
}

enum dw_status store_incident_put(struct store_db *db, struct store_incident *inc)
{
	if (db->ch)
		return ch_incident_put(db->ch, inc);
	enum dw_status st = store_incidents_ensure(db);
	if (st != DW_OK)
		return st;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db->h,
		"INSERT OR REPLACE INTO incidents (id, run, started_us, injection_end_us, ended_us,"
		" peak_share, scope, addresses, summary, raised_us, cause, evidence,"
		" hop, hop_router, locate, groups)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "writing an incident");
	if (inc->id > 0)
		sqlite3_bind_int64(s, 1, inc->id);
	bind_opt_us(s, 2, inc->run);
	sqlite3_bind_int64(s, 3, inc->started_us);
	bind_opt_us(s, 4, inc->injection_end_us);
	bind_opt_us(s, 5, inc->ended_us);
	sqlite3_bind_double(s, 6, inc->peak_share);
	sqlite3_bind_text(s, 7, inc->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, inc->addresses, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, inc->summary, -1, SQLITE_STATIC);
	bind_opt_us(s, 10, inc->raised_us);
	sqlite3_bind_text(s, 11, inc->cause, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, inc->evidence, -1, SQLITE_STATIC);
	bind_opt_us(s, 13, inc->hop);
	sqlite3_bind_text(s, 14, inc->hop_router, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, inc->locate, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 16, inc->groups, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sql_fail(db, rc, "writing an incident");
	if (inc->id <= 0)
		inc->id = sqlite3_last_insert_rowid(db->h);
	return DW_OK;
}

enum dw_status store_incidents(struct store_db *db, bool *present,
				  int (*fn)(void *ctx, const struct store_incident *inc),
				  void *ctx)
{
	if (db->ch)
		return ch_refuse(db, DW_E_INVALID, "reading incidents (read ClickHouse with dnswatch report)");
	int64_t n;
	*present = false;
	int rc = query_int(db, "SELECT count(*) FROM sqlite_master"
			       " WHERE type = 'table' AND name = 'incidents'", 0, &n);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "looking for the incidents table");
	if (!n)
		return DW_OK;
	*present = true;
	sqlite3_stmt *s;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT id, run, started_us, injection_end_us, ended_us, peak_share, scope,"
		 " addresses, summary, %s, %s FROM incidents ORDER BY started_us, id",
		 incidents_have_cause(db) ? "raised_us, cause, evidence" : "NULL, '', ''",
		 incidents_have_hop(db) ? "hop, hop_router, locate, groups" : "NULL, '', '', ''");
	rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(db, rc, "reading incidents");
	struct store_incident *inc = malloc(sizeof *inc);
	if (!inc) {
		sqlite3_finalize(s);
		return report(db, DW_E_NOMEM, "out of memory", "reading incidents");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(inc, 0, sizeof *inc);
		inc->id = sqlite3_column_int64(s, 0);
		inc->run = sqlite3_column_int64(s, 1);
		inc->started_us = sqlite3_column_int64(s, 2);
		inc->injection_end_us = sqlite3_column_int64(s, 3);
		inc->ended_us = sqlite3_column_int64(s, 4);
		inc->peak_share = sqlite3_column_double(s, 5);
		copy_text(inc->scope, sizeof inc->scope, col_text(s, 6));
		copy_text(inc->addresses, sizeof inc->addresses, col_text(s, 7));
		copy_text(inc->summary, sizeof inc->summary, col_text(s, 8));
		inc->raised_us = sqlite3_column_int64(s, 9);
		copy_text(inc->cause, sizeof inc->cause, col_text(s, 10));
		copy_text(inc->evidence, sizeof inc->evidence, col_text(s, 11));
		int64_t hop = sqlite3_column_int64(s, 12);
		inc->hop = hop > 0 && hop < 256 ? (int)hop : 0;
		copy_text(inc->hop_router, sizeof inc->hop_router, col_text(s, 13));
		copy_text(inc->locate, sizeof inc->locate, col_text(s, 14));
		copy_text(inc->groups, sizeof inc->groups, col_text(s, 15));
		if (fn(ctx, inc))
			break;
	}
	free(inc);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sql_fail(db, rc, "reading incidents");
	return DW_OK;
}
