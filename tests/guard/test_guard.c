/* The guard's decision rules, cache and client paths (guard/judge, cache, server). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guard/cache.h"
#include "guard/judge.h"
#include "guard/server.h"
#include "harness.h"
#include "wire/build.h"
#include "wire/edns.h"
#include "wire/msg.h"
#include "wire/name.h"

static const uint8_t qname[] = "\3www\7example\3com";

/* A reply as it arrives: FLAGS, an OPT or not, the answer owner as a
 * pointer to the question or in full, one A record ADDR with record TTL. */
static size_t reply(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, bool opt, bool ptr,
		    const char *addr, uint32_t ttl)
{
	struct wire_builder b;
	uint8_t a[4];
	inet_pton(AF_INET, addr, a);
	wire_build_init(&b, buf, cap, id, flags);
	wire_build_question(&b, qname, WIRE_T_A, WIRE_C_IN);
	if (ptr)
		wire_build_rr_ptr(&b, WIRE_SEC_ANSWER, WIRE_HEADER_LEN, WIRE_T_A, WIRE_C_IN, ttl, a, 4);
	else {
		b.compress = 0;
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, qname, WIRE_T_A, WIRE_C_IN, ttl, a, 4);
		b.compress = 1;
	}
	if (opt)
		wire_build_edns(&b, 1232, 0, 0, 0, NULL, 0);
	size_t len = 0;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	return len;
}

/* An observation: the message and what the socket gave (IP TTL, RTT). */
static struct guard_obs obs(const uint8_t *msg, size_t len, uint8_t ttl, uint32_t rtt_us)
{
	struct guard_obs o;
	memset(&o, 0, sizeof o);
	CHECK_EQ(guard_obs_fill(&o, msg, len), 0);
	o.ttl_known = true;
	o.ip_ttl = ttl;
	o.rtt_us = rtt_us;
	return o;
}

/* The lab's public resolver seen from the client: IP TTL 61, 160 ms away,
 * unbound's layout (0x8180, OPT, answer owner c00c). */
#define REAL_FLAGS 0x8180
static void learn_real(struct guard_profile *p)
{
	uint8_t m[512];
	memset(p, 0, sizeof *p);
	p->answer_ptr = -1;
	size_t n = reply(m, sizeof m, 1, REAL_FLAGS, true, true, "192.0.2.10", 300);
	struct guard_obs o = obs(m, n, 61, 170000);
	guard_profile_learn(p, &o, 1000000, 0);
	o.rtt_us = 160000;
	guard_profile_learn(p, &o, 2000000, 0);
}

static void test_profile(void)
{
	struct guard_profile p;
	memset(&p, 0, sizeof p);
	p.answer_ptr = -1;
	uint8_t m[512];
	size_t n = reply(m, sizeof m, 1, REAL_FLAGS, true, true, "192.0.2.10", 300);
	struct guard_obs o = obs(m, n, 61, 640000);
	uint32_t floor;
	uint8_t lo, hi;
	guard_profile_learn(&p, &o, 1000000, 0);
	/* one sample may be the upstream's own recursion: no floor yet */
	CHECK(!guard_profile_rtt_floor(&p, &floor));
	CHECK(!guard_profile_ready(&p));
	o.rtt_us = 160000;
	o.ip_ttl = 60;
	guard_profile_learn(&p, &o, 2000000, 0);
	CHECK(guard_profile_rtt_floor(&p, &floor));
	CHECK_EQ(floor, 160000);
	CHECK(guard_profile_ttl_range(&p, &lo, &hi));
	CHECK_EQ(lo, 60);
	CHECK_EQ(hi, 61);
	CHECK(guard_profile_ready(&p));
	CHECK(p.has_opt);
	CHECK_EQ(p.answer_ptr, 1);
	/* refreshed: samples older than the horizon are forgotten */
	o.rtt_us = 90000;
	o.ip_ttl = 50;
	guard_profile_learn(&p, &o, 100000000, 10000000);
	CHECK_EQ(p.n, 1);
	CHECK(guard_profile_ttl_range(&p, &lo, &hi));
	CHECK_EQ(lo, 50);
}

static void test_real_fits(void)
{
	struct guard_profile p;
	learn_real(&p);
	struct guard_intel *in = calloc(1, sizeof *in);
	uint8_t m[512];
	char ev[256];
	size_t n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 250);
	struct guard_obs o = obs(m, n, 62, 158000); /* TTL +1, RTT a little under the floor */
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev), 0);
	CHECK_STR(ev, "");
	/* a benign duplicate (the same datagram twice) is not a false drop */
	struct guard_obs dup = o;
	dup.rtt_us += 30;
	CHECK_EQ(guard_judge(&p, in, &dup, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev), 0);
	CHECK(guard_obs_agree(&o, &dup));
	free(in);
}

