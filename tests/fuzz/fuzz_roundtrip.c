/* libFuzzer: parse, rebuild, parse again. Whatever parses must rebuild, the
 * rebuilt message must parse to the same view, and rebuilding that must give
 * the same bytes (the builder is deterministic and compression is stable). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_view(const struct wire_msg *a, const struct wire_msg *b)
{
	if (a->rr_count != b->rr_count || memcmp(&a->hdr, &b->hdr, sizeof a->hdr) != 0)
		abort();
	for (size_t i = 0; i < a->rr_count; i++) {
		const struct wire_rr *x = &a->rr[i], *y = &b->rr[i];
		uint8_t n1[WIRE_NAME_MAX], n2[WIRE_NAME_MAX];
		if (x->type != y->type || x->class != y->class || x->ttl != y->ttl ||
		    x->section != y->section)
			abort();
		if (!wire_msg_name(a, x->owner_off, n1) || !wire_msg_name(b, y->owner_off, n2) ||
		    !wire_name_equal_exact(n1, n2))
			abort();
		/* The rdata must mean the same too: names inside it are
		 * recompressed, so compare the presentation form, which
		 * expands them (and shows unknown types as raw bytes). */
		static char t1[WIRE_RDATA_TEXT_MAX], t2[WIRE_RDATA_TEXT_MAX];
		if (x->section != WIRE_SEC_QUESTION &&
		    (wire_rdata_to_text(a, x, t1, sizeof t1) != wire_rdata_to_text(b, y, t2, sizeof t2) ||
		     strcmp(t1, t2) != 0))
			abort();
	}
	if (a->edns.present != b->edns.present || a->edns.count != b->edns.count ||
	    a->edns.payload != b->edns.payload || a->edns.flags != b->edns.flags ||
	    a->edns.ext_rcode != b->edns.ext_rcode || a->edns.version != b->edns.version ||
	    a->edns.options_len != b->edns.options_len ||
	    (a->edns.present && memcmp(a->raw + a->edns.options_off, b->raw + b->edns.options_off,
				      a->edns.options_len) != 0))
		abort();
	/* Trailing bytes are not records: the rebuilt message drops them. */
	if (b->trailing != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_rr rr1[WIRE_RR_MAX], rr2[WIRE_RR_MAX];
	static uint8_t out1[WIRE_MSG_MAX], out2[WIRE_MSG_MAX];
	struct wire_msg m1, m2;
	size_t len1, len2;

	if (wire_msg_parse(&m1, data, size, rr1, WIRE_RR_MAX) != DW_OK)
		return 0;
	/* Decompressing can make a message longer than 64 KiB: that is the
	 * only reason a parsed message may fail to rebuild. */
	enum dw_status st = wire_build_copy_msg(&m1, out1, sizeof out1, &len1);
	if (st == DW_E_NOSPACE)
		return 0;
	if (st != DW_OK)
		abort();
	if (wire_msg_parse(&m2, out1, len1, rr2, WIRE_RR_MAX) != DW_OK)
		abort();
	same_view(&m1, &m2);
	if (wire_build_copy_msg(&m2, out2, sizeof out2, &len2) != DW_OK)
		abort();
	if (len1 != len2 || memcmp(out1, out2, len1) != 0)
		abort();
	return 0;
}
