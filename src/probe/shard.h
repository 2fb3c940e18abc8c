/*
 * What the probe engine needs to run over several threads (engine.h,
 * cfg->threads): which thread a name belongs to, the lock-free queues
 * between the reading thread and each prober thread, and the rule that
 * merges the threads' finished queries back into one stream ordered by the
 * time each query finished.
 *
 * Sharding: a name goes to the thread its hash picks (the name's labels
 * with ASCII letters folded, so the 0x20 case of a name never moves it), so
 * each query, its retransmissions and every reply to it stay in one thread:
 * the thread that owns the sockets the query went out from and the capture
 * that sees the replies to those ports.
 *
 * Merging: each thread hands on its finished queries in the order they
 * finished (by its monotonic clock, which all threads share), and after each
 * turn publishes a watermark: no query it finishes later has an earlier
 * time. The reader takes the earliest head of all queues as soon as every
 * thread whose queue is empty has a watermark at or past it, so the merged
 * stream is ordered by finish time whatever the threads' speeds, as a
 * single thread's would be (equal times in the order of the threads).
 */
#ifndef DW_PROBE_SHARD_H
#define DW_PROBE_SHARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shard (0 .. NSHARDS-1) of wire name NAME. NSHARDS >= 1. */
unsigned probe_shard(const uint8_t *name, unsigned nshards);

/*
 * A queue of fixed-size elements between one producer thread and one
 * consumer thread, without locks. Its capacity is a power of two.
 */
struct probe_spsc {
	/* Each side's line: its own index, and the last value it read of the
	 * other's. The other's index is read again only when the cached one
	 * says full (or empty): a line that moves between cores costs about
	 * as much as a small element, and most calls need not move it. */
	_Atomic size_t head;      /* next to read (the consumer's) */
	size_t tail_seen;         /* the consumer's copy of tail */
	char pad1[64 - 2 * sizeof(size_t)];
	_Atomic size_t tail;      /* next to write (the producer's) */
	size_t head_seen;         /* the producer's copy of head */
	char pad2[64 - 2 * sizeof(size_t)];
	size_t mask, elem;
	unsigned char *buf;
};

/* Room for CAP (rounded up to a power of two) elements of ELEM bytes.
 * Returns 0, or -1 (out of memory). */
int probe_spsc_init(struct probe_spsc *q, size_t cap, size_t elem);
void probe_spsc_free(struct probe_spsc *q);
/* The producer: the element to fill, or NULL when the queue is full; then
 * probe_spsc_push makes it visible to the consumer. */
void *probe_spsc_write_slot(struct probe_spsc *q);
void probe_spsc_push(struct probe_spsc *q);
/* The consumer: the oldest element, or NULL when the queue is empty; it
 * stays valid until probe_spsc_pop. */
void *probe_spsc_peek(struct probe_spsc *q);
void probe_spsc_pop(struct probe_spsc *q);

/*
 * A queue of records of any size up to a quarter of its bytes, between one
 * producer and one consumer, without locks: each record takes its size
 * rounded up to 8 bytes and 8 more, so that a stream of small records stays
 * in few cache lines. The indexes are byte counts; each side caches the
 * other's as probe_spsc does.
 */
struct probe_bytes {
	_Atomic size_t head;
	size_t tail_seen;
	char pad1[64 - 2 * sizeof(size_t)];
	_Atomic size_t tail;
	size_t head_seen;
	size_t pending;           /* bytes skipped before the reserved record */
	char pad2[64 - 3 * sizeof(size_t)];
	size_t size;              /* a power of two */
	unsigned char *buf;
};

/* Room for CAP bytes (rounded up to a power of two, at least 4096).
 * Returns 0, or -1 (out of memory). */
int probe_bytes_init(struct probe_bytes *q, size_t cap);
void probe_bytes_free(struct probe_bytes *q);
/* The producer: room for a record of up to N bytes (N <= cap / 4), or
 * NULL when the queue has none now; probe_bytes_push makes the USED bytes
 * of it (USED <= N) a record the consumer sees. */
void *probe_bytes_reserve(struct probe_bytes *q, size_t n);
void probe_bytes_push(struct probe_bytes *q, size_t used);
/* The consumer: the oldest record (in *N its size rounded up to 8), or
 * NULL when there is none; it stays valid until probe_bytes_pop. */
void *probe_bytes_peek(struct probe_bytes *q, size_t *n);
void probe_bytes_pop(struct probe_bytes *q);

/* A watermark that says a thread will hand on nothing more. */
#define PROBE_MERGE_DONE UINT64_MAX
/* A queue with nothing to take (probe_merge_pick's HEAD). */
#define PROBE_MERGE_EMPTY UINT64_MAX

/*
 * The merge rule. HEAD[i]: the finish time of queue i's oldest element, or
 * PROBE_MERGE_EMPTY; MARK[i]: thread i's watermark, read BEFORE its queue
 * was found empty. Returns the queue whose head comes next in the merged
 * stream (the earliest; ties to the lowest index), or -1 when none may be
 * taken yet (an empty queue's thread could still finish an earlier one) or
 * every queue is empty.
 */
int probe_merge_pick(const uint64_t *head, const uint64_t *mark, unsigned n);

#endif
