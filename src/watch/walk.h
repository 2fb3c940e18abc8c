/*
 * An iterative lookup from the root, the way a resolver walks but with no
 * cache and no trust in anyone's earlier answers: the `auth` path of
 * `dnswatch watch`. Asked from a vantage point outside the border, it tells
 * changed authoritative data (a hacked root or TLD server hands out a rogue
 * delegation, and the rogue server a wrong answer) from on-path injection
 * (which an outside vantage asking the servers directly never sees).
 *
 * Each step sends one query with RD clear to one server over a UDP socket
 * on a random port with a random ID and 0x20 case, takes the first reply
 * whose ID, source and question match, and follows a referral (NS in the
 * authority section, glue in the additional section) to the next server,
 * down to an answer, NXDOMAIN, NODATA or a failure. Blocking; one call per
 * name; runs in the calling thread's network namespace.
 */
#ifndef DW_WATCH_WALK_H
#define DW_WATCH_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"
#include "wire/name.h"

#define WALK_STEPS_MAX 8

struct walk_config {
	uint8_t root[4];          /* the root server's IPv4 address */
	uint16_t port;            /* 53 */
	uint32_t timeout_ms;      /* per step: one retransmission at half of it */
	uint64_t seed;            /* IDs, ports and 0x20 case */
};

/* One server asked on the way. */
struct walk_step {
	uint8_t server[4];        /* who was asked */
	uint8_t zone[WIRE_NAME_MAX]; /* the zone it was asked as (the root: ".") */
	uint16_t rcode;
	bool referral;            /* it delegated further down */
	uint32_t rtt_us;
};

struct walk_trace {
	unsigned nsteps;
	struct walk_step step[WALK_STEPS_MAX];
	char why[128];            /* how the walk ended, one line: "answer from 198.19.66.66
				   * (ns.example.com., zone example.com.)", "timeout at 198.19.53.2", ... */
};

/*
 * Walk QNAME (wire form) of QTYPE down from the root. OUT is filled as the
 * probe engine fills a query's result, so the classifier and the stores take
 * it as they are: qname (as sent in the last step), qtype, id, sport,
 * attempts (queries sent in all), sent_us (the first), and the final
 * server's reply as reply[0] (nreplies 1; probe_reply_fill for its DNS
 * fields, src = that server, ip_known false) or no reply if the walk timed
 * out. OUT->seq, line and target are the caller's and left alone. TRACE (may
 * be NULL) gets every step. Returns 0 when a final reply (answer, NXDOMAIN,
 * NODATA, or an error rcode) was received, 1 when the walk failed (timeout,
 * a referral with no usable glue, a loop, more than WALK_STEPS_MAX steps:
 * TRACE->why says which), -1 on a local error (socket).
 */
int walk_run(const struct walk_config *cfg, const uint8_t *qname, uint16_t qtype,
	     struct probe_result *out, struct walk_trace *trace);

#endif
