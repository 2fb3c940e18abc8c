/* Sharding, queues and merge order for the threaded prober (see shard.h). */
#include "probe/shard.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

unsigned probe_shard(const uint8_t *name, unsigned nshards)
{
	if (nshards <= 1)
		return 0;
	/* FNV-1a over the labels (letters folded), then mixed: the low bits of
	 * a plain FNV are weak for a modulus. */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < 255 && name[i]; i += (size_t)name[i] + 1) {
		uint8_t len = name[i];
		h = (h ^ len) * 0x100000001b3ull;
		for (size_t k = 1; k <= len && i + k < 255; k++) {
			uint8_t c = name[i + k];
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			h = (h ^ c) * 0x100000001b3ull;
		}
	}
	return (unsigned)(hash_fmix64(h) % nshards);
}

int probe_spsc_init(struct probe_spsc *q, size_t cap, size_t elem)
{
	size_t n = 1;
	while (n < cap)
		n <<= 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->head_seen = q->tail_seen = 0;
	q->mask = n - 1;
	q->elem = elem;
	q->buf = malloc(n * elem);
	return q->buf ? 0 : -1;
}

void probe_spsc_free(struct probe_spsc *q)
{
	free(q->buf);
	q->buf = NULL;
}

void *probe_spsc_write_slot(struct probe_spsc *q)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	if (t - q->head_seen > q->mask) {
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
		if (t - q->head_seen > q->mask)
			return NULL;
	}
	return q->buf + (t & q->mask) * q->elem;
}

void probe_spsc_push(struct probe_spsc *q)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
}

void *probe_spsc_peek(struct probe_spsc *q)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (h == q->tail_seen) {
		q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (h == q->tail_seen)
			return NULL;
	}
	return q->buf + (h & q->mask) * q->elem;
}

void probe_spsc_pop(struct probe_spsc *q)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
}

/* A record's header: its size in the queue (header and padding included),
 * or SKIP: the rest of the buffer is unused, the next record is at its
 * start. */
#define SKIP UINT64_MAX
#define HDR sizeof(uint64_t)

int probe_bytes_init(struct probe_bytes *q, size_t cap)
{
	size_t n = 4096;
	while (n < cap)
		n <<= 1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->head_seen = q->tail_seen = q->pending = 0;
	q->size = n;
	q->buf = aligned_alloc(64, n);
	return q->buf ? 0 : -1;
}

void probe_bytes_free(struct probe_bytes *q)
{
	free(q->buf);
	q->buf = NULL;
}

void *probe_bytes_reserve(struct probe_bytes *q, size_t n)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t need = HDR + ((n + 7) & ~(size_t)7);
	size_t off = t & (q->size - 1);
	/* A record never wraps: the end of the buffer is skipped instead. */
	size_t skip = off + need > q->size ? q->size - off : 0;
	if (t + skip + need - q->head_seen > q->size) {
		q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
		if (t + skip + need - q->head_seen > q->size)
			return NULL;
	}
	if (skip) {
		uint64_t mark = SKIP;
		memcpy(q->buf + off, &mark, HDR);
		off = 0;
	}
	q->pending = skip;
	return q->buf + off + HDR;
}

void probe_bytes_push(struct probe_bytes *q, size_t used)
{
	size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t len = HDR + ((used + 7) & ~(size_t)7);
	memcpy(q->buf + ((t + q->pending) & (q->size - 1)), &len, HDR);
	atomic_store_explicit(&q->tail, t + q->pending + (size_t)len, memory_order_release);
	q->pending = 0;
}

void *probe_bytes_peek(struct probe_bytes *q, size_t *n)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (h == q->tail_seen) {
		q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (h == q->tail_seen)
			return NULL;
	}
	size_t off = h & (q->size - 1);
	uint64_t len;
	memcpy(&len, q->buf + off, HDR);
	if (len == SKIP) {
		/* Pushed with the record after it: that one is there too. */
		h += q->size - off;
		atomic_store_explicit(&q->head, h, memory_order_release);
		off = 0;
		memcpy(&len, q->buf, HDR);
	}
	*n = (size_t)len - HDR;
	return q->buf + off + HDR;
}

void probe_bytes_pop(struct probe_bytes *q)
{
	size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t len;
	memcpy(&len, q->buf + (h & (q->size - 1)), HDR);
	atomic_store_explicit(&q->head, h + (size_t)len, memory_order_release);
}

int probe_merge_pick(const uint64_t *head, const uint64_t *mark, unsigned n)
{
	int best = -1;
	uint64_t bound = PROBE_MERGE_DONE;
	for (unsigned i = 0; i < n; i++) {
		if (head[i] == PROBE_MERGE_EMPTY) {
			if (mark[i] < bound)
				bound = mark[i];
		} else if (best < 0 || head[i] < head[best]) {
			best = (int)i;
		}
	}
	if (best < 0 || head[best] > bound)
		return -1;
	return best;
}
