/* The SQLite store: round trip, schema version, batching, kill -9 and
 * resume, full disk. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "results.h"
#include "store/sqlite.h"

static char tmpdir[64];

static void path_in_tmp(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", tmpdir, name);
	unlink(buf);
	char side[300];
	snprintf(side, sizeof side, "%s-wal", buf);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", buf);
	unlink(side);
}

/* One integer from SQL through a separate connection (an outside reader). */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	long long v = -1;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return -2;
	}
	if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	} else {
		printf("#   sql error: %s\n", sqlite3_errmsg(h));
	}
	sqlite3_close(h);
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *h;
	CHECK_EQ(sqlite3_open(path, &h), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Errors go to a temporary file, read back as a string. */
static FILE *errlog;
static char errbuf[2048];

static const char *errlog_text(void)
{
	fflush(errlog);
	rewind(errlog);
	size_t n = fread(errbuf, 1, sizeof errbuf - 1, errlog);
	errbuf[n] = 0;
	return errbuf;
}

static void errlog_reset(void)
{
	if (errlog)
		fclose(errlog);
	errlog = tmpfile();
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void check_equal(const struct probe_result *a, const struct probe_result *b, bool raw)
{
	CHECK_EQ(a->seq, b->seq);
	CHECK_EQ(a->line, b->line);
	CHECK_EQ(a->target, b->target);
	CHECK(wire_name_equal_exact(a->qname, b->qname));
	CHECK_EQ(a->qtype, b->qtype);
	CHECK_EQ(a->id, b->id);
	CHECK_EQ(a->sport, b->sport);
	CHECK_EQ(a->attempts, b->attempts);
	CHECK_EQ(a->sent_us, b->sent_us);
	CHECK_EQ(a->nreplies, b->nreplies);
	CHECK_EQ(a->replies_seen, b->replies_seen);
	CHECK_EQ(a->verdict, b->verdict);
	CHECK_EQ(a->forged_reply, b->forged_reply);
	CHECK_EQ(a->group, b->group);
	CHECK_STR(a->evidence, b->evidence);
	for (int i = 0; i < a->nreplies && i < b->nreplies; i++) {
		const struct probe_reply *x = &a->reply[i], *y = &b->reply[i];
		CHECK_EQ(x->time_us, y->time_us);
		CHECK_EQ(x->rtt_us, y->rtt_us);
		CHECK_EQ(x->family, y->family);
		CHECK_MEM(x->src, y->src, x->family == AF_INET ? 4 : 16);
		CHECK_EQ(x->sport, y->sport);
		CHECK_EQ(x->ip_known, y->ip_known);
		CHECK_EQ(x->ip_ttl, y->ip_ttl);
		if (x->family == AF_INET) {
			CHECK_EQ(x->ip_id, y->ip_id);
			CHECK_EQ(x->df, y->df);
		}
		CHECK_EQ(x->parsed, y->parsed);
		CHECK_EQ(x->question_match, y->question_match);
		CHECK_EQ(x->flags, y->flags);
		CHECK_EQ(x->rcode, y->rcode);
		CHECK_EQ(x->ancount, y->ancount);
		CHECK_EQ(x->nscount, y->nscount);
		CHECK_EQ(x->arcount, y->arcount);
		CHECK_EQ(x->answer_ptr, y->answer_ptr);
		CHECK_EQ(x->answer_ttl, y->answer_ttl);
		CHECK_EQ(x->ncnames, y->ncnames);
		CHECK_EQ(x->len, y->len);
		CHECK_EQ(x->naddrs, y->naddrs);
		for (int k = 0; k < x->naddrs && k < y->naddrs; k++) {
			CHECK_EQ(x->addrs[k].family, y->addrs[k].family);
			CHECK_MEM(x->addrs[k].addr, y->addrs[k].addr,
				  x->addrs[k].family == AF_INET ? 4 : 16);
			CHECK_EQ(x->addrs[k].ttl, y->addrs[k].ttl);
		}
		if (raw) {
			CHECK_EQ(x->rawlen, y->rawlen);
			CHECK_MEM(x->raw, y->raw, x->rawlen);
		} else {
			CHECK_EQ(y->rawlen, 0);
		}
	}
}

static int collect_group(void *ctx, const struct store_group *g)
{
	struct store_group *out = ctx;
	out[g->id] = *g;
	return 0;
}

/* Every variant on every target, written, read back field by field. */
static void test_roundtrip(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "rt.db");
	struct probe_target tg[3];
	t_targets(tg);
	struct store_opts o = {.keep_raw = true, .errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	int64_t run = 0;
	CHECK_EQ(store_run_begin(db, "dnswatch probe --db rt.db names.txt", "{\"rd\":true}", tg, 3, NULL, 0,
				 &run), DW_OK);
	CHECK_EQ(run, 1);
	static struct probe_result in[12], out;
	for (int i = 0; i < 12; i++) {
		/* written in reverse, read in (seq, target) order */
		int k = 11 - i;
		t_result(&in[k], (uint64_t)(k / 3), (uint16_t)(k % 3), k % 4);
	}
	for (int i = 11; i >= 0; i--)
		CHECK_EQ(store_put(db, &in[i]), DW_OK);
	struct probe_addr ga[2] = {{.family = AF_INET, .addr = {65, 49, 2, 178}},
				   {.family = AF_INET6, .addr = {0x20, 0x01, [15] = 1}}};
	CHECK_EQ(store_group_put(db, 2, "ttl=47 id=beef df flags=8180", 3, ga, 2), DW_OK);
	CHECK_EQ(store_group_put(db, 2, "ttl=47 id=beef df flags=8180", 4, ga, 2), DW_OK);
	CHECK_EQ(store_group_put(db, 0, "mirror", 1, NULL, 0), DW_OK);
	CHECK_EQ(store_flush(db), DW_OK);

	struct store_iter *it;
	CHECK_EQ(store_iter_open(db, &(struct store_filter){.run = run, .verdict = -1, .target = -1},
				 &it), DW_OK);
	int n = 0;
	bool got = true;
	while (it && n < 20) {
		CHECK_EQ(store_iter_next(it, &out, &got), DW_OK);
		if (!got)
			break;
		if (n < 12)
			check_equal(&in[n], &out, true);
		n++;
	}
	CHECK_EQ(n, 12);
	store_iter_close(it);

	/* filters: verdict, target, both */
	struct store_filter f = STORE_FILTER_ALL(0);
	f.verdict = VERDICT_INJECTED;
	CHECK_EQ(store_iter_open(db, &f, &it), DW_OK);
	n = 0;
	while (it && store_iter_next(it, &out, &got) == DW_OK && got) {
		CHECK_EQ(out.verdict, VERDICT_INJECTED);
		CHECK_EQ((out.seq * 3 + out.target) % 4, 0);
		n++;
	}
	store_iter_close(it);
	CHECK_EQ(n, 3); /* k = 0, 4, 8 */
	f.verdict = -1;
	f.target = 1;
	CHECK_EQ(store_iter_open(db, &f, &it), DW_OK);
	n = 0;
	uint64_t last = 0;
	while (it && store_iter_next(it, &out, &got) == DW_OK && got) {
		CHECK_EQ(out.target, 1);
		CHECK(n == 0 || out.seq > last);
		last = out.seq;
		n++;
	}
	store_iter_close(it);
	CHECK_EQ(n, 4);
	f.verdict = VERDICT_OK;
	f.target = 2;
	CHECK_EQ(store_iter_open(db, &f, &it), DW_OK);
	n = 0;
	while (it && store_iter_next(it, &out, &got) == DW_OK && got) {
		/* ok is variant 2: k = 2, 6, 10; on target 2 only k = 2 (seq 0) */
		CHECK_EQ(out.seq, 0);
		CHECK_EQ(out.target, 2);
		n++;
	}
	store_iter_close(it);
	CHECK_EQ(n, 1);

	uint64_t counts[3 * VERDICT_COUNT];
	CHECK_EQ(store_verdict_counts(db, run, counts, 3), DW_OK);
	uint64_t want[3 * VERDICT_COUNT] = {0};
	for (int i = 0; i < 12; i++)
		want[in[i].target * VERDICT_COUNT + in[i].verdict]++;
	for (int i = 0; i < 3 * VERDICT_COUNT; i++)
		CHECK_EQ(counts[i], want[i]);

	static struct store_group groups[4];
	memset(groups, 0, sizeof groups);
	CHECK_EQ(store_groups(db, run, collect_group, groups), DW_OK);
	CHECK_EQ(groups[2].id, 2);
	CHECK_EQ(groups[2].count, 4);
	CHECK_STR(groups[2].fingerprint, "ttl=47 id=beef df flags=8180");
	CHECK_EQ(groups[2].naddrs, 2);
	CHECK_MEM(groups[2].addrs[0].addr, ga[0].addr, 4);
	CHECK_EQ(groups[2].addrs[1].family, AF_INET6);
	CHECK_MEM(groups[2].addrs[1].addr, ga[1].addr, 16);
	CHECK_STR(groups[0].fingerprint, "mirror");
	CHECK_EQ(groups[0].naddrs, 0);

	struct store_run_info ri;
	CHECK_EQ(store_run_info(db, 0, &ri), DW_OK);
	CHECK_EQ(ri.id, run);
	CHECK_STR(ri.status, "running");
	CHECK_STR(ri.cmdline, "dnswatch probe --db rt.db names.txt");
	CHECK_STR(ri.options, "{\"rd\":true}");
	CHECK_EQ(ri.ntargets, 3);
	CHECK_EQ(ri.nqueries, 12);
	CHECK_EQ(ri.complete_below, 4);
	CHECK_EQ(store_done_below(db), 4);
	CHECK(ri.started_us > 1700000000000000ll);
	CHECK_EQ(store_run_finish(db, false), DW_OK);
	CHECK_EQ(store_run_info(db, run, &ri), DW_OK);
	CHECK_STR(ri.status, "finished");
	CHECK(ri.finished_us >= ri.started_us);
	CHECK_EQ(store_put(db, &in[0]), DW_E_STATE);
	CHECK_EQ(store_close(db), DW_OK);

	/* targets come back from the file on resume of a new unfinished run */
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_run_resume(db, 0, NULL), DW_E_NORUN);
	CHECK_EQ(store_run_resume(db, run, NULL), DW_E_NORUN);
	CHECK_EQ(store_run_begin(db, "again", NULL, tg, 3, NULL, 0, &run), DW_OK);
	CHECK_EQ(run, 2);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	int64_t got_run = 0;
	CHECK_EQ(store_run_resume(db, 0, &got_run), DW_OK);
	CHECK_EQ(got_run, 2);
	size_t nt = 0;
	const struct probe_target *rt = store_run_targets(db, &nt);
	CHECK_EQ(nt, 3);
	for (size_t i = 0; rt && i < nt && i < 3; i++) {
		CHECK_STR(rt[i].label, tg[i].label);
		CHECK_EQ(rt[i].kind, tg[i].kind);
		CHECK_EQ(rt[i].family, tg[i].family);
		CHECK_MEM(rt[i].addr, tg[i].addr, 16);
		CHECK_EQ(rt[i].port, tg[i].port);
	}
	CHECK_EQ(store_close(db), DW_OK);

	/* the raw bytes are kept only when asked */
	path_in_tmp(path, sizeof path, "noraw.db");
	o.keep_raw = false;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 3, NULL, 0, &run), DW_OK);
	CHECK_EQ(store_put(db, &in[0]), DW_OK);
	CHECK_EQ(store_flush(db), DW_OK);
	CHECK_EQ(store_iter_open(db, &(struct store_filter)STORE_FILTER_ALL(run), &it), DW_OK);
	CHECK_EQ(store_iter_next(it, &out, &got), DW_OK);
	CHECK(got);
	check_equal(&in[0], &out, false);
	store_iter_close(it);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM replies WHERE raw IS NOT NULL"), 0);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM replies"), 2);
}

