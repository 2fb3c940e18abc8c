/*
 * The guard's resolver (docs/guard.md): one thread, one poll loop, bounded
 * state. Clients ask over UDP and TCP on the listen addresses; a cache miss
 * goes to every plain upstream at once (each leg on its own socket and
 * port), and every reply is judged by guard/judge before anything is
 * served: a reply that fits the path's learned profile is served and
 * cached; one that fits nothing is dropped (counted, reported through
 * on_drop) and the query stays open for the real one; when no acceptable
 * reply comes within the timeout the client gets SERVFAIL with an Extended
 * DNS Error (RFC 8914) saying why.
 *
 * IP fields: the TTL (IPv4) or hop limit (IPv6) of every UDP reply comes
 * from the socket itself (IP_RECVTTL / IPV6_RECVHOPLIMIT ancillary data),
 * which needs no privilege and belongs to exactly the datagram read. IP ID
 * and DF are not read (a raw capture would need root); the checks that use
 * them treat them as unknown.
 *
 * Learning: with a calibration name (a zone the wall does not touch), each
 * plain upstream is asked for it over UDP and over TCP every
 * calibrate_every_ms; a UDP reply that the TCP answer confirms is a sample
 * of the path's profile (IP TTL, RTT, layout). Fingerprints of dropped
 * replies become injector groups; addresses of a dropped reply that a
 * fitting reply contradicted become known forged addresses.
 *
 * Encrypted fallback: with tls: upstreams (DoT, net/dot.h), a query goes
 * to them while every plain path is judged injected (a drop in the last
 * fallback_hold_ms) or its name drew a forged reply, and a query whose
 * plain leg just had a reply dropped is sent there at once; prefer_tls
 * sends every query there. The DoT exchanges run in worker threads (they
 * block no signal the command handles: the workers block them all).
 *
 * No printing and no signals here: the command polls guard_poll in a loop,
 * and asks for the counters (guard_write_json) when it wants them.
 */
#ifndef DW_GUARD_SERVER_H
#define DW_GUARD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "guard/dnssec.h"
#include "guard/judge.h"
#include "util/error.h"

#define GUARD_LISTEN_MAX 8
#define GUARD_UPSTREAM_MAX 8

enum guard_up_kind { GUARD_UP_UDP, GUARD_UP_TCP, GUARD_UP_TLS };

struct guard_upstream {
	enum guard_up_kind kind;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[256];   /* TLS: the name the certificate must carry ("" none) */
	char text[320];   /* as the user wrote it */
};

/* One dropped reply and its evidence, for the caller's log and store. */
struct guard_drop_info {
	uint64_t time_us;         /* wall clock */
	const char *upstream;     /* its text */
	const char *qname;        /* presentation form */
	uint16_t qtype;
	unsigned failed;          /* enum guard_check bits */
	int group;                /* injector group (1-based), 0 none */
	const char *evidence;
	const struct guard_obs *obs;
};

/* One cached answer purged: an address it holds proved forged. */
struct guard_purge_info {
	uint64_t time_us;         /* wall clock */
	const char *qname;        /* presentation form */
	uint16_t qtype;
	int family;               /* AF_INET or AF_INET6 */
	const uint8_t *addr;      /* 4 or 16 bytes */
	const char *why;          /* "learned" (a forged address learned) or
				   * "dropped" (an unverified answer holding an
				   * address of a reply dropped for its name) */
};

/* A query that had replies dropped (a forged name), answered: how long the
 * real reply took and how long the client waited, as the guard saw them. */
struct guard_answer_info {
	uint64_t time_us;         /* wall clock */
	const char *upstream;     /* whose reply was served */
	const char *qname;        /* presentation form */
	uint16_t qtype;
	unsigned drops;           /* replies dropped before it */
	bool unverified;          /* served after the window, unverified */
	uint32_t real_rtt_us;     /* the served reply's round trip (0: over TLS) */
	uint32_t answer_us;       /* the client's query in to the answer out */
};

struct guard_config {
	struct sockaddr_storage listen[GUARD_LISTEN_MAX];
	socklen_t listen_len[GUARD_LISTEN_MAX];
	unsigned nlisten;
	struct guard_upstream up[GUARD_UPSTREAM_MAX];
	unsigned nup;
	uint32_t timeout_ms;      /* a query's whole life (default 2000) */
	uint32_t window_ms;       /* Hold-On: wait after the first reply when no
				   * profile can verify it (default 300) */
	uint32_t min_ttl, max_ttl; /* cache clamps (max 0: none) */
	size_t cache_max;         /* entries; 0: no cache */
	unsigned inflight_max;    /* open queries (default 1024) */
	unsigned tcp_clients_max; /* client TCP connections (default 64) */
	unsigned checks;          /* enum guard_check bits switched on */
	bool holdon;              /* judge and wait; false: a plain forwarder */
	uint8_t calibrate[256];   /* wire name; calibrate[0] == 0 and !have_calibrate: none */
	bool have_calibrate;
	uint32_t calibrate_every_ms; /* default 10000 */
	const char *ca_file;      /* tls: certificates checked against it (NULL: system store) */
	bool prefer_tls;          /* every query to the tls: upstreams */
	bool fallback;            /* to tls: while a path is judged injected (default on) */
	/* DNSSEC (guard/dnssec.h): a validator with its trust anchors, taken
	 * by guard_open (freed by guard_close, and by guard_open when it
	 * fails); NULL: no validation. With it every upstream query carries
	 * DO, every reply is validated and a bogus one dropped (counted under
	 * GUARD_CHECK_DNSSEC, which the caller sets in checks too), keys are
	 * fetched through the same judged upstream paths. */
	struct guard_dnssec *dnssec;
	uint32_t fallback_hold_ms; /* a path is judged injected this long after a drop (30000) */
	void (*on_drop)(void *ctx, const struct guard_drop_info *d);
	/* may be NULL: a cached answer purged; a forged name answered */
	void (*on_purge)(void *ctx, const struct guard_purge_info *pi);
	void (*on_answer)(void *ctx, const struct guard_answer_info *ai);
	void *ctx;
};

