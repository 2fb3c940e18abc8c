/* libFuzzer: what the iterative walk (watch/walk.c) does with a reply it
 * took: the parse, as take() does it (WALK_RR_MAX records, more is not an
 * error), then walk_decide with the question's name as the name walked and
 * one of its suffixes, picked by the first byte, as the zone asked. A
 * referral must lead strictly down towards the name, or a rogue server
 * could keep the walk going round. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch/walk.h"
#include "wire/msg.h"
#include "wire/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The name walked when the reply carries no question: the walker only takes
 * replies with one, but the decision should not depend on that. */
static const uint8_t fallback[] = "\3www\7example\3com";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct wire_rr rr[WALK_RR_MAX];
	struct wire_msg m;
	enum dw_status st = wire_msg_parse(&m, data, size, rr, WALK_RR_MAX);
	if (st != DW_OK && st != DW_E_TOO_MANY_RR)
		return 0;

	uint8_t qname[WIRE_NAME_MAX] = {0};
	if (!wire_msg_section_count(&m, WIRE_SEC_QUESTION) ||
	    !wire_msg_name(&m, m.rr[0].owner_off, qname)) {
		memset(qname, 0, sizeof qname);
		memcpy(qname, fallback, sizeof fallback);
	}

	/* The zone: QNAME less the first K labels, K from the first byte,
	 * lower case as the walker keeps it; K == labels is the root. */
	unsigned labels = wire_name_labels(qname);
	unsigned k = data[0] % (labels + 1);
	size_t off = 0;
	for (unsigned i = 0; i < k; i++)
		off += 1 + (size_t)qname[off];
	uint8_t zone[WIRE_NAME_MAX] = {0};
	memcpy(zone, qname + off, wire_name_len(qname + off, WIRE_NAME_MAX - off));
	wire_name_canonicalize(zone);

	struct walk_next next;
	/* Poisoned, so that a field walk_decide leaves unset is noticed. */
	memset(&next, 0xa5, sizeof next);
	char why[128];
	memset(why, 'x', sizeof why);
	/* Byte 1 of the ID picks a short buffer now and then, for the cut. */
	size_t whycap = size > 1 && data[1] < 16 ? (size_t)data[1] : sizeof why;
	enum walk_verdict v = walk_decide(&m, qname, zone, "192.0.2.1 (zone fuzz.)", &next, why,
					  whycap);

	if ((unsigned)v >= WALK_VERDICT_COUNT)
		abort();
	if (whycap && !memchr(why, 0, whycap))
		abort();
	if (!whycap && why[0] != 'x')
		abort();
	switch (v) {
	case WALK_REFERRAL:
		if (!wire_name_len(next.ns, WIRE_NAME_MAX))
			abort();
		/* fall through */
	case WALK_NO_GLUE:
		/* Strictly below the zone asked, and the name is in it. */
		if (!wire_name_is_subdomain(next.zone, zone) || wire_name_equal(next.zone, zone) ||
		    !wire_name_is_subdomain(qname, next.zone))
			abort();
		break;
	case WALK_SIDEWAYS:
		if (!wire_name_len(next.zone, WIRE_NAME_MAX))
			abort();
		break;
	case WALK_ANSWER:
		if (!wire_msg_section_count(&m, WIRE_SEC_ANSWER))
			abort();
		break;
	case WALK_RCODE:
		if (wire_msg_rcode(&m) == WIRE_RCODE_NOERROR)
			abort();
		break;
	default:
		break;
	}
	/* Outside a referral, no server or name to go on to: a caller that
	 * looked at them anyway would find zeros, not stale bytes. */
	if (v != WALK_REFERRAL) {
		static const struct walk_next zero;
		if (memcmp(next.server, zero.server, 4) || memcmp(next.ns, zero.ns, sizeof next.ns))
			abort();
	}
	return 0;
}