static void test_schema(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "schema.db");
	struct store_opts o = {.errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_EQ(sql_int(path, "PRAGMA application_id"), STORE_APPLICATION_ID);
	CHECK_EQ(sql_int(path, "SELECT value FROM meta WHERE key = 'schema_version'"), 1);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
			 " ('meta','runs','targets','queries','replies','answers','groups')"), 7);
	CHECK_EQ(sql_int(path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	/* opening again does not recreate or fail */
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);

	/* a future version is refused, with the version and the path in one line */
	errlog_reset();
	o.errlog = errlog;
	sql_exec(path, "PRAGMA user_version = 2");
	db = (struct store_db *)1;
	struct dw_error err;
	CHECK_EQ(store_open(&db, path, &o, &err), DW_E_VERSION);
	CHECK(db == NULL);
	const char *e = errlog_text();
	CHECK(strstr(e, path) != NULL);
	CHECK(strstr(e, "schema version 2 is newer") != NULL);
	CHECK_EQ(count_lines(e), 1);
	/* ... and the same line in the caller's record */
	CHECK_EQ(err.status, DW_E_VERSION);
	CHECK(strncmp(e, err.text, strlen(err.text)) == 0 && e[strlen(err.text)] == '\n');
	printf("# %s", e);

	/* an SQLite file of someone else, and a file that is no database */
	errlog_reset();
	o.errlog = errlog;
	path_in_tmp(path, sizeof path, "foreign.db");
	sql_exec(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	CHECK_EQ(store_open(&db, path, &o, &err), DW_E_FOREIGN);
	CHECK(strstr(errlog_text(), "not a dnswatch store") != NULL);
	CHECK(strstr(err.text, "not a dnswatch store") != NULL);
	CHECK_EQ(err.status, DW_E_FOREIGN);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM t"), 1); /* untouched */
	path_in_tmp(path, sizeof path, "text.db");
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "this is not a database, just some text that is long enough to have a header\n");
	fclose(f);
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_E_FOREIGN);
	/* read-only on a new file: refused, nothing created */
	path_in_tmp(path, sizeof path, "none.db");
	o.readonly = true;
	CHECK(store_open(&db, path, &o, NULL) != DW_OK);
	CHECK(access(path, F_OK) != 0);
}

