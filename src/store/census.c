/* The census's tables in a store file (census.h, docs/store.md). */
#include "store/census.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/census_ch.h"
#include "store/clickhouse.h"
#include "store/sqlite.h"
#include "util/clock.h"

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS census_runs (id INTEGER PRIMARY KEY, started_us INTEGER NOT NULL,"
	" finished_us INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, cmdline TEXT NOT NULL,"
	" targets TEXT NOT NULL, qtypes TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS census_names (run INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" line INTEGER NOT NULL, name TEXT NOT NULL, censored INTEGER NOT NULL, replies INTEGER NOT NULL,"
	" a TEXT, aaaa TEXT, nxdomain INTEGER NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS census_replies (run INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" qtype INTEGER NOT NULL, idx INTEGER NOT NULL, grp INTEGER NOT NULL, ip_ttl INTEGER,"
	" ip_id INTEGER, df INTEGER, flags INTEGER, rcode INTEGER, answer_ttl INTEGER, addrs TEXT,"
	" PRIMARY KEY (run, seq, qtype, idx)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS census_groups (run INTEGER NOT NULL, id INTEGER NOT NULL,"
	" fingerprint TEXT NOT NULL, replies INTEGER NOT NULL DEFAULT 0, addrs TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (run, id), UNIQUE (run, fingerprint));"
	"CREATE TABLE IF NOT EXISTS census_rules (run INTEGER NOT NULL, pattern TEXT NOT NULL,"
	" kind TEXT NOT NULL, pass INTEGER NOT NULL, qtypes TEXT NOT NULL, action TEXT NOT NULL,"
	" from_name TEXT NOT NULL, probes INTEGER NOT NULL, blocked INTEGER NOT NULL,"
	" names INTEGER NOT NULL, overblocked INTEGER NOT NULL, evidence TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS census_overblocked (run INTEGER NOT NULL, name TEXT NOT NULL,"
	" pattern TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS census_pools (run INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
	" name TEXT NOT NULL, queries INTEGER NOT NULL, replies INTEGER NOT NULL,"
	" distinct_addrs INTEGER NOT NULL, length INTEGER NOT NULL, confirmed INTEGER NOT NULL,"
	" ord TEXT NOT NULL);";

enum { ST_NAME, ST_REPLY, ST_COUNT };

struct census_store {
	struct census_ch *ch; /* a clickhouse:// path: every call goes there (census_ch.h) */
	sqlite3 *h;
	char path[512];
	int64_t run;
	sqlite3_stmt *st[ST_COUNT];
	bool in_batch;
	unsigned batch_names;
	uint64_t batch_start_us;
};

static int fail(struct census_store *s, struct dw_error *err, const char *what)
{
	return dw_error_set(err, DW_E_DB, "census store: %s: %s while %s", s->path,
			    s->h ? sqlite3_errmsg(s->h) : "cannot open", what);
}

static int exec(struct census_store *s, const char *sql, struct dw_error *err, const char *what)
{
	if (sqlite3_exec(s->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, err, what);
	return 0;
}

int census_store_open(struct census_store **out, const char *path, bool readonly,
		      struct dw_error *err)
{
	*out = NULL;
	if (ch_url_is(path)) {
		struct census_store *c = calloc(1, sizeof *c);
		if (!c)
			return dw_error_set(err, DW_E_NOMEM, "out of memory");
		snprintf(c->path, sizeof c->path, "%s", path);
		if (census_ch_open(&c->ch, path, readonly, err)) {
			free(c);
			return -1;
		}
		*out = c;
		return 0;
	}
	if (!readonly) {
		/* the file is a dnswatch store first: made (or checked) by the store */
		struct store_db *db;
		struct store_opts so = {.quiet = true};
		if (store_open(&db, path, &so, err) != DW_OK)
			return -1;
		if (store_close(db) != DW_OK)
			return dw_error_set(err, DW_E_DB, "census store: %s: cannot close it", path);
	}
	struct census_store *s = calloc(1, sizeof *s);
	if (!s)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	snprintf(s->path, sizeof s->path, "%s", path);
	int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(path, &s->h, flags, NULL) != SQLITE_OK) {
		fail(s, err, "opening");
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	sqlite3_busy_timeout(s->h, 5000);
	if (!readonly && (exec(s, "PRAGMA journal_mode = WAL", err, "setting WAL") ||
			  exec(s, "PRAGMA synchronous = NORMAL", err, "setting synchronous") ||
			  exec(s, SCHEMA, err, "creating the census tables"))) {
		sqlite3_close(s->h);
		free(s);
		return -1;
	}
	if (readonly) {
		sqlite3_stmt *q;
		bool has = sqlite3_prepare_v2(s->h, "SELECT 1 FROM census_runs LIMIT 1", -1, &q, NULL) == SQLITE_OK;
		sqlite3_finalize(q);
		if (!has) {
			dw_error_set(err, DW_E_EMPTY, "census store: %s: holds no census", path);
			sqlite3_close(s->h);
			free(s);
			return -1;
		}
	}
	*out = s;
	return 0;
}

int census_store_flush(struct census_store *s, struct dw_error *err)
{
	if (s->ch)
		return census_ch_flush(s->ch, err);
	if (!s->in_batch)
		return 0;
	s->in_batch = false;
	if (sqlite3_exec(s->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(s, err, "committing a batch of names");
		sqlite3_exec(s->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int census_store_close(struct census_store *s, struct dw_error *err)
{
	if (!s)
		return 0;
	if (s->ch) {
		int crc = census_ch_close(s->ch, err);
		free(s);
		return crc;
	}
	int rc = census_store_flush(s, err);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->h);
	free(s);
	return rc;
}

static int begin(struct census_store *s, struct dw_error *err)
{
	if (s->in_batch)
		return 0;
	if (exec(s, "BEGIN", err, "beginning a batch"))
		return -1;
	s->in_batch = true;
	s->batch_names = 0;
	s->batch_start_us = util_mono_us();
	return 0;
}

int census_store_tick(struct census_store *s, struct dw_error *err)
{
	if (s->ch)
		return census_ch_tick(s->ch, err);
	if (s->in_batch && (s->batch_names >= CENSUS_STORE_BATCH ||
			    util_mono_us() - s->batch_start_us > 1000000))
		return census_store_flush(s, err);
	return 0;
}

int census_store_run_begin(struct census_store *s, const char *cmdline, const char *targets,
			   const char *qtypes, int64_t *run, struct dw_error *err)
{
	if (s->ch)
		return census_ch_run_begin(s->ch, cmdline, targets, qtypes, run, err);
	sqlite3_stmt *q;
	if (census_store_flush(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO census_runs (started_us, status, cmdline, targets, qtypes)"
				     " VALUES (?, 'running', ?, ?, ?)", -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "beginning a census");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)util_real_us());
	sqlite3_bind_text(q, 2, cmdline, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, targets, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, qtypes, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fail(s, err, "beginning a census");
	s->run = *run = sqlite3_last_insert_rowid(s->h);
	return 0;
}

int census_store_run_unfinished(struct census_store *s, int64_t *run, char *targets, size_t tcap,
				char *qtypes, size_t qcap, struct dw_error *err)
{
	if (s->ch)
		return census_ch_run_unfinished(s->ch, run, targets, tcap, qtypes, qcap, err);
	sqlite3_stmt *q;
	*run = 0;
	if (sqlite3_prepare_v2(s->h, "SELECT id, targets, qtypes FROM census_runs WHERE status = 'running'"
				     " ORDER BY id DESC LIMIT 1", -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "looking for an unfinished census");
	if (sqlite3_step(q) == SQLITE_ROW) {
		*run = sqlite3_column_int64(q, 0);
		snprintf(targets, tcap, "%s", (const char *)sqlite3_column_text(q, 1));
		snprintf(qtypes, qcap, "%s", (const char *)sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	return 0;
}

int census_store_run_use(struct census_store *s, int64_t run, struct dw_error *err)
{
	if (s->ch)
		return census_ch_run_use(s->ch, run, err);
	s->run = run;
	return 0;
}

int census_store_run_finish(struct census_store *s, const char *status, struct dw_error *err)
{
	if (s->ch)
		return census_ch_run_finish(s->ch, status, err);
	if (census_store_flush(s, err))
		return -1;
	char sql[200];
	snprintf(sql, sizeof sql, "UPDATE census_runs SET status = '%s', finished_us = %lld WHERE id = %lld",
		 !strcmp(status, "finished") ? "finished" : "failed", (long long)util_real_us(),
		 (long long)s->run);
	/* the index the diff looks names up by: made once, at the end, not
	 * kept up to date name by name while the census runs */
	return exec(s, "CREATE INDEX IF NOT EXISTS census_names_name ON census_names (run, name)", err,
		    "indexing the names") ||
	       exec(s, sql, err, "finishing the census");
}

int census_store_run_last(struct census_store *s, int64_t *run, struct dw_error *err)
{
	if (s->ch)
		return census_ch_run_last(s->ch, run, err);
	sqlite3_stmt *q;
	*run = 0;
	if (sqlite3_prepare_v2(s->h, "SELECT max(id) FROM census_runs WHERE status = 'finished'", -1, &q,
			       NULL) != SQLITE_OK)
		return fail(s, err, "looking for the last census");
	if (sqlite3_step(q) == SQLITE_ROW)
		*run = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return 0;
}

static int prepare(struct census_store *s, int which, const char *sql, struct dw_error *err)
{
	if (!s->st[which] && sqlite3_prepare_v2(s->h, sql, -1, &s->st[which], NULL) != SQLITE_OK)
		return fail(s, err, "preparing a statement");
	sqlite3_reset(s->st[which]);
	return 0;
}

int census_store_name_put(struct census_store *s, const struct census_store_name *n,
			  struct dw_error *err)
{
	if (s->ch)
		return census_ch_name_put(s->ch, n, err);
	if (begin(s, err) || prepare(s, ST_NAME, "INSERT INTO census_names VALUES (?,?,?,?,?,?,?,?,?)", err))
		return -1;
	sqlite3_stmt *q = s->st[ST_NAME];
	char a[16];
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)n->seq);
	sqlite3_bind_int64(q, 3, n->line);
	sqlite3_bind_text(q, 4, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, n->censored);
	sqlite3_bind_int(q, 6, (int)n->replies);
	if (n->a) {
		snprintf(a, sizeof a, "%u.%u.%u.%u", n->a >> 24, n->a >> 16 & 255, n->a >> 8 & 255, n->a & 255);
		sqlite3_bind_text(q, 7, a, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(q, 7);
	}
	char six[INET6_ADDRSTRLEN];
	if (n->has_aaaa && inet_ntop(AF_INET6, n->aaaa, six, sizeof six))
		sqlite3_bind_text(q, 8, six, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 8);
	sqlite3_bind_int(q, 9, n->nxdomain);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, err, "writing a name");
	s->batch_names++;
	return 0;
}

int census_store_reply_put(struct census_store *s, const struct census_store_reply *r,
			   struct dw_error *err)
{
	if (s->ch)
		return census_ch_reply_put(s->ch, r, err);
	if (begin(s, err) ||
	    prepare(s, ST_REPLY, "INSERT INTO census_replies VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", err))
		return -1;
	sqlite3_stmt *q = s->st[ST_REPLY];
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)r->seq);
	sqlite3_bind_int(q, 3, r->qtype);
	sqlite3_bind_int(q, 4, (int)r->idx);
	sqlite3_bind_int(q, 5, r->group);
	sqlite3_bind_int(q, 6, r->ip_ttl);
	sqlite3_bind_int(q, 7, r->ip_id);
	sqlite3_bind_int(q, 8, r->df);
	sqlite3_bind_int(q, 9, r->flags);
	sqlite3_bind_int(q, 10, r->rcode);
	sqlite3_bind_int64(q, 11, r->answer_ttl);
	sqlite3_bind_text(q, 12, r->addrs, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return fail(s, err, "writing a reply");
	return 0;
}

int census_store_group(struct census_store *s, const char *fingerprint, int *id, struct dw_error *err)
{
	if (s->ch)
		return census_ch_group(s->ch, fingerprint, id, err);
	sqlite3_stmt *q;
	*id = 0;
	if (begin(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "SELECT id FROM census_groups WHERE run = ? AND fingerprint = ?", -1, &q,
			       NULL) != SQLITE_OK)
		return fail(s, err, "reading the groups");
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_text(q, 2, fingerprint, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		*id = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (*id)
		return 0;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO census_groups (run, id, fingerprint) VALUES (?1,"
				     " (SELECT coalesce(max(id), 0) + 1 FROM census_groups WHERE run = ?1), ?2)",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "adding a group");
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_text(q, 2, fingerprint, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return fail(s, err, "adding a group");
	return census_store_group(s, fingerprint, id, err);
}

int census_store_group_totals(struct census_store *s, int id, uint64_t replies, const char *addrs,
			      struct dw_error *err)
{
	if (s->ch)
		return census_ch_group_totals(s->ch, id, replies, addrs, err);
	sqlite3_stmt *q;
	if (begin(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "UPDATE census_groups SET replies = ?, addrs = ? WHERE run = ? AND id = ?",
			       -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "writing a group");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)replies);
	sqlite3_bind_text(q, 2, addrs, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, s->run);
	sqlite3_bind_int(q, 4, id);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(s, err, "writing a group");
}

static uint32_t parse_a(const unsigned char *t)
{
	unsigned a, b, c, d;
	if (!t || sscanf((const char *)t, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	return a << 24 | (b & 255) << 16 | (c & 255) << 8 | (d & 255);
}

int census_store_names(struct census_store *s, int64_t run, bool censored_only,
		       int (*fn)(void *ctx, const struct census_store_name *n), void *ctx,
		       struct dw_error *err)
{
	if (s->ch)
		return census_ch_names(s->ch, run, censored_only, fn, ctx, err);
	sqlite3_stmt *q;
	if (census_store_flush(s, err))
		return -1;
	const char *sql = censored_only
				  ? "SELECT seq, line, name, censored, replies, a, nxdomain, aaaa FROM census_names"
				    " WHERE run = ? AND censored != 0 ORDER BY seq"
				  : "SELECT seq, line, name, censored, replies, a, nxdomain, aaaa FROM census_names"
				    " WHERE run = ? ORDER BY seq";
	if (sqlite3_prepare_v2(s->h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "reading the names");
	sqlite3_bind_int64(q, 1, run);
	int rc, stop = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct census_store_name n = {
			.seq = (uint64_t)sqlite3_column_int64(q, 0), .line = (uint32_t)sqlite3_column_int64(q, 1),
			.name = (const char *)sqlite3_column_text(q, 2), .censored = (uint8_t)sqlite3_column_int(q, 3),
			.replies = (unsigned)sqlite3_column_int(q, 4), .a = parse_a(sqlite3_column_text(q, 5)),
			.nxdomain = sqlite3_column_int(q, 6) != 0};
		const unsigned char *six = sqlite3_column_text(q, 7);
		n.has_aaaa = six && inet_pton(AF_INET6, (const char *)six, n.aaaa) == 1;
		if ((stop = fn(ctx, &n)) != 0)
			break;
	}
	if (!stop && rc != SQLITE_DONE) {
		fail(s, err, "reading the names");
		sqlite3_finalize(q);
		return -1;
	}
	sqlite3_finalize(q);
	return stop;
}

int census_store_rule_put(struct census_store *s, const struct census_store_rule *r,
			  struct dw_error *err)
{
	if (s->ch)
		return census_ch_rule_put(s->ch, r, err);
	sqlite3_stmt *q;
	if (begin(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO census_rules VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q,
			       NULL) != SQLITE_OK)
		return fail(s, err, "writing a rule");
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_text(q, 2, r->pattern, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, r->pass);
	sqlite3_bind_text(q, 5, r->qtypes, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, r->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 8, (int)r->probes);
	sqlite3_bind_int(q, 9, (int)r->blocked);
	sqlite3_bind_int64(q, 10, (sqlite3_int64)r->names);
	sqlite3_bind_int64(q, 11, (sqlite3_int64)r->overblocked);
	sqlite3_bind_text(q, 12, r->evidence, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(s, err, "writing a rule");
}

int census_store_overblocked_put(struct census_store *s, const char *name, const char *pattern,
				 struct dw_error *err)
{
	if (s->ch)
		return census_ch_overblocked_put(s->ch, name, pattern, err);
	sqlite3_stmt *q;
	if (begin(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO census_overblocked VALUES (?,?,?)", -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "writing an over-blocked name");
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, pattern, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(s, err, "writing an over-blocked name");
}

int census_store_pool_put(struct census_store *s, const struct census_store_pool *p,
			  struct dw_error *err)
{
	if (s->ch)
		return census_ch_pool_put(s->ch, p, err);
	sqlite3_stmt *q;
	if (begin(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->h, "INSERT INTO census_pools VALUES (?,?,?,?,?,?,?,?,?)", -1, &q, NULL) !=
	    SQLITE_OK)
		return fail(s, err, "writing a pool");
	sqlite3_bind_int64(q, 1, s->run);
	sqlite3_bind_text(q, 2, p->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, (int)p->queries);
	sqlite3_bind_int(q, 5, (int)p->replies);
	sqlite3_bind_int(q, 6, (int)p->distinct);
	sqlite3_bind_int(q, 7, (int)p->length);
	sqlite3_bind_int(q, 8, p->confirmed);
	sqlite3_bind_text(q, 9, p->order, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : fail(s, err, "writing a pool");
}

/* ---- diff -------------------------------------------------------------------- */

const char *census_change_name(enum census_change c)
{
	static const char *const n[] = {"newly_censored", "no_longer_censored", "rule_added", "rule_removed",
					"pool_changed"};
	return c < CENSUS_CHANGE_COUNT ? n[c] : "?";
}

int census_store_diff(struct census_store *s, const char *old_path, int64_t old_run,
		      int (*fn)(void *ctx, enum census_change c, const char *a, const char *b), void *ctx,
		      struct dw_error *err)
{
	if (s->ch)
		return census_ch_diff(s->ch, old_path, old_run, fn, ctx, err);
	int64_t now_run;
	if (census_store_flush(s, err) || census_store_run_last(s, &now_run, err))
		return -1;
	if (!now_run)
		return dw_error_set(err, DW_E_NORUN, "census store: %s: no finished census", s->path);
	if (ch_url_is(old_path))
		return dw_error_set(err, DW_E_INVALID,
				    "census store: %s is ClickHouse and %s SQLite: compare two stores of one kind",
				    old_path, s->path);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->h, "ATTACH DATABASE ? AS old", -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "attaching the old store");
	sqlite3_bind_text(q, 1, old_path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return dw_error_set(err, DW_E_DB, "census store: %s: %s while opening it", old_path,
				    sqlite3_errmsg(s->h));
	rc = -1;
	if (old_run)
		goto have_old;
	if (sqlite3_prepare_v2(s->h, "SELECT max(id) FROM old.census_runs WHERE status = 'finished'", -1, &q,
			       NULL) != SQLITE_OK) {
		dw_error_set(err, DW_E_EMPTY, "census store: %s: holds no census", old_path);
		goto out;
	}
	if (sqlite3_step(q) == SQLITE_ROW)
		old_run = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (!old_run) {
		dw_error_set(err, DW_E_NORUN, "census store: %s: no finished census", old_path);
		goto out;
	}
have_old:;
	static const char *const sql[] = {
		/* newly censored */
		"SELECT n.name, '' FROM main.census_names n WHERE n.run = ?2 AND n.censored != 0 AND NOT EXISTS"
		" (SELECT 1 FROM old.census_names o WHERE o.run = ?1 AND o.name = n.name AND o.censored != 0)"
		" ORDER BY n.name",
		/* no longer censored */
		"SELECT o.name, CASE WHEN EXISTS (SELECT 1 FROM main.census_names n WHERE n.run = ?2 AND"
		" n.name = o.name) THEN 'tested' ELSE 'not tested' END FROM old.census_names o"
		" WHERE o.run = ?1 AND o.censored != 0 AND NOT EXISTS (SELECT 1 FROM main.census_names n"
		" WHERE n.run = ?2 AND n.name = o.name AND n.censored != 0) ORDER BY o.name",
		/* rules added */
		"SELECT pattern, trim(qtypes || CASE WHEN pass THEN ' pass' ELSE '' END) FROM main.census_rules r"
		" WHERE run = ?2 AND NOT EXISTS (SELECT 1 FROM old.census_rules o WHERE o.run = ?1 AND"
		" o.pattern = r.pattern AND o.pass = r.pass AND o.qtypes = r.qtypes) ORDER BY pattern",
		/* rules removed */
		"SELECT pattern, trim(qtypes || CASE WHEN pass THEN ' pass' ELSE '' END) FROM old.census_rules r"
		" WHERE run = ?1 AND NOT EXISTS (SELECT 1 FROM main.census_rules n WHERE n.run = ?2 AND"
		" n.pattern = r.pattern AND n.pass = r.pass AND n.qtypes = r.qtypes) ORDER BY pattern",
		/* pools: by fingerprint, changed, new or gone */
		"SELECT coalesce(n.fingerprint, o.fingerprint), coalesce(o.length, 0) || ' ' ||"
		" coalesce(n.length, 0) || ' ' || CASE WHEN o.ord IS NULL THEN 'new' WHEN n.ord IS NULL"
		" THEN 'gone' ELSE 'reordered' END FROM (SELECT * FROM main.census_pools WHERE run = ?2) n"
		" FULL OUTER JOIN (SELECT * FROM old.census_pools WHERE run = ?1) o"
		" ON n.fingerprint = o.fingerprint WHERE n.ord IS NULL OR o.ord IS NULL OR n.ord != o.ord"
		" OR n.length != o.length ORDER BY 1"};
	for (int c = 0; c < CENSUS_CHANGE_COUNT; c++) {
		if (sqlite3_prepare_v2(s->h, sql[c], -1, &q, NULL) != SQLITE_OK) {
			fail(s, err, "comparing the two censuses");
			goto out;
		}
		sqlite3_bind_int64(q, 1, old_run);
		sqlite3_bind_int64(q, 2, now_run);
		int r;
		bool stop = false;
		while (!stop && (r = sqlite3_step(q)) == SQLITE_ROW)
			stop = fn(ctx, (enum census_change)c, (const char *)sqlite3_column_text(q, 0),
				  (const char *)sqlite3_column_text(q, 1)) != 0;
		sqlite3_finalize(q);
		if (!stop && r != SQLITE_DONE) {
			fail(s, err, "comparing the two censuses");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_exec(s->h, "DETACH DATABASE old", NULL, NULL, NULL);
	return rc;
}

/* ---- the report's reading ------------------------------------------------------ */

static int64_t one_int(struct census_store *s, const char *sql, int64_t run, int *bad)
{
	sqlite3_stmt *q;
	int64_t v = 0;
	if (sqlite3_prepare_v2(s->h, sql, -1, &q, NULL) != SQLITE_OK) {
		*bad = 1;
		return 0;
	}
	sqlite3_bind_int64(q, 1, run);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

int census_store_summary(struct census_store *s, struct census_store_summary *sum, struct dw_error *err)
{
	if (s->ch)
		return census_ch_summary(s->ch, sum, err);
	int bad = 0;
	memset(sum, 0, sizeof *sum);
	if (census_store_flush(s, err) || census_store_run_last(s, &sum->run, err))
		return -1;
	if (!sum->run)
		return 0;
	sum->previous = one_int(s, "SELECT coalesce(max(id), 0) FROM census_runs WHERE status = 'finished' AND id < ?",
				sum->run, &bad);
	sum->names = (uint64_t)one_int(s, "SELECT count(*) FROM census_names WHERE run = ?", sum->run, &bad);
	sum->censored = (uint64_t)one_int(s, "SELECT count(*) FROM census_names WHERE run = ? AND censored != 0",
					  sum->run, &bad);
	sum->replies = (uint64_t)one_int(s, "SELECT count(*) FROM census_replies WHERE run = ?", sum->run, &bad);
	sum->groups = (uint64_t)one_int(s, "SELECT count(*) FROM census_groups WHERE run = ?", sum->run, &bad);
	sum->rules = (uint64_t)one_int(s, "SELECT count(*) FROM census_rules WHERE run = ?", sum->run, &bad);
	sum->overblocked = (uint64_t)one_int(s, "SELECT count(*) FROM census_overblocked WHERE run = ?", sum->run, &bad);
	sum->pools = (uint64_t)one_int(s, "SELECT count(*) FROM census_pools WHERE run = ?", sum->run, &bad);
	return bad ? fail(s, err, "reading the census's counts") : 0;
}

int census_store_rows(struct census_store *s, int64_t run, const char *what, unsigned limit,
		      int (*fn)(void *ctx, int ncols, const char *const *cols), void *ctx, struct dw_error *err)
{
	if (s->ch)
		return census_ch_rows(s->ch, run, what, limit, fn, ctx, err);
	const char *sql = !strcmp(what, "rules")
				  ? "SELECT pattern, qtypes, pass, names, overblocked FROM census_rules WHERE run = ?"
				    " ORDER BY names DESC, pattern LIMIT ?"
			  : !strcmp(what, "overblocked")
				  ? "SELECT name, pattern FROM census_overblocked WHERE run = ? ORDER BY name LIMIT ?"
			  : !strcmp(what, "pools")
				  ? "SELECT fingerprint, length, distinct_addrs, queries, confirmed FROM census_pools"
				    " WHERE run = ? ORDER BY fingerprint LIMIT ?"
				  : NULL;
	sqlite3_stmt *q;
	if (!sql)
		return dw_error_set(err, DW_E_INVALID, "census store: no rows called %s", what);
	if (sqlite3_prepare_v2(s->h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(s, err, "reading the census");
	sqlite3_bind_int64(q, 1, run);
	sqlite3_bind_int64(q, 2, limit);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *col[8];
		int n = sqlite3_column_count(q);
		for (int i = 0; i < n && i < 8; i++) {
			col[i] = (const char *)sqlite3_column_text(q, i);
			if (!col[i])
				col[i] = "";
		}
		if (fn(ctx, n < 8 ? n : 8, col))
			break;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, err, "reading the census");
}
