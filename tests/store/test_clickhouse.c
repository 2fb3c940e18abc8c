/* The ClickHouse store against real clickhouse-server processes this test
 * starts and stops itself (scripts/clickhouse.sh, a directory and ports of
 * its own): the schema, batches, a retried batch never seen twice, an
 * outage spooled and drained (the server stopped and started mid-run),
 * the report over ClickHouse equal to the report over SQLite on the same
 * data, and a two-shard cluster (two servers, Distributed tables). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "report/census.h"
#include "report/data.h"
#include "report/guard.h"
#include "store/census.h"
#include "store/guard.h"
#include "results.h"
#include "store/clickhouse.h"
#include "store/sqlite.h"
#include "util/clock.h"

#define T0 1390288500000000ll /* 2014-01-21 07:15:00 UTC */
#define MIN 60000000ll

static char tmpdir[128], root[512];
static unsigned port_a, port_b, port_c;
static bool up_a, up_b, up_c;

/* scripts/clickhouse.sh ACTION DIR PORT, with EXTRA in its environment. */
static int ch_script(const char *action, const char *sub, unsigned port, const char *extra)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s CH_WAIT=30 '%s/scripts/clickhouse.sh' %s '%s/%s' %u >>'%s/script.log' 2>&1",
		 extra ? extra : "", root, action, tmpdir, sub, port, tmpdir);
	return system(cmd);
}

