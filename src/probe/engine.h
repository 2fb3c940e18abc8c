/*
 * The probe engine: takes names from a callback, asks each of many targets
 * with many queries in flight, keeps every reply to every query, and hands
 * each finished query to a callback with the line and tag its name came
 * with.
 *
 * Two layers. The core (core.h) decides: which query goes out when (a
 * token-bucket rate limit, a cap on queries awaiting a first reply per
 * target, retransmissions of unanswered queries with the same ID and port),
 * which query a received packet answers, how long a query stays open
 * (the hold window), and when it is finished. It is fed packets and times
 * and has no socket and no clock, so a test can script races. This layer,
 * probe_run, is the I/O around it:
 *
 * Sending: several UDP sockets on random source ports, sendmmsg in batches.
 *
 * Receiving: an AF_PACKET ring (TPACKET_V3) sees each reply with its IP
 * header (TTL, ID, DF: ancillary data such as IP_RECVTTL gives the TTL but
 * never the ID or the DF bit), its kernel timestamp and its raw bytes, and
 * also the ICMP errors that `locate` needs. The UDP sockets only hold the
 * ports: a socket filter drops whatever reaches them, so the kernel neither
 * queues replies twice nor answers late replies with ICMP port unreachable.
 * docs/probe.md gives the reasons at length.
 *
 * Memory is bounded by the number of queries in flight; names stream in.
 * The engine prints nothing and installs no signal handler: the caller
 * reports (hooks, struct probe_stats) and owns the signals (cfg->stop).
 */
#ifndef DW_PROBE_ENGINE_H
#define DW_PROBE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "probe/result.h"
#include "util/error.h"

#define PROBE_TARGETS_MAX 16
#define PROBE_QTYPES_MAX 8
#define PROBE_SOCKETS_MAX 64
#define PROBE_THREADS_MAX 64

struct probe_config {
	struct probe_target target[PROBE_TARGETS_MAX];
	int ntargets;
	uint16_t qtype[PROBE_QTYPES_MAX];
	int nqtypes;
	double rate;              /* queries per second, all targets together */
	unsigned inflight;        /* queries awaiting a first reply, per target */
	unsigned retries;         /* retransmissions of an unanswered query */
	uint32_t timeout_ms;      /* wait for a first reply, per transmission */
	uint32_t hold_ms;         /* keep a query open after its first reply */
	unsigned sockets;         /* UDP sockets (source ports), per thread */
	/* Prober threads (at most PROBE_THREADS_MAX; 0 or 1: the caller's
	 * thread alone). Each has its own sockets, capture ring and core, and
	 * a share of the rate and of the in-flight cap; names go to the thread
	 * their hash picks (probe/shard.h). The hooks are still called from
	 * the caller's thread only: the names read there, the results merged
	 * there into one stream ordered by the time each query finished. */
	unsigned threads;
	bool edns;                /* send EDNS0 (payload 1232) */
	uint8_t ip_ttl;           /* IP TTL of queries; 0 = the system's */
	uint64_t seed;
	const char *pcap_path;    /* write every packet sent and received, or NULL */
	/* The run stops when *stop becomes non-zero (the caller's signal
	 * handler sets it; queries in flight are dropped). NULL: never. */
	volatile sig_atomic_t *stop;
};

void probe_config_default(struct probe_config *c);

/* Counters for the progress line and the end-of-run summary. */
struct probe_stats {
	uint64_t names, queries, sent, retransmits, send_errors, replies, unmatched, done, skipped;
	uint64_t bad_names;       /* names from the callback that were no wire name (skipped) */
	uint64_t in_flight;       /* queries sent and not finished (at the end: dropped) */
	bool input_failed;        /* the names callback returned -1 (probe_run's ERR says why) */
	uint64_t verdicts[VERDICT_COUNT]; /* the caller's: the engine judges nothing */
	uint64_t ring_drops;
	/* When the first and the last query went out (monotonic clock, µs; 0:
	 * none): the sending rate, apart from the wait for the last replies. */
	uint64_t first_sent_us, last_sent_us;
	/* IP fragments (core.h: the bounds): fragments read, datagrams made
	 * whole, those of them that were replies to our queries, datagrams
	 * dropped at the timeout, fragments refused (overlap, oversize, bad
	 * length, cut, too many in flight or in one datagram, memory) */
	uint64_t fragments, frag_reassembled, frag_replies, frag_expired, frag_rejected;
};

/* Queries per second from the first query sent to the last (0 for fewer
 * than two): the rate on the wire, without the wait for the last replies
 * that a run's names per second includes. */
static inline double probe_stats_send_rate(const struct probe_stats *st)
{
	return st->sent > 1 && st->last_sent_us > st->first_sent_us
		       ? (double)(st->sent - 1) * 1e6 / (double)(st->last_sent_us - st->first_sent_us)
		       : 0.0;
}

/*
 * The next name to probe: its wire form into NAME; into *LINE where it
 * stands in the caller's input (a file's line, a stream's position), which
 * every result of it carries as its `line` (and the stores keep); into *TAG
 * anything else of the caller's (a panel entry), given back as each
 * result's `tag` and kept nowhere. Both start at 0. Returns 1, 0 at the end
 * of the input, or -1 with ERR set (the input ends there; what is in flight
 * is finished and handed on, then probe_run returns -1 with ERR).
 * PROBE_NEXT_LATER: no name yet, ask again at a later turn (the engine's
 * own feed of a thread's names; the core waits PROBE_CORE_STARVED_US).
 */
#define PROBE_NEXT_LATER 2
typedef int (*probe_next_fn)(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line,
			     uint64_t *tag, struct dw_error *err);
/* Decide whether (seq, target) still needs probing (resume); NULL = always.
 * Called for every target of a name as its queries are opened. */
typedef bool (*probe_skip_fn)(void *ctx, uint64_t seq, unsigned target);
/* A finished query. Return non-zero to stop the run. */
typedef int (*probe_result_fn)(void *ctx, struct probe_result *r);
/* Once a second during the run, and once at its end (LAST). */
typedef void (*probe_progress_fn)(void *ctx, const struct probe_stats *st, uint64_t elapsed_us,
				  bool last);

struct probe_hooks {
	probe_next_fn next;       /* required */
	probe_skip_fn skip;
	probe_result_fn result;
	probe_progress_fn progress;
	void *ctx;
};

/*
 * Probe every name HOOKS->next gives against every target and query type.
 * Returns 0 when the input has ended and every query is finished, or when
 * the run was stopped (*cfg->stop, or a hook asked): queries in flight are
 * then dropped, not handed on (st->in_flight of them; a resumed run repeats
 * them). Returns -1 with ERR set if the run could not start (a bad
 * configuration, no packet socket without root or CAP_NET_RAW, memory), or
 * if the names callback failed: ERR is then the callback's error and
 * st->input_failed is set; the queries of the names it gave before were
 * finished and handed on, the rest of the input was never read.
 */
int probe_run(const struct probe_config *cfg, const struct probe_hooks *hooks,
	      struct probe_stats *st, struct dw_error *err) DW_MUST_CHECK;

#endif
