/* The census's tables in ClickHouse (census_ch.h, docs/store.md). */
#include "store/census_ch.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clickhouse.h"
#include "util/clock.h"

/* The tables: the SQLite census tables' columns, with the vantage point,
 * the run's start as a DateTime (the partition), and a version where a row
 * is written again (a run finished, a group's totals). */
static const struct {
	const char *name, *columns, *order;
} tables[] = {
	{"census_runs",
	 "vantage String, run UInt64, version UInt64, started DateTime, finished_us UInt64, status String,"
	 " cmdline String, targets String, qtypes String",
	 "ReplacingMergeTree(version) PARTITION BY toYYYYMM(started) ORDER BY (vantage, run)"},
	{"census_names",
	 "vantage String, run UInt64, started DateTime, seq UInt64, line UInt32, name String,"
	 " censored UInt8, replies UInt32, a String, aaaa String, nxdomain UInt8",
	 "ReplacingMergeTree PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, seq)"},
	{"census_replies",
	 "vantage String, run UInt64, started DateTime, seq UInt64, qtype UInt16, idx UInt16, grp Int32,"
	 " ip_ttl UInt8, ip_id UInt16, df UInt8, flags UInt16, rcode UInt16, answer_ttl UInt32, addrs String",
	 "ReplacingMergeTree PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, seq, qtype, idx)"},
	{"census_groups",
	 "vantage String, run UInt64, started DateTime, id Int32, version UInt64, fingerprint String,"
	 " replies UInt64, addrs String",
	 "ReplacingMergeTree(version) PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, id)"},
	{"census_rules",
	 "vantage String, run UInt64, started DateTime, pattern String, kind String, pass UInt8,"
	 " qtypes String, action String, from_name String, probes UInt32, blocked UInt32, names UInt64,"
	 " overblocked UInt64, evidence String",
	 "ReplacingMergeTree PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, pattern, kind, qtypes, pass)"},
	{"census_overblocked",
	 "vantage String, run UInt64, started DateTime, name String, pattern String",
	 "ReplacingMergeTree PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, name, pattern)"},
	{"census_pools",
	 "vantage String, run UInt64, started DateTime, fingerprint String, name String, queries UInt32,"
	 " replies UInt32, distinct_addrs UInt32, length UInt32, confirmed UInt8, ord String",
	 "ReplacingMergeTree PARTITION BY toYYYYMM(started) ORDER BY (vantage, run, fingerprint, name)"},
};

enum { B_REPLIES, B_NAMES, B_RULES, B_OVER, B_POOLS, B_COUNT };
static const char *const btable[B_COUNT] = {"census_replies", "census_names", "census_rules",
					    "census_overblocked", "census_pools"};

struct group {
	int id;
	char *fp;
};

struct census_ch {
	struct ch_store *ch;
	char url[512];
	char vq[300];          /* the vantage point as an SQL literal */
	const char *db;
	int64_t run;
	char *cmdline, *targets, *qtypes;
	struct ch_buf b[B_COUNT];
	unsigned batch_names;
	uint64_t batch_start_us;
	struct group *groups;
	size_t ngroups, gcap;
};

static int fail(struct census_ch *s, struct dw_error *err)
{
	const struct dw_error *e = ch_error(s->ch);
	return dw_error_set(err, e->status ? e->status : DW_E_DB, "%s", e->text);
}

static void groups_free(struct census_ch *s)
{
	for (size_t i = 0; i < s->ngroups; i++)
		free(s->groups[i].fp);
	free(s->groups);
	s->groups = NULL;
	s->ngroups = s->gcap = 0;
}

static int group_add(struct census_ch *s, int id, const char *fp)
{
	if (s->ngroups == s->gcap) {
		size_t nc = s->gcap ? s->gcap * 2 : 16;
		struct group *ng = realloc(s->groups, nc * sizeof *ng);
		if (!ng)
			return -1;
		s->groups = ng;
		s->gcap = nc;
	}
	char *d = strdup(fp);
	if (!d)
		return -1;
	s->groups[s->ngroups++] = (struct group){.id = id, .fp = d};
	return 0;
}

