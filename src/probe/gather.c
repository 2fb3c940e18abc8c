/* A name's results, gathered and judged together (see gather.h). */
#include "probe/gather.h"

#include <stdlib.h>

#include "probe/classify.h"
#include "util/hash.h"

/* Names in flight: a ring indexed by their numbers, at most half full,
 * and beside it a hash for a name whose place in the ring is taken. The
 * engine announces names in the order of their numbers and finishes them
 * in nearly that order, so the entries it touches are next to each other
 * and the hash stays empty; a hash alone (an allocated entry each) cost a
 * cache miss a result. Names far apart (a resumed run skipping most of
 * its input) take the hash for the few that meet in the ring. */
#define RING_MIN 4096
#define OVER_BUCKETS 4096
#define PER_NAME (PROBE_TARGETS_MAX * PROBE_QTYPES_MAX)
#define NONE UINT64_MAX

/* One name in flight. */
struct entry {
	uint64_t seq;
	bool used;                     /* a ring place: holds a name */
	bool judged;                   /* judged once (its wait ran out): the rest alone */
	unsigned expect, have;         /* results announced, arrived */
	unsigned held;                 /* arrived and not judged yet: r[0..held) */
	uint64_t first_us;             /* when the first held result came */
	struct probe_result **r;       /* room for `expect` of them, made when the first
					* is held (most names are judged as their one
					* result comes, and never hold any) */
	unsigned room;
	uint64_t wprev, wnext;         /* the waiting queue (held results), by first_us:
					* names' numbers (a ring entry moves when it
					* grows), NONE at the ends */
	struct entry *next;            /* the hash's chain */
};

struct probe_gather {
	struct probe_gather_opts o;
	struct entry *ring;
	size_t mask;                   /* ring size - 1 */
	size_t live;                   /* names in the ring */
	struct entry **over;           /* the hash, OVER_BUCKETS chains (made when needed) */
	size_t over_n;
	uint64_t whead, wtail;         /* names holding results, oldest first; NONE */
	struct dw_error failed;        /* a failure probe_gather_expect could not return */
};

struct probe_gather *probe_gather_new(const struct probe_gather_opts *opts)
{
	struct probe_gather *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->ring = calloc(RING_MIN, sizeof *g->ring);
	if (!g->ring) {
		free(g);
		return NULL;
	}
	g->o = *opts;
	g->mask = RING_MIN - 1;
	g->whead = g->wtail = NONE;
	return g;
}

/* The hash's chain for name SEQ (mixed: far-apart numbers are often
 * multiples of a power of two). */
static struct entry **chain(struct probe_gather *g, uint64_t seq)
{
	return &g->over[hash_fmix64(seq) % OVER_BUCKETS];
}

static bool in_ring(const struct probe_gather *g, const struct entry *e)
{
	return e >= g->ring && e <= g->ring + g->mask;
}

static struct entry *find(struct probe_gather *g, uint64_t seq)
{
	struct entry *e = &g->ring[seq & g->mask];
	if (e->used && e->seq == seq)
		return e;
	if (!g->over_n)
		return NULL;
	for (e = *chain(g, seq); e; e = e->next)
		if (e->seq == seq)
			return e;
	return NULL;
}

/* The ring doubled, its names moved over (two never meet: one more bit of
 * their numbers tells them apart), and those of the hash whose places
 * are free. */
static int grow(struct probe_gather *g)
{
	size_t size = 2 * (g->mask + 1);
	struct entry *ring = calloc(size, sizeof *ring);
	if (!ring)
		return -1;
	for (size_t i = 0; i <= g->mask; i++)
		if (g->ring[i].used)
			ring[g->ring[i].seq & (size - 1)] = g->ring[i];
	for (size_t b = 0; g->over_n && b < OVER_BUCKETS; b++)
		for (struct entry **p = &g->over[b]; *p;) {
			struct entry *e = *p, *to = &ring[e->seq & (size - 1)];
			if (to->used) {
				p = &e->next;
				continue;
			}
			*p = e->next;
			*to = *e;
			to->used = true;
			to->next = NULL;
			free(e);
			g->over_n--;
			g->live++;
		}
	free(g->ring);
	g->ring = ring;
	g->mask = size - 1;
	return 0;
}

/* A new entry for name SEQ (not held yet), or NULL if out of memory. */
static struct entry *add(struct probe_gather *g, uint64_t seq)
{
	if (2 * (g->live + 1) > g->mask + 1 && grow(g))
		return NULL;
	struct entry *e = &g->ring[seq & g->mask];
	if (!e->used) {
		g->live++;
	} else {
		if (!g->over && !(g->over = calloc(OVER_BUCKETS, sizeof *g->over)))
			return NULL;
		if (!(e = malloc(sizeof *e)))
			return NULL;
		e->next = *chain(g, seq);
		*chain(g, seq) = e;
		g->over_n++;
	}
	struct entry *next = e->next;
	*e = (struct entry){.seq = seq, .used = true, .wprev = NONE, .wnext = NONE, .next = next};
	return e;
}

static void queue_push(struct probe_gather *g, struct entry *e)
{
	e->wnext = NONE;
	e->wprev = g->wtail;
	if (g->wtail != NONE)
		find(g, g->wtail)->wnext = e->seq;
	else
		g->whead = e->seq;
	g->wtail = e->seq;
}

