/*
 * bench_names: how fast the names reader (src/probe/names.h) reads the
 * lists researchers have, each format from memory (fmemopen), and, for zone
 * files, ldns reading the same zone record by record (ldns_rr_new_frm_fp_l)
 * and picking the NS owners, side by side in one run.
 *
 *   bench_names [--names N] [--repeats R] [--tsv]
 *
 * Inputs (made here, N names, default 1,000,000; every name distinct, so
 * the repeat set holds all of them):
 *   plain       "nNNN.tldK\n"
 *   csv-rank    "RANK,nNNN.tldK\n" (Tranco's shape)
 *   citizenlab  a header, then "https://nNNN.tldK/path/x?y=1,NEWS,News Media,
 *               2020-01-01,citizenlab,\n"
 *   zone        N/5 owners under $ORIGIN example.: two NS records each (the
 *               second with a blank owner), an A record and a TXT (skipped)
 * Each is read whole R times (default 3); the median is reported, in names
 * per second and input MB per second of CPU time (CLOCK_THREAD_CPUTIME_ID:
 * the machine is shared, and wall time would measure the others' load). The reader must hand on exactly the
 * expected names (else exit 1). ldns's pass over the zone parses every
 * record (rdata included, which ours skips): a reference for the zone
 * format's cost, not the same work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "probe/names.h"

#define NAMES_MAX 20000000
#define REPEATS_MAX 51

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *s)
{
	size_t l = strlen(s);
	if (t->cap - t->len < l + 1) {
		t->cap = t->cap ? 2 * t->cap : 1 << 20;
		if (!(t->buf = realloc(t->buf, t->cap))) {
			fprintf(stderr, "bench_names: out of memory\n");
			exit(1);
		}
	}
	memcpy(t->buf + t->len, s, l + 1);
	t->len += l;
}

/* Read T as FORMAT (auto-detected) once: names handed on, or -1. */
static long read_once(const struct text *t, enum probe_names_format want, double *secs)
{
	FILE *f = fmemopen(t->buf, t->len, "r");
	if (!f)
		return -1;
	struct probe_names *n = malloc(sizeof *n);
	if (!n)
		exit(1);
	probe_names_init(n, f, "bench");
	uint8_t name[WIRE_NAME_MAX];
	uint64_t line;
	struct dw_error err;
	long count = 0;
	int r;
	double t0 = now();
	while ((r = probe_names_next(n, name, &line, &err)) == 1)
		count++;
	*secs = now() - t0;
	if (r < 0 || n->format != want || n->invalid)
		count = -1;
	probe_names_free(n);
	free(n);
	fclose(f);
	return count;
}

/* ldns over the zone: every record parsed, NS owners counted. */
static long ldns_once(const struct text *t, double *secs)
{
	FILE *f = fmemopen(t->buf, t->len, "r");
	if (!f)
		return -1;
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 0;
	long ns = 0, bad = 0;
	double t0 = now();
	/* Bounded: one call reads at least one line (or ends at the end). */
	for (size_t calls = 0; calls <= t->len && !feof(f); calls++) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, f, &ttl, &origin, &prev, &line);
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			if (!feof(f))
				bad++;
			continue;
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS)
			ns++;
		ldns_rr_free(rr);
	}
	*secs = now() - t0;
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(f);
	return bad ? -1 : ns;
}

int main(int argc, char **argv)
{
	long nnames = 1000000, repeats = 3;
	bool tsv = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--names") && i + 1 < argc)
			nnames = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
			repeats = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--tsv"))
			tsv = true;
		else {
			fprintf(stderr, "usage: bench_names [--names N] [--repeats R] [--tsv]\n");
			return 2;
		}
	}
	if (nnames < 5 || nnames > NAMES_MAX || repeats < 1 || repeats > REPEATS_MAX) {
		fprintf(stderr, "bench_names: --names 5..%d, --repeats 1..%d\n", NAMES_MAX, REPEATS_MAX);
		return 2;
	}
	static const char *const tlds[] = {"com", "net", "org", "cn", "de", "ru", "io", "info"};
	struct text in[4] = {{0}};
	char b[256];
	put(&in[2], "url,category_code,category_description,date_added,source,notes\n");
	put(&in[3], "$ORIGIN example.\n$TTL 3600\n");
	for (long i = 0; i < nnames; i++) {
		const char *tld = tlds[i % 8];
		snprintf(b, sizeof b, "n%ld.%s\n", i, tld);
		put(&in[0], b);
		snprintf(b, sizeof b, "%ld,n%ld.%s\n", i + 1, i, tld);
		put(&in[1], b);
		snprintf(b, sizeof b, "https://n%ld.%s/path/x?y=1,NEWS,News Media,2020-01-01,citizenlab,\n", i, tld);
		put(&in[2], b);
	}
	long owners = nnames / 5;
	for (long i = 0; i < owners; i++) {
		snprintf(b, sizeof b,
			 "z%ld IN NS ns1.z%ld\n   IN NS ns2.example.net.\nz%ld 300 IN A 192.0.2.1\n"
			 "z%ld IN TXT \"v=spf1 -all ; (not a comment)\"\n", i, i, i, i);
		put(&in[3], b);
	}
	static const enum probe_names_format fmt[4] = {PROBE_NAMES_PLAIN, PROBE_NAMES_CSV_RANK,
						       PROBE_NAMES_CITIZENLAB, PROBE_NAMES_ZONE};
	long want[4] = {nnames, nnames, nnames, owners};
	double *t = calloc((size_t)repeats, sizeof *t);
	if (!t)
		return 1;
	if (tsv)
		printf("reader\tformat\tnames\tbytes\tmedian_s\tnames_per_s\tMB_per_s\n");
	for (int k = 0; k < 5; k++) {
		const struct text *x = &in[k < 4 ? k : 3];
		long got = 0;
		for (long r = 0; r < repeats; r++) {
			got = k < 4 ? read_once(x, fmt[k], &t[r]) : ldns_once(x, &t[r]);
			if (got != (k < 4 ? want[k] : 2 * owners)) {
				fprintf(stderr, "bench_names: %s %s: %ld names, want %ld\n",
					k < 4 ? "dnswatch" : "ldns", probe_names_format_name(fmt[k < 4 ? k : 3]),
					got, k < 4 ? want[k] : 2 * owners);
				return 1;
			}
		}
		qsort(t, (size_t)repeats, sizeof *t, cmp_double);
		double med = t[repeats / 2];
		const char *who = k < 4 ? "dnswatch" : "ldns";
		const char *what = probe_names_format_name(fmt[k < 4 ? k : 3]);
		if (tsv)
			printf("%s\t%s\t%ld\t%zu\t%.3f\t%.0f\t%.1f\n", who, what, got, x->len, med,
			       (double)got / med, (double)x->len / med / 1e6);
		else
			printf("%-9s %-11s %9ld %s in %7.3f s: %10.0f names/s, %6.1f MB/s (%zu bytes)\n", who,
			       what, got, k < 4 ? "names" : "NS rrs", med, (double)got / med,
			       (double)x->len / med / 1e6, x->len);
	}
	free(t);
	for (int k = 0; k < 4; k++)
		free(in[k].buf);
	return 0;
}