static int on_count(void *ctx, char **f, size_t n)
{
	*(long long *)ctx = n ? strtoll(f[0], NULL, 10) : 0;
	return 1;
}

static int count(struct census_ch *s, const char *sql, long long *v, struct dw_error *err)
{
	*v = 0;
	return ch_select(s->ch, sql, on_count, v) == DW_OK ? 0 : fail(s, err);
}

int census_ch_open(struct census_ch **out, const char *url, bool readonly, struct dw_error *err)
{
	*out = NULL;
	struct census_ch *s = calloc(1, sizeof *s);
	if (!s)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	snprintf(s->url, sizeof s->url, "%s", url);
	struct ch_opts co = {.readonly = readonly, .no_schema = readonly, .errlog = stderr,
			     .errlog_notes_only = true};
	struct dw_error e;
	if (ch_open(&s->ch, url, &co, &e) != DW_OK) {
		free(s);
		return dw_error_set(err, e.status, "%s", e.text);
	}
	s->db = ch_database(s->ch);
	ch_sql_str(s->vq, sizeof s->vq, ch_vantage(s->ch));
	int rc = 0;
	if (readonly) {
		char sql[256], d[100];
		long long n;
		ch_sql_str(d, sizeof d, s->db);
		snprintf(sql, sizeof sql,
			 "SELECT count() FROM system.tables WHERE database = %s AND name = 'census_runs'", d);
		rc = count(s, sql, &n, err);
		if (!rc && !n)
			rc = dw_error_set(err, DW_E_EMPTY, "census store: %s: holds no census", url);
	} else {
		for (size_t i = 0; !rc && i < sizeof tables / sizeof tables[0]; i++)
			if (ch_table_ensure(s->ch, tables[i].name, tables[i].columns, tables[i].order) != DW_OK)
				rc = fail(s, err);
	}
	if (rc) {
		enum dw_status ign = ch_close(s->ch);
		(void)ign;
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* The batches to the store's sender: replies before names (a name posted
 * means its replies are in). */
static int hand_over(struct census_ch *s, struct dw_error *err)
{
	for (int i = 0; i < B_COUNT; i++) {
		if (s->b[i].oom) {
			for (int k = 0; k < B_COUNT; k++)
				ch_buf_free(&s->b[k]);
			return dw_error_set(err, DW_E_NOMEM, "census store: %s: out of memory while batching rows",
					    s->url);
		}
	}
	for (int i = 0; i < B_COUNT; i++)
		if (s->b[i].n && ch_insert_rows(s->ch, btable[i], &s->b[i]) != DW_OK)
			return fail(s, err);
	s->batch_names = 0;
	return 0;
}

int census_ch_flush(struct census_ch *s, struct dw_error *err)
{
	if (hand_over(s, err))
		return -1;
	return ch_flush(s->ch) == DW_OK ? 0 : fail(s, err);
}

int census_ch_tick(struct census_ch *s, struct dw_error *err)
{
	if (s->batch_names && (s->batch_names >= CENSUS_STORE_BATCH ||
			       util_mono_us() - s->batch_start_us > 1000000))
		return hand_over(s, err);
	return ch_tick(s->ch) == DW_OK ? 0 : fail(s, err);
}

int census_ch_close(struct census_ch *s, struct dw_error *err)
{
	if (!s)
		return 0;
	int rc = hand_over(s, err);
	if (ch_close(s->ch) != DW_OK && !rc)
		rc = fail(s, err);
	for (int i = 0; i < B_COUNT; i++)
		ch_buf_free(&s->b[i]);
	groups_free(s);
	free(s->cmdline);
	free(s->targets);
	free(s->qtypes);
	free(s);
	return rc;
}

/* The head of every row of the run: vantage, run, started. */
static void head(struct census_ch *s, struct ch_buf *b)
{
	ch_buf_str(b, ch_vantage(s->ch));
	ch_buf_printf(b, "\t%" PRId64 "\t" CH_DT_FMT "\t", s->run, (unsigned long long)(s->run / 1000000));
}

static int put_run_row(struct census_ch *s, const char *status, uint64_t finished_us, struct dw_error *err)
{
	struct ch_buf b = {0};
	ch_buf_str(&b, ch_vantage(s->ch));
	ch_buf_printf(&b, "\t%" PRId64 "\t%" PRIu64 "\t" CH_DT_FMT "\t%" PRIu64 "\t", s->run, util_real_us(),
		      (unsigned long long)(s->run / 1000000), finished_us);
	const char *t[] = {status, s->cmdline, s->targets, s->qtypes};
	for (int i = 0; i < 4; i++) {
		ch_buf_str(&b, t[i]);
		ch_buf_printf(&b, i < 3 ? "\t" : "\n");
	}
	if (b.oom) {
		ch_buf_free(&b);
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	return ch_insert_rows(s->ch, "census_runs", &b) == DW_OK ? 0 : fail(s, err);
}

static int set_run_text(struct census_ch *s, const char *cmdline, const char *targets, const char *qtypes)
{
	free(s->cmdline);
	free(s->targets);
	free(s->qtypes);
	s->cmdline = strdup(cmdline);
	s->targets = strdup(targets);
	s->qtypes = strdup(qtypes);
	return s->cmdline && s->targets && s->qtypes ? 0 : -1;
}

int census_ch_run_begin(struct census_ch *s, const char *cmdline, const char *targets, const char *qtypes,
			int64_t *run, struct dw_error *err)
{
	if (census_ch_flush(s, err))
		return -1;
	if (set_run_text(s, cmdline, targets, qtypes))
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	groups_free(s);
	/* the run's id: its start in microseconds, as the prober's runs */
	s->run = *run = (int64_t)util_real_us();
	if (put_run_row(s, "running", 0, err))
		return -1;
	/* the run's row stored before any name of it */
	return ch_flush(s->ch) == DW_OK ? 0 : fail(s, err);
}

struct unfinished {
	int64_t run;
	char cmdline[2048], targets[1024], qtypes[128];
};

static int on_unfinished(void *ctx, char **f, size_t n)
{
	struct unfinished *u = ctx;
	if (n >= 4) {
		u->run = strtoll(f[0], NULL, 10);
		snprintf(u->targets, sizeof u->targets, "%s", f[1]);
		snprintf(u->qtypes, sizeof u->qtypes, "%s", f[2]);
		snprintf(u->cmdline, sizeof u->cmdline, "%s", f[3]);
	}
	return 1;
}

int census_ch_run_unfinished(struct census_ch *s, int64_t *run, char *targets, size_t tcap, char *qtypes,
			     size_t qcap, struct dw_error *err)
{
	*run = 0;
	if (ch_orphans_left(s->ch))
		return dw_error_set(err, DW_E_STATE,
				    "census store: %s: a spool of an earlier writer is not drained yet (the server "
				    "went away): its names would be probed again",
				    s->url);
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "SELECT run, argMax(targets, version), argMax(qtypes, version), argMax(cmdline, version),"
		 " argMax(status, version) AS st FROM %s.census_runs WHERE vantage = %s GROUP BY run"
		 " HAVING st = 'running' ORDER BY run DESC LIMIT 1",
		 s->db, s->vq);
	struct unfinished *u = calloc(1, sizeof *u);
	if (!u)
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	if (ch_select(s->ch, sql, on_unfinished, u) != DW_OK) {
		free(u);
		return fail(s, err);
	}
	*run = u->run;
	snprintf(targets, tcap, "%s", u->targets);
	snprintf(qtypes, qcap, "%s", u->qtypes);
	int rc = 0;
	if (u->run && set_run_text(s, u->cmdline, u->targets, u->qtypes))
		rc = dw_error_set(err, DW_E_NOMEM, "out of memory");
	free(u);
	return rc;
}

static int on_group(void *ctx, char **f, size_t n)
{
	struct census_ch *s = ctx;
	return n < 2 || group_add(s, atoi(f[0]), f[1]) ? 1 : 0;
}

int census_ch_run_use(struct census_ch *s, int64_t run, struct dw_error *err)
{
	if (census_ch_flush(s, err))
		return -1;
	s->run = run;
	groups_free(s);
	char sql[2048];
	/* the run's groups, so their ids stay what the stored replies say */
	snprintf(sql, sizeof sql,
		 "SELECT id, argMax(fingerprint, version) FROM %s.census_groups WHERE vantage = %s AND run = %" PRId64
		 " GROUP BY id ORDER BY id", s->db, s->vq, run);
	if (ch_select(s->ch, sql, on_group, s) != DW_OK)
		return fail(s, err);
	/* replies whose name never went in (killed between the posts): gone,
	 * so that the name asked again leaves only its own */
	char where[1024];
	snprintf(where, sizeof where,
		 "vantage = %s AND run = %" PRId64 " AND seq NOT IN (SELECT seq FROM %s.census_names"
		 " WHERE vantage = %s AND run = %" PRId64 ")", s->vq, run, s->db, s->vq, run);
	if (ch_delete_where(s->ch, "census_replies", where, NULL) != DW_OK)
		return fail(s, err);
	return 0;
}

int census_ch_run_finish(struct census_ch *s, const char *status, struct dw_error *err)
{
	if (census_ch_flush(s, err))
		return -1;
	if (put_run_row(s, !strcmp(status, "finished") ? "finished" : "failed", util_real_us(), err))
		return -1;
	return ch_flush(s->ch) == DW_OK ? 0 : fail(s, err);
}

/* The last finished census of the database (every vantage point), before
 * BEFORE if it is not 0. */
static int last_finished(struct census_ch *s, const char *db, int64_t before, int64_t *run,
			 struct dw_error *err)
{
	char sql[512], w[64] = "";
	if (before)
		snprintf(w, sizeof w, " WHERE run < %" PRId64, before);
	snprintf(sql, sizeof sql,
		 "SELECT run FROM %s.census_runs%s GROUP BY vantage, run HAVING argMax(status, version) = 'finished'"
		 " ORDER BY run DESC LIMIT 1", db, w);
	long long v;
	if (count(s, sql, &v, err))
		return -1;
	*run = v;
	return 0;
}

int census_ch_run_last(struct census_ch *s, int64_t *run, struct dw_error *err)
{
	if (census_ch_flush(s, err))
		return -1;
	return last_finished(s, s->db, 0, run, err);
}

int census_ch_name_put(struct census_ch *s, const struct census_store_name *n, struct dw_error *err)
{
	struct ch_buf *b = &s->b[B_NAMES];
	if (!s->batch_names)
		s->batch_start_us = util_mono_us();
	head(s, b);
	ch_buf_printf(b, "%" PRIu64 "\t%" PRIu32 "\t", n->seq, n->line);
	ch_buf_str(b, n->name);
	ch_buf_printf(b, "\t%u\t%u\t", n->censored, n->replies);
	if (n->a)
		ch_buf_printf(b, "%u.%u.%u.%u", n->a >> 24, n->a >> 16 & 255, n->a >> 8 & 255, n->a & 255);
	char six[INET6_ADDRSTRLEN] = "";
	if (n->has_aaaa && !inet_ntop(AF_INET6, n->aaaa, six, sizeof six))
		six[0] = 0;
	ch_buf_printf(b, "\t%s\t%d\n", six, n->nxdomain ? 1 : 0);
	s->batch_names++;
	if (b->oom)
		return dw_error_set(err, DW_E_NOMEM, "census store: %s: out of memory while batching names", s->url);
	return 0;
}

int census_ch_reply_put(struct census_ch *s, const struct census_store_reply *r, struct dw_error *err)
{
	struct ch_buf *b = &s->b[B_REPLIES];
	head(s, b);
	ch_buf_printf(b, "%" PRIu64 "\t%u\t%u\t%d\t%u\t%u\t%d\t%u\t%u\t%" PRIu32 "\t", r->seq, r->qtype, r->idx,
		      r->group, r->ip_ttl, r->ip_id, r->df ? 1 : 0, r->flags, r->rcode, r->answer_ttl);
	ch_buf_str(b, r->addrs);
	ch_buf_printf(b, "\n");
	if (b->oom)
		return dw_error_set(err, DW_E_NOMEM, "census store: %s: out of memory while batching replies", s->url);
	return 0;
}

static int put_group_row(struct census_ch *s, int id, const char *fp, uint64_t replies, const char *addrs,
			 struct dw_error *err)
{
	struct ch_buf b = {0};
	head(s, &b);
	ch_buf_printf(&b, "%d\t%" PRIu64 "\t", id, util_real_us());
	ch_buf_str(&b, fp);
	ch_buf_printf(&b, "\t%" PRIu64 "\t", replies);
	ch_buf_str(&b, addrs);
	ch_buf_printf(&b, "\n");
	if (b.oom) {
		ch_buf_free(&b);
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	return ch_insert_rows(s->ch, "census_groups", &b) == DW_OK ? 0 : fail(s, err);
}

int census_ch_group(struct census_ch *s, const char *fingerprint, int *id, struct dw_error *err)
{
	int max = 0;
	for (size_t i = 0; i < s->ngroups; i++) {
		if (!strcmp(s->groups[i].fp, fingerprint)) {
			*id = s->groups[i].id;
			return 0;
		}
		if (s->groups[i].id > max)
			max = s->groups[i].id;
	}
	*id = max + 1;
	if (group_add(s, *id, fingerprint))
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	/* handed over now: ahead of the batches of replies that name it */
	return put_group_row(s, *id, fingerprint, 0, "", err);
}

int census_ch_group_totals(struct census_ch *s, int id, uint64_t replies, const char *addrs,
			   struct dw_error *err)
{
	for (size_t i = 0; i < s->ngroups; i++)
		if (s->groups[i].id == id)
			return put_group_row(s, id, s->groups[i].fp, replies, addrs, err);
	return dw_error_set(err, DW_E_INVALID, "census store: %s: no group %d in census %" PRId64, s->url, id,
			    s->run);
}

/* ---- reading ------------------------------------------------------------------------ */

struct names_ctx {
	int (*fn)(void *ctx, const struct census_store_name *n);
	void *ctx;
	int stop;
};

static uint32_t parse_a(const char *t)
{
	unsigned a, b, c, d;
	if (!t || sscanf(t, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	return a << 24 | (b & 255) << 16 | (c & 255) << 8 | (d & 255);
}

static int on_name(void *ctx, char **f, size_t n)
{
	struct names_ctx *x = ctx;
	if (n < 8)
		return 0;
	struct census_store_name r = {.seq = strtoull(f[0], NULL, 10), .line = (uint32_t)strtoul(f[1], NULL, 10),
				      .name = f[2], .censored = (uint8_t)atoi(f[3]),
				      .replies = (unsigned)strtoul(f[4], NULL, 10), .a = parse_a(f[5]),
				      .nxdomain = atoi(f[6]) != 0};
	r.has_aaaa = f[7][0] && inet_pton(AF_INET6, f[7], r.aaaa) == 1;
	return x->stop = x->fn(x->ctx, &r);
}

int census_ch_names(struct census_ch *s, int64_t run, bool censored_only,
		    int (*fn)(void *ctx, const struct census_store_name *n), void *ctx, struct dw_error *err)
{
	if (census_ch_flush(s, err))
		return -1;
	char sql[2048];
	snprintf(sql, sizeof sql,
		 "SELECT seq, line, name, censored, replies, a, nxdomain, aaaa FROM %s.census_names FINAL"
		 " WHERE run = %" PRId64 "%s ORDER BY seq", s->db, run, censored_only ? " AND censored != 0" : "");
	struct names_ctx x = {.fn = fn, .ctx = ctx};
	if (ch_select(s->ch, sql, on_name, &x) != DW_OK)
		return fail(s, err);
	return x.stop;
}

int census_ch_rule_put(struct census_ch *s, const struct census_store_rule *r, struct dw_error *err)
{
	struct ch_buf *b = &s->b[B_RULES];
	head(s, b);
	ch_buf_str(b, r->pattern);
	ch_buf_printf(b, "\t");
	ch_buf_str(b, r->kind);
	ch_buf_printf(b, "\t%d\t", r->pass ? 1 : 0);
	const char *t[] = {r->qtypes, r->action, r->from};
	for (int i = 0; i < 3; i++) {
		ch_buf_str(b, t[i]);
		ch_buf_printf(b, "\t");
	}
	ch_buf_printf(b, "%u\t%u\t%" PRIu64 "\t%" PRIu64 "\t", r->probes, r->blocked, r->names, r->overblocked);
	ch_buf_str(b, r->evidence);
	ch_buf_printf(b, "\n");
	return b->oom ? dw_error_set(err, DW_E_NOMEM, "out of memory") : 0;
}

int census_ch_overblocked_put(struct census_ch *s, const char *name, const char *pattern,
			      struct dw_error *err)
{
	struct ch_buf *b = &s->b[B_OVER];
	head(s, b);
	ch_buf_str(b, name);
	ch_buf_printf(b, "\t");
	ch_buf_str(b, pattern);
	ch_buf_printf(b, "\n");
	return b->oom ? dw_error_set(err, DW_E_NOMEM, "out of memory") : 0;
}

int census_ch_pool_put(struct census_ch *s, const struct census_store_pool *p, struct dw_error *err)
{
	struct ch_buf *b = &s->b[B_POOLS];
	head(s, b);
	ch_buf_str(b, p->fingerprint);
	ch_buf_printf(b, "\t");
	ch_buf_str(b, p->name);
	ch_buf_printf(b, "\t%u\t%u\t%u\t%u\t%d\t", p->queries, p->replies, p->distinct, p->length,
		      p->confirmed ? 1 : 0);
	ch_buf_str(b, p->order);
	ch_buf_printf(b, "\n");
	return b->oom ? dw_error_set(err, DW_E_NOMEM, "out of memory") : 0;
}

/* ---- diff ----------------------------------------------------------------------------- */

struct change_ctx {
	int (*fn)(void *ctx, enum census_change c, const char *a, const char *b);
	void *ctx;
	enum census_change c;
	int stop;
};

static int on_change(void *ctx, char **f, size_t n)
{
	struct change_ctx *x = ctx;
	if (n < 2)
		return 0;
	return x->stop = x->fn(x->ctx, x->c, f[0], f[1]);
}

struct pool_row {
	char *fp, *ord;
	long length;
};
struct pools {
	struct pool_row *r;
	size_t n, cap;
	bool oom;
};

static int on_pool(void *ctx, char **f, size_t n)
{
	struct pools *p = ctx;
	if (n < 3)
		return 0;
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		struct pool_row *nr = realloc(p->r, nc * sizeof *nr);
		if (!nr) {
			p->oom = true;
			return 1;
		}
		p->r = nr;
		p->cap = nc;
	}
	struct pool_row *r = &p->r[p->n];
	r->fp = strdup(f[0]);
	r->length = atol(f[1]);
	r->ord = strdup(f[2]);
	if (!r->fp || !r->ord) {
		free(r->fp);
		free(r->ord);
		p->oom = true;
		return 1;
	}
	p->n++;
	return 0;
}

static void pools_free(struct pools *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->r[i].fp);
		free(p->r[i].ord);
	}
	free(p->r);
}

/* The pools by fingerprint: changed, new or gone (as the SQLite store's
 * FULL OUTER JOIN), both lists in fingerprint order. */
static int pools_diff(const struct pools *o, const struct pools *n, struct change_ctx *x)
{
	size_t i = 0, k = 0;
	char b[64];
	while (i < o->n || k < n->n) {
		int c = i == o->n ? 1 : k == n->n ? -1 : strcmp(o->r[i].fp, n->r[k].fp);
		const char *fp;
		if (c < 0) {
			snprintf(b, sizeof b, "%ld 0 gone", o->r[i].length);
			fp = o->r[i++].fp;
		} else if (c > 0) {
			snprintf(b, sizeof b, "0 %ld new", n->r[k].length);
			fp = n->r[k++].fp;
		} else {
			bool same = o->r[i].length == n->r[k].length && !strcmp(o->r[i].ord, n->r[k].ord);
			snprintf(b, sizeof b, "%ld %ld reordered", o->r[i].length, n->r[k].length);
			fp = n->r[k].fp;
			i++;
			k++;
			if (same)
				continue;
		}
		if (x->fn(x->ctx, CENSUS_POOL_CHANGED, fp, b))
			return 1;
	}
	return 0;
}

/* "clickhouse://HOST:PORT/" of URL (its server), to tell two apart. */
static void server_of(const char *url, char *out, size_t cap)
{
	const char *slash = strrchr(url, '/');
	size_t n = slash ? (size_t)(slash - url) : strlen(url);
	snprintf(out, cap, "%.*s", (int)n, url);
}

int census_ch_diff(struct census_ch *s, const char *old_url, int64_t old_run,
		   int (*fn)(void *ctx, enum census_change c, const char *a, const char *b), void *ctx,
		   struct dw_error *err)
{
	int64_t now_run;
	if (census_ch_run_last(s, &now_run, err))
		return -1;
	if (!now_run)
		return dw_error_set(err, DW_E_NORUN, "census store: %s: no finished census", s->url);
	if (!ch_url_is(old_url))
		return dw_error_set(err, DW_E_INVALID,
				    "census store: %s is SQLite and %s ClickHouse: compare two stores of one kind",
				    old_url, s->url);
	char a[512], b[512];
	server_of(old_url, a, sizeof a);
	server_of(s->url, b, sizeof b);
	struct census_ch *o;
	if (strcmp(a, b))
		return dw_error_set(err, DW_E_INVALID,
				    "census store: %s and %s are on two servers: compare databases of one server",
				    old_url, s->url);
	if (census_ch_open(&o, old_url, true, err))
		return -1;
	const char *od = ch_database(o->ch);
	int rc = -1;
	if (!old_run && last_finished(o, od, 0, &old_run, err))
		goto out;
	if (!old_run) {
		dw_error_set(err, DW_E_NORUN, "census store: %s: no finished census", old_url);
		goto out;
	}
	char sql[2048];
	const char *nd = s->db;
	struct change_ctx x = {.fn = fn, .ctx = ctx};
	for (int c = 0; c < CENSUS_POOL_CHANGED && !x.stop; c++) {
		switch (c) {
		case CENSUS_NEWLY_CENSORED:
			snprintf(sql, sizeof sql,
				 "SELECT name, '' FROM %s.census_names FINAL WHERE run = %" PRId64 " AND censored != 0"
				 " AND name NOT IN (SELECT name FROM %s.census_names FINAL WHERE run = %" PRId64
				 " AND censored != 0) ORDER BY name", nd, now_run, od, old_run);
			break;
		case CENSUS_NO_LONGER:
			snprintf(sql, sizeof sql,
				 "SELECT name, if(name IN (SELECT name FROM %s.census_names WHERE run = %" PRId64 "),"
				 " 'tested', 'not tested') FROM %s.census_names FINAL WHERE run = %" PRId64
				 " AND censored != 0 AND name NOT IN (SELECT name FROM %s.census_names FINAL"
				 " WHERE run = %" PRId64 " AND censored != 0) ORDER BY name",
				 nd, now_run, od, old_run, nd, now_run);
			break;
		default: {
			bool added = c == CENSUS_RULE_ADDED;
			snprintf(sql, sizeof sql,
				 "SELECT pattern, if(pass != 0, if(qtypes = '', 'pass', concat(qtypes, ' pass')), qtypes)"
				 " FROM %s.census_rules FINAL WHERE run = %" PRId64 " AND (pattern, pass, qtypes) NOT IN"
				 " (SELECT pattern, pass, qtypes FROM %s.census_rules FINAL WHERE run = %" PRId64 ")"
				 " ORDER BY pattern",
				 added ? nd : od, added ? now_run : old_run, added ? od : nd, added ? old_run : now_run);
		}
		}
		x.c = (enum census_change)c;
		if (ch_select(s->ch, sql, on_change, &x) != DW_OK) {
			fail(s, err);
			goto out;
		}
	}
	if (!x.stop) {
		struct pools po = {0}, pn = {0};
#define POOLS_SQL "SELECT fingerprint, any(length), any(ord) FROM %s.census_pools FINAL WHERE run = %" \
		  PRId64 " GROUP BY fingerprint ORDER BY fingerprint"
		char q1[512], q2[512];
		snprintf(q1, sizeof q1, POOLS_SQL, od, old_run);
		snprintf(q2, sizeof q2, POOLS_SQL, nd, now_run);
#undef POOLS_SQL
		if (ch_select(s->ch, q1, on_pool, &po) != DW_OK || ch_select(s->ch, q2, on_pool, &pn) != DW_OK) {
			fail(s, err);
			pools_free(&po);
			pools_free(&pn);
			goto out;
		}
		if (po.oom || pn.oom) {
			dw_error_set(err, DW_E_NOMEM, "out of memory");
			pools_free(&po);
			pools_free(&pn);
			goto out;
		}
		x.c = CENSUS_POOL_CHANGED;
		pools_diff(&po, &pn, &x);
		pools_free(&po);
		pools_free(&pn);
	}
	rc = 0;
out:;
	struct dw_error e2;
	census_ch_close(o, &e2);
	return rc;
}

int census_ch_summary(struct census_ch *s, struct census_store_summary *sum, struct dw_error *err)
{
	memset(sum, 0, sizeof *sum);
	if (census_ch_run_last(s, &sum->run, err))
		return -1;
	if (!sum->run)
		return 0;
	if (last_finished(s, s->db, sum->run, &sum->previous, err))
		return -1;
	char sql[2048];
	long long v;
	const char *d = s->db;
	const int64_t r = sum->run;
	uint64_t *out[] = {&sum->names, &sum->censored, &sum->replies, &sum->groups, &sum->rules,
			   &sum->overblocked, &sum->pools};
	for (int i = 0; i < 7; i++) {
		switch (i) {
		case 0: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_names FINAL WHERE run = %" PRId64, d, r); break;
		case 1: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_names FINAL WHERE run = %" PRId64
				 " AND censored != 0", d, r); break;
		/* replies of names stored only (a name's replies go in before it) */
		case 2: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_replies FINAL WHERE run = %" PRId64
				 " AND seq IN (SELECT seq FROM %s.census_names WHERE run = %" PRId64 ")", d, r, d, r); break;
		case 3: snprintf(sql, sizeof sql, "SELECT uniqExact(id) FROM %s.census_groups WHERE run = %" PRId64, d, r); break;
		case 4: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_rules FINAL WHERE run = %" PRId64, d, r); break;
		case 5: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_overblocked FINAL WHERE run = %" PRId64, d, r); break;
		default: snprintf(sql, sizeof sql, "SELECT count() FROM %s.census_pools FINAL WHERE run = %" PRId64, d, r); break;
		}
		if (count(s, sql, &v, err))
			return -1;
		*out[i] = (uint64_t)v;
	}
	return 0;
}

