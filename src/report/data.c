/* Gathering the report's figures from a store (see data.h). */
#include "report/data.h"

#include "probe/classify.h"
#include "store/clickhouse.h"
#include "wire/name.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One judged result, as small as the figures need. */
struct rec {
	int64_t us;
	uint8_t path, tld;
	uint8_t verdict;
};

struct gather {
	struct report_data *d;
	struct store_db *db;
	struct rec *recs;
	size_t nrecs, cap;
	int32_t *ahash;          /* open addressing over d->addrs, ADDR_HASH slots, -1 empty */
	struct dw_error err;     /* the first failure */
};

#define ADDR_HASH (REPORT_ADDRS_MAX * 2)

/* "WHAT: the store's line" when DB failed, "WHAT: out of memory" when DB is
 * NULL. */
static void set_err(struct gather *g, const char *what, struct store_db *db)
{
	const struct dw_error *se = db ? store_error(db) : NULL;
	dw_error_set(&g->err, se ? (se->status ? se->status : DW_E_DB) : DW_E_NOMEM, "%s: %s", what,
		     se ? se->text : "out of memory");
}

int64_t report_bucket_size(int64_t span_us, unsigned target)
{
	static const int64_t sizes_s[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
					  3600, 7200, 10800, 21600, 43200, 86400};
	if (target == 0)
		target = 1;
	for (size_t i = 0; i < sizeof sizes_s / sizeof sizes_s[0]; i++) {
		int64_t b = sizes_s[i] * 1000000;
		if (span_us / b < (int64_t)target)
			return b;
	}
	/* Longer than 100 days: whole days, as many as it takes. */
	int64_t day = 86400 * (int64_t)1000000;
	return (span_us / target / day + 1) * day;
}

size_t report_bucket_of(const struct report_data *d, int64_t us)
{
	if (d->nbuckets == 0 || us <= d->t0_us)
		return 0;
	size_t b = (size_t)((us - d->t0_us) / d->bucket_us);
	return b < d->nbuckets ? b : d->nbuckets - 1;
}

/* Index of series NAME in S (added if new); the last slot collects the rest. */
static uint8_t series_index(struct report_series *s, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(s[i].name, name) == 0)
			return (uint8_t)i;
	if (*n == REPORT_SERIES_MAX - 1) {
		snprintf(s[*n].name, sizeof s[*n].name, "(other)");
		(*n)++;
	}
	if (*n == REPORT_SERIES_MAX)
		return REPORT_SERIES_MAX - 1;
	snprintf(s[*n].name, sizeof s[*n].name, "%s", name);
	return (uint8_t)(*n)++;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct report_addr *addr_find(struct gather *g, const char *text)
{
	struct report_data *d = g->d;
	uint32_t h = hash_str(text) % ADDR_HASH;
	for (size_t probes = 0; probes < ADDR_HASH; probes++, h = (h + 1) % ADDR_HASH) {
		int32_t i = g->ahash[h];
		if (i < 0) {
			if (d->naddrs >= REPORT_ADDRS_MAX) {
				d->addrs_cut = true;
				return NULL;
			}
			struct report_addr *a = &d->addrs[d->naddrs];
			memset(a, 0, sizeof *a);
			snprintf(a->addr, sizeof a->addr, "%s", text);
			g->ahash[h] = (int32_t)d->naddrs++;
			return a;
		}
		if (strcmp(d->addrs[i].addr, text) == 0)
			return &d->addrs[i];
	}
	return NULL;
}

/* Widen the span [*FIRST, *LAST] (0: none yet) to take in time T. */
static void span_add(int64_t *first, int64_t *last, int64_t t)
{
	if (!*first || t < *first)
		*first = t;
	if (t > *last)
		*last = t;
}

static void note_forged(struct gather *g, const struct probe_result *r, uint8_t path)
{
	if (r->forged_reply < 0 || r->forged_reply >= r->nreplies)
		return;
	const struct probe_reply *p = &r->reply[r->forged_reply];
	for (unsigned i = 0; i < p->naddrs; i++) {
		char text[INET6_ADDRSTRLEN];
		if (!inet_ntop(p->addrs[i].family, p->addrs[i].addr, text, sizeof text))
			continue;
		struct report_addr *a = addr_find(g, text);
		if (!a)
			continue;
		if (r->verdict == VERDICT_INJECTED)
			a->injected++;
		else
			a->poisoned++;
		int64_t t = (int64_t)r->sent_us;
		span_add(&a->first_us, &a->last_us, t);
		if (path < 64)
			a->path_mask |= 1ull << path;
	}
}

static bool words_has(const char *list, const char *w)
{
	size_t wl = strlen(w);
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n == wl && !strncmp(p, w, n))
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

static void range_merge(int *lo, int *hi, int a, int b);

/*
 * The stores keep a group's fingerprint key, not its IP TTL and answer TTL
 * ranges: take them from the replies of injected results that carry a
 * group's key and one of its forged addresses (any reply, from a target that
 * runs no DNS), so a real answer that happens to share the key is not
 * counted.
 */
static void note_ranges(struct gather *g, const struct probe_result *r, bool nodns)
{
	struct report_data *d = g->d;
	for (unsigned i = 0; i < r->nreplies; i++) {
		const struct probe_reply *p = &r->reply[i];
		if (!p->parsed || !p->ip_known || p->family != AF_INET)
			continue;
		struct classify_fp fp;
		char key[256];
		classify_fp_of(p, 0, &fp);
		classify_fp_format(&fp, key, sizeof key);
		for (size_t k = 0; k < d->ngroups; k++) {
			struct report_group *grp = &d->groups[k];
			if (strcmp(grp->key, key) != 0)
				continue;
			bool carries = nodns;
			for (unsigned a = 0; a < p->naddrs && !carries; a++) {
				char text[INET6_ADDRSTRLEN];
				if (inet_ntop(p->addrs[a].family, p->addrs[a].addr, text, sizeof text))
					carries = words_has(grp->addrs, text);
			}
			if (carries) {
				range_merge(&grp->ip_ttl_lo, &grp->ip_ttl_hi, p->ip_ttl, p->ip_ttl);
				range_merge(&grp->answer_ttl_lo, &grp->answer_ttl_hi, (int)p->answer_ttl,
					    (int)p->answer_ttl);
			}
		}
	}
}

