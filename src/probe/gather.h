/*
 * One name's results, held until all of them are in (every target and
 * query type it was asked), so that they are judged together in the
 * classifier's order (classify_judge_name): the control and the no-DNS
 * evidence of a name are known when its resolvers' answers are judged.
 * The engine finishes a name's queries in any order; `dnswatch probe` and
 * `dnswatch watch` both gather them here. Memory is bounded by the names
 * in flight. No I/O; one struct is used by one thread.
 */
#ifndef DW_PROBE_GATHER_H
#define DW_PROBE_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"
#include "util/error.h"

struct probe_gather;

/* Empty; NULL if out of memory. */
struct probe_gather *probe_gather_new(void);
void probe_gather_free(struct probe_gather *g);

/* Name SEQ will deliver N results more (called as its queries are opened:
 * the engine's skip hook). Returns 0, or -1 if out of memory. */
int probe_gather_expect(struct probe_gather *g, uint64_t seq, unsigned n) DW_MUST_CHECK;

/*
 * R is one of its name's results (R->seq). Returns 1 when it completes the
 * name: *SET holds the name's *N results (R itself when the name has only
 * one, copies otherwise), which the caller may change, valid until the next
 * call. Returns 0 while more are to come (R was copied), -1 if R was not
 * expected or memory ran out.
 */
int probe_gather_add(struct probe_gather *g, struct probe_result *r,
		     struct probe_result *const **set, size_t *n) DW_MUST_CHECK;

/*
 * What is still held when a run ends early: one unfinished name at a time
 * into *SET and *N, as probe_gather_add gives them. Returns 1 while there
 * is one, then 0.
 */
int probe_gather_drain(struct probe_gather *g, struct probe_result *const **set, size_t *n);

#endif
