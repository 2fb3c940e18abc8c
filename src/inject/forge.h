/*
 * From a captured frame to a forged reply: deciding whether a frame is a DNS
 * query an injector may answer (the capture-to-decision path, fuzzed), and
 * building the reply frame for one injector profile. No I/O; the engine
 * captures and sends.
 *
 * A frame is answered only if it is a complete UDP datagram to port 53 whose
 * payload parses as a standard query (QR=0, opcode QUERY) with exactly one
 * question of class IN and no answer or authority records. Everything else,
 * responses passing through included, is ignored: the injector never forges
 * from garbage.
 */
#ifndef DW_INJECT_FORGE_H
#define DW_INJECT_FORGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inject/profile.h"
#include "inject/rules.h"
#include "net/packet.h"
#include "wire/msg.h"
#include "wire/name.h"

/* Why a frame was not a query to answer, for the counters. */
enum inject_class {
	INJ_QUERY = 0,     /* a query: look it up */
	INJ_NOT_UDP53,     /* not a complete UDP datagram to port 53 */
	INJ_FRAGMENT,      /* an IP fragment */
	INJ_RESPONSE,      /* QR set: a reply passing through */
	INJ_MALFORMED,     /* payload does not parse as DNS */
	INJ_NOT_QUERY      /* opcode, question count, class or sections unfit */
};

/* A few records are enough: a query has one question and maybe an OPT. */
#define INJECT_QUERY_RR 8

struct inject_query {
	const uint8_t *frame;
	size_t len;
	size_t l2_len;                 /* bytes before the IP header */
	struct net_packet pkt;
	struct wire_msg msg;
	struct wire_rr rr[INJECT_QUERY_RR];
	uint8_t qname[WIRE_NAME_MAX];  /* as sent (case kept) */
	size_t qname_len;
	uint16_t qtype;
	size_t question_end;           /* offset after the question in the payload */
	bool rd;
};

/* Decode and vet FRAME of link type LINK into Q. */
enum inject_class inject_classify(int link, const uint8_t *frame, size_t len,
				  struct inject_query *q);

/* Per-injector state: random numbers, the IP ID counter, pool cursors. */
#define FORGE_CURSORS 4096
struct forge_state {
	uint64_t rng;
	uint16_t ipid;
	struct { uint64_t key; uint32_t next; } cursor[FORGE_CURSORS];
};
void forge_state_init(struct forge_state *st, uint64_t seed);

/* Largest forged frame: link header, IPv6, UDP, a maximal question, answer. */
#define FORGE_FRAME_MAX 640

/*
 * Build the reply of profile P to query Q under RULE into OUT (at least
 * FORGE_FRAME_MAX bytes): the captured link header with the two MAC
 * addresses swapped, then IP, UDP and DNS. Returns the frame length, or 0
 * when this rule has nothing for this query type (e.g. only aaaa= and an A
 * query). Advances ST (IP ID, pool cursor).
 */
size_t inject_forge(const struct inject_profile *p, struct forge_state *st,
		    const struct inject_rules *rules, const struct inject_rule *rule,
		    const struct inject_query *q, uint8_t *out);

/* Does profile P answer query Q (by its RD bit)? */
bool inject_profile_answers(const struct inject_profile *p, const struct inject_query *q);

#endif
