/*
 * The delay element: our stand-in for netem on a kernel without sch_netem.
 * It binds an NFQUEUE queue (libnetfilter-queue), takes every packet the
 * lab's iptables rules send there, holds it (only its verdict: the kernel
 * keeps the packet) until its due time, and then accepts it. Packets leave
 * in due-time order from a bounded heap; with jitter, a packet is never due
 * before the one queued before it in the same direction, so, like a cable,
 * the element never reorders. When the heap is full a packet is dropped and
 * counted, never delayed without bound.
 *
 * The heap is exposed for the unit tests.
 */
#ifndef DW_LAB_DELAY_H
#define DW_LAB_DELAY_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct lab_delay_item {
	uint64_t due_ns;  /* CLOCK_MONOTONIC */
	uint64_t seq;     /* arrival order: ties leave first-in, first-out */
	uint32_t id;      /* the kernel's packet id */
};

struct lab_delay_heap {
	struct lab_delay_item *v;
	size_t n, cap;
	uint64_t next_seq;
};

/* Allocate room for CAP items; 0 or -1. Free with lab_delay_heap_free. */
DW_MUST_CHECK int lab_delay_heap_init(struct lab_delay_heap *h, size_t cap);
void lab_delay_heap_free(struct lab_delay_heap *h);
/* Add; returns 0, or -1 when full (the caller drops and counts). */
DW_MUST_CHECK int lab_delay_heap_push(struct lab_delay_heap *h, uint64_t due_ns, uint32_t id);
/* The earliest item, or NULL when empty. */
const struct lab_delay_item *lab_delay_heap_peek(const struct lab_delay_heap *h);
/* Remove the earliest into *OUT; 0, or -1 when empty. */
DW_MUST_CHECK int lab_delay_heap_pop(struct lab_delay_heap *h, struct lab_delay_item *out);

/* Settings of one delay element process. */
struct lab_delay_opts {
	unsigned queue;       /* NFQUEUE number */
	unsigned delay_us;    /* one-way delay */
	unsigned jitter_us;   /* uniform in [-jitter, +jitter] */
	unsigned capacity;    /* packets held at most */
	unsigned loss_ppm;    /* random loss: packets dropped per million, each direction */
	uint64_t seed;        /* jitter and loss sequence */
	const char *stats;    /* stats file, rewritten twice a second and on SIGUSR1 */
};

/* Run until SIGTERM/SIGINT; then accept everything held and return 0.
 * Returns 1 with a message on stderr if the queue cannot be bound. */
DW_MUST_CHECK int lab_delay_run(const struct lab_delay_opts *o);

#endif
