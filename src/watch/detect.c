/* The watch's detector (detect.h); the rules are in docs/watch.md. */
#include "watch/detect.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/packet.h"
#include "util/text.h"

#define OPEN_BUCKETS 8   /* time series buckets open per path (late observations) */
#define HIST_BUCKETS 128 /* per-path history of 1-bucket counts, for the baseline */
#define LATE_US 3000000  /* a bucket closes this long after its end: results come in late */

/*
 * One Bernoulli CUSUM (Page 1954): S = max(0, S + step), the step of a
 * wrong answer ln(p1/p0) and of a right one ln((1-p1)/(1-p0)); it raises
 * when S reaches the threshold h. Under the baseline (a true share at most
 * p0) its false alarms are at most one in e^h updates (Lorden 1971: the
 * likelihood ratio is a martingale of mean 1 under the baseline).
 */
struct cusum {
	double s;
	int64_t first_wrong_us;  /* first wrong answer since S was last 0 */
	uint64_t judged, wrong;  /* since S was last 0 */
	double p0, p1;           /* of the last update */
};

/* One series: a path, or a path and TLD, or a path and authoritative server. */
struct series {
	bool used;
	uint64_t key;            /* the server's hash (server series) */
	double base_j, base_w;   /* baseline answers judged and wrong, decayed */
	int64_t base_t;          /* time of the last baseline update */
	struct cusum big, small;
};

struct path_state {
	struct watch_bucket open[OPEN_BUCKETS]; /* by (start / bucket) % OPEN_BUCKETS */
	bool used[OPEN_BUCKETS];
	int64_t hist_start[HIST_BUCKETS];
	struct watch_count hist[HIST_BUCKETS];
	int64_t first_obs_us, last_obs_us, last_reply_us;
	bool down;
	/* in the open incident */
	int64_t first_ok_after_wrong_us;
	uint64_t judged_since_wrong;
	/* the sequential tests */
	struct series all, tld[WATCH_TLDS_MAX], srv[WATCH_SERVERS_MAX];
};

#define NODNS_KEEP 64 /* the latest replies from no-DNS addresses, for rule 2 */

struct nodns_reply {
	int64_t time_us;
	uint64_t name;
	unsigned path;
};

struct watch_detect {
	struct watch_path path[WATCH_PATHS_MAX];
	size_t npaths;
	struct watch_tuning t;
	struct path_state ps[WATCH_PATHS_MAX];

	char tld[WATCH_TLDS_MAX][16]; /* interned TLD names; the last slot is "other" */
	size_t ntlds;

	struct watch_obs *win;        /* observations of the detection window, a ring */
	size_t win_cap, win_head, win_n;

	/* The open incident's counts per TLD and path, until the injection is
	 * over: its TLD shares are taken over the paths it affected. */
	struct watch_count tld_path[WATCH_TLDS_MAX][WATCH_PATHS_MAX];
	/* The same per path (wrong: of them, injected ones in .wrong of
	 * path_inj), the walk's share of wrong data is taken over them: a
	 * long cache tail must not dilute a short change of data. */
	struct watch_count path_inj[WATCH_PATHS_MAX];
	uint64_t path_inj_injected[WATCH_PATHS_MAX];

	struct watch_incident *inc;   /* every incident so far; the last may be open */
	size_t ninc;
	bool open;
	int64_t last_active_us;       /* last active forgery in the open incident */
	int64_t quiet_until_us;       /* when the last incident ended: older observations
				       * raise nothing */
	bool had_active;
	int64_t closed_us;            /* start of the last bucket that went out (INT64_MIN:
				       * none): no bucket may open at or before it */
	int64_t last_started_us;      /* start of the last incident (0: none) */
	double h;                     /* the sequential test's threshold */
	struct nodns_reply nodns[NODNS_KEEP]; /* a ring, order does not matter */
	size_t nodns_n, nodns_next;
	/* A sequential test that reached its threshold since the last tick. */
	bool alarm;
	int64_t alarm_started_us;
	char alarm_why[160];
};

static void sequential(struct watch_detect *d, const struct watch_obs *o, bool w);
static void sequential_reset(struct watch_detect *d);
static void baseline(struct watch_detect *d, const struct watch_obs *o);

void watch_tuning_default(struct watch_tuning *t)
{
	*t = (struct watch_tuning){
		.window_us = 3000000, .min_names = 8, .min_zones = 5, .min_servers = 2,
		.nodns_names = 3, .nodns_window_us = 10000000, .far_per_day = 0.01, .updates_per_day = 1e8, .p0_floor = 0.002,
		.big_p1 = 0.5, .small_step = 0.04, .big_min_base = 20, .small_min_base = 200,
		.baseline_us = 600000000, .quiet_us = 4000000, .clean_us = 10000000, .clean_min = 5,
		.down_us = 3000000, .bucket_us = 1000000,
	};
}

double watch_cusum_threshold(const struct watch_tuning *t)
{
	double far = t->far_per_day > 0 ? t->far_per_day : 0.01;
	double upd = t->updates_per_day > far ? t->updates_per_day : far * 2.718281828;
	return log(upd / far);
}

/* The large shift tested for over baseline P0: BIG_P1, or half way from P0
 * to 1 when the baseline is already that high. */
static double big_p1(const struct watch_tuning *t, double p0)
{
	double p1 = t->big_p1;
	return p1 > p0 * 1.5 && p1 < 1 ? p1 : (1 + p0) / 2;
}

double watch_cusum_expected_obs(const struct watch_tuning *t, double p0, double share)
{
	if (p0 < t->p0_floor)
		p0 = t->p0_floor;
	double p1 = big_p1(t, p0);
	double step = share * log(p1 / p0) + (1 - share) * log((1 - p1) / (1 - p0));
	if (step <= 0)
		return INFINITY;
	return watch_cusum_threshold(t) / step;
}

const char *watch_cause_name(enum watch_cause c)
{
	switch (c) {
	case WATCH_CAUSE_ON_PATH: return "on-path";
	case WATCH_CAUSE_RESOLVER: return "resolver";
	case WATCH_CAUSE_DATA: return "data";
	default: return "unknown";
	}
}

