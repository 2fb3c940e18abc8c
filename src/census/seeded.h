/*
 * A seeded blocklist and the names that test it: what the inference tests
 * and the census benchmark load into a wall and give to a census.
 *
 * Per group (opts.per_kind of each): an exact name; strict subdomains
 * (`*.B.net`); a text suffix (`*B.org`, with an over-blocked victim
 * `noB.org`); a substring (`*S*`); qtype-limited names (`qtype=AAAA`,
 * `qtype=A`); a subdomain rule with two `pass` exemptions under it (one
 * exact, one `*.free.B.com`); and an overlap (`*.B.com` and the exact
 * `B.com`). Every base is random letters, so no two rules meet by chance.
 *
 * Writes: RULES, a rule file of docs/rules.md (actions forge 198.51.100.0/24
 * addresses, documentation space, from one pool or alone, and 2001::/32);
 * NAMES, the victims of every rule (and the names next to them that are not
 * blocked) shuffled among opts.innocent random names; EXPECT (may be NULL),
 * the rules as a census over A and AAAA can see them, one a line:
 * "PATTERN[ qtype=T][ pass]". The victims' prefixes and the innocent names
 * come from opts.names_seed, so a second list with another names_seed has
 * the same rules behind fresh names.
 */
#ifndef DW_CENSUS_SEEDED_H
#define DW_CENSUS_SEEDED_H

#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

struct census_seeded_opts {
	uint64_t seed;          /* the rules */
	uint64_t names_seed;    /* the victims' prefixes and the innocent names */
	unsigned per_kind;      /* groups of each kind */
	unsigned innocent;      /* random names no rule blocks */
};

/* 0, or -1 with ERR (a write failed). */
DW_MUST_CHECK int census_seeded_write(const struct census_seeded_opts *o, FILE *rules, FILE *names,
				      FILE *expect, struct dw_error *err);

#endif