static int read_run(struct gather *g, struct report_run *run)
{
	struct report_data *d = g->d;
	uint8_t *pidx = calloc(run->ntargets ? run->ntargets : 1, 1);
	if (!pidx) {
		set_err(g, "reading results", NULL);
		return -1;
	}
	for (size_t t = 0; t < run->ntargets; t++)
		pidx[t] = series_index(d->paths, &d->npaths,
				       run->targets[t].label[0] ? run->targets[t].label : "?");
	struct store_iter *it;
	struct store_filter f = STORE_FILTER_ALL(run->info.id);
	if (store_iter_open(g->db, &f, &it) != DW_OK) {
		free(pidx);
		set_err(g, "reading results", g->db);
		return -1;
	}
	struct probe_result *r = malloc(sizeof *r);
	int ret = 0;
	bool got = true;
	while (r && ret == 0) {
		if (store_iter_next(it, r, &got) != DW_OK) {
			set_err(g, "reading results", g->db);
			ret = -1;
			break;
		}
		if (!got)
			break;
		d->nresults++;
		int64_t t = (int64_t)r->sent_us;
		span_add(&run->first_us, &run->last_us, t);
		if (r->verdict == VERDICT_NONE)
			continue;
		if (g->nrecs == g->cap) {
			size_t nc = g->cap ? g->cap * 2 : 4096;
			struct rec *nr = realloc(g->recs, nc * sizeof *nr);
			if (!nr) {
				set_err(g, "reading results", NULL);
				ret = -1;
				break;
			}
			g->recs = nr;
			g->cap = nc;
		}
		char tld[256];
		wire_name_tld_text(r->qname, tld, sizeof tld);
		struct rec *rc = &g->recs[g->nrecs++];
		rc->us = t;
		rc->path = r->target < run->ntargets ? pidx[r->target]
						      : series_index(d->paths, &d->npaths, "?");
		rc->tld = series_index(d->tlds, &d->ntlds, tld);
		rc->verdict = (uint8_t)r->verdict;
		if (r->verdict == VERDICT_INJECTED || r->verdict == VERDICT_POISONED)
			note_forged(g, r, rc->path);
		if (r->verdict == VERDICT_INJECTED)
			note_ranges(g, r, r->target < run->ntargets &&
						  run->targets[r->target].kind == TARGET_NODNS);
	}
	if (!r) {
		set_err(g, "reading results", NULL);
		ret = -1;
	}
	free(r);
	store_iter_close(it);
	free(pidx);
	return ret;
}

static int collect_run(void *ctx, int64_t id)
{
	struct gather *g = ctx;
	struct report_data *d = g->d;
	struct report_run *nr = realloc(d->runs, (d->nruns + 1) * sizeof *nr);
	if (!nr) {
		set_err(g, "listing runs", NULL);
		return 1;
	}
	d->runs = nr;
	struct report_run *run = &d->runs[d->nruns++];
	memset(run, 0, sizeof *run);
	run->info.id = id;
	return 0;
}

static int load_run(struct gather *g, struct report_run *run)
{
	int64_t id = run->info.id;
	char what[64];
	snprintf(what, sizeof what, "reading run %" PRId64, id);
	if (store_run_info(g->db, id, &run->info) != DW_OK) {
		set_err(g, what, g->db);
		return -1;
	}
	size_t n;
	if (store_targets(g->db, id, NULL, 0, &n) != DW_OK) {
		set_err(g, what, g->db);
		return -1;
	}
	run->targets = calloc(n ? n : 1, sizeof *run->targets);
	if (!run->targets) {
		set_err(g, what, NULL);
		return -1;
	}
	if (store_targets(g->db, id, run->targets, n, &run->ntargets) != DW_OK) {
		set_err(g, what, g->db);
		return -1;
	}
	if (run->ntargets > n)
		run->ntargets = n;
	uint64_t *counts = calloc((run->ntargets ? run->ntargets : 1) * VERDICT_COUNT, sizeof *counts);
	if (!counts) {
		set_err(g, what, NULL);
		return -1;
	}
	if (store_verdict_counts(g->db, id, counts, run->ntargets) != DW_OK) {
		free(counts);
		set_err(g, what, g->db);
		return -1;
	}
	for (size_t t = 0; t < run->ntargets; t++)
		for (int v = 0; v < VERDICT_COUNT; v++)
			run->verdicts[v] += counts[t * VERDICT_COUNT + (size_t)v];
	free(counts);
	return read_run(g, run);
}

/* "ip_ttl=47-68" in TEXT: LO and HI, or -1 if absent. */
static void range_of(const char *text, const char *field, int *lo, int *hi)
{
	*lo = *hi = -1;
	const char *p = strstr(text, field);
	while (p && p != text && p[-1] != ' ')
		p = strstr(p + 1, field);
	if (!p)
		return;
	p += strlen(field);
	int a, b;
	if (sscanf(p, "%d-%d", &a, &b) == 2) {
		*lo = a;
		*hi = b;
	} else if (sscanf(p, "%d", &a) == 1) {
		*lo = *hi = a;
	}
}

