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

#include "util/error.h"
#include "probe/result.h"
#include "wire/msg.h"
#include "wire/name.h"

#define WALK_STEPS_MAX 8
/* Records read per reply: a root referral (13 NS, 26 glue, OPT) fits; one
 * with more is read up to here, which still holds the first NS and glue. */
#define WALK_RR_MAX 64

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
 * be NULL) gets every step.
 *
 * The walk's outcome: 0 when a final reply (answer, NXDOMAIN, NODATA, or an
 * error rcode) was received, 1 when the walk failed (timeout, a referral
 * with no usable glue, a loop, more than WALK_STEPS_MAX steps: TRACE->why
 * says which; a query that could not be sent, no route, is such a failure
 * too: the path's, not the walker's). The walker's own failure, which no
 * later walk can fix: -1 with ERR set (QNAME no wire name: DW_E_INVALID; a
 * socket that cannot be opened, a failed poll or receive: DW_E_SYSTEM and
 * errno's words, DW_E_NOMEM).
 */
DW_MUST_CHECK int walk_run(const struct walk_config *cfg, const uint8_t *qname, uint16_t qtype,
			   struct probe_result *out, struct walk_trace *trace, struct dw_error *err);

/* What one reply tells the walk to do (walk_decide). */
enum walk_verdict {
	WALK_ANSWER,    /* records in the answer section (a CNAME alone too): final */
	WALK_RCODE,     /* no answer and an rcode other than NOERROR: final */
	WALK_NODATA,    /* NOERROR, no answer, and an SOA or no NS in authority: final */
	WALK_REFERRAL,  /* delegated down towards the name: ask NEXT->server next */
	WALK_TRUNCATED, /* TC set: the walk fails, TCP is not tried */
	WALK_SIDEWAYS,  /* a delegation not strictly below ZONE and above the name: fails */
	WALK_NO_GLUE,   /* a delegation down, but no NS of it has A glue: fails */
	WALK_VERDICT_COUNT
};

/* Where a referral sends the walk. */
struct walk_next {
	uint8_t server[4];           /* the glue address of NS */
	uint8_t zone[WIRE_NAME_MAX]; /* the child zone, lower case, zero-padded */
	uint8_t ns[WIRE_NAME_MAX];   /* the first NS of ZONE with A glue, lower case */
};

/*
 * The walk's decision on one reply, apart from the sockets so that it can be
 * tested and fuzzed on its own. M is the reply as wire_msg_parse left it
 * with DW_OK or DW_E_TOO_MANY_RR (records beyond those read are ignored);
 * QNAME the name walked and ZONE the zone the server was asked as (valid
 * wire names; QNAME within ZONE). AT names the server for the why line
 * ("198.19.66.66 (ns.example.com., zone example.com.)").
 *
 * NEXT is zeroed, then: on WALK_REFERRAL all of it is set, and NEXT->zone is
 * strictly below ZONE and an ancestor of QNAME or QNAME itself; on
 * WALK_SIDEWAYS and WALK_NO_GLUE only NEXT->zone, the zone offered. WHY
 * (WHYCAP bytes, always NUL-terminated when WHYCAP > 0) gets the one line
 * walk_trace.why shows when the walk ends here ("answer from AT", "NXDOMAIN
 * from AT", "referral to x. without glue at AT", ...); on a referral it is
 * filled too but the walk goes on.
 */
enum walk_verdict walk_decide(const struct wire_msg *m, const uint8_t *qname,
			      const uint8_t *zone, const char *at, struct walk_next *next,
			      char *why, size_t whycap);

#endif