/* Results are visible to another connection only after their batch commits. */
static void test_batching(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "batch.db");
	struct probe_target tg[3];
	t_targets(tg);
	struct store_opts o = {.batch_results = 10, .batch_ms = 600000, .errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	int64_t run;
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 1, NULL, 0, &run), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM runs"), 1); /* the run is committed at once */
	static struct probe_result r;
	struct store_stats st;
	for (int i = 0; i < 9; i++) {
		t_result(&r, (uint64_t)i, 0, i % 4);
		CHECK_EQ(store_put(db, &r), DW_OK);
	}
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), 0);
	store_get_stats(db, &st);
	CHECK_EQ(st.commits, 0);
	CHECK_EQ(st.pending, 9);
	/* a pair in the open batch is a duplicate too */
	CHECK(store_done_has(db, 8, 0));
	CHECK_EQ(store_put(db, &r), DW_E_DUP);
	t_result(&r, 9, 0, 1);
	CHECK_EQ(store_put(db, &r), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), 10);
	CHECK_EQ(sql_int(path, "SELECT complete_below FROM runs"), 10);
	store_get_stats(db, &st);
	CHECK_EQ(st.commits, 1);
	CHECK_EQ(st.results, 10);
	CHECK_EQ(st.pending, 0);
	for (int i = 10; i < 15; i++) {
		t_result(&r, (uint64_t)i, 0, i % 4);
		CHECK_EQ(store_put(db, &r), DW_OK);
	}
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), 10);
	CHECK_EQ(store_flush(db), DW_OK);
	CHECK_EQ(store_flush(db), DW_OK); /* nothing pending: no transaction */
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), 15);
	store_get_stats(db, &st);
	CHECK_EQ(st.commits, 2);
	CHECK_EQ(st.results, 15);
	/* committed pairs are refused, the file would refuse them too */
	t_result(&r, 3, 0, 0);
	CHECK_EQ(store_put(db, &r), DW_E_DUP);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries WHERE seq = 3"), 1);
	CHECK_EQ(store_close(db), DW_OK);
	errlog_reset();
	sqlite3 *h;
	sqlite3_open(path, &h);
	int rc = sqlite3_exec(h, "INSERT INTO queries (run, seq, target, name, qtype, line, qid,"
			      " sport, attempts, sent_us, replies_seen, verdict, evidence)"
			      " VALUES (1, 3, 0, 'x.', 1, 1, 1, 1, 1, 1, 0, 'ok', '')",
			      NULL, NULL, NULL);
	CHECK_EQ(rc, SQLITE_CONSTRAINT);
	sqlite3_close(h);

	/* by time: a batch older than batch_ms commits on the next tick */
	o.batch_ms = 50;
	o.errlog = errlog;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 1, NULL, 0, &run), DW_OK);
	t_result(&r, 0, 0, 0);
	CHECK_EQ(store_put(db, &r), DW_OK);
	CHECK_EQ(store_tick(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries WHERE run = 2"), 0);
	nanosleep(&(struct timespec){.tv_nsec = 80 * 1000000}, NULL);
	CHECK_EQ(store_tick(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries WHERE run = 2"), 1);
	store_get_stats(db, &st);
	CHECK_EQ(st.commits, 1);
	/* and close commits what is pending */
	t_result(&r, 1, 0, 0);
	CHECK_EQ(store_put(db, &r), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries WHERE run = 2"), 2);
}

/* Several query types per (name, target): each is its own result. */
static void test_qtypes(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "qtypes.db");
	struct probe_target tg[3];
	t_targets(tg);
	struct store_opts o = {.errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	const uint16_t qt[2] = {WIRE_T_A, WIRE_T_AAAA}, twice[2] = {WIRE_T_A, WIRE_T_A};
	int64_t run;
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 2, twice, 2, &run), DW_E_INVALID);
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 2, qt, 2, &run), DW_OK);
	static struct probe_result r;
	t_result(&r, 0, 1, 0);
	CHECK_EQ(store_put(db, &r), DW_OK);
	CHECK(store_done_has_qtype(db, 0, 1, WIRE_T_A));
	CHECK(!store_done_has_qtype(db, 0, 1, WIRE_T_AAAA));
	CHECK(!store_done_has(db, 0, 1));
	CHECK_EQ(store_put(db, &r), DW_E_DUP);
	r.qtype = WIRE_T_MX;
	CHECK_EQ(store_put(db, &r), DW_E_INVALID);
	r.qtype = WIRE_T_AAAA;
	CHECK_EQ(store_put(db, &r), DW_OK);
	CHECK(store_done_has(db, 0, 1));
	CHECK_EQ(store_done_below(db), 0); /* target 0 of seq 0 is missing */
	for (uint16_t q = 0; q < 2; q++) {
		t_result(&r, 0, 0, 1);
		r.qtype = qt[q];
		CHECK_EQ(store_put(db, &r), DW_OK);
	}
	CHECK_EQ(store_flush(db), DW_OK);
	CHECK_EQ(store_done_below(db), 1);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries WHERE seq = 0 AND target = 1"), 2);
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_run_resume(db, 0, NULL), DW_OK);
	CHECK_EQ(store_done_below(db), 1);
	CHECK_EQ(store_done_count(db), 4);
	struct store_run_info ri;
	CHECK_EQ(store_run_info(db, run, &ri), DW_OK);
	CHECK_STR(ri.qtypes, "1,28");
	CHECK_EQ(store_close(db), DW_OK);
}