struct watch_detect *watch_detect_new(const struct watch_path *paths, size_t npaths,
				      const struct watch_tuning *t)
{
	if (npaths == 0 || npaths > WATCH_PATHS_MAX)
		return NULL;
	struct watch_detect *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	memcpy(d->path, paths, npaths * sizeof *paths);
	d->npaths = npaths;
	if (t)
		d->t = *t;
	else
		watch_tuning_default(&d->t);
	if (d->t.bucket_us <= 0)
		d->t.bucket_us = 1000000;
	d->closed_us = INT64_MIN;
	d->h = watch_cusum_threshold(&d->t);
	return d;
}

void watch_detect_free(struct watch_detect *d)
{
	if (!d)
		return;
	free(d->win);
	free(d->inc);
	free(d);
}

static bool wrong(enum probe_verdict v)
{
	return v == VERDICT_INJECTED || v == VERDICT_POISONED || v == VERDICT_INCONSISTENT;
}

/* Judged: a verdict that says something about the answer (timeouts and
 * server failures say nothing about forgery). A no-DNS address is judged
 * by whether it answered at all. */
static bool judged(const struct watch_detect *d, const struct watch_obs *o)
{
	if (d->path[o->path].kind == WATCH_PATH_NODNS)
		return true;
	return o->verdict == VERDICT_OK || o->verdict == VERDICT_NXDOMAIN || wrong(o->verdict);
}

static bool is_wrong(const struct watch_detect *d, const struct watch_obs *o)
{
	return wrong(o->verdict) || (d->path[o->path].kind == WATCH_PATH_NODNS && o->replied);
}

/* Forgery happening now, as opposed to a cache serving an old one. */
static bool active(const struct watch_detect *d, const struct watch_obs *o)
{
	return o->verdict == VERDICT_INJECTED ||
	       (d->path[o->path].kind == WATCH_PATH_WALK && is_wrong(d, o));
}

static const char *intern_tld(struct watch_detect *d, const char *tld)
{
	for (size_t i = 0; i < d->ntlds; i++)
		if (!strcmp(d->tld[i], tld))
			return d->tld[i];
	if (d->ntlds == WATCH_TLDS_MAX - 1 || strlen(tld) >= sizeof d->tld[0]) {
		if (d->ntlds < WATCH_TLDS_MAX) /* "other" takes the last slot */
			snprintf(d->tld[WATCH_TLDS_MAX - 1], sizeof d->tld[0], "other");
		return d->tld[WATCH_TLDS_MAX - 1];
	}
	snprintf(d->tld[d->ntlds], sizeof d->tld[0], "%s", tld);
	return d->tld[d->ntlds++];
}

/* Add COUNT of ADDR to a (address, count) table, most frequent kept. */
static void addr_count(uint8_t (*addr)[4], uint64_t *cnt, size_t *n, const uint8_t *a,
		       uint64_t count)
{
	for (size_t i = 0; i < *n; i++)
		if (!memcmp(addr[i], a, 4)) {
			cnt[i] += count;
			return;
		}
	if (*n < WATCH_ADDRS_MAX) {
		memcpy(addr[*n], a, 4);
		cnt[(*n)++] = count;
	}
}

/* One forged reply of injector group ID (< 0: none) for incident INC. */
static void group_count(struct watch_incident *inc, int32_t id)
{
	if (id < 0)
		return;
	size_t g = 0;
	while (g < inc->ngroups && inc->group[g] != id)
		g++;
	if (g == inc->ngroups && inc->ngroups < WATCH_GROUPS_MAX)
		inc->group[inc->ngroups++] = id;
	if (g < inc->ngroups)
		inc->group_count[g]++;
}

static void tally(struct watch_count *c, bool j, bool w)
{
	c->judged += j;
	c->wrong += j && w;
}

/* ---- the time series ------------------------------------------------------ */

static void bucket_add(struct watch_detect *d, const struct watch_obs *o, bool j, bool w)
{
	struct path_state *ps = &d->ps[o->path];
	int64_t start = o->time_us - o->time_us % d->t.bucket_us;
	size_t k = (size_t)(start / d->t.bucket_us) % OPEN_BUCKETS;
	struct watch_bucket *b = &ps->open[k];
	if (!ps->used[k] || b->start_us != start) {
		/* Its own bucket may be opened as long as that second has not
		 * gone out yet, even if the path has a newer one open: buckets go
		 * out oldest first over all paths, and a sparse path's (the
		 * walk's) late result belongs to its own second. */
		int64_t newest = -1;
		size_t nk = k;
		for (size_t i = 0; i < OPEN_BUCKETS; i++)
			if (ps->used[i] && ps->open[i].start_us > newest) {
				newest = ps->open[i].start_us;
				nk = i;
			}
		int64_t bstart = start;
		if ((ps->used[k] || start <= d->closed_us) && newest >= 0) {
			/* Its second went out already (a very late result), or
			 * its slot is still held by an older one: counted in the
			 * newest open one. */
			b = &ps->open[nk];
		} else {
			/* Nothing open on the path: a very late result opens the
			 * first second not yet out, never one that would go out
			 * after newer ones (the series would run backwards). */
			if (start <= d->closed_us) {
				bstart = d->closed_us + d->t.bucket_us;
				k = (size_t)(bstart / d->t.bucket_us) % OPEN_BUCKETS;
				b = &ps->open[k];
			}
			memset(b, 0, sizeof *b);
			b->start_us = bstart;
			b->path = o->path;
			ps->used[k] = true;
		}
	}
	tally(&b->all, j, w);
	b->injected += o->verdict == VERDICT_INJECTED;
	b->timeouts += o->verdict == VERDICT_TIMEOUT;
	b->replied += o->replied;
	const char *tld = intern_tld(d, o->tld && *o->tld ? o->tld : ".");
	size_t ti = 0;
	while (ti < b->ntlds && b->tld[ti] != tld)
		ti++;
	if (ti == b->ntlds && b->ntlds < WATCH_TLDS_MAX)
		b->tld[b->ntlds++] = tld;
	if (ti < b->ntlds)
		tally(&b->tld_count[ti], j, w);
	if (w)
		for (unsigned a = 0; a < o->naddrs && a < WATCH_OBS_ADDRS; a++)
			addr_count(b->addr, b->addr_count, &b->naddrs, o->addrs[a], 1);

	size_t h = (size_t)(start / d->t.bucket_us) % HIST_BUCKETS;
	if (ps->hist_start[h] != start) {
		ps->hist_start[h] = start;
		ps->hist[h] = (struct watch_count){0};
	}
	tally(&ps->hist[h], j, w);
}