struct rows_ctx {
	int (*fn)(void *ctx, int ncols, const char *const *cols);
	void *ctx;
};

static int on_row(void *ctx, char **f, size_t n)
{
	struct rows_ctx *x = ctx;
	return x->fn(x->ctx, (int)(n < 8 ? n : 8), (const char *const *)f);
}

int census_ch_rows(struct census_ch *s, int64_t run, const char *what, unsigned limit,
		   int (*fn)(void *ctx, int ncols, const char *const *cols), void *ctx, struct dw_error *err)
{
	char sql[2048];
	if (!strcmp(what, "rules"))
		snprintf(sql, sizeof sql, "SELECT pattern, qtypes, pass, names, overblocked FROM %s.census_rules FINAL"
			 " WHERE run = %" PRId64 " ORDER BY names DESC, pattern LIMIT %u", s->db, run, limit);
	else if (!strcmp(what, "overblocked"))
		snprintf(sql, sizeof sql, "SELECT name, pattern FROM %s.census_overblocked FINAL WHERE run = %" PRId64
			 " ORDER BY name LIMIT %u", s->db, run, limit);
	else if (!strcmp(what, "pools"))
		snprintf(sql, sizeof sql, "SELECT fingerprint, length, distinct_addrs, queries, confirmed FROM"
			 " %s.census_pools FINAL WHERE run = %" PRId64 " ORDER BY fingerprint LIMIT %u", s->db, run, limit);
	else
		return dw_error_set(err, DW_E_INVALID, "census store: no rows called %s", what);
	if (census_ch_flush(s, err))
		return -1;
	struct rows_ctx x = {.fn = fn, .ctx = ctx};
	return ch_select(s->ch, sql, on_row, &x) == DW_OK ? 0 : fail(s, err);
}