/* ---- every failure in the error record ------------------------------------------- */

/* The call's status ST was just returned: the record holds it, with a line
 * that names the store, says WANT, and differs from the one before (PREV):
 * the current failure, not a stale one. */
static void check_recorded(struct store_db *db, enum dw_status st, enum dw_status want_st,
			   const char *want, char *prev)
{
	const struct dw_error *e = store_error(db);
	CHECK_EQ(st, want_st);
	CHECK_EQ(e->status, want_st);
	CHECK(strncmp(e->text, "store: ", 7) == 0);
	if (!strstr(e->text, want))
		FAIL("the record says \"%s\", wanted \"%s\" in it", e->text, want);
	if (!strcmp(e->text, prev))
		FAIL("the record still says \"%s\"", prev);
	printf("# %s: %s\n", dw_strerror(want_st), e->text);
	snprintf(prev, DW_ERROR_TEXT, "%s", e->text);
}

static int no_group(void *ctx, const struct store_group *g)
{
	(void)ctx;
	(void)g;
	return 0;
}

/* Each kind of failure leaves its own status and a non-empty, current line
 * in store_error; refusals are not written to errlog, the rest are. */
static void test_errors_recorded(void)
{
	char path[256], prev[DW_ERROR_TEXT] = "";
	path_in_tmp(path, sizeof path, "errors.db");
	struct probe_target tg[3];
	t_targets(tg);
	errlog_reset();
	struct store_opts o = {.errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_error(db)->status, DW_OK);
	CHECK_STR(store_error(db)->text, "");
	static struct probe_result r;
	t_result(&r, 0, 0, 1);
	/* out of order: no run yet */
	check_recorded(db, store_put(db, &r), DW_E_STATE, "no run begun", prev);
	check_recorded(db, store_run_finish(db, false), DW_E_STATE, "finishing the run", prev);
	check_recorded(db, store_group_put(db, 1, "fp", 1, NULL, 0), DW_E_STATE, "writing group 1",
		       prev);
	/* no such run */
	struct store_run_info ri;
	check_recorded(db, store_run_info(db, 0, &ri), DW_E_NORUN, "holds no runs", prev);
	check_recorded(db, store_run_resume(db, 0, NULL), DW_E_NORUN, "no unfinished run", prev);
	/* bad arguments */
	const uint16_t twice[2] = {1, 1};
	check_recorded(db, store_run_begin(db, "", NULL, tg, 3, twice, 2, NULL), DW_E_INVALID,
		       "query type given twice", prev);
	check_recorded(db, store_run_begin(db, "", NULL, tg, 0, NULL, 0, NULL), DW_E_INVALID,
		       "no targets", prev);
	int64_t run;
	CHECK_EQ(store_run_begin(db, "", NULL, tg, 3, NULL, 0, &run), DW_OK);
	check_recorded(db, store_run_info(db, run + 5, &ri), DW_E_NORUN, "reading run", prev);
	r.target = 7;
	check_recorded(db, store_put(db, &r), DW_E_INVALID, "target 7", prev);
	check_recorded(db, store_group_put(db, -1, "fp", 1, NULL, 0), DW_E_INVALID,
		       "negative group id", prev);
	/* a duplicate, and a seq beyond what the done set may span */
	t_result(&r, 0, 0, 1);
	CHECK_EQ(store_put(db, &r), DW_OK);
	check_recorded(db, store_put(db, &r), DW_E_DUP, "already stored", prev);
	t_result(&r, 1ull << 40, 0, 1);
	check_recorded(db, store_put(db, &r), DW_E_TOO_LARGE, "too far above", prev);
	CHECK_EQ(store_flush(db), DW_OK);
	/* the file's own failure: a table gone under the store */
	sql_exec(path, "DROP TABLE groups");
	check_recorded(db, store_groups(db, run, no_group, NULL), DW_E_DB, "no such table", prev);
	CHECK_EQ(store_close(db), DW_OK);
	/* refusals were recorded only; the other two also went to errlog */
	const char *e = errlog_text();
	CHECK_EQ(count_lines(e), 2);
	CHECK(strstr(e, "too far above") != NULL);
	CHECK(strstr(e, "no such table") != NULL);

	/* read-only: no writing */
	o.readonly = true;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	prev[0] = '\0';
	check_recorded(db, store_run_begin(db, "", NULL, tg, 3, NULL, 0, NULL), DW_E_INVALID,
		       "read-only", prev);
	check_recorded(db, store_incidents_ensure(db), DW_E_INVALID, "incidents", prev);
	check_recorded(db, store_run_resume(db, 0, NULL), DW_E_INVALID, "resuming", prev);
	CHECK_EQ(store_close(db), DW_OK);

	/* an empty file, read-only: a status of its own */
	path_in_tmp(path, sizeof path, "zero.db");
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	struct dw_error err;
	CHECK_EQ(store_open(&db, path, &o, &err), DW_E_EMPTY);
	CHECK_EQ(err.status, DW_E_EMPTY);
	CHECK(strstr(err.text, "empty database") != NULL);
}