/* Sort a bucket's addresses by count, most frequent first (a few entries). */
static void sort_addrs(uint8_t (*addr)[4], uint64_t *cnt, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && cnt[k] > cnt[k - 1]; k--) {
			uint64_t c = cnt[k];
			cnt[k] = cnt[k - 1];
			cnt[k - 1] = c;
			uint8_t t[4];
			memcpy(t, addr[k], 4);
			memcpy(addr[k], addr[k - 1], 4);
			memcpy(addr[k - 1], t, 4);
		}
}

/* The wrong share of the affected paths in a closed bucket, for the peak. */
static void peak_account(struct watch_detect *d, const struct watch_bucket *closing)
{
	if (!d->ninc)
		return;
	struct watch_incident *inc = &d->inc[d->ninc - 1];
	if (inc->over || closing->start_us + d->t.bucket_us <= inc->started_us)
		return;
	/* Sum over the affected paths' buckets that start at the same time. */
	struct watch_count sum = {0};
	for (size_t p = 0; p < d->npaths; p++) {
		if (!inc->path_count[p].wrong)
			continue;
		for (size_t k = 0; k < OPEN_BUCKETS; k++)
			if (d->ps[p].used[k] && d->ps[p].open[k].start_us == closing->start_us) {
				sum.judged += d->ps[p].open[k].all.judged;
				sum.wrong += d->ps[p].open[k].all.wrong;
			}
	}
	if (sum.judged >= 5) {
		double s = (double)sum.wrong / (double)sum.judged;
		if (s > inc->peak_share)
			inc->peak_share = s;
	}
}

static void close_buckets(struct watch_detect *d, int64_t now,
			  void (*bucket_fn)(void *, const struct watch_bucket *), void *ctx)
{
	for (;;) {
		/* The oldest bucket due, over all paths, so they go out in time order. */
		int64_t oldest = INT64_MAX;
		for (size_t p = 0; p < d->npaths; p++)
			for (size_t k = 0; k < OPEN_BUCKETS; k++)
				if (d->ps[p].used[k] && d->ps[p].open[k].start_us < oldest)
					oldest = d->ps[p].open[k].start_us;
		if (oldest == INT64_MAX || oldest + d->t.bucket_us + LATE_US > now)
			return;
		bool peaked = false;
		for (size_t p = 0; p < d->npaths; p++)
			for (size_t k = 0; k < OPEN_BUCKETS; k++) {
				struct watch_bucket *b = &d->ps[p].open[k];
				if (!d->ps[p].used[k] || b->start_us != oldest)
					continue;
				if (!peaked) {
					peak_account(d, b);
					peaked = true;
				}
				sort_addrs(b->addr, b->addr_count, b->naddrs);
				if (bucket_fn)
					bucket_fn(ctx, b);
			}
		for (size_t p = 0; p < d->npaths; p++)
			for (size_t k = 0; k < OPEN_BUCKETS; k++)
				if (d->ps[p].used[k] && d->ps[p].open[k].start_us == oldest)
					d->ps[p].used[k] = false;
		d->closed_us = oldest;
	}
}

/* ---- incidents ------------------------------------------------------------ */

static struct watch_incident *cur(struct watch_detect *d)
{
	return d->open ? &d->inc[d->ninc - 1] : NULL;
}

static void incident_account(struct watch_detect *d, struct watch_incident *inc,
			     const struct watch_obs *o)
{
	bool j = judged(d, o), w = j && is_wrong(d, o);
	struct path_state *ps = &d->ps[o->path];
	tally(&inc->path_count[o->path], j, w);
	if (!inc->injection_over) {
		tally(&d->path_inj[o->path], j, w);
		d->path_inj_injected[o->path] += w && o->verdict == VERDICT_INJECTED;
	}
	if (o->tld && *o->tld && !inc->injection_over) {
		size_t i = 0;
		while (i < inc->ntlds && strcmp(inc->tld[i], o->tld))
			i++;
		if (i == inc->ntlds && inc->ntlds < WATCH_TLDS_MAX)
			snprintf(inc->tld[inc->ntlds++], sizeof inc->tld[0], "%s", o->tld);
		if (i < inc->ntlds)
			tally(&d->tld_path[i][o->path], j, w);
	}
	if (!j)
		return;
	if (!w) {
		ps->judged_since_wrong++;
		if (!ps->first_ok_after_wrong_us || o->time_us < ps->first_ok_after_wrong_us)
			if (inc->path_last_wrong_us[o->path] &&
			    o->time_us > inc->path_last_wrong_us[o->path])
				ps->first_ok_after_wrong_us = o->time_us;
		return;
	}
	inc->wrong_total++;
	inc->path_injected[o->path] += o->verdict == VERDICT_INJECTED;
	if (o->time_us > inc->path_last_wrong_us[o->path]) {
		inc->path_last_wrong_us[o->path] = o->time_us;
		ps->judged_since_wrong = 0;
		ps->first_ok_after_wrong_us = 0;
		inc->path_clean_us[o->path] = 0;
	}
	for (unsigned a = 0; a < o->naddrs && a < WATCH_OBS_ADDRS; a++)
		addr_count(inc->addr, inc->addr_count, &inc->naddrs, o->addrs[a], 1);
	if (o->ngroups) {
		for (unsigned k = 0; k < o->ngroups && k < WATCH_OBS_GROUPS; k++)
			if (o->groups[k] > 0)
				group_count(inc, o->groups[k]);
	} else {
		group_count(inc, o->group);
	}
	if (active(d, o)) {
		d->had_active = true;
		if (o->time_us > d->last_active_us)
			d->last_active_us = o->time_us;
	}
}


/*
 * The cause, with the evidence for and against (docs/watch.md, "Cause"):
 * wrong answers from the authoritative servers asked directly from outside
 * mean changed data; replies from an address that runs no DNS, a resolver
 * forged from inside but clean from outside, or two replies racing mean the
 * path; forgery through one resolver only means that resolver.
 */
static void tld_shares(struct watch_detect *d, struct watch_incident *inc)
{
	for (size_t i = 0; i < inc->ntlds; i++) {
		inc->tld_count[i] = (struct watch_count){0};
		for (size_t p = 0; p < d->npaths; p++)
			if (inc->path_count[p].wrong) {
				inc->tld_count[i].judged += d->tld_path[i][p].judged;
				inc->tld_count[i].wrong += d->tld_path[i][p].wrong;
			}
	}
}

