/* probe/classify and probe/reply: verdicts from crafted reply sets, injector
 * groups, the answer key, NDJSON preloading, and precision/recall on a
 * synthetic lab run checked against the "injector's log" (ground truth). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "probe/classify.h"
#include "probe/reply.h"
#include "wire/build.h"
#include "wire/edns.h"

/* ---- crafting ---------------------------------------------------------------- */

static const struct probe_target T_NODNS = {"nodns", TARGET_NODNS, AF_INET, {198, 18, 55, 55}, 53};
static const struct probe_target T_PUB = {"public", TARGET_RESOLVER, AF_INET, {198, 19, 8, 8}, 53};
static const struct probe_target T_ISP = {"isp", TARGET_RESOLVER, AF_INET, {198, 18, 1, 1}, 53};
static const struct probe_target T_AUTH = {"auth", TARGET_AUTH, AF_INET, {198, 19, 54, 1}, 53};

/* One reply as a sender would write it. Zero fields take the defaults. */
struct rspec {
	uint16_t flags;        /* 0: 0x8180 */
	uint16_t rcode;
	const char *addr[4];   /* answer addresses (A or AAAA by their text) */
	uint32_t attl;         /* answer TTL; 0: 60 */
	bool full_owner;       /* answer owner written in full (else c00c) */
	const char *qname;     /* the reply's question, if not the query's */
	bool no_ip;            /* IP-level fields not captured */
	uint8_t ttl;           /* IP TTL; 0: 60 */
	uint16_t ipid;
	bool df;
	bool edns;             /* an OPT record (arcount 1) */
	int ede;               /* an EDE option with this info code (needs edns); 0: none */
	const uint8_t *src;    /* source address; NULL: the target's */
};

static void wname(const char *text, uint8_t *out)
{
	size_t n;
	if (wire_name_from_text(text, out, &n) != DW_OK)
		FAIL("bad fixture name %s", text);
}

static void mkresult(struct probe_result *r, const char *name, uint16_t qtype)
{
	memset(r, 0, sizeof *r);
	wname(name, r->qname);
	r->qtype = qtype;
	r->attempts = 1;
	r->forged_reply = -1;
	r->group = -1;
}

/* Build the DNS bytes of S answering R's question into BUF; returns the length. */
static size_t mkdns(const struct probe_result *r, const struct rspec *s, uint8_t *buf, size_t cap)
{
	struct wire_builder b;
	uint8_t q[WIRE_NAME_MAX];
	if (s->qname)
		wname(s->qname, q);
	else
		memcpy(q, r->qname, sizeof q);
	uint16_t flags = (uint16_t)((s->flags ? s->flags : 0x8180) | (s->rcode & 0xf));
	wire_build_init(&b, buf, cap, 0x1234, flags);
	wire_build_question(&b, q, r->qtype, WIRE_C_IN);
	if (s->full_owner)
		b.compress = 0;
	for (int i = 0; i < 4 && s->addr[i]; i++) {
		uint8_t a[16];
		if (inet_pton(AF_INET, s->addr[i], a) == 1)
			wire_build_rr_raw(&b, WIRE_SEC_ANSWER, q, WIRE_T_A, WIRE_C_IN,
					  s->attl ? s->attl : 60, a, 4);
		else if (inet_pton(AF_INET6, s->addr[i], a) == 1)
			wire_build_rr_raw(&b, WIRE_SEC_ANSWER, q, WIRE_T_AAAA, WIRE_C_IN,
					  s->attl ? s->attl : 60, a, 16);
	}
	b.compress = 1;
	if (s->edns) {
		uint8_t opt[6] = {0, WIRE_EDNS_EDE, 0, 2, (uint8_t)(s->ede >> 8), (uint8_t)s->ede};
		wire_build_edns(&b, 1232, (uint8_t)(s->rcode >> 4), 0, 0, s->ede ? opt : NULL,
				s->ede ? 6 : 0);
	}
	size_t len = 0;
	if (wire_build_finish(&b, &len) != DW_OK)
		FAIL("fixture reply does not build");
	return len;
}

/* Append reply S from target T to R. */
static struct probe_reply *reply(struct probe_result *r, const struct probe_target *t,
				 struct rspec s)
{
	uint8_t dns[512], q[PROBE_QUESTION_MAX];
	size_t len = mkdns(r, &s, dns, sizeof dns);
	size_t ql = probe_question_make(r->qname, r->qtype, q);
	r->replies_seen++;
	if (r->nreplies >= PROBE_REPLIES_MAX)
		return NULL;
	struct probe_reply *p = &r->reply[r->nreplies++];
	memset(p, 0, sizeof *p);
	p->family = AF_INET;
	memcpy(p->src, s.src ? s.src : t->addr, 4);
	p->sport = 53;
	p->time_us = 1000u * r->nreplies;
	p->ip_known = !s.no_ip;
	p->ip_ttl = s.ttl ? s.ttl : 60;
	p->ip_id = s.ipid;
	p->df = s.df;
	probe_reply_fill(p, dns, len, q, ql);
	return p;
}

/* The three published GFW injectors (docs/rules.md, the gfw preset), as
 * replies to an RD=1 query; TTLS vary what they randomise. */
static struct rspec gfw1(const char *a, uint8_t ttl)
{
	return (struct rspec){.flags = 0x8400, .addr = {a}, .attl = 60, .full_owner = true,
			      .ttl = ttl, .ipid = (uint16_t)(1000 + ttl * 7), .df = false};
}
static struct rspec gfw2(const char *a, uint8_t ttl, uint32_t attl)
{
	return (struct rspec){.flags = 0x8180, .addr = {a}, .attl = attl, .ttl = ttl,
			      .ipid = (uint16_t)(4000 + ttl * 13), .df = true};
}
static struct rspec gfw3(const char *a, uint8_t ttl, uint32_t attl)
{
	return (struct rspec){.flags = 0x8180, .addr = {a}, .attl = attl, .ttl = ttl, .ipid = 0,
			      .df = false};
}
/* A real resolver's reply (Linux unbound: DF set, unconnected socket so ID 0, EDNS). */
static struct rspec real(const char *a0, const char *a1)
{
	return (struct rspec){.flags = 0x8180, .addr = {a0, a1}, .attl = 300, .ttl = 62,
			      .ipid = 0, .df = true, .edns = true};
}

static const char KEY[] =
	"# dnswatch lab answer key v1 seed=1 names=5 zones=4\n"
	"name\ttype\taddresses\tzone\tserver\tttl\n"
	"dev.lune0.com.\tA\t198.19.145.242,198.19.150.37,198.19.210.214\tlune0.com.\t198.19.54.6\t86400\n"
	"dev.goma1.com.\tA\t198.19.137.122,198.19.255.169\tgoma1.com.\t198.19.54.4\t300\n"
	"dev.goma1.com.\tAAAA\tfd53::1:2\tgoma1.com.\t198.19.54.4\t300\n"
	"www.kelp2.net.\tA\t198.19.140.1\tkelp2.net.\t198.19.54.2\t3600\n"
	"mail.tofu3.org.\tA\t198.19.141.9\ttofu3.org.\t198.19.54.3\t600\n"
	"www.panda4.cn.\tA\t198.18.130.5\tpanda4.cn.\t198.18.54.1\t300\n"
	"gone.lune0.com.\tA\tNXDOMAIN\tlune0.com.\t198.19.54.6\t300\n";

/* A field of group ID, or -1 if there is no such group (no crash on a failure). */
#define GFIELD(c, id, field) \
	(classify_group_find((c), (id)) ? (long long)classify_group_find((c), (id))->field : -1)

static char tmpdir[] = "/tmp/dw-test-classify-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		FAIL("cannot write fixture %s", path);
		return NULL;
	}
	fputs(text, f);
	if (fclose(f) != 0)
		FAIL("cannot write fixture %s", path);
	return path;
}

/* A classifier with the answer key above loaded. */
static struct classify *with_key(void)
{
	struct classify *c = classify_new(NULL);
	struct dw_error err;
	long n = classify_control_load_key(c, write_file("answers.tsv", KEY), &err);
	if (n != 7)
		FAIL("fixture key: %ld rows, want 7 (%s)", n, n < 0 ? err.text : "");
	return c;
}

/* ---- probe_reply_fill ---------------------------------------------------------- */