/* Each defence alone, with only its check switched on. */
static void test_each_defence(void)
{
	struct guard_profile p;
	learn_real(&p);
	struct guard_intel *in = calloc(1, sizeof *in);
	uint8_t m[512];
	char ev[256];
	int group;
	/* ttl: a late reply with the real layout but an IP TTL 2 off */
	size_t n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 250);
	struct guard_obs o = obs(m, n, 63, 170000);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_TTL, NULL, ev, sizeof ev), GUARD_CHECK_TTL);
	CHECK(strstr(ev, "IP TTL 63") != NULL);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL & ~GUARD_CHECK_TTL, NULL, ev, sizeof ev), 0);
	/* rtt: the real layout and TTL, but 0.4 ms after the query */
	o = obs(m, n, 61, 400);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_RTT, NULL, ev, sizeof ev), GUARD_CHECK_RTT);
	CHECK(strstr(ev, "under half the floor 160.0 ms") != NULL);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL & ~GUARD_CHECK_RTT, NULL, ev, sizeof ev), 0);
	/* layout: no OPT (every gfw injector), AA set (gfw1), owner in full */
	n = reply(m, sizeof m, 7, REAL_FLAGS, false, true, "192.0.2.10", 250);
	o = obs(m, n, 61, 170000);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_LAYOUT, NULL, ev, sizeof ev), GUARD_CHECK_LAYOUT);
	CHECK(strstr(ev, "no OPT") != NULL);
	/* the same reply to a query sent without EDNS lacks nothing */
	n = reply(m, sizeof m, 7, 0x8580, true, true, "192.0.2.10", 250);
	o = obs(m, n, 61, 170000);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_LAYOUT, NULL, ev, sizeof ev), GUARD_CHECK_LAYOUT);
	CHECK(strstr(ev, "flags 0x0480") != NULL);
	n = reply(m, sizeof m, 7, REAL_FLAGS, true, false, "192.0.2.10", 250);
	o = obs(m, n, 61, 170000);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_LAYOUT, NULL, ev, sizeof ev), GUARD_CHECK_LAYOUT);
	CHECK(strstr(ev, "in full") != NULL);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL & ~GUARD_CHECK_LAYOUT, NULL, ev, sizeof ev), 0);
	/* group: gfw1's fingerprint (AA, no OPT, owner in full) learned once,
	 * recognised on a reply that is late and has the path's TTL */
	n = reply(m, sizeof m, 7, 0x8400, false, false, "65.49.2.178", 60);
	o = obs(m, n, 61, 170000);
	struct guard_fp fp;
	guard_fp_of(&o, &fp);
	CHECK_EQ(guard_intel_add_group(in, &fp, &p), 0);
	CHECK_EQ(guard_intel_add_group(in, &fp, &p), 0); /* once */
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_GROUP, &group, ev, sizeof ev), GUARD_CHECK_GROUP);
	CHECK_EQ(group, 0);
	CHECK(strstr(ev, "injector group 1") != NULL);
	/* the upstream's own layout never becomes a group */
	n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 250);
	o = obs(m, n, 61, 170000);
	guard_fp_of(&o, &fp);
	CHECK_EQ(guard_intel_add_group(in, &fp, &p), -1);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev), 0);
	/* addr: a reply in the real layout, on time, carrying a forged address */
	uint8_t a[16] = {0};
	inet_pton(AF_INET, "65.49.2.178", a);
	guard_intel_add_addr(in, AF_INET, a);
	CHECK(guard_intel_has_addr(in, AF_INET, a));
	n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "65.49.2.178", 250);
	o = obs(m, n, 61, 170000);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ADDR, NULL, ev, sizeof ev), GUARD_CHECK_ADDR);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_ALL & ~GUARD_CHECK_ADDR, NULL, ev, sizeof ev), 0);
	free(in);
}

/* gfw2 mirrors the IP TTL: its forgery arrives with the real reply's TTL,
 * and is still caught by its round trip and its layout. */
static void test_ttl_mirror_caught(void)
{
	struct guard_profile p;
	learn_real(&p);
	struct guard_intel *in = calloc(1, sizeof *in);
	uint8_t m[512];
	char ev[256];
	size_t n = reply(m, sizeof m, 7, 0x8180, false, true, "65.49.2.178", 120);
	struct guard_obs o = obs(m, n, 61, 300);
	unsigned failed = guard_judge(&p, in, &o, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev);
	CHECK_EQ(failed, GUARD_CHECK_RTT | GUARD_CHECK_LAYOUT);
	CHECK(strstr(ev, "rtt") && strstr(ev, "no OPT"));
	/* each of the two alone would have done */
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_RTT, NULL, ev, sizeof ev), GUARD_CHECK_RTT);
	CHECK_EQ(guard_judge(&p, in, &o, true, GUARD_CHECK_LAYOUT, NULL, ev, sizeof ev), GUARD_CHECK_LAYOUT);
	/* the forgery and the real answer disagree; the real and its copy agree */
	uint8_t r[512];
	size_t rn = reply(r, sizeof r, 7, REAL_FLAGS, true, true, "192.0.2.10", 300);
	struct guard_obs ro = obs(r, rn, 61, 161000);
	CHECK(!guard_obs_agree(&o, &ro));
	free(in);
}

/* Nothing learned yet: only what needs no profile is judged. */
static void test_unlearned(void)
{
	struct guard_profile p;
	memset(&p, 0, sizeof p);
	p.answer_ptr = -1;
	uint8_t m[512];
	char ev[256];
	size_t n = reply(m, sizeof m, 7, 0x8400, false, false, "65.49.2.178", 60);
	struct guard_obs o = obs(m, n, 63, 300);
	CHECK_EQ(guard_judge(&p, NULL, &o, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev), GUARD_CHECK_LAYOUT);
	n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 60);
	o = obs(m, n, 63, 300);
	CHECK_EQ(guard_judge(&p, NULL, &o, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev), 0);
	CHECK(!guard_profile_ready(&p));
	/* garbage never fits */
	uint8_t junk[5] = {1, 2, 3, 4, 5};
	struct guard_obs j;
	memset(&j, 0, sizeof j);
	CHECK_EQ(guard_obs_fill(&j, junk, sizeof junk), -1);
	CHECK(guard_judge(&p, NULL, &j, true, GUARD_CHECK_ALL, NULL, ev, sizeof ev) & GUARD_CHECK_LAYOUT);
}

static uint32_t ttl_at(const uint8_t *msg, size_t len)
{
	struct wire_rr rr[8];
	struct wire_msg m;
	if (wire_msg_parse(&m, msg, len, rr, 8) != DW_OK || m.hdr.count[WIRE_SEC_ANSWER] == 0)
		return 0xffffffff;
	return m.rr[1].ttl;
}