static void cleanup(void)
{
	if (up_a)
		ch_script("down", "a", port_a, "CH_KILL=1");
	if (up_b)
		ch_script("down", "b", port_b, "CH_KILL=1");
	if (up_c)
		ch_script("down", "c", port_c, "CH_KILL=1");
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (tmpdir[0] && system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
}

static void url_of(char *out, size_t cap, unsigned port, const char *db)
{
	snprintf(out, cap, "clickhouse://127.0.0.1:%u/%s", port, db);
}

static int count_row(void *ctx, char **f, size_t nf)
{
	*(long *)ctx = nf ? atol(f[0]) : -1;
	return 0;
}

/* The first number SQL returns from the server on PORT; -1 on failure. */
static long count_of(unsigned port, const char *sql)
{
	char url[128];
	url_of(url, sizeof url, port, "default");
	struct ch_store *c;
	struct ch_opts co = {.spool_dir = tmpdir, .no_schema = true};
	if (ch_open(&c, url, &co, NULL) != DW_OK)
		return -1;
	long n = -1;
	enum dw_status st = ch_select(c, sql, count_row, &n);
	if (ch_close(c) != DW_OK || st != DW_OK)
		return -1;
	return n;
}

/* --- the data: 25 one-minute probe runs of the 2014 kind, plus odd results -- */

static void reply4(struct probe_reply *p, const char *addr, uint8_t ip_ttl, uint32_t attl,
		   uint16_t flags, bool df)
{
	memset(p, 0, sizeof *p);
	p->family = AF_INET;
	p->ip_known = true;
	p->ip_ttl = ip_ttl;
	p->ip_id = 4242;
	p->df = df;
	p->parsed = true;
	p->question_match = true;
	p->flags = flags;
	p->ancount = 1;
	p->answer_ptr = true;
	p->answer_ttl = attl;
	p->naddrs = 1;
	p->addrs[0].family = AF_INET;
	inet_pton(AF_INET, addr, p->addrs[0].addr);
	p->addrs[0].ttl = attl;
}

static void result(struct probe_result *r, uint64_t seq, uint16_t tgt, const char *name, int64_t us,
		   enum probe_verdict v)
{
	size_t len;
	memset(r, 0, sizeof *r);
	r->seq = seq;
	r->target = tgt;
	if (wire_name_from_text(name, r->qname, &len) != DW_OK)
		abort();
	r->qtype = 1;
	r->attempts = 1;
	r->sent_us = (uint64_t)us;
	r->verdict = v;
	r->forged_reply = -1;
	r->group = -1;
	snprintf(r->evidence, sizeof r->evidence, "crafted");
	if (v == VERDICT_INJECTED) {
		r->nreplies = r->replies_seen = 2;
		reply4(&r->reply[0], "65.49.2.178", (uint8_t)(40 + seq % 20), 60 + (uint32_t)seq, 0x8180, false);
		reply4(&r->reply[1], "198.19.1.1", 50, 3600, 0x8180, true);
		r->forged_reply = 0;
		r->group = 1;
	} else if (v == VERDICT_POISONED) {
		r->nreplies = r->replies_seen = 1;
		reply4(&r->reply[0], "65.49.2.178", 64, 3000, 0x8180, true);
		r->forged_reply = 0;
		r->group = 1;
	} else if (v == VERDICT_OK) {
		r->nreplies = r->replies_seen = 1;
		reply4(&r->reply[0], "198.19.1.1", 64, 3600, 0x8180, true);
	}
}

/* Minute 0-4 ok; 5-9 nodns injected (.com), isp poisoned; 10-19 isp
 * poisoned (the tail); 20-24 ok; .cn always ok; an incident; the odd
 * results of results.h (IPv6, 8 replies, escapes) in the last run. */
static void write_data(struct store_db *db)
{
	struct probe_target t[3];
	t_targets(t);
	strcpy(t[0].label, "isp");
	struct probe_result r;
	for (int m = 0; m < 25; m++) {
		int64_t run;
		CHECK_EQ(store_run_begin(db, "probe --crafted\tx", NULL, t, 3, NULL, 0, &run), DW_OK);
		int64_t us = T0 + m * MIN;
		bool inj = m >= 5 && m < 10, tail = m >= 5 && m < 20;
		result(&r, 0, 0, "www.Example.COM", us, tail ? VERDICT_POISONED : VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 0, 2, "www.Example.COM", us + 1000, inj ? VERDICT_INJECTED : VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 1, 0, "www.leta.cn", us + 2000, VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 1, 2, "www.leta.cn", us + 3000, VERDICT_NONE);
		CHECK_EQ(store_put(db, &r), DW_OK);
		if (inj) {
			struct probe_addr a = {.family = AF_INET};
			inet_pton(AF_INET, "65.49.2.178", a.addr);
			CHECK_EQ(store_group_put(db, 1, "df=0 ipid=nonzero flags=0x8180 rcode=NOERROR an=1 ns=0 ar=0 owner=pointer",
						 2, &a, 1), DW_OK);
		}
		if (m == 7) {
			struct store_incident inc;
			memset(&inc, 0, sizeof inc);
			inc.started_us = T0 + 5 * MIN;
			inc.raised_us = T0 + 6 * MIN;
			inc.peak_share = 2.0 / 3;
			snprintf(inc.scope, sizeof inc.scope, "com via isp nodns");
			snprintf(inc.addresses, sizeof inc.addresses, "65.49.2.178");
			snprintf(inc.summary, sizeof inc.summary, "forged\tanswers,\nall 'one' \\ address");
			snprintf(inc.cause, sizeof inc.cause, "on-path");
			inc.hop = 2;
			inc.run = run;
			snprintf(inc.groups, sizeof inc.groups, "1");
			CHECK_EQ(store_incident_put(db, &inc), DW_OK);
			inc.ended_us = T0 + 20 * MIN; /* updated: one incident, not two */
			CHECK_EQ(store_incident_put(db, &inc), DW_OK);
		}
		if (m == 9)
			for (int v = 0; v < 4; v++) {
				t_result(&r, 10 + (uint64_t)v, (uint16_t)(v % 3), v);
				r.sent_us = (uint64_t)(us + 10000 + v);
				CHECK_EQ(store_put(db, &r), DW_OK);
			}
		CHECK_EQ(store_run_finish(db, false), DW_OK);
	}
}

static bool series_equal(const struct report_series *a, const struct report_series *b, size_t nb)
{
	if (strcmp(a->name, b->name) || a->judged_total != b->judged_total ||
	    a->injected_total != b->injected_total || a->poisoned_total != b->poisoned_total)
		return false;
	return !memcmp(a->judged, b->judged, nb * sizeof *a->judged) &&
	       !memcmp(a->forged, b->forged, nb * sizeof *a->forged);
}

/* Every figure the page shows, compared. */
static void check_same_report(const struct report_data *s, const struct report_data *c)
{
	CHECK_EQ(s->nruns, c->nruns);
	CHECK_EQ(s->nresults, c->nresults);
	CHECK_EQ(s->njudged, c->njudged);
	CHECK_EQ(s->ninjected, c->ninjected);
	CHECK_EQ(s->npoisoned, c->npoisoned);
	CHECK_EQ(s->first_us, c->first_us);
	CHECK_EQ(s->t0_us, c->t0_us);
	CHECK_EQ(s->t1_us, c->t1_us);
	CHECK_EQ(s->bucket_us, c->bucket_us);
	CHECK_EQ(s->nbuckets, c->nbuckets);
	CHECK_EQ(s->inj_first_us, c->inj_first_us);
	CHECK_EQ(s->inj_last_us, c->inj_last_us);
	CHECK_EQ(s->poi_first_us, c->poi_first_us);
	CHECK_EQ(s->poi_last_us, c->poi_last_us);
	CHECK_EQ(s->tail_end_us, c->tail_end_us);
	CHECK_EQ(s->tail_open, c->tail_open);
	CHECK_EQ(s->tail_poisoned, c->tail_poisoned);
	CHECK(s->peak_share == c->peak_share);
	CHECK(!strcmp(s->peak_series, c->peak_series));
	CHECK_EQ(s->peak_us, c->peak_us);
	CHECK_EQ(s->npaths, c->npaths);
	CHECK_EQ(s->ntlds, c->ntlds);
	for (size_t i = 0; i < s->npaths && i < c->npaths; i++)
		CHECK(series_equal(&s->paths[i], &c->paths[i], s->nbuckets));
	for (size_t i = 0; i < s->ntlds && i < c->ntlds; i++)
		CHECK(series_equal(&s->tlds[i], &c->tlds[i], s->nbuckets));
	CHECK_EQ(s->naddrs, c->naddrs);
	for (size_t i = 0; i < s->naddrs && i < c->naddrs; i++)
		CHECK(!memcmp(&s->addrs[i], &c->addrs[i], sizeof s->addrs[i]));
	CHECK_EQ(s->ngroups, c->ngroups);
	for (size_t i = 0; i < s->ngroups && i < c->ngroups; i++) {
		const struct report_group *x = &s->groups[i], *y = &c->groups[i];
		CHECK(!strcmp(x->key, y->key));
		CHECK_EQ(x->count, y->count);
		CHECK_EQ(x->ip_ttl_lo, y->ip_ttl_lo);
		CHECK_EQ(x->ip_ttl_hi, y->ip_ttl_hi);
		CHECK_EQ(x->answer_ttl_lo, y->answer_ttl_lo);
		CHECK_EQ(x->answer_ttl_hi, y->answer_ttl_hi);
		CHECK(!strcmp(x->runs, y->runs));
		CHECK(!strcmp(x->addrs, y->addrs));
	}
	CHECK_EQ(s->nincidents, c->nincidents);
	for (size_t i = 0; i < s->nincidents && i < c->nincidents; i++) {
		const struct store_incident *x = &s->incidents[i], *y = &c->incidents[i];
		CHECK_EQ(x->run, y->run);
		CHECK_EQ(x->ended_us, y->ended_us);
		CHECK(!strcmp(x->summary, y->summary));
		CHECK_EQ(x->hop, y->hop);
	}
	for (size_t i = 0; i < s->nruns && i < c->nruns; i++) {
		CHECK_EQ(s->runs[i].info.id, c->runs[i].info.id);
		CHECK(!memcmp(s->runs[i].verdicts, c->runs[i].verdicts, sizeof s->runs[i].verdicts));
		CHECK_EQ(s->runs[i].first_us, c->runs[i].first_us);
		CHECK_EQ(s->runs[i].last_us, c->runs[i].last_us);
		CHECK_EQ(s->runs[i].ntargets, c->runs[i].ntargets);
		CHECK(!strcmp(s->runs[i].info.cmdline, c->runs[i].info.cmdline));
		CHECK(!strcmp(s->runs[i].info.status, c->runs[i].info.status));
		for (size_t t = 0; t < s->runs[i].ntargets && t < c->runs[i].ntargets; t++)
			CHECK(!memcmp(&s->runs[i].targets[t], &c->runs[i].targets[t],
				      sizeof s->runs[i].targets[t]));
	}
}

static int gather(const char *path, struct report_data *d)
{
	struct store_db *db;
	struct store_opts ro = {.readonly = true};
	if (store_open(&db, path, &ro, NULL) != DW_OK)
		return -1;
	struct dw_error err;
	int rc = report_gather(db, d, &err);
	if (rc != 0)
		printf("#   gather %s: %s\n", path, err.text);
	if (store_close(db) != DW_OK)
		rc = -1;
	return rc;
}

static char sqlite_path[200];

/* Writes the data set into SQLite and into ClickHouse at URL; the reports
 * over both are equal. */
static void same_report_as_sqlite(const char *url)
{
	struct report_data s, c;
	memset(&s, 0, sizeof s);
	memset(&c, 0, sizeof c);
	CHECK_EQ(gather(sqlite_path, &s), 0);
	CHECK_EQ(gather(url, &c), 0);
	CHECK(s.nresults > 100);
	CHECK(s.ninjected > 0 && s.npoisoned > 0 && s.tail_poisoned > 0 && s.ngroups == 1);
	check_same_report(&s, &c);
	report_data_free(&s);
	report_data_free(&c);
}

static void test_schema_and_report(void)
{
	char url[128], sql[256];
	url_of(url, sizeof url, port_a, "dwt");
	struct store_db *db;
	struct store_opts so = {.vantage = "lab-client", .spool_dir = tmpdir, .errlog = stdout};
	CHECK_EQ(store_open(&db, url, &so, NULL), DW_OK);
	CHECK(store_clickhouse(db) != NULL);
	write_data(db);
	struct store_stats st;
	store_get_stats(db, &st);
	CHECK_EQ(st.results, 25 * 4 + 4);
	CHECK_EQ(store_close(db), DW_OK);
	snprintf(sql, sizeof sql, "SELECT count() FROM system.tables WHERE database = 'dwt'");
	CHECK_EQ(count_of(port_a, sql), 6);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwt.queries"), 25 * 4 + 4);
	CHECK_EQ(count_of(port_a, "SELECT uniqExact(run) FROM dwt.runs WHERE vantage = 'lab-client'"), 25);
	/* Opened again: the schema is there and left as it is. */
	CHECK_EQ(store_open(&db, url, &so, NULL), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);

	unlink(sqlite_path);
	CHECK_EQ(store_open(&db, sqlite_path, NULL, NULL), DW_OK);
	write_data(db);
	CHECK_EQ(store_close(db), DW_OK);
	same_report_as_sqlite(url);

	/* A retried batch: every row of the data sent a second time. The
	 * tables hold each twice until a merge; the report sees each once. */
	struct ch_store *c;
	struct ch_opts co = {.spool_dir = tmpdir};
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	const char *tables[] = {"queries", "answers", "runs", "targets", "groups", "incidents"};
	/* No merge in between: the twins stay apart until the reads below. */
	CHECK_EQ(ch_exec(c, "SYSTEM STOP MERGES"), DW_OK);
	for (size_t i = 0; i < 6; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO dwt.%s SELECT * FROM dwt.%s", tables[i], tables[i]);
		CHECK_EQ(ch_exec(c, sql), DW_OK);
	}
	CHECK_EQ(ch_close(c), DW_OK);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwt.queries"), 2 * (25 * 4 + 4));
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwt.queries FINAL"), 25 * 4 + 4);
	same_report_as_sqlite(url);
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_exec(c, "SYSTEM START MERGES"), DW_OK);
	CHECK_EQ(ch_close(c), DW_OK);
}

