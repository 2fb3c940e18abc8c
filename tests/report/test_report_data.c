/* report: bucket sizes, gathering from a crafted store (window, tail,
 * addresses, groups, incidents through the store's API), HTML and JSON
 * escaping of hostile labels, reading locate's JSON. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "probe/classify.h"
#include "report/data.h"
#include "report/html.h"
#include "report/locate_json.h"
#include "store/sqlite.h"
#include "wire/name.h"

#define T0 1390288500000000ll /* 2014-01-21 07:15:00 UTC (15:15 China time) */
#define MIN 60000000ll

static char dbpath[64];

static void test_bucket_size(void)
{
	CHECK_EQ(report_bucket_size(0, 100), 1000000);
	CHECK_EQ(report_bucket_size(25 * 1000000ll, 100), 1000000);
	CHECK_EQ(report_bucket_size(600 * 1000000ll, 100), 10000000);
	CHECK_EQ(report_bucket_size(3 * 3600 * 1000000ll, 100), 120000000);
	CHECK_EQ(report_bucket_size(12 * 3600 * 1000000ll, 100), 600000000);
}

static void target(struct probe_target *t, const char *label, enum probe_target_kind kind,
		   const char *addr)
{
	memset(t, 0, sizeof *t);
	snprintf(t->label, sizeof t->label, "%s", label);
	t->kind = kind;
	t->family = AF_INET;
	inet_pton(AF_INET, addr, t->addr);
	t->port = 53;
}