static void test_cache(void)
{
	struct guard_cache *c;
	struct dw_error err;
	CHECK_EQ(guard_cache_new(&c, 2, &err), 0);
	uint8_t m[512], out[512];
	size_t n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 300), got;
	const uint64_t t0 = 1000000000;
	CHECK(guard_cache_put(c, qname, WIRE_T_A, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	/* any case, TTL counted down */
	static const uint8_t upper[] = "\3WWW\7Example\3COM";
	CHECK(guard_cache_get(c, upper, WIRE_T_A, WIRE_C_IN, false, t0 + 100000000, out, sizeof out, &got, NULL));
	CHECK_EQ(got, n);
	CHECK_EQ(ttl_at(out, got), 200);
	CHECK(!guard_cache_get(c, qname, WIRE_T_AAAA, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	CHECK(!guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, true, t0, out, sizeof out, &got, NULL));
	/* expired */
	CHECK(!guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, false, t0 + 301000000, out, sizeof out, &got, NULL));
	CHECK_EQ(guard_cache_count(c), 0);
	/* clamps: max 30 s */
	CHECK(guard_cache_put(c, qname, WIRE_T_A, WIRE_C_IN, false, 0, m, n, 0, 30, t0));
	CHECK(guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, false, t0 + 10000000, out, sizeof out, &got, NULL));
	CHECK_EQ(ttl_at(out, got), 20);
	CHECK(!guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, false, t0 + 31000000, out, sizeof out, &got, NULL));
	/* min 600 s keeps a 60 s answer longer */
	n = reply(m, sizeof m, 7, REAL_FLAGS, true, true, "192.0.2.10", 60);
	CHECK(guard_cache_put(c, qname, WIRE_T_A, WIRE_C_IN, false, 0, m, n, 600, 86400, t0));
	CHECK(guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, false, t0 + 100000000, out, sizeof out, &got, NULL));
	/* SERVFAIL and TC are never kept; TTL 0 is not */
	uint8_t sf[512];
	size_t sn = reply(sf, sizeof sf, 7, REAL_FLAGS | 2, true, true, "192.0.2.10", 60);
	CHECK(!guard_cache_put(c, qname, WIRE_T_MX, WIRE_C_IN, false, 0, sf, sn, 0, 86400, t0));
	sn = reply(sf, sizeof sf, 7, REAL_FLAGS | WIRE_FLAG_TC, true, true, "192.0.2.10", 60);
	CHECK(!guard_cache_put(c, qname, WIRE_T_MX, WIRE_C_IN, false, 0, sf, sn, 0, 86400, t0));
	sn = reply(sf, sizeof sf, 7, REAL_FLAGS, true, true, "192.0.2.10", 0);
	CHECK(!guard_cache_put(c, qname, WIRE_T_MX, WIRE_C_IN, false, 0, sf, sn, 0, 86400, t0));
	/* bounded: a third entry pushes out the least recently used */
	CHECK(guard_cache_put(c, qname, WIRE_T_AAAA, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	CHECK(guard_cache_get(c, qname, WIRE_T_A, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	CHECK(guard_cache_put(c, qname, WIRE_T_TXT, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	CHECK_EQ(guard_cache_count(c), 2);
	CHECK(!guard_cache_get(c, qname, WIRE_T_AAAA, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	/* purged: every type of the name */
	CHECK_EQ(guard_cache_purge(c, upper), 2);
	CHECK_EQ(guard_cache_count(c), 0);
	guard_cache_free(c);
	CHECK_EQ(guard_cache_new(&c, 0, &err), -1);
	CHECK_EQ(err.status, DW_E_INVALID);
}

/* A reply to QN/QTYPE with the answer records given as (type, address text). */
static size_t reply_addrs(uint8_t *buf, size_t cap, const uint8_t *qn, uint16_t qtype, const char *const *addrs,
			  unsigned n)
{
	struct wire_builder b;
	wire_build_init(&b, buf, cap, 1, REAL_FLAGS);
	wire_build_question(&b, qn, qtype, WIRE_C_IN);
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[16];
		bool v6 = strchr(addrs[i], ':') != NULL;
		CHECK_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, addrs[i], a), 1);
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, qn, v6 ? WIRE_T_AAAA : WIRE_T_A, WIRE_C_IN, 300, a, v6 ? 16 : 4);
	}
	wire_build_edns(&b, 1232, 0, 0, 0, NULL, 0);
	size_t len = 0;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	return len;
}

struct purged_seen {
	unsigned n;
	uint16_t qtype[8];
	uint8_t qname[8][WIRE_NAME_MAX];
};
static void seen_purge(void *ctx, const uint8_t *qn, uint16_t qtype)
{
	struct purged_seen *ps = ctx;
	if (ps->n < 8) {
		memcpy(ps->qname[ps->n], qn, wire_name_len(qn, WIRE_NAME_MAX));
		ps->qtype[ps->n++] = qtype;
	}
}

/* Purged by address: every entry holding it, whatever its name, type or
 * case; only that name's, or only unverified ones, when asked; an entry's
 * other addresses and the entries that share none stay. */
static void test_cache_purge_addr(void)
{
	struct guard_cache *c;
	struct dw_error err;
	CHECK_EQ(guard_cache_new(&c, 16, &err), 0);
	static const uint8_t n1[] = "\3www\7example\3com", n2[] = "\4mail\7example\3net",
			     n3[] = "\3ftp\7example\3org", n1up[] = "\3WWW\7EXAMPLE\3com";
	const char *a1[] = {"192.0.2.66", "192.0.2.10"}, *a2[] = {"192.0.2.66"}, *a3[] = {"192.0.2.11"},
		   *a6[] = {"2001:db8::66", "192.0.2.66"};
	uint8_t m[1024], out[1024];
	size_t n, got;
	const uint64_t t0 = 1000000000;
	n = reply_addrs(m, sizeof m, n1, WIRE_T_A, a1, 2);
	CHECK(guard_cache_put(c, n1, WIRE_T_A, WIRE_C_IN, false, GUARD_CACHE_UNVERIFIED, m, n, 0, 86400, t0));
	CHECK(guard_cache_put(c, n1, WIRE_T_A, WIRE_C_IN, true, 0, m, n, 0, 86400, t0)); /* DO: verified */
	n = reply_addrs(m, sizeof m, n2, WIRE_T_A, a2, 1);
	CHECK(guard_cache_put(c, n2, WIRE_T_A, WIRE_C_IN, false, GUARD_CACHE_UNVERIFIED, m, n, 0, 86400, t0));
	n = reply_addrs(m, sizeof m, n3, WIRE_T_A, a3, 1);
	CHECK(guard_cache_put(c, n3, WIRE_T_A, WIRE_C_IN, false, GUARD_CACHE_UNVERIFIED, m, n, 0, 86400, t0));
	n = reply_addrs(m, sizeof m, n1, WIRE_T_AAAA, a6, 2);
	CHECK(guard_cache_put(c, n1, WIRE_T_AAAA, WIRE_C_IN, false, GUARD_CACHE_UNVERIFIED, m, n, 0, 86400, t0));
	CHECK_EQ(guard_cache_count(c), 5);
	uint8_t v4[4], v6[16], other[4];
	inet_pton(AF_INET, "192.0.2.66", v4);
	inet_pton(AF_INET6, "2001:db8::66", v6);
	inet_pton(AF_INET, "192.0.2.99", other);
	/* an address no entry holds, and the right bytes in the wrong family */
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET, other, NULL, false, NULL, NULL), 0);
	uint8_t v4as6[16] = {0};
	memcpy(v4as6, v4, 4);
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET6, v4as6, NULL, false, NULL, NULL), 0);
	/* the name's unverified entries only: www A (not its DO copy) and www AAAA */
	struct purged_seen ps = {0};
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET, v4, n1up, true, seen_purge, &ps), 2);
	CHECK_EQ(ps.n, 2);
	CHECK(wire_name_equal(ps.qname[0], n1) && wire_name_equal(ps.qname[1], n1));
	CHECK((ps.qtype[0] == WIRE_T_A && ps.qtype[1] == WIRE_T_AAAA) ||
	      (ps.qtype[0] == WIRE_T_AAAA && ps.qtype[1] == WIRE_T_A));
	CHECK(!guard_cache_get(c, n1, WIRE_T_A, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	CHECK(guard_cache_get(c, n1, WIRE_T_A, WIRE_C_IN, true, t0, out, sizeof out, &got, NULL));
	CHECK(guard_cache_get(c, n2, WIRE_T_A, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	CHECK_EQ(guard_cache_count(c), 3);
	/* every name: the DO copy and mail's go, ftp's stays */
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET, v4, NULL, false, NULL, NULL), 2);
	CHECK_EQ(guard_cache_count(c), 1);
	CHECK(guard_cache_get(c, n3, WIRE_T_A, WIRE_C_IN, false, t0, out, sizeof out, &got, NULL));
	/* IPv6, and an entry put again (replaced) is indexed once */
	n = reply_addrs(m, sizeof m, n1, WIRE_T_AAAA, a6, 2);
	CHECK(guard_cache_put(c, n1, WIRE_T_AAAA, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	CHECK(guard_cache_put(c, n1, WIRE_T_AAAA, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET6, v6, NULL, true, NULL, NULL), 0); /* verified */
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET6, v6, NULL, false, NULL, NULL), 1);
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET, v4, NULL, false, NULL, NULL), 0);
	/* evicted and expired entries leave the index too (ASan would see a
	 * stale node) */
	for (unsigned i = 0; i < 40; i++) {
		uint8_t nm[32];
		size_t nl;
		char text[32];
		snprintf(text, sizeof text, "h%u.example.com", i);
		CHECK_EQ(wire_name_from_text(text, nm, &nl), DW_OK);
		n = reply_addrs(m, sizeof m, nm, WIRE_T_A, a2, 1);
		CHECK(guard_cache_put(c, nm, WIRE_T_A, WIRE_C_IN, false, 0, m, n, 0, 86400, t0));
	}
	CHECK_EQ(guard_cache_count(c), 16);
	CHECK_EQ(guard_cache_purge_addr(c, AF_INET, v4, NULL, false, NULL, NULL), 16);
	CHECK_EQ(guard_cache_count(c), 0);
	guard_cache_free(c);
}