static void test_batches(void)
{
	char url[128];
	url_of(url, sizeof url, port_a, "dwb");
	struct ch_store *c;
	struct ch_opts co = {.vantage = "batcher", .batch_rows = 100, .batch_ms = 60000,
			     .spool_dir = tmpdir};
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	struct probe_target t[3];
	t_targets(t);
	int64_t run;
	CHECK_EQ(ch_run_begin(c, "batches", NULL, t, 3, NULL, 0, &run), DW_OK);
	struct probe_result r;
	for (uint64_t i = 0; i < 1050; i++) {
		t_result(&r, i, (uint16_t)(i % 3), (int)(i % 4));
		CHECK_EQ(ch_put(c, &r), DW_OK);
	}
	struct store_stats st;
	/* Posted by the store's sender thread: wait for it (5 s at most). */
	for (int i = 0; i < 500; i++) {
		ch_get_stats(c, &st);
		if (st.results == 1000)
			break;
		usleep(10000);
	}
	CHECK_EQ(st.results, 1000);  /* ten whole batches posted */
	CHECK_EQ(st.pending, 50);    /* the rest waits for its batch */
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwb.queries"), 1000);
	CHECK_EQ(ch_run_finish(c, false), DW_OK);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwb.queries"), 1050);
	CHECK_EQ(count_of(port_a, "SELECT argMax(status, version) = 'finished' FROM dwb.runs"), 1);
	/* What went in comes back: the escaped name, 8 replies, IPv6 addresses. */
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwb.queries WHERE qname = 'a\\\\.b.c\\\\032d.net.' "
				  "AND length(replies.ip_ttl) = 8 AND replies_seen = 11"), 1050 / 4);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwb.answers WHERE family = 6 AND "
				  "IPv6NumToString(v6) = '2001::1234:5678'"), 1050 / 4);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwb.queries WHERE has(forged_v4, "
				  "IPv4StringToNum('65.49.2.178'))"), (1050 + 3) / 4);
	CHECK_EQ(ch_close(c), DW_OK);
}

