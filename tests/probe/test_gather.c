/* probe/gather: a name's results held until all are in, whatever order
 * they finish in, then judged together and handed on in that order; a name
 * of one result handed on as it is; what is left when a run ends early;
 * results nobody announced refused, with why; the bound on a name's wait,
 * with a scripted clock: judged with what it has once its first result has
 * waited longer, and a result after that judged alone on arrival; many
 * names, in and out of order, near and far apart. */
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "probe/classify.h"
#include "probe/gather.h"

#define MS 1000u

/* What the callback was handed: copies, and the pointers it got. */
struct seen {
	int n;
	struct probe_result r[16];
	const struct probe_result *ptr[16];
};

static void on_judged(void *ctx, struct probe_result *r)
{
	struct seen *s = ctx;
	if (s->n < 16) {
		s->r[s->n] = *r;
		s->ptr[s->n] = r;
	}
	s->n++;
}

static struct probe_result mk(uint64_t seq, uint16_t target)
{
	struct probe_result r;
	memset(&r, 0, sizeof r);
	r.seq = seq;
	r.target = target;
	r.tag = seq * 10 + target;
	r.forged_reply = -1;
	r.group = -1;
	return r;
}

static const struct probe_target RESOLVER = {"isp", TARGET_RESOLVER, AF_INET, {198, 18, 1, 1}, 53};
static const struct probe_target NODNS = {"nodns", TARGET_NODNS, AF_INET, {198, 19, 55, 55}, 53};

/* NTARGETS targets (the last a no-DNS address when NODNS_LAST), one type. */
static void config(struct probe_config *c, int ntargets, bool nodns_last)
{
	probe_config_default(c);
	for (int t = 0; t < ntargets; t++)
		c->target[t] = nodns_last && t == ntargets - 1 ? NODNS : RESOLVER;
	c->ntargets = ntargets;
	c->nqtypes = 1;
}

static struct probe_gather *gather(const struct probe_config *c, struct classify *cls,
				   uint64_t wait_us, struct seen *s)
{
	struct probe_gather_opts o = {.cfg = c, .cls = cls, .control_target = -1,
				      .wait_us = wait_us, .judged = on_judged, .ctx = s};
	struct probe_gather *g = probe_gather_new(&o);
	CHECK(g != NULL);
	return g;
}

static void test_gather(void)
{
	struct probe_config c;
	config(&c, 3, false);
	struct classify *cls = classify_new(NULL);
	struct seen s = {0};
	struct probe_gather *g = cls ? gather(&c, cls, PROBE_GATHER_NO_BOUND, &s) : NULL;
	if (!g) {
		classify_free(cls);
		return;
	}
	struct dw_error err;
	dw_error_clear(&err);
	/* name 0: three targets; name 1: one; name 2: two, one never comes */
	for (int k = 0; k < 3; k++)
		probe_gather_expect(g, 0);
	probe_gather_expect(g, 1);
	probe_gather_expect(g, 2);
	probe_gather_expect(g, 2);

	struct probe_result r = mk(0, 2);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	CHECK_EQ(s.n, 0);
	r = mk(1, 0);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	CHECK_EQ(s.n, 1);
	CHECK(s.ptr[0] == &r); /* alone: not copied */
	CHECK_EQ(s.r[0].verdict, VERDICT_TIMEOUT); /* judged */
	s.n = 0;
	r = mk(0, 0);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	r = mk(2, 1);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	CHECK_EQ(s.n, 0);
	r = mk(0, 1);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	CHECK_EQ(s.n, 3);
	if (s.n == 3) {
		CHECK_EQ(s.r[0].target, 2); /* in the order they finished */
		CHECK_EQ(s.r[1].target, 0);
		CHECK_EQ(s.r[2].target, 1);
		CHECK_EQ(s.r[2].tag, 1);
		CHECK(s.ptr[2] != &r);
		for (int i = 0; i < 3; i++)
			CHECK_EQ(s.r[i].verdict, VERDICT_TIMEOUT);
	}
	/* name 0 is complete: more of it is refused, as is a name never
	 * announced, and the error says which (not "out of memory") */
	s.n = 0;
	r = mk(0, 3);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), -1);
	CHECK_EQ(err.status, DW_E_STATE);
	CHECK(strstr(err.text, "name 0, target 3") != NULL);
	r = mk(7, 0);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), -1);
	CHECK_EQ(err.status, DW_E_STATE);
	CHECK(strstr(err.text, "no such name in flight") != NULL);
	CHECK_EQ(s.n, 0);
	/* the run ends: name 2's one result is left */
	probe_gather_expect(g, 9); /* nothing came for it */
	probe_gather_flush(g);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.r[0].seq, 2);
	s.n = 0;
	probe_gather_flush(g);
	CHECK_EQ(s.n, 0);
	probe_gather_free(g);
	classify_free(cls);
}

