/* Tests of the domain matcher (src/match/match.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "match/match.h"
#include "match/ref_match.h"
#include "wire/name.h"

#define T_A 1
#define T_TXT 16
#define T_AAAA 28

/* Wire form of TEXT (presentation form); aborts the test run if bad. */
static const uint8_t *W(const char *text)
{
	static uint8_t ring[8][WIRE_NAME_MAX + 1];
	static unsigned next;
	uint8_t *out = ring[next++ % 8];
	size_t n;
	memset(out, 0, WIRE_NAME_MAX + 1);
	if (wire_name_from_text(text, out, &n) != DW_OK) {
		printf("# bad test name %s\n", text);
		abort();
	}
	return out;
}

static struct match_set *set_of(const char *const *patterns, size_t n)
{
	struct match_set *s = match_set_new();
	struct dw_error err;
	for (size_t i = 0; i < n; i++)
		if (match_set_add(s, patterns[i], NULL, (uint32_t)(100 + i), &err) != 0)
			FAIL("unexpected reject of %s: %s", patterns[i], err.text);
	CHECK_EQ(match_set_finish(s), 0);
	return s;
}

/* Value of the winner for TEXT, or -1 if nothing matches. */
static long val(const struct match_set *s, const char *text, uint16_t qtype)
{
	struct match_result r;
	if (!match_lookup(s, W(text), qtype, &r))
		return -1;
	return r.value;
}

static void test_exact(void)
{
	static const char *const p[] = {"example.com", "a.b.c.d."};
	struct match_set *s = set_of(p, 2);
	CHECK_EQ(match_set_count(s), 2);
	struct match_result r;
	CHECK(match_lookup(s, W("example.com"), T_A, &r));
	CHECK_EQ(r.value, 100);
	CHECK_EQ(r.kind, MATCH_EXACT);
	CHECK_EQ(r.length, 11);
	CHECK_EQ(val(s, "a.b.c.d", T_A), 101);
	CHECK_EQ(val(s, "www.example.com", T_A), -1);
	CHECK_EQ(val(s, "com", T_A), -1);
	CHECK_EQ(val(s, "example.co", T_A), -1);
	CHECK_EQ(val(s, "xexample.com", T_A), -1);
	CHECK_EQ(val(s, "b.c.d", T_A), -1);
	CHECK_EQ(val(s, ".", T_A), -1);
	match_set_free(s);
}

