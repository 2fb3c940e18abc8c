/*
 * The probe engine: streams names through many queries in flight, keeps
 * every reply to every query, and hands each finished query to a callback.
 *
 * Sending: several UDP sockets on random source ports, sendmmsg in batches,
 * a token-bucket rate limit, a cap on queries awaiting a first reply per
 * target (so no target's receive buffer overflows), retransmissions of
 * unanswered queries with the same ID and port.
 *
 * Receiving: an AF_PACKET ring (TPACKET_V3) sees each reply with its IP
 * header (TTL, ID, DF: ancillary data such as IP_RECVTTL gives the TTL but
 * never the ID or the DF bit), its kernel timestamp and its raw bytes, and
 * also the ICMP errors that `locate` needs. The UDP sockets only hold the
 * ports: a socket filter drops whatever reaches them, so the kernel neither
 * queues replies twice nor answers late replies with ICMP port unreachable.
 * docs/probe.md gives the reasons at length.
 *
 * Holding: a query stays open for a hold window after its first reply, so
 * that later replies (the real one after a forged one) are kept too.
 * Memory is bounded by the number of queries in flight; names stream in.
 */
#ifndef DW_PROBE_ENGINE_H
#define DW_PROBE_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/result.h"

#define PROBE_TARGETS_MAX 16
#define PROBE_QTYPES_MAX 8

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
	unsigned sockets;         /* UDP sockets (source ports) */
	bool edns;                /* send EDNS0 (payload 1232) */
	uint8_t ip_ttl;           /* IP TTL of queries; 0 = the system's */
	uint64_t seed;
	bool progress;            /* a progress line on stderr, once a second */
	const char *pcap_path;    /* write every packet sent and received, or NULL */
	/* Set by the caller's own signal handling (several engines in threads,
	 * as in watch): the engine then leaves SIGINT and SIGTERM alone and
	 * stops when *stop becomes non-zero. NULL: the engine catches both. */
	volatile sig_atomic_t *stop;
};

void probe_config_default(struct probe_config *c);

/* The names to probe: one a line, '#' comments and blank lines skipped;
 * invalid names are reported with their line number and skipped. */
struct probe_names {
	FILE *in;
	const char *label;        /* file name for messages */
	unsigned long line;       /* last line read */
	uint64_t seq;             /* names handed out so far */
	uint64_t total;           /* names in the input if known (for the ETA), else 0 */
	unsigned long invalid;
};

/* Decide whether (seq, target) still needs probing (resume); NULL = always. */
typedef bool (*probe_skip_fn)(void *ctx, uint64_t seq, unsigned target);
/* A finished query. Return non-zero to stop the run. */
typedef int (*probe_result_fn)(void *ctx, struct probe_result *r);

struct probe_hooks {
	probe_skip_fn skip;
	probe_result_fn result;
	void *ctx;
};

/* Counters for the progress line and the end-of-run summary. */
struct probe_stats {
	uint64_t names, queries, sent, retransmits, send_errors, replies, unmatched, done, skipped;
	uint64_t verdicts[VERDICT_COUNT];
	uint64_t ring_drops;
};

/*
 * Probe every name of NAMES against every target and query type. Stops at
 * the end of the input, on SIGINT/SIGTERM (finishing nothing more; queries
 * in flight are dropped, not stored, so a resumed run repeats them), or when
 * a hook asks. Returns 0, or -1 with a one-line reason in ERR.
 */
int probe_run(const struct probe_config *cfg, struct probe_names *names,
	      const struct probe_hooks *hooks, struct probe_stats *st, char *err, size_t errcap);

/*
 * Whether TEXT is a name the engine probes (letters, digits, '-', '_' and
 * '.', a valid wire name): NULL and its wire form in NAME[WIRE_NAME_MAX], or
 * why not. Streams that must number names as the engine does (watch's
 * panel) check with this.
 */
const char *probe_name_check(const char *text, uint8_t *name);

/*
 * Read the next valid name (wire form into NAME). Returns 1, 0 at the end,
 * -1 on a read error. Invalid lines are reported on stderr as
 * "FILE:LINE: reason" and skipped.
 */
int probe_names_next(struct probe_names *n, uint8_t *name, uint32_t *line);

#endif