static void weigh(struct watch_detect *d, struct watch_incident *inc)
{
	tld_shares(d, inc);
	uint64_t nodns = 0, races = 0, walk_j = 0, walk_w = 0, outres_w = 0;
	size_t lf = 0, la = 0;
	char *f = inc->cause_for, *g = inc->cause_against;
	size_t fc = sizeof inc->cause_for, gc = sizeof inc->cause_against;
	f[0] = g[0] = 0;
	uint8_t wrong_res[WATCH_PATHS_MAX][4];
	size_t nwrong_res = 0;
	bool split = false; /* a resolver forged from inside, clean from outside */
	char a[INET_ADDRSTRLEN];
	for (size_t p = 0; p < d->npaths; p++) {
		const struct watch_path *P = &d->path[p];
		const struct watch_count *c = &inc->path_count[p];
		if (P->kind == WATCH_PATH_NODNS) {
			nodns += c->wrong;
		} else if (P->kind == WATCH_PATH_WALK && P->outside) {
			/* A walk reply that raced another (injected) was forged on
			 * the way, not by the data. Counted while the data (or the
			 * injection) was wrong, not over the tail. */
			walk_j += d->path_inj[p].judged;
			walk_w += d->path_inj[p].wrong - d->path_inj_injected[p];
			races += inc->path_injected[p];
		} else if (P->kind == WATCH_PATH_WALK) {
			/* Walking from inside the border crosses the injector:
			 * its wrong answers say nothing about the data. */
			races += inc->path_injected[p];
		} else {
			races += P->outside ? 0 : inc->path_injected[p];
			if (P->outside)
				outres_w += c->wrong;
			if (c->wrong) {
				size_t i = 0;
				while (i < nwrong_res && memcmp(wrong_res[i], P->addr, 4))
					i++;
				if (i == nwrong_res)
					memcpy(wrong_res[nwrong_res++], P->addr, 4);
			}
			if (c->wrong && !P->outside) {
				for (size_t q = 0; q < d->npaths; q++) {
					const struct watch_path *Q = &d->path[q];
					if (Q->kind == WATCH_PATH_RESOLVER && Q->outside &&
					    !memcmp(Q->addr, P->addr, 4) && inc->path_count[q].judged >= 3 &&
					    inc->path_count[q].wrong == 0 && !split) {
						split = true;
						net_packet_addr_text(AF_INET, P->addr, a, sizeof a);
						lf = text_cat(f, fc, lf, "%sthe resolver %s answered forged from %s but correctly from %s (%llu answers)",
							 lf ? "; " : "", a, P->vantage, Q->vantage,
							 (unsigned long long)inc->path_count[q].judged);
					}
				}
			}
		}
	}
	/* The data is blamed on more than a stray answer: at least 3 wrong
	 * walks and 5% of them (a single odd reply must not outrank hundreds of
	 * no-DNS replies for ever). */
	if (walk_w >= 3 && walk_w * 20 >= walk_j) {
		inc->cause = WATCH_CAUSE_DATA;
		lf = text_cat(f, fc, lf, "%sasked directly from outside, walking down from the root, the authoritative servers gave the wrong answer for %llu of %llu names",
			 lf ? "; " : "", (unsigned long long)walk_w, (unsigned long long)walk_j);
		if (outres_w)
			lf = text_cat(f, fc, lf, "; the resolvers outside the border served it too (%llu answers)",
				 (unsigned long long)outres_w);
		if (nodns)
			la = text_cat(g, gc, la, "%s%llu replies came from addresses that run no DNS (injection on the path as well)",
				 la ? "; " : "", (unsigned long long)nodns);
		else
			la = text_cat(g, gc, la, "%sthe addresses that run no DNS stayed silent: nothing on the path answers for them",
				 la ? "; " : "");
		(void)split;
		return;
	}
	if (nodns || split || races) {
		inc->cause = WATCH_CAUSE_ON_PATH;
		if (nodns)
			lf = text_cat(f, fc, lf, "%s%llu replies came from addresses that run no DNS", lf ? "; " : "",
				 (unsigned long long)nodns);
		if (races)
			lf = text_cat(f, fc, lf, "%s%llu queries drew two racing replies", lf ? "; " : "",
				 (unsigned long long)races);
		if (inc->hop > 0)
			lf = text_cat(f, fc, lf, "%slocate puts the injector at hop %d%s%s", lf ? "; " : "",
				 inc->hop, inc->hop_note[0] ? ": " : "", inc->hop_note);
		if (inc->ngroups)
			lf = text_cat(f, fc, lf, "%s%zu injector fingerprint%s", lf ? "; " : "", inc->ngroups,
				 inc->ngroups == 1 ? "" : "s");
		if (walk_j && !walk_w)
			la = text_cat(g, gc, la, "%snone: asked directly from outside, the authoritative servers gave the right answer for all %llu names",
				 la ? "; " : "", (unsigned long long)walk_j);
		else if (walk_w)
			la = text_cat(g, gc, la, "%sasked directly from outside, the authoritative servers gave a wrong answer for %llu of %llu names",
				 la ? "; " : "", (unsigned long long)walk_w, (unsigned long long)walk_j);
		if (outres_w)
			la = text_cat(g, gc, la, "%sresolvers outside the border served forged answers too (%llu)",
				 la ? "; " : "", (unsigned long long)outres_w);
		if (!la)
			la = text_cat(g, gc, la, "none found");
		return;
	}
	if (nwrong_res == 1) {
		inc->cause = WATCH_CAUSE_RESOLVER;
		net_packet_addr_text(AF_INET, wrong_res[0], a, sizeof a);
		lf = text_cat(f, fc, lf, "only the resolver %s served wrong answers; no address that runs no DNS answered, and no reply raced", a);
		if (walk_j)
			lf = text_cat(f, fc, lf, "; the authoritative servers asked directly gave the right answer for all %llu names",
				 (unsigned long long)walk_j);
		la = text_cat(g, gc, la, "none found");
		return;
	}
	inc->cause = WATCH_CAUSE_UNKNOWN;
	lf = text_cat(f, fc, lf, "%zu resolvers served wrong answers, with no sign of the path or the data", nwrong_res);
	la = text_cat(g, gc, la, "no address that runs no DNS is watched, or none answered");
	(void)lf;
}

/* An observation the signatures may read: inside the window, and after the
 * last incident ended (its wrong answers must not raise another). */
static bool in_window(const struct watch_detect *d, const struct watch_obs *o, int64_t now)
{
	return o->time_us >= now - d->t.window_us && o->time_us > d->quiet_until_us;
}