static void test_subdomain(void)
{
	static const char *const p[] = {"*.example.com"};
	struct match_set *s = set_of(p, 1);
	struct match_result r;
	CHECK(match_lookup(s, W("www.example.com"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUBDOMAIN);
	CHECK_EQ(r.length, 12); /* ".example.com" */
	CHECK_EQ(val(s, "a.b.c.example.com", T_A), 100);
	CHECK_EQ(val(s, "example.com", T_A), -1);
	CHECK_EQ(val(s, "wwwexample.com", T_A), -1);
	CHECK_EQ(val(s, "www.example.com.cn", T_A), -1);
	CHECK_EQ(val(s, "www.example.org", T_A), -1);
	match_set_free(s);
}

static void test_suffix(void)
{
	static const char *const p[] = {"*ample.com", "*org"};
	struct match_set *s = set_of(p, 2);
	struct match_result r;
	CHECK(match_lookup(s, W("example.com"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUFFIX);
	CHECK_EQ(r.length, 9);
	CHECK_EQ(r.value, 100);
	CHECK_EQ(val(s, "ample.com", T_A), 100);
	CHECK_EQ(val(s, "x.y.sample.com", T_A), 100);
	CHECK_EQ(val(s, "mple.com", T_A), -1);
	CHECK_EQ(val(s, "ample.com.net", T_A), -1);
	CHECK_EQ(val(s, "ample.xcom", T_A), -1);
	/* A tail of root: the last label ends in "org". */
	CHECK_EQ(val(s, "org", T_A), 101);
	CHECK_EQ(val(s, "a.b.xorg", T_A), 101);
	CHECK_EQ(val(s, "org.net", T_A), -1);
	CHECK_EQ(val(s, "or", T_A), -1);
	match_set_free(s);
}

static void test_substring_and_all(void)
{
	static const char *const p[] = {"*google*", "*e.c*"};
	struct match_set *s = set_of(p, 2);
	struct match_result r;
	CHECK(match_lookup(s, W("www.google.com"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUBSTRING);
	CHECK_EQ(r.length, 6);
	CHECK_EQ(r.value, 100);
	CHECK_EQ(val(s, "googleapis.com", T_A), 100);
	CHECK_EQ(val(s, "xgoogle", T_A), 100);
	CHECK_EQ(val(s, "goo.gle", T_A), -1);
	/* The separator counts as '.': "e.c" spans two labels. */
	CHECK_EQ(val(s, "one.cn", T_A), 101);
	CHECK_EQ(val(s, "onec.n", T_A), -1);
	match_set_free(s);

	static const char *const q[] = {"*", "*.com"};
	s = set_of(q, 2);
	CHECK(match_lookup(s, W("anything.net"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_ALL);
	CHECK_EQ(r.length, 0);
	CHECK_EQ(r.value, 100);
	CHECK_EQ(val(s, ".", T_A), 100);
	CHECK_EQ(val(s, "x.com", T_A), 101);
	match_set_free(s);

	/* Leading or trailing dots of a substring need a label boundary. */
	static const char *const d[] = {"*.goo*", "*gle.*"};
	s = set_of(d, 2);
	CHECK_EQ(val(s, "goo.com", T_A), -1);
	CHECK_EQ(val(s, "www.goo", T_A), 100);
	CHECK_EQ(val(s, "google", T_A), -1);
	CHECK_EQ(val(s, "google.com", T_A), 101);
	match_set_free(s);
}

/* The GFW's two youtube rules: label boundary or not. */
static void test_youtube(void)
{
	static const char *const dot[] = {"*.youtube.com"};
	static const char *const nodot[] = {"*youtube.com"};
	struct match_set *a = set_of(dot, 1), *b = set_of(nodot, 1);
	CHECK_EQ(val(a, "youtube.com", T_A), -1);
	CHECK_EQ(val(a, "www.youtube.com", T_A), 100);
	CHECK_EQ(val(a, "notyoutube.com", T_A), -1);
	CHECK_EQ(val(a, "youtube.com.evil.org", T_A), -1);
	CHECK_EQ(val(b, "youtube.com", T_A), 100);
	CHECK_EQ(val(b, "www.youtube.com", T_A), 100);
	CHECK_EQ(val(b, "notyoutube.com", T_A), 100); /* the over-blocking */
	CHECK_EQ(val(b, "youtube.com.evil.org", T_A), -1);
	CHECK_EQ(val(b, "outube.com", T_A), -1);
	match_set_free(a);
	match_set_free(b);

	/* Both in one set: the longer text wins where both apply. */
	static const char *const both[] = {"*youtube.com", "*.youtube.com"};
	struct match_set *s = set_of(both, 2);
	struct match_result r;
	CHECK(match_lookup(s, W("www.youtube.com"), T_A, &r));
	CHECK_EQ(r.value, 101);
	CHECK_EQ(r.kind, MATCH_SUBDOMAIN);
	CHECK(match_lookup(s, W("youtube.com"), T_A, &r));
	CHECK_EQ(r.value, 100);
	CHECK_EQ(r.kind, MATCH_SUFFIX);
	CHECK_EQ(val(s, "notyoutube.com", T_A), 100);
	CHECK_EQ(val(s, "youtube.com.evil.org", T_A), -1);
	match_set_free(s);
}

static void test_tld(void)
{
	static const char *const p[] = {"*.com", "*.cn", "net"};
	struct match_set *s = set_of(p, 3);
	CHECK_EQ(val(s, "a.com", T_A), 100);
	CHECK_EQ(val(s, "x.y.z.com", T_A), 100);
	CHECK_EQ(val(s, "com", T_A), -1);
	CHECK_EQ(val(s, "a.com.cn", T_A), 101);
	CHECK_EQ(val(s, "a.cn.com", T_A), 100);
	CHECK_EQ(val(s, "a.org", T_A), -1);
	CHECK_EQ(val(s, "acom", T_A), -1);
	CHECK_EQ(val(s, "net", T_A), 102);
	CHECK_EQ(val(s, "a.net", T_A), -1);
	match_set_free(s);
}

static void test_case(void)
{
	static const char *const p[] = {"WWW.Example.COM", "*.YouTube.com", "*GooG*", "*Tube.ORG"};
	struct match_set *s = set_of(p, 4);
	CHECK_EQ(val(s, "www.example.com", T_A), 100);
	CHECK_EQ(val(s, "wWw.ExAmPlE.cOm", T_A), 100);
	CHECK_EQ(val(s, "M.YOUTUBE.COM", T_A), 101);
	CHECK_EQ(val(s, "xGOOGLEx", T_A), 102);
	CHECK_EQ(val(s, "YOUTUBE.org", T_A), 103);
	/* Only ASCII letters fold: 0xC9 is not 0xE9. */
	match_set_free(s);
	struct match_set *t = match_set_new();
	struct dw_error err;
	CHECK_EQ(match_set_add(t, "\xe9t\xe9.fr", NULL, 7, &err), 0);
	CHECK_EQ(match_set_finish(t), 0);
	static const uint8_t up[] = {3, 0xC9, 'T', 0xC9, 2, 'f', 'r', 0};
	static const uint8_t lo[] = {3, 0xE9, 'T', 0xE9, 2, 'F', 'r', 0};
	CHECK(!match_lookup(t, up, T_A, NULL));
	CHECK(match_lookup(t, lo, T_A, NULL));
	match_set_free(t);
}

static void test_precedence(void)
{
	struct match_result r;
	/* Longer text wins whatever the kind or the order. */
	static const char *const a[] = {"*", "*.com", "*le.com", "*.example.com", "www.example.com",
					"*goo*"};
	struct match_set *s = set_of(a, 6);
	CHECK_EQ(val(s, "www.example.com", T_A), 104);
	CHECK_EQ(val(s, "ftp.example.com", T_A), 103);
	CHECK_EQ(val(s, "google.com", T_A), 102);  /* *le.com 6 beats *.com 4, *goo* 3 */
	CHECK_EQ(val(s, "goo.net", T_A), 105);
	CHECK_EQ(val(s, "x.com", T_A), 101);
	CHECK_EQ(val(s, "x.net", T_A), 100);
	match_set_free(s);

	/* Ties on length: exact > subdomain > suffix > substring. */
	static const char *const b[] = {"*ab.c*", "*ab.c", "ab.c"};
	s = set_of(b, 3);
	CHECK(match_lookup(s, W("ab.c"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_EXACT);
	CHECK_EQ(r.value, 102);
	CHECK(match_lookup(s, W("xab.c"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUFFIX);
	CHECK(match_lookup(s, W("xab.cd"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUBSTRING);
	match_set_free(s);
	static const char *const c[] = {"*.b.c*", "*.b.c"};
	s = set_of(c, 2);
	CHECK(match_lookup(s, W("a.b.c"), T_A, &r));
	CHECK_EQ(r.kind, MATCH_SUBDOMAIN);
	CHECK_EQ(r.length, 4);
	match_set_free(s);

	/* Same length and kind: the earlier-added pattern wins. */
	static const char *const d[] = {"*bc*", "*ab*", "x.com", "X.COM.", "*.com", "*.COM"};
	s = set_of(d, 6);
	CHECK_EQ(val(s, "abc", T_A), 100);
	CHECK_EQ(val(s, "x.com", T_A), 102);
	CHECK_EQ(val(s, "y.com", T_A), 104);
	match_set_free(s);
	static const char *const e[] = {"*ab*", "*bc*"};
	s = set_of(e, 2);
	CHECK_EQ(val(s, "abc", T_A), 100);
	match_set_free(s);
}

static void test_qtypes(void)
{
	struct match_qtypes a, aaaa, both, any;
	struct dw_error err;
	CHECK_EQ(match_qtypes_parse("A", &a, &err), 0);
	CHECK_EQ(match_qtypes_parse("aaaa", &aaaa, &err), 0);
	CHECK_EQ(match_qtypes_parse("A,AAAA,TYPE300", &both, &err), 0);
	CHECK_EQ(match_qtypes_parse("ANY", &any, &err), 0);
	CHECK(any.all);
	CHECK(match_qtypes_has(&a, T_A));
	CHECK(!match_qtypes_has(&a, T_AAAA));
	CHECK(!match_qtypes_has(&a, 255));
	CHECK(match_qtypes_has(&both, 300));
	CHECK(!match_qtypes_has(&both, 301));
	CHECK(match_qtypes_has(&both, T_AAAA));
	CHECK(match_qtypes_has(&any, 12345));
	CHECK_EQ(match_qtypes_parse("*", &any, &err), 0);
	CHECK(any.all);
	CHECK_EQ(match_qtypes_parse("A,,AAAA", &any, &err), -1);
	CHECK(strstr(err.text, "empty") != NULL);
	CHECK_EQ(match_qtypes_parse("", &any, &err), -1);
	CHECK_EQ(match_qtypes_parse("A,BOGUS", &any, &err), -1);
	CHECK(strstr(err.text, "BOGUS") != NULL);
	CHECK_EQ(err.status, DW_E_BAD_TEXT);
	CHECK_EQ(match_qtypes_parse("TYPE300,TYPE301,TYPE302,TYPE303,TYPE304", &any, &err), -1);
	CHECK_EQ(err.status, DW_E_TOO_LARGE);

	/* An A-only rule; an AAAA query falls back to the less specific rule. */
	struct match_set *s = match_set_new();
	CHECK_EQ(match_set_add(s, "*.example.com", &a, 1, &err), 0);
	CHECK_EQ(match_set_add(s, "*example.com", NULL, 2, &err), 0);
	CHECK_EQ(match_set_add(s, "www.example.com", &aaaa, 3, &err), 0);
	CHECK_EQ(match_set_add(s, "*ple.com", &both, 4, &err), 0);
	CHECK_EQ(match_set_add(s, "*e*", &aaaa, 5, &err), 0);
	CHECK_EQ(match_set_finish(s), 0);
	CHECK_EQ(val(s, "ftp.example.com", T_A), 1);
	CHECK_EQ(val(s, "ftp.example.com", T_AAAA), 2);
	CHECK_EQ(val(s, "ftp.example.com", T_TXT), 2);
	CHECK_EQ(val(s, "www.example.com", T_AAAA), 3);
	CHECK_EQ(val(s, "www.example.com", T_A), 1);
	CHECK_EQ(val(s, "www.example.com", T_TXT), 2);
	CHECK_EQ(val(s, "sample.com", T_A), 4);
	CHECK_EQ(val(s, "sample.com", 300), 4);
	CHECK_EQ(val(s, "sample.com", T_TXT), -1);
	CHECK_EQ(val(s, "e.net", T_AAAA), 5);
	CHECK_EQ(val(s, "e.net", T_A), -1);
	match_set_free(s);

	/* Same pattern twice with disjoint types: each type finds its own. */
	s = match_set_new();
	CHECK_EQ(match_set_add(s, "x.org", &a, 1, &err), 0);
	CHECK_EQ(match_set_add(s, "x.org", &aaaa, 2, &err), 0);
	CHECK_EQ(match_set_finish(s), 0);
	CHECK_EQ(val(s, "x.org", T_A), 1);
	CHECK_EQ(val(s, "x.org", T_AAAA), 2);
	CHECK_EQ(val(s, "x.org", T_TXT), -1);
	match_set_free(s);

	/* An empty set of types is refused, not silently never matched. */
	struct match_qtypes none;
	memset(&none, 0, sizeof none);
	s = match_set_new();
	CHECK_EQ(match_set_add(s, "x.org", &none, 1, &err), -1);
	CHECK(strstr(err.text, "type") != NULL);
	match_set_free(s);
}

static void test_invalid(void)
{
	static const struct {
		const char *pattern, *reason;
	} bad[] = {
		{"", "empty pattern"},
		{".", "empty pattern"},
		{"a..com", "empty label"},
		{".com", "empty label"},
		{"com..", "empty label"},
		{"*..", "empty label"},
		{"*.a..b", "empty label"},
		{"*a..b", "empty label"},
		{"*a..b*", "empty label"},
		{"a*b.com", "'*' only at the start or as *text*"},
		{"www.*.com", "'*' only at the start"},
		{"com*", "'*' only at the start"},
		{"**.com", "'*' only at the start"},
		{"*a*b*", "'*' only at the start"},
		{"**", "empty substring"},
		{"a\\.b", "escapes"},
		{"a b.com", "bad character"},
		{"a\tb", "bad character"},
		{"1234567890123456789012345678901234567890123456789012345678901234.com",
		 "label over 63 octets"},
		{"*1234567890123456789012345678901234567890123456789012345678901234.com",
		 "label over 63 octets"},
	};
	struct match_set *s = match_set_new();
	struct dw_error err;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(err.text, sizeof err.text, "unset");
		int rc = match_set_add(s, bad[i].pattern, NULL, 1, &err);
		if (rc != -1 || !strstr(err.text, bad[i].reason))
			printf("#   pattern \"%s\": rc %d, reason \"%s\", want \"%s\"\n", bad[i].pattern,
			       rc, err.text, bad[i].reason);
		CHECK_EQ(rc, -1);
		CHECK(strstr(err.text, bad[i].reason) != NULL);
	}
	CHECK_EQ(match_set_add(s, NULL, NULL, 1, &err), -1);
	CHECK_STR(err.text, "empty pattern");

	/* Name over 255 octets: 4 labels of 63 = 4 * 64 + 1 = 257. */
	char longname[300], lab[64];
	memset(lab, 'a', 63);
	lab[63] = 0;
	snprintf(longname, sizeof longname, "%s.%s.%s.%s", lab, lab, lab, lab);
	CHECK_EQ(match_set_add(s, longname, NULL, 1, &err), -1);
	CHECK(strstr(err.text, "name over 255 octets") != NULL);
	CHECK_EQ(err.status, DW_E_NAME_TOO_LONG);
	/* 3 labels of 63 and one of 61: 3*64 + 62 + 1 = 255, the maximum. */
	longname[3 * 64 + 61] = 0;
	CHECK_EQ(match_set_add(s, longname, NULL, 1, &err), 0);
	/* ... but no strict subdomain of it fits in 255 octets. */
	char sub[310];
	snprintf(sub, sizeof sub, "*.%s", longname);
	CHECK_EQ(match_set_add(s, sub, NULL, 1, &err), -1);
	CHECK(strstr(err.text, "name over 255 octets") != NULL);
	CHECK_EQ(match_set_count(s), 1);

	/* Nothing is added after finish. */
	CHECK_EQ(match_set_finish(s), 0);
	CHECK_EQ(match_set_finish(s), -1);
	CHECK_EQ(match_set_add(s, "late.com", NULL, 1, &err), -1);
	CHECK_EQ(err.status, DW_E_STATE);
	match_set_free(s);
	/* Lookups before finish find nothing. */
	s = match_set_new();
	CHECK_EQ(match_set_add(s, "*", NULL, 1, &err), 0);
	CHECK(!match_lookup(s, W("a.com"), T_A, NULL));
	const uint8_t *one[1] = {W("a.com")};
	uint16_t qone[1] = {T_A};
	struct match_result rone[1];
	bool fone[1] = {true};
	CHECK_EQ(match_lookup_batch(s, one, qone, 1, rone, fone), 0);
	CHECK(!fone[0]);
	CHECK_EQ(match_set_finish(s), 0);
	CHECK(match_lookup(s, W("a.com"), T_A, NULL));
	CHECK(strstr(err.text, "finish") != NULL);
	CHECK_EQ(match_set_count(s), 1);
	match_set_free(s);
}

/* Names with bytes that are not letters, and byte strings that are not names. */
static void test_odd_bytes(void)
{
	static const char *const p[] = {"*", "*.com", "*-1.com", "*_x*", "*\xff*"};
	struct match_set *s = set_of(p, 5);
	struct match_result r;
	static const uint8_t zero[] = {3, 'a', 0, 'b', 3, 'c', 'o', 'm', 0};
	CHECK(match_lookup(s, zero, T_A, &r));
	CHECK_EQ(r.value, 101);
	static const uint8_t dash[] = {3, 'a', '-', '1', 3, 'c', 'o', 'm', 0};
	CHECK(match_lookup(s, dash, T_A, &r));
	CHECK_EQ(r.value, 102);
	static const uint8_t under[] = {4, '_', 'X', 0xff, '.', 3, 'n', 'e', 't', 0};
	CHECK(match_lookup(s, under, T_A, &r));
	CHECK_EQ(r.value, 103);
	static const uint8_t ff[] = {2, 0x01, 0xff, 0};
	CHECK(match_lookup(s, ff, T_A, &r));
	CHECK_EQ(r.value, 104);
	/* Not wire names: label over 63, and no root within 255 octets. */
	static const uint8_t toolong[] = {64, 'a'};
	CHECK(!match_lookup(s, toolong, T_A, &r));
	uint8_t noroot[WIRE_NAME_MAX];
	memset(noroot, 1, sizeof noroot);
	CHECK(!match_lookup(s, noroot, T_A, &r));
	CHECK(!match_lookup(s, NULL, T_A, &r));
	/* The batch treats them alike, next to valid names. */
	const uint8_t *names[4] = {toolong, zero, noroot, NULL};
	uint16_t qts[4] = {T_A, T_A, T_A, T_A};
	struct match_result rs[4];
	bool found[4] = {true, false, true, true};
	CHECK_EQ(match_lookup_batch(s, names, qts, 4, rs, found), 1);
	CHECK(!found[0] && found[1] && !found[2] && !found[3]);
	CHECK_EQ(rs[1].value, 101);
	/* A name of exactly 255 octets is fine. */
	uint8_t max[WIRE_NAME_MAX];
	for (int i = 0; i < 127; i++) {
		max[2 * i] = 1;
		max[2 * i + 1] = 'a';
	}
	max[254] = 0;
	CHECK(match_lookup(s, max, T_A, &r));
	CHECK_EQ(r.value, 100);
	match_set_free(s);
}

/* Many exact and subdomain rules: every one found, nothing else. */
static void test_many(void)
{
	struct match_set *s = match_set_new();
	struct dw_error err;
	char text[64];
	const int n = 20000;
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof text, "%sn%d.d%d.com", (i & 1) ? "*." : "", i, i % 97);
		CHECK_EQ(match_set_add(s, text, NULL, (uint32_t)i, &err), 0);
	}
	CHECK_EQ(match_set_finish(s), 0);
	int bad = 0;
	for (int i = 0; i < n; i++) {
		struct match_result r;
		snprintf(text, sizeof text, "%sn%d.d%d.com", (i & 1) ? "x." : "", i, i % 97);
		if (!match_lookup(s, W(text), T_A, &r) || r.value != (uint32_t)i)
			bad++;
		snprintf(text, sizeof text, "%sn%d.d%d.com", (i & 1) ? "" : "x.", i, i % 97);
		if (match_lookup(s, W(text), T_A, &r))
			bad++;
		snprintf(text, sizeof text, "n%d.d%d.com", i, (i + 1) % 97);
		if (match_lookup(s, W(text), T_A, &r))
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* The same through the batch: every other name is a rule's. */
	enum { NB = 1000 };
	static uint8_t wb[NB][WIRE_NAME_MAX + 1];
	const uint8_t *pb[NB];
	uint16_t qb[NB];
	struct match_result rb[NB];
	bool fb[NB];
	for (int i = 0; i < NB; i++) {
		int k = i * 17;
		snprintf(text, sizeof text, "%sn%d.d%d.com", (k & 1) ? "x." : "", k, i % 2 ? (k + 1) % 97 : k % 97);
		memcpy(wb[i], W(text), WIRE_NAME_MAX + 1);
		pb[i] = wb[i];
		qb[i] = T_A;
	}
	CHECK_EQ(match_lookup_batch(s, pb, qb, NB, rb, fb), NB / 2);
	bad = 0;
	for (int i = 0; i < NB; i++)
		if (fb[i] != (i % 2 == 0) || (fb[i] && rb[i].value != (uint32_t)(i * 17)))
			bad++;
	CHECK_EQ(bad, 0);
	match_set_free(s);
}

/* --- differential test against tests/match/ref_match.h ------------------- */

static uint64_t rng_state = 0x853c49e6748fea9bULL;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* A label from a tiny alphabet, so that names and patterns collide often. */
static size_t rand_label(char *out)
{
	static const char alpha[] = "abAB-";
	size_t n = 1 + rnd(3);
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[rnd(rnd(4) ? 2 : 5)];
	return n;
}

static size_t rand_name_text(char *out, size_t maxlabels)
{
	size_t n = 0, labels = rnd((uint32_t)maxlabels + 1);
	for (size_t i = 0; i < labels; i++) {
		if (i)
			out[n++] = '.';
		n += rand_label(out + n);
	}
	out[n] = 0;
	return n;
}

/* Substrings of 4 to 6 characters in every other set: then the q-gram
 * prefilter of the automaton is in use (it needs all of 4 or more). */
static int long_substrings;

static void rand_pattern(char *out)
{
	char body[256];
	rand_name_text(body, 3);
	switch (rnd(10)) {
	case 0:
	case 1:
		strcpy(out, body[0] ? body : "a");
		break;
	case 2:
	case 3:
		snprintf(out, 300, "*.%s", body[0] ? body : "b");
		break;
	case 4:
	case 5:
	case 6:
		snprintf(out, 300, "*%s", body[0] ? body : "a");
		break;
	case 7:
	case 8: {
		/* substring: a few characters, '.' included */
		static const char alpha[] = "ab.";
		size_t n = long_substrings ? 4 + rnd(3) : 1 + rnd(4);
		out[0] = '*';
		for (size_t i = 0; i < n; i++)
			out[1 + i] = alpha[rnd(3)];
		out[1 + n] = '*';
		out[2 + n] = 0;
		break;
	}
	default:
		if (rnd(4) == 0)
			strcpy(out, "*");
		else /* something likely invalid */
			snprintf(out, 300, "%s*%s", rnd(2) ? "*" : "", body);
	}
	if (rnd(8) == 0)
		strcat(out, ".");
}

static void text_to_wire_plain(const char *text, uint8_t *w)
{
	size_t o = 0;
	const char *p = text;
	while (*p) {
		const char *d = strchr(p, '.');
		size_t n = d ? (size_t)(d - p) : strlen(p);
		w[o++] = (uint8_t)n;
		memcpy(w + o, p, n);
		o += n;
		p += n + (d ? 1 : 0);
	}
	w[o] = 0;
}

/*
 * Keys of every length around what a table cell holds (56 bytes: the key
 * and up to three rules, and a P-length mask if text-suffix rules hang
 * under the key) and beyond, where the node goes to the arena: one to four
 * rules on a key, with and without text-suffix rules under it, single and
 * batch lookups checked against the reference.
 */
static void test_cell_forms(void)
{
	static struct ref_rule ref[8];
	struct match_qtypes qa;
	struct dw_error err;
	CHECK_EQ(match_qtypes_parse("A", &qa, &err), 0);
	/* Text before the label, text after it. */
	static const char *const forms[][2] = {
		{"", ".ex.com"}, {"*.", ".ex.com"}, {"", ".ex.com"}, {"*.", ".ex.com"}};
	static const char *const names[][2] = {{"", ".ex.com"},    {"w.", ".ex.com"},
					       {"xzz.", ".ex.com"}, {"zz.", ".ex.com"},
					       {"", ".ex.co"},      {"a.b.", ".ex.com"}};
	enum { NN = sizeof names / sizeof names[0] };
	long bad = 0, hits = 0;
	for (int len = 1; len <= 63; len++) {
		char lab[64];
		for (int i = 0; i < len; i++)
			lab[i] = (char)('a' + (i * 7 + len) % 26);
		lab[len] = 0;
		for (int nr = 1; nr <= 4; nr++) {
			for (int tail = 0; tail < 2; tail++) {
				struct match_set *s = match_set_new();
				size_t n = 0;
				char pat[200];
				for (int r = 0; r < nr; r++, n++) {
					snprintf(pat, sizeof pat, "%s%s%s", forms[r][0], lab,
						 forms[r][1]);
					const struct match_qtypes *q = r < 2 ? &qa : NULL;
					ref_parse(pat, q, (uint32_t)n, &ref[n]);
					CHECK_EQ(match_set_add(s, pat, q, (uint32_t)n, &err), 0);
				}
				if (tail) {
					snprintf(pat, sizeof pat, "*zz.%s.ex.com", lab);
					ref_parse(pat, NULL, (uint32_t)n, &ref[n]);
					CHECK_EQ(match_set_add(s, pat, NULL, (uint32_t)n, &err), 0);
					n++;
				}
				CHECK_EQ(match_set_finish(s), 0);
				static uint8_t wires[2 * NN][WIRE_NAME_MAX + 1];
				const uint8_t *ptrs[2 * NN];
				uint16_t qtv[2 * NN];
				struct match_result single[2 * NN], batch[2 * NN];
				bool sfound[2 * NN], bfound[2 * NN];
				for (size_t k = 0; k < 2 * NN; k++) {
					char text[200], low[200];
					snprintf(text, sizeof text, "%s%s%s", names[k % NN][0], lab,
						 names[k % NN][1]);
					memcpy(wires[k], W(text), WIRE_NAME_MAX + 1);
					ref_name_text(wires[k], low);
					qtv[k] = k < NN ? T_A : T_AAAA;
					ptrs[k] = wires[k];
					long want = ref_lookup(ref, n, low, qtv[k]);
					sfound[k] = match_lookup(s, wires[k], qtv[k], &single[k]);
					bool ok = sfound[k] == (want >= 0);
					if (ok && sfound[k]) {
						hits++;
						ok = single[k].value == (uint32_t)want &&
						     single[k].kind == ref[want].kind &&
						     single[k].length == ref[want].len;
					}
					if (!ok && bad++ < 5)
						printf("#   %s type %u (label %d, %d rules, tail %d): got %d "
						       "value %u, want %ld\n", text, qtv[k], len, nr, tail,
						       sfound[k], sfound[k] ? single[k].value : 0, want);
				}
				match_lookup_batch(s, ptrs, qtv, 2 * NN, batch, bfound);
				for (size_t k = 0; k < 2 * NN; k++)
					if (bfound[k] != sfound[k] ||
					    (bfound[k] && batch[k].value != single[k].value))
						bad++;
				match_set_free(s);
			}
		}
	}
	printf("# cell forms: %ld hits\n", hits);
	CHECK_EQ(bad, 0);
}


static void test_differential(void)
{
	enum { SETS = 300, RULES = 60, NAMES = 300 };
	static struct ref_rule ref[RULES];
	struct match_qtypes qts[4];
	struct dw_error err;
	memset(qts, 0, sizeof qts);
	qts[0].all = true;
	CHECK_EQ(match_qtypes_parse("A", &qts[1], &err), 0);
	CHECK_EQ(match_qtypes_parse("AAAA,TYPE300", &qts[2], &err), 0);
	CHECK_EQ(match_qtypes_parse("A,AAAA", &qts[3], &err), 0);
	static const uint16_t qtypes[] = {T_A, T_AAAA, T_TXT, 300};
	long lookups = 0, hits = 0, mismatches = 0, add_mismatches = 0, batch_mismatches = 0;
	int kinds_hit[5] = {0};

	for (int set = 0; set < SETS; set++) {
		struct match_set *s = match_set_new();
		size_t nrules = 1 + rnd(RULES);
		long_substrings = set % 2;
		for (size_t i = 0; i < nrules; i++) {
			char pat[300];
			rand_pattern(pat);
			const struct match_qtypes *q = rnd(3) ? NULL : &qts[rnd(4)];
			ref_parse(pat, q, (uint32_t)i, &ref[i]);
			int rc = match_set_add(s, pat, q, (uint32_t)i, &err);
			/* Rules the matcher refuses are left out of the reference. */
			if ((rc == 0) != ref[i].valid) {
				if (add_mismatches++ < 5)
					printf("#   \"%s\": match says %d (%s), reference %d\n", pat, rc,
					       rc ? err.text : "", ref[i].valid);
				ref[i].valid = false;
			}
		}
		CHECK_EQ(match_set_finish(s), 0);
		/* The names of this set, also looked up as one batch below. */
		static uint8_t wires[NAMES][WIRE_NAME_MAX + 1];
		static const uint8_t *ptrs[NAMES];
		static uint16_t qtv[NAMES];
		static struct match_result single[NAMES], batch[NAMES];
		static bool sfound[NAMES], bfound[NAMES];
		for (int k = 0; k < NAMES; k++) {
			char text[300], low[300];
			uint8_t *w = wires[k];
			rand_name_text(text, 5);
			text_to_wire_plain(text, w);
			ref_name_text(w, low);
			uint16_t qt = qtypes[rnd(4)];
			long want = ref_lookup(ref, nrules, low, qt);
			struct match_result r;
			bool got = match_lookup(s, w, qt, &r);
			ptrs[k] = w;
			qtv[k] = qt;
			sfound[k] = got;
			single[k] = r;
			lookups++;
			bool ok = got == (want >= 0);
			if (ok && got) {
				hits++;
				kinds_hit[r.kind]++;
				ok = r.value == (uint32_t)want && r.kind == ref[want].kind &&
				     r.length == ref[want].len;
			}
			if (!ok && mismatches++ < 10) {
				printf("#   name \"%s\" type %u: got %d", text, qt, got);
				if (got)
					printf(" rule %u kind %d len %u", r.value, r.kind, r.length);
				printf(", want %ld", want);
				if (want >= 0)
					printf(" (%s kind %d len %zu)", ref[want].body, ref[want].kind,
					       ref[want].len);
				printf("\n");
			}
		}
		/* Odd batch sizes too, so the pipeline's fill and drain run. */
		size_t n = NAMES - (size_t)rnd(NAMES / 2), hits_b;
		if (set % 7 == 0)
			n = 1 + rnd(5);
		hits_b = match_lookup_batch(s, ptrs, qtv, n, batch, bfound);
		size_t hits_s = 0;
		for (size_t k = 0; k < n; k++) {
			hits_s += sfound[k];
			if (bfound[k] != sfound[k] ||
			    (sfound[k] && (batch[k].value != single[k].value ||
					   batch[k].kind != single[k].kind ||
					   batch[k].length != single[k].length)))
				batch_mismatches++;
		}
		if (hits_b != hits_s)
			batch_mismatches++;
		match_set_free(s);
	}
	printf("# differential: %ld lookups, %ld hits (exact %d, sub %d, suffix %d, substr %d, "
	       "all %d)\n", lookups, hits, kinds_hit[0], kinds_hit[1], kinds_hit[2], kinds_hit[3],
	       kinds_hit[4]);
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(add_mismatches, 0);
	CHECK_EQ(batch_mismatches, 0);
	/* The generator must exercise every kind, or the test proves little. */
	for (int k = 0; k < 5; k++)
		CHECK(kinds_hit[k] > 20);
	CHECK(hits > lookups / 4 && hits < lookups);
}

int main(void)
{
	RUN(test_exact);
	RUN(test_subdomain);
	RUN(test_suffix);
	RUN(test_substring_and_all);
	RUN(test_youtube);
	RUN(test_tld);
	RUN(test_case);
	RUN(test_precedence);
	RUN(test_qtypes);
	RUN(test_invalid);
	RUN(test_odd_bytes);
	RUN(test_many);
	RUN(test_cell_forms);
	RUN(test_differential);
	return harness_done();
}