static size_t query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name, uint16_t edns)
{
	size_t n = wire_build_query(buf, cap, id, name, WIRE_T_A, 1, edns);
	CHECK(n > 0);
	return n;
}

static void test_client_paths(void)
{
	uint8_t q[512], out[4096];
	uint64_t bad = 0;
	static const uint8_t mixed[] = "\3wWw\7eXample\3com";
	size_t qn = query(q, sizeof q, 0x4242, mixed, 1232);
	/* SERVFAIL with EDE 0 and the reason in its text */
	size_t n = guard_servfail_for(q, qn, "forged reply dropped, no real reply", 0, out, sizeof out, &bad);
	CHECK(n > 0);
	struct wire_rr rr[8];
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 8), DW_OK);
	CHECK_EQ(m.hdr.id, 0x4242);
	CHECK_EQ(WIRE_RCODE(m.hdr.flags), WIRE_RCODE_SERVFAIL);
	CHECK(m.hdr.flags & WIRE_FLAG_QR);
	CHECK(!memcmp(out + 12, mixed, sizeof mixed)); /* the client's case */
	size_t pos = 0;
	uint16_t code, olen;
	const uint8_t *data;
	CHECK(m.edns.present);
	CHECK(wire_edns_next_option(&m, &pos, &code, &data, &olen));
	CHECK_EQ(code, WIRE_EDNS_EDE);
	CHECK(olen == 2 + strlen("forged reply dropped, no real reply") &&
	      !memcmp(data + 2, "forged reply dropped, no real reply", olen - 2));
	/* without EDNS the client gets no OPT (RFC 6891 7) */
	qn = query(q, sizeof q, 0x4243, mixed, 0);
	n = guard_servfail_for(q, qn, "upstream timed out", 22, out, sizeof out, &bad);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 8), DW_OK);
	CHECK(!m.edns.present);
	/* malformed and unfit queries are counted, not answered */
	CHECK_EQ(guard_servfail_for(q, 7, "x", 0, out, sizeof out, &bad), 0);
	uint8_t resp[512];
	size_t rn = reply(resp, sizeof resp, 1, REAL_FLAGS, true, true, "192.0.2.10", 60);
	CHECK_EQ(guard_servfail_for(resp, rn, "x", 0, out, sizeof out, &bad), 0); /* QR set */
	CHECK_EQ(bad, 2);
	/* an upstream reply rewritten for the client: its ID, its case, no OPT
	 * for a client without EDNS */
	n = guard_answer_for(q, qn, resp, rn, false, out, sizeof out);
	CHECK(n > 0 && n < rn);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 8), DW_OK);
	CHECK_EQ(m.hdr.id, 0x4243);
	CHECK(!m.edns.present);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 1);
	CHECK(!memcmp(out + 12, mixed, sizeof mixed));
	/* too large for 512 bytes over UDP: TC and no records; whole over TCP */
	uint8_t big[2048];
	struct wire_builder b;
	wire_build_init(&b, big, sizeof big, 1, REAL_FLAGS);
	wire_build_question(&b, qname, WIRE_T_A, WIRE_C_IN);
	for (int i = 0; i < 40; i++) {
		uint8_t a[4] = {192, 0, 2, (uint8_t)i};
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, qname, WIRE_T_A, WIRE_C_IN, 60, a, 4);
	}
	size_t bn;
	CHECK_EQ(wire_build_finish(&b, &bn), DW_OK);
	CHECK(bn > 512);
	n = guard_answer_for(q, qn, big, bn, false, out, sizeof out);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 8), DW_OK);
	CHECK(m.hdr.flags & WIRE_FLAG_TC);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 0);
	CHECK_EQ(guard_answer_for(q, qn, big, bn, true, out, sizeof out), bn);
	/* a reply to another question is never served */
	static const uint8_t other[] = "\5other\7example\3com";
	qn = query(q, sizeof q, 9, other, 1232);
	CHECK_EQ(guard_answer_for(q, qn, resp, rn, false, out, sizeof out), 0);
}

