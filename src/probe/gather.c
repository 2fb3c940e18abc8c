/* One name's results, held until all are in (see gather.h). */
#include "probe/gather.h"

#include <stdlib.h>

#include "probe/engine.h"

#define BUCKETS 4096
#define PER_NAME (PROBE_TARGETS_MAX * PROBE_QTYPES_MAX)

struct entry {
	uint64_t seq;
	unsigned expect, have;
	struct probe_result *r[PER_NAME];
	struct entry *next;
};

struct probe_gather {
	struct entry *bucket[BUCKETS];
	struct entry *done;            /* the last name handed out, freed at the next call */
	struct probe_result *one[1];   /* a name of one result: the result itself */
};

struct probe_gather *probe_gather_new(void)
{
	return calloc(1, sizeof(struct probe_gather));
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < e->have; i++)
		free(e->r[i]);
	free(e);
}

/* Free what the last call handed out. */
static void release_done(struct probe_gather *g)
{
	entry_free(g->done);
	g->done = NULL;
}

void probe_gather_free(struct probe_gather *g)
{
	if (!g)
		return;
	release_done(g);
	for (int b = 0; b < BUCKETS; b++)
		while (g->bucket[b]) {
			struct entry *e = g->bucket[b];
			g->bucket[b] = e->next;
			entry_free(e);
		}
	free(g);
}

static struct entry *find(struct probe_gather *g, uint64_t seq)
{
	for (struct entry *e = g->bucket[seq % BUCKETS]; e; e = e->next)
		if (e->seq == seq)
			return e;
	return NULL;
}

static void unlink_entry(struct probe_gather *g, struct entry *e)
{
	struct entry **b = &g->bucket[e->seq % BUCKETS];
	while (*b != e)
		b = &(*b)->next;
	*b = e->next;
}

int probe_gather_expect(struct probe_gather *g, uint64_t seq, unsigned n)
{
	struct entry *e = find(g, seq);
	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e)
			return -1;
		e->seq = seq;
		e->next = g->bucket[seq % BUCKETS];
		g->bucket[seq % BUCKETS] = e;
	}
	e->expect += n;
	return 0;
}

int probe_gather_add(struct probe_gather *g, struct probe_result *r,
		     struct probe_result *const **set, size_t *n)
{
	release_done(g);
	struct entry *e = find(g, r->seq);
	if (!e || e->have >= e->expect || e->have >= PER_NAME)
		return -1;
	if (e->have == 0 && e->expect == 1) {
		/* Nothing to wait for: handed on as it came, without a copy. */
		unlink_entry(g, e);
		free(e);
		g->one[0] = r;
		*set = g->one;
		*n = 1;
		return 1;
	}
	struct probe_result *copy = malloc(sizeof *copy);
	if (!copy)
		return -1;
	*copy = *r;
	e->r[e->have++] = copy;
	if (e->have < e->expect)
		return 0;
	unlink_entry(g, e);
	g->done = e;
	*set = e->r;
	*n = e->have;
	return 1;
}

int probe_gather_drain(struct probe_gather *g, struct probe_result *const **set, size_t *n)
{
	release_done(g);
	for (int b = 0; b < BUCKETS; b++)
		while (g->bucket[b]) {
			struct entry *e = g->bucket[b];
			g->bucket[b] = e->next;
			if (!e->have) {
				free(e); /* nothing came (or everything was skipped) */
				continue;
			}
			g->done = e;
			*set = e->r;
			*n = e->have;
			return 1;
		}
	return 0;
}
