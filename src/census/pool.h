/*
 * An injector's address pool, read from the outside: the addresses one
 * injector forged for one name, query after query (Wallbleed, NDSS 2025:
 * each injector walks an ordered pool, cyclically, per name). From that
 * sequence: the pool's length (the smallest period every observed pair
 * agrees with) and its cyclic order. A pool of L addresses is recovered in
 * full and in order from 2 x L queries: every place of the cycle then has
 * been seen twice, which is what `confirmed` means. Lost replies leave gaps
 * (known[k] false), which the period skips. Pure: no I/O.
 */
#ifndef DW_CENSUS_POOL_H
#define DW_CENSUS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct census_pool {
	size_t queries;       /* the sequence's length (gaps included) */
	size_t replies;       /* places with an address */
	size_t distinct;      /* distinct addresses seen */
	size_t length;        /* the period found; 0: none shorter than the sequence */
	bool confirmed;       /* every place of the cycle seen at least twice, agreeing */
	uint32_t *order;      /* LENGTH addresses (host order), the cycle from its
			       * smallest address on (so two runs compare as equal
			       * whatever their phase); the distinct ones as first
			       * seen when no period was found */
	size_t norder;
};

/* Recover the pool from SEQ[0..N) (KNOWN[k]: SEQ[k] holds a reply; NULL:
 * all do) into OUT (its order allocated: census_pool_free). 0, or -1 with
 * ERR (DW_E_NOMEM). */
DW_MUST_CHECK int census_pool_recover(const uint32_t *seq, const bool *known, size_t n,
				      struct census_pool *out, struct dw_error *err);
void census_pool_free(struct census_pool *p);

/* Two pools are the same cycle (same length, same order from their smallest
 * address on). */
bool census_pool_same(const struct census_pool *a, const struct census_pool *b);

#endif
