/*
 * bench/store/vantages.sh's helper: the runs of an SQLite store written by
 * several watch processes (one vantage point each), written again into a
 * ClickHouse database through the store's own calls (the ones watch
 * makes), each run tagged with its vantage point (from "--vantage X" in its
 * command line); then the report's figures gathered from both stores and
 * compared: runs, counts, shares per path and TLD and bucket, the window,
 * the tail, the forged addresses, the injector groups, the incidents.
 *   tool_chcopy SQLITE_DB clickhouse://HOST:PORT/DB
 * Prints the figures and "equal" or every difference; exit status 0 if equal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/data.h"
#include "store/clickhouse.h"
#include "store/sqlite.h"

static int diffs;

#define SAME(what, a, b)                                                                   \
	do {                                                                               \
		if ((a) != (b)) {                                                          \
			printf("  differs: %s: %lld vs %lld\n", what, (long long)(a), (long long)(b)); \
			diffs++;                                                           \
		}                                                                          \
	} while (0)
#define SAME_STR(what, a, b)                                                               \
	do {                                                                               \
		if (strcmp((a), (b))) {                                                    \
			printf("  differs: %s: '%s' vs '%s'\n", what, (a), (b));           \
			diffs++;                                                           \
		}                                                                          \
	} while (0)

static void vantage_of(const char *cmdline, char *out, size_t cap)
{
	const char *p = strstr(cmdline, "--vantage ");
	snprintf(out, cap, "unknown");
	if (p) {
		p += 10;
		size_t n = strcspn(p, " ");
		snprintf(out, cap, "%.*s", (int)n, p);
	}
}

struct incs {
	struct store_incident *v;
	size_t n;
};

static int keep_incident(void *ctx, const struct store_incident *inc)
{
	struct incs *x = ctx;
	struct store_incident *nv = realloc(x->v, (x->n + 1) * sizeof *nv);
	if (!nv)
		return 1;
	x->v = nv;
	x->v[x->n++] = *inc;
	return 0;
}

struct grp_ctx {
	struct store_db *out;
	int failed;
};

static int copy_group(void *ctx, const struct store_group *g)
{
	struct grp_ctx *c = ctx;
	if (store_group_put(c->out, g->id, g->fingerprint, g->count, g->addrs, g->naddrs) != DW_OK)
		c->failed = 1;
	return c->failed;
}

static int ids(void *ctx, int64_t run)
{
	int64_t **v = ctx;
	int64_t n = (*v)[0];
	int64_t *nv = realloc(*v, (size_t)(n + 2) * sizeof **v);
	if (!nv)
		return 1;
	nv[n + 1] = run;
	nv[0] = n + 1;
	*v = nv;
	return 0;
}

static int copy(const char *from, const char *to)
{
	struct store_db *in, *out;
	struct store_opts ro = {.readonly = true, .errlog = stderr};
	if (store_open(&in, from, &ro, NULL) != DW_OK)
		return -1;
	int64_t *runs = calloc(1, sizeof *runs);
	if (!runs || store_runs(in, ids, &runs) != DW_OK)
		return -1;
	struct incs incs = {0};
	bool present;
	if (store_incidents(in, &present, keep_incident, &incs) != DW_OK)
		return -1;
	struct probe_result *r = malloc(sizeof *r);
	if (!r)
		return -1;
	for (int64_t k = 1; k <= runs[0]; k++) {
		int64_t run = runs[k];
		struct store_run_info info;
		if (store_run_info(in, run, &info) != DW_OK)
			return -1;
		char vantage[64];
		vantage_of(info.cmdline, vantage, sizeof vantage);
		struct store_opts wo = {.vantage = vantage, .errlog = stderr};
		if (store_open(&out, to, &wo, NULL) != DW_OK)
			return -1;
		size_t nt;
		if (store_targets(in, run, NULL, 0, &nt) != DW_OK)
			return -1;
		struct probe_target *t = calloc(nt ? nt : 1, sizeof *t);
		if (!t || store_targets(in, run, t, nt, &nt) != DW_OK)
			return -1;
		uint16_t qt[STORE_QTYPES_MAX];
		size_t nq = 0;
		for (char *p = info.qtypes; *p && nq < STORE_QTYPES_MAX;) {
			qt[nq++] = (uint16_t)strtoul(p, &p, 10);
			if (*p == ',')
				p++;
		}
		int64_t newrun;
		if (store_run_begin(out, info.cmdline, info.options, t, nt, qt, nq, &newrun) != DW_OK)
			return -1;
		struct store_iter *it;
		struct store_filter f = STORE_FILTER_ALL(run);
		if (store_iter_open(in, &f, &it) != DW_OK)
			return -1;
		bool got;
		uint64_t n = 0;
		while (store_iter_next(it, r, &got) == DW_OK && got) {
			if (store_put(out, r) != DW_OK)
				return -1;
			n++;
		}
		store_iter_close(it);
		struct grp_ctx gc = {out, 0};
		if (store_groups(in, run, copy_group, &gc) != DW_OK || gc.failed)
			return -1;
		for (size_t i = 0; i < incs.n; i++)
			if (incs.v[i].run == run) {
				struct store_incident inc = incs.v[i];
				inc.run = newrun;
				if (store_incident_put(out, &inc) != DW_OK)
					return -1;
			}
		if (store_run_finish(out, strcmp(info.status, "failed") == 0) != DW_OK ||
		    store_close(out) != DW_OK)
			return -1;
		printf("  run %" PRId64 " (%s): %" PRIu64 " results copied\n", run, vantage, n);
		free(t);
	}
	free(r);
	free(runs);
	free(incs.v);
	return store_close(in) == DW_OK ? 0 : -1;
}

static int gather(const char *path, struct report_data *d)
{
	struct store_db *db;
	struct store_opts ro = {.readonly = true, .errlog = stderr};
	if (store_open(&db, path, &ro, NULL) != DW_OK)
		return -1;
	struct dw_error err;
	int rc = report_gather(db, d, &err);
	if (rc != 0)
		fprintf(stderr, "tool_chcopy: %s: %s\n", path, err.text);
	return store_close(db) == DW_OK ? rc : -1;
}

static void compare(const struct report_data *s, const struct report_data *c)
{
	SAME("runs", s->nruns, c->nruns);
	SAME("results", s->nresults, c->nresults);
	SAME("judged", s->njudged, c->njudged);
	SAME("injected", s->ninjected, c->ninjected);
	SAME("poisoned", s->npoisoned, c->npoisoned);
	SAME("window start", s->inj_first_us, c->inj_first_us);
	SAME("window end", s->inj_last_us, c->inj_last_us);
	SAME("tail end", s->tail_end_us, c->tail_end_us);
	SAME("tail poisoned", s->tail_poisoned, c->tail_poisoned);
	SAME("bucket", s->bucket_us, c->bucket_us);
	SAME("buckets", s->nbuckets, c->nbuckets);
	SAME("peak share (ppm)", (long long)(s->peak_share * 1e6), (long long)(c->peak_share * 1e6));
	SAME("paths", s->npaths, c->npaths);
	SAME("tlds", s->ntlds, c->ntlds);
	for (size_t i = 0; i < s->npaths && i < c->npaths; i++) {
		SAME_STR("path", s->paths[i].name, c->paths[i].name);
		SAME("path judged", s->paths[i].judged_total, c->paths[i].judged_total);
		SAME("path injected", s->paths[i].injected_total, c->paths[i].injected_total);
		SAME("path poisoned", s->paths[i].poisoned_total, c->paths[i].poisoned_total);
		for (size_t b = 0; b < s->nbuckets && s->nbuckets == c->nbuckets; b++) {
			SAME("path bucket judged", s->paths[i].judged[b], c->paths[i].judged[b]);
			SAME("path bucket forged", s->paths[i].forged[b], c->paths[i].forged[b]);
		}
	}
	for (size_t i = 0; i < s->ntlds && i < c->ntlds; i++) {
		SAME_STR("tld", s->tlds[i].name, c->tlds[i].name);
		SAME("tld judged", s->tlds[i].judged_total, c->tlds[i].judged_total);
		for (size_t b = 0; b < s->nbuckets && s->nbuckets == c->nbuckets; b++)
			SAME("tld bucket forged", s->tlds[i].forged[b], c->tlds[i].forged[b]);
	}
	SAME("addresses", s->naddrs, c->naddrs);
	for (size_t i = 0; i < s->naddrs && i < c->naddrs; i++) {
		SAME_STR("address", s->addrs[i].addr, c->addrs[i].addr);
		SAME("address injected", s->addrs[i].injected, c->addrs[i].injected);
		SAME("address poisoned", s->addrs[i].poisoned, c->addrs[i].poisoned);
		SAME("address first", s->addrs[i].first_us, c->addrs[i].first_us);
		SAME("address last", s->addrs[i].last_us, c->addrs[i].last_us);
		SAME("address paths", s->addrs[i].path_mask, c->addrs[i].path_mask);
	}
	SAME("groups", s->ngroups, c->ngroups);
	for (size_t i = 0; i < s->ngroups && i < c->ngroups; i++) {
		SAME_STR("group", s->groups[i].key, c->groups[i].key);
		SAME("group count", s->groups[i].count, c->groups[i].count);
		SAME("group ip_ttl lo", s->groups[i].ip_ttl_lo, c->groups[i].ip_ttl_lo);
		SAME("group ip_ttl hi", s->groups[i].ip_ttl_hi, c->groups[i].ip_ttl_hi);
		SAME_STR("group addrs", s->groups[i].addrs, c->groups[i].addrs);
	}
	SAME("incidents", s->nincidents, c->nincidents);
	for (size_t i = 0; i < s->nincidents && i < c->nincidents; i++) {
		SAME("incident start", s->incidents[i].started_us, c->incidents[i].started_us);
		SAME("incident end", s->incidents[i].ended_us, c->incidents[i].ended_us);
		SAME_STR("incident summary", s->incidents[i].summary, c->incidents[i].summary);
		SAME_STR("incident cause", s->incidents[i].cause, c->incidents[i].cause);
	}
}

static void show(const char *name, const struct report_data *d)
{
	printf("  %s: %zu runs, %" PRIu64 " results, %" PRIu64 " judged, %" PRIu64 " injected, %" PRIu64
	       " poisoned; %zu paths, %zu forged addresses, %zu groups, %zu incidents\n",
	       name, d->nruns, d->nresults, d->njudged, d->ninjected, d->npoisoned, d->npaths, d->naddrs,
	       d->ngroups, d->nincidents);
	for (size_t i = 0; i < d->npaths; i++)
		if (d->paths[i].judged_total)
			printf("    %-20s forged %5.1f%% (%" PRIu64 " of %" PRIu64 ")\n", d->paths[i].name,
			       100.0 * (double)(d->paths[i].injected_total + d->paths[i].poisoned_total) /
				       (double)d->paths[i].judged_total,
			       d->paths[i].injected_total + d->paths[i].poisoned_total, d->paths[i].judged_total);
	for (size_t i = 0; i < d->naddrs && i < 3; i++)
		printf("    address %s: %" PRIu64 " injected, %" PRIu64 " poisoned\n", d->addrs[i].addr,
		       d->addrs[i].injected, d->addrs[i].poisoned);
	for (size_t i = 0; i < d->ngroups; i++)
		printf("    group %s: %" PRIu64 " replies, ip_ttl %d-%d\n", d->groups[i].key, d->groups[i].count,
		       d->groups[i].ip_ttl_lo, d->groups[i].ip_ttl_hi);
	for (size_t i = 0; i < d->nincidents; i++)
		printf("    incident (%s): %.120s\n", d->incidents[i].cause, d->incidents[i].summary);
}

int main(int argc, char **argv)
{
	if (argc != 3 || !ch_url_is(argv[2])) {
		fprintf(stderr, "usage: tool_chcopy SQLITE_DB clickhouse://HOST:PORT/DB\n");
		return 2;
	}
	if (copy(argv[1], argv[2]) != 0) {
		fprintf(stderr, "tool_chcopy: copying %s into %s failed\n", argv[1], argv[2]);
		return 1;
	}
	struct report_data s, c;
	if (gather(argv[1], &s) != 0 || gather(argv[2], &c) != 0)
		return 1;
	show("sqlite    ", &s);
	show("clickhouse", &c);
	compare(&s, &c);
	printf("  report over ClickHouse vs over SQLite: %s\n", diffs ? "DIFFERENT" : "equal");
	report_data_free(&s);
	report_data_free(&c);
	return diffs ? 1 : 0;
}
