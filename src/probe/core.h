/*
 * The probe engine's core: the scheduler and the matcher, without sockets
 * and without a clock. It opens the queries of the names it is given
 * (hooks->next), hands each transmission to a send callback, matches each
 * received IP packet to the query it answers, keeps the replies through the
 * hold window, retransmits on timeout and hands finished queries to
 * hooks->result. Times come in with every call: MONO (a monotonic clock,
 * for timeouts, the hold window and the rate) and REAL (microseconds since
 * the epoch, what results record). probe_run (engine.h) drives it with UDP
 * sockets, a packet ring and the system's clocks; tests drive it with
 * scripted packets and a scripted clock.
 *
 * Matching: a packet answers a query if it is UDP to one of our ports with
 * the query's DNS ID on that port, from the query target's address and
 * port. Anything else to our ports is counted as unmatched; packets to
 * other ports (and ICMP) are not ours and are ignored.
 */
#ifndef DW_PROBE_CORE_H
#define DW_PROBE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/reasm.h"
#include "probe/engine.h"
#include "util/error.h"

struct probe_core;

/* Send QUERY[0..LEN) from socket SOCK (an index into the ports given to
 * probe_core_new) to target T. The bytes are valid during the call only. A
 * send that fails needs no report: an unanswered query is retransmitted. */
typedef void (*probe_send_fn)(void *ctx, unsigned sock, const struct probe_target *t,
			      const uint8_t *query, size_t len);

/* The longest query: header, the longest name, its type and class, OPT. */
#define PROBE_QUERY_MAX 300

/* The batch, one number for both layers: names the core opens per turn,
 * queries it gives one socket in a row (assign_id), and the queries one
 * sendmmsg of the engine carries, so that a socket's turn fills one call. */
#define PROBE_BATCH 64

/* Longest wait probe_core_wait_us asks for when there is nothing to send:
 * replies are read at least this often. */
#define PROBE_CORE_IDLE_US 2000u

/* Longest wait when the names callback had no name yet (PROBE_NEXT_LATER)
 * and nothing is left to send: names are asked for again at least this
 * often. */
#define PROBE_CORE_STARVED_US 200u

/* Whether CFG and HOOKS can run (targets, sockets, types, rate, a names
 * callback; one address family): 0, or -1 with ERR set. */
int probe_core_check(const struct probe_config *cfg, const struct probe_hooks *hooks,
		     struct dw_error *err) DW_MUST_CHECK;

/*
 * A core for CFG (validated here) whose CFG->sockets sockets have the local
 * PORTS; transmissions go to SEND(SEND_CTX, ...); names, skips and results
 * go through HOOKS; counters into ST (zeroed here). MONO_US starts the rate
 * limiter. Returns NULL with ERR set (a bad configuration, memory). CFG,
 * HOOKS and ST must outlive the core.
 */
struct probe_core *probe_core_new(const struct probe_config *cfg, const uint16_t *ports,
				  const struct probe_hooks *hooks, probe_send_fn send,
				  void *send_ctx, struct probe_stats *st, uint64_t mono_us,
				  struct dw_error *err) DW_MUST_CHECK;
void probe_core_free(struct probe_core *c);

/*
 * One turn: open the next names' queries while there is room, retransmit
 * or finish the unanswered queries past their timeout, finish the queries
 * whose hold window is over, and send what the rate and the per-target
 * caps allow.
 */
void probe_core_turn(struct probe_core *c, uint64_t mono_us, uint64_t real_us);

/*
 * A received IP packet IP[0..LEN) (starting at the IP header), which
 * arrived at TIME_US (real time: the kernel's timestamp), handled at
 * MONO_US. A query's first reply starts its hold window (a hold of 0
 * finishes it at once).
 */
void probe_core_packet(struct probe_core *c, const uint8_t *ip, size_t len, uint64_t time_us,
		       uint64_t mono_us);

/*
 * Replies that arrive in IP fragments are reassembled (net/reasm.h) before
 * they are matched; the reply carries the first fragment's TTL, ID and DF.
 * Bounds: PROBE_REASM_DATAGRAMS datagrams at once, PROBE_REASM_FRAGS
 * fragments each, 65535 bytes, and a datagram not whole within a query's
 * life ((retries + 1) x timeout + hold, at least 1 s, at most 30 s, on the
 * MONO clock) is dropped. Counters in struct probe_stats.
 */
#define PROBE_REASM_DATAGRAMS 256
#define PROBE_REASM_FRAGS 64
#define PROBE_REASM_TIMEOUT_MIN_US 1000000u
struct net_reasm_config probe_reasm_config(const struct probe_config *cfg);

/* The input has ended and every query is finished. */
bool probe_core_finished(const struct probe_core *c);
/* The next name the names callback gives is name SEQ (the threaded
 * engine's: a thread's names are numbered in the whole input's order), and
 * those after it SEQ + 1, ... until set again. Called from the callback. */
void probe_core_set_next_seq(struct probe_core *c, uint64_t seq);
/* A result hook asked to stop. */
bool probe_core_stopped(const struct probe_core *c);
/* Queries sent and not finished. */
unsigned probe_core_in_flight(const struct probe_core *c);
/* Why the names callback failed (st->input_failed), or NULL if it did not. */
const struct dw_error *probe_core_input_error(const struct probe_core *c);
/*
 * How long the caller may wait for packets before the next turn: 0 when
 * there is sending to do now, the time to the next token when only the
 * rate holds sending back (at most 1 ms), PROBE_CORE_STARVED_US when the
 * names callback had no name yet, PROBE_CORE_IDLE_US otherwise (nothing to
 * send until replies come: the caller's wait ends when they do).
 */
uint64_t probe_core_wait_us(const struct probe_core *c);

#endif