/* The fingerprint's key: every field but the ranges and counts. */
static void fp_key(const char *fp, char *key, size_t cap)
{
	size_t k = 0;
	const char *p = fp;
	while (*p) {
		size_t n = strcspn(p, " ");
		bool skip = (n > 7 && !strncmp(p, "ip_ttl=", 7)) ||
			    (n > 11 && !strncmp(p, "answer_ttl=", 11)) ||
			    (n > 6 && !strncmp(p, "count=", 6)) || (n > 6 && !strncmp(p, "addrs=", 6));
		if (!skip && k + n + 2 < cap) {
			if (k)
				key[k++] = ' ';
			memcpy(key + k, p, n);
			k += n;
		}
		p += n;
		p += strspn(p, " ");
	}
	key[k] = 0;
}

static void words_add(char *list, size_t cap, const char *w)
{
	size_t wl = strlen(w);
	if (words_has(list, w))
		return;
	size_t l = strlen(list);
	if (l + wl + 2 > cap)
		return;
	if (l)
		list[l++] = ' ';
	memcpy(list + l, w, wl + 1);
}

static void range_merge(int *lo, int *hi, int a, int b)
{
	if (a < 0)
		return;
	if (*lo < 0 || a < *lo)
		*lo = a;
	if (*hi < 0 || b > *hi)
		*hi = b;
}

struct group_ctx {
	struct gather *g;
	int64_t run;
};

static int collect_group(void *ctx, const struct store_group *sg)
{
	struct group_ctx *gc = ctx;
	struct report_data *d = gc->g->d;
	char key[256];
	fp_key(sg->fingerprint, key, sizeof key);
	struct report_group *grp = NULL;
	for (size_t i = 0; i < d->ngroups; i++)
		if (strcmp(d->groups[i].key, key) == 0)
			grp = &d->groups[i];
	if (!grp) {
		if (d->ngroups >= REPORT_GROUPS_MAX)
			return 0;
		grp = &d->groups[d->ngroups++];
		memset(grp, 0, sizeof *grp);
		snprintf(grp->key, sizeof grp->key, "%s", key);
		grp->ip_ttl_lo = grp->ip_ttl_hi = grp->answer_ttl_lo = grp->answer_ttl_hi = -1;
	}
	grp->count += sg->count;
	int lo, hi;
	range_of(sg->fingerprint, "ip_ttl=", &lo, &hi);
	range_merge(&grp->ip_ttl_lo, &grp->ip_ttl_hi, lo, hi);
	range_of(sg->fingerprint, "answer_ttl=", &lo, &hi);
	range_merge(&grp->answer_ttl_lo, &grp->answer_ttl_hi, lo, hi);
	char w[32];
	snprintf(w, sizeof w, "%" PRId64, gc->run);
	words_add(grp->runs, sizeof grp->runs, w);
	for (size_t i = 0; i < sg->naddrs; i++) {
		char text[INET6_ADDRSTRLEN];
		if (inet_ntop(sg->addrs[i].family, sg->addrs[i].addr, text, sizeof text))
			words_add(grp->addrs, sizeof grp->addrs, text);
	}
	return 0;
}

static int collect_incident(void *ctx, const struct store_incident *inc)
{
	struct report_data *d = ((struct gather *)ctx)->d;
	struct store_incident *ni = realloc(d->incidents, (d->nincidents + 1) * sizeof *ni);
	if (!ni)
		return 1;
	d->incidents = ni;
	d->incidents[d->nincidents++] = *inc;
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct report_addr *x = a, *y = b;
	uint64_t cx = x->injected + x->poisoned, cy = y->injected + y->poisoned;
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(x->addr, y->addr);
}

static bool forged(uint8_t v)
{
	return v == VERDICT_INJECTED || v == VERDICT_POISONED;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median time between the starts of consecutive runs (0 if under 2). */
static int64_t runs_gap(const struct report_data *d)
{
	int64_t *t = calloc(d->nruns ? d->nruns : 1, sizeof *t);
	if (!t)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < d->nruns; i++)
		if (d->runs[i].first_us)
			t[n++] = d->runs[i].first_us;
	int64_t gap = 0;
	if (n >= 2) {
		qsort(t, n, sizeof *t, cmp_i64);
		for (size_t i = 0; i + 1 < n; i++)
			t[i] = t[i + 1] - t[i];
		qsort(t, n - 1, sizeof *t, cmp_i64);
		gap = t[(n - 1) / 2];
	}
	free(t);
	return gap;
}

/* The judged counts, the first and last query and the injection and
 * poisoning spans, from the records (SQLite; ClickHouse counts them in
 * the server: ch_spans). */
static void figures_spans(struct gather *g)
{
	struct report_data *d = g->d;
	d->t0_us = INT64_MAX;
	d->t1_us = 0;
	for (size_t i = 0; i < g->nrecs; i++) {
		const struct rec *r = &g->recs[i];
		if (r->us < d->t0_us)
			d->t0_us = r->us;
		if (r->us > d->t1_us)
			d->t1_us = r->us;
		d->njudged++;
		if (r->verdict == VERDICT_INJECTED) {
			d->ninjected++;
			span_add(&d->inj_first_us, &d->inj_last_us, r->us);
		} else if (r->verdict == VERDICT_POISONED) {
			d->npoisoned++;
			span_add(&d->poi_first_us, &d->poi_last_us, r->us);
		}
	}
}