/* A client's query for www.example.com A: FLAGS (RD, AD), EDNS or not, DO. */
static size_t query_do(uint8_t *buf, size_t cap, uint16_t flags, bool edns, bool dnssec_ok)
{
	struct wire_builder b;
	wire_build_init(&b, buf, cap, 0x5151, flags);
	wire_build_question(&b, qname, WIRE_T_A, WIRE_C_IN);
	if (edns)
		wire_build_edns(&b, 1232, 0, 0, dnssec_ok ? WIRE_EDNS_DO : 0, NULL, 0);
	size_t len = 0;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	return len;
}

/* A validating guard's answers: AD its own word, for DO or AD clients only;
 * the DNSSEC records and DO only for a client that asked with DO. */
static void test_validated_shape(void)
{
	/* a kept reply: the A RRset and its RRSIG, an NSEC in the authority,
	 * OPT with DO, AD set as the guard's verdict */
	uint8_t kept[1024], q[512], out[2048];
	struct wire_builder b;
	static const uint8_t sig[20] = {0, 1, 13, 3}, nsec[8] = {0, 0, 6, 0x40, 0, 0, 0, 3};
	const uint8_t a[4] = {192, 0, 2, 10};
	wire_build_init(&b, kept, sizeof kept, 1, 0x8180 | WIRE_FLAG_AD);
	wire_build_question(&b, qname, WIRE_T_A, WIRE_C_IN);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, qname, WIRE_T_A, WIRE_C_IN, 60, a, 4);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, qname, 46, WIRE_C_IN, 60, sig, sizeof sig);
	wire_build_rr_raw(&b, WIRE_SEC_AUTHORITY, qname, 47, WIRE_C_IN, 60, nsec, sizeof nsec);
	wire_build_edns(&b, 1232, 0, 0, WIRE_EDNS_DO, NULL, 0);
	size_t kn;
	CHECK_EQ(wire_build_finish(&b, &kn), DW_OK);
	struct wire_rr rr[16];
	struct wire_msg m;
	/* DO: everything, AD, DO */
	size_t qn = query_do(q, sizeof q, WIRE_FLAG_RD, true, true);
	size_t n = guard_answer_validated_for(q, qn, kept, kn, false, out, sizeof out);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 16), DW_OK);
	CHECK(m.hdr.flags & WIRE_FLAG_AD);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 2);
	CHECK_EQ(m.hdr.count[WIRE_SEC_AUTHORITY], 1);
	CHECK(m.edns.present && (m.edns.flags & WIRE_EDNS_DO));
	CHECK_EQ(m.hdr.id, 0x5151);
	/* EDNS and AD, no DO: AD, but no RRSIG, no NSEC, no DO */
	qn = query_do(q, sizeof q, WIRE_FLAG_RD | WIRE_FLAG_AD, true, false);
	n = guard_answer_validated_for(q, qn, kept, kn, false, out, sizeof out);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 16), DW_OK);
	CHECK(m.hdr.flags & WIRE_FLAG_AD);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 1);
	CHECK_EQ(rr[1].type, WIRE_T_A);
	CHECK_EQ(m.hdr.count[WIRE_SEC_AUTHORITY], 0);
	CHECK(m.edns.present && !(m.edns.flags & WIRE_EDNS_DO));
	/* neither DO nor AD (RFC 6840 5.8): no AD; no EDNS: no OPT either */
	qn = query_do(q, sizeof q, WIRE_FLAG_RD, false, false);
	n = guard_answer_validated_for(q, qn, kept, kn, false, out, sizeof out);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 16), DW_OK);
	CHECK(!(m.hdr.flags & WIRE_FLAG_AD));
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 1);
	CHECK(!m.edns.present);
	/* a reply the guard did not validate gets no AD, even asked with DO */
	kept[3] &= (uint8_t)~WIRE_FLAG_AD;
	qn = query_do(q, sizeof q, WIRE_FLAG_RD | WIRE_FLAG_AD, true, true);
	n = guard_answer_validated_for(q, qn, kept, kn, false, out, sizeof out);
	CHECK_EQ(wire_msg_parse(&m, out, n, rr, 16), DW_OK);
	CHECK(!(m.hdr.flags & WIRE_FLAG_AD));
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 2);
}