/* The store prints nothing of its own: with no errlog, a failure is in the
 * record and the caller's ERR only, stderr stays empty. */
static void test_no_errlog_no_print(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "quiet.db");
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, NULL, NULL), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	sql_exec(path, "PRAGMA user_version = 9");
	fflush(stderr);
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);
	CHECK(cap != NULL && saved >= 0);
	if (!cap || saved < 0)
		return;
	dup2(fileno(cap), STDERR_FILENO);
	struct dw_error err;
	enum dw_status st = store_open(&db, path, NULL, &err);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK_EQ(st, DW_E_VERSION);
	CHECK(strstr(err.text, "schema version 9 is newer") != NULL);
	CHECK_EQ(ftell(cap), 0);
	fclose(cap);
}

/* ---- kill -9 and resume ----------------------------------------------------------- */

#define KR_SEQS 400
#define KR_TARGETS 3
#define KR_Q 2                      /* A and AAAA for each (name, target) */
#define KR_PAIRS (KR_SEQS * KR_TARGETS * KR_Q)
#define KR_BATCH 50
static const uint16_t kr_qtypes[KR_Q] = {WIRE_T_A, WIRE_T_AAAA};

/* Result P: seq P / 6, target (P / 2) % 3, qtype A or AAAA. */
static uint64_t kr_seq(uint32_t p) { return p / (KR_TARGETS * KR_Q); }
static uint16_t kr_target(uint32_t p) { return (uint16_t)(p / KR_Q % KR_TARGETS); }
static uint16_t kr_qtype(uint32_t p) { return kr_qtypes[p % KR_Q]; }
static void kr_result(struct probe_result *r, uint32_t p)
{
	t_result(r, kr_seq(p), kr_target(p), (int)(p % 4));
	r->qtype = kr_qtype(p);
}