/* The bucket size and the series' arrays, from t0_us and t1_us. */
static int figures_buckets(struct gather *g)
{
	struct report_data *d = g->d;
	d->bucket_us = report_bucket_size(d->t1_us - d->t0_us, REPORT_BUCKETS_TARGET);
	/* Separate probe runs are samples: a bucket narrower than the usual
	 * time between them would be mostly empty, so none is narrower. */
	int64_t gap = runs_gap(d);
	if (gap > 1) {
		int64_t b = report_bucket_size(gap - 1, 1);
		if (b > d->bucket_us)
			d->bucket_us = b;
	}
	d->first_us = d->t0_us;
	/* Align the first bucket to a multiple of its size: round times on the axis. */
	d->t0_us -= d->t0_us % d->bucket_us;
	d->nbuckets = (size_t)((d->t1_us - d->t0_us) / d->bucket_us) + 1;
	struct report_series *all[2] = {d->paths, d->tlds};
	size_t nall[2] = {d->npaths, d->ntlds};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < nall[k]; i++) {
			all[k][i].judged = calloc(d->nbuckets, sizeof(uint64_t));
			all[k][i].forged = calloc(d->nbuckets, sizeof(uint64_t));
			if (!all[k][i].judged || !all[k][i].forged) {
				set_err(g, "counting", NULL);
				return -1;
			}
		}
	return 0;
}

/* N judged results of PATH and TLD with VERDICT in bucket B. */
static void bucket_add(struct report_data *d, size_t b, uint8_t path, uint8_t tld, uint8_t verdict,
		       uint64_t n)
{
	struct report_series *s[2] = {&d->paths[path], &d->tlds[tld]};
	for (int k = 0; k < 2; k++) {
		s[k]->judged[b] += n;
		s[k]->judged_total += n;
		if (forged(verdict))
			s[k]->forged[b] += n;
		s[k]->injected_total += verdict == VERDICT_INJECTED ? n : 0;
		s[k]->poisoned_total += verdict == VERDICT_POISONED ? n : 0;
	}
}

/* The buckets and the tail, from the records. */
static void figures_fill(struct gather *g)
{
	struct report_data *d = g->d;
	for (size_t i = 0; i < g->nrecs; i++) {
		const struct rec *r = &g->recs[i];
		bucket_add(d, report_bucket_of(d, r->us), r->path, r->tld, r->verdict, 1);
		if (r->verdict == VERDICT_POISONED && d->inj_last_us && r->us > d->inj_last_us) {
			d->tail_poisoned++;
			if (r->us > d->tail_end_us)
				d->tail_end_us = r->us;
		}
	}
}

/* What follows from the buckets and spans: a tail without injection, the
 * tail still open, the peak. */
static void figures_finish(struct gather *g)
{
	struct report_data *d = g->d;
	/* Poisoned answers with no injection seen at all: the whole stretch is tail. */
	if (!d->inj_last_us && d->npoisoned) {
		d->tail_end_us = d->poi_last_us;
		d->tail_poisoned = d->npoisoned;
	}
	d->tail_open = d->tail_end_us && report_bucket_of(d, d->tail_end_us) + 1 >= d->nbuckets;
	for (size_t i = 0; i < d->npaths; i++)
		for (size_t b = 0; b < d->nbuckets; b++) {
			const struct report_series *s = &d->paths[i];
			if (!s->judged[b])
				continue;
			double share = (double)s->forged[b] / (double)s->judged[b];
			if (share > d->peak_share) {
				d->peak_share = share;
				snprintf(d->peak_series, sizeof d->peak_series, "%s", s->name);
				d->peak_us = d->t0_us + (int64_t)b * d->bucket_us;
			}
		}
}

/* Buckets, series, the window and the tail, from the records. */
static int figures(struct gather *g)
{
	figures_spans(g);
	if (figures_buckets(g) != 0)
		return -1;
	figures_fill(g);
	figures_finish(g);
	return 0;
}

/* Everything but the record's way out (report_gather). */
static int gather_all(struct gather *g)
{
	struct report_data *d = g->d;
	struct store_db *db = g->db;
	if (store_runs(db, collect_run, g) != DW_OK) {
		set_err(g, "listing runs", db);
		return -1;
	}
	if (g->err.status != DW_OK)
		return -1;
	if (d->nruns == 0) {
		dw_error_set(&g->err, DW_E_NORUN, "the store holds no runs: nothing to report");
		return 1;
	}
	d->addrs = calloc(REPORT_ADDRS_MAX, sizeof *d->addrs);
	d->groups = calloc(REPORT_GROUPS_MAX, sizeof *d->groups);
	g->ahash = malloc(ADDR_HASH * sizeof *g->ahash);
	if (!d->addrs || !d->groups || !g->ahash) {
		free(g->ahash);
		set_err(g, "gathering", NULL);
		return -1;
	}
	memset(g->ahash, 0xff, ADDR_HASH * sizeof *g->ahash);
	int ret = 0;
	for (size_t i = 0; i < d->nruns && ret == 0; i++) {
		struct group_ctx gc = {g, d->runs[i].info.id};
		if (store_groups(db, gc.run, collect_group, &gc) != DW_OK) {
			set_err(g, "reading injector groups", db);
			ret = -1;
		}
	}
	for (size_t i = 0; i < d->nruns && ret == 0; i++)
		ret = load_run(g, &d->runs[i]);
	if (ret == 0 && store_incidents(db, &d->incidents_present, collect_incident, g) != DW_OK) {
		set_err(g, "reading incidents", db);
		ret = -1;
	}
	free(g->ahash);
	if (ret == 0 && g->nrecs == 0) {
		dw_error_set(&g->err, DW_E_NOT_FOUND,
			     "the store holds %zu run%s but no judged results: nothing to report",
			     d->nruns, d->nruns == 1 ? "" : "s");
		ret = 1;
	}
	if (ret == 0)
		ret = figures(g);
	free(g->recs);
	if (ret == 0)
		qsort(d->addrs, d->naddrs, sizeof *d->addrs, cmp_addr);
	return ret;
}

