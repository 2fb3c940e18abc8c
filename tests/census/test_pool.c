/* census/pool: a cyclic pool's length and order from one name's forged
 * addresses: 600 addresses from 2 x 600 queries, any phase; gaps; too few
 * queries; two runs compared. */
#include <stdlib.h>

#include "harness.h"
#include "census/pool.h"
#include "util/rand.h"

static void make_pool(uint32_t *pool, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		pool[i] = (uint32_t)splitmix64(&seed); /* distinct with near certainty */
		for (size_t j = 0; j < i; j++)
			if (pool[j] == pool[i])
				pool[i]++;
	}
}

static void test_600(void)
{
	uint32_t pool[600], seq[1200];
	make_pool(pool, 600, 1);
	for (size_t k = 0; k < 1200; k++)
		seq[k] = pool[(k + 217) % 600];
	struct census_pool p;
	struct dw_error err;
	CHECK_EQ(census_pool_recover(seq, NULL, 1200, &p, &err), 0);
	CHECK_EQ(p.length, 600);
	CHECK(p.confirmed);
	CHECK_EQ(p.distinct, 600);
	CHECK_EQ(p.norder, 600);
	/* in order: each address followed by its successor in the pool */
	size_t at = 0;
	while (at < 600 && pool[at] != p.order[0])
		at++;
	size_t inorder = 0;
	for (size_t r = 0; r < 600 && at < 600; r++)
		inorder += p.order[r] == pool[(at + r) % 600];
	CHECK_EQ(inorder, 600);
	/* another run, another phase: the same pool */
	for (size_t k = 0; k < 1200; k++)
		seq[k] = pool[(k + 5) % 600];
	struct census_pool q;
	CHECK_EQ(census_pool_recover(seq, NULL, 1200, &q, &err), 0);
	CHECK(census_pool_same(&p, &q));
	/* a changed pool: one address swapped */
	pool[10] ^= 1;
	for (size_t k = 0; k < 1200; k++)
		seq[k] = pool[k % 600];
	struct census_pool c;
	CHECK_EQ(census_pool_recover(seq, NULL, 1200, &c, &err), 0);
	CHECK(!census_pool_same(&p, &c));
	census_pool_free(&p);
	census_pool_free(&q);
	census_pool_free(&c);
}

static void test_gaps_and_short(void)
{
	uint32_t pool[7] = {70, 10, 50, 20, 60, 30, 40}, seq[21];
	bool known[21];
	for (size_t k = 0; k < 21; k++) {
		seq[k] = pool[k % 7];
		known[k] = k % 5 != 3; /* a reply lost now and then */
		if (!known[k])
			seq[k] = 0;
	}
	struct census_pool p;
	struct dw_error err;
	CHECK_EQ(census_pool_recover(seq, known, 21, &p, &err), 0);
	CHECK_EQ(p.length, 7);
	CHECK(p.confirmed);
	CHECK_EQ(p.norder, 7);
	uint32_t want[7] = {10, 50, 20, 60, 30, 40, 70};
	for (int i = 0; i < 7; i++)
		CHECK_EQ(p.order[i], want[i]);
	census_pool_free(&p);
	/* fewer queries than the pool: no period, the distinct ones as seen */
	CHECK_EQ(census_pool_recover(seq, NULL, 5, &p, &err), 0);
	CHECK_EQ(p.length, 0);
	CHECK(!p.confirmed);
	CHECK_EQ(p.distinct, 5);
	census_pool_free(&p);
	/* one address only */
	uint32_t one[4] = {9, 9, 9, 9};
	CHECK_EQ(census_pool_recover(one, NULL, 4, &p, &err), 0);
	CHECK_EQ(p.length, 1);
	CHECK(p.confirmed);
	census_pool_free(&p);
}

int main(void)
{
	RUN(test_600);
	RUN(test_gaps_and_short);
	return harness_done();
}