/* The engine's order: windows of 16 names, each window's pairs shuffled
 * (replies arrive out of order), so completion above the mark is ragged. */
static void kr_order(uint32_t order[KR_PAIRS])
{
	uint32_t x = 12345;
	for (uint32_t i = 0; i < KR_PAIRS; i++)
		order[i] = i;
	const uint32_t win = 16 * KR_TARGETS * KR_Q;
	for (uint32_t w = 0; w < KR_PAIRS; w += win) {
		uint32_t n = KR_PAIRS - w < win ? KR_PAIRS - w : win;
		for (uint32_t i = n - 1; i > 0; i--) {
			x = x * 1103515245u + 12345u;
			uint32_t j = (x >> 8) % (i + 1);
			uint32_t t = order[w + i];
			order[w + i] = order[w + j];
			order[w + j] = t;
		}
	}
}

/* A writer that resumes (or begins) the run, stores KILL_AFTER new results in
 * the engine's order, skipping stored pairs, and is then killed with SIGKILL
 * in the middle of a batch. */
static void kr_child(const char *path, int kill_after)
{
	static uint32_t order[KR_PAIRS];
	kr_order(order);
	struct probe_target tg[3];
	t_targets(tg);
	struct store_opts o = {.batch_results = KR_BATCH, .batch_ms = 600000, .quiet = true};
	struct store_db *db;
	if (store_open(&db, path, &o, NULL) != DW_OK)
		_exit(3);
	if (store_run_resume(db, 0, NULL) != DW_OK &&
	    store_run_begin(db, "probe --db", NULL, tg, KR_TARGETS, kr_qtypes, KR_Q, NULL) !=
		    DW_OK)
		_exit(4);
	static struct probe_result r;
	int n = 0;
	for (uint32_t i = 0; i < KR_PAIRS; i++) {
		uint32_t p = order[i];
		if (kr_seq(p) < store_done_below(db) ||
		    store_done_has_qtype(db, kr_seq(p), kr_target(p), kr_qtype(p)))
			continue;
		if (n == kill_after)
			raise(SIGKILL);
		kr_result(&r, p);
		if (store_put(db, &r) != DW_OK)
			_exit(5);
		n++;
	}
	_exit(6);
}