/* --- ClickHouse: the same figures, counted by the server -------------------
 * Every query GROUPs BY in ClickHouse over FINAL tables (a row sent twice is
 * seen once) and brings back counts per run, target, TLD, bucket and
 * verdict, never the results themselves. Runs are numbered 1..n in start
 * order, as SQLite numbers them; a path is "vantage/label" when the
 * database holds more than one vantage point. */

#define CH_US "(toUInt64(sent) * 1000000 + sent_us)"

struct ch_run {
	char vantage[128];
	uint64_t run;
	uint8_t *pidx;          /* path series of each target */
	size_t ntargets;
};

struct ch_gather {
	struct gather *g;
	struct ch_store *ch;
	struct ch_run *runs;    /* parallel to d->runs */
	size_t nruns;
	size_t last;            /* the last run found (rows come grouped) */
	bool many_vantages;
	size_t ntld;
	struct ch_tld {
		char name[256];
		size_t run;     /* first appearance: run index, then seq * 65536 + target */
		uint64_t key;
	} *tlds;
	int64_t tail_first_us;  /* unused: kept zero */
};

static void ch_set_err(struct ch_gather *cg, const char *what)
{
	set_err(cg->g, what, NULL);
	const struct dw_error *e = ch_error(cg->ch);
	if (e->status != DW_OK)
		dw_error_set(&cg->g->err, e->status, "%s: %s", what, e->text);
}

/* The index of run (VANTAGE, RUN), or -1. */
static long ch_run_find(struct ch_gather *cg, const char *vantage, const char *run)
{
	uint64_t id = strtoull(run, NULL, 10);
	for (size_t k = 0; k < cg->nruns; k++) {
		size_t i = (cg->last + k) % cg->nruns;
		if (cg->runs[i].run == id && !strcmp(cg->runs[i].vantage, vantage)) {
			cg->last = i;
			return (long)i;
		}
	}
	return -1;
}

static int64_t num(const char *s)
{
	return strtoll(s, NULL, 10);
}

static int ch_row_run(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	struct report_data *d = cg->g->d;
	if (n != 10)
		return 1;
	struct report_run *nr = realloc(d->runs, (d->nruns + 1) * sizeof *nr);
	struct ch_run *nc = realloc(cg->runs, (cg->nruns + 1) * sizeof *nc);
	if (nr)
		d->runs = nr;
	if (nc)
		cg->runs = nc;
	if (!nr || !nc)
		return 1;
	struct report_run *r = &d->runs[d->nruns++];
	struct ch_run *c = &cg->runs[cg->nruns++];
	memset(r, 0, sizeof *r);
	memset(c, 0, sizeof *c);
	snprintf(c->vantage, sizeof c->vantage, "%s", f[0]);
	c->run = strtoull(f[1], NULL, 10);
	r->info.id = (int64_t)d->nruns;
	r->info.started_us = num(f[2]);
	r->info.finished_us = num(f[3]);
	snprintf(r->info.status, sizeof r->info.status, "%s", f[4]);
	snprintf(r->info.cmdline, sizeof r->info.cmdline, "%s", f[5]);
	snprintf(r->info.options, sizeof r->info.options, "%s", f[6]);
	snprintf(r->info.qtypes, sizeof r->info.qtypes, "%s", f[7]);
	r->info.ntargets = (uint32_t)num(f[8]);
	if (cg->nruns > 1 && strcmp(f[0], cg->runs[0].vantage))
		cg->many_vantages = true;
	(void)f[9];
	return 0;
}

static int ch_row_target(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	if (n != 8)
		return 1;
	long i = ch_run_find(cg, f[0], f[1]);
	if (i < 0)
		return 0; /* a run whose runs row is not there: not reported */
	struct report_run *r = &cg->g->d->runs[i];
	size_t idx = (size_t)num(f[2]);
	if (idx != r->ntargets)
		return 0; /* targets come in order, once each (FINAL) */
	struct probe_target *nt = realloc(r->targets, (r->ntargets + 1) * sizeof *nt);
	if (!nt)
		return 1;
	r->targets = nt;
	struct probe_target *t = &nt[r->ntargets++];
	memset(t, 0, sizeof *t);
	snprintf(t->label, sizeof t->label, "%s", f[3]);
	t->kind = (enum probe_target_kind)num(f[4]);
	t->family = num(f[5]) == 6 ? AF_INET6 : AF_INET;
	for (size_t k = 0; k < 16 && f[6][2 * k] && f[6][2 * k + 1]; k++) {
		char h[3] = {f[6][2 * k], f[6][2 * k + 1], 0};
		t->addr[k] = (uint8_t)strtoul(h, NULL, 16);
	}
	t->port = (uint16_t)num(f[7]);
	return 0;
}

/* Per (run, target, verdict): counts and the first and last query. */
static int ch_row_verdicts(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	struct report_data *d = cg->g->d;
	if (n != 7)
		return 1;
	long i = ch_run_find(cg, f[0], f[1]);
	if (i < 0)
		return 0;
	struct report_run *r = &d->runs[i];
	size_t target = (size_t)num(f[2]);
	int v = (int)num(f[3]);
	uint64_t cnt = (uint64_t)num(f[4]);
	int64_t lo = num(f[5]), hi = num(f[6]);
	d->nresults += cnt;
	r->info.nqueries += cnt;
	span_add(&r->first_us, &r->last_us, lo);
	span_add(&r->first_us, &r->last_us, hi);
	if (v >= 0 && v < VERDICT_COUNT && target < r->ntargets)
		r->verdicts[v] += cnt;
	if (v == VERDICT_NONE)
		return 0;
	if (lo < d->t0_us)
		d->t0_us = lo;
	if (hi > d->t1_us)
		d->t1_us = hi;
	d->njudged += cnt;
	if (v == VERDICT_INJECTED) {
		d->ninjected += cnt;
		span_add(&d->inj_first_us, &d->inj_last_us, lo);
		span_add(&d->inj_first_us, &d->inj_last_us, hi);
	} else if (v == VERDICT_POISONED) {
		d->npoisoned += cnt;
		span_add(&d->poi_first_us, &d->poi_last_us, lo);
		span_add(&d->poi_first_us, &d->poi_last_us, hi);
	}
	return 0;
}

