/* Gathering the report's figures from a store (see data.h). */
#include "report/data.h"

#include "probe/classify.h"

#include <arpa/inet.h>
#include <ctype.h>
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

/* The last label of a wire name, lower-cased, in presentation form ("com"). */
static void tld_of(const uint8_t *name, char *out, size_t cap)
{
	const uint8_t *last = NULL;
	size_t off = 0;
	while (off < WIRE_NAME_MAX && name[off]) {
		last = name + off;
		off += 1u + name[off];
	}
	if (!last || off >= WIRE_NAME_MAX || last[0] > WIRE_LABEL_MAX ||
	    (size_t)(last - name) + 1u + last[0] > WIRE_NAME_MAX) {
		snprintf(out, cap, ".");
		return;
	}
	uint8_t one[WIRE_LABEL_MAX + 2];
	size_t l = last[0];
	memcpy(one, last, l + 1);
	one[l + 1] = 0;
	for (size_t i = 1; i <= l; i++)
		one[i] = (uint8_t)tolower(one[i]);
	char text[WIRE_LABEL_MAX * 4 + 4];
	size_t n = wire_name_to_text(one, text, sizeof text);
	if (n > 0 && text[n - 1] == '.')
		text[n - 1] = 0;
	snprintf(out, cap, "%s", text);
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
		tld_of(r->qname, tld, sizeof tld);
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

/* Buckets, series, the window and the tail, from the records. */
static int figures(struct gather *g)
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
	for (size_t i = 0; i < g->nrecs; i++) {
		const struct rec *r = &g->recs[i];
		size_t b = report_bucket_of(d, r->us);
		struct report_series *s[2] = {&d->paths[r->path], &d->tlds[r->tld]};
		for (int k = 0; k < 2; k++) {
			s[k]->judged[b]++;
			s[k]->judged_total++;
			if (forged(r->verdict))
				s[k]->forged[b]++;
			s[k]->injected_total += r->verdict == VERDICT_INJECTED;
			s[k]->poisoned_total += r->verdict == VERDICT_POISONED;
		}
		if (r->verdict == VERDICT_POISONED && d->inj_last_us && r->us > d->inj_last_us) {
			d->tail_poisoned++;
			if (r->us > d->tail_end_us)
				d->tail_end_us = r->us;
		}
	}
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

int report_gather(struct store_db *db, struct report_data *d, struct dw_error *err)
{
	memset(d, 0, sizeof *d);
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