static void test_kill_resume(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "kill.db");
	static uint32_t order[KR_PAIRS];
	static bool stored[KR_PAIRS];
	kr_order(order);
	memset(stored, 0, sizeof stored);
	/* three writers in turn, each killed mid-batch */
	const int kills[] = {537, 810, 733};
	long expect_done = 0;
	for (int round = 0; round < 3; round++) {
		fflush(stdout);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid < 0)
			return;
		if (pid == 0)
			kr_child(path, kills[round]);
		int status = 0;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if (WIFEXITED(status))
			printf("#   child exited with %d\n", WEXITSTATUS(status));
		/* what the child committed: whole batches of its own puts */
		long committed = (kills[round] / KR_BATCH) * KR_BATCH;
		expect_done += committed;

		struct store_opts o = {.batch_results = KR_BATCH, .errlog = errlog};
		struct store_db *db;
		CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
		if (!db)
			return;
		int64_t run = 0;
		CHECK_EQ(store_run_resume(db, 0, &run), DW_OK);
		CHECK_EQ(run, 1);
		CHECK_EQ(store_done_count(db), expect_done);
		CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), expect_done);
		size_t nq = 0;
		const uint16_t *q = store_run_qtypes(db, &nq);
		CHECK_EQ(nq, 2);
		CHECK(nq == 2 && q[0] == WIRE_T_A && q[1] == WIRE_T_AAAA);
		/* the child's puts in order: the first whole batches are stored, the
		 * rest of the killed batch is not */
		long seen = 0;
		for (uint32_t i = 0; i < KR_PAIRS && seen < committed; i++)
			if (!stored[order[i]]) {
				stored[order[i]] = true;
				seen++;
			}
		int mismatch = 0, pair_mismatch = 0;
		uint64_t first_hole = KR_SEQS;
		for (uint32_t p = 0; p < KR_PAIRS; p++) {
			bool has = store_done_has_qtype(db, kr_seq(p), kr_target(p), kr_qtype(p));
			if (has != stored[p])
				mismatch++;
			if (!stored[p] && kr_seq(p) < first_hole)
				first_hole = kr_seq(p);
			/* the engine's skip hook: every query type of the pair */
			if (p % KR_Q == 0 && store_done_has(db, kr_seq(p), kr_target(p)) !=
						     (stored[p] && stored[p + 1]))
				pair_mismatch++;
		}
		CHECK_EQ(mismatch, 0);
		CHECK_EQ(pair_mismatch, 0);
		CHECK_EQ(store_done_below(db), first_hole);
		CHECK(store_done_below(db) < KR_SEQS);
		/* the mark in the file is never ahead of the rows */
		CHECK(sql_int(path, "SELECT complete_below FROM runs") <= (long long)first_hole);
		CHECK_EQ(store_close(db), DW_OK);
	}

	/* the last writer resumes and finishes */
	struct store_opts o = {.batch_results = KR_BATCH, .errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	CHECK_EQ(store_run_resume(db, 0, NULL), DW_OK);
	static struct probe_result r;
	long added = 0, dups = 0;
	for (uint32_t i = 0; i < KR_PAIRS; i++) {
		kr_result(&r, order[i]);
		enum dw_status st = store_put(db, &r);
		if (st == DW_OK)
			added++;
		else if (st == DW_E_DUP)
			dups++;
		else
			CHECK_EQ(st, DW_OK);
	}
	CHECK_EQ(added, KR_PAIRS - expect_done);
	CHECK_EQ(dups, expect_done);
	CHECK_EQ(store_run_finish(db, false), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM queries"), KR_PAIRS);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM (SELECT DISTINCT seq, target, qtype"
			 " FROM queries)"), KR_PAIRS);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM (SELECT seq FROM queries GROUP BY seq"
			 " HAVING count(*) = 6 AND min(target) = 0 AND max(target) = 2"
			 " AND count(DISTINCT qtype) = 2)"), KR_SEQS);
	CHECK_EQ(sql_int(path, "SELECT qtypes = '1,28' FROM runs"), 1);
	CHECK_EQ(sql_int(path, "SELECT min(seq) = 0 AND max(seq) = 399 FROM queries"), 1);
	CHECK_EQ(sql_int(path, "SELECT complete_below FROM runs"), KR_SEQS);
	CHECK_EQ(sql_int(path, "SELECT status = 'finished' FROM runs"), 1);
	/* replies belong to stored queries only, none orphaned by a killed batch */
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM replies WHERE query NOT IN"
			 " (SELECT id FROM queries)"), 0);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM answers WHERE reply NOT IN"
			 " (SELECT id FROM replies)"), 0);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE"
			 " integrity_check = 'ok'"), 1);
}

/* ---- full disk ----------------------------------------------------------------------- */

struct fill_report {
	int status;           /* the failing put's status */
	long committed;       /* results committed before it */
	long attempted;       /* puts made */
	uint64_t commits, rollbacks;
	int failed_marked;    /* pairs of the failed batch the writer still thinks stored */
	int kept_marked;      /* pairs of earlier batches it thinks stored */
	char err[1024];
	int recorded_status;  /* store_error() after the failure */
	char recorded[DW_ERROR_TEXT];
	int close_status;
};

/* Write big results into PATH until a put fails; report through FD. */
static void fill_child(const char *path, int fd)
{
	struct fill_report rep = {.status = -1};
	struct probe_target tg[3];
	t_targets(tg);
	FILE *log = tmpfile();
	struct store_opts o = {.batch_results = 10, .batch_ms = 600000, .keep_raw = true,
			       .errlog = log};
	struct store_db *db;
	int st = store_open(&db, path, &o, NULL);
	if (st == DW_OK)
		st = store_run_begin(db, "fill", NULL, tg, 3, NULL, 0, NULL);
	static struct probe_result r;
	for (long i = 0; st == DW_OK && i < 100000; i++) {
		t_result(&r, (uint64_t)i / 3, (uint16_t)(i % 3), 3); /* 8 replies, 512 raw each */
		st = store_put(db, &r);
		rep.attempted++;
	}
	rep.status = st;
	if (db) {
		struct store_stats s;
		store_get_stats(db, &s);
		rep.committed = (long)s.results;
		rep.commits = s.commits;
		rep.rollbacks = s.rollbacks;
		for (long i = 0; i < rep.attempted; i++) {
			bool has = store_done_has(db, (uint64_t)i / 3, (uint16_t)(i % 3));
			if (i < rep.committed)
				rep.kept_marked += has;
			else
				rep.failed_marked += has;
		}
		const struct dw_error *se = store_error(db);
		rep.recorded_status = se->status;
		snprintf(rep.recorded, sizeof rep.recorded, "%s", se->text);
		rep.close_status = store_close(db);
	}
	fflush(log);
	rewind(log);
	size_t n = fread(rep.err, 1, sizeof rep.err - 1, log);
	rep.err[n] = 0;
	if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
		_exit(2);
	_exit(0);
}