static int ch_row_tld(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	if (n != 4)
		return 1;
	long i = ch_run_find(cg, f[1], f[2]);
	if (i < 0)
		return 0;
	uint64_t key = strtoull(f[3], NULL, 10);
	for (size_t k = 0; k < cg->ntld; k++)
		if (!strcmp(cg->tlds[k].name, f[0])) {
			struct ch_tld *t = &cg->tlds[k];
			if ((size_t)i < t->run || ((size_t)i == t->run && key < t->key)) {
				t->run = (size_t)i;
				t->key = key;
			}
			return 0;
		}
	struct ch_tld *nt = realloc(cg->tlds, (cg->ntld + 1) * sizeof *nt);
	if (!nt)
		return 1;
	cg->tlds = nt;
	struct ch_tld *t = &nt[cg->ntld++];
	snprintf(t->name, sizeof t->name, "%s", f[0]);
	t->run = (size_t)i;
	t->key = key;
	return 0;
}

static int cmp_tld(const void *a, const void *b)
{
	const struct ch_tld *x = a, *y = b;
	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static uint8_t ch_tld_index(struct ch_gather *cg, const char *name)
{
	struct report_data *d = cg->g->d;
	for (size_t i = 0; i < d->ntlds; i++)
		if (!strcmp(d->tlds[i].name, name))
			return (uint8_t)i;
	return d->ntlds ? (uint8_t)(d->ntlds - 1) : 0; /* merged into "(other)" */
}

static uint8_t ch_path_of(struct ch_gather *cg, long run, size_t target)
{
	struct ch_run *c = &cg->runs[run];
	if (target < c->ntargets)
		return c->pidx[target];
	return series_index(cg->g->d->paths, &cg->g->d->npaths, "?");
}

/* Per (run, target, TLD, bucket, verdict): a count. */
static int ch_row_bucket(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	struct report_data *d = cg->g->d;
	if (n != 7)
		return 1;
	long i = ch_run_find(cg, f[0], f[1]);
	if (i < 0)
		return 0;
	size_t b = (size_t)num(f[4]);
	if (b >= d->nbuckets)
		b = d->nbuckets - 1;
	bucket_add(d, b, ch_path_of(cg, i, (size_t)num(f[2])), ch_tld_index(cg, f[3]),
		   (uint8_t)num(f[5]), (uint64_t)num(f[6]));
	return 0;
}

static int ch_row_tail(void *ctx, char **f, size_t n)
{
	struct report_data *d = ((struct ch_gather *)ctx)->g->d;
	if (n != 2)
		return 1;
	d->tail_poisoned = (uint64_t)num(f[0]);
	d->tail_end_us = d->tail_poisoned ? num(f[1]) : 0;
	return 0;
}

/* Per (address, run, target): forged counts and first and last sight. */
static int ch_row_addr(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	if (n != 8)
		return 1;
	long i = ch_run_find(cg, f[1], f[2]);
	if (i < 0)
		return 0;
	struct report_addr *a = addr_find(cg->g, f[0]);
	if (!a)
		return 0;
	a->injected += (uint64_t)num(f[4]);
	a->poisoned += (uint64_t)num(f[5]);
	span_add(&a->first_us, &a->last_us, num(f[6]));
	span_add(&a->first_us, &a->last_us, num(f[7]));
	uint8_t path = ch_path_of(cg, i, (size_t)num(f[3]));
	if (path < 64)
		a->path_mask |= 1ull << path;
	return 0;
}

static int ch_row_group(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	if (n != 7)
		return 1;
	long i = ch_run_find(cg, f[0], f[1]);
	if (i < 0)
		return 0;
	struct store_group sg;
	memset(&sg, 0, sizeof sg);
	sg.id = (int32_t)num(f[2]);
	snprintf(sg.fingerprint, sizeof sg.fingerprint, "%s", f[3]);
	sg.count = (uint64_t)num(f[4]);
	/* The addresses as text, IPv4 then IPv6 (space-separated). */
	for (int k = 5; k <= 6; k++)
		for (char *w = strtok(f[k], " "); w && sg.naddrs < 32; w = strtok(NULL, " ")) {
			struct probe_addr *pa = &sg.addrs[sg.naddrs];
			pa->family = k == 5 ? AF_INET : AF_INET6;
			if (inet_pton(pa->family, w, pa->addr) == 1)
				sg.naddrs++;
		}
	struct group_ctx gc = {cg->g, cg->g->d->runs[i].info.id};
	return collect_group(&gc, &sg);
}

/* A fingerprint key's IP TTL and answer TTL ranges from injected replies
 * (ADDR: one they carried; "": any, from a target that runs no DNS). */
static int ch_row_range(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	struct report_data *d = cg->g->d;
	if (n != 6)
		return 1;
	for (size_t k = 0; k < d->ngroups; k++) {
		struct report_group *grp = &d->groups[k];
		if (strcmp(grp->key, f[0]) != 0 || (f[1][0] && !words_has(grp->addrs, f[1])))
			continue;
		range_merge(&grp->ip_ttl_lo, &grp->ip_ttl_hi, (int)num(f[2]), (int)num(f[3]));
		range_merge(&grp->answer_ttl_lo, &grp->answer_ttl_hi, (int)num(f[4]), (int)num(f[5]));
	}
	return 0;
}

static int ch_row_incident(void *ctx, char **f, size_t n)
{
	struct ch_gather *cg = ctx;
	struct report_data *d = cg->g->d;
	if (n != 17)
		return 1;
	long i = ch_run_find(cg, f[0], f[1]);
	struct store_incident inc;
	memset(&inc, 0, sizeof inc);
	inc.id = (int64_t)d->nincidents + 1;
	inc.run = i >= 0 ? d->runs[i].info.id : 0;
	inc.started_us = num(f[3]);
	inc.raised_us = num(f[4]);
	inc.injection_end_us = num(f[5]);
	inc.ended_us = num(f[6]);
	inc.peak_share = strtod(f[7], NULL);
	snprintf(inc.scope, sizeof inc.scope, "%s", f[8]);
	snprintf(inc.addresses, sizeof inc.addresses, "%s", f[9]);
	snprintf(inc.summary, sizeof inc.summary, "%s", f[10]);
	snprintf(inc.cause, sizeof inc.cause, "%s", f[11]);
	snprintf(inc.evidence, sizeof inc.evidence, "%s", f[12]);
	inc.hop = (int)num(f[13]);
	snprintf(inc.hop_router, sizeof inc.hop_router, "%s", f[14]);
	snprintf(inc.locate, sizeof inc.locate, "%s", f[15]);
	snprintf(inc.groups, sizeof inc.groups, "%s", f[16]);
	d->incidents_present = true;
	return collect_incident(cg->g, &inc);
}

/* Run SQL (with "%1$s" standing for the database, written as DB) through FN. */
static int ch_run(struct ch_gather *cg, const char *what, const char *sql,
		  int (*fn)(void *, char **, size_t))
{
	const char *db = ch_database(cg->ch);
	size_t cap = strlen(sql) * 2 + 256;
	char *q = malloc(cap), *o = q;
	if (!q) {
		set_err(cg->g, what, NULL);
		return -1;
	}
	for (const char *p = sql; *p; p++) {
		if (!strncmp(p, "DB.", 3)) {
			o += snprintf(o, cap - (size_t)(o - q), "%s.", db);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	enum dw_status st = ch_select(cg->ch, q, fn, cg);
	free(q);
	if (st != DW_OK || cg->g->err.status != DW_OK) {
		ch_set_err(cg, what);
		return -1;
	}
	return 0;
}

static int gather_clickhouse(struct ch_gather *cg)
{
	struct gather *g = cg->g;
	struct report_data *d = g->d;
	char sql[2048];
	if (ch_run(cg, "listing runs",
		   "SELECT vantage, run, any(toUInt64(started) * 1000000 + started_us), "
		   "argMax(if(finished = toDateTime(0), 0, toUInt64(finished) * 1000000 + finished_us), version), "
		   "argMax(status, version), argMax(cmdline, version), argMax(options, version), "
		   "argMax(qtypes, version), argMax(ntargets, version), argMax(outages, version) "
		   "FROM DB.runs GROUP BY vantage, run ORDER BY run, vantage",
		   ch_row_run))
		return -1;
	if (d->nruns == 0) {
		dw_error_set(&g->err, DW_E_NORUN, "the store holds no runs: nothing to report");
		return 1;
	}
	if (ch_run(cg, "reading targets",
		   "SELECT vantage, run, idx, label, kind, family, hex(addr), port FROM DB.targets FINAL "
		   "ORDER BY vantage, run, idx",
		   ch_row_target))
		return -1;
	/* The paths, in run then target order (as SQLite's reading makes them). */
	for (size_t i = 0; i < d->nruns; i++) {
		struct report_run *r = &d->runs[i];
		struct ch_run *c = &cg->runs[i];
		c->ntargets = r->ntargets;
		c->pidx = calloc(r->ntargets ? r->ntargets : 1, 1);
		if (!c->pidx) {
			set_err(g, "reading targets", NULL);
			return -1;
		}
		for (size_t t = 0; t < r->ntargets; t++) {
			char name[200];
			const char *label = r->targets[t].label[0] ? r->targets[t].label : "?";
			size_t vl = strlen(c->vantage);
			/* watch's labels already say where ("client/isp"). */
			bool named = !strncmp(label, c->vantage, vl) && label[vl] == '/';
			if (cg->many_vantages && !named)
				snprintf(name, sizeof name, "%s/%s", c->vantage, label);
			else
				snprintf(name, sizeof name, "%s", label);
			c->pidx[t] = series_index(d->paths, &d->npaths, name);
		}
	}
	d->addrs = calloc(REPORT_ADDRS_MAX, sizeof *d->addrs);
	d->groups = calloc(REPORT_GROUPS_MAX, sizeof *d->groups);
	g->ahash = malloc(ADDR_HASH * sizeof *g->ahash);
	if (!d->addrs || !d->groups || !g->ahash) {
		set_err(g, "gathering", NULL);
		return -1;
	}
	memset(g->ahash, 0xff, ADDR_HASH * sizeof *g->ahash);
	if (ch_run(cg, "reading injector groups",
		   "SELECT vantage, run, id, argMax(fingerprint, version), argMax(count, version), "
		   "arrayStringConcat(arrayMap(x -> IPv4NumToString(x), argMax(addr_v4, version)), ' '), "
		   "arrayStringConcat(arrayMap(x -> IPv6NumToString(x), argMax(addr_v6, version)), ' ') "
		   "FROM DB.groups GROUP BY vantage, run, id ORDER BY run, vantage, id",
		   ch_row_group))
		return -1;
	d->t0_us = INT64_MAX;
	d->t1_us = 0;
	if (ch_run(cg, "counting verdicts",
		   "SELECT vantage, run, target, verdict, count(), min(" CH_US "), max(" CH_US ") "
		   "FROM DB.queries FINAL GROUP BY vantage, run, target, verdict",
		   ch_row_verdicts))
		return -1;
	if (d->njudged == 0) {
		dw_error_set(&g->err, DW_E_NOT_FOUND,
			     "the store holds %zu run%s but no judged results: nothing to report",
			     d->nruns, d->nruns == 1 ? "" : "s");
		return 1;
	}
	/* The TLD series in order of first appearance (run, then seq, target). */
	if (ch_run(cg, "reading TLDs",
		   "SELECT tld, vantage, run, min(seq * 65536 + target) FROM DB.queries FINAL "
		   "WHERE verdict != 0 GROUP BY tld, vantage, run",
		   ch_row_tld))
		return -1;
	qsort(cg->tlds, cg->ntld, sizeof *cg->tlds, cmp_tld);
	for (size_t i = 0; i < cg->ntld; i++)
		(void)series_index(d->tlds, &d->ntlds, cg->tlds[i].name);
	if (figures_buckets(g) != 0)
		return -1;
	snprintf(sql, sizeof sql,
		 "SELECT vantage, run, target, tld, intDiv(" CH_US " - %" PRId64 ", %" PRId64 ") AS b, "
		 "verdict, count() FROM DB.queries FINAL WHERE verdict != 0 "
		 "GROUP BY vantage, run, target, tld, b, verdict",
		 d->t0_us, d->bucket_us);
	if (ch_run(cg, "counting by time", sql, ch_row_bucket))
		return -1;
	if (d->inj_last_us) {
		snprintf(sql, sizeof sql,
			 "SELECT count(), max(" CH_US ") FROM DB.queries FINAL WHERE verdict = %d "
			 "AND " CH_US " > %" PRId64,
			 VERDICT_POISONED, d->inj_last_us);
		if (ch_run(cg, "finding the cache tail", sql, ch_row_tail))
			return -1;
	}
	figures_finish(g);
	snprintf(sql, sizeof sql,
		 "SELECT if(family = 4, IPv4NumToString(v4), IPv6NumToString(v6)) AS a, vantage, run, "
		 "target, countIf(verdict = %d), countIf(verdict = %d), min(" CH_US "), max(" CH_US ") "
		 "FROM DB.answers FINAL WHERE forged = 1 AND verdict IN (%d, %d) "
		 "GROUP BY a, vantage, run, target ORDER BY min(" CH_US "), a",
		 VERDICT_INJECTED, VERDICT_POISONED, VERDICT_INJECTED, VERDICT_POISONED);
	if (ch_run(cg, "reading forged addresses", sql, ch_row_addr))
		return -1;
	snprintf(sql, sizeof sql,
		 "SELECT fp, if(family = 4, IPv4NumToString(v4), IPv6NumToString(v6)) AS a, "
		 "min(ip_ttl), max(ip_ttl), min(answer_ttl), max(answer_ttl) FROM DB.answers FINAL "
		 "WHERE verdict = %d AND usable = 1 AND fp != '' GROUP BY fp, a",
		 VERDICT_INJECTED);
	if (ch_run(cg, "reading injector TTLs", sql, ch_row_range))
		return -1;
	snprintf(sql, sizeof sql,
		 "SELECT replies.fp, '', min(replies.ip_ttl), max(replies.ip_ttl), "
		 "min(replies.answer_ttl), max(replies.answer_ttl) FROM DB.queries FINAL "
		 "ARRAY JOIN replies WHERE verdict = %d AND target_kind = %d AND replies.fp != '' "
		 "GROUP BY replies.fp",
		 VERDICT_INJECTED, TARGET_NODNS);
	if (ch_run(cg, "reading injector TTLs", sql, ch_row_range))
		return -1;
	if (ch_run(cg, "reading incidents",
		   "SELECT vantage, run, id, argMax(started_us, version), argMax(raised_us, version), "
		   "argMax(injection_end_us, version), argMax(ended_us, version), "
		   "argMax(peak_share, version), argMax(scope, version), argMax(addresses, version), "
		   "argMax(summary, version), argMax(cause, version), argMax(evidence, version), "
		   "argMax(hop, version), argMax(hop_router, version), argMax(locate, version), "
		   "argMax(groups, version) FROM DB.incidents GROUP BY vantage, run, id "
		   "ORDER BY argMax(started_us, version), run, vantage, id",
		   ch_row_incident))
		return -1;
	qsort(d->addrs, d->naddrs, sizeof *d->addrs, cmp_addr);
	return 0;
}

static int report_gather_clickhouse(struct ch_store *ch, struct report_data *d, struct dw_error *err)
{
	struct gather g = {.d = d};
	struct ch_gather cg = {.g = &g, .ch = ch};
	int ret = gather_clickhouse(&cg);
	free(g.ahash);
	for (size_t i = 0; i < cg.nruns; i++)
		free(cg.runs[i].pidx);
	free(cg.runs);
	free(cg.tlds);
	if (ret != 0 && err)
		*err = g.err;
	return ret;
}


int report_gather(struct store_db *db, struct report_data *d, struct dw_error *err)
{
	memset(d, 0, sizeof *d);
	if (store_clickhouse(db))
		return report_gather_clickhouse(store_clickhouse(db), d, err);
	struct gather g = {.d = d, .db = db};
	int ret = gather_all(&g);
	if (ret != 0 && err)
		*err = g.err;
	return ret;
}

void report_data_free(struct report_data *d)
{
	for (size_t i = 0; i < d->nruns; i++)
		free(d->runs[i].targets);
	free(d->runs);
	for (size_t i = 0; i < REPORT_SERIES_MAX; i++) {
		free(d->paths[i].judged);
		free(d->paths[i].forged);
		free(d->tlds[i].judged);
		free(d->tlds[i].forged);
	}
	free(d->addrs);
	free(d->groups);
	free(d->incidents);
	memset(d, 0, sizeof *d);
}