/* ---- the server path, against a scripted upstream on loopback ---------------- */

/* A port free on 127.0.0.1 for UDP and TCP (bound, read, closed). */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 20; tries++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t al = sizeof a;
		if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof a) || getsockname(u, (struct sockaddr *)&a, &al)) {
			if (u >= 0)
				close(u);
			continue;
		}
		int t = socket(AF_INET, SOCK_STREAM, 0);
		bool ok = t >= 0 && !bind(t, (struct sockaddr *)&a, sizeof a);
		if (t >= 0)
			close(t);
		close(u);
		if (ok)
			return ntohs(a.sin_port);
	}
	return 0;
}

/* The scripted upstream: a UDP socket and a TCP listener on one port. */
struct fake_up {
	int udp, tcp, conn;
	uint16_t port;
	struct sockaddr_storage from; /* the last UDP query's source */
	socklen_t fromlen;
};

static bool fake_open(struct fake_up *f)
{
	memset(f, 0, sizeof *f);
	f->conn = -1;
	f->port = free_port();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(f->port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	f->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	f->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (f->udp < 0 || f->tcp < 0)
		return false;
	(void)setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	return !bind(f->udp, (struct sockaddr *)&a, sizeof a) && !bind(f->tcp, (struct sockaddr *)&a, sizeof a) &&
	       !listen(f->tcp, 8);
}

static void fake_close(struct fake_up *f)
{
	close(f->udp);
	close(f->tcp);
	if (f->conn >= 0)
		close(f->conn);
}

/* Run the guard until a query reaches the upstream (over TCP when TCP), at
 * most a second; its length, 0 if none came. */
static size_t fake_query(struct guard *g, struct fake_up *f, bool tcp, uint8_t *q, size_t cap)
{
	struct dw_error err;
	for (int i = 0; i < 200; i++) {
		if (!tcp) {
			f->fromlen = sizeof f->from;
			ssize_t n = recvfrom(f->udp, q, cap, 0, (struct sockaddr *)&f->from, &f->fromlen);
			if (n > 0)
				return (size_t)n;
		} else {
			if (f->conn < 0)
				f->conn = accept4(f->tcp, NULL, NULL, 0);
			if (f->conn >= 0) {
				uint8_t l[2];
				struct pollfd pf = {.fd = f->conn, .events = POLLIN};
				if (poll(&pf, 1, 0) == 1) {
					size_t n = 0;
					if (recv(f->conn, l, 2, MSG_WAITALL) == 2) {
						n = (size_t)l[0] << 8 | l[1];
						if (n <= cap && recv(f->conn, q, n, MSG_WAITALL) == (ssize_t)n)
							return n;
					}
					/* a leg closed before it asked: the next connection */
					close(f->conn);
					f->conn = -1;
				}
			}
		}
		CHECK_EQ(guard_poll(g, 5, &err), 0);
	}
	return 0;
}

/* The reply to upstream query Q: its ID and question, flags FLAGS, one A
 * record ADDR (NULL: none), an OPT record or not (an injector's has none). */
static size_t fake_reply(uint8_t *out, const uint8_t *q, size_t qlen, uint16_t flags, const char *addr, bool opt)
{
	size_t ql = wire_name_len(q + WIRE_HEADER_LEN, qlen - WIRE_HEADER_LEN) + 4, n = WIRE_HEADER_LEN;
	memcpy(out, q, 2);
	const uint8_t h[10] = {(uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0, addr ? 1 : 0, 0, 0, 0, opt ? 1 : 0};
	memcpy(out + 2, h, sizeof h);
	memcpy(out + n, q + n, ql);
	n += ql;
	if (addr) {
		const uint8_t rr[10] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44}; /* A IN, TTL 300 */
		memcpy(out + n, rr, sizeof rr);
		n += sizeof rr;
		out[n++] = 0;
		out[n++] = 4;
		inet_pton(AF_INET, addr, out + n);
		n += 4;
	}
	if (opt) {
		const uint8_t o[11] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
		memcpy(out + n, o, sizeof o);
		n += sizeof o;
	}
	return n;
}

static void fake_send(struct fake_up *f, bool tcp, const uint8_t *m, size_t n)
{
	if (tcp) {
		uint8_t l[2] = {(uint8_t)(n >> 8), (uint8_t)n};
		CHECK_EQ(send(f->conn, l, 2, MSG_NOSIGNAL), 2);
		CHECK_EQ(send(f->conn, m, n, MSG_NOSIGNAL), (ssize_t)n);
	} else {
		CHECK_EQ(sendto(f->udp, m, n, 0, (struct sockaddr *)&f->from, f->fromlen), (ssize_t)n);
	}
}

/* A client on loopback asking the guard (listening on PORT). */
static void client_ask(int fd, uint16_t port, const uint8_t *name, uint16_t qtype)
{
	uint8_t q[512];
	size_t n = wire_build_query(q, sizeof q, 0x7777, name, qtype, 1, 1232);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CHECK_EQ(sendto(fd, q, n, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)n);
}

/* Run the guard until the client's answer comes (at most a second): its
 * rcode, and its first A record's address into ADDR ("" none); -1 none. */
static int client_answer_of(struct guard *g, int fd, char *addr, size_t cap)
{
	struct dw_error err;
	uint8_t m[4096];
	addr[0] = 0;
	for (int i = 0; i < 200; i++) {
		CHECK_EQ(guard_poll(g, 5, &err), 0);
		ssize_t n = recv(fd, m, sizeof m, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		struct wire_rr rr[8];
		struct wire_msg msg;
		if (wire_msg_parse(&msg, m, (size_t)n, rr, 8) != DW_OK)
			return -1;
		for (size_t k = 1; k < msg.rr_count; k++)
			if (rr[k].type == WIRE_T_A && rr[k].rdlen == 4) {
				inet_ntop(AF_INET, m + rr[k].rdata_off, addr, (socklen_t)cap);
				break;
			}
		return (int)WIRE_RCODE(msg.hdr.flags);
	}
	return -1;
}

/* Run the guard for MS milliseconds. */
static void run_for(struct guard *g, int ms)
{
	struct dw_error err;
	for (int i = 0; i < ms / 5; i++)
		CHECK_EQ(guard_poll(g, 5, &err), 0);
}

struct purge_log {
	unsigned n;
	char qname[4][256];
	char addr[4][64];
	char why[4][16];
	uint16_t qtype[4];
};
static void on_purge_log(void *ctx, const struct guard_purge_info *pi)
{
	struct purge_log *l = ctx;
	if (l->n >= 4)
		return;
	snprintf(l->qname[l->n], sizeof l->qname[0], "%s", pi->qname);
	inet_ntop(pi->family, pi->addr, l->addr[l->n], sizeof l->addr[0]);
	snprintf(l->why[l->n], sizeof l->why[0], "%s", pi->why);
	l->qtype[l->n++] = pi->qtype;
}

/* A guard on loopback forwarding to the scripted upstream F (UDP, and TCP
 * too when WITH_TCP), no calibration: every UDP answer is unverified. */
static struct guard *purge_guard(struct fake_up *f, bool with_tcp, uint16_t *port, struct purge_log *log)
{
	struct guard_config cfg;
	struct dw_error err;
	guard_config_default(&cfg);
	*port = free_port();
	char text[64];
	snprintf(text, sizeof text, "127.0.0.1:%u", *port);
	CHECK_EQ(guard_addr_parse(text, 53, &cfg.listen[0], &cfg.listen_len[0], &err), 0);
	cfg.nlisten = 1;
	snprintf(text, sizeof text, "udp:127.0.0.1:%u", f->port);
	CHECK_EQ(guard_upstream_parse(text, &cfg.up[cfg.nup++], &err), 0);
	if (with_tcp) {
		snprintf(text, sizeof text, "tcp:127.0.0.1:%u", f->port);
		CHECK_EQ(guard_upstream_parse(text, &cfg.up[cfg.nup++], &err), 0);
	}
	cfg.window_ms = 30;
	cfg.timeout_ms = 1500;
	cfg.on_purge = on_purge_log;
	cfg.ctx = log;
	struct guard *g = NULL;
	CHECK_EQ(guard_open(&g, &cfg, &err), 0);
	return g;
}

/* An answer served unverified and cached, then proven forged: by a reply
 * dropped for its name holding its address, by an address learned from a
 * drop that a verified reply contradicted, by guard_learn_addr (a store's
 * addresses). Each time the cached answer goes (counted, told with its name
 * and the address), and the next client query is asked upstream again. */
static void test_server_purge(void)
{
	static const uint8_t www[] = "\3www\7example\3com", b[] = "\1b\7example\3com", c[] = "\1c\7example\3com";
	struct fake_up f;
	struct purge_log log = {0};
	uint16_t port;
	if (!fake_open(&f))
		SKIP("no loopback sockets here");
	struct guard *g = purge_guard(&f, false, &port, &log);
	CHECK(g != NULL);
	if (!g)
		return;
	int cl = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t q[512], r[512];
	size_t qn;
	char addr[64];
	/* 1. www A: one reply laid out like the upstream's, nothing to judge
	 * it by: served unverified after the window, and cached */
	client_ask(cl, port, www, WIRE_T_A);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.66", true));
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	CHECK_STR(addr, "192.0.2.66");
	CHECK_EQ(guard_counters(g)->accepted_unverified, 1);
	client_ask(cl, port, www, WIRE_T_A);
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	CHECK_EQ(guard_counters(g)->cache_hits, 1);
	CHECK_EQ(guard_counters(g)->cache_purged, 0);
	/* 2. www AAAA draws an injector's reply (no OPT: dropped) with the
	 * cached A answer's address: that answer was the same forgery */
	client_ask(cl, port, www, WIRE_T_AAAA);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.66", false));
	for (int i = 0; i < 100 && !guard_counters(g)->dropped; i++)
		run_for(g, 5);
	CHECK_EQ(guard_counters(g)->dropped, 1);
	CHECK_EQ(guard_counters(g)->cache_purged, 1);
	CHECK_EQ(log.n, 1);
	CHECK_STR(log.qname[0], "www.example.com.");
	CHECK_EQ(log.qtype[0], WIRE_T_A);
	CHECK_STR(log.addr[0], "192.0.2.66");
	CHECK_STR(log.why[0], "dropped");
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, NULL, true)); /* the real NODATA */
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	/* 3. www A again: not from the cache, asked upstream, the real answer */
	client_ask(cl, port, www, WIRE_T_A);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.10", true));
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	CHECK_STR(addr, "192.0.2.10");
	CHECK_EQ(guard_counters(g)->cache_hits, 1);
	/* 4. an address learned from a store: the answer holding it goes */
	uint8_t a10[4] = {192, 0, 2, 10};
	CHECK(guard_learn_addr(g, AF_INET, a10));
	CHECK(!guard_learn_addr(g, AF_INET, a10));
	CHECK_EQ(guard_counters(g)->cache_purged, 2);
	CHECK_STR(log.why[1], "learned");
	client_ask(cl, port, www, WIRE_T_A);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.11", true));
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	CHECK_STR(addr, "192.0.2.11");
	guard_close(g);

	/* 5. learned the usual way: a UDP reply dropped, a verified one (over
	 * TCP, which no datagram races) that contradicts it served: its
	 * address is forged, and b's cached answer holding it goes, a name
	 * never asked since */
	memset(&log, 0, sizeof log);
	g = purge_guard(&f, true, &port, &log);
	CHECK(g != NULL);
	if (!g) {
		close(cl);
		fake_close(&f);
		return;
	}
	client_ask(cl, port, b, WIRE_T_A);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.77", true));
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0); /* unverified, the TCP leg left unanswered */
	CHECK_STR(addr, "192.0.2.77");
	client_ask(cl, port, c, WIRE_T_A);
	CHECK((qn = fake_query(g, &f, false, q, sizeof q)) > 0);
	fake_send(&f, false, r, fake_reply(r, q, qn, 0x8180, "192.0.2.77", false));
	for (int i = 0; i < 100 && !guard_counters(g)->dropped; i++)
		run_for(g, 5);
	CHECK_EQ(guard_counters(g)->cache_purged, 0); /* another name: nothing proven yet */
	if (f.conn >= 0) {
		close(f.conn); /* b's TCP leg */
		f.conn = -1;
	}
	size_t tn;
	uint8_t tq[512];
	CHECK((tn = fake_query(g, &f, true, tq, sizeof tq)) > 0);
	if (tn && !memcmp(tq + WIRE_HEADER_LEN, "\1b", 2)) {
		/* b's TCP leg came first (a connection per leg): take c's next */
		close(f.conn);
		f.conn = -1;
		CHECK((tn = fake_query(g, &f, true, tq, sizeof tq)) > 0);
	}
	fake_send(&f, true, r, fake_reply(r, tq, tn, 0x8180, "192.0.2.20", true));
	CHECK_EQ(client_answer_of(g, cl, addr, sizeof addr), 0);
	CHECK_STR(addr, "192.0.2.20");
	CHECK_EQ(guard_counters(g)->forged_addrs_learned, 1);
	CHECK_EQ(guard_counters(g)->cache_purged, 1);
	CHECK_STR(log.qname[0], "b.example.com.");
	CHECK_STR(log.addr[0], "192.0.2.77");
	CHECK_STR(log.why[0], "learned");
	client_ask(cl, port, b, WIRE_T_A);
	CHECK(fake_query(g, &f, false, q, sizeof q) > 0); /* asked again */
	CHECK_EQ(guard_counters(g)->cache_hits, 0);
	guard_close(g);
	close(cl);
	fake_close(&f);
}

