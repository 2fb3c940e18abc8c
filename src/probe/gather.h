/*
 * A name's results, gathered and judged together: the one way `dnswatch
 * probe` and `dnswatch watch` go from the engine's finished queries to
 * judged results. The engine finishes a name's queries in any order; the
 * gather holds them until all are in (every query type of every target
 * the name was asked of), judges them together in the classifier's order
 * (classify_judge_name: the control and the no-DNS evidence of a name are
 * known when its resolvers' answers are judged), and hands each judged
 * result to the command's callback, which only says what to do with it.
 *
 * A bound on the wait (opts.wait_us), for a caller that must not hold a
 * name for long (watch, whose detector closes its time buckets a few
 * seconds after they end): a name is judged when all its results are in,
 * or once its first result has waited longer than the bound, with what it
 * has; a result that comes after its name was judged is judged alone on
 * arrival (classify_judge_name with one result).
 *
 * Memory is bounded by the span of the names in flight (from the oldest
 * still held to the newest announced: a ring of 64-byte entries). No I/O
 * and no clock (times are passed in). One struct is used by one thread; the judging and the
 * callback run inside probe_gather_result, _tick and _flush, so a caller
 * that shares the classifier calls them under its lock.
 */
#ifndef DW_PROBE_GATHER_H
#define DW_PROBE_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "probe/engine.h"
#include "probe/result.h"
#include "util/error.h"

struct classify;
struct probe_gather;

/* opts.wait_us: no bound, a name waits for all its results. */
#define PROBE_GATHER_NO_BOUND UINT64_MAX

/*
 * One judged result: a name's results come one call each, in the order
 * they finished, after all of them were judged. R may be changed (a store
 * sets its target); it is valid during the call only. The callback must
 * not call the gather.
 */
typedef void (*probe_judged_fn)(void *ctx, struct probe_result *r);

struct probe_gather_opts {
	const struct probe_config *cfg; /* the run's targets and query types, read as
					 * the gather goes (must outlive it) */
	struct classify *cls;           /* judges each name's results */
	int control_target;             /* its index in cfg->target, -1: none */
	uint64_t wait_us;               /* the bound on a name's wait, from its first
					 * result; PROBE_GATHER_NO_BOUND: none */
	probe_judged_fn judged;         /* required */
	void *ctx;
};

/* Empty, for OPTS (copied); NULL if out of memory. */
DW_MUST_CHECK struct probe_gather *probe_gather_new(const struct probe_gather_opts *opts);
void probe_gather_free(struct probe_gather *g);

/*
 * One more target of name SEQ will be asked (the engine's skip hook, as it
 * opens the name's queries, said it is not skipped): cfg->nqtypes results
 * more for the name. Nothing to check here (a skip hook can only answer yes or
 * no): running out of memory is kept, and the next probe_gather_result
 * returns it.
 */
void probe_gather_expect(struct probe_gather *g, uint64_t seq);

/*
 * R, one of its name's results (R->seq), finished at NOW_US (any clock that
 * never goes back, the same for every call). R is judged with the rest of
 * its name when it completes the name (R itself when the name has only one
 * result, copies otherwise), alone when its name was judged already, and
 * held otherwise; then every name whose first result has waited longer
 * than the bound at NOW_US is judged with what it has. Each judged result
 * goes to the callback. Returns 0, or -1 with ERR set: DW_E_NOMEM (holding
 * R, or noting an expectation before), DW_E_STATE (R was not expected: its
 * name was never announced, or has all its results; R is not judged).
 */
DW_MUST_CHECK int probe_gather_result(struct probe_gather *g, struct probe_result *r,
				      uint64_t now_us, struct dw_error *err);

/* The names whose first result has waited longer than the bound at NOW_US,
 * judged with what they have (for when no result comes to do it). */
void probe_gather_tick(struct probe_gather *g, uint64_t now_us);

/* A run's end (finished or stopped): every name still held judged with
 * what it has, in the order their first results came. */
void probe_gather_flush(struct probe_gather *g);

#endif