static void queue_remove(struct probe_gather *g, struct entry *e)
{
	if (e->wprev != NONE)
		find(g, e->wprev)->wnext = e->wnext;
	else
		g->whead = e->wnext;
	if (e->wnext != NONE)
		find(g, e->wnext)->wprev = e->wprev;
	else
		g->wtail = e->wprev;
	e->wprev = e->wnext = NONE;
}

static void entry_free(struct entry *e)
{
	for (unsigned i = 0; i < e->held; i++)
		free(e->r[i]);
	free(e->r);
	e->r = NULL;
	e->held = 0;
}

/* E out of the gather and freed (it holds nothing by then). */
static void drop(struct probe_gather *g, struct entry *e)
{
	entry_free(e);
	if (in_ring(g, e)) {
		e->used = false;
		g->live--;
		return;
	}
	struct entry **p = chain(g, e->seq);
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	free(e);
	g->over_n--;
}

/* SET[0..N) judged together, then each to the callback in its order. */
static void judge(struct probe_gather *g, struct probe_result *const *set, size_t n)
{
	classify_judge_name(g->o.cls, set, n, g->o.cfg->target, g->o.control_target);
	for (size_t i = 0; i < n; i++)
		g->o.judged(g->o.ctx, set[i]);
}

/* What E holds judged and freed; E leaves the waiting queue. */
static void release(struct probe_gather *g, struct entry *e)
{
	queue_remove(g, e);
	judge(g, e->r, e->held);
	for (unsigned i = 0; i < e->held; i++)
		free(e->r[i]);
	e->held = 0;
}

/* Every entry freed: the gather empty. */
static void clear(struct probe_gather *g)
{
	for (size_t i = 0; i <= g->mask; i++)
		if (g->ring[i].used)
			drop(g, &g->ring[i]);
	for (size_t b = 0; g->over_n && b < OVER_BUCKETS; b++)
		while (g->over[b])
			drop(g, g->over[b]);
}

void probe_gather_free(struct probe_gather *g)
{
	if (!g)
		return;
	clear(g);
	free(g->ring);
	free(g->over);
	free(g);
}

void probe_gather_expect(struct probe_gather *g, uint64_t seq)
{
	struct entry *e = find(g, seq);
	if (!e && !(e = add(g, seq))) {
		if (g->failed.status == DW_OK)
			dw_error_set(&g->failed, DW_E_NOMEM,
				     "out of memory noting the results of name %llu",
				     (unsigned long long)seq);
		return;
	}
	e->expect += (unsigned)g->o.cfg->nqtypes;
}

void probe_gather_tick(struct probe_gather *g, uint64_t now_us)
{
	if (g->o.wait_us == PROBE_GATHER_NO_BOUND)
		return;
	/* The queue is in the order of first results, and the bound the same
	 * for every name: the overdue ones are at its head. */
	struct entry *e;
	while (g->whead != NONE && now_us >= (e = find(g, g->whead))->first_us &&
	       now_us - e->first_us > g->o.wait_us) {
		release(g, e);
		e->judged = true;
	}
}

int probe_gather_result(struct probe_gather *g, struct probe_result *r, uint64_t now_us,
			struct dw_error *err)
{
	if (g->failed.status != DW_OK) {
		if (err)
			*err = g->failed;
		return -1;
	}
	struct entry *e = find(g, r->seq);
	if (!e || e->have >= e->expect || e->have >= PER_NAME)
		return dw_error_set(err, DW_E_STATE,
				    "a result nobody announced (name %llu, target %u): %s",
				    (unsigned long long)r->seq, r->target,
				    e ? "its name has all its results" : "no such name in flight");
	if (e->judged || (e->held == 0 && e->have + 1 == e->expect)) {
		/* Its name judged already (the wait ran out), or nothing to wait
		 * for: judged alone, as it came, without a copy. */
		struct probe_result *one[1] = {r};
		if (++e->have == e->expect)
			drop(g, e);
		judge(g, one, 1);
	} else {
		if (e->held == e->room) {
			unsigned room = e->expect < PER_NAME ? e->expect : PER_NAME;
			struct probe_result **more = room > e->room ? realloc(e->r, room * sizeof *more) : NULL;
			if (!more)
				return dw_error_set(err, DW_E_NOMEM,
						    "out of memory holding a result of name %llu",
						    (unsigned long long)r->seq);
			e->r = more;
			e->room = room;
		}
		struct probe_result *copy = malloc(sizeof *copy);
		if (!copy)
			return dw_error_set(err, DW_E_NOMEM, "out of memory holding a result of name %llu",
					    (unsigned long long)r->seq);
		*copy = *r;
		e->have++;
		e->r[e->held++] = copy;
		if (e->held == 1) {
			e->first_us = now_us;
			queue_push(g, e);
		}
		if (e->have == e->expect) {
			release(g, e);
			drop(g, e);
		}
	}
	probe_gather_tick(g, now_us);
	return 0;
}

void probe_gather_flush(struct probe_gather *g)
{
	while (g->whead != NONE) {
		struct entry *e = find(g, g->whead);
		release(g, e);
		e->judged = true;
	}
	/* What is left holds nothing: names none of whose results came, or
	 * whose rest never will. */
	clear(g);
}
