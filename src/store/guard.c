/* The guard's table in a dnswatch store (see guard.h). */
#include "store/guard.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/sqlite.h"
#include "util/clock.h"

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS guard_drops ("
	" id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, upstream TEXT NOT NULL,"
	" qname TEXT NOT NULL, qtype TEXT NOT NULL, failed TEXT NOT NULL, grp INTEGER NOT NULL,"
	" evidence TEXT NOT NULL, rtt_us INTEGER NOT NULL, ip_ttl INTEGER, addrs TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS guard_drops_time ON guard_drops (time_us);";

struct guard_store {
	char path[512];
	sqlite3 *h;
	sqlite3_stmt *ins;
	unsigned pending;
	uint64_t batch_ms;
};

static int fail(sqlite3 *h, const char *path, struct dw_error *err, const char *what)
{
	return dw_error_set(err, DW_E_DB, "guard store: %s: %s while %s", path,
			    h ? sqlite3_errmsg(h) : "cannot open", what);
}

static int exec(struct guard_store *s, const char *sql, struct dw_error *err, const char *what)
{
	if (sqlite3_exec(s->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s->h, s->path, err, what);
	return 0;
}

int guard_store_open(struct guard_store **out, const char *path, struct dw_error *err)
{
	*out = NULL;
	/* the file is a dnswatch store first: made (or checked) by the store */
	struct store_db *db;
	struct store_opts so = {.quiet = true};
	if (store_open(&db, path, &so, err) != DW_OK)
		return -1;
	if (store_close(db) != DW_OK)
		return dw_error_set(err, DW_E_DB, "guard store: %s: cannot close it", path);
	struct guard_store *s = calloc(1, sizeof *s);
	if (!s)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	snprintf(s->path, sizeof s->path, "%s", path);
	if (sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fail(s->h, path, err, "opening");
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	sqlite3_busy_timeout(s->h, 5000);
	if (exec(s, "PRAGMA journal_mode = WAL", err, "setting WAL") ||
	    exec(s, "PRAGMA synchronous = NORMAL", err, "setting synchronous") ||
	    exec(s, SCHEMA, err, "creating the guard_drops table") ||
	    sqlite3_prepare_v2(s->h,
			       "INSERT INTO guard_drops (time_us, upstream, qname, qtype, failed, grp, evidence,"
			       " rtt_us, ip_ttl, addrs) VALUES (?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->ins, NULL) != SQLITE_OK) {
		if (!err || err->status == DW_OK)
			fail(s->h, path, err, "preparing the insert");
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int commit(struct guard_store *s, struct dw_error *err)
{
	if (!s->pending)
		return 0;
	s->pending = 0;
	return exec(s, "COMMIT", err, "committing drops");
}

int guard_store_put(struct guard_store *s, const struct guard_store_drop *d, struct dw_error *err)
{
	if (!s->pending) {
		if (exec(s, "BEGIN", err, "beginning a batch"))
			return -1;
		s->batch_ms = util_mono_ms();
	}
	s->pending++;
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
	if (s->pending >= GUARD_STORE_BATCH)
		return commit(s, err);
	return 0;
}

int guard_store_tick(struct guard_store *s, struct dw_error *err)
{
	if (s->pending && util_mono_ms() - s->batch_ms >= 200)
		return commit(s, err);
	return 0;
}

int guard_store_close(struct guard_store *s, struct dw_error *err)
{
	if (!s)
		return 0;
	int rc = commit(s, err);
	sqlite3_finalize(s->ins);
	if (sqlite3_close(s->h) != SQLITE_OK && !rc)
		rc = fail(s->h, s->path, err, "closing");
	free(s);
	return rc;
}

/* Run SQL (one text column, one count) into OUT[0..CAP) of (text, count). */
static int top(sqlite3 *h, const char *path, const char *sql, char *text, size_t tsz, size_t stride,
	       uint64_t *count, size_t cstride, size_t cap, size_t *n, struct dw_error *err)
{
	sqlite3_stmt *q;
	*n = 0;
	if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(h, path, err, "reading guard_drops");
	int r;
	while ((r = sqlite3_step(q)) == SQLITE_ROW && *n < cap) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		snprintf(text + *n * stride, tsz, "%s", t ? (const char *)t : "");
		*(uint64_t *)((char *)count + *n * cstride) = (uint64_t)sqlite3_column_int64(q, 1);
		(*n)++;
	}
	sqlite3_finalize(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return fail(h, path, err, "reading guard_drops");
	return 0;
}

int guard_store_summary(const char *path, struct guard_store_summary *sum, struct dw_error *err)
{
	memset(sum, 0, sizeof *sum);
	sqlite3 *h;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fail(h, path, err, "opening");
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, 5000);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(h, "SELECT count(*), min(time_us), max(time_us) FROM guard_drops", -1, &q,
			       NULL) != SQLITE_OK) {
		sqlite3_close(h); /* no table: a store the guard never wrote */
		return 0;
	}
	sum->present = true;
	if (sqlite3_step(q) == SQLITE_ROW) {
		sum->drops = (uint64_t)sqlite3_column_int64(q, 0);
		sum->first_us = sqlite3_column_int64(q, 1);
		sum->last_us = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	/* the failed checks are a space-separated list: count each word */
	static const char *const checks[] = {"ttl", "rtt", "layout", "group", "addr", "dnssec"};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		char sql[160];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM guard_drops WHERE ' ' || failed || ' ' LIKE '%% %s %%'", checks[i]);
		if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_finalize(q);
			fail(h, path, err, "reading guard_drops");
			sqlite3_close(h);
			return -1;
		}
		snprintf(sum->checks[sum->nchecks].check, sizeof sum->checks[0].check, "%s", checks[i]);
		sum->checks[sum->nchecks++].count = (uint64_t)sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	int rc = top(h, path, "SELECT addrs, count(*) AS n FROM guard_drops WHERE addrs != '' GROUP BY addrs"
			      " ORDER BY n DESC, addrs LIMIT 10",
		     sum->addrs[0].addr, sizeof sum->addrs[0].addr, sizeof sum->addrs[0], &sum->addrs[0].count,
		     sizeof sum->addrs[0], GUARD_SUMMARY_TOP, &sum->naddrs, err);
	if (!rc)
		rc = top(h, path, "SELECT qname, count(*) AS n FROM guard_drops GROUP BY qname"
				  " ORDER BY n DESC, qname LIMIT 10",
			 sum->names[0].name, sizeof sum->names[0].name, sizeof sum->names[0], &sum->names[0].count,
			 sizeof sum->names[0], GUARD_SUMMARY_TOP, &sum->nnames, err);
	if (!rc)
		rc = top(h, path, "SELECT upstream, count(*) AS n FROM guard_drops GROUP BY upstream"
				  " ORDER BY n DESC, upstream LIMIT 10",
			 sum->upstreams[0].upstream, sizeof sum->upstreams[0].upstream, sizeof sum->upstreams[0],
			 &sum->upstreams[0].count, sizeof sum->upstreams[0], GUARD_SUMMARY_TOP, &sum->nupstreams, err);
	sqlite3_close(h);
	return rc;
}
