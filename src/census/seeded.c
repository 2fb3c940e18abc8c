/* A seeded blocklist and its names (seeded.h). */
#include "census/seeded.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/rand.h"

#define KINDS 7

/* Random letters, LEN of them. */
static void letters(uint64_t *rng, char *out, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('a' + splitmix64(rng) % 26);
	out[len] = '\0';
}

struct lines {
	char **s;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static int push(struct lines *l, const char *fmt, ...)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		char **p = realloc(l->s, cap * sizeof *p);
		if (!p)
			return -1;
		l->s = p;
		l->cap = cap;
	}
	char buf[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!(l->s[l->n] = strdup(buf)))
		return -1;
	l->n++;
	return 0;
}

int census_seeded_write(const struct census_seeded_opts *o, FILE *rules, FILE *names, FILE *expect,
			struct dw_error *err)
{
	uint64_t rr = o->seed * 2 + 1, nr = o->names_seed * 2 + 3;
	struct lines nm = {0};
	int rc = -1, bad = 0;
	fprintf(rules, "# seeded blocklist: seed %llu, %u groups of each of %d kinds\n",
		(unsigned long long)o->seed, o->per_kind, KINDS);
	fprintf(rules, "pool seeded");
	for (int i = 1; i <= 16; i++)
		fprintf(rules, " 198.51.100.%d", i);
	fputc('\n', rules);
	for (unsigned g = 0; g < o->per_kind; g++) {
		for (int kind = 0; kind < KINDS; kind++) {
			char b[16], p[16], q[16];
			letters(&rr, b, 8 + (unsigned)(splitmix64(&rr) % 4));
			letters(&nr, p, 3 + (unsigned)(splitmix64(&nr) % 5));
			letters(&nr, q, 2 + (unsigned)(splitmix64(&nr) % 4));
			const char *act = splitmix64(&rr) % 2 ? "a=@seeded aaaa=2001::/32" : "a=198.51.100.200 aaaa=2001::/32";
			switch (kind) {
			case 0: /* exact */
				fprintf(rules, "%s.%s.com %s\n", p, b, act);
				if (expect)
					fprintf(expect, "%s.%s.com\n", p, b);
				bad |= push(&nm, "%s.%s.com", p, b);
				break;
			case 1: /* strict subdomains; the base itself is not blocked */
				fprintf(rules, "*.%s.net %s\n", b, act);
				if (expect)
					fprintf(expect, "*.%s.net\n", b);
				bad |= push(&nm, "%s.%s.net", p, b) | push(&nm, "%s.x.%s.net", q, b) |
				       push(&nm, "%s.net", b);
				break;
			case 2: /* a text suffix, over-blocking */
				fprintf(rules, "*%s.org %s\n", b, act);
				if (expect)
					fprintf(expect, "*%s.org\n", b);
				bad |= push(&nm, "%s.org", b) | push(&nm, "%s.%s.org", p, b) |
				       push(&nm, "%s%s.org", q, b);
				break;
			case 3: /* a substring */
				fprintf(rules, "*%s* %s\n", b, act);
				if (expect)
					fprintf(expect, "*%s*\n", b);
				bad |= push(&nm, "%s%s.com", p, b) | push(&nm, "www.%s.info", b);
				break;
			case 4: /* query types */
				fprintf(rules, "%s.%s.com qtype=AAAA aaaa=2001::/32\n", p, b);
				fprintf(rules, "%s.%s.net qtype=A a=198.51.100.201\n", q, b);
				if (expect)
					fprintf(expect, "%s.%s.com qtype=AAAA\n%s.%s.net qtype=A\n", p, b, q, b);
				bad |= push(&nm, "%s.%s.com", p, b) | push(&nm, "%s.%s.net", q, b);
				break;
			case 5: /* exemptions under a subdomain rule */
				fprintf(rules, "*.%s.com %s\n*.free.%s.com pass\nok.%s.com pass\n", b, act, b, b);
				if (expect)
					fprintf(expect, "*.%s.com\n*.free.%s.com pass\nok.%s.com pass\n", b, b, b);
				bad |= push(&nm, "%s.%s.com", p, b) | push(&nm, "%s.free.%s.com", q, b) |
				       push(&nm, "ok.%s.com", b);
				break;
			case 6: /* overlap: the exact base and its subdomains */
				fprintf(rules, "*.%s.org %s\n%s.org nxdomain\n", b, act, b);
				if (expect)
					fprintf(expect, "*.%s.org\n%s.org\n", b, b);
				bad |= push(&nm, "%s.%s.org", p, b) | push(&nm, "%s.org", b);
				break;
			}
		}
	}
	static const char *const tld[] = {"com", "net", "org", "info"};
	for (unsigned i = 0; i < o->innocent && !bad; i++) {
		char a[16], c[16];
		letters(&nr, a, 6 + (unsigned)(splitmix64(&nr) % 6));
		if (splitmix64(&nr) % 3 == 0) {
			letters(&nr, c, 3);
			char two[40];
			snprintf(two, sizeof two, "%s.%s", c, a);
			bad |= push(&nm, "%s.%s", two, tld[splitmix64(&nr) % 4]);
		} else {
			bad |= push(&nm, "%s.%s", a, tld[splitmix64(&nr) % 4]);
		}
	}
	if (bad) {
		dw_error_set(err, DW_E_NOMEM, "out of memory for the seeded names");
		goto out;
	}
	/* shuffled, so that no rule's victims come together */
	for (size_t i = nm.n; i > 1; i--) {
		size_t j = (size_t)(splitmix64(&nr) % i);
		char *t = nm.s[i - 1];
		nm.s[i - 1] = nm.s[j];
		nm.s[j] = t;
	}
	for (size_t i = 0; i < nm.n; i++)
		fprintf(names, "%s\n", nm.s[i]);
	if (ferror(rules) || ferror(names) || (expect && ferror(expect))) {
		dw_error_set(err, DW_E_IO, "writing the seeded rules or names: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nm.n; i++)
		free(nm.s[i]);
	free(nm.s);
	return rc;
}