static void raise_incident(struct watch_detect *d, int64_t now, int64_t started,
			   const char *trigger)
{
	struct watch_incident *ni = realloc(d->inc, (d->ninc + 1) * sizeof *ni);
	if (!ni)
		return; /* out of memory: not raised now, tried again at the next tick */
	d->inc = ni;
	struct watch_incident *inc = &d->inc[d->ninc++];
	memset(inc, 0, sizeof *inc);
	inc->id = (int)d->ninc;
	inc->started_us = started;
	inc->raised_us = now;
	snprintf(inc->trigger, sizeof inc->trigger, "%s", trigger);
	d->open = true;
	d->last_started_us = started;
	sequential_reset(d);
	memset(d->tld_path, 0, sizeof d->tld_path);
	memset(d->path_inj, 0, sizeof d->path_inj);
	memset(d->path_inj_injected, 0, sizeof d->path_inj_injected);
	d->last_active_us = 0;
	d->had_active = false;
	for (size_t p = 0; p < d->npaths; p++)
		d->ps[p].judged_since_wrong = 0, d->ps[p].first_ok_after_wrong_us = 0;
	/* What the window holds is the incident's first evidence. */
	for (size_t i = 0; i < d->win_n; i++) {
		const struct watch_obs *o = &d->win[(d->win_head + i) % d->win_cap];
		if (in_window(d, o, now))
			incident_account(d, inc, o);
	}
	weigh(d, inc);
}

bool watch_obs_judged(const struct watch_detect *d, const struct watch_obs *o, bool *wrong)
{
	bool j = o->path < d->npaths && judged(d, o);
	*wrong = j && is_wrong(d, o);
	return j;
}

int watch_detect_add(struct watch_detect *d, const struct watch_obs *o)
{
	if (o->path >= d->npaths)
		return -1;
	bool j = judged(d, o), w = j && is_wrong(d, o);
	struct path_state *ps = &d->ps[o->path];
	bucket_add(d, o, j, w);
	if (!ps->first_obs_us || o->time_us < ps->first_obs_us)
		ps->first_obs_us = o->time_us;
	if (o->time_us > ps->last_obs_us)
		ps->last_obs_us = o->time_us;
	if (o->replied && o->time_us > ps->last_reply_us)
		ps->last_reply_us = o->time_us;
	if (d->win_n == d->win_cap) {
		size_t ncap = d->win_cap ? d->win_cap * 2 : 256;
		struct watch_obs *nw = malloc(ncap * sizeof *nw);
		if (!nw)
			return -1;
		for (size_t i = 0; i < d->win_n; i++)
			nw[i] = d->win[(d->win_head + i) % d->win_cap];
		free(d->win);
		d->win = nw;
		d->win_cap = ncap;
		d->win_head = 0;
	}
	struct watch_obs *slot = &d->win[(d->win_head + d->win_n++) % d->win_cap];
	*slot = *o;
	slot->tld = intern_tld(d, o->tld && *o->tld ? o->tld : ".");
	if (d->path[o->path].kind == WATCH_PATH_NODNS && o->replied) {
		d->nodns[d->nodns_next] = (struct nodns_reply){o->time_us, o->name, o->path};
		d->nodns_next = (d->nodns_next + 1) % NODNS_KEEP;
		if (d->nodns_n < NODNS_KEEP)
			d->nodns_n++;
	}
	if (d->open)
		incident_account(d, cur(d), slot);
	else if (j)
		sequential(d, slot, w);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static size_t distinct(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_u64);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		k += v[i] != v[i - 1];
	return k;
}

/* Signature 1: one address answering many unrelated names in the window. */
static bool few_addresses(struct watch_detect *d, int64_t now, int64_t *started, char *why,
			  size_t cap)
{
	uint8_t seen[64][4];
	size_t nseen = 0;
	for (size_t i = 0; i < d->win_n; i++) {
		const struct watch_obs *o = &d->win[(d->win_head + i) % d->win_cap];
		if (!in_window(d, o, now) || !judged(d, o) || !is_wrong(d, o))
			continue;
		for (unsigned a = 0; a < o->naddrs && a < WATCH_OBS_ADDRS; a++) {
			size_t k = 0;
			while (k < nseen && memcmp(seen[k], o->addrs[a], 4))
				k++;
			if (k == nseen && nseen < 64)
				memcpy(seen[nseen++], o->addrs[a], 4);
		}
	}
	uint64_t *names = malloc(3 * (d->win_n + 1) * sizeof *names);
	if (!names)
		return false;
	uint64_t *zones = names + d->win_n + 1, *servers = zones + d->win_n + 1;
	bool hit = false;
	for (size_t k = 0; k < nseen && !hit; k++) {
		size_t n = 0;
		int64_t first = INT64_MAX;
		for (size_t i = 0; i < d->win_n; i++) {
			const struct watch_obs *o = &d->win[(d->win_head + i) % d->win_cap];
			if (!in_window(d, o, now) || !judged(d, o) || !is_wrong(d, o))
				continue;
			for (unsigned a = 0; a < o->naddrs && a < WATCH_OBS_ADDRS; a++)
				if (!memcmp(o->addrs[a], seen[k], 4)) {
					names[n] = o->name;
					zones[n] = o->zone;
					servers[n] = o->server;
					n++;
					if (o->time_us < first)
						first = o->time_us;
					break;
				}
		}
		size_t dn = distinct(names, n), dz = distinct(zones, n), ds = distinct(servers, n);
		if (dn >= d->t.min_names && dz >= d->t.min_zones && ds >= d->t.min_servers) {
			char a[INET_ADDRSTRLEN];
			net_packet_addr_text(AF_INET, seen[k], a, sizeof a);
			snprintf(why, cap, "%s answered %zu names in %zu zones on %zu servers within %.0f s",
				 a, dn, dz, ds, (double)d->t.window_us / 1e6);
			*started = first;
			hit = true;
		}
	}
	free(names);
	return hit;
}

/* Rule 2: replies from the addresses that run no DNS, NODNS_NAMES of them
 * (distinct names per path: the same name forged on two paths is two
 * forgeries, a reply repeated on one path is one) within NODNS_WINDOW, over
 * all no-DNS paths together. Forgery by definition: no baseline, and a
 * window longer than the others (what counts is how many, not how fast: a
 * panel holding few of the forged names gives few replies a round). */