static void test_outage(void)
{
	char url[128];
	url_of(url, sizeof url, port_a, "dwo");
	char logpath[256];
	snprintf(logpath, sizeof logpath, "%s/outage.log", tmpdir);
	FILE *log = fopen(logpath, "w+");
	CHECK(log != NULL);
	if (!log)
		return;
	struct ch_store *c;
	struct ch_opts co = {.vantage = "outage", .batch_rows = 50, .batch_ms = 100,
			     .spool_dir = tmpdir, .errlog = log};
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	struct probe_target t[3];
	t_targets(t);
	int64_t run;
	CHECK_EQ(ch_run_begin(c, "outage", NULL, t, 3, NULL, 0, &run), DW_OK);
	struct probe_result r;
	uint64_t seq = 0;
	for (; seq < 200; seq++) {
		t_result(&r, seq, (uint16_t)(seq % 3), (int)(seq % 4));
		CHECK_EQ(ch_put(c, &r), DW_OK);
	}
	CHECK_EQ(ch_flush(c), DW_OK); /* the first 200 are in */
	CHECK_EQ(ch_script("down", "a", port_a, "CH_KILL=1"), 0); /* killed, as in a crash */
	up_a = false;
	for (; seq < 500; seq++) {   /* the server is away: spooled, no error */
		t_result(&r, seq, (uint16_t)(seq % 3), (int)(seq % 4));
		CHECK_EQ(ch_put(c, &r), DW_OK);
	}
	CHECK_EQ(ch_flush(c), DW_OK); /* all handed over: spooled, not an error */
	struct ch_outage_stats os;
	ch_get_outage(c, &os);
	CHECK(os.down);
	CHECK_EQ(os.outages, 1);
	CHECK_EQ(os.spooled_rows, 300);
	CHECK_EQ(ch_script("up", "a", port_a, NULL), 0);
	up_a = true;
	uint64_t t0 = util_mono_ms();
	for (; seq < 600 || (os.down && util_mono_ms() - t0 < 5000); seq++) {
		t_result(&r, seq, (uint16_t)(seq % 3), (int)(seq % 4));
		CHECK_EQ(ch_put(c, &r), DW_OK);
		ch_get_outage(c, &os);
		if (seq >= 600)
			usleep(20000);
	}
	CHECK(!os.down);
	CHECK_EQ(ch_run_finish(c, false), DW_OK);
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT count() FROM dwo.queries FINAL WHERE run = %" PRId64, run);
	CHECK_EQ(count_of(port_a, sql), (long)seq);
	CHECK_EQ(count_of(port_a, "SELECT uniqExact(seq) FROM dwo.queries"), (long)seq);
	CHECK_EQ(count_of(port_a, "SELECT argMax(outages, version) FROM dwo.runs"), 1);
	CHECK_EQ(count_of(port_a, "SELECT argMax(spooled_rows, version) >= 300 FROM dwo.runs"), 1);
	CHECK_EQ(ch_close(c), DW_OK);
	fflush(log);
	rewind(log);
	char text[4096] = "";
	size_t n = fread(text, 1, sizeof text - 1, log);
	text[n] = 0;
	fclose(log);
	CHECK(strstr(text, "unreachable") != NULL);
	CHECK(strstr(text, "back after") != NULL);
	CHECK(strstr(text, "nothing lost") != NULL);
	printf("#   %s", text);
}

/* A spool left by a process that died is drained by the next one. */
static void test_orphan_spool(void)
{
	char url[128], path[512];
	url_of(url, sizeof url, port_a, "dwr");
	struct ch_store *c;
	struct ch_opts co = {.spool_dir = tmpdir};
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_close(c), DW_OK);
	/* One record as a dead writer would have left it. */
	snprintf(path, sizeof path, "%s/dnswatch-127.0.0.1_%u_dwr-dead-1-1.spool", tmpdir, port_a);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	const char *row = "dead\t7\t1390288500\t0\t\t0\t0\t\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\x5c\x78\x30\x30\t53\n";
	fprintf(f, "dnswatch-spool 1 targets 0 %zu\n%s", strlen(row), row);
	fclose(f);
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_close(c), DW_OK);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwr.targets WHERE vantage = 'dead'"), 1);
}

/* A spool's record heads: the version of the RowBinary store (its format
 * named), the one before (TabSeparated), and what neither is. */