/* The configuration's defaults (no listener, no upstream). */
void guard_config_default(struct guard_config *cfg);

struct guard_counters {
	uint64_t queries, queries_udp, queries_tcp;
	uint64_t malformed, oversized, refused_busy, truncated;
	uint64_t cache_hits, cache_misses, cache_purged;
	uint64_t answered, servfail, servfail_forged, servfail_timeout, servfail_disagree;
	uint64_t servfail_bogus, servfail_keys;
	uint64_t dnssec_secure, dnssec_insecure, dnssec_bogus, key_fetches, key_fetch_failed;
	uint64_t upstream_sent, upstream_replies, upstream_mismatch, upstream_errors;
	uint64_t retransmits;     /* queries asked again, unanswered after 3 RTTs (a leg each) */
	uint64_t wait_full;       /* replies not kept: a query's list of replies waiting for keys full */
	uint64_t accepted, accepted_unverified, duplicates, late_disagree;
	uint64_t dropped, dropped_by[GUARD_CHECK_COUNT];
	uint64_t calibrations, calibration_samples, calibration_disagree;
	uint64_t forged_addrs_learned;
	uint64_t fallbacks;
};

struct guard;

/* Open the listeners (UDP and TCP on each address) and the state. 0, or -1
 * with ERR (an address in use, no upstream, ...). */
DW_MUST_CHECK int guard_open(struct guard **out, const struct guard_config *cfg,
			     struct dw_error *err);

/* Wait up to MAX_WAIT_MS for something to do, and do it. 0, or -1 with ERR
 * for a failure of the loop itself (not of one query). */
DW_MUST_CHECK int guard_poll(struct guard *g, int max_wait_ms, struct dw_error *err);

const struct guard_counters *guard_counters(const struct guard *g);
/* What it knows about injectors (read it; add addresses with
 * guard_learn_addr, groups here). */
struct guard_intel *guard_intel(struct guard *g);
/* Learn that ADDR (FAMILY AF_INET: 4 bytes, AF_INET6: 16) is forged (a
 * store's forged addresses): remembered, and with the addr check on every
 * cached answer holding it purged (counted, told to on_purge). Returns true
 * if it was not known before. */
bool guard_learn_addr(struct guard *g, int family, const uint8_t *addr);
/* The path profile of upstream I. */
const struct guard_profile *guard_profile(const struct guard *g, unsigned i);

/* The counters, groups and profiles as one JSON object and a newline. */
void guard_write_json(const struct guard *g, FILE *out);

void guard_close(struct guard *g);

/* Parse "udp:ADDR[:PORT]", "tcp:...", "tls:ADDR[:PORT][#NAME]" ("[v6]:port"
 * for IPv6 with a port). 0, or -1 with ERR (DW_E_SYNTAX). */
DW_MUST_CHECK int guard_upstream_parse(const char *text, struct guard_upstream *up,
				       struct dw_error *err);
/* "ADDR[:PORT]" (default port DEFPORT) into SS. 0, or -1 with ERR. */
DW_MUST_CHECK int guard_addr_parse(const char *text, uint16_t defport,
				   struct sockaddr_storage *ss, socklen_t *len, struct dw_error *err);

/*
 * The client-query path alone, for the fuzzer and tests: judge client query
 * Q[0..QLEN) as the guard would (parse, limits) and, for a valid one, write
 * the SERVFAIL-with-EDE answer WHY into OUT[0..CAP). Returns its length, 0
 * for a query the guard drops (counted in *MALFORMED).
 */
size_t guard_servfail_for(const uint8_t *q, size_t qlen, const char *why, uint16_t ede,
			  uint8_t *out, size_t cap, uint64_t *malformed);

/* The upstream-reply path's last step alone: REPLY[0..RLEN) rewritten as
 * the answer to client query Q[0..QLEN) over UDP or TCP (its ID, question
 * and case, RD, OPT only for an EDNS client, TC when too large). Returns
 * its length, 0 when the guard would not serve it. */
size_t guard_answer_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen, bool tcp,
			uint8_t *out, size_t cap);

/* The same for a validating guard (--trust-anchor): REPLY as kept (its AD
 * the guard's verdict) shaped for the client first: AD only for a client
 * that asked with DO or AD, no RRSIG/NSEC/NSEC3 and no DO for a client
 * without DO. */
size_t guard_answer_validated_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen,
				  bool tcp, uint8_t *out, size_t cap);

/* The same for a reply read from the cache with its OPT offset
 * (guard_cache_get): the cache-hit path, which skips the parse when it can.
 * Its answer is guard_answer_for's, byte for byte. */
size_t guard_answer_cached_for(const uint8_t *q, size_t qlen, const uint8_t *reply, size_t rlen,
			       size_t opt_off, bool tcp, uint8_t *out, size_t cap);

#endif
