/*
 * bench_match: the domain matcher at scale. One million rules, generated
 * deterministically, loaded (match_set_add of every pattern + match_set_finish)
 * and then looked up with a few million names, on one core.
 *
 *   bench_match [--rules N] [--names N] [--repeats R] [--tsv]
 *
 * Rules (the mix of a real block list; words are pseudo-random letters, 6 to
 * 12 long, distinct per rule):
 *   ~45%  exact names of 2-4 labels     word.com, www.word.net, a.word.com.cn
 *   ~45%  subdomains *.domain           *.word.org, *.word.co.uk
 *   ~10%  text suffixes *text           *word.com (the GFW's sloppy form)
 *   300   substrings *word*
 *   plus a few fixed rules for the spot checks (youtube, google, *.cn...)
 * About 5% of the rules are for A only, 1% for AAAA only; the rest all types.
 * TLDs are drawn from com, net, org, cn, info, io, de, ru, jp, co.uk, ...
 *
 * Names looked up (uncompressed wire form, built before timing):
 *   25% an exact rule's name, 25% a name under a *.domain rule (www., cdn.,
 *   m., api.v2.), 10% a name ending in a *text rule's text, 40% names that
 *   no rule names (random words with a digit, under the same TLDs; a few
 *   hit substrings or end in some *text).
 * Query type A for 3 names in 4, AAAA for the rest.
 *
 * Timing: CLOCK_MONOTONIC (wall) and CLOCK_THREAD_CPUTIME_ID (CPU). Load: R repeats of building the whole set from
 * the pattern strings, median. Lookup: one warm-up pass, then R passes over
 * all names, median; names/s and ns/name. A checksum of the results keeps
 * the compiler from dropping lookups.
 *
 * Correctness (exit 1 on failure): fixed rules give their expected winner;
 * 2,000 sampled exact names, subdomain names and suffix names find the rule
 * they were made from (kind and pattern text); the miss sample matches
 * nothing except by a substring or a fixed rule; invalid names never match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"
#include "util/hash.h"
#include "wire/name.h"

#define RULES_DEFAULT 1000000
#define NAMES_DEFAULT 3000000
#define REPEATS_DEFAULT 5
#define SUBSTRINGS 300
#define SAMPLE 2000

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_match: FAIL: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd64(void)
{
	/* xorshift64*: deterministic, fast, good enough for test data */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}
static uint32_t rnd(uint32_t n)
{
	return (uint32_t)((rnd64() >> 32) % n);
}


/*
 * A word for rule I: six letters that are a bijection of I (so no two rules
 * share a word, nor its first six letters), then 0-6 more from a hash:
 * 6-12 letters. SALT picks another word family for the other labels.
 */
static size_t word(uint64_t i, uint64_t salt, char *out)
{
	const uint64_t span = 308915776; /* 26^6 */
	/* 1000000007 is odd and prime, so coprime to 26^6: a bijection */
	uint64_t v = (i * 1000000007ULL + salt * 1000003) % span;
	uint64_t h = hash_fmix64(i ^ salt << 40);
	size_t n = 6 + (size_t)(h % 7);
	h /= 7;
	for (size_t k = 0; k < 6; k++, v /= 26)
		out[k] = (char)('a' + v % 26);
	for (size_t k = 6; k < n; k++, h /= 26)
		out[k] = (char)('a' + h % 26);
	out[n] = 0;
	return n;
}

static const char *const tlds[] = {"com", "com", "com", "com", "net", "net", "org", "cn",
				   "cn", "info", "io", "de", "ru", "jp", "co.uk", "com.cn",
				   "tw", "hk", "xyz", "top"};
#define NTLDS (sizeof tlds / sizeof tlds[0])
static const char *const subs[] = {"www", "cdn", "m", "api.v2", "mail", "img.static"};
#define NSUBS (sizeof subs / sizeof subs[0])

struct kindinfo {
	uint8_t kind;     /* what the generator made */
	uint32_t pattern; /* index of the pattern */
};

static double clock_s(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}
/* CPU time of this thread: what one core spent, whatever else runs on the
 * machine (the wall clock is also reported; on a busy shared VM it is the
 * CPU time that says what the code costs). */