static void test_spool_heads(void)
{
	static const char two[] = "dnswatch-spool 2 answers RowBinary 0 3\n\x03\x00\xff"
				  "dnswatch-spool 2 queries TabSeparated 5 2\na\n"
				  "dnswatch-spool 1 runs 0 2\nb\n";
	struct ch_spool_rec rec;
	size_t size = sizeof two - 1;
	CHECK_EQ(ch_spool_record(two, size, 0, &rec), 0);
	CHECK_STR(rec.table, "answers");
	CHECK_EQ(rec.format, CH_ROWBINARY);
	CHECK_EQ(rec.body_len, 3);
	CHECK_EQ(ch_spool_record(two, size, rec.next, &rec), 0);
	CHECK_STR(rec.table, "queries");
	CHECK_EQ(rec.format, CH_TSV);
	CHECK_EQ(rec.rows, 5);
	CHECK_EQ(ch_spool_record(two, size, rec.next, &rec), 0);
	CHECK_STR(rec.table, "runs");
	CHECK_EQ(rec.format, CH_TSV);
	CHECK_EQ(rec.next, size);
	static const char *const bad[] = {
		"dnswatch-spool 2 queries Native 1 1\nx",      /* a format not ours */
		"dnswatch-spool 2 queries 1 1\nx",             /* no format */
		"dnswatch-spool 1 queries RowBinary 1 1\nx",   /* version 1 names none */
		"dnswatch-spool 3 queries RowBinary 1 1\nx",
		"dnswatch-spool 2 passwd RowBinary 1 1\nx",    /* a table not ours */
		"dnswatch-spool 2 queries RowBinary 1 9\nx",   /* cut */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ(ch_spool_record(bad[i], strlen(bad[i]), 0, &rec), -1);
}

/* Two servers, one shard each; Distributed tables over our local tables;
 * the store writes through them and the report reads through them. */
static void test_two_shards(void)
{
	char shards[256], url[128], sql[512];
	snprintf(shards, sizeof shards, "CH_SHARDS='127.0.0.1:%u 127.0.0.1:%u'", port_b + 1, port_c + 1);
	if (ch_script("up", "b", port_b, shards) != 0 || ch_script("up", "c", port_c, shards) != 0) {
		CHECK(!"the two shards start");
		return;
	}
	up_b = up_c = true;
	struct ch_opts co = {.spool_dir = tmpdir};
	struct ch_store *c;
	/* The local tables on each shard: the store's own schema. */
	unsigned ports[2] = {port_b, port_c};
	for (int i = 0; i < 2; i++) {
		url_of(url, sizeof url, ports[i], "dwlocal");
		CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
		CHECK_EQ(ch_close(c), DW_OK);
	}
	/* The Distributed tables (docs/store.md): a row's shard from its key, so
	 * a row sent twice meets its twin on one shard. */
	url_of(url, sizeof url, port_b, "default");
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_exec(c, "CREATE DATABASE IF NOT EXISTS dwall"), DW_OK);
	const char *tables[] = {"queries", "answers", "runs", "targets", "groups", "incidents"};
	for (size_t i = 0; i < 6; i++) {
		snprintf(sql, sizeof sql,
			 "CREATE TABLE dwall.%s AS dwlocal.%s ENGINE = Distributed(dnswatch, dwlocal, %s, %s)",
			 tables[i], tables[i], tables[i],
			 i < 2 ? "cityHash64(vantage, run, seq)" : "cityHash64(vantage, run)");
		CHECK_EQ(ch_exec(c, sql), DW_OK);
	}
	CHECK_EQ(ch_close(c), DW_OK);
	url_of(url, sizeof url, port_b, "dwall");
	struct store_db *db;
	struct store_opts so = {.vantage = "lab-client", .spool_dir = tmpdir, .errlog = stdout};
	CHECK_EQ(store_open(&db, url, &so, NULL), DW_OK);
	write_data(db);
	CHECK_EQ(store_close(db), DW_OK);
	/* Distributed inserts reach the shards in the background. */
	long total = 0;
	for (int i = 0; i < 100 && total != 25 * 4 + 4; i++) {
		total = count_of(port_b, "SELECT count() FROM dwall.queries");
		if (total != 25 * 4 + 4)
			usleep(100000);
	}
	CHECK_EQ(total, 25 * 4 + 4);
	long on_b = count_of(port_b, "SELECT count() FROM dwlocal.queries");
	long on_c = count_of(port_c, "SELECT count() FROM dwlocal.queries");
	printf("#   shard 1: %ld rows, shard 2: %ld rows\n", on_b, on_c);
	CHECK(on_b > 0 && on_c > 0);
	CHECK_EQ(on_b + on_c, 25 * 4 + 4);
	for (int i = 0; i < 100; i++) { /* the small tables too */
		if (count_of(port_b, "SELECT count() FROM dwall.incidents") >= 2 &&
		    count_of(port_b, "SELECT count() FROM dwall.runs") >= 50 &&
		    count_of(port_b, "SELECT count() FROM dwall.answers") >= 25 * 3)
			break;
		usleep(100000);
	}
	same_report_as_sqlite(url);
}

/* --- the guard's drops and purges ------------------------------------------------ */

static void write_guard(const char *path)
{
	struct guard_store *g;
	struct dw_error err;
	CHECK_EQ(guard_store_open(&g, path, &err), 0);
	if (!g) {
		printf("#   %s\n", err.text);
		return;
	}
	for (int i = 0; i < 30; i++) {
		char name[64];
		snprintf(name, sizeof name, "n%d.lune%d.com.", i, i % 3);
		struct guard_store_drop d = {.time_us = T0 + i * 1000000ll, .upstream = i % 4 ? "udp:198.19.8.8" : "tls:198.19.8.8",
					     .qname = name, .qtype = "A", .failed = i % 2 ? "rtt layout" : "ttl",
					     .group = 1, .evidence = "rtt 0.4 ms, not 80\tms;\n'x'", .rtt_us = 400,
					     .ip_ttl = i % 5 ? 63 : -1, .addrs = i % 3 ? "65.49.2.178" : "65.49.2.178 2001::1"};
		CHECK_EQ(guard_store_put(g, &d, &err), 0);
		if (i % 10 == 3) {
			struct guard_store_purge pu = {.time_us = T0 + i * 1000000ll + 5, .qname = name,
						       .qtype = i == 23 ? "AAAA" : "A", .addr = "65.49.2.178",
						       .why = i == 3 ? "learned" : "dropped"};
			CHECK_EQ(guard_store_purge_put(g, &pu, &err), 0);
			if (i == 13)
				CHECK_EQ(guard_store_purge_put(g, &pu, &err), 0); /* the name purged twice */
		}
	}
	CHECK_EQ(guard_store_tick(g, &err), 0);
	CHECK_EQ(guard_store_close(g, &err), 0);
}