static void test_upstream_parse(void)
{
	struct guard_upstream u;
	struct dw_error err;
	CHECK_EQ(guard_upstream_parse("udp:192.0.2.53", &u, &err), 0);
	CHECK_EQ(u.kind, GUARD_UP_UDP);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&u.addr)->sin_port), 53);
	CHECK_EQ(guard_upstream_parse("tls:192.0.2.53#resolver.lab", &u, &err), 0);
	CHECK_EQ(u.kind, GUARD_UP_TLS);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&u.addr)->sin_port), 853);
	CHECK_STR(u.name, "resolver.lab");
	CHECK_EQ(guard_upstream_parse("tcp:[2001:db8::1]:5353", &u, &err), 0);
	CHECK_EQ(u.addr.ss_family, AF_INET6);
	CHECK_EQ(ntohs(((struct sockaddr_in6 *)&u.addr)->sin6_port), 5353);
	CHECK_EQ(guard_upstream_parse("udp:2001:db8::1", &u, &err), 0);
	CHECK_EQ(guard_upstream_parse("dns:192.0.2.1", &u, &err), -1);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	CHECK_EQ(guard_upstream_parse("udp:192.0.2.1:0", &u, &err), -1);
	CHECK_EQ(guard_upstream_parse("udp:192.0.2.1#name", &u, &err), -1);
	CHECK_EQ(guard_upstream_parse("udp:example.com", &u, &err), -1);
}

int main(void)
{
	RUN(test_profile);
	RUN(test_real_fits);
	RUN(test_each_defence);
	RUN(test_ttl_mirror_caught);
	RUN(test_unlearned);
	RUN(test_cache);
	RUN(test_cache_purge_addr);
	RUN(test_client_paths);
	RUN(test_validated_shape);
	RUN(test_upstream_parse);
	RUN(test_server_purge);
	return harness_done();
}
