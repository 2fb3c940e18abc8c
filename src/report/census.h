/*
 * The report's census section: the last finished census of the store
 * (docs/census.md): its counts, the rules that block the most names,
 * over-blocked names, the injectors' pools, and what changed since the
 * census before it in the same store. Absent when the store has no census.
 */
#ifndef DW_REPORT_CENSUS_H
#define DW_REPORT_CENSUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/census.h"
#include "util/error.h"

#define REPORT_CENSUS_TOP 10
#define REPORT_CENSUS_OVER 20
#define REPORT_CENSUS_POOLS 8

struct report_census {
	bool present;
	struct census_store_summary sum;
	struct { char pattern[260], qtypes[32]; bool pass; uint64_t names, overblocked; } top[REPORT_CENSUS_TOP];
	unsigned ntop;
	struct { char name[256], pattern[260]; } over[REPORT_CENSUS_OVER];
	unsigned nover;
	struct { char fingerprint[256]; unsigned length, distinct, queries; bool confirmed; } pool[REPORT_CENSUS_POOLS];
	unsigned npool;
	bool has_diff;               /* sum.previous was compared with sum.run */
	uint64_t changes[CENSUS_CHANGE_COUNT];
	char examples[CENSUS_CHANGE_COUNT][3][260]; /* the first few of each kind */
};

/* Read PATH's census into RC (rc->present false if it has none). 0, or -1
 * with ERR (the census tables could not be read). */
DW_MUST_CHECK int report_census_load(struct report_census *rc, const char *path, struct dw_error *err);

/* The section (HTML-escaped), nothing if !rc->present. */
void report_census_html(FILE *out, const struct report_census *rc);

#endif