static void test_reply_fill(void)
{
	struct probe_result r;
	mkresult(&r, "Dev.Lune0.COM", WIRE_T_A);
	struct probe_reply *p = reply(&r, &T_PUB, real("198.19.145.242", "198.19.150.37"));
	CHECK(p->parsed);
	CHECK(p->question_match);
	CHECK_EQ(p->flags, 0x8180);
	CHECK_EQ(p->rcode, 0);
	CHECK_EQ(p->ancount, 2);
	CHECK_EQ(p->nscount, 0);
	CHECK_EQ(p->arcount, 1);
	CHECK(p->answer_ptr);
	CHECK_EQ(p->answer_ttl, 300);
	CHECK_EQ(p->naddrs, 2);
	CHECK_EQ(p->addrs[1].family, AF_INET);
	CHECK_MEM(p->addrs[1].addr, "\xc6\x13\x96\x25", 4);
	CHECK_EQ(p->len, p->rawlen);
	CHECK_EQ(p->ip_ttl, 62); /* the caller's fields are left alone */

	/* the owner in full, AA flags */
	p = reply(&r, &T_PUB, gfw1("65.49.2.178", 50));
	CHECK(!p->answer_ptr);
	CHECK_EQ(p->flags, 0x8400);
	CHECK_EQ(p->arcount, 0);

	/* 0x20: the same name in another case is another question */
	p = reply(&r, &T_PUB, (struct rspec){.qname = "dev.lune0.com", .addr = {"1.2.3.4"}});
	CHECK(p->parsed);
	CHECK(!p->question_match);

	/* extended rcode via OPT (BADVERS = 16), and EDE kept in raw */
	p = reply(&r, &T_PUB, (struct rspec){.rcode = 16, .edns = true});
	CHECK_EQ(p->rcode, 16);

	/* garbage and a cut message */
	struct probe_reply q;
	memset(&q, 0, sizeof q);
	uint8_t junk[5] = {0x12, 0x34, 0x81, 0x83, 0};
	CHECK_EQ(probe_reply_fill(&q, junk, sizeof junk, NULL, 0), -1);
	CHECK(!q.parsed);
	CHECK_EQ(q.flags, 0x8183);
	CHECK_EQ(q.rcode, 3);
	uint8_t dns[512];
	struct rspec s = real("198.19.145.242", NULL);
	size_t len = mkdns(&r, &s, dns, sizeof dns);
	CHECK_EQ(probe_reply_fill(&q, dns, len - 3, NULL, 0), -1);
	CHECK(!q.parsed);
	CHECK_EQ(q.ancount, 1);
	CHECK(!q.question_match);
	/* AAAA and CNAME */
	struct wire_builder b;
	uint8_t nm[WIRE_NAME_MAX], tgt[WIRE_NAME_MAX], v6[16];
	wname("a.example.", nm);
	wname("b.example.", tgt);
	inet_pton(AF_INET6, "2001::5", v6);
	wire_build_init(&b, dns, sizeof dns, 1, 0x8180);
	wire_build_question(&b, nm, WIRE_T_AAAA, WIRE_C_IN);
	size_t tl = wire_name_len(tgt, WIRE_NAME_MAX);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, nm, WIRE_T_CNAME, WIRE_C_IN, 99, tgt, (uint16_t)tl);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, tgt, WIRE_T_AAAA, WIRE_C_IN, 77, v6, 16);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	uint8_t qs[PROBE_QUESTION_MAX];
	size_t ql = probe_question_make(nm, WIRE_T_AAAA, qs);
	CHECK_EQ(ql, 15);
	CHECK_EQ(probe_reply_fill(&q, dns, len, qs, ql), 0);
	CHECK(q.question_match);
	CHECK_EQ(q.ncnames, 1);
	CHECK_EQ(q.naddrs, 1);
	CHECK_EQ(q.addrs[0].family, AF_INET6);
	CHECK_EQ(q.addrs[0].ttl, 77);
	CHECK_EQ(q.answer_ttl, 99);
	/* asked for A: the question differs in type */
	ql = probe_question_make(nm, WIRE_T_A, qs);
	probe_reply_fill(&q, dns, len, qs, ql);
	CHECK(!q.question_match);
}

/* ---- the control ------------------------------------------------------------------ */

static void test_key_load(void)
{
	struct classify *c = with_key();
	struct classify_control ctl;
	uint8_t n[WIRE_NAME_MAX];
	wname("DEV.lune0.Com", n); /* canonical comparison */
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK_EQ(ctl.source, CLASSIFY_SRC_KEY);
	CHECK_EQ(ctl.naddrs, 3);
	CHECK_MEM(ctl.addrs[2].addr, "\xc6\x13\xd2\xd6", 4);
	/* listed with A only: AAAA is NODATA */
	classify_control_get(c, n, WIRE_T_AAAA, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_NODATA);
	wname("dev.goma1.com", n);
	classify_control_get(c, n, WIRE_T_AAAA, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK_EQ(ctl.addrs[0].family, AF_INET6);
	CHECK_EQ(ctl.addrs[0].addr[15], 2);
	wname("gone.lune0.com", n);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_RCODE);
	CHECK_EQ(ctl.rcode, WIRE_RCODE_NXDOMAIN);
	wname("unknown.example", n);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_UNKNOWN);
	/* 6 names + 7 (name, type) lines */
	CHECK_EQ(classify_control_count(c), 13);

	/* a weaker source does not overwrite the key; the same source merges */
	struct classify_control live = {.expect = CLASSIFY_EXPECT_ADDRS, .source = CLASSIFY_SRC_LIVE,
					.naddrs = 1};
	live.addrs[0].family = AF_INET;
	memcpy(live.addrs[0].addr, "\x01\x02\x03\x04", 4);
	wname("www.kelp2.net", n);
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &live), 0);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.naddrs, 1);
	CHECK_MEM(ctl.addrs[0].addr, "\xc6\x13\x8c\x01", 4);
	wname("cdn.example", n);
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &live), 0);
	live.addrs[0].addr[3] = 5;
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &live), 0);
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &live), 0);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.naddrs, 2);
	CHECK_EQ(ctl.addrs[1].addr[3], 5);
	classify_free(c);
}

static void test_key_errors(void)
{
	struct classify *c = classify_new(NULL);
	struct dw_error err;
	const char *p = write_file("bad1.tsv", "# dnswatch lab answer key v1\nname\ttype\taddresses\n"
					       "a.com.\tA\t1.2.3.4\n"
					       "b.com.\tA\t1.2.3.999\tb.com.\t1.1.1.1\t60\n");
	CHECK_EQ(classify_control_load_key(c, p, &err), -1);
	CHECK(strstr(err.text, "bad1.tsv:4: bad A address '1.2.3.999'") != NULL);
	p = write_file("bad2.tsv", "# dnswatch lab answer key v2 seed=1\n");
	CHECK_EQ(classify_control_load_key(c, p, &err), -1);
	CHECK(strstr(err.text, ":1: answer key version 2") != NULL);
	CHECK_EQ(err.status, DW_E_VERSION);
	p = write_file("bad3.tsv", "a.com.\tA\n");
	CHECK_EQ(classify_control_load_key(c, p, &err), -1);
	CHECK(strstr(err.text, ":1: fewer than 3") != NULL);
	p = write_file("bad4.tsv", "a.com.\tBOGUS\t1.2.3.4\n");
	CHECK_EQ(classify_control_load_key(c, p, &err), -1);
	CHECK(strstr(err.text, "bad type 'BOGUS'") != NULL);
	p = write_file("bad5.tsv", "a.com.\tAAAA\t1.2.3.4\n");
	CHECK_EQ(classify_control_load_key(c, p, &err), -1);
	CHECK(strstr(err.text, "bad AAAA address") != NULL);
	CHECK_EQ(classify_control_load_key(c, "/nonexistent/x.tsv", &err), -1);
	CHECK(strstr(err.text, "No such file") != NULL);
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
	/* entries before the error stay */
	uint8_t n[WIRE_NAME_MAX];
	struct classify_control ctl;
	wname("a.com", n);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	classify_free(c);
}