static void check_same_guard(const struct guard_store_summary *a, const struct guard_store_summary *b)
{
	CHECK(a->present && b->present);
	CHECK_EQ(a->drops, b->drops);
	CHECK_EQ(a->first_us, b->first_us);
	CHECK_EQ(a->last_us, b->last_us);
	CHECK_EQ(a->nchecks, b->nchecks);
	for (size_t i = 0; i < a->nchecks && i < b->nchecks; i++)
		CHECK(!strcmp(a->checks[i].check, b->checks[i].check) && a->checks[i].count == b->checks[i].count);
	CHECK_EQ(a->naddrs, b->naddrs);
	for (size_t i = 0; i < a->naddrs && i < b->naddrs; i++)
		CHECK(!strcmp(a->addrs[i].addr, b->addrs[i].addr) && a->addrs[i].count == b->addrs[i].count);
	CHECK_EQ(a->nnames, b->nnames);
	for (size_t i = 0; i < a->nnames && i < b->nnames; i++)
		CHECK(!strcmp(a->names[i].name, b->names[i].name) && a->names[i].count == b->names[i].count);
	CHECK_EQ(a->nupstreams, b->nupstreams);
	CHECK_EQ(a->purges, b->purges);
	CHECK_EQ(a->purge_first_us, b->purge_first_us);
	CHECK_EQ(a->purge_last_us, b->purge_last_us);
	CHECK_EQ(a->npurge_names, b->npurge_names);
	for (size_t i = 0; i < a->npurge_names && i < b->npurge_names; i++)
		CHECK(!strcmp(a->purge_names[i].name, b->purge_names[i].name) &&
		      a->purge_names[i].count == b->purge_names[i].count);
	CHECK_EQ(a->npurge_addrs, b->npurge_addrs);
}

/* guard --db: drops and purges into SQLite and into ClickHouse; the
 * report's summary the same over both, also with every row posted twice. */
