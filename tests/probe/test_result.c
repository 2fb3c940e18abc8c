/* probe/result: the packed form a result crosses between threads in. Every
 * field in use comes back; the verdict's fields come back unjudged. */
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "probe/result.h"
#include "wire/name.h"

static void fill(struct probe_result *r, unsigned nreplies)
{
	memset(r, 0, sizeof *r);
	r->seq = 123456789012ull;
	r->tag = 77;
	r->line = 4242;
	r->target = 3;
	size_t n;
	CHECK(wire_name_from_text("wWw.ExAmple.ORG", r->qname, &n) == DW_OK);
	r->qtype = 28;
	r->id = 0xbeef;
	r->sport = 40000;
	r->attempts = 2;
	r->sent_us = 1700000000123456ull;
	r->nreplies = (uint8_t)nreplies;
	r->replies_seen = (uint16_t)(nreplies + 5);
	for (unsigned i = 0; i < nreplies; i++) {
		struct probe_reply *p = &r->reply[i];
		p->time_us = r->sent_us + 1000 * (i + 1);
		p->rtt_us = 1000 * (i + 1);
		p->family = AF_INET;
		p->src[0] = 192, p->src[3] = (uint8_t)i;
		p->sport = 53;
		p->ip_known = true;
		p->ip_ttl = (uint8_t)(60 + i);
		p->ip_id = (uint16_t)(i * 1000);
		p->df = i & 1;
		p->parsed = true;
		p->question_match = true;
		p->flags = 0x8180;
		p->rcode = 0;
		p->ancount = (uint16_t)i;
		p->answer_ptr = true;
		p->answer_ttl = 300;
		p->naddrs = (uint8_t)(i % (PROBE_ADDRS_MAX + 1));
		for (unsigned a = 0; a < p->naddrs; a++) {
			p->addrs[a].family = AF_INET;
			p->addrs[a].addr[0] = 10;
			p->addrs[a].addr[3] = (uint8_t)a;
			p->addrs[a].ttl = 60 + a;
		}
		p->ncnames = (uint8_t)i;
		p->has_ede = i == 2;
		p->ede = 15;
		p->len = (uint16_t)(40 + 100 * i);
		p->rawlen = (uint16_t)(i == 3 || p->len > PROBE_RAW_MAX ? PROBE_RAW_MAX : p->len);
		for (unsigned b = 0; b < p->rawlen; b++)
			p->raw[b] = (uint8_t)(b * 7 + i);
	}
}

static void same(const struct probe_result *a, const struct probe_result *b)
{
	CHECK_EQ(a->seq, b->seq);
	CHECK_EQ(a->tag, b->tag);
	CHECK_EQ(a->line, b->line);
	CHECK_EQ(a->target, b->target);
	size_t q = wire_name_len(a->qname, WIRE_NAME_MAX);
	CHECK(q > 0 && memcmp(a->qname, b->qname, q) == 0);
	CHECK_EQ(a->qtype, b->qtype);
	CHECK_EQ(a->id, b->id);
	CHECK_EQ(a->sport, b->sport);
	CHECK_EQ(a->attempts, b->attempts);
	CHECK_EQ(a->sent_us, b->sent_us);
	CHECK_EQ(a->nreplies, b->nreplies);
	CHECK_EQ(a->replies_seen, b->replies_seen);
	for (unsigned i = 0; i < a->nreplies; i++) {
		const struct probe_reply *x = &a->reply[i], *y = &b->reply[i];
		CHECK(memcmp(x, y, offsetof(struct probe_reply, addrs)) == 0);
		CHECK(memcmp(x->addrs, y->addrs, x->naddrs * sizeof *x->addrs) == 0);
		CHECK(memcmp(&x->ncnames, &y->ncnames,
			     offsetof(struct probe_reply, raw) - offsetof(struct probe_reply, ncnames)) == 0);
		CHECK(memcmp(x->raw, y->raw, x->rawlen) == 0);
	}
	/* Unjudged, whatever the struct held before. */
	CHECK_EQ(b->verdict, VERDICT_NONE);
	CHECK_EQ(b->forged_reply, -1);
	CHECK_EQ(b->group, -1);
	for (unsigned i = 0; i < PROBE_REPLIES_MAX; i++)
		CHECK_EQ(b->reply_group[i], 0);
	CHECK_STR(b->evidence, "");
	CHECK_STR(b->control, "");
}

static void test_pack_roundtrip(void)
{
	static struct probe_result r, back;
	static uint8_t buf[PROBE_RESULT_PACKED_MAX];
	for (unsigned n = 0; n <= PROBE_REPLIES_MAX; n++) {
		fill(&r, n);
		memset(&back, 0xa5, sizeof back);
		size_t len = probe_result_pack(&r, buf);
		CHECK(len <= PROBE_RESULT_PACKED_MAX);
		probe_result_unpack(buf, &back);
		same(&r, &back);
	}
}

static void test_pack_small(void)
{
	/* A typical result, one reply of 94 bytes and one address: a few
	 * hundred bytes, not the struct's several thousand. */
	static struct probe_result r;
	static uint8_t buf[PROBE_RESULT_PACKED_MAX];
	fill(&r, 2);
	r.nreplies = 1;
	r.reply[0].naddrs = 1;
	r.reply[0].rawlen = 94;
	size_t len = probe_result_pack(&r, buf);
	CHECK(len < 400);
	CHECK(sizeof r > 4000);
}

/* The largest result there is fits the bound. */
static void test_pack_max(void)
{
	static struct probe_result r;
	static uint8_t buf[PROBE_RESULT_PACKED_MAX];
	fill(&r, PROBE_REPLIES_MAX);
	memset(r.qname, 1, sizeof r.qname); /* no valid name: all of it kept */
	for (unsigned i = 0; i < PROBE_REPLIES_MAX; i++) {
		r.reply[i].naddrs = PROBE_ADDRS_MAX;
		r.reply[i].rawlen = PROBE_RAW_MAX;
	}
	CHECK(probe_result_pack(&r, buf) <= PROBE_RESULT_PACKED_MAX);
}

int main(void)
{
	RUN(test_pack_roundtrip);
	RUN(test_pack_small);
	RUN(test_pack_max);
	return harness_done();
}
