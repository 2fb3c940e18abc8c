/* The guard's tables in a dnswatch store (see guard.h). */
#include "store/guard.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/clickhouse.h"
#include "store/sqlite.h"
#include "util/clock.h"

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS guard_drops ("
	" id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, upstream TEXT NOT NULL,"
	" qname TEXT NOT NULL, qtype TEXT NOT NULL, failed TEXT NOT NULL, grp INTEGER NOT NULL,"
	" evidence TEXT NOT NULL, rtt_us INTEGER NOT NULL, ip_ttl INTEGER, addrs TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS guard_drops_time ON guard_drops (time_us);"
	"CREATE TABLE IF NOT EXISTS guard_purges ("
	" id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, qname TEXT NOT NULL, qtype TEXT NOT NULL,"
	" addr TEXT NOT NULL, why TEXT NOT NULL);";

/* ClickHouse: the same columns, tagged with the vantage point and the
 * row's identity (the writing process, its count), docs/store.md. */
static const char CH_DROPS[] =
	"vantage String, writer UInt64, seq UInt64, time DateTime, time_us Int64, upstream String,"
	" qname String, qtype String, failed String, grp Int32, evidence String, rtt_us Int64,"
	" ip_ttl Int16, addrs String";
static const char CH_PURGES[] =
	"vantage String, writer UInt64, seq UInt64, time DateTime, time_us Int64, qname String,"
	" qtype String, addr String, why String";
static const char CH_ENGINE[] =
	"ReplacingMergeTree PARTITION BY toYYYYMMDD(time) ORDER BY (vantage, writer, seq)";

struct guard_store {
	char path[512];
	sqlite3 *h;
	sqlite3_stmt *ins, *ins_purge;
	unsigned pending;
	uint64_t batch_ms;
	/* a clickhouse:// path */
	struct ch_store *ch;
	struct ch_buf drops, purges;
	uint64_t writer, seq;
};

static int fail(sqlite3 *h, const char *path, struct dw_error *err, const char *what)
{
	return dw_error_set(err, DW_E_DB, "guard store: %s: %s while %s", path,
			    h ? sqlite3_errmsg(h) : "cannot open", what);
}

static int ch_fail(struct guard_store *s, struct dw_error *err)
{
	const struct dw_error *e = ch_error(s->ch);
	return dw_error_set(err, e->status ? e->status : DW_E_DB, "%s", e->text);
}

static int exec(struct guard_store *s, const char *sql, struct dw_error *err, const char *what)
{
	if (sqlite3_exec(s->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s->h, s->path, err, what);
	return 0;
}

static int open_clickhouse(struct guard_store *s, const char *path, struct dw_error *err)
{
	struct ch_opts co = {.errlog = stderr, .errlog_notes_only = true};
	struct dw_error e;
	if (ch_open(&s->ch, path, &co, &e) != DW_OK)
		return dw_error_set(err, e.status, "%s", e.text);
	if (ch_table_ensure(s->ch, "guard_drops", CH_DROPS, CH_ENGINE) != DW_OK ||
	    ch_table_ensure(s->ch, "guard_purges", CH_PURGES, CH_ENGINE) != DW_OK) {
		ch_fail(s, err);
		enum dw_status ign = ch_close(s->ch);
		(void)ign;
		s->ch = NULL;
		return -1;
	}
	/* this process's rows: its start and pid */
	s->writer = util_real_us() ^ ((uint64_t)getpid() << 44);
	return 0;
}

int guard_store_open(struct guard_store **out, const char *path, struct dw_error *err)
{
	*out = NULL;
	struct guard_store *s = calloc(1, sizeof *s);
	if (!s)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	snprintf(s->path, sizeof s->path, "%s", path);
	if (ch_url_is(path)) {
		if (open_clickhouse(s, path, err)) {
			free(s);
			return -1;
		}
		*out = s;
		return 0;
	}
	/* the file is a dnswatch store first: made (or checked) by the store */
	struct store_db *db;
	struct store_opts so = {.quiet = true};
	if (store_open(&db, path, &so, err) != DW_OK) {
		free(s);
		return -1;
	}
	if (store_close(db) != DW_OK) {
		free(s);
		return dw_error_set(err, DW_E_DB, "guard store: %s: cannot close it", path);
	}
	if (sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fail(s->h, path, err, "opening");
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	sqlite3_busy_timeout(s->h, 5000);
	if (exec(s, "PRAGMA journal_mode = WAL", err, "setting WAL") ||
	    exec(s, "PRAGMA synchronous = NORMAL", err, "setting synchronous") ||
	    exec(s, SCHEMA, err, "creating the guard tables") ||
	    sqlite3_prepare_v2(s->h,
			       "INSERT INTO guard_drops (time_us, upstream, qname, qtype, failed, grp, evidence,"
			       " rtt_us, ip_ttl, addrs) VALUES (?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->h,
			       "INSERT INTO guard_purges (time_us, qname, qtype, addr, why) VALUES (?,?,?,?,?)",
			       -1, &s->ins_purge, NULL) != SQLITE_OK) {
		if (!err || err->status == DW_OK)
			fail(s->h, path, err, "preparing the inserts");
		sqlite3_finalize(s->ins);
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* ClickHouse: the rows gathered so far to the store's sender. */
static int ch_hand_over(struct guard_store *s, struct dw_error *err)
{
	s->pending = 0;
	if (s->drops.n && ch_insert_rows(s->ch, "guard_drops", &s->drops) != DW_OK)
		return ch_fail(s, err);
	if (s->purges.n && ch_insert_rows(s->ch, "guard_purges", &s->purges) != DW_OK)
		return ch_fail(s, err);
	return 0;
}

static int commit(struct guard_store *s, struct dw_error *err)
{
	if (!s->pending)
		return 0;
	if (s->ch)
		return ch_hand_over(s, err);
	s->pending = 0;
	return exec(s, "COMMIT", err, "committing drops");
}

/* The start of a row: a batch begun if none is open. */
static int row_begin(struct guard_store *s, struct dw_error *err)
{
	if (!s->pending) {
		if (!s->ch && exec(s, "BEGIN", err, "beginning a batch"))
			return -1;
		s->batch_ms = util_mono_ms();
	}
	s->pending++;
	return 0;
}

static int row_end(struct guard_store *s, struct dw_error *err)
{
	if (s->ch && (s->drops.oom || s->purges.oom)) {
		ch_buf_free(&s->drops);
		ch_buf_free(&s->purges);
		s->pending = 0;
		return dw_error_set(err, DW_E_NOMEM, "guard store: %s: out of memory while batching rows",
				    s->path);
	}
	if (s->pending >= GUARD_STORE_BATCH)
		return commit(s, err);
	return 0;
}

/* The head of a ClickHouse row: vantage, identity, time. */
static void ch_head(struct guard_store *s, struct ch_buf *b, int64_t time_us)
{
	ch_buf_str(b, ch_vantage(s->ch));
	ch_buf_printf(b, "\t%" PRIu64 "\t%" PRIu64 "\t" CH_DT_FMT "\t%" PRId64 "\t", s->writer, ++s->seq,
		      (unsigned long long)(time_us > 0 ? time_us / 1000000 : 0), time_us);
}

int guard_store_put(struct guard_store *s, const struct guard_store_drop *d, struct dw_error *err)
{
	if (row_begin(s, err))
		return -1;
	if (s->ch) {
		struct ch_buf *b = &s->drops;
		ch_head(s, b, d->time_us);
		const char *t1[] = {d->upstream, d->qname, d->qtype, d->failed};
		for (size_t i = 0; i < 4; i++) {
			ch_buf_str(b, t1[i]);
			ch_buf_printf(b, "\t");
		}
		ch_buf_printf(b, "%d\t", d->group);
		ch_buf_str(b, d->evidence);
		ch_buf_printf(b, "\t%" PRId64 "\t%d\t", d->rtt_us, d->ip_ttl >= 0 ? d->ip_ttl : -1);
		ch_buf_str(b, d->addrs);
		ch_buf_printf(b, "\n");
		return row_end(s, err);
	}
	sqlite3_stmt *q = s->ins;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, d->time_us);
	sqlite3_bind_text(q, 2, d->upstream, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, d->qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, d->qtype, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, d->failed, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 6, d->group);
	sqlite3_bind_text(q, 7, d->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, d->rtt_us);
	if (d->ip_ttl >= 0)
		sqlite3_bind_int(q, 9, d->ip_ttl);
	else
		sqlite3_bind_null(q, 9);
	sqlite3_bind_text(q, 10, d->addrs, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE) {
		fail(s->h, s->path, err, "inserting a drop");
		sqlite3_exec(s->h, "ROLLBACK", NULL, NULL, NULL);
		s->pending = 0;
		return -1;
	}
	return row_end(s, err);
}

int guard_store_purge_put(struct guard_store *s, const struct guard_store_purge *p,
			  struct dw_error *err)
{
	if (row_begin(s, err))
		return -1;
	if (s->ch) {
		struct ch_buf *b = &s->purges;
		ch_head(s, b, p->time_us);
		const char *t[] = {p->qname, p->qtype, p->addr, p->why};
		for (size_t i = 0; i < 4; i++) {
			ch_buf_str(b, t[i]);
			ch_buf_printf(b, i < 3 ? "\t" : "\n");
		}
		return row_end(s, err);
	}
	sqlite3_stmt *q = s->ins_purge;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, p->time_us);
	sqlite3_bind_text(q, 2, p->qname, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, p->qtype, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, p->addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, p->why, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE) {
		fail(s->h, s->path, err, "inserting a purge");
		sqlite3_exec(s->h, "ROLLBACK", NULL, NULL, NULL);
		s->pending = 0;
		return -1;
	}
	return row_end(s, err);
}

int guard_store_tick(struct guard_store *s, struct dw_error *err)
{
	if (s->pending && util_mono_ms() - s->batch_ms >= 200)
		return commit(s, err);
	if (s->ch && ch_tick(s->ch) != DW_OK)
		return ch_fail(s, err);
	return 0;
}

int guard_store_close(struct guard_store *s, struct dw_error *err)
{
	if (!s)
		return 0;
	int rc = commit(s, err);
	if (s->ch) {
		if (ch_close(s->ch) != DW_OK && !rc)
			rc = dw_error_set(err, DW_E_IO, "guard store: %s: the last rows were not all stored (said above)",
					  s->path);
		ch_buf_free(&s->drops);
		ch_buf_free(&s->purges);
		free(s);
		return rc;
	}
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->ins_purge);
	if (sqlite3_close(s->h) != SQLITE_OK && !rc)
		rc = fail(s->h, s->path, err, "closing");
	free(s);
	return rc;
}

/* ---- the report's reading --------------------------------------------------------
 * One reader for both stores: SQL run on either, each row as text columns. */

struct reader {
	const char *path;
	sqlite3 *h;
	struct ch_store *ch;
	const char *db;      /* ClickHouse: the database; SQL says {D} for it */
};

typedef int row_fn(void *ctx, size_t n, const char *const *cols);

/* SQL with every "{D}" replaced by "" (SQLite) or "DB." and " FINAL" where
 * it says {F} (ClickHouse). */
static void sql_for(const struct reader *r, const char *sql, char *out, size_t cap)
{
	size_t k = 0;
	for (const char *p = sql; *p && k + 1 < cap;) {
		if (!strncmp(p, "{D}", 3) || !strncmp(p, "{F}", 3)) {
			const char *put = "";
			char d[80];
			if (r->ch && p[1] == 'D')
				snprintf(d, sizeof d, "%s.", r->db), put = d;
			else if (r->ch)
				put = " FINAL";
			k += (size_t)snprintf(out + k, cap - k, "%s", put);
			if (k >= cap)
				k = cap - 1;
			p += 3;
			continue;
		}
		out[k++] = *p++;
	}
	out[k] = 0;
}

struct ch_rows_ctx {
	row_fn *fn;
	void *ctx;
};

static int on_ch_row(void *ctx, char **f, size_t n)
{
	struct ch_rows_ctx *x = ctx;
	return x->fn(x->ctx, n, (const char *const *)f);
}

static int run_sql(struct reader *r, const char *sql0, row_fn *fn, void *ctx, struct dw_error *err)
{
	char sql[1024];
	sql_for(r, sql0, sql, sizeof sql);
	if (r->ch) {
		struct ch_rows_ctx x = {.fn = fn, .ctx = ctx};
		if (ch_select(r->ch, sql, on_ch_row, &x) != DW_OK) {
			const struct dw_error *e = ch_error(r->ch);
			return dw_error_set(err, e->status, "%s", e->text);
		}
		return 0;
	}
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(r->h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(r->h, r->path, err, "reading the guard's tables");
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *cols[8];
		int n = sqlite3_column_count(q);
		for (int i = 0; i < n && i < 8; i++) {
			const char *t = (const char *)sqlite3_column_text(q, i);
			cols[i] = t ? t : "";
		}
		if (fn(ctx, (size_t)(n < 8 ? n : 8), cols))
			break;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(r->h, r->path, err, "reading the guard's tables");
	return 0;
}

/* Whether TABLE is there. */
static int has_table(struct reader *r, const char *table, bool *has, struct dw_error *err);

static int on_flag(void *ctx, size_t n, const char *const *c)
{
	*(bool *)ctx = n && atoll(c[0]) > 0;
	return 1;
}

static int has_table(struct reader *r, const char *table, bool *has, struct dw_error *err)
{
	char sql[256];
	*has = false;
	if (r->ch) {
		char d[80], t[80];
		ch_sql_str(d, sizeof d, r->db);
		ch_sql_str(t, sizeof t, table);
		snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = %s AND name = %s", d, t);
	} else {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
			 table);
	}
	return run_sql(r, sql, on_flag, has, err);
}

struct top_ctx {
	char *text;
	size_t tsz, stride;
	uint64_t *count;
	size_t cstride, cap, *n;
};

static int on_top(void *ctx, size_t n, const char *const *c)
{
	struct top_ctx *x = ctx;
	if (n < 2 || *x->n >= x->cap)
		return 1;
	snprintf(x->text + *x->n * x->stride, x->tsz, "%s", c[0]);
	*(uint64_t *)((char *)x->count + *x->n * x->cstride) = strtoull(c[1], NULL, 10);
	(*x->n)++;
	return 0;
}

/* Run SQL (one text column, one count) into OUT[0..CAP) of (text, count). */
static int top(struct reader *r, const char *sql, char *text, size_t tsz, size_t stride, uint64_t *count,
	       size_t cstride, size_t cap, size_t *n, struct dw_error *err)
{
	*n = 0;
	struct top_ctx x = {.text = text, .tsz = tsz, .stride = stride, .count = count, .cstride = cstride,
			    .cap = cap, .n = n};
	return run_sql(r, sql, on_top, &x, err);
}

struct span {
	uint64_t n;
	int64_t first, last;
};

static int on_span(void *ctx, size_t n, const char *const *c)
{
	struct span *s = ctx;
	if (n >= 3) {
		s->n = strtoull(c[0], NULL, 10);
		s->first = strtoll(c[1], NULL, 10);
		s->last = strtoll(c[2], NULL, 10);
	}
	return 1;
}

static int on_count(void *ctx, size_t n, const char *const *c)
{
	*(uint64_t *)ctx = n ? strtoull(c[0], NULL, 10) : 0;
	return 1;
}

static int summary(struct reader *r, struct guard_store_summary *sum, struct dw_error *err)
{
	bool has;
	if (has_table(r, "guard_drops", &has, err))
		return -1;
	if (!has)
		return 0; /* a store the guard never wrote */
	sum->present = true;
	struct span sp = {0};
	if (run_sql(r, "SELECT count(*), coalesce(min(time_us), 0), coalesce(max(time_us), 0)"
		       " FROM {D}guard_drops{F}", on_span, &sp, err))
		return -1;
	sum->drops = sp.n;
	sum->first_us = sp.first;
	sum->last_us = sp.last;
	/* the failed checks are a space-separated list: count each word */
	static const char *const checks[] = {"ttl", "rtt", "layout", "group", "addr", "dnssec"};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		char sql[200];
		if (r->ch)
			snprintf(sql, sizeof sql,
				 "SELECT count() FROM {D}guard_drops{F} WHERE has(splitByChar(' ', failed), '%s')",
				 checks[i]);
		else
			snprintf(sql, sizeof sql,
				 "SELECT count(*) FROM guard_drops WHERE ' ' || failed || ' ' LIKE '%% %s %%'", checks[i]);
		snprintf(sum->checks[sum->nchecks].check, sizeof sum->checks[0].check, "%s", checks[i]);
		if (run_sql(r, sql, on_count, &sum->checks[sum->nchecks].count, err))
			return -1;
		sum->nchecks++;
	}
	if (top(r, "SELECT addrs, count(*) AS n FROM {D}guard_drops{F} WHERE addrs != '' GROUP BY addrs"
		   " ORDER BY n DESC, addrs LIMIT 10",
		sum->addrs[0].addr, sizeof sum->addrs[0].addr, sizeof sum->addrs[0], &sum->addrs[0].count,
		sizeof sum->addrs[0], GUARD_SUMMARY_TOP, &sum->naddrs, err) ||
	    top(r, "SELECT qname, count(*) AS n FROM {D}guard_drops{F} GROUP BY qname ORDER BY n DESC, qname LIMIT 10",
		sum->names[0].name, sizeof sum->names[0].name, sizeof sum->names[0], &sum->names[0].count,
		sizeof sum->names[0], GUARD_SUMMARY_TOP, &sum->nnames, err) ||
	    top(r, "SELECT upstream, count(*) AS n FROM {D}guard_drops{F} GROUP BY upstream"
		   " ORDER BY n DESC, upstream LIMIT 10",
		sum->upstreams[0].upstream, sizeof sum->upstreams[0].upstream, sizeof sum->upstreams[0],
		&sum->upstreams[0].count, sizeof sum->upstreams[0], GUARD_SUMMARY_TOP, &sum->nupstreams, err))
		return -1;
	if (has_table(r, "guard_purges", &has, err))
		return -1;
	if (!has)
		return 0; /* a store written before purges were kept */
	sp = (struct span){0};
	if (run_sql(r, "SELECT count(*), coalesce(min(time_us), 0), coalesce(max(time_us), 0)"
		       " FROM {D}guard_purges{F}", on_span, &sp, err))
		return -1;
	sum->purges = sp.n;
	sum->purge_first_us = sp.first;
	sum->purge_last_us = sp.last;
	return top(r, "SELECT qname, count(*) AS n FROM {D}guard_purges{F} GROUP BY qname"
		      " ORDER BY n DESC, qname LIMIT 10",
		   sum->purge_names[0].name, sizeof sum->purge_names[0].name, sizeof sum->purge_names[0],
		   &sum->purge_names[0].count, sizeof sum->purge_names[0], GUARD_SUMMARY_TOP, &sum->npurge_names,
		   err) ||
	       top(r, "SELECT addr, count(*) AS n FROM {D}guard_purges{F} GROUP BY addr ORDER BY n DESC, addr LIMIT 10",
		   sum->purge_addrs[0].addr, sizeof sum->purge_addrs[0].addr, sizeof sum->purge_addrs[0],
		   &sum->purge_addrs[0].count, sizeof sum->purge_addrs[0], GUARD_SUMMARY_TOP,
		   &sum->npurge_addrs, err)
		       ? -1
		       : 0;
}

int guard_store_summary(const char *path, struct guard_store_summary *sum, struct dw_error *err)
{
	memset(sum, 0, sizeof *sum);
	struct reader r = {.path = path};
	int rc;
	if (ch_url_is(path)) {
		struct ch_opts co = {.no_schema = true};
		struct dw_error e;
		if (ch_open(&r.ch, path, &co, &e) != DW_OK)
			return dw_error_set(err, e.status, "%s", e.text);
		r.db = ch_database(r.ch);
		rc = summary(&r, sum, err);
		enum dw_status ign = ch_close(r.ch); /* connected only: nothing to post */
		(void)ign;
		return rc;
	}
	if (sqlite3_open_v2(path, &r.h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fail(r.h, path, err, "opening");
		sqlite3_close(r.h);
		return -1;
	}
	sqlite3_busy_timeout(r.h, 5000);
	rc = summary(&r, sum, err);
	sqlite3_close(r.h);
	return rc;
}