/* Two query types: a target gives two results, one expectation each. */
static void test_qtypes(void)
{
	struct probe_config c;
	config(&c, 2, false);
	c.nqtypes = 2;
	struct classify *cls = classify_new(NULL);
	struct seen s = {0};
	struct probe_gather *g = cls ? gather(&c, cls, PROBE_GATHER_NO_BOUND, &s) : NULL;
	if (!g) {
		classify_free(cls);
		return;
	}
	struct dw_error err;
	probe_gather_expect(g, 5);
	probe_gather_expect(g, 5);
	struct probe_result r;
	for (int k = 0; k < 3; k++) {
		r = mk(5, (uint16_t)(k / 2));
		CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	}
	CHECK_EQ(s.n, 0);
	r = mk(5, 1);
	CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
	CHECK_EQ(s.n, 4);
	probe_gather_free(g);
	classify_free(cls);
}

/*
 * The bound, on a scripted clock: a resolver's answer waits for the no-DNS
 * path of its name at most WAIT after it came, then is judged with what is
 * in; the no-DNS result, when it comes, is judged alone on arrival. A
 * name whose results all come within the bound is judged together.
 */
static void test_wait_bound(void)
{
	struct probe_config c;
	config(&c, 2, true);
	struct classify *cls = classify_new(NULL);
	struct seen s = {0};
	const uint64_t wait = 1000 * MS;
	struct probe_gather *g = cls ? gather(&c, cls, wait, &s) : NULL;
	if (!g) {
		classify_free(cls);
		return;
	}
	struct dw_error err;
	dw_error_clear(&err);
	for (uint64_t seq = 0; seq < 4; seq++) {
		probe_gather_expect(g, seq);
		probe_gather_expect(g, seq);
	}
	/* name 0: the resolver at 100 ms; waited exactly the bound at 1100 ms,
	 * longer at 1100 ms + 1 us */
	struct probe_result r = mk(0, 0);
	CHECK_EQ(probe_gather_result(g, &r, 100 * MS, &err), 0);
	probe_gather_tick(g, 600 * MS);
	probe_gather_tick(g, 1100 * MS);
	CHECK_EQ(s.n, 0);
	probe_gather_tick(g, 1100 * MS + 1);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.r[0].seq, 0);
	CHECK_EQ(s.r[0].target, 0);
	CHECK_EQ(s.r[0].verdict, VERDICT_TIMEOUT);
	/* its no-DNS result at 1.6 s (retries + 1 timeouts): alone, on arrival */
	s.n = 0;
	r = mk(0, 1);
	CHECK_EQ(probe_gather_result(g, &r, 1600 * MS, &err), 0);
	CHECK_EQ(s.n, 1);
	CHECK(s.ptr[0] == &r);
	CHECK_EQ(s.r[0].target, 1);
	CHECK_EQ(s.r[0].verdict, VERDICT_OK); /* judged: silence is what a no-DNS address says */
	/* then the name is done */
	CHECK_EQ(probe_gather_result(g, &r, 1700 * MS, &err), -1);
	CHECK_EQ(err.status, DW_E_STATE);

	/* name 1: both within the bound, judged together */
	s.n = 0;
	r = mk(1, 0);
	CHECK_EQ(probe_gather_result(g, &r, 2000 * MS, &err), 0);
	r = mk(1, 1);
	CHECK_EQ(probe_gather_result(g, &r, 2900 * MS, &err), 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.r[0].target, 0);
	CHECK_EQ(s.r[1].target, 1);

	/* names 2 and 3: a result of name 3 completes it and, past name 2's
	 * bound, judges name 2 too, with no tick */
	s.n = 0;
	r = mk(2, 0);
	CHECK_EQ(probe_gather_result(g, &r, 3000 * MS, &err), 0);
	r = mk(3, 0);
	CHECK_EQ(probe_gather_result(g, &r, 3500 * MS, &err), 0);
	CHECK_EQ(s.n, 0);
	r = mk(3, 1);
	CHECK_EQ(probe_gather_result(g, &r, 4000 * MS + 1, &err), 0);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.r[0].seq, 3);
	CHECK_EQ(s.r[1].seq, 3);
	CHECK_EQ(s.r[2].seq, 2);
	probe_gather_free(g);

	/* no bound: a held result waits whatever the time, until the flush */
	s.n = 0;
	g = gather(&c, cls, PROBE_GATHER_NO_BOUND, &s);
	if (g) {
		probe_gather_expect(g, 0);
		probe_gather_expect(g, 0);
		r = mk(0, 0);
		CHECK_EQ(probe_gather_result(g, &r, 0, &err), 0);
		probe_gather_tick(g, UINT64_MAX - 1);
		CHECK_EQ(s.n, 0);
		probe_gather_flush(g);
		CHECK_EQ(s.n, 1);
		probe_gather_free(g);
	}
	/* a bound of 0: nothing waits (every result judged as it comes) */
	s.n = 0;
	g = gather(&c, cls, 0, &s);
	if (g) {
		probe_gather_expect(g, 0);
		probe_gather_expect(g, 0);
		r = mk(0, 0);
		CHECK_EQ(probe_gather_result(g, &r, 5, &err), 0);
		probe_gather_tick(g, 6);
		CHECK_EQ(s.n, 1);
		r = mk(0, 1);
		CHECK_EQ(probe_gather_result(g, &r, 7, &err), 0);
		CHECK_EQ(s.n, 2);
		probe_gather_free(g);
	}
	classify_free(cls);
}

