/* probe/gather: a name's results held until all are in, whatever order
 * they finish in; a name of one result handed on as it is; what is left
 * when a run ends early; results nobody announced refused. */
#include <string.h>

#include "harness.h"
#include "probe/gather.h"

static struct probe_result mk(uint64_t seq, uint16_t target)
{
	struct probe_result r;
	memset(&r, 0, sizeof r);
	r.seq = seq;
	r.target = target;
	r.tag = seq * 10 + target;
	return r;
}

static void test_gather(void)
{
	struct probe_gather *g = probe_gather_new();
	CHECK(g != NULL);
	if (!g)
		return;
	struct probe_result *const *set;
	size_t n = 0;
	/* name 0: three targets; name 1: one; name 2: two, one never comes */
	CHECK_EQ(probe_gather_expect(g, 0, 2), 0);
	CHECK_EQ(probe_gather_expect(g, 0, 1), 0);
	CHECK_EQ(probe_gather_expect(g, 1, 1), 0);
	CHECK_EQ(probe_gather_expect(g, 2, 2), 0);

	struct probe_result r = mk(0, 2);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), 0);
	r = mk(1, 0);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), 1);
	CHECK_EQ(n, 1);
	CHECK(set[0] == &r); /* alone: not copied */
	r = mk(0, 0);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), 0);
	r = mk(2, 1);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), 0);
	r = mk(0, 1);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), 1);
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK_EQ(set[0]->target, 2); /* in the order they finished */
		CHECK_EQ(set[1]->target, 0);
		CHECK_EQ(set[2]->target, 1);
		CHECK_EQ(set[2]->tag, 1);
		CHECK(set[2] != &r);
	}
	/* name 0 is complete: more of it is refused, as is a name never announced */
	r = mk(0, 3);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), -1);
	r = mk(7, 0);
	CHECK_EQ(probe_gather_add(g, &r, &set, &n), -1);
	/* the run ends: name 2's one result is left */
	CHECK_EQ(probe_gather_expect(g, 9, 1), 0); /* nothing came for it */
	CHECK_EQ(probe_gather_drain(g, &set, &n), 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(set[0]->seq, 2);
	CHECK_EQ(probe_gather_drain(g, &set, &n), 0);
	probe_gather_free(g);
}

int main(void)
{
	RUN(test_gather);
	return harness_done();
}