static void reply(struct probe_reply *p, const char *addr, uint8_t ip_ttl, uint32_t attl,
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

static void result(struct probe_result *r, uint64_t seq, uint16_t tgt, const char *name,
		   int64_t us, enum probe_verdict v)
{
	size_t len;
	memset(r, 0, sizeof *r);
	r->seq = seq;
	r->target = tgt;
	CHECK_EQ(wire_name_from_text(name, r->qname, &len), DW_OK);
	r->qtype = 1;
	r->attempts = 1;
	r->sent_us = (uint64_t)us;
	r->verdict = v;
	r->forged_reply = -1;
	r->group = -1;
	snprintf(r->evidence, sizeof r->evidence, "crafted");
	if (v == VERDICT_INJECTED) {
		r->nreplies = r->replies_seen = 1;
		reply(&r->reply[0], "65.49.2.178", (uint8_t)(40 + seq % 20), 60 + (uint32_t)seq, 0x8180, false);
		r->forged_reply = 0;
		r->group = 1;
	} else if (v == VERDICT_POISONED) {
		r->nreplies = r->replies_seen = 1;
		reply(&r->reply[0], "65.49.2.178", 64, 3000, 0x8180, true);
		r->forged_reply = 0;
		r->group = 1;
	} else if (v == VERDICT_OK) {
		r->nreplies = r->replies_seen = 1;
		reply(&r->reply[0], "198.19.1.1", 64, 3600, 0x8180, true);
	}
}

/*
 * Minute 0-4: all ok; 5-9: nodns injected (.com), isp poisoned; 10-19: isp
 * poisoned only (the tail); 20-24 ok. .cn always ok. One run per minute.
 */
static void build_store(const char *label0)
{
	unlink(dbpath);
	struct store_db *db;
	CHECK_EQ(store_open(&db, dbpath, NULL, NULL), DW_OK);
	struct probe_target t[2];
	target(&t[0], label0, TARGET_RESOLVER, "198.18.1.1");
	target(&t[1], "nodns", TARGET_NODNS, "198.18.55.55");
	struct probe_result r;
	for (int m = 0; m < 25; m++) {
		int64_t run;
		CHECK_EQ(store_run_begin(db, "probe --crafted", NULL, t, 2, NULL, 0, &run), DW_OK);
		int64_t us = T0 + m * MIN;
		bool inj = m >= 5 && m < 10, tail = m >= 5 && m < 20;
		result(&r, 0, 0, "www.Example.COM", us, tail ? VERDICT_POISONED : VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 0, 1, "www.Example.COM", us + 1000, inj ? VERDICT_INJECTED : VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 1, 0, "www.leta.cn", us + 2000, VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, 1, 1, "www.leta.cn", us + 3000, VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		if (inj) {
			struct probe_addr a = {.family = AF_INET};
			inet_pton(AF_INET, "65.49.2.178", a.addr);
			CHECK_EQ(store_group_put(db, 1, "df=0 ipid=nonzero flags=0x8180 rcode=NOERROR an=1 ns=0 ar=0 owner=pointer",
						 1, &a, 1), DW_OK);
		}
		CHECK_EQ(store_run_finish(db, false), DW_OK);
	}
	CHECK_EQ(store_close(db), DW_OK);
}

/* What report does first: the store at dbpath opened read-only and gathered
 * into *D, report_gather returning RC (its error in ERR). */
static struct store_db *gathered(struct report_data *d, int rc, struct dw_error *err)
{
	struct store_db *db = NULL;
	struct store_opts ro = {.readonly = true};
	CHECK_EQ(store_open(&db, dbpath, &ro, NULL), DW_OK);
	CHECK_EQ(report_gather(db, d, err), rc);
	return db;
}

static void test_gather(void)
{
	build_store("isp");
	/* The incidents table: absent first, then written through the store. */
	struct report_data d;
	struct dw_error err;
	struct store_db *db = gathered(&d, 0, &err);
	CHECK(!d.incidents_present);
	CHECK_EQ(store_incidents_ensure(db), DW_E_INVALID);
	CHECK_EQ(store_close(db), DW_OK);

	CHECK_EQ(d.nruns, 25);
	CHECK_EQ(d.nresults, 100);
	CHECK_EQ(d.njudged, 100);
	CHECK_EQ(d.ninjected, 5);
	CHECK_EQ(d.npoisoned, 15);
	CHECK_EQ(d.inj_first_us, T0 + 5 * MIN + 1000);
	CHECK_EQ(d.inj_last_us, T0 + 9 * MIN + 1000);
	CHECK_EQ(d.tail_end_us, T0 + 19 * MIN);
	CHECK_EQ(d.tail_poisoned, 10);
	CHECK(!d.tail_open);
	CHECK_EQ(d.bucket_us, MIN); /* 24 min / 100 -> 15 s, but runs are a minute apart */
	CHECK_EQ(d.nbuckets, 25);
	CHECK_EQ(d.npaths, 2);
	CHECK_STR(d.paths[0].name, "isp");
	CHECK_STR(d.paths[1].name, "nodns");
	CHECK_EQ(d.ntlds, 2);
	CHECK_STR(d.tlds[0].name, "com"); /* lower-cased */
	CHECK_STR(d.tlds[1].name, "cn");
	CHECK_EQ(d.tlds[0].injected_total, 5);
	CHECK_EQ(d.tlds[0].poisoned_total, 15);
	CHECK_EQ(d.tlds[1].injected_total + d.tlds[1].poisoned_total, 0);
	CHECK_EQ(d.paths[0].forged[7], 1);
	CHECK_EQ(d.paths[0].judged[7], 2);
	CHECK_EQ(d.naddrs, 1);
	CHECK_STR(d.addrs[0].addr, "65.49.2.178");
	CHECK_EQ(d.addrs[0].injected, 5);
	CHECK_EQ(d.addrs[0].poisoned, 15);
	CHECK_EQ(d.addrs[0].first_us, T0 + 5 * MIN);
	CHECK_EQ(d.addrs[0].last_us, T0 + 19 * MIN);
	CHECK_EQ(d.addrs[0].path_mask, 3);
	CHECK_EQ(d.ngroups, 1);
	CHECK_EQ(d.groups[0].count, 5);
	CHECK_EQ(d.groups[0].ip_ttl_lo, 40);  /* from the injected replies, seq 0: 40 */
	CHECK_EQ(d.groups[0].ip_ttl_hi, 40);
	CHECK_EQ(d.groups[0].answer_ttl_lo, 60);
	CHECK_STR(d.groups[0].runs, "6 7 8 9 10");
	CHECK_STR(d.groups[0].addrs, "65.49.2.178");
	report_data_free(&d);

	CHECK_EQ(store_open(&db, dbpath, NULL, NULL), DW_OK);
	struct store_incident inc = {.run = 6, .started_us = T0 + 5 * MIN, .injection_end_us = T0 + 9 * MIN,
				     .peak_share = 0.5};
	snprintf(inc.scope, sizeof inc.scope, "com via isp nodns");
	snprintf(inc.addresses, sizeof inc.addresses, "65.49.2.178");
	snprintf(inc.summary, sizeof inc.summary, "the misfire");
	CHECK_EQ(store_incident_put(db, &inc), DW_OK);
	CHECK(inc.id > 0);
	inc.ended_us = T0 + 19 * MIN; /* watch closes it later */
	CHECK_EQ(store_incident_put(db, &inc), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	db = gathered(&d, 0, &err);
	CHECK(d.incidents_present);
	CHECK_EQ(d.nincidents, 1);
	if (d.nincidents == 1) {
		CHECK_EQ(d.incidents[0].id, inc.id);
		CHECK_EQ(d.incidents[0].run, 6);
		CHECK_EQ(d.incidents[0].ended_us, T0 + 19 * MIN);
		CHECK_EQ(d.incidents[0].injection_end_us, T0 + 9 * MIN);
		CHECK_STR(d.incidents[0].summary, "the misfire");
		CHECK(d.incidents[0].peak_share == 0.5);
	}
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

static void test_empty(void)
{
	unlink(dbpath);
	struct store_db *db;
	CHECK_EQ(store_open(&db, dbpath, NULL, NULL), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);
	struct report_data d;
	struct dw_error err;
	db = gathered(&d, 1, &err);
	CHECK(strstr(err.text, "no runs") != NULL);
	CHECK_EQ(err.status, DW_E_NORUN);
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

static char *page_of(const struct report_data *d, const char *lib, const struct report_locate *loc,
		     size_t nloc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct report_page p = {.d = d, .chartjs = lib, .chartjs_len = strlen(lib), .loc = loc,
				.nloc = nloc, .generated_us = T0};
	CHECK_EQ(report_html_write(m, &p), 0);
	fclose(m);
	return buf;
}

/* A label and a locate file made to break out of the page: all escaped. */
static void test_escaping(void)
{
	build_store("</script><img src=x>");
	struct report_data d;
	struct dw_error err;
	struct store_db *db = gathered(&d, 0, &err);
	d.db_path = "a&b<c>.db";
	const char *loctext = "{\"name\":\"</script><b>x\",\"target\":\"1.2.3.4\",\"hops\":"
			      "[{\"ttl\":1,\"router\":\"<i>r</i>\",\"target_reached\":false,\"replies\":0}],"
			      "\"injectors\":[],\"hop\":1}";
	struct report_locate loc;
	struct dw_error e;
	CHECK_EQ(report_locate_parse(loctext, strlen(loctext), &loc, &e), 0);
	snprintf(loc.source, sizeof loc.source, "loc\"&.json:1");
	char *page = page_of(&d, "/*! lib https://www.chartjs.org */ var s = '</SCRIPT>'; // http://kept\n", &loc, 1);
	CHECK(page != NULL);
	if (page) {
		CHECK(strstr(page, "<img") == NULL);
		CHECK(strstr(page, "<i>") == NULL);
		CHECK(strstr(page, "<b>x") == NULL);
		CHECK(strstr(page, "&lt;/script&gt;&lt;img src=x&gt;") != NULL);
		CHECK(strstr(page, "\\u003c/script\\u003e\\u003cimg src=x\\u003e") != NULL);
		CHECK(strstr(page, "a&amp;b&lt;c&gt;.db") != NULL);
		CHECK(strstr(page, "loc&quot;&amp;.json:1") != NULL);
		CHECK(strstr(page, "/*! lib www.chartjs.org */ var s = '<\\/SCRIPT>';") != NULL);
		CHECK(strstr(page, "https://") == NULL);
		CHECK(strstr(page, "http://kept") != NULL); /* not a comment block: left alone */
		/* One closing tag per script element: 3 scripts and the JSON block. */
		int n = 0;
		for (const char *p = page; (p = strstr(p, "</script>")); p++)
			n++;
		CHECK_EQ(n, 4);
		CHECK(strstr(page, "Injection window</b>: from 07:20:00 to 07:24:00 UTC") != NULL);
		CHECK(strstr(page, "until 07:34:00 UTC") != NULL);
		CHECK(strstr(page, "the injector sits at hop 1 (&lt;i&gt;r&lt;/i&gt;)") != NULL);
		CHECK(strstr(page, "<td>6&ndash;10</td></tr>") != NULL); /* the group's runs */
	}
	free(page);
	report_locate_free(&loc);
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

/* A locate file with numbers no int can hold: treated as absent, no undefined
 * conversion (UBSan aborts this test if there is one). */
static void test_locate_huge_numbers(void)
{
	build_store("isp");
	struct report_data d;
	struct dw_error err;
	struct store_db *db = gathered(&d, 0, &err);
	const char *loctext = "{\"name\":\"a.\",\"target\":\"1.2.3.4\",\"hops\":"
			      "[{\"ttl\":1e300,\"router\":\"r\",\"target_reached\":false,\"replies\":1e300}],"
			      "\"injectors\":[{\"flags\":-1e300,\"df\":true,\"ipid_zero\":false,"
			      "\"answer\":\"a\",\"replies\":3,\"first_ttl\":1e300,\"mirrors_ttl\":false}],"
			      "\"hop\":1e300}";
	struct report_locate loc;
	struct dw_error e;
	CHECK_EQ(report_locate_parse(loctext, strlen(loctext), &loc, &e), 0);
	snprintf(loc.source, sizeof loc.source, "huge.json:1");
	CHECK_EQ(loc.hop, -1);
	CHECK(loc.nhops == 1 && loc.hops[0].ttl == 0 && loc.hops[0].replies == 1e300);
	CHECK(loc.ninjectors == 1 && loc.injectors[0].flags == 0);
	char *page = page_of(&d, "var x = 1;\n", &loc, 1);
	CHECK(page != NULL);
	if (page)
		CHECK(strstr(page, "the injector sits at hop") == NULL);
	free(page);
	report_locate_free(&loc);
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

/* ---- the page agrees with itself ---- */

/* The text of the page from the element that starts with FROM to the next
 * UNTIL after it (a copy, "" if absent). */
static char *page_part(const char *page, const char *from, const char *until)
{
	const char *a = strstr(page, from);
	const char *b = a ? strstr(a, until) : NULL;
	size_t n = a && b ? (size_t)(b - a) : 0;
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, a ? a : "", n);
		s[n] = 0;
	}
	return s;
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* The number just before WHAT in TEXT (after the last '>' or space before
 * it), -1 if WHAT is absent or no number stands there. */
static long number_before(const char *text, const char *what)
{
	const char *w = strstr(text, what);
	if (!w)
		return -1;
	const char *p = w;
	while (p > text && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return p < w ? strtol(p, NULL, 10) : -1;
}

/* The number just after WHAT in TEXT, -1 if none. */
static long number_after(const char *text, const char *what)
{
	const char *w = strstr(text, what);
	if (!w)
		return -1;
	w += strlen(what);
	return *w >= '0' && *w <= '9' ? strtol(w, NULL, 10) : -1;
}

static size_t words_in(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p;) {
		p += strspn(p, " ");
		if (!*p)
			break;
		n++;
		p += strcspn(p, " ");
	}
	return n;
}

/*
 * One watch session of the gfw preset: every query to the no-DNS address drew
 * a reply from each of three injectors (which one came first rotates), the
 * resolver answered right, and watch recorded one incident with its three
 * groups, three addresses and locate's hop 2. The numbers the page shows in
 * more than one place (injector groups, forged addresses, incidents, the hop)
 * must be the same in the headline, the incident table, the groups table and
 * where the injector sits.
 */
static void test_parts_agree(void)
{
	unlink(dbpath);
	struct store_db *db;
	CHECK_EQ(store_open(&db, dbpath, NULL, NULL), DW_OK);
	struct probe_target t[2];
	target(&t[0], "client/isp", TARGET_RESOLVER, "198.18.1.1");
	target(&t[1], "client/nodns", TARGET_NODNS, "198.19.55.55");
	int64_t run;
	CHECK_EQ(store_run_begin(db, "watch --crafted", NULL, t, 2, NULL, 0, &run), DW_OK);
	static const char *const addr[3] = {"65.49.2.178", "8.7.198.45", "59.24.3.173"};
	static const uint16_t flags[3] = {0x8180, 0x8180, 0x8580};
	static const bool df[3] = {false, true, false};
	char fp[3][256];
	struct probe_result r;
	const int N = 12;
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof name, "www.name%d.com", i);
		int64_t us = T0 + i * 1000000ll;
		result(&r, (uint64_t)i, 0, name, us, VERDICT_OK);
		CHECK_EQ(store_put(db, &r), DW_OK);
		result(&r, (uint64_t)i, 1, name, us + 1000, VERDICT_OK);
		r.verdict = VERDICT_INJECTED;
		r.nreplies = r.replies_seen = 3;
		for (int k = 0; k < 3; k++) {
			int inj = (i + k) % 3;
			reply(&r.reply[k], addr[inj], (uint8_t)(40 + k), 60, flags[inj], df[inj]);
			if (inj == 2)
				r.reply[k].ip_id = 0;
			r.reply[k].time_us = (uint64_t)(us + 2000 + k * 100);
			struct classify_fp f;
			classify_fp_of(&r.reply[k], 0, &f);
			classify_fp_format(&f, fp[inj], sizeof fp[inj]);
		}
		r.forged_reply = 0;
		r.group = i % 3 + 1;
		CHECK_EQ(store_put(db, &r), DW_OK);
	}
	for (int g = 0; g < 3; g++) {
		struct probe_addr a = {.family = AF_INET};
		inet_pton(AF_INET, addr[g], a.addr);
		CHECK_EQ(store_group_put(db, g + 1, fp[g], (uint64_t)N, &a, 1), DW_OK);
	}
	struct store_incident inc = {.run = run, .started_us = T0 + 2000, .raised_us = T0 + 800000,
				     .injection_end_us = T0 + (N - 1) * 1000000ll + 2000,
				     .ended_us = T0 + (N - 1) * 1000000ll + 2000, .peak_share = 1, .hop = 2};
	snprintf(inc.scope, sizeof inc.scope, "com via client/nodns");
	snprintf(inc.addresses, sizeof inc.addresses, "%s %s %s", addr[0], addr[1], addr[2]);
	snprintf(inc.summary, sizeof inc.summary, "the three injectors");
	snprintf(inc.cause, sizeof inc.cause, "on-path");
	snprintf(inc.hop_router, sizeof inc.hop_router, "198.18.0.2");
	snprintf(inc.locate, sizeof inc.locate, "the router 198.18.0.2 from client towards nodns");
	snprintf(inc.groups, sizeof inc.groups, "1 2 3");
	CHECK_EQ(store_incident_put(db, &inc), DW_OK);
	CHECK_EQ(store_run_finish(db, false), DW_OK);
	CHECK_EQ(store_close(db), DW_OK);

	struct report_data d;
	struct dw_error err;
	db = gathered(&d, 0, &err);
	/* what the parts are drawn from */
	CHECK_EQ(d.ngroups, 3);
	CHECK_EQ(d.naddrs, 3);
	CHECK_EQ(d.nincidents, 1);
	if (d.nincidents == 1) {
		const struct store_incident *in = &d.incidents[0];
		CHECK_EQ(words_in(in->groups), d.ngroups);
		CHECK_EQ(words_in(in->addresses), d.naddrs);
		CHECK_EQ(in->hop, 2);
		CHECK_STR(in->hop_router, "198.18.0.2");
		CHECK_STR(in->locate, "the router 198.18.0.2 from client towards nodns");
	}
	uint64_t forged = 0;
	for (size_t g = 0; g < d.ngroups; g++)
		forged += d.groups[g].count;
	CHECK_EQ(forged, 3 * (uint64_t)N);

	/* what each part of the page says */
	char *page = page_of(&d, "var x = 1;\n", NULL, 0);
	CHECK(page != NULL);
	char *summary = page ? page_part(page, "<section id=\"summary\">", "<h3>Incident records") : NULL;
	char *incidents = page ? page_part(page, "<table id=\"incidents\">", "</table>") : NULL;
	char *groups = page ? page_part(page, "<section id=\"groups\">", "</section>") : NULL;
	char *locate = page ? page_part(page, "<section id=\"locate\">", "</section>") : NULL;
	CHECK(summary && incidents && groups && locate);
	if (summary && incidents && groups && locate) {
		long h_groups = -1;
		const char *li = strstr(summary, " injector fingerprint");
		CHECK(li != NULL);
		if (li) { /* the headline's item of the groups */
			const char *start = li;
			while (start > summary && strncmp(start, "<li>", 4))
				start--;
			h_groups = strtol(start + 4, NULL, 10);
		}
		long h_addrs = number_after(summary, ", of ");
		long h_incidents = number_before(summary, " incident recorded by");
		long h_hop = number_after(summary, "Located by watch (incident 1): the injector sits at hop ");
		long t_rows = (long)occurrences(incidents, "<tr><td>");
		long t_groups = number_before(incidents, " <small>(1 2 3)</small>");
		long t_hop = number_after(incidents, "(1 2 3)</small></td><td class=\"num\">");
		const char *code = strstr(incidents, "<td><code>");
		char cell[256] = "";
		if (code)
			sscanf(code + 10, "%255[^<]", cell);
		long t_addrs = (long)words_in(cell);
		long g_rows = (long)occurrences(groups, "<tr><td>");
		long l_hop = number_after(locate, "the injector sits at hop ");

		CHECK_EQ(h_groups, 3);
		CHECK_EQ(t_groups, h_groups);
		CHECK_EQ(g_rows, h_groups);
		CHECK_EQ(h_addrs, 3);
		CHECK_EQ(t_addrs, h_addrs);
		CHECK_EQ(h_incidents, 1);
		CHECK_EQ(t_rows, h_incidents);
		CHECK_EQ(h_hop, 2);
		CHECK_EQ(t_hop, h_hop);
		CHECK_EQ(l_hop, h_hop);
		CHECK(strstr(locate, "No locate results given") == NULL);
		CHECK(strstr(locate, "(198.18.0.2)") != NULL);
	}
	free(summary);
	free(incidents);
	free(groups);
	free(locate);
	free(page);
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

/* Two runs two days apart: one bucket per run, and the axis shows dates. */
static void test_days(void)
{
	unlink(dbpath);
	struct store_db *db;
	CHECK_EQ(store_open(&db, dbpath, NULL, NULL), DW_OK);
	struct probe_target t;
	target(&t, "isp", TARGET_RESOLVER, "198.18.1.1");
	struct probe_result r;
	for (int i = 0; i < 2; i++) {
		int64_t run;
		CHECK_EQ(store_run_begin(db, "probe", NULL, &t, 1, NULL, 0, &run), DW_OK);
		result(&r, 0, 0, "www.example.org", T0 + i * 2 * 1440 * MIN, i ? VERDICT_OK : VERDICT_POISONED);
		CHECK_EQ(store_put(db, &r), DW_OK);
		CHECK_EQ(store_run_finish(db, false), DW_OK);
	}
	CHECK_EQ(store_close(db), DW_OK);
	struct report_data d;
	struct dw_error err;
	db = gathered(&d, 0, &err);
	CHECK_EQ(d.bucket_us, 2 * 1440 * MIN);
	CHECK_EQ(d.nbuckets, 2);
	CHECK_EQ(d.tail_poisoned, 1); /* poisoned with no injection seen: all tail */
	char *page = page_of(&d, "", NULL, 0);
	CHECK(page && strstr(page, "[\"01-20 00:00\",\"01-22 00:00\"]") != NULL);
	CHECK(page && strstr(page, "no injection was seen by these probes") != NULL);
	free(page);
	report_data_free(&d);
	CHECK_EQ(store_close(db), DW_OK);
}

/* A locate line into report's structure: members by type, defaults for the
 * rest; what is not JSON, or not locate's, says so with the offset. */
static void test_locate_json(void)
{
	struct report_locate l;
	struct dw_error e;
	const char *ok = " {\"name\": \"x\\u00e9\\ud83d\\ude00\\n\\\"\", \"target\": 7, \"hop\": 2,"
			 " \"hop_tentative\": true, \"hops\": [{\"ttl\": 1, \"router\": null, \"replies\": -2.5e1},"
			 " {\"ttl\": 2, \"router\": \"198.18.2.1\", \"target_reached\": true}, 3],"
			 " \"injectors\": [{\"flags\": 33152, \"df\": true, \"answer\": \"a\\u0000b\","
			 " \"first_ttl\": 61, \"mirrors_ttl\": false}], \"o\": {}} ";
	CHECK_EQ(report_locate_parse(ok, strlen(ok), &l, &e), 0);
	CHECK_STR(l.name ? l.name : "", "x\xc3\xa9\xf0\x9f\x98\x80\n\"");
	CHECK(l.target == NULL);
	CHECK_EQ(l.hop, 2);
	CHECK(l.hop_tentative && !l.untrusted_mirroring);
	CHECK_EQ(l.nhops, 3);
	if (l.nhops == 3) {
		CHECK(l.hops[0].ttl == 1 && l.hops[0].router == NULL && l.hops[0].replies == -25);
		CHECK_STR(l.hops[1].router ? l.hops[1].router : "", "198.18.2.1");
		CHECK(l.hops[1].target_reached && l.hops[1].replies == 0);
		CHECK(l.hops[2].ttl == 0 && l.hops[2].router == NULL); /* not an object: defaults */
	}
	CHECK_EQ(l.ninjectors, 1);
	if (l.ninjectors == 1) {
		CHECK(l.injectors[0].flags == 0x8180 && l.injectors[0].df && !l.injectors[0].ipid_zero);
		CHECK_STR(l.injectors[0].answer ? l.injectors[0].answer : "", "a"); /* \u0000 ends it */
		CHECK(l.injectors[0].first_ttl == 61 && l.injectors[0].replies == 0);
	}
	report_locate_free(&l);
	CHECK(l.hops == NULL && l.name == NULL);
	/* "hops" of any type makes it locate's; the tables are then empty */
	const char *nohops = "{\"hops\": null, \"hop\": 300}";
	CHECK_EQ(report_locate_parse(nohops, strlen(nohops), &l, &e), 0);
	CHECK(l.nhops == 0 && l.hop == -1);
	report_locate_free(&l);

	static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"",
					  "\"a\nb\"", "tru", "[1] 2", "{\"a\":1,}", "-", "\"\\ud800\"",
					  "\"\xff\"", "1e400", "{\"a\\u0000\": 1}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ(report_locate_parse(bad[i], strlen(bad[i]), &l, &e), -1);
		CHECK(strncmp(e.text, "not JSON: ", 10) == 0 && strstr(e.text, " at offset ") != NULL);
		CHECK(l.hops == NULL && l.name == NULL);
	}
	const char *b2 = "{\"a\":[1,2}";
	CHECK_EQ(report_locate_parse(b2, strlen(b2), &l, &e), -1);
	CHECK_STR(e.text, "not JSON: expected ',' or ']' at offset 10");
	b2 = "{\"hops\": [";
	CHECK_EQ(report_locate_parse(b2, strlen(b2), &l, &e), -1);
	CHECK_STR(e.text, "not JSON: expected ',' or ']' at offset 10");
	b2 = "{\"hops\": \"open";
	CHECK_EQ(report_locate_parse(b2, strlen(b2), &l, &e), -1);
	CHECK_STR(e.text, "not JSON: unterminated string at offset 14");
	static const char *const other[] = {"{\"name\": \"x\"}", "[{\"hops\": []}]", "null"};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		CHECK_EQ(report_locate_parse(other[i], strlen(other[i]), &l, &e), -1);
		CHECK_STR(e.text, "not a `dnswatch locate --json` object");
	}
	/* nesting: 32 levels are read, the 33rd is refused where it opens,
	 * before the text's own error (unclosed) */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK_EQ(report_locate_parse(deep, sizeof deep, &l, &e), -1);
	CHECK_STR(e.text, "not JSON: nested too deep (more than 32 levels) at offset 32");
	CHECK_EQ(report_locate_parse(deep, 100, &l, &e), -1);
	CHECK(strstr(e.text, "nested too deep") != NULL);
	char ok32[80];
	memset(ok32, '[', 32);
	memset(ok32 + 32, ']', 32);
	ok32[64] = 0;
	CHECK_EQ(report_locate_parse(ok32, 64, &l, &e), -1);
	CHECK_STR(e.text, "not a `dnswatch locate --json` object");
}

int main(void)
{
	char dir[] = "/tmp/dw-report-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof dbpath, "%s/r.db", dir);
	RUN(test_bucket_size);
	RUN(test_locate_json);
	RUN(test_gather);
	RUN(test_empty);
	RUN(test_escaping);
	RUN(test_locate_huge_numbers);
	RUN(test_days);
	RUN(test_parts_agree);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return harness_done();
}
