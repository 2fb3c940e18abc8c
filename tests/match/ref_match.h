/*
 * A naive reference matcher for the differential tests (tests/match/
 * test_match.c and tests/fuzz/fuzz_match.c): the rules of match.h written as
 * plain string logic on the presentation form, with no hashing, no wire
 * tricks and no precomputation, so that it is obviously right and shares no
 * code with src/match.
 *
 * A name is compared as its text: labels lowercased (ASCII only) and joined
 * by '.', no leading or trailing dot (the root is ""). Callers keep '.' out
 * of label bytes, where text and labels would disagree.
 */
#ifndef DW_TESTS_REF_MATCH_H
#define DW_TESTS_REF_MATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "match/match.h"

#define REF_TEXT_MAX 1100

struct ref_rule {
	bool valid;
	enum match_kind kind;
	char body[REF_TEXT_MAX]; /* lowercased pattern text without '*'s */
	size_t len;              /* strlen(body) */
	struct match_qtypes qt;
	uint32_t value;
};

static inline char ref_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Labels of TEXT[0..N) split on '.': all non-empty, each <= 63. Sets the
 * wire length (labels + their length octets + root). */
static inline bool ref_labels_ok(const char *t, size_t n, size_t *wire)
{
	size_t w = 1, run = 0;
	if (n == 0) {
		*wire = 1;
		return true;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i == n || t[i] == '.') {
			if (run == 0 || run > 63)
				return false;
			w += run + 1;
			run = 0;
		} else {
			run++;
		}
	}
	*wire = w;
	return true;
}

/* Parse PATTERN the way match.h describes; R->valid says if it is one. */
static inline void ref_parse(const char *pattern, const struct match_qtypes *qt, uint32_t value,
			     struct ref_rule *r)
{
	memset(r, 0, sizeof *r);
	r->value = value;
	if (qt)
		r->qt = *qt;
	else
		r->qt.all = true;
	size_t n = strlen(pattern);
	if (n == 0 || n >= REF_TEXT_MAX)
		return;
	if (pattern[n - 1] == '.')
		n--;
	if (n == 0)
		return;
	char p[REF_TEXT_MAX];
	for (size_t i = 0; i < n; i++)
		p[i] = ref_lower(pattern[i]);
	p[n] = 0;
	/* Characters: printable ASCII other than '\\', or bytes >= 0x80. */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= 0x20 || c == 0x7f || c == '\\')
			return;
	}
	if (n == 1 && p[0] == '*') {
		r->kind = MATCH_ALL;
		r->valid = true;
		return;
	}
	size_t wire;
	if (n >= 2 && p[0] == '*' && p[n - 1] == '*') {
		r->kind = MATCH_SUBSTRING;
		memcpy(r->body, p + 1, n - 2);
		r->len = n - 2;
		if (r->len == 0 || r->len > 255 || strchr(r->body, '*') || strstr(r->body, ".."))
			return;
	} else if (p[0] == '*' && p[1] == '.') {
		r->kind = MATCH_SUBDOMAIN;
		memcpy(r->body, p + 1, n - 1); /* ".example.com" */
		r->len = n - 1;
		if (strchr(r->body, '*') || !ref_labels_ok(r->body + 1, r->len - 1, &wire) ||
		    r->len == 1 || wire + 2 > 255)
			return;
	} else if (p[0] == '*') {
		r->kind = MATCH_SUFFIX;
		memcpy(r->body, p + 1, n - 1);
		r->len = n - 1;
		if (strchr(r->body, '*'))
			return;
		const char *dot = strchr(r->body, '.');
		size_t plen = dot ? (size_t)(dot - r->body) : r->len;
		if (plen > 63)
			return;
		if (dot && !ref_labels_ok(dot + 1, r->len - plen - 1, &wire))
			return;
		if (dot && r->len == plen + 1)
			return;
		if (!dot)
			wire = 1;
		if (1 + plen + wire > 255)
			return;
	} else {
		r->kind = MATCH_EXACT;
		memcpy(r->body, p, n);
		r->len = n;
		if (strchr(r->body, '*') || !ref_labels_ok(r->body, n, &wire) || wire > 255)
			return;
	}
	r->valid = true;
}

static inline bool ref_ends_with(const char *s, size_t n, const char *t, size_t m)
{
	return m <= n && memcmp(s + n - m, t, m) == 0;
}

/* Does rule R match the name TEXT (see above)? */
static inline bool ref_rule_matches(const struct ref_rule *r, const char *text)
{
	size_t n = strlen(text);
	switch (r->kind) {
	case MATCH_EXACT:
		return n == r->len && memcmp(text, r->body, n) == 0;
	case MATCH_SUBDOMAIN: /* body is ".example.com": a whole label must precede */
		return n > r->len && ref_ends_with(text, n, r->body, r->len);
	case MATCH_SUFFIX:
		return ref_ends_with(text, n, r->body, r->len);
	case MATCH_SUBSTRING:
		return strstr(text, r->body) != NULL;
	case MATCH_ALL:
		return true;
	}
	return false;
}

static inline bool ref_qt_has(const struct match_qtypes *q, uint16_t t)
{
	if (q->all)
		return true;
	if (t < 256)
		return (q->bits[t / 64] >> (t % 64)) & 1;
	for (unsigned i = 0; i < q->nmore && i < 4; i++)
		if (q->more[i] == t)
			return true;
	return false;
}

/*
 * The winner among RULES[0..N) (valid ones, in the order added) for TEXT and
 * QTYPE: longest text, then kind order, then the earliest. -1 if none.
 */
static inline long ref_lookup(const struct ref_rule *rules, size_t n, const char *text,
			      uint16_t qtype)
{
	long best = -1;
	for (size_t i = 0; i < n; i++) {
		const struct ref_rule *r = &rules[i];
		if (!r->valid || !ref_qt_has(&r->qt, qtype) || !ref_rule_matches(r, text))
			continue;
		if (best < 0) {
			best = (long)i;
			continue;
		}
		const struct ref_rule *b = &rules[best];
		if (r->len > b->len || (r->len == b->len && r->kind < b->kind))
			best = (long)i;
	}
	return best;
}

/* Text of the wire name W (valid, no '.' in labels), lowercased. */
static inline void ref_name_text(const uint8_t *w, char *text)
{
	size_t o = 0;
	for (size_t p = 0; w[p]; p += 1 + w[p]) {
		if (p)
			text[o++] = '.';
		for (size_t k = 1; k <= w[p]; k++)
			text[o++] = ref_lower((char)w[p + k]);
	}
	text[o] = 0;
}

#endif
