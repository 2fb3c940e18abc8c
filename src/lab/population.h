/*
 * The lab's domain population: zones and names under com, net, org and cn,
 * generated deterministically from a seed (same seed and counts, same bytes
 * in every file), with A records for every name, AAAA for about a third,
 * TTLs from 60 s to one day in proportions like those seen in the wild, and
 * each zone placed on one of its TLD's authoritative server addresses.
 *
 * The answer key (lab_pop_write_key) is the truth the prober and the tests
 * compare against; its format is documented in docs/lab.md:
 *   a comment line, then the header "name type addresses zone server ttl",
 *   then one TAB-separated line per (name, type): the name and zone fully
 *   qualified with the final dot, addresses comma-separated in ascending
 *   order, the server as a dotted quad, the TTL in seconds.
 */
#ifndef DW_LAB_POPULATION_H
#define DW_LAB_POPULATION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

enum lab_tld { LAB_TLD_COM, LAB_TLD_NET, LAB_TLD_ORG, LAB_TLD_CN, LAB_TLD_COUNT };

#define LAB_POP_AUTH_MAX 8     /* authoritative server addresses per TLD */
#define LAB_POP_NAME_MAX 64    /* longest generated name, with the dot */
#define LAB_POP_A_MAX 3
#define LAB_POP_AAAA_MAX 2
#define LAB_POP_NAMES_MAX 1000000 /* bound on one TLD's count */

struct lab_pop_params {
	uint64_t seed;
	unsigned count[LAB_TLD_COUNT];             /* names per TLD */
	uint32_t auth[LAB_TLD_COUNT][LAB_POP_AUTH_MAX]; /* server addresses, host order */
	unsigned nauth[LAB_TLD_COUNT];
};

struct lab_pop_zone {
	char name[LAB_POP_NAME_MAX]; /* "kamiro17.com." */
	uint8_t tld;                 /* enum lab_tld */
	uint32_t server;             /* its one authoritative address, host order */
	uint32_t first, count;       /* its names: names[first .. first+count) */
};

struct lab_pop_name {
	char name[LAB_POP_NAME_MAX]; /* "www.kamiro17.com." */
	uint32_t zone;               /* index into zones */
	uint32_t ttl;                /* of both its A and AAAA sets */
	uint8_t na, n6;
	uint32_t a[LAB_POP_A_MAX];   /* host order, ascending */
	uint8_t aaaa[LAB_POP_AAAA_MAX][16];
};

struct lab_pop {
	struct lab_pop_zone *zones;
	size_t nzones;
	struct lab_pop_name *names;
	size_t nnames;
	uint64_t seed;
};

extern const char *const lab_tld_names[LAB_TLD_COUNT]; /* "com", ... */

/* Generate into POP (allocates; free with lab_pop_free). Returns 0, or -1
 * on bad parameters (a TLD with names but no server, a count over the
 * bound) or out of memory. */
DW_MUST_CHECK int lab_pop_generate(struct lab_pop *pop, const struct lab_pop_params *p);
void lab_pop_free(struct lab_pop *pop);

/* The answer key to F. Returns 0, or -1 on a write error. */
DW_MUST_CHECK int lab_pop_write_key(const struct lab_pop *pop, FILE *f);

/* One zone's master file (RFC 1035 5) to F: SOA, NS, glue of its server,
 * then its names' records. Returns 0 or -1. */
DW_MUST_CHECK int lab_pop_write_zone(const struct lab_pop *pop, size_t zone, FILE *f);

#endif
