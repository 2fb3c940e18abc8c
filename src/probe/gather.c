/* A name's results, gathered and judged together (see gather.h). */
#include "probe/gather.h"

#include <stdlib.h>

#include "probe/classify.h"

/* Names in flight: the engine's feed of several threads runs a few
 * thousand names ahead of their results. */
#define BUCKETS 65536
#define PER_NAME (PROBE_TARGETS_MAX * PROBE_QTYPES_MAX)

/* One name in flight. */
struct entry {
	uint64_t seq;
	unsigned expect, have;         /* results announced, arrived */
	unsigned held;                 /* arrived and not judged yet: r[0..held) */
	bool judged;                   /* judged once (its wait ran out): the rest alone */
	uint64_t first_us;             /* when the first held result came */
	struct probe_result **r;       /* room for `expect` of them, made when the first
					* is held (most names are judged as their one
					* result comes, and never hold any) */
	unsigned room;
	struct entry *next;            /* the hash chain */
	struct entry *wprev, *wnext;   /* the waiting queue (held results), by first_us */
};

struct probe_gather {
	struct probe_gather_opts o;
	struct entry *bucket[BUCKETS];
	struct entry *whead, *wtail;   /* names holding results, oldest first */
	struct dw_error failed;        /* a failure probe_gather_expect could not return */
};

struct probe_gather *probe_gather_new(const struct probe_gather_opts *opts)
{
	struct probe_gather *g = calloc(1, sizeof *g);
	if (g)
		g->o = *opts;
	return g;
}

static struct entry *find(struct probe_gather *g, uint64_t seq)
{
	for (struct entry *e = g->bucket[seq % BUCKETS]; e; e = e->next)
		if (e->seq == seq)
			return e;
	return NULL;
}

static void queue_push(struct probe_gather *g, struct entry *e)
{
	e->wnext = NULL;
	e->wprev = g->wtail;
	if (g->wtail)
		g->wtail->wnext = e;
	else
		g->whead = e;
	g->wtail = e;
}

static void queue_remove(struct probe_gather *g, struct entry *e)
{
	if (e->wprev)
		e->wprev->wnext = e->wnext;
	else
		g->whead = e->wnext;
	if (e->wnext)
		e->wnext->wprev = e->wprev;
	else
		g->wtail = e->wprev;
	e->wprev = e->wnext = NULL;
}

static void entry_free(struct entry *e)
{
	for (unsigned i = 0; i < e->held; i++)
		free(e->r[i]);
	free(e->r);
	free(e);
}

/* E out of the hash and freed (it holds nothing by then). */
static void drop(struct probe_gather *g, struct entry *e)
{
	struct entry **b = &g->bucket[e->seq % BUCKETS];
	while (*b != e)
		b = &(*b)->next;
	*b = e->next;
	entry_free(e);
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

void probe_gather_free(struct probe_gather *g)
{
	if (!g)
		return;
	for (int b = 0; b < BUCKETS; b++)
		while (g->bucket[b]) {
			struct entry *e = g->bucket[b];
			g->bucket[b] = e->next;
			entry_free(e);
		}
	free(g);
}

void probe_gather_expect(struct probe_gather *g, uint64_t seq)
{
	struct entry *e = find(g, seq);
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e) {
			if (g->failed.status == DW_OK)
				dw_error_set(&g->failed, DW_E_NOMEM,
					     "out of memory noting the results of name %llu",
					     (unsigned long long)seq);
			return;
		}
		e->seq = seq;
		e->next = g->bucket[seq % BUCKETS];
		g->bucket[seq % BUCKETS] = e;
	}
	e->expect += (unsigned)g->o.cfg->nqtypes;
}

void probe_gather_tick(struct probe_gather *g, uint64_t now_us)
{
	if (g->o.wait_us == PROBE_GATHER_NO_BOUND)
		return;
	/* The queue is in the order of first results, and the bound the same
	 * for every name: the overdue ones are at its head. */
	while (g->whead && now_us >= g->whead->first_us &&
	       now_us - g->whead->first_us > g->o.wait_us) {
		struct entry *e = g->whead;
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
	while (g->whead) {
		struct entry *e = g->whead;
		release(g, e);
		e->judged = true;
	}
	/* What is left holds nothing: names none of whose results came, or
	 * whose rest never will. */
	for (int b = 0; b < BUCKETS; b++)
		while (g->bucket[b]) {
			struct entry *e = g->bucket[b];
			g->bucket[b] = e->next;
			entry_free(e);
		}
}