static void test_limits(void)
{
	struct classify_limits lim = {.control_max = 3, .forged_max = 2};
	struct classify *c = classify_new(&lim);
	struct classify_control ctl = {.expect = CLASSIFY_EXPECT_NODATA, .source = CLASSIFY_SRC_KEY};
	uint8_t n[WIRE_NAME_MAX];
	char t[32];
	int ok = 0;
	for (int i = 0; i < 5; i++) {
		snprintf(t, sizeof t, "n%d.com", i);
		wname(t, n);
		ok += classify_control_add(c, n, WIRE_T_A, &ctl) == 0;
	}
	CHECK_EQ(ok, 3);
	CHECK_EQ(classify_control_count(c), 3);
	uint8_t a[4] = {10, 0, 0, 1};
	CHECK_EQ(classify_forged_add(c, AF_INET, a, 1), 1);
	CHECK_EQ(classify_forged_add(c, AF_INET, a, 2), 0);
	a[3] = 2;
	CHECK_EQ(classify_forged_add(c, AF_INET, a, 1), 1);
	a[3] = 3;
	CHECK_EQ(classify_forged_add(c, AF_INET, a, 1), -1);
	CHECK_EQ(classify_forged_add(c, 99, a, 1), -1);
	int32_t g = 0;
	a[3] = 1;
	CHECK(classify_forged_has(c, AF_INET, a, &g));
	CHECK_EQ(g, 1);
	classify_free(c);

	/* a big table grows and finds everything back */
	c = classify_new(NULL);
	for (int i = 0; i < 20000; i++) {
		uint8_t b4[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		CHECK_EQ(classify_forged_add(c, AF_INET, b4, i), 1);
	}
	int found = 0;
	for (int i = 0; i < 20000; i++) {
		uint8_t b4[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		found += classify_forged_has(c, AF_INET, b4, &g) && g == i;
	}
	CHECK_EQ(found, 20000);
	CHECK_EQ(classify_forged_count(c), 20000);
	classify_free(c);
}

/* ---- verdicts one by one -------------------------------------------------------- */

static void test_ok_timeout(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	reply(&r, &T_PUB, real("198.19.150.37", "198.19.145.242"));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK_EQ(r.forged_reply, -1);
	CHECK_EQ(r.group, -1);
	CHECK_STR(r.evidence, "matches the control 198.19.145.242 +2");

	/* a subset of the control's addresses is still the control's answer */
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	reply(&r, &T_PUB, real("198.19.210.214", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_OK);

	/* NODATA as the key implies */
	mkresult(&r, "www.kelp2.net", WIRE_T_AAAA);
	reply(&r, &T_PUB, real(NULL, NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_OK);

	/* no reply */
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	r.attempts = 3;
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_TIMEOUT);
	CHECK_STR(r.evidence, "no reply in 3 attempts");
	/* silence from an address without DNS is what should happen */
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK_STR(r.evidence, "no reply, as from an address that runs no DNS");

	/* no control: nothing to compare, nothing concluded */
	mkresult(&r, "other.example", WIRE_T_A);
	reply(&r, &T_PUB, real("192.0.2.1", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK_STR(r.evidence, "no control; 192.0.2.1 (IP TTL 62, ID 0)");
	classify_free(c);
}

static void test_noise(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	/* a reply to another question (0x20 case differs) and one from another
	 * source are noise: not evidence of anything */
	mkresult(&r, "Dev.Lune0.com", WIRE_T_A);
	reply(&r, &T_PUB, (struct rspec){.qname = "dev.lune0.com", .addr = {"65.49.2.178"}});
	static const uint8_t other[4] = {203, 0, 113, 1};
	reply(&r, &T_PUB, (struct rspec){.addr = {"65.49.2.178"}, .src = other});
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_TIMEOUT);
	CHECK_STR(r.evidence, "no usable reply in 1 attempt; 2 ignored (another question)");
	/* even from the no-DNS address */
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK_EQ(classify_group_count(c), 0);
	CHECK_EQ(classify_forged_count(c), 0);
	/* beside a good reply: ok, noted */
	reply(&r, &T_PUB, real("198.19.145.242", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK(strstr(r.evidence, "; 2 ignored (another question)") != NULL);
	/* not a response, unparsable */
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	reply(&r, &T_PUB, (struct rspec){.flags = 0x0100, .addr = {"65.49.2.178"}});
	struct probe_reply *p = reply(&r, &T_PUB, (struct rspec){.addr = {"65.49.2.178"}});
	p->parsed = false;
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_TIMEOUT);
	CHECK(strstr(r.evidence, "2 ignored (not a response)") != NULL);
	classify_free(c);
}

static void test_nodns_injected(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_NODNS, gfw3("65.49.2.178", 47, 130));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	CHECK_EQ(r.group, 1);
	CHECK_STR(r.evidence,
		  "1 reply from a target that runs no DNS: 65.49.2.178 (IP TTL 47, ID 0); group 1");
	uint8_t a[4] = {65, 49, 2, 178};
	int32_t g;
	CHECK(classify_forged_has(c, AF_INET, a, &g));
	CHECK_EQ(g, 1);
	/* even an answer that matches the control: the address runs no DNS */
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_NODNS, gfw1("198.19.140.1", 50));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.group, 2);
	/* ... but the real address is not put in the forged set */
	uint8_t realaddr[4] = {198, 19, 140, 1};
	CHECK(!classify_forged_has(c, AF_INET, realaddr, NULL));
	classify_free(c);
}

static void test_race(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	/* Hold-On: forged first, the real reply later */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw3("65.49.2.178", 47, 130));
	reply(&r, &T_PUB, real("198.19.137.122", "198.19.255.169"));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	CHECK_EQ(r.group, 1);
	CHECK_STR(r.evidence, "2 replies; first 65.49.2.178 (IP TTL 47, ID 0) differs from the "
			      "control, second matches; group 1");
	/* three injectors, then the real one */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw2("8.7.198.45", 58, 200));
	reply(&r, &T_PUB, gfw1("65.49.2.178", 64));
	reply(&r, &T_PUB, gfw3("59.24.3.173", 51, 236));
	reply(&r, &T_PUB, real("198.19.137.122", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	CHECK_EQ(r.group, 2);
	CHECK(strstr(r.evidence, "; 3 forged") != NULL);
	CHECK_EQ(classify_group_count(c), 3);
	CHECK_EQ(GFIELD(c, 1, queries), 2);
	/* every forged reply's group, for watch's count; the real one none */
	CHECK_EQ(r.reply_group[0], 2);
	CHECK_EQ(r.reply_group[1], 3);
	CHECK_EQ(r.reply_group[2], 1);
	CHECK_EQ(r.reply_group[3], 0);
	/* forged NXDOMAIN, then the real answer */
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_PUB, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN, .ttl = 47, .ipid = 9});
	reply(&r, &T_PUB, real("198.19.140.1", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK(strstr(r.evidence, "first NXDOMAIN (IP TTL 47, ID 9) differs") != NULL);
	uint8_t n[WIRE_NAME_MAX];
	wname("www.kelp2.net", n);
	CHECK(classify_forged_name_has(c, n, NULL));
	/* the reverse order (a late reply that differs) is not proof */
	mkresult(&r, "mail.tofu3.org", WIRE_T_A);
	reply(&r, &T_PUB, real("198.19.141.9", NULL));
	reply(&r, &T_PUB, (struct rspec){.addr = {"192.0.2.77"}, .ttl = 40, .ipid = 5});
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	CHECK(strstr(r.evidence, "2 replies disagree; last 192.0.2.77") != NULL);
	/* two disagreeing replies and no control: which is real is not known */
	mkresult(&r, "nokey.example", WIRE_T_A);
	reply(&r, &T_PUB, (struct rspec){.addr = {"192.0.2.78"}, .ttl = 40, .ipid = 5});
	reply(&r, &T_PUB, real("192.0.2.79", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	CHECK(strstr(r.evidence, "no control tells the real one") != NULL);
	classify_free(c);
}

static void test_poisoned(void)
{
	struct classify *c = with_key();
	struct probe_result r, isp;
	/* the ISP resolver relays a cached forgery before the run has seen one */
	mkresult(&isp, "mail.tofu3.org", WIRE_T_A);
	reply(&isp, &T_ISP, (struct rspec){.addr = {"65.49.2.178"}, .attl = 3540, .ttl = 64,
					   .df = true, .edns = true});
	classify_judge(c, &isp, &T_ISP);
	CHECK_EQ(isp.verdict, VERDICT_INCONSISTENT);
	CHECK_STR(isp.evidence, "65.49.2.178 (IP TTL 64, ID 0) differs from the control "
				"198.19.141.9; not seen forged");
	/* the no-DNS address shows the address is an injector's */
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	reply(&r, &T_NODNS, gfw2("65.49.2.178", 50, 90));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK(classify_rejudge(c, &isp, &T_ISP));
	CHECK_EQ(isp.verdict, VERDICT_POISONED);
	CHECK_EQ(isp.forged_reply, 0);
	CHECK_EQ(isp.group, 1);
	CHECK_STR(isp.evidence, "65.49.2.178 (IP TTL 64, ID 0) was seen forged (group 1); control "
				"198.19.141.9; a resolver relaying a cached forgery");
	CHECK(!classify_rejudge(c, &isp, &T_ISP));
	/* an injected result is not rejudged (its replies are counted once) */
	CHECK(!classify_rejudge(c, &r, &T_NODNS));
	CHECK_EQ(GFIELD(c, 1, count), 1);
	/* the same address from the ISP resolver for a name whose control has it: ok */
	struct classify_control ctl = {.expect = CLASSIFY_EXPECT_ADDRS, .source = CLASSIFY_SRC_KEY,
				       .naddrs = 1};
	ctl.addrs[0].family = AF_INET;
	memcpy(ctl.addrs[0].addr, "\x41\x31\x02\xb2", 4);
	uint8_t n[WIRE_NAME_MAX];
	wname("really.there.example", n);
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &ctl), 0);
	mkresult(&r, "really.there.example", WIRE_T_A);
	reply(&r, &T_ISP, real("65.49.2.178", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	/* no control at all: a forged address from a resolver is still poisoned */
	mkresult(&r, "nokey.example", WIRE_T_A);
	reply(&r, &T_ISP, real("65.49.2.178", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_POISONED);
	CHECK(strstr(r.evidence, "no control") != NULL);
	/* a cached forged NXDOMAIN */
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_NODNS, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN, .ttl = 47, .ipid = 9});
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN, .df = true, .edns = true});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_POISONED);
	CHECK(strstr(r.evidence, "NXDOMAIN (IP TTL 60, ID 0) for a name seen forged NXDOMAIN") != NULL);
	/* forged AAAA in Teredo 2001::/32 carry random bits: the prefix counts */
	mkresult(&r, "dev.goma1.com", WIRE_T_AAAA);
	reply(&r, &T_ISP, real("2001::5efe:1:2", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	struct probe_result nd;
	mkresult(&nd, "www.kelp2.net", WIRE_T_AAAA);
	reply(&nd, &T_NODNS, gfw3("2001::a1b2:c3d4", 47, 130));
	classify_judge(c, &nd, &T_NODNS);
	CHECK_EQ(nd.verdict, VERDICT_INJECTED);
	CHECK(classify_rejudge(c, &r, &T_ISP));
	CHECK_EQ(r.verdict, VERDICT_POISONED);
	CHECK(strstr(r.evidence, "2001::5efe:1:2 (IP TTL 62, ID 0) is in 2001::/32, seen forged") != NULL);
	/* ... but no other prefix, not even a neighbour */
	mkresult(&r, "dev.goma1.com", WIRE_T_AAAA);
	reply(&r, &T_ISP, real("2001:db8::1", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	mkresult(&nd, "www.kelp2.net", WIRE_T_AAAA);
	reply(&nd, &T_NODNS, gfw3("2a03:2880::1", 47, 130));
	classify_judge(c, &nd, &T_NODNS);
	mkresult(&r, "dev.goma1.com", WIRE_T_AAAA);
	reply(&r, &T_ISP, real("2a03:2880::2", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	/* the client saw the race through a resolver, with no control: injected */
	mkresult(&r, "nokey2.example", WIRE_T_A);
	reply(&r, &T_PUB, (struct rspec){.addr = {"65.49.2.178"}, .ttl = 33, .ipid = 1});
	reply(&r, &T_PUB, real("192.0.2.80", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK(strstr(r.evidence, "seen forged (group 1), a later one differs") != NULL);
	/* from an authoritative target, a forged address is an injection */
	mkresult(&r, "mail.tofu3.org", WIRE_T_A);
	reply(&r, &T_AUTH, (struct rspec){.flags = 0x8400, .addr = {"65.49.2.178"}, .ttl = 33,
					  .ipid = 77});
	classify_judge(c, &r, &T_AUTH);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK(strstr(r.evidence, "authoritative target sent 65.49.2.178") != NULL);
	classify_free(c);
}

static void test_inconsistent_and_rcodes(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	/* a CDN-like answer that differs, never seen forged: only inconsistent */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, real("203.0.113.50", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	CHECK_EQ(r.forged_reply, -1);
	/* NODATA where the control has addresses */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, real(NULL, NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	CHECK(strstr(r.evidence, "no address") != NULL);
	/* NXDOMAIN where the control has addresses */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN, .df = true});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_NXDOMAIN);
	CHECK_STR(r.evidence, "NXDOMAIN; control 198.19.137.122 +1");
	/* NXDOMAIN as the control says */
	mkresult(&r, "gone.lune0.com", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN, .df = true});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	CHECK_STR(r.evidence, "NXDOMAIN, as the control");
	/* a validating resolver that rejected a forgery */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_SERVFAIL, .df = true, .edns = true,
					 .ede = 10});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_SERVFAIL);
	CHECK(strstr(r.evidence, "SERVFAIL (EDE 10 RRSIGs Missing); control 198.19.137.122 +1") != NULL);
	CHECK_EQ(r.forged_reply, -1);
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_REFUSED, .df = true});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_REFUSED);
	/* an error rcode with no control stands as it is */
	mkresult(&r, "nokey.example", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_SERVFAIL, .df = true});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_SERVFAIL);
	CHECK_STR(r.evidence, "SERVFAIL; no control");
	classify_free(c);
}

