/* locate: judging groups of replies (mirroring or not) and the hop. */
#include "harness.h"
#include "locate/locate.h"

static void group(struct locate_report *r, unsigned first, const int *ttl_at, int n)
{
	struct locate_group *g = &r->group[r->ngroups++];
	memset(g, 0, sizeof *g);
	for (int t = 0; t <= LOCATE_TTL_MAX; t++)
		g->ttl_at[t] = -1;
	g->first_ttl = first;
	for (int k = 0; k < n; k++) {
		g->ttl_at[first + (unsigned)k] = ttl_at[k];
		g->replies++;
	}
}

static void test_fixed_ttl_places_the_hop(void)
{
	struct locate_report r = {.max_ttl = 8};
	const int fixed[] = {62, 62, 62, 62};
	group(&r, 3, fixed, 4);
	locate_judge(&r);
	CHECK(!r.group[0].mirrors);
	CHECK_EQ(r.hop_found, 3);
	CHECK(!r.untrusted);
}

static void test_mirroring_is_not_a_hop(void)
{
	struct locate_report r = {.max_ttl = 8};
	/* injector at hop 3: replies from TTL 5 on, arriving with 1, 2, 3 */
	const int mirror[] = {1, 2, 3, 4};
	group(&r, 5, mirror, 4);
	locate_judge(&r);
	CHECK(r.group[0].mirrors);
	CHECK_EQ(r.hop_found, 0);
	CHECK(r.untrusted);
}

static void test_random_ttl_is_not_mirroring(void)
{
	struct locate_report r = {.max_ttl = 8};
	const int random_ttl[] = {44, 61, 40, 57, 49};
	group(&r, 2, random_ttl, 5);
	locate_judge(&r);
	CHECK(!r.group[0].mirrors);
	CHECK_EQ(r.hop_found, 2);
}

static void test_mixed_groups(void)
{
	struct locate_report r = {.max_ttl = 8};
	const int mirror[] = {1, 2, 3}, fixed[] = {64, 64, 64, 64, 64};
	group(&r, 5, mirror, 3);
	group(&r, 3, fixed, 5);
	locate_judge(&r);
	CHECK_EQ(r.hop_found, 3);
	CHECK(r.untrusted);
	/* one reply only: too little to call it mirroring */
	struct locate_report one = {.max_ttl = 8};
	const int single[] = {7};
	group(&one, 4, single, 1);
	locate_judge(&one);
	CHECK(!one.group[0].mirrors);
	CHECK(!one.group[0].judged);
	CHECK_EQ(one.hop_found, 4);
	CHECK(one.hop_tentative);
	/* two TTLs, tracking: mirroring; not tracking: a hop */
	struct locate_report two = {.max_ttl = 8};
	const int tr[] = {1, 2}, st[] = {60, 60};
	group(&two, 5, tr, 2);
	group(&two, 3, st, 2);
	locate_judge(&two);
	CHECK(two.group[0].mirrors);
	CHECK(!two.group[1].mirrors && two.group[1].judged);
	CHECK_EQ(two.hop_found, 3);
	CHECK(!two.hop_tentative);
}

int main(void)
{
	RUN(test_fixed_ttl_places_the_hop);
	RUN(test_mirroring_is_not_a_hop);
	RUN(test_random_ttl_is_not_mirroring);
	RUN(test_mixed_groups);
	return harness_done();
}