static bool nodns_burst(struct watch_detect *d, int64_t now, int64_t *started, char *why,
			size_t cap)
{
	if (!d->t.nodns_names)
		return false;
	struct nodns_reply r[NODNS_KEEP];
	size_t n = 0;
	for (size_t i = 0; i < d->nodns_n; i++) {
		const struct nodns_reply *x = &d->nodns[i];
		if (x->time_us >= now - d->t.nodns_window_us && x->time_us > d->quiet_until_us)
			r[n++] = *x;
	}
	size_t pairs = 0, names = 0;
	int64_t first = INT64_MAX;
	bool on[WATCH_PATHS_MAX] = {0};
	for (size_t i = 0; i < n; i++) {
		bool pair_seen = false, name_seen = false;
		for (size_t k = 0; k < i; k++) {
			name_seen |= r[k].name == r[i].name;
			pair_seen |= r[k].name == r[i].name && r[k].path == r[i].path;
		}
		pairs += !pair_seen;
		names += !name_seen;
		on[r[i].path] = true;
		if (r[i].time_us < first)
			first = r[i].time_us;
	}
	if (pairs < d->t.nodns_names)
		return false;
	size_t len = (size_t)snprintf(why, cap, "addresses that run no DNS answered %zu times for %zu names within %.0f s on",
				      pairs, names, (double)d->t.nodns_window_us / 1e6);
	for (size_t p = 0; p < d->npaths; p++)
		if (on[p])
			len = text_cat(why, cap, len, " %s", d->path[p].label);
	*started = first;
	return true;
}

/* ---- rule 3: the sequential test ------------------------------------------ */

/* The baseline share of series S, taken high: the upper end of a Wilson
 * interval with Z standard deviations (a short baseline is uncertain, and
 * the false-alarm bound holds only if the true share is at most p0). A
 * TLD's or a server's series that has seen few answers borrows up to
 * PRIOR_N answers at its path's share (PATH, NULL for the path's own):
 * a small TLD the panel holds two names of would otherwise take minutes
 * to have a baseline at all, and its forged answers would become it. */
#define PRIOR_N 50.0
static double baseline_n(const struct series *s, const struct series *path)
{
	double k = path ? (path->base_j < PRIOR_N ? path->base_j : PRIOR_N) : 0;
	return s->base_j + k;
}

static double baseline_p0(const struct watch_detect *d, const struct series *s,
			  const struct series *path, double z)
{
	double k = path ? (path->base_j < PRIOR_N ? path->base_j : PRIOR_N) : 0;
	double pk = k > 0 ? path->base_w / path->base_j : 0;
	double n = s->base_j + k, ph = n > 0 ? (s->base_w + k * pk) / n : 0;
	double z2 = z * z;
	double up = (ph + z2 / (2 * n) + z * sqrt(ph * (1 - ph) / n + z2 / (4 * n * n))) / (1 + z2 / n);
	return up < d->t.p0_floor ? d->t.p0_floor : up;
}

static void cusum_reset(struct cusum *c)
{
	c->s = 0;
	c->first_wrong_us = 0;
	c->judged = c->wrong = 0;
}

/* One answer (W: wrong) at time T into test C with shares P0 and P1;
 * true when it reaches H. */
static bool cusum_step(struct cusum *c, double p0, double p1, bool w, int64_t t, double h)
{
	c->p0 = p0, c->p1 = p1;
	double step = w ? log(p1 / p0) : log((1 - p1) / (1 - p0));
	c->s += step;
	if (c->s <= 0) {
		cusum_reset(c);
		return false;
	}
	c->judged++;
	c->wrong += w;
	if (w && (!c->first_wrong_us || t < c->first_wrong_us))
		c->first_wrong_us = t;
	return c->s >= h;
}

static void series_alarm(struct watch_detect *d, const struct cusum *c, const char *what)
{
	if (d->alarm)
		return;
	char t0[32];
	watch_time_text(c->first_wrong_us, t0, sizeof t0);
	snprintf(d->alarm_why, sizeof d->alarm_why,
		 "wrong answers %s: %llu of %llu since %s against a baseline of %.1f%% (CUSUM %.1f >= %.1f)",
		 what, (unsigned long long)c->wrong, (unsigned long long)c->judged, t0, 100 * c->p0, c->s, d->h);
	d->alarm = true;
	d->alarm_started_us = c->first_wrong_us;
}

static void series_test(struct watch_detect *d, struct series *s, const struct series *path,
			const struct watch_obs *o, bool w, const char *what)
{
	if (baseline_n(s, path) >= d->t.big_min_base) {
		double p0 = baseline_p0(d, s, path, 2);
		if (p0 < 0.95 && cusum_step(&s->big, p0, big_p1(&d->t, p0), w, o->time_us, d->h)) {
			series_alarm(d, &s->big, what);
			cusum_reset(&s->big);
		}
	}
	if (s->base_j >= d->t.small_min_base) {
		double p0 = baseline_p0(d, s, NULL, 3);
		double p1 = p0 + d->t.small_step > 3 * p0 ? p0 + d->t.small_step : 3 * p0;
		if (p1 < big_p1(&d->t, p0) && cusum_step(&s->small, p0, p1, w, o->time_us, d->h)) {
			series_alarm(d, &s->small, what);
			cusum_reset(&s->small);
		}
	}
}

static struct series *server_series(struct path_state *ps, uint64_t server, bool make)
{
	for (size_t i = 0; i < WATCH_SERVERS_MAX; i++) {
		struct series *s = &ps->srv[i];
		if (s->used && s->key == server)
			return s;
		if (!s->used) {
			if (!make)
				return NULL;
			s->used = true;
			s->key = server;
			return s;
		}
	}
	return NULL; /* more servers than kept: not tested apart */
}

static size_t tld_slot(const struct watch_detect *d, const char *interned)
{
	for (size_t i = 0; i < WATCH_TLDS_MAX; i++)
		if (interned == d->tld[i])
			return i;
	return WATCH_TLDS_MAX - 1;
}

/* Feed a judged answer to its path's tests (not while an incident is open:
 * nothing new is raised then; not a no-DNS path's: rule 2 covers it). */
static void sequential(struct watch_detect *d, const struct watch_obs *o, bool w)
{
	if (d->open || d->path[o->path].kind == WATCH_PATH_NODNS || o->time_us <= d->quiet_until_us)
		return;
	struct path_state *ps = &d->ps[o->path];
	const char *label = d->path[o->path].label;
	char what[96];
	snprintf(what, sizeof what, "on %s", label);
	series_test(d, &ps->all, NULL, o, w, what);
	snprintf(what, sizeof what, "on %s for .%s", label, o->tld);
	series_test(d, &ps->tld[tld_slot(d, o->tld)], &ps->all, o, w, what);
	struct series *sv = o->server ? server_series(ps, o->server, false) : NULL;
	if (sv) {
		snprintf(what, sizeof what, "on %s for one authoritative server's zones (.%s)", label, o->tld);
		series_test(d, sv, &ps->all, o, w, what);
	}
}