static void test_fingerprint_path(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	/* establish gfw2's group from the no-DNS address */
	mkresult(&r, "dev.lune0.com", WIRE_T_A);
	reply(&r, &T_NODNS, gfw2("8.7.198.45", 50, 90));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.group, 1);
	/* a single reply from a resolver with that fingerprint, an address never
	 * seen forged, differing from the control: injected */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, gfw2("203.98.7.65", 61, 250));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.group, 1);
	CHECK_STR(r.evidence, "first 203.98.7.65 (IP TTL 61, ID 4793) differs from the control "
			      "with group 1's fingerprint");
	uint8_t a[4] = {203, 98, 7, 65};
	CHECK(classify_forged_has(c, AF_INET, a, NULL));
	CHECK_EQ(GFIELD(c, 1, count), 2);
	/* the same fingerprint matching the control, alone: ok */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, gfw2("198.19.137.122", 61, 250));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	/* a forgery matching the control by chance, beside the real reply */
	reply(&r, &T_ISP, real("198.19.137.122", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	CHECK(strstr(r.evidence, "matches the control by chance") != NULL);
	/* no IP-level fields: the fingerprint path is not taken */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	struct rspec s = gfw2("203.98.7.66", 61, 250);
	s.no_ip = true;
	reply(&r, &T_ISP, s);
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	/* a real resolver's reply does not carry it */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, real("203.98.7.67", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	classify_free(c);
}

/* ---- injector groups ------------------------------------------------------------- */

static uint32_t rng = 12345;
static uint32_t rnd(uint32_t lo, uint32_t hi)
{
	rng = rng * 1103515245u + 12345u;
	return lo + (rng >> 8) % (hi - lo + 1);
}

static void test_groups(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	static const char *const pool[] = {"65.49.2.178", "8.7.198.45", "59.24.3.173",
					   "203.98.7.65", "46.82.174.68"};
	char name[64];
	int n1 = 0, n2 = 0, n3 = 0;
	for (int i = 0; i < 60; i++) {
		snprintf(name, sizeof name, "n%d.example.com", i);
		mkresult(&r, name, WIRE_T_A);
		/* random IP TTLs and answer TTLs must not split a group */
		if (i % 2 == 0) {
			reply(&r, &T_NODNS, gfw1(pool[i % 5], (uint8_t)rnd(60, 64)));
			n1++;
		}
		if (i % 3 != 0) {
			reply(&r, &T_NODNS, gfw2(pool[(i + 1) % 5], (uint8_t)rnd(30, 64), rnd(60, 300)));
			n2++;
		}
		reply(&r, &T_NODNS, gfw3(pool[(i + 2) % 5], (uint8_t)rnd(40, 70), rnd(120, 240)));
		n3++;
		classify_judge(c, &r, &T_NODNS);
		CHECK_EQ(r.verdict, VERDICT_INJECTED);
	}
	CHECK_EQ(classify_group_count(c), 3);
	const struct classify_group *g1 = classify_group_find(c, 1), *g2 = classify_group_find(c, 2),
				    *g3 = classify_group_find(c, 3);
	CHECK(g1 && g2 && g3);
	if (!g1 || !g2 || !g3)
		return;
	/* first sight: n0 has gfw1 first */
	CHECK_EQ(g1->count, n1);
	CHECK_EQ(g2->count, n3);
	CHECK_EQ(g3->count, n2);
	CHECK_EQ(g1->fp.flags, 0x8400);
	CHECK(!g1->fp.answer_ptr);
	CHECK_EQ(g2->fp.ipid_zero, 1);
	CHECK_EQ(g3->fp.df, 1);
	CHECK_EQ(g1->naddrs, 5);
	CHECK_EQ(g1->addrs_total + g2->addrs_total + g3->addrs_total, 5);
	CHECK_EQ(classify_forged_count(c), 5);
	CHECK(g3->ip_ttl_min >= 30 && g3->ip_ttl_max <= 64 && g3->ip_ttl_min < g3->ip_ttl_max);
	CHECK(g2->answer_ttl_min >= 120 && g2->answer_ttl_max <= 240);
	CHECK_EQ(g1->answer_ttl_min, 60);
	CHECK_EQ(g1->answer_ttl_max, 60);
	CHECK_EQ(g2->queries, 60);

	char d[256];
	classify_fp_format(&g2->fp, d, sizeof d);
	CHECK_STR(d, "df=0 ipid=zero flags=0x8180 rcode=NOERROR an=1 ns=0 ar=0 owner=pointer");
	classify_group_describe(g1, d, sizeof d);
	char want[256];
	snprintf(want, sizeof want,
		 "df=0 ipid=nonzero flags=0x8400 rcode=NOERROR an=1 ns=0 ar=0 owner=full "
		 "ip_ttl=%u-%u answer_ttl=60-60 count=%d addrs=%llu",
		 g1->ip_ttl_min, g1->ip_ttl_max, n1, (unsigned long long)g1->addrs_total);
	CHECK_STR(d, want);
	/* the description reads back as the key, and re-establishes the group elsewhere */
	struct classify_fp fp;
	CHECK_EQ(classify_fp_parse(d, &fp), 0);
	CHECK(classify_fp_equal(&fp, &g1->fp));
	CHECK_EQ(classify_fp_parse("df=0 ipid=zero", &fp), -1);
	CHECK_EQ(classify_fp_parse("df=2 ipid=zero flags=1 rcode=NOERROR an=1 ns=0 ar=0 owner=full", &fp), -1);
	struct classify *c2 = with_key();
	CHECK_EQ(classify_group_load(c2, d, 7, g1->addrs, g1->naddrs), 1);
	CHECK_EQ(classify_group_load(c2, d, 3, NULL, 0), 1);
	CHECK_EQ(GFIELD(c2, 1, count), 10);
	CHECK_EQ(classify_forged_count(c2), 5);
	/* ... and then its fingerprint path works in the new run */
	mkresult(&r, "dev.goma1.com", WIRE_T_A);
	reply(&r, &T_ISP, gfw1("192.0.2.99", 62));
	classify_judge(c2, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.group, 1);
	classify_free(c2);

	/* keyed on the answer TTL, gfw2's random answer TTLs do split */
	struct classify_limits lim = {.flags = CLASSIFY_KEY_ANSWER_TTL};
	c2 = classify_new(&lim);
	for (int i = 0; i < 10; i++) {
		mkresult(&r, "x.example.com", WIRE_T_A);
		reply(&r, &T_NODNS, gfw3(pool[0], 50, 120 + (uint32_t)i));
		classify_judge(c2, &r, &T_NODNS);
	}
	CHECK_EQ(classify_group_count(c2), 10);
	classify_free(c2);
	classify_free(c);
}

/* A random-ID injector that draws IP ID 0 (once in 65,536 replies) stays one
 * group; an always-zero injector alike in all else still forms its own. */
static void test_group_random_id_zero(void)
{
	struct classify *c = with_key();
	struct probe_result r;
	char name[64];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof name, "z%d.example.com", i);
		mkresult(&r, name, WIRE_T_A);
		struct rspec s = gfw1("65.49.2.178", 63);
		if (i == 3)
			s.ipid = 0;
		reply(&r, &T_NODNS, s);
		classify_judge(c, &r, &T_NODNS);
		CHECK_EQ(r.verdict, VERDICT_INJECTED);
		CHECK_EQ(r.group, 1);
	}
	CHECK_EQ(classify_group_count(c), 1);
	CHECK_EQ(GFIELD(c, 1, count), 6);
	mkresult(&r, "z9.example.com", WIRE_T_A);
	struct rspec zero = gfw1("65.49.2.178", 63);
	zero.ipid = 0;
	struct probe_reply *p = reply(&r, &T_ISP, zero);
	CHECK(p && classify_fp_group(c, p) == 1);
	classify_free(c);

	/* gfw3 sends 0 always: with gfw1's layout and no nonzero sibling, a group of its own */
	c = with_key();
	mkresult(&r, "z0.example.com", WIRE_T_A);
	reply(&r, &T_NODNS, gfw3("65.49.2.178", 50, 150));
	classify_judge(c, &r, &T_NODNS);
	mkresult(&r, "z1.example.com", WIRE_T_A);
	reply(&r, &T_NODNS, gfw2("65.49.2.178", 50, 150));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(classify_group_count(c), 2);
	classify_free(c);
}