/* After the failure: the error line, and every earlier batch intact. */
static void check_after_fill(const char *path, const struct fill_report *rep)
{
	CHECK(rep->status == DW_E_FULL || rep->status == DW_E_IO);
	printf("# status %s after %ld puts, %ld committed in %llu commits\n",
	       dw_strerror(rep->status), rep->attempted, rep->committed,
	       (unsigned long long)rep->commits);
	printf("# %s", rep->err);
	CHECK(rep->committed > 0);
	CHECK(rep->committed % 10 == 0);
	CHECK(rep->commits >= 2);
	CHECK_EQ(rep->rollbacks, 1);
	CHECK_EQ(rep->failed_marked, 0);
	CHECK_EQ(rep->kept_marked, rep->committed);
	CHECK(rep->attempted > rep->committed);
	CHECK_EQ(count_lines(rep->err), 1);
	CHECK(strstr(rep->err, path) != NULL);
	CHECK(strstr(rep->err, "SQLITE_FULL") || strstr(rep->err, "SQLITE_IOERR"));
	CHECK(strstr(rep->err, "batch of") != NULL);
	CHECK(strstr(rep->err, "rolled back") != NULL);
	/* the same line, and the status, in the store's error record */
	CHECK_EQ(rep->recorded_status, rep->status);
	CHECK(rep->recorded[0] && strncmp(rep->err, rep->recorded, strlen(rep->recorded)) == 0 &&
	      rep->err[strlen(rep->recorded)] == '\n');
	CHECK_EQ(rep->close_status, DW_OK);

	/* reopen: everything committed is there, consistent, nothing of the failed batch */
	struct store_opts o = {.errlog = errlog};
	struct store_db *db;
	CHECK_EQ(store_open(&db, path, &o, NULL), DW_OK);
	if (!db)
		return;
	struct store_run_info ri;
	CHECK_EQ(store_run_info(db, 0, &ri), DW_OK);
	CHECK_EQ(ri.nqueries, rep->committed);
	CHECK_EQ(ri.complete_below, rep->committed / 3);
	struct store_iter *it;
	CHECK_EQ(store_iter_open(db, &(struct store_filter)STORE_FILTER_ALL(0), &it), DW_OK);
	static struct probe_result in, out;
	long n = 0;
	bool got;
	while (it && store_iter_next(it, &out, &got) == DW_OK && got) {
		t_result(&in, (uint64_t)n / 3, (uint16_t)(n % 3), 3);
		if (n < 3 || n == rep->committed - 1)
			check_equal(&in, &out, true);
		else
			CHECK_EQ(out.seq * 3 + out.target, n);
		n++;
	}
	store_iter_close(it);
	CHECK_EQ(n, rep->committed);
	CHECK_EQ(store_close(db), DW_OK);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM pragma_integrity_check WHERE"
			 " integrity_check = 'ok'"), 1);
	CHECK_EQ(sql_int(path, "SELECT count(*) FROM replies"), rep->committed * 8);
}

static bool run_fill(const char *path, bool fsize_limit, struct fill_report *rep)
{
	memset(rep, 0, sizeof *rep);
	int fds[2] = {-1, -1};
	CHECK_EQ(pipe(fds), 0);
	if (fds[0] < 0 || fds[1] < 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		if (fsize_limit) {
			signal(SIGXFSZ, SIG_IGN);
			struct rlimit rl = {.rlim_cur = 300 * 1024, .rlim_max = 300 * 1024};
			setrlimit(RLIMIT_FSIZE, &rl);
		}
		fill_child(path, fds[1]);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], rep, sizeof *rep);
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(n, (ssize_t)sizeof *rep);
	return n == (ssize_t)sizeof *rep;
}

/* A tiny tmpfs: the disk really fills. Unmounted whatever happens (the
 * writer runs in a child; the parent owns the mount). */
static void test_full_disk_tmpfs(void)
{
	char mnt[128], path[256];
	snprintf(mnt, sizeof mnt, "%s/tiny", tmpdir);
	CHECK(mkdir(mnt, 0700) == 0 || errno == EEXIST);
	if (mount("dw-store-test", mnt, "tmpfs", 0, "size=256k") != 0) {
		/* no root, or a kernel or container that refuses the mount: the
		 * file size limit test below still covers the full disk */
		int e = errno;
		rmdir(mnt);
		SKIP("cannot mount a tmpfs on %s: %s", mnt, strerror(e));
	}
	snprintf(path, sizeof path, "%s/full.db", mnt);
	struct fill_report rep;
	if (run_fill(path, false, &rep))
		check_after_fill(path, &rep);
	if (umount(mnt) != 0)
		CHECK_EQ(umount2(mnt, MNT_DETACH), 0);
	rmdir(mnt);
}

/* The same through RLIMIT_FSIZE (no mount needed). */
static void test_full_disk_fsize(void)
{
	char path[256];
	path_in_tmp(path, sizeof path, "fsize.db");
	struct fill_report rep;
	if (run_fill(path, true, &rep))
		check_after_fill(path, &rep);
}

static void remove_tmp(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/dw-store-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	errlog = tmpfile();
	RUN(test_roundtrip);
	RUN(test_schema);
	RUN(test_batching);
	RUN(test_qtypes);
	RUN(test_errors_recorded);
	RUN(test_no_errlog_no_print);
	RUN(test_kill_resume);
	RUN(test_full_disk_tmpfs);
	RUN(test_full_disk_fsize);
	fclose(errlog);
	remove_tmp();
	return harness_done();
}