static void base_add(const struct watch_detect *d, struct series *s, int64_t t, bool w)
{
	/* A series whose test is well on its way (S at a quarter of the
	 * threshold: rare under the baseline) keeps its baseline as it was: the
	 * answers that drive the test must not raise the share it is tested
	 * against while it accumulates (a slow series would never raise). */
	if (s->big.s >= d->h / 4 || s->small.s >= d->h / 4)
		return;
	if (s->base_t && t > s->base_t) {
		double k = exp(-(double)(t - s->base_t) / (double)d->t.baseline_us);
		s->base_j *= k;
		s->base_w *= k;
	}
	if (t > s->base_t)
		s->base_t = t;
	s->base_j += 1;
	s->base_w += w;
}

/* An answer leaving the window joins its series' baselines, unless it
 * belongs to an incident (the baseline is the network's ordinary state). */
static void baseline(struct watch_detect *d, const struct watch_obs *o)
{
	if (d->open || (d->last_started_us && o->time_us >= d->last_started_us - d->t.window_us &&
			o->time_us <= d->quiet_until_us))
		return;
	if (!judged(d, o) || d->path[o->path].kind == WATCH_PATH_NODNS)
		return;
	bool w = is_wrong(d, o);
	struct path_state *ps = &d->ps[o->path];
	base_add(d, &ps->all, o->time_us, w);
	base_add(d, &ps->tld[tld_slot(d, o->tld)], o->time_us, w);
	struct series *sv = o->server ? server_series(ps, o->server, true) : NULL;
	if (sv)
		base_add(d, sv, o->time_us, w);
}

static void sequential_reset(struct watch_detect *d)
{
	for (size_t p = 0; p < d->npaths; p++) {
		struct path_state *ps = &d->ps[p];
		cusum_reset(&ps->all.big), cusum_reset(&ps->all.small);
		for (size_t i = 0; i < WATCH_TLDS_MAX; i++)
			cusum_reset(&ps->tld[i].big), cusum_reset(&ps->tld[i].small);
		for (size_t i = 0; i < WATCH_SERVERS_MAX; i++)
			cusum_reset(&ps->srv[i].big), cusum_reset(&ps->srv[i].small);
	}
	d->alarm = false;
}

static void follow(struct watch_detect *d, int64_t now,
		   void (*event_fn)(void *, const struct watch_event *), void *ctx)
{
	struct watch_incident *inc = cur(d);
	struct watch_event ev = {.time_us = now, .inc = inc};
	/* The injection: over after quiet_us without an active forgery. */
	if (d->had_active && !inc->injection_over && now - d->last_active_us >= d->t.quiet_us) {
		inc->injection_over = true;
		inc->injection_end_us = d->last_active_us;
		ev.kind = WATCH_EV_INJECTION_OVER;
		if (event_fn)
			event_fn(ctx, &ev);
	} else if (inc->injection_over && d->last_active_us > inc->injection_end_us) {
		inc->injection_over = false;
		inc->injection_end_us = 0;
		ev.kind = WATCH_EV_INJECTION_AGAIN;
		if (event_fn)
			event_fn(ctx, &ev);
	}
	if (d->had_active && !inc->injection_over)
		return;
	/* Each path that served a forgery: clean after clean_us without one. */
	bool all_clean = true;
	int64_t last = 0;
	for (size_t p = 0; p < d->npaths; p++) {
		if (!inc->path_last_wrong_us[p])
			continue;
		if (inc->path_last_wrong_us[p] > last)
			last = inc->path_last_wrong_us[p];
		/* A path that stopped answering cannot show its tail's end:
		 * it does not hold the incident open (its down event says so). */
		if (d->ps[p].down)
			continue;
		if (!inc->path_clean_us[p]) {
			if (now - inc->path_last_wrong_us[p] >= d->t.clean_us &&
			    d->ps[p].judged_since_wrong >= d->t.clean_min) {
				inc->path_clean_us[p] = d->ps[p].first_ok_after_wrong_us
								? d->ps[p].first_ok_after_wrong_us
								: inc->path_last_wrong_us[p] + 1;
				ev.kind = WATCH_EV_PATH_CLEAN;
				ev.path = (unsigned)p;
				if (event_fn)
					event_fn(ctx, &ev);
			} else {
				all_clean = false;
			}
		}
	}
	if (all_clean) {
		inc->over = true;
		inc->ended_us = last;
		d->open = false;
		d->quiet_until_us = now;
		sequential_reset(d);
		ev.kind = WATCH_EV_ENDED;
		if (event_fn)
			event_fn(ctx, &ev);
	}
}

static void path_health(struct watch_detect *d, int64_t now,
			void (*event_fn)(void *, const struct watch_event *), void *ctx)
{
	for (size_t p = 0; p < d->npaths; p++) {
		struct path_state *ps = &d->ps[p];
		if (d->path[p].kind == WATCH_PATH_NODNS || !ps->last_obs_us)
			continue; /* silence is what a no-DNS address should give */
		struct watch_event ev = {.time_us = now, .path = (unsigned)p};
		/* Asked recently, and nothing came back for down_us. */
		int64_t since = ps->last_reply_us ? ps->last_reply_us : ps->first_obs_us;
		if (!ps->down && ps->last_obs_us - since >= d->t.down_us) {
			ps->down = true;
			ev.kind = WATCH_EV_PATH_DOWN;
			if (event_fn)
				event_fn(ctx, &ev);
		} else if (ps->down && ps->last_reply_us > ps->last_obs_us - d->t.down_us) {
			ps->down = false;
			ev.kind = WATCH_EV_PATH_UP;
			if (event_fn)
				event_fn(ctx, &ev);
		}
	}
}