/* ---- live control and NDJSON preloading -------------------------------------------- */

static void test_live_control(void)
{
	struct classify *c = classify_new(NULL);
	struct probe_result ctl, r;
	mkresult(&ctl, "live.example.com", WIRE_T_A);
	CHECK_EQ(classify_control_observe(c, &ctl), 0);
	reply(&ctl, &T_PUB, real("192.0.2.10", "192.0.2.11"));
	CHECK_EQ(classify_control_observe(c, &ctl), 1);
	mkresult(&r, "LIVE.example.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw3("65.49.2.178", 47, 130));
	reply(&r, &T_PUB, real("192.0.2.11", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	/* a control path that crossed an injector: its known forgery is passed over */
	mkresult(&ctl, "live2.example.com", WIRE_T_A);
	reply(&ctl, &T_PUB, gfw3("59.24.3.173", 47, 130));  /* group 1's fingerprint */
	reply(&ctl, &T_PUB, real("192.0.2.20", NULL));
	reply(&ctl, &T_PUB, (struct rspec){.addr = {"65.49.2.178"}, .ttl = 9, .ipid = 3}); /* forged set */
	CHECK_EQ(classify_control_observe(c, &ctl), 1);
	struct classify_control cc;
	classify_control_get(c, ctl.qname, WIRE_T_A, &cc);
	CHECK_EQ(cc.naddrs, 1);
	CHECK_MEM(cc.addrs[0].addr, "\xc0\x00\x02\x14", 4);
	mkresult(&ctl, "live3.example.com", WIRE_T_A);
	reply(&ctl, &T_PUB, gfw3("59.24.3.174", 47, 130));
	CHECK_EQ(classify_control_observe(c, &ctl), 0);
	/* a control NXDOMAIN */
	mkresult(&ctl, "nx.example.com", WIRE_T_A);
	reply(&ctl, &T_PUB, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN});
	CHECK_EQ(classify_control_observe(c, &ctl), 1);
	mkresult(&r, "nx.example.com", WIRE_T_A);
	reply(&r, &T_ISP, (struct rspec){.rcode = WIRE_RCODE_NXDOMAIN});
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	/* a control that arrives after the result: rejudge (another /24: a
	 * live control is matched by shared address or prefix) */
	mkresult(&r, "late.example.com", WIRE_T_A);
	reply(&r, &T_ISP, real("198.51.100.99", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	mkresult(&ctl, "late.example.com", WIRE_T_A);
	reply(&ctl, &T_PUB, real("192.0.2.12", NULL));
	CHECK_EQ(classify_control_observe(c, &ctl), 1);
	CHECK(classify_rejudge(c, &r, &T_ISP));
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	classify_free(c);
}

/* An address for the consistency tests. */
static struct probe_addr paddr(const char *text)
{
	struct probe_addr a;
	memset(&a, 0, sizeof a);
	a.family = inet_pton(AF_INET, text, a.addr) == 1 ? AF_INET : AF_INET6;
	if (a.family == AF_INET6 && inet_pton(AF_INET6, text, a.addr) != 1)
		FAIL("bad fixture address %s", text);
	return a;
}

/* Consistency as answers really vary: a shared address, or the same /24
 * (IPv4) or /48 (IPv6), with a live or earlier-run control; the key exact. */
static void test_consistency_rules(void)
{
	struct classify_control ctl = {.expect = CLASSIFY_EXPECT_ADDRS, .source = CLASSIFY_SRC_LIVE,
				       .naddrs = 2};
	ctl.addrs[0] = paddr("192.0.2.10");
	ctl.addrs[1] = paddr("2001:db8:1::5");
	struct probe_addr a[2];
	a[0] = paddr("192.0.2.10"); /* shared */
	CHECK(classify_consistent(a, 1, &ctl));
	a[0] = paddr("192.0.2.250"); /* same /24 */
	CHECK(classify_consistent(a, 1, &ctl));
	a[0] = paddr("192.0.3.10"); /* next /24 */
	CHECK(!classify_consistent(a, 1, &ctl));
	a[1] = paddr("192.0.2.99"); /* one of two in the /24 is enough */
	CHECK(classify_consistent(a, 2, &ctl));
	a[0] = paddr("2001:db8:1:ffff::1"); /* same /48 */
	CHECK(classify_consistent(a, 1, &ctl));
	a[0] = paddr("2001:db8:2::5"); /* another /48 */
	CHECK(!classify_consistent(a, 1, &ctl));
	a[0] = paddr("::ffff:192.0.2.10"); /* another family is not the IPv4 address */
	CHECK(!classify_consistent(a, 1, &ctl));
	CHECK(!classify_consistent(a, 0, &ctl));
	ctl.expect = CLASSIFY_EXPECT_NODATA;
	a[0] = paddr("192.0.2.10");
	CHECK(!classify_consistent(a, 1, &ctl));

	struct classify *c = classify_new(NULL);
	int pub = classify_origin_add(c, "remote/public");
	int dot = classify_origin_add(c, "client/dot");
	CHECK_EQ(pub, 1);
	CHECK_EQ(dot, 2);
	CHECK_EQ(classify_origin_add(c, "remote/public"), 1);
	struct probe_result cr, r;
	/* a live control learnt from remote/public */
	mkresult(&cr, "cdn.example.com", WIRE_T_A);
	reply(&cr, &T_PUB, real("192.0.2.10", NULL));
	CHECK_EQ(classify_control_observe_from(c, &cr, (uint8_t)pub), 1);
	/* rotation in the same /24: joins the set */
	mkresult(&cr, "cdn.example.com", WIRE_T_A);
	reply(&cr, &T_PUB, real("192.0.2.77", NULL));
	CHECK_EQ(classify_control_observe_from(c, &cr, (uint8_t)dot), 1);
	struct classify_control got;
	classify_control_get(c, cr.qname, WIRE_T_A, &got);
	CHECK_EQ(got.naddrs, 2);
	/* an answer with nothing in common: does not join, the first stands */
	mkresult(&cr, "cdn.example.com", WIRE_T_A);
	reply(&cr, &T_PUB, real("65.49.2.178", NULL));
	CHECK_EQ(classify_control_observe_from(c, &cr, (uint8_t)pub), 1);
	classify_control_get(c, cr.qname, WIRE_T_A, &got);
	CHECK_EQ(got.naddrs, 2);
	CHECK_EQ(got.origin, pub);
	/* judged: the control path's own changed answer is inconsistent */
	classify_judge(c, &cr, &T_PUB);
	CHECK_EQ(cr.verdict, VERDICT_INCONSISTENT);
	CHECK_STR(cr.control, "live remote/public");
	/* another address of the same /24 from a resolver: consistent, ok */
	mkresult(&r, "cdn.example.com", WIRE_T_A);
	reply(&r, &T_ISP, real("192.0.2.200", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	/* an answer sharing one address of two: consistent */
	mkresult(&r, "cdn.example.com", WIRE_T_A);
	reply(&r, &T_ISP, real("203.0.113.1", "192.0.2.10"));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	/* another /24 altogether: inconsistent (a single reply, no race) */
	mkresult(&r, "cdn.example.com", WIRE_T_A);
	reply(&r, &T_ISP, real("203.0.113.1", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	/* the race against a live control: forged first, a consistent one last */
	mkresult(&r, "cdn.example.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw2("65.49.2.178", 47, 60));
	reply(&r, &T_PUB, real("192.0.2.201", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	/* no control for a name: the control field says none */
	mkresult(&r, "unknown.example.com", WIRE_T_A);
	reply(&r, &T_ISP, real("192.0.2.1", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_STR(r.control, "");
	/* the key stays exact: the same /24 is not the key's address */
	struct classify_control key = {.expect = CLASSIFY_EXPECT_ADDRS, .source = CLASSIFY_SRC_KEY,
				       .naddrs = 1};
	key.addrs[0] = paddr("198.19.140.1");
	uint8_t n[WIRE_NAME_MAX];
	wname("www.kelp2.net", n);
	CHECK_EQ(classify_control_add(c, n, WIRE_T_A, &key), 0);
	mkresult(&r, "www.kelp2.net", WIRE_T_A);
	reply(&r, &T_ISP, real("198.19.140.2", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_INCONSISTENT);
	CHECK_STR(r.control, "key");
	classify_free(c);
}

/* With no control at all (no key, no live control, no earlier run), the
 * signals that need none still judge: a reply from an address that runs no
 * DNS, a race seen through a resolver, a resolver relaying a forged
 * address, a known injector's fingerprint beside another sender. */
static void test_control_free_signals(void)
{
	struct classify *c = classify_new(NULL);
	struct probe_result r;
	mkresult(&r, "www.a.com", WIRE_T_A);
	reply(&r, &T_NODNS, gfw3("65.49.2.178", 47, 130));
	classify_judge(c, &r, &T_NODNS);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_STR(r.control, "");
	CHECK(classify_forged_has(c, AF_INET, (const uint8_t *)"\x41\x31\x02\xb2", NULL));
	/* a resolver: the forged address first, a different answer later */
	mkresult(&r, "www.b.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw2("65.49.2.178", 47, 60));
	reply(&r, &T_PUB, real("198.19.150.37", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	CHECK_EQ(r.forged_reply, 0);
	/* a caching resolver relaying it alone: poisoned */
	mkresult(&r, "www.c.com", WIRE_T_A);
	reply(&r, &T_ISP, real("65.49.2.178", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_POISONED);
	/* group 1's fingerprint (gfw3) with a new address, beside a real reply */
	mkresult(&r, "www.d.com", WIRE_T_A);
	reply(&r, &T_PUB, gfw3("59.24.3.173", 47, 130));
	reply(&r, &T_PUB, real("198.19.150.38", NULL));
	classify_judge(c, &r, &T_PUB);
	CHECK_EQ(r.verdict, VERDICT_INJECTED);
	/* a single clean reply: ok, with no control */
	mkresult(&r, "www.e.com", WIRE_T_A);
	reply(&r, &T_ISP, real("198.19.150.39", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_OK);
	classify_free(c);
}

static void test_ndjson(void)
{
	/* lines as src/probe/ndjson.c writes them */
	static const char run[] =
		"{\"seq\":0,\"line\":1,\"name\":\"dev.lune0.com.\",\"qtype\":\"A\",\"target\":{\"index\":0,"
		"\"label\":\"public\",\"kind\":\"resolver\",\"addr\":\"198.19.8.8\",\"port\":53},\"id\":1,"
		"\"sport\":1000,\"attempts\":1,\"sent_us\":1,\"verdict\":\"ok\",\"evidence\":\"no control; x\","
		"\"forged_reply\":null,\"group\":null,\"replies_seen\":1,\"replies\":[{\"index\":0,"
		"\"time_us\":2,\"rtt_us\":1,\"src\":\"198.19.8.8\",\"sport\":53,\"ip_ttl\":62,\"ip_id\":0,"
		"\"df\":true,\"parsed\":true,\"len\":60,\"flags\":\"0x8180\",\"flag_names\":[\"qr\",\"rd\","
		"\"ra\"],\"rcode\":\"NOERROR\",\"ancount\":2,\"nscount\":0,\"arcount\":1,"
		"\"question_match\":true,\"answer_ptr\":true,\"answer_ttl\":300,\"cnames\":0,\"answers\":"
		"[{\"addr\":\"198.19.145.242\",\"ttl\":300},{\"addr\":\"198.19.150.37\",\"ttl\":300}]}]}\n"
		"\n"
		"{\"seq\":1,\"name\":\"www.kelp2.net.\",\"qtype\":\"A\",\"verdict\":\"injected\","
		"\"evidence\":\"2 replies; \\\"first\\\" \\u0041\",\"forged_reply\":0,\"group\":1,\"replies\":["
		"{\"parsed\":true,\"question_match\":true,\"rcode\":\"NOERROR\",\"answers\":[{\"addr\":"
		"\"65.49.2.178\",\"ttl\":60}]},{\"parsed\":true,\"question_match\":true,\"rcode\":"
		"\"NOERROR\",\"answers\":[{\"addr\":\"198.19.140.1\",\"ttl\":3600}]}]}\n"
		"{\"seq\":2,\"name\":\"gone.example.\",\"qtype\":\"A\",\"verdict\":\"ok\",\"replies\":["
		"{\"parsed\":true,\"question_match\":true,\"rcode\":\"NXDOMAIN\",\"answers\":[]}]}\n"
		"{\"seq\":3,\"name\":\"cut.example.\",\"qtype\":\"A\",\"verdict\":\"poisoned\","
		"\"forged_reply\":0,\"replies\":[{\"parsed\":true,\"question_match\":true,\"rcode\":"
		"\"NXDOMAIN\",\"answers\":[]}]}\n"
		"{\"seq\":4,\"name\":\"big.example.\",\"qtype\":\"A\",\"verdict\":\"injected\","
		"\"forged_reply\":1e300,\"replies\":[{\"parsed\":true,\"question_match\":true,"
		"\"rcode\":\"NOERROR\",\"answers\":[{\"addr\":\"192.0.2.200\"}]}]}\n"
		"{\"summary\":true}\n";
	struct classify *c = classify_new(NULL);
	struct dw_error err;
	const char *p = write_file("run.ndjson", run);
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL | CLASSIFY_LOAD_FORGED, &err), 4);
	uint8_t n[WIRE_NAME_MAX];
	struct classify_control ctl;
	wname("dev.lune0.com", n);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_ADDRS);
	CHECK_EQ(ctl.source, CLASSIFY_SRC_RUN);
	CHECK_EQ(ctl.naddrs, 2);
	wname("gone.example", n);
	classify_control_get(c, n, WIRE_T_A, &ctl);
	CHECK_EQ(ctl.expect, CLASSIFY_EXPECT_RCODE);
	uint8_t a[4] = {65, 49, 2, 178};
	int32_t g = 0;
	CHECK(classify_forged_has(c, AF_INET, a, &g));
	CHECK_EQ(g, -1);
	wname("cut.example", n);
	CHECK(classify_forged_name_has(c, n, NULL));
	CHECK_EQ(classify_forged_count(c), 2);
	/* the forged set only */
	classify_free(c);
	c = classify_new(NULL);
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_FORGED, &err), 2);
	CHECK_EQ(classify_control_count(c), 0);
	/* now a resolver relaying that address is poisoned in a new run */
	struct probe_result r;
	mkresult(&r, "another.example.org", WIRE_T_A);
	reply(&r, &T_ISP, real("65.49.2.178", NULL));
	classify_judge(c, &r, &T_ISP);
	CHECK_EQ(r.verdict, VERDICT_POISONED);
	CHECK_EQ(r.group, -1);
	/* malformed lines are reported with their number */
	p = write_file("bad.ndjson", "{\"a\":1}\n{\"a\":[1,2}\n");
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL, &err), -1);
	CHECK(strstr(err.text, "bad.ndjson:2: expected ',' or ']'") != NULL);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	p = write_file("bad2.ndjson", "{\"a\":\"unterminated}\n");
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL, &err), -1);
	CHECK(strstr(err.text, ":1: unterminated string") != NULL);
	char deep[64] = "";
	for (int i = 0; i < 20; i++)
		strcat(deep, "[");
	strcat(deep, "\n");
	p = write_file("bad3.ndjson", deep);
	CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL, &err), -1);
	CHECK(strstr(err.text, "nested too deep") != NULL);
	/* a line over 1 MiB: refused with its own status and its number (the
	 * reader's status passed on, not chosen from its words) */
	size_t big = (1u << 20) + 10;
	char *text = malloc(big + 16);
	CHECK(text != NULL);
	if (text) {
		strcpy(text, "{}\n[");
		memset(text + 4, '1', big);
		strcpy(text + 4 + big, "]\n");
		p = write_file("long.ndjson", text);
		free(text);
		CHECK_EQ(classify_load_ndjson(c, p, CLASSIFY_LOAD_CONTROL, &err), -1);
		CHECK_EQ(err.status, DW_E_TOO_LARGE);
		CHECK(strstr(err.text, "long.ndjson:2: line too long") != NULL);
	}
	classify_free(c);
}

/* ---- precision and recall on a synthetic lab run -------------------------------- */

/*
 * The lab of docs/lab.md in miniature: com/net/org names (injected) and cn
 * names (not), probed straight to the no-DNS address (from the remote
 * vantage), through the outside public resolver (crossing the border: the
 * injectors race the real reply), and through the ISP resolver (which
 * cached a forgery for most names, the real answer for some). The truth
 * table is what the injector's log would say; every forged-answer verdict
 * (injected, poisoned) is checked against it, and so is the reply each
 * names as forged. Noise is mixed in: late replies to another question and
 * CDN-like names whose resolver answer differs from the key.
 */
struct tally {
	int tp, fp, fn, tn, wrong_reply;
	int verdicts[VERDICT_COUNT];
};

static void score(struct tally *t, const struct probe_result *r, bool truth, const bool *forged)
{
	bool said = r->verdict == VERDICT_INJECTED || r->verdict == VERDICT_POISONED;
	t->verdicts[r->verdict]++;
	if (said && truth)
		t->tp++;
	else if (said)
		t->fp++;
	else if (truth)
		t->fn++;
	else
		t->tn++;
	if (said && (r->forged_reply < 0 || !forged[r->forged_reply]))
		t->wrong_reply++;
}

static void lab_run(bool scenario, struct tally *t, size_t *ngroups)
{
	enum { NCOM = 90, NCN = 30, NCDN = 6 };
	static const char *const pool[] = {"65.49.2.178", "8.7.198.45", "59.24.3.173", "203.98.7.65"};
	/* the answer key */
	char key[32768], line[256], name[64], a1[32], a2[32];
	size_t kl = (size_t)snprintf(key, sizeof key, "# dnswatch lab answer key v1 seed=9\n"
					"name\ttype\taddresses\tzone\tserver\tttl\n");
	for (int i = 0; i < NCOM + NCN + NCDN; i++) {
		const char *tld = i < NCOM ? (i % 3 == 0 ? "com" : i % 3 == 1 ? "net" : "org") :
				  i < NCOM + NCN ? "cn" : "com";
		int inside = i >= NCOM && i < NCOM + NCN;
		snprintf(line, sizeof line, "www.z%d.%s.\tA\t198.%d.%d.%d,198.%d.%d.%d\tz%d.%s.\t198.19.54.1\t300\n",
			 i, tld, inside ? 18 : 19, 128 + i / 200, i % 200 + 1, inside ? 18 : 19,
			 129 + i / 200, i % 200 + 1, i, tld);
		if (kl + strlen(line) < sizeof key) {
			memcpy(key + kl, line, strlen(line) + 1);
			kl += strlen(line);
		}
	}
	struct classify *c = classify_new(NULL);
	struct dw_error err;
	CHECK_EQ(classify_control_load_key(c, write_file("lab.tsv", key), &err),
		 NCOM + NCN + NCDN);

	static struct probe_result isp[NCOM + NCN + NCDN];
	static bool isp_truth[NCOM + NCN + NCDN], isp_forged[NCOM + NCN + NCDN][PROBE_REPLIES_MAX];
	struct probe_result r;
	bool forged[PROBE_REPLIES_MAX];
	/* ISP results come first: nothing is known to be forged yet */
	for (int i = 0; i < NCOM + NCN + NCDN; i++) {
		const char *tld = i < NCOM ? (i % 3 == 0 ? "com" : i % 3 == 1 ? "net" : "org") :
				  i < NCOM + NCN ? "cn" : "com";
		int inside = i >= NCOM && i < NCOM + NCN;
		snprintf(name, sizeof name, "www.z%d.%s", i, tld);
		snprintf(a1, sizeof a1, "198.%d.%d.%d", inside ? 18 : 19, 128 + i / 200, i % 200 + 1);
		mkresult(&isp[i], name, WIRE_T_A);
		memset(isp_forged[i], 0, sizeof isp_forged[i]);
		if (scenario && i < NCOM && i % 10 != 9) {
			/* the ISP's cache holds a pool address, its TTL counting down */
			reply(&isp[i], &T_ISP, (struct rspec){.addr = {pool[(i + 1) % 4]}, .attl = 3000,
							      .ttl = 64, .df = true, .edns = true});
			isp_truth[i] = isp_forged[i][0] = true;
		} else if (i >= NCOM + NCN) {
			snprintf(a2, sizeof a2, "203.0.113.%d", i);
			reply(&isp[i], &T_ISP, real(a2, NULL)); /* a CDN's other answer */
			isp_truth[i] = false;
		} else {
			reply(&isp[i], &T_ISP, real(a1, NULL));
			isp_truth[i] = false;
		}
		if (i % 7 == 0) /* a stray reply to another question */
			reply(&isp[i], &T_ISP, (struct rspec){.qname = "stray.example", .addr = {"192.0.2.1"}});
		classify_judge(c, &isp[i], &T_ISP);
	}
	/* the no-DNS address and the public resolver */
	for (int i = 0; i < NCOM + NCN + NCDN; i++) {
		const char *tld = i < NCOM ? (i % 3 == 0 ? "com" : i % 3 == 1 ? "net" : "org") :
				  i < NCOM + NCN ? "cn" : "com";
		int inside = i >= NCOM && i < NCOM + NCN;
		bool inj = scenario && i < NCOM;
		snprintf(name, sizeof name, "www.z%d.%s", i, tld);
		snprintf(a1, sizeof a1, "198.%d.%d.%d", inside ? 18 : 19, 128 + i / 200, i % 200 + 1);
		snprintf(a2, sizeof a2, "198.%d.%d.%d", inside ? 18 : 19, 129 + i / 200, i % 200 + 1);

		mkresult(&r, name, WIRE_T_A);
		memset(forged, 0, sizeof forged);
		if (inj) {
			reply(&r, &T_NODNS, gfw1(pool[i % 4], (uint8_t)rnd(60, 64)));
			reply(&r, &T_NODNS, gfw2(pool[(i + 1) % 4], (uint8_t)rnd(40, 64), rnd(60, 300)));
			reply(&r, &T_NODNS, gfw3(pool[(i + 2) % 4], (uint8_t)rnd(40, 70), rnd(120, 240)));
			forged[0] = forged[1] = forged[2] = true;
		}
		classify_judge(c, &r, &T_NODNS);
		score(t, &r, inj, forged);
		CHECK_EQ(r.verdict, inj ? VERDICT_INJECTED : VERDICT_OK);

		mkresult(&r, name, WIRE_T_A);
		memset(forged, 0, sizeof forged);
		if (inj) {
			unsigned k = r.nreplies;
			if (i % 4 != 3) /* not every injector answers every query */
				reply(&r, &T_PUB, gfw3(pool[(i + 3) % 4], (uint8_t)rnd(40, 70), rnd(120, 240)));
			reply(&r, &T_PUB, gfw2(pool[i % 4], (uint8_t)rnd(40, 64), rnd(60, 300)));
			for (; k < r.nreplies; k++)
				forged[k] = true;
		}
		reply(&r, &T_PUB, real(a2, a1));
		if (i % 5 == 0) /* a duplicate of the real reply (retransmission) */
			reply(&r, &T_PUB, real(a1, a2));
		classify_judge(c, &r, &T_PUB);
		score(t, &r, inj, forged);
		CHECK_EQ(r.verdict, inj ? VERDICT_INJECTED : VERDICT_OK);
	}
	/* second pass over what was judged before the forgeries were known */
	for (int i = 0; i < NCOM + NCN + NCDN; i++) {
		classify_rejudge(c, &isp[i], &T_ISP);
		score(t, &isp[i], isp_truth[i], isp_forged[i]);
		enum probe_verdict want = isp_truth[i] ? VERDICT_POISONED :
					  i >= NCOM + NCN ? VERDICT_INCONSISTENT : VERDICT_OK;
		if (isp[i].verdict != want)
			printf("#   isp %d: %s: %s\n", i, probe_verdict_name(isp[i].verdict),
			       isp[i].evidence);
		CHECK_EQ(isp[i].verdict, want);
	}
	*ngroups = classify_group_count(c);
	classify_free(c);
}

static void test_lab_precision_recall(void)
{
	struct tally on = {0}, off = {0};
	size_t groups_on = 0, groups_off = 0;
	lab_run(true, &on, &groups_on);
	/* precision = tp / (tp + fp), recall = tp / (tp + fn): both 100% */
	CHECK(on.tp > 0);
	CHECK_EQ(on.fp, 0);
	CHECK_EQ(on.fn, 0);
	CHECK_EQ(on.wrong_reply, 0);
	/* 90 injected names x (nodns + public) + 81 poisoned at the ISP */
	CHECK_EQ(on.verdicts[VERDICT_INJECTED], 180);
	CHECK_EQ(on.verdicts[VERDICT_POISONED], 81);
	CHECK_EQ(on.verdicts[VERDICT_INCONSISTENT], 6);
	CHECK_EQ(groups_on, 3);
	printf("# scenario on: tp %d fp %d fn %d tn %d; precision %.1f%% recall %.1f%%\n", on.tp,
	       on.fp, on.fn, on.tn, 100.0 * on.tp / (on.tp + on.fp ? on.tp + on.fp : 1),
	       100.0 * on.tp / (on.tp + on.fn ? on.tp + on.fn : 1));

	lab_run(false, &off, &groups_off);
	CHECK_EQ(off.tp + off.fp + off.fn, 0);
	CHECK_EQ(off.verdicts[VERDICT_OK], 3 * 126 - 6);
	CHECK_EQ(groups_off, 0);
}

/* Results full of random bytes (as a corrupt store might hand back; booleans
 * kept 0 or 1, as C requires): no
 * verdict is asserted, only that judging stays inside its buffers (ASan)
 * and always sets a verdict and a terminated evidence string. */
static void test_garbage_results(void)
{
	struct classify *c = with_key();
	static struct probe_result r;
	static const struct probe_target *const ts[] = {&T_NODNS, &T_PUB, &T_ISP, &T_AUTH};
	int judged = 0, seen[VERDICT_COUNT] = {0};
	for (int round = 0; round < 300; round++) {
		uint8_t *b = (uint8_t *)&r;
		for (size_t i = 0; i < sizeof r; i++)
			b[i] = (uint8_t)rnd(0, 255);
		for (int k = 0; k < PROBE_REPLIES_MAX; k++) { /* a _Bool holds 0 or 1 */
			struct probe_reply *p = &r.reply[k];
			p->ip_known = b[k] & 1;
			p->df = b[k] & 2;
			p->parsed = b[k] & 4 || round % 3;
			p->question_match = b[k] & 8 || round % 5;
			p->answer_ptr = b[k] & 16;
			if ((round / 4) % 2) { /* usable replies, to reach every rule */
				p->sport = 53;
				p->flags = (uint16_t)((p->flags & ~0x7800) | WIRE_FLAG_QR);
			}
		}
		if (round % 2) { /* half of them with a valid name, to reach the control */
			wname("dev.goma1.com", r.qname);
			r.qtype = WIRE_T_A;
		}
		classify_judge(c, &r, ts[round % 4]);
		judged += r.verdict > VERDICT_NONE && r.verdict < VERDICT_COUNT &&
			  memchr(r.evidence, 0, sizeof r.evidence) != NULL &&
			  r.forged_reply < PROBE_REPLIES_MAX;
		seen[r.verdict < VERDICT_COUNT ? r.verdict : 0]++;
		classify_rejudge(c, &r, ts[round % 4]);
	}
	CHECK_EQ(judged, 300);
	CHECK(seen[VERDICT_INJECTED] > 0);
	CHECK(seen[VERDICT_INCONSISTENT] > 0);
	CHECK(seen[VERDICT_TIMEOUT] > 0);
	classify_free(c);
}

/* One name's results are judged in one order, whatever order they came in:
 * the control first, no-DNS targets next, resolvers last. */
static void test_judge_name(void)
{
	CHECK_EQ(classify_rank(&T_PUB, true), 0);
	CHECK_EQ(classify_rank(&T_NODNS, false), 1);
	CHECK_EQ(classify_rank(&T_AUTH, false), 2);
	CHECK_EQ(classify_rank(&T_ISP, false), 3);
	CHECK_EQ(classify_rank(&T_NODNS, true), 0);

	struct classify *c = with_key();
	const struct probe_target targets[3] = {T_ISP, T_NODNS, T_PUB};
	struct probe_result isp, nodns, pub;
	/* the resolver's result came first; the no-DNS address's is judged
	 * first all the same, so the resolver's cached forgery is recognised */
	mkresult(&isp, "mail.tofu3.org", WIRE_T_A);
	isp.target = 0;
	reply(&isp, &T_ISP, (struct rspec){.addr = {"65.49.2.178"}, .attl = 3540, .ttl = 64,
					   .df = true, .edns = true});
	mkresult(&nodns, "mail.tofu3.org", WIRE_T_A);
	nodns.target = 1;
	reply(&nodns, &T_NODNS, gfw2("65.49.2.178", 50, 90));
	struct probe_result *set[] = {&isp, &nodns};
	classify_judge_name(c, set, 2, targets, -1);
	CHECK_EQ(nodns.verdict, VERDICT_INJECTED);
	CHECK_EQ(isp.verdict, VERDICT_POISONED);

	/* the control target's answer, observed before the others are judged */
	mkresult(&isp, "nokey.example", WIRE_T_A);
	isp.target = 0;
	reply(&isp, &T_ISP, real("192.0.2.7", NULL));
	mkresult(&pub, "nokey.example", WIRE_T_A);
	pub.target = 2;
	reply(&pub, &T_PUB, real("192.0.2.7", NULL));
	struct probe_result *set2[] = {&isp, &pub};
	classify_judge_name(c, set2, 2, targets, 2);
	CHECK_EQ(isp.verdict, VERDICT_OK);
	CHECK(strstr(isp.evidence, "matches the control") != NULL);
	CHECK_EQ(pub.verdict, VERDICT_OK);
	classify_free(c);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_reply_fill);
	RUN(test_key_load);
	RUN(test_key_errors);
	RUN(test_limits);
	RUN(test_ok_timeout);
	RUN(test_noise);
	RUN(test_nodns_injected);
	RUN(test_race);
	RUN(test_poisoned);
	RUN(test_inconsistent_and_rcodes);
	RUN(test_fingerprint_path);
	RUN(test_groups);
	RUN(test_group_random_id_zero);
	RUN(test_live_control);
	RUN(test_consistency_rules);
	RUN(test_control_free_signals);
	RUN(test_ndjson);
	RUN(test_lab_precision_recall);
	RUN(test_garbage_results);
	RUN(test_judge_name);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return harness_done();
}
