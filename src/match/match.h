/*
 * The domain matcher shared by the injector and the classifier: a set of
 * name patterns, each with a query-type selector and a caller's value (a
 * rule number), looked up in time linear in the name's length.
 *
 * Patterns (text, case-insensitive; a trailing dot is allowed and ignored):
 *   example.com      exact: that name only
 *   *.example.com    strict subdomains of example.com (label boundary);
 *                    *.com is a whole TLD
 *   *example.com     any name whose text ends in "example.com": example.com,
 *                    www.example.com, but also notexample.com (the GFW's
 *                    sloppy *youtube.com, which over-blocked)
 *   *google*         any name whose text contains "google" (substring;
 *                    label separators count as '.', the text has no
 *                    leading or trailing dot: "www.google.com")
 *   *                every name
 * Pattern labels are plain octets (no escapes; '*', '.', '\\', blanks and
 * control characters excluded); lengths count octets.
 * When several patterns match, the most specific wins: the longest pattern
 * text (wildcards not counted); on a tie exact beats subdomain beats
 * text-suffix beats substring, and then the earlier-added pattern wins.
 *
 * Query-type selectors: a pattern applies to the types in its set only; the
 * lookup skips patterns whose set does not hold the query's type.
 */
#ifndef DW_MATCH_MATCH_H
#define DW_MATCH_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum match_kind {
	MATCH_EXACT = 0,  /* example.com */
	MATCH_SUBDOMAIN,  /* *.example.com */
	MATCH_SUFFIX,     /* *example.com */
	MATCH_SUBSTRING,  /* *example* */
	MATCH_ALL         /* * */
};

/* A set of query types: every type, or the listed ones. */
struct match_qtypes {
	bool all;
	uint64_t bits[4];        /* types 0..255 */
	uint16_t more[4];        /* up to 4 types above 255 */
	uint8_t nmore;
};

struct match_set; /* opaque */

/* A new, empty set. Free with match_set_free. NULL if out of memory. */
DW_MUST_CHECK struct match_set *match_set_new(void);
void match_set_free(struct match_set *s);

/*
 * Add PATTERN (text as above) for the types in QT (NULL = all types) with the
 * caller's VALUE, returned by lookups. Returns 0, or -1 with a one-line
 * reason in ERR ("empty label", "label over 63 octets", "'*' only at the
 * start or as *text*", ...): status DW_E_BAD_TEXT, DW_E_LABEL_TOO_LONG or
 * DW_E_NAME_TOO_LONG for the pattern, DW_E_NOMEM, DW_E_TOO_LARGE, and
 * DW_E_STATE for adding after match_set_finish. ERR may be NULL.
 */
DW_MUST_CHECK int match_set_add(struct match_set *s, const char *pattern,
				const struct match_qtypes *qt, uint32_t value, struct dw_error *err);

/* Build the lookup structures; call once after the last add. 0 or -1 (ENOMEM). */
DW_MUST_CHECK int match_set_finish(struct match_set *s);

/* Number of patterns added. */
size_t match_set_count(const struct match_set *s);

/* Result of a lookup. */
struct match_result {
	uint32_t value;      /* the caller's value of the winning pattern */
	enum match_kind kind;
	uint16_t length;     /* pattern text length, wildcards not counted */
};

/*
 * Look up NAME (uncompressed wire form, any case) for query type QTYPE.
 * Returns true and fills *R with the winning pattern, false if none applies.
 * Thread-safe for concurrent lookups after match_set_finish.
 */
bool match_lookup(const struct match_set *s, const uint8_t *name, uint16_t qtype,
		  struct match_result *r);

/*
 * Look up N names at once: the same as N calls of match_lookup (FOUND[i] is
 * its return value, R[i] its result), but faster on large sets, because the
 * cache misses of several names overlap instead of following one another.
 * Returns the number of names found. Thread-safe like match_lookup.
 */
size_t match_lookup_batch(const struct match_set *s, const uint8_t *const *names,
			  const uint16_t *qtypes, size_t n, struct match_result *r, bool *found);

/* Helpers for selectors: "A,AAAA", "ANY", "*" (all). 0 or -1 with ERR
 * (DW_E_BAD_TEXT, or DW_E_TOO_LARGE for over 4 types above 255). */
DW_MUST_CHECK int match_qtypes_parse(const char *text, struct match_qtypes *qt,
				     struct dw_error *err);
bool match_qtypes_has(const struct match_qtypes *qt, uint16_t qtype);

#endif
