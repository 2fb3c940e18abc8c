/* An injector's cyclic address pool from one name's forged addresses (pool.h). */
#include "census/pool.h"

#include <stdlib.h>
#include <string.h>

/* P is a period of SEQ: every two known places P apart agree. */
static bool is_period(const uint32_t *seq, const bool *known, size_t n, size_t p)
{
	for (size_t k = 0; k + p < n; k++)
		if ((!known || (known[k] && known[k + p])) && seq[k] != seq[k + p])
			return false;
	return true;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int census_pool_recover(const uint32_t *seq, const bool *known, size_t n, struct census_pool *out,
			struct dw_error *err)
{
	memset(out, 0, sizeof *out);
	out->queries = n;
	uint32_t *sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (!sorted)
		return dw_error_set(err, DW_E_NOMEM, "out of memory for a pool of %zu", n);
	size_t m = 0;
	for (size_t k = 0; k < n; k++)
		if (!known || known[k])
			sorted[m++] = seq[k];
	out->replies = m;
	qsort(sorted, m, sizeof *sorted, cmp_u32);
	for (size_t k = 0; k < m; k++)
		out->distinct += !k || sorted[k] != sorted[k - 1];
	free(sorted);
	/* The period: the smallest P that every known pair agrees with, no
	 * shorter than the distinct addresses (a cycle holds them all). */
	size_t p = out->distinct ? out->distinct : 1;
	for (; p < n; p++)
		if (is_period(seq, known, n, p))
			break;
	out->order = malloc((n ? n : 1) * sizeof *out->order);
	if (!out->order)
		return dw_error_set(err, DW_E_NOMEM, "out of memory for a pool of %zu", n);
	if (p >= n || !m) {
		/* no repetition seen: the distinct addresses in the order seen */
		for (size_t k = 0; k < n; k++) {
			if (known && !known[k])
				continue;
			bool dup = false;
			for (size_t j = 0; j < out->norder && !dup; j++)
				dup = out->order[j] == seq[k];
			if (!dup)
				out->order[out->norder++] = seq[k];
		}
		return 0;
	}
	out->length = p;
	/* each place of the cycle: its address, and whether it was seen twice */
	bool *have = calloc(p, sizeof *have), *twice = calloc(p, sizeof *twice);
	if (!have || !twice) {
		free(have);
		free(twice);
		return dw_error_set(err, DW_E_NOMEM, "out of memory for a pool of %zu", p);
	}
	uint32_t *cyc = out->order;
	for (size_t k = 0; k < n; k++) {
		if (known && !known[k])
			continue;
		size_t r = k % p;
		if (have[r])
			twice[r] = true;
		have[r] = true;
		cyc[r] = seq[k];
	}
	bool all_twice = true, all_have = true;
	for (size_t r = 0; r < p; r++) {
		all_twice = all_twice && twice[r];
		all_have = all_have && have[r];
	}
	out->confirmed = all_twice;
	free(have);
	free(twice);
	if (!all_have) {
		out->norder = 0; /* places never seen: no order to give */
		return 0;
	}
	/* rotate: the smallest address first */
	size_t lo = 0;
	for (size_t r = 1; r < p; r++)
		if (cyc[r] < cyc[lo])
			lo = r;
	uint32_t *rot = malloc(p * sizeof *rot);
	if (!rot)
		return dw_error_set(err, DW_E_NOMEM, "out of memory for a pool of %zu", p);
	for (size_t r = 0; r < p; r++)
		rot[r] = cyc[(lo + r) % p];
	memcpy(cyc, rot, p * sizeof *rot);
	free(rot);
	out->norder = p;
	return 0;
}

void census_pool_free(struct census_pool *p)
{
	free(p->order);
	p->order = NULL;
	p->norder = 0;
}

bool census_pool_same(const struct census_pool *a, const struct census_pool *b)
{
	return a->length && a->length == b->length && a->norder == b->norder &&
	       !memcmp(a->order, b->order, a->norder * sizeof *a->order);
}
