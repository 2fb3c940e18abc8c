/*
 * One line of `dnswatch locate --json` (src/locate/locate.c writes it) read
 * into report's own structure, so the page is drawn from C values and never
 * looks at JSON. A member that is absent, of another type or out of range
 * takes the default given below; an object without "hops" is not locate's.
 */
#ifndef DW_REPORT_LOCATE_JSON_H
#define DW_REPORT_LOCATE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define REPORT_LOCATE_DEPTH 32 /* arrays and objects nested at most this deep */

struct report_hop {
	int ttl;                 /* the probe's TTL, 0..255; 0 if absent */
	char *router;            /* who sent time exceeded; NULL: nobody ("*") */
	bool target_reached;
	double replies;          /* DNS replies at this TTL; 0 if absent */
};

struct report_injector {
	unsigned flags;          /* DNS flags, 0..0xffff; 0 if absent */
	bool df, ipid_zero, mirrors_ttl;
	char *answer;            /* NULL if absent */
	double replies, first_ttl;
};

struct report_locate {
	char source[256];        /* "loc.json:2", set by the caller after parsing */
	char *name, *target;     /* NULL if absent */
	int hop;                 /* the injector's hop, 1..255, or -1: not placed */
	bool hop_tentative, untrusted_mirroring;
	struct report_hop *hops; /* every item of "hops", in order */
	size_t nhops;
	struct report_injector *injectors;
	size_t ninjectors;
};

/*
 * Parse TEXT[0..LEN) (at most DW_JSON_TEXT_MAX bytes) into *LOC (all of it
 * set; source empty). Returns 0, or -1 with ERR "not JSON: REASON at
 * offset N" or "not a `dnswatch locate --json` object" (DW_E_SYNTAX, or
 * DW_E_TOO_LARGE, DW_E_NOMEM), and nothing in *LOC to free.
 */
DW_MUST_CHECK int report_locate_parse(const char *text, size_t len, struct report_locate *loc,
				      struct dw_error *err);

/* Free what report_locate_parse allocated in LOC (not LOC itself); LOC is left empty. */
void report_locate_free(struct report_locate *loc);

#endif