void watch_detect_tick(struct watch_detect *d, int64_t now,
		       void (*bucket_fn)(void *, const struct watch_bucket *),
		       void (*event_fn)(void *, const struct watch_event *), void *ctx)
{
	/* The window: observations of the last window_us (by the time asked). */
	while (d->win_n && d->win[d->win_head].time_us < now - d->t.window_us - LATE_US) {
		baseline(d, &d->win[d->win_head]);
		d->win_head = (d->win_head + 1) % d->win_cap;
		d->win_n--;
	}
	close_buckets(d, now, bucket_fn, ctx);
	path_health(d, now, event_fn, ctx);
	if (d->open) {
		weigh(d, cur(d));
		follow(d, now, event_fn, ctx);
		return;
	}
	char why[160];
	int64_t started = 0;
	bool hit = few_addresses(d, now, &started, why, sizeof why) ||
		   nodns_burst(d, now, &started, why, sizeof why);
	if (!hit && d->alarm) {
		snprintf(why, sizeof why, "%s", d->alarm_why);
		started = d->alarm_started_us;
		hit = true;
	}
	if (hit) {
		raise_incident(d, now, started, why);
		if (d->open && event_fn) {
			struct watch_event ev = {.kind = WATCH_EV_RAISED, .time_us = now, .inc = cur(d)};
			event_fn(ctx, &ev);
		}
	}
}

void watch_detect_flush_series(struct watch_detect *d,
			       void (*bucket_fn)(void *, const struct watch_bucket *), void *ctx)
{
	close_buckets(d, INT64_MAX - LATE_US - d->t.bucket_us, bucket_fn, ctx);
}

void watch_detect_set_hop(struct watch_detect *d, int hop, const char *note)
{
	if (!d->ninc)
		return;
	struct watch_incident *inc = &d->inc[d->ninc - 1];
	inc->hop = hop;
	snprintf(inc->hop_note, sizeof inc->hop_note, "%s", note ? note : "");
	weigh(d, inc);
}

void watch_detect_set_hop_router(struct watch_detect *d, const char *router)
{
	if (!d->ninc)
		return;
	struct watch_incident *inc = &d->inc[d->ninc - 1];
	snprintf(inc->hop_router, sizeof inc->hop_router, "%s", router ? router : "");
}

const struct watch_incident *watch_detect_open(const struct watch_detect *d)
{
	return d->open ? &d->inc[d->ninc - 1] : NULL;
}

const struct watch_incident *watch_detect_last(const struct watch_detect *d)
{
	return d->ninc ? &d->inc[d->ninc - 1] : NULL;
}

size_t watch_detect_count(const struct watch_detect *d)
{
	return d->ninc;
}

uint64_t watch_gather_wait_us(uint32_t hold_ms)
{
	uint64_t hold = (uint64_t)hold_ms * 1000u;
	uint64_t want = hold + 500000;
	uint64_t room = LATE_US > hold + 1000000 ? LATE_US - hold - 1000000 : 0;
	return want < room ? want : room;
}

void watch_time_text(int64_t us, char *buf, size_t cap)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;
	size_t n;
	if (!us || !gmtime_r(&s, &tm) || !(n = strftime(buf, cap, "%H:%M:%S", &tm)))
		snprintf(buf, cap, "-");
	else
		text_cat(buf, cap, n, ".%01d", (int)(us % 1000000 / 100000));
}

size_t watch_incident_summary(const struct watch_detect *d, const struct watch_incident *inc,
			      char *buf, size_t cap)
{
	size_t n = 0;
	char t0[32], t1[32], a[INET_ADDRSTRLEN];
	watch_time_text(inc->started_us, t0, sizeof t0);
	watch_time_text(inc->raised_us, t1, sizeof t1);
	buf[0] = 0;
	n = text_cat(buf, cap, n, "Incident %d, from %s UTC (raised %.1f s later): ", inc->id, t0,
		(double)(inc->raised_us - inc->started_us) / 1e6);
	for (size_t i = 0; i < inc->naddrs && i < 4; i++) {
		net_packet_addr_text(AF_INET, inc->addr[i], a, sizeof a);
		n = text_cat(buf, cap, n, "%s%s", i ? ", " : "", a);
	}
	n = text_cat(buf, cap, n, "%s answered in place of the real addresses for", inc->naddrs ? "" : "wrong answers");
	size_t shown = 0;
	for (size_t i = 0; i < inc->ntlds; i++) {
		const struct watch_count *c = &inc->tld_count[i];
		if (!c->wrong)
			continue;
		n = text_cat(buf, cap, n, "%s .%s (%.0f%%)", shown++ ? "," : "", inc->tld[i],
			100.0 * (double)c->wrong / (double)c->judged);
	}
	size_t untouched = 0;
	for (size_t i = 0; i < inc->ntlds; i++)
		if (!inc->tld_count[i].wrong && inc->tld_count[i].judged)
			n = text_cat(buf, cap, n, "%s .%s", untouched++ ? "," : "; untouched:", inc->tld[i]);
	n = text_cat(buf, cap, n, "; paths:");
	for (size_t p = 0; p < d->npaths; p++) {
		const struct watch_count *c = &inc->path_count[p];
		if (c->judged)
			n = text_cat(buf, cap, n, " %s %llu/%llu", d->path[p].label,
				(unsigned long long)c->wrong, (unsigned long long)c->judged);
	}
	n = text_cat(buf, cap, n, "; peak share %.0f%%; %llu forged answers seen. Cause: %s. For: %s. Against: %s.",
		100 * inc->peak_share, (unsigned long long)inc->wrong_total,
		watch_cause_name(inc->cause), inc->cause_for, inc->cause_against);
	if (inc->injection_end_us) {
		watch_time_text(inc->injection_end_us, t0, sizeof t0);
		n = text_cat(buf, cap, n, inc->cause == WATCH_CAUSE_DATA
					     ? " The authoritative servers answered wrongly until %s."
					     : " Injection ended %s.", t0);
	}
	for (size_t p = 0; p < d->npaths; p++)
		if (inc->path_last_wrong_us[p] && d->path[p].kind == WATCH_PATH_RESOLVER &&
		    inc->injection_end_us && inc->path_last_wrong_us[p] > inc->injection_end_us)
			n = text_cat(buf, cap, n, " %s served forged answers from its cache %.1f s after that%s.",
				d->path[p].label,
				(double)(inc->path_last_wrong_us[p] - inc->injection_end_us) / 1e6,
				inc->path_clean_us[p] ? ", then clean" : d->ps[p].down ? ", then stopped answering" : ", still going");
	if (inc->over) {
		watch_time_text(inc->ended_us, t0, sizeof t0);
		n = text_cat(buf, cap, n, " Over at %s (last forged answer).", t0);
	}
	return n;
}