static void test_guard(void)
{
	char url[128], path[256];
	url_of(url, sizeof url, port_a, "dwg");
	snprintf(path, sizeof path, "%s/guard.db", tmpdir);
	write_guard(path);
	write_guard(url);
	struct guard_store_summary s, c;
	struct dw_error err;
	CHECK_EQ(guard_store_summary(path, &s, &err), 0);
	CHECK_EQ(guard_store_summary(url, &c, &err), 0);
	CHECK_EQ(s.drops, 30);
	CHECK_EQ(s.purges, 4);
	CHECK_EQ(s.npurge_names, 3);
	CHECK(!strcmp(s.purge_names[0].name, "n13.lune1.com.") && s.purge_names[0].count == 2);
	CHECK(s.npurge_addrs == 1 && !strcmp(s.purge_addrs[0].addr, "65.49.2.178") && s.purge_addrs[0].count == 4);
	check_same_guard(&s, &c);
	struct ch_store *ch;
	struct ch_opts co = {.spool_dir = tmpdir};
	CHECK_EQ(ch_open(&ch, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_exec(ch, "SYSTEM STOP MERGES"), DW_OK);
	CHECK_EQ(ch_exec(ch, "INSERT INTO dwg.guard_drops SELECT * FROM dwg.guard_drops"), DW_OK);
	CHECK_EQ(ch_exec(ch, "INSERT INTO dwg.guard_purges SELECT * FROM dwg.guard_purges"), DW_OK);
	CHECK_EQ(ch_close(ch), DW_OK);
	CHECK_EQ(count_of(port_a, "SELECT count() FROM dwg.guard_purges"), 8);
	CHECK_EQ(guard_store_summary(url, &c, &err), 0);
	check_same_guard(&s, &c);
	CHECK_EQ(ch_open(&ch, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_exec(ch, "SYSTEM START MERGES"), DW_OK);
	CHECK_EQ(ch_close(ch), DW_OK);
	/* the report's section: the purges, their names and address */
	char *html = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&html, &hl);
	CHECK(f != NULL);
	if (f) {
		report_guard_html(f, &c);
		fclose(f);
		CHECK(strstr(html, "Cached answers purged") != NULL);
		CHECK(strstr(html, "<p>4 cached answers") != NULL);
		CHECK(strstr(html, "<code>n13.lune1.com.</code></td><td class=\"num\">2<") != NULL);
		CHECK(strstr(html, "<code>65.49.2.178</code></td><td class=\"num\">4<") != NULL);
		free(html);
	}
	/* a database the guard never wrote: no section */
	url_of(url, sizeof url, port_a, "dwb");
	CHECK_EQ(guard_store_summary(url, &c, &err), 0);
	CHECK(!c.present);
}

/* --- the census ------------------------------------------------------------------ */

static int64_t census_day(struct census_store *s, const char *const *names, const uint8_t *cens, size_t n,
			  const char *rule, const char *pool_order)
{
	struct dw_error err;
	int64_t run = 0;
	CHECK_EQ(census_store_run_begin(s, "test", "nodns=nodns:198.19.55.55:53", "A", &run, &err), 0);
	int gid = 0;
	CHECK_EQ(census_store_group(s, "df=0 ipid=0", &gid, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct census_store_name row = {.seq = i, .line = (uint32_t)i + 1, .name = names[i],
						.censored = cens[i], .replies = cens[i] ? 1 : 0,
						.a = cens[i] ? 0xc6336401u : 0, .has_aaaa = i == 0};
		row.aaaa[0] = 0x20;
		row.aaaa[15] = 1;
		if (cens[i]) {
			struct census_store_reply rp = {.seq = i, .qtype = 1, .group = gid, .ip_ttl = 47,
							.addrs = "198.51.100.1"};
			CHECK_EQ(census_store_reply_put(s, &rp, &err), 0);
		}
		CHECK_EQ(census_store_name_put(s, &row, &err), 0);
	}
	struct census_store_rule r = {.pattern = rule, .kind = "suffix", .qtypes = "", .action = "a=198.51.100.1",
				      .from = names[0], .probes = 9, .blocked = 4, .names = 2, .overblocked = 1,
				      .evidence = "e\tx"};
	CHECK_EQ(census_store_rule_put(s, &r, &err), 0);
	CHECK_EQ(census_store_overblocked_put(s, "notyoutube.com", rule, &err), 0);
	struct census_store_pool p = {.fingerprint = "fp1", .name = names[0], .queries = 6, .replies = 6,
				      .distinct = 3, .length = 3, .confirmed = true, .order = pool_order};
	CHECK_EQ(census_store_pool_put(s, &p, &err), 0);
	CHECK_EQ(census_store_group_totals(s, gid, 2, "198.51.100.1", &err), 0);
	CHECK_EQ(census_store_run_finish(s, "finished", &err), 0);
	return run;
}

static int census_names_seen(void *ctx, const struct census_store_name *n)
{
	unsigned *c = ctx;
	c[0]++;
	c[1] += n->censored != 0;
	c[2] += n->a == 0xc6336401u;
	c[3] += n->has_aaaa && n->aaaa[0] == 0x20 && n->aaaa[15] == 1;
	return 0;
}

struct census_changes {
	char text[1024];
	size_t len;
};

static int census_change_seen(void *ctx, enum census_change c, const char *a, const char *b)
{
	struct census_changes *x = ctx;
	x->len += (size_t)snprintf(x->text + x->len, sizeof x->text - x->len, "%s %s %s;", census_change_name(c),
				   a, b);
	return 0;
}

/* census --db clickhouse://: two censuses, names read back, the diff in one
 * database and across two, the report's section, a resume (the unfinished
 * census found, replies left without their name not counted), the same
 * figures with every row posted twice. As tests/census/test_census_store.c
 * does over SQLite. */
static void test_census(void)
{
	char url[128], url2[128];
	url_of(url, sizeof url, port_a, "dwc");
	url_of(url2, sizeof url2, port_a, "dwd");
	struct census_store *s;
	struct dw_error err;
	CHECK_EQ(census_store_open(&s, url, false, &err), 0);
	if (!s) {
		printf("#   %s\n", err.text);
		return;
	}
	const char *day1[] = {"www.youtube.com", "notyoutube.com", "clean.org"};
	const char *day2[] = {"www.youtube.com", "notyoutube.com", "clean.org", "new.example"};
	uint8_t c1[] = {1, 1, 0}, c2[] = {1, 0, 0, 1};
	int64_t r1 = census_day(s, day1, c1, 3, "*youtube.com", "1.1.1.1 2.2.2.2 3.3.3.3");
	int64_t r2 = census_day(s, day2, c2, 4, "*.youtube.com", "1.1.1.1 3.3.3.3 2.2.2.2");
	CHECK(r1 > 0 && r2 > r1);
	unsigned got[4] = {0};
	CHECK_EQ(census_store_names(s, r2, false, census_names_seen, got, &err), 0);
	CHECK(got[0] == 4 && got[1] == 2 && got[2] == 2 && got[3] == 1);
	struct census_changes ch = {0};
	CHECK_EQ(census_store_diff(s, url, r1, census_change_seen, &ch, &err), 0);
	CHECK_STR(ch.text, "newly_censored new.example ;no_longer_censored notyoutube.com tested;"
			   "rule_added *.youtube.com ;rule_removed *youtube.com ;pool_changed fp1 3 3 reordered;");
	CHECK_EQ(census_store_close(s, &err), 0);
	/* across two databases: the second holds day 2 alone */
	CHECK_EQ(census_store_open(&s, url2, false, &err), 0);
	census_day(s, day2, c2, 4, "*youtube.com", "1.1.1.1 2.2.2.2 3.3.3.3");
	CHECK_EQ(census_store_close(s, &err), 0);
	CHECK_EQ(census_store_open(&s, url2, true, &err), 0);
	memset(&ch, 0, sizeof ch);
	CHECK_EQ(census_store_diff(s, url, 0, census_change_seen, &ch, &err), 0);
	CHECK_STR(ch.text, "rule_added *youtube.com ;rule_removed *.youtube.com ;pool_changed fp1 3 3 reordered;");
	/* a SQLite file and a ClickHouse database are not compared */
	char sq[256];
	snprintf(sq, sizeof sq, "%s/census.db", tmpdir);
	CHECK(census_store_diff(s, sq, 0, census_change_seen, &ch, &err) != 0);
	CHECK(strstr(err.text, "one kind") != NULL);
	CHECK_EQ(census_store_close(s, &err), 0);

	/* the report's section, from ClickHouse; again with every row twice */
	for (int pass = 0; pass < 2; pass++) {
		struct report_census *rc = calloc(1, sizeof *rc);
		CHECK_EQ(report_census_load(rc, url, &err), 0);
		CHECK(rc->present);
		CHECK_EQ(rc->sum.run, r2);
		CHECK_EQ(rc->sum.previous, r1);
		CHECK_EQ(rc->sum.names, 4);
		CHECK_EQ(rc->sum.censored, 2);
		CHECK_EQ(rc->sum.replies, 2);
		CHECK_EQ(rc->sum.groups, 1);
		CHECK(rc->ntop == 1 && rc->nover == 1 && rc->npool == 1 && rc->has_diff);
		char *html = NULL;
		size_t hl = 0;
		FILE *f = open_memstream(&html, &hl);
		report_census_html(f, rc);
		fclose(f);
		CHECK(strstr(html, "<strong>2 censored</strong>") != NULL);
		CHECK(strstr(html, "newly censored: 1 (<code>new.example</code>)") != NULL);
		free(html);
		free(rc);
		if (pass)
			break;
		struct ch_store *c;
		struct ch_opts co = {.spool_dir = tmpdir};
		CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
		CHECK_EQ(ch_exec(c, "SYSTEM STOP MERGES"), DW_OK);
		const char *t[] = {"census_runs", "census_names", "census_replies", "census_groups", "census_rules",
				   "census_overblocked", "census_pools"};
		for (size_t i = 0; i < 7; i++) {
			char sql[200];
			snprintf(sql, sizeof sql, "INSERT INTO dwc.%s SELECT * FROM dwc.%s", t[i], t[i]);
			CHECK_EQ(ch_exec(c, sql), DW_OK);
		}
		CHECK_EQ(ch_close(c), DW_OK);
		CHECK_EQ(count_of(port_a, "SELECT count() FROM dwc.census_names"), 14);
	}
	struct ch_store *c;
	struct ch_opts co = {.spool_dir = tmpdir};
	CHECK_EQ(ch_open(&c, url, &co, NULL), DW_OK);
	CHECK_EQ(ch_exec(c, "SYSTEM START MERGES"), DW_OK); /* the resume's delete is a merge */
	CHECK_EQ(ch_close(c), DW_OK);

	/* resume: a census left running, a name stored, a reply of a name not */
	CHECK_EQ(census_store_open(&s, url, false, &err), 0);
	int64_t r3 = 0, found = 0;
	CHECK_EQ(census_store_run_begin(s, "test", "t", "A", &r3, &err), 0);
	struct census_store_name n0 = {.seq = 0, .line = 1, .name = "a.example", .censored = 1, .replies = 1};
	struct census_store_reply rp = {.seq = 0, .qtype = 1, .addrs = "198.51.100.1"};
	struct census_store_reply lost = {.seq = 1, .qtype = 1, .addrs = "198.51.100.2"};
	CHECK_EQ(census_store_reply_put(s, &rp, &err), 0);
	CHECK_EQ(census_store_reply_put(s, &lost, &err), 0); /* killed before its name went in */
	CHECK_EQ(census_store_name_put(s, &n0, &err), 0);
	CHECK_EQ(census_store_flush(s, &err), 0);
	CHECK_EQ(census_store_close(s, &err), 0);
	CHECK_EQ(census_store_open(&s, url, false, &err), 0);
	char tg[64], qt[16];
	CHECK_EQ(census_store_run_unfinished(s, &found, tg, sizeof tg, qt, sizeof qt, &err), 0);
	CHECK_EQ(found, r3);
	CHECK_STR(tg, "t");
	if (census_store_run_use(s, found, &err)) {
		printf("#   %s\n", err.text);
		CHECK(!"the census resumed");
	}
	memset(got, 0, sizeof got);
	CHECK_EQ(census_store_names(s, found, false, census_names_seen, got, &err), 0);
	CHECK_EQ(got[0], 1);
	struct census_store_name n1 = {.seq = 1, .line = 2, .name = "b.example"};
	CHECK_EQ(census_store_name_put(s, &n1, &err), 0); /* asked again: no forged reply this time */
	CHECK_EQ(census_store_run_finish(s, "finished", &err), 0);
	struct census_store_summary sum;
	CHECK_EQ(census_store_summary(s, &sum, &err), 0);
	CHECK_EQ(sum.run, r3);
	CHECK_EQ(sum.names, 2);
	CHECK_EQ(sum.replies, 1); /* the lost name's reply is not its */
	CHECK_EQ(census_store_close(s, &err), 0);
}

int main(void)
{
	const char *r = getenv("DW_ROOT");
	snprintf(root, sizeof root, "%s", r && *r ? r : ".");
	char probe[600];
	snprintf(probe, sizeof probe, "%s/scripts/clickhouse.sh", root);
	if (access(probe, X_OK) != 0 || system("command -v clickhouse-server >/dev/null 2>&1") != 0) {
		/* scripts/clickhouse.sh installs it (make check runs deps first). */
		char deps[600];
		snprintf(deps, sizeof deps, "'%s/scripts/deps.sh' clickhouse >/dev/null 2>&1", root);
		if (access(probe, X_OK) != 0 || system(deps) != 0) {
			printf("ok - clickhouse store # SKIP clickhouse-server is not installed\n");
			return 0;
		}
	}
	snprintf(tmpdir, sizeof tmpdir, "/tmp/dw-chtest.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sqlite_path, sizeof sqlite_path, "%s/same.db", tmpdir);
	/* Ports of its own: three HTTP ports (and the TCP port after each). */
	unsigned base = 21000 + (unsigned)(getpid() % 2000) * 6;
	port_a = base;
	port_b = base + 2;
	port_c = base + 4;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A watchdog: when this process ends, however it ends (a sanitizer
	 * abort included), the servers it started are stopped by their pids. */
	int wd[2];
	if (pipe(wd) != 0) {
		perror("pipe");
		return 1;
	}
	pid_t w = fork();
	if (w == 0) {
		close(wd[1]);
		char ch;
		while (read(wd[0], &ch, 1) > 0)
			;
		up_a = up_b = up_c = true;
		cleanup();
		_exit(0);
	}
	close(wd[0]);
	if (ch_script("up", "a", port_a, NULL) != 0) {
		printf("not ok - clickhouse-server starts (see %s/script.log)\n", tmpdir);
		return 1;
	}
	up_a = true;
	uint64_t t_start = util_mono_ms();
	RUN(test_schema_and_report); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_batches); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_spool_heads);
	RUN(test_orphan_spool); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_census); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_guard); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_outage); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	RUN(test_two_shards); printf("# %.1f s\n", (double)(util_mono_ms() - t_start) / 1000);
	return harness_done();
}