static double cpu_now(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Patterns as one block of NUL-terminated strings. */
struct patterns {
	char *text;
	size_t *off;
	uint8_t *qsel; /* 0 all, 1 A, 2 AAAA */
	size_t n, used, cap;
};

static void pat_add(struct patterns *p, const char *s, uint8_t qsel)
{
	size_t l = strlen(s) + 1;
	if (p->used + l > p->cap)
		die("pattern buffer", "too small");
	memcpy(p->text + p->used, s, l);
	p->off[p->n] = p->used;
	p->qsel[p->n] = qsel;
	p->used += l;
	p->n++;
}

static const char *pat(const struct patterns *p, size_t i)
{
	return p->text + p->off[i];
}

static struct match_set *load(const struct patterns *p, const struct match_qtypes *qts)
{
	struct match_set *s = match_set_new();
	struct dw_error err;
	if (!s)
		die("match_set_new", "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const struct match_qtypes *q = p->qsel[i] ? &qts[p->qsel[i]] : NULL;
		if (match_set_add(s, pat(p, i), q, (uint32_t)i, &err) != 0) {
			fprintf(stderr, "pattern %s: %s\n", pat(p, i), err.text);
			die("match_set_add refused a generated pattern", pat(p, i));
		}
	}
	if (match_set_finish(s) != 0)
		die("match_set_finish", "failed");
	return s;
}

/* Names, wire form, back to back. */
struct names {
	uint8_t *wire;
	size_t *off;
	uint16_t *qtype;
	struct kindinfo *made; /* what the name was made from */
	size_t n, used, cap;
};

static void name_add(struct names *nm, const char *text, uint16_t qtype, uint8_t kind,
		     uint32_t pattern)
{
	size_t len;
	if (nm->used + WIRE_NAME_MAX > nm->cap)
		die("name buffer", "too small");
	if (wire_name_from_text(text, nm->wire + nm->used, &len) != DW_OK)
		die("bad generated name", text);
	nm->off[nm->n] = nm->used;
	nm->qtype[nm->n] = qtype;
	nm->made[nm->n].kind = kind;
	nm->made[nm->n].pattern = pattern;
	nm->used += len;
	nm->n++;
}

static void upcase_some(char *t)
{
	/* Resolvers randomise case (0x20): the matcher must not care. */
	for (; *t; t++)
		if (*t >= 'a' && *t <= 'z' && rnd(4) == 0)
			*t = (char)(*t - 32);
}

int main(int argc, char **argv)
{
	size_t nrules = RULES_DEFAULT, nnames = NAMES_DEFAULT;
	int repeats = REPEATS_DEFAULT;
	int tsv = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rules") && i + 1 < argc)
			nrules = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--names") && i + 1 < argc)
			nnames = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
			repeats = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tsv"))
			tsv = 1;
		else {
			fprintf(stderr, "usage: bench_match [--rules N] [--names N] [--repeats R] [--tsv]\n");
			return 2;
		}
	}
	if (nrules < 10000 || nrules > 20000000 || nnames < 1000 || nnames > 50000000 ||
	    repeats < 1 || repeats > 51)
		die("arguments out of range", NULL);

	/* --- patterns --------------------------------------------------------- */
	struct patterns P;
	memset(&P, 0, sizeof P);
	P.cap = nrules * 48 + 4096;
	P.text = malloc(P.cap);
	P.off = malloc((nrules + 64) * sizeof *P.off);
	P.qsel = malloc(nrules + 64);
	struct kindinfo *gen = malloc((nrules + 64) * sizeof *gen);
	if (!P.text || !P.off || !P.qsel || !gen)
		die("out of memory", NULL);

	/* Fixed rules first, so their values are known. */
	static const char *const fixed[] = {"www.example.com", "*.youtube.com", "*youtube.com",
					    "*google*", "*.gov.cn", "twitter.com"};
	enum { F_EXAMPLE, F_YT_DOT, F_YT, F_GOOGLE, F_GOVCN, F_TWITTER, NFIXED };
	for (size_t i = 0; i < NFIXED; i++)
		pat_add(&P, fixed[i], 0);
	struct match_qtypes qts[3];
	struct dw_error err;
	memset(qts, 0, sizeof qts);
	qts[0].all = true;
	if (match_qtypes_parse("A", &qts[1], &err) ||
	    match_qtypes_parse("AAAA", &qts[2], &err))
		die("match_qtypes_parse", err.text);

	size_t nsub = 0, nexact = 0, nsubdom = 0, nsuffix = 0;
	char buf[512], w1[16], w2[16], w3[16];
	for (size_t i = P.n; i < nrules; i++) {
		uint8_t kind;
		word(i, 1, w1);
		const char *tld = tlds[rnd(NTLDS)];
		uint32_t r = rnd(1000);
		if (nsub < SUBSTRINGS && i % (nrules / SUBSTRINGS) == 7) {
			kind = MATCH_SUBSTRING;
			word(i, 3, w2);
			w2[5 + rnd(4)] = 0; /* 5-8 letters: rare in random names */
			snprintf(buf, sizeof buf, "*%s*", w2);
			nsub++;
		} else if (r < 450) {
			kind = MATCH_EXACT;
			switch (rnd(3)) {
			case 0: snprintf(buf, sizeof buf, "%s.%s", w1, tld); break;
			case 1: snprintf(buf, sizeof buf, "www.%s.%s", w1, tld); break;
			default:
				word(i, 2, w2);
				snprintf(buf, sizeof buf, "%s.%s.%s", w2, w1, tld);
			}
			nexact++;
		} else if (r < 900) {
			kind = MATCH_SUBDOMAIN;
			if (rnd(4) == 0) {
				word(i, 2, w3);
				snprintf(buf, sizeof buf, "*.%s.%s.%s", w3, w1, tld);
			} else {
				snprintf(buf, sizeof buf, "*.%s.%s", w1, tld);
			}
			nsubdom++;
		} else {
			kind = MATCH_SUFFIX;
			snprintf(buf, sizeof buf, "*%s.%s", w1, tld);
			nsuffix++;
		}
		uint32_t q = rnd(100);
		pat_add(&P, buf, q < 5 ? 1 : q < 6 ? 2 : 0);
		gen[i].kind = kind;
	}

	/* --- names ------------------------------------------------------------ */
	struct names N;
	memset(&N, 0, sizeof N);
	N.cap = nnames * 40 + WIRE_NAME_MAX;
	N.wire = malloc(N.cap);
	N.off = malloc(nnames * sizeof *N.off);
	N.qtype = malloc(nnames * sizeof *N.qtype);
	N.made = malloc(nnames * sizeof *N.made);
	if (!N.wire || !N.off || !N.qtype || !N.made)
		die("out of memory", NULL);
	for (size_t i = 0; i < nnames; i++) {
		uint16_t qt = rnd(4) ? 1 : 28;
		uint32_t r = rnd(100);
		uint8_t want = 255; /* a miss, as far as the generator knows */
		uint32_t src = 0;
		if (r < 60) {
			/* a rule of the wanted kind, found by probing from a random index */
			uint8_t k = r < 25 ? MATCH_EXACT : r < 50 ? MATCH_SUBDOMAIN : MATCH_SUFFIX;
			size_t j = NFIXED + rnd((uint32_t)(nrules - NFIXED));
			for (size_t tries = 0; gen[j].kind != k && tries < 100; tries++)
				j = NFIXED + rnd((uint32_t)(nrules - NFIXED));
			if (gen[j].kind == k) {
				const char *p = pat(&P, j);
				if (k == MATCH_EXACT)
					snprintf(buf, sizeof buf, "%s", p);
				else if (k == MATCH_SUBDOMAIN)
					snprintf(buf, sizeof buf, "%s%s", subs[rnd(NSUBS)], p + 1);
				else
					snprintf(buf, sizeof buf, "%s%s%s", rnd(2) ? "www." : "",
						 rnd(2) ? "x" : "", p + 1);
				want = k;
				src = (uint32_t)j;
			}
		}
		if (want == 255) {
			/* a digit: no rule's word has one, so no rule names it */
			size_t wl = word(i, 4, w1);
			w1[wl - 2] = (char)('0' + i % 10);
			if (rnd(2))
				snprintf(buf, sizeof buf, "www.%s.%s", w1, tlds[rnd(NTLDS)]);
			else
				snprintf(buf, sizeof buf, "%s.%s", w1, tlds[rnd(NTLDS)]);
		}
		upcase_some(buf);
		name_add(&N, buf, qt, want, src);
	}

	/* --- load ------------------------------------------------------------- */
	double load_s[51], load_cpu[51];
	struct match_set *s = NULL;
	for (int k = 0; k < repeats; k++) {
		if (s)
			match_set_free(s);
		double t0 = now(), c0 = cpu_now();
		s = load(&P, qts);
		load_s[k] = now() - t0;
		load_cpu[k] = cpu_now() - c0;
	}
	double load_med = median(load_s, repeats), load_cpu_med = median(load_cpu, repeats);
	if (match_set_count(s) != nrules)
		die("match_set_count", "differs from the number of rules");

	/* --- correctness ------------------------------------------------------ */
	struct match_result res;
	struct {
		const char *name;
		uint16_t qtype;
		int value; /* -1: no match */
	} spot[] = {
		{"www.example.com", 1, F_EXAMPLE},  {"WWW.EXAMPLE.COM", 28, F_EXAMPLE},
		{"youtube.com", 1, F_YT},           {"www.youtube.com", 1, F_YT_DOT},
		{"notyoutube.com", 1, F_YT},        {"www.google.com", 1, F_GOOGLE},
		{"a.b.gov.cn", 1, F_GOVCN},         {"twitter.com", 1, F_TWITTER},
		{"youtube.com.evil.org", 1, -1},    {"gov.cn", 1, -1},
	};
	unsigned failures = 0;
	for (size_t i = 0; i < sizeof spot / sizeof spot[0]; i++) {
		uint8_t w[WIRE_NAME_MAX];
		size_t len;
		if (wire_name_from_text(spot[i].name, w, &len) != DW_OK)
			die("bad spot name", spot[i].name);
		bool got = match_lookup(s, w, spot[i].qtype, &res);
		if (got != (spot[i].value >= 0) || (got && res.value != (uint32_t)spot[i].value)) {
			fprintf(stderr, "spot check %s: got %d value %u, want %d\n", spot[i].name, got,
				got ? res.value : 0, spot[i].value);
			failures++;
		}
	}
	static const uint8_t bad1[] = {64, 'a'}, bad2[] = {3, 'c', 'o', 'm', 70};
	if (match_lookup(s, bad1, 1, &res) || match_lookup(s, bad2, 1, &res))
		failures++;
	size_t checked[4] = {0};
	for (size_t i = 0; i < N.n && i < 200000; i++) {
		uint8_t k = N.made[i].kind;
		size_t slot = k == 255 ? 3 : k == MATCH_EXACT ? 0 : k == MATCH_SUBDOMAIN ? 1 : 2;
		if (checked[slot] >= SAMPLE)
			continue;
		uint16_t qt = N.qtype[i];
		uint32_t src = N.made[i].pattern;
		bool got = match_lookup(s, N.wire + N.off[i], qt, &res);
		bool ok;
		if (k == 255) {
			/* no generated rule names it; substrings and fixed rules may */
			ok = !got || res.kind == MATCH_SUBSTRING || res.kind == MATCH_SUFFIX ||
			     res.value < NFIXED;
		} else {
			checked[slot]++;
			bool applies = P.qsel[src] == 0 || (P.qsel[src] == 1) == (qt == 1);
			if (!applies)
				continue;
			/* A text-suffix name may also end in a longer *text rule. */
			ok = got && res.kind == k &&
			     (!strcmp(pat(&P, res.value), pat(&P, src)) ||
			      (k == MATCH_SUFFIX && res.length > strlen(pat(&P, src)) - 1));
		}
		if (slot == 3)
			checked[3]++;
		if (!ok) {
			char t[WIRE_NAME_TEXT_MAX];
			wire_name_to_text(N.wire + N.off[i], t, sizeof t);
			if (failures < 10)
				fprintf(stderr, "name %s type %u: got %d (%s kind %d), made from %s\n", t,
					qt, got, got ? pat(&P, res.value) : "-", got ? (int)res.kind : -1,
					k == 255 ? "(miss)" : pat(&P, src));
			failures++;
		}
	}
	if (failures)
		die("wrong results", NULL);
	for (int i = 0; i < 4; i++)
		if (checked[i] < SAMPLE / 2)
			die("sample too small", NULL);

	/* --- lookups ---------------------------------------------------------- */
	double lk_s[51], lk_cpu[51];
	uint64_t sum = 0, hits = 0;
	for (int k = -1; k < repeats; k++) {
		uint64_t h = 0;
		double t0 = now(), c0 = cpu_now();
		for (size_t i = 0; i < N.n; i++) {
			if (match_lookup(s, N.wire + N.off[i], N.qtype[i], &res)) {
				h++;
				sum += res.value;
			}
		}
		double dt = now() - t0, dc = cpu_now() - c0;
		if (k >= 0) {
			lk_s[k] = dt;
			lk_cpu[k] = dc;
		}
		hits = h;
	}
	double lk_med = median(lk_s, repeats), lk_cpu_med = median(lk_cpu, repeats);
	double nps = (double)N.n / lk_med, nps_cpu = (double)N.n / lk_cpu_med;

	/* The same names through match_lookup_batch, CHUNK at a time (as a
	 * server hands over what one recvmmsg returned); must agree. */
	enum { CHUNK = 64 };
	const uint8_t *ptrs[CHUNK];
	struct match_result rs[CHUNK];
	bool fd[CHUNK];
	double bt_s[51], bt_cpu[51];
	uint64_t bsum = 0, bhits = 0;
	for (int k = -1; k < repeats; k++) {
		uint64_t h = 0, sm = 0;
		double t0 = now(), c0 = cpu_now();
		for (size_t i = 0; i < N.n; i += CHUNK) {
			size_t m = N.n - i < CHUNK ? N.n - i : CHUNK;
			for (size_t j = 0; j < m; j++)
				ptrs[j] = N.wire + N.off[i + j];
			h += match_lookup_batch(s, ptrs, N.qtype + i, m, rs, fd);
			for (size_t j = 0; j < m; j++)
				if (fd[j])
					sm += rs[j].value;
		}
		double dt = now() - t0, dc = cpu_now() - c0;
		if (k >= 0) {
			bt_s[k] = dt;
			bt_cpu[k] = dc;
		}
		bhits = h;
		bsum = sm;
	}
	if (bhits != hits || bsum * (uint64_t)(repeats + 1) != sum)
		die("match_lookup_batch disagrees with match_lookup", NULL);
	double bt_med = median(bt_s, repeats), bt_cpu_med = median(bt_cpu, repeats);
	double bps = (double)N.n / bt_med, bps_cpu = (double)N.n / bt_cpu_med;

	printf("# rules: %zu (%zu exact, %zu *.domain, %zu *text, %zu *substring*, %d fixed)\n",
	       nrules, nexact, nsubdom, nsuffix, nsub, (int)NFIXED);
	printf("# names: %zu, mean wire length %.1f, %.1f%% matched; checksum %llu\n", N.n,
	       (double)N.used / (double)N.n, 100.0 * (double)hits / (double)N.n,
	       (unsigned long long)sum);
	printf("# correctness: %d spot checks, %zu+%zu+%zu+%zu sampled names: all right\n",
	       (int)(sizeof spot / sizeof spot[0]), checked[0], checked[1], checked[2], checked[3]);
	printf("%-28s %12s %12s\n", "median of repeats", "wall", "cpu");
	printf("%-28s %12.3f %12.3f\n", "load (add+finish), s", load_med, load_cpu_med);
	printf("%-28s %12.0f %12.0f\n", "match_lookup, names/s", nps, nps_cpu);
	printf("%-28s %12.1f %12.1f\n", "match_lookup, ns/name", 1e9 / nps, 1e9 / nps_cpu);
	printf("%-28s %12.0f %12.0f\n", "match_lookup_batch, names/s", bps, bps_cpu);
	printf("%-28s %12.1f %12.1f\n", "match_lookup_batch, ns/name", 1e9 / bps, 1e9 / bps_cpu);
	printf("# goals (wall clock): load < 2 s: %s; >= 5,000,000 names/s: %s (one by one), "
	       "%s (batch)\n", load_med < 2.0 ? "met" : "NOT met", nps >= 5e6 ? "met" : "NOT met",
	       bps >= 5e6 ? "met" : "NOT met");
	if (tsv)
		printf("TSV\tmatch\t%zu\t%.3f\t%.3f\t%.0f\t%.0f\t%.0f\t%.0f\n", nrules, load_med,
		       load_cpu_med, nps, nps_cpu, bps, bps_cpu);

	match_set_free(s);
	free(P.text);
	free(P.off);
	free(P.qsel);
	free(gen);
	free(N.wire);
	free(N.off);
	free(N.qtype);
	free(N.made);
	return 0;
}