/* Names far more than the ring's first size, announced in blocks out of
 * order (some below the lowest held, one far ahead), each with two
 * results finishing in a scrambled order: each name handed on once, both
 * its results together, and nothing refused. */
struct count {
	unsigned n, bad;
	uint64_t last_seq;
	unsigned run;
};

static void on_count(void *ctx, struct probe_result *r)
{
	struct count *k = ctx;
	/* A name's two results come one after the other. */
	if (k->run == 1 && r->seq != k->last_seq)
		k->bad++;
	k->run = k->run == 1 ? 0 : 1;
	k->last_seq = r->seq;
	k->n++;
}

/* SEQS[0..M) announced in that order, two results each (one per target),
 * finishing every target 1 first in a scrambled order, then every target 0. */
static void run_names(const uint64_t *seqs, unsigned m)
{
	struct probe_config c;
	config(&c, 2, false);
	struct classify *cls = classify_new(NULL);
	struct count k = {0};
	struct probe_gather_opts o = {.cfg = &c, .cls = cls, .control_target = -1,
				      .wait_us = PROBE_GATHER_NO_BOUND, .judged = on_count, .ctx = &k};
	struct probe_gather *g = cls ? probe_gather_new(&o) : NULL;
	CHECK(g != NULL);
	if (!g) {
		classify_free(cls);
		return;
	}
	for (unsigned i = 0; i < m; i++) {
		probe_gather_expect(g, seqs[i]);
		probe_gather_expect(g, seqs[i]);
	}
	struct dw_error err;
	dw_error_clear(&err);
	int failed = 0;
	for (int t = 1; t >= 0; t--)
		for (unsigned i = 0; i < m; i++) {
			struct probe_result r = mk(seqs[(i * 7919u) % m], (uint16_t)t);
			failed += probe_gather_result(g, &r, 1, &err) != 0;
		}
	CHECK_EQ(failed, 0);
	CHECK_EQ(k.n, 2 * m);
	CHECK_EQ(k.bad, 0);
	/* All handed on: one more result for any of them is refused. */
	struct probe_result r = mk(seqs[0], 0);
	CHECK(probe_gather_result(g, &r, 1, &err) != 0);
	CHECK(strstr(err.text, "no such name") != NULL);
	probe_gather_free(g);
	classify_free(cls);
}

static void test_many_names(void)
{
	enum { N = 20000 };
	static uint64_t seqs[N + 1];
	/* Blocks of 1,000 announced last to first (each below the lowest
	 * held), and one name far ahead whose ring place is taken. */
	unsigned m = 0;
	for (int b = N / 1000 - 1; b >= 0; b--)
		for (unsigned i = 0; i < 1000; i++)
			seqs[m++] = (uint64_t)b * 1000 + i + 100;
	seqs[m++] = 5000000;
	run_names(seqs, m);
	/* Names far apart, a power of two between them (a resumed run that
	 * skips most of its input): all but one meet in the ring's place. */
	for (m = 0; m < 3000; m++)
		seqs[m] = (uint64_t)m * 65536 + 7;
	run_names(seqs, m);
}

int main(void)
{
	RUN(test_gather);
	RUN(test_qtypes);
	RUN(test_wait_bound);
	RUN(test_many_names);
	return harness_done();
}
