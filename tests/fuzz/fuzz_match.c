/*
 * libFuzzer: the domain matcher (src/match) against the naive reference of
 * tests/match/ref_match.h, on fuzz-chosen patterns and names.
 *
 * Input: byte 0 is the number of patterns (mod 24); the rest is split into
 * lines at '\n'. Each of the first lines is a pattern: its first byte picks
 * the query types (all, A, AAAA+TYPE300, A+AAAA), the rest is the pattern
 * text (up to a NUL). Every further line is a name: its first byte picks the
 * query type (bits 1-2) and the form (bit 0): text, split at '.' into
 * labels, or raw wire bytes; invalid names go through as they are. NUL and
 * '.' octets inside labels become '-', which keeps the reference's text and
 * the labels in step.
 *
 * Seeds (tests/fuzz/corpus/fuzz_match/seed-*) are written by hand: the GFW's
 * youtube rules, TLD rules, substrings, type selectors, invalid patterns
 * and invalid names.
 *
 * The matcher and the reference must agree on which patterns are valid and,
 * for every name, on whether something matches and on the winner (value,
 * kind, length); match_lookup_batch over the same names (up to 64) must give
 * exactly what match_lookup gave; any disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../match/ref_match.h"
#include "match/match.h"
#include "wire/name.h"

#define MAX_PATTERNS 24
#define MAX_NAMES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_match: %s: %s\n", what, detail);
	abort();
}

/* Next line of DATA[*at..SIZE): sets *LEN; NULL at the end. */
static const uint8_t *next_line(const uint8_t *data, size_t size, size_t *at, size_t *len)
{
	if (*at >= size)
		return NULL;
	const uint8_t *p = data + *at;
	const uint8_t *nl = memchr(p, '\n', size - *at);
	*len = nl ? (size_t)(nl - p) : size - *at;
	*at += *len + 1;
	return p;
}

/* Reference validity of a wire name: labels <= 63, a root within 255. */
static bool ref_wire_ok(const uint8_t *w)
{
	size_t n = 0;
	for (;;) {
		if (n >= 255 || w[n] > 63)
			return false;
		if (w[n] == 0)
			return true;
		n += 1 + (size_t)w[n];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref_rule ref[MAX_PATTERNS];
	static const uint16_t qtypes[] = {1, 28, 16, 300};
	struct match_qtypes qts[4];
	struct dw_error err;
	if (size < 1)
		return 0;
	memset(qts, 0, sizeof qts);
	qts[0].all = true;
	if (match_qtypes_parse("A", &qts[1], &err) ||
	    match_qtypes_parse("AAAA,TYPE300", &qts[2], &err) ||
	    match_qtypes_parse("A,AAAA", &qts[3], &err))
		die("qtypes", err.text);

	struct match_set *s = match_set_new();
	if (!s)
		return 0;
	size_t np = data[0] % MAX_PATTERNS, at = 1, len, nrules = 0;
	const uint8_t *line;
	for (size_t i = 0; i < np && (line = next_line(data, size, &at, &len)); i++) {
		char pat[REF_TEXT_MAX];
		const struct match_qtypes *q = len && line[0] % 4 ? &qts[line[0] % 4] : NULL;
		size_t n = len ? len - 1 : 0;
		if (n >= sizeof pat)
			n = sizeof pat - 1;
		memcpy(pat, line + (len ? 1 : 0), n);
		pat[n] = 0;
		ref_parse(pat, q, (uint32_t)i, &ref[i]);
		int rc = match_set_add(s, pat, q, (uint32_t)i, &err);
		if ((rc == 0) != ref[i].valid)
			die(rc == 0 ? "accepted, reference refuses" : err.text, pat);
		nrules++;
	}
	if (match_set_finish(s) != 0)
		die("finish", "failed");

	static uint8_t wires[MAX_NAMES][WIRE_NAME_MAX + 64];
	static const uint8_t *ptrs[MAX_NAMES];
	static uint16_t qtv[MAX_NAMES];
	static struct match_result single[MAX_NAMES], batch[MAX_NAMES];
	static bool sfound[MAX_NAMES], bfound[MAX_NAMES];
	size_t nn = 0;
	while (nn < MAX_NAMES && (line = next_line(data, size, &at, &len))) {
		uint8_t *w = wires[nn];
		memset(w, 0, sizeof wires[0]);
		uint8_t mode = len ? line[0] : 0;
		uint16_t qt = qtypes[(mode >> 1) & 3];
		const uint8_t *p = line + (len ? 1 : 0);
		size_t n = len ? len - 1 : 0;
		if (mode & 1) {
			if (n > WIRE_NAME_MAX)
				n = WIRE_NAME_MAX;
			for (size_t i = 0; i < n; i++)
				w[i] = p[i] == '.' ? '-' : p[i];
		} else {
			size_t o = 0, i = 0;
			while (i < n && o < WIRE_NAME_MAX) {
				size_t j = i;
				while (j < n && p[j] != '.')
					j++;
				size_t l = j - i;
				if (l > 63) { /* an invalid label, kept invalid */
					w[o] = 64;
					break;
				}
				if (l && o + 1 + l < sizeof w) {
					w[o++] = (uint8_t)l;
					memcpy(w + o, p + i, l);
					o += l;
				}
				i = j + 1;
			}
		}
		/* NUL and '.' octets inside labels would cut or split the
		 * reference's text: make them '-'. Bounded: w has 64 spare octets. */
		for (size_t k = 0; k < WIRE_NAME_MAX && w[k] && w[k] <= 63; k += 1 + (size_t)w[k])
			for (size_t c = 1; c <= w[k]; c++)
				if (w[k + c] == 0 || w[k + c] == '.')
					w[k + c] = '-';
		bool valid = ref_wire_ok(w);
		char text[WIRE_NAME_TEXT_MAX];
		long want = -1;
		if (valid) {
			ref_name_text(w, text);
			want = ref_lookup(ref, nrules, text, qt);
		}
		struct match_result r;
		bool got = match_lookup(s, w, qt, &r);
		if (got != (want >= 0))
			die(got ? "matched, reference does not" : "no match, reference matches",
			    valid ? text : "(invalid name)");
		if (got && (r.value != (uint32_t)want || r.kind != ref[want].kind ||
			    r.length != ref[want].len))
			die("different winner", text);
		ptrs[nn] = w;
		qtv[nn] = qt;
		sfound[nn] = got;
		single[nn] = r;
		nn++;
	}
	/* The batch must give exactly what the single lookups gave. */
	size_t hits = match_lookup_batch(s, ptrs, qtv, nn, batch, bfound), shits = 0;
	for (size_t i = 0; i < nn; i++) {
		shits += sfound[i];
		if (bfound[i] != sfound[i] ||
		    (sfound[i] && (batch[i].value != single[i].value ||
				   batch[i].kind != single[i].kind ||
				   batch[i].length != single[i].length)))
			die("batch differs from single lookups", "");
	}
	if (hits != shits)
		die("batch count differs", "");
	match_set_free(s);
	return 0;
}
