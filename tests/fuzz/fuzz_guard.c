/* libFuzzer: the guard's two network-input paths. The first byte picks
 * the transport and the split: bytes [3..3+QLEN) are a client query (QLEN
 * from bytes 1-2), the rest an upstream reply. The query goes through the
 * client path (parse, limits, the SERVFAIL-with-EDE answer); the reply
 * through the upstream path (parse into an observation, judged against a
 * learned profile and the intel it teaches, kept in and read back from the
 * cache, rewritten as the answer to that query, plainly and as a
 * validating guard shapes it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guard/cache.h"
#include "guard/judge.h"
#include "guard/server.h"
#include "wire/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[WIRE_MSG_MAX + 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool tcp = data[0] & 1;
	size_t qlen = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (qlen > size)
		qlen = size;
	const uint8_t *q = data, *r = data + qlen;
	size_t rlen = size - qlen;

	uint64_t bad = 0;
	size_t n = guard_servfail_for(q, qlen, "forged reply dropped, no real reply", 0, out, sizeof out, &bad);
	if (n) {
		struct wire_rr rr[8];
		struct wire_msg m;
		if (wire_msg_parse(&m, out, n, rr, 8) != DW_OK)
			abort(); /* what the guard writes always parses */
	} else if (bad != 1) {
		abort();
	}

	static struct guard_intel intel;
	static struct guard_profile prof = {.answer_ptr = -1};
	struct guard_obs o;
	memset(&o, 0, sizeof o);
	(void)guard_obs_fill(&o, r, rlen);
	o.ttl_known = true;
	o.ip_ttl = 61;
	o.rtt_us = 1000;
	char ev[256];
	int group;
	unsigned failed = guard_judge(&prof, &intel, &o, true, GUARD_CHECK_ALL, &group, ev, sizeof ev);
	if (strlen(ev) >= sizeof ev || (failed && !ev[0]))
		abort();
	/* learn from it, bounded: the state stays within its arrays */
	if (failed) {
		struct guard_fp fp;
		guard_fp_of(&o, &fp);
		(void)guard_intel_add_group(&intel, &fp, &prof);
		for (unsigned i = 0; i < o.naddrs; i++)
			guard_intel_add_addr(&intel, o.addrs[i].family, o.addrs[i].addr);
	} else {
		guard_profile_learn(&prof, &o, 1000000, 0);
	}

	static struct guard_cache *cache;
	if (!cache && guard_cache_new(&cache, 64, NULL))
		abort();
	static const uint8_t name[] = "\3www\7example\3com";
	static uint8_t kept[WIRE_MSG_MAX + 2], fast[WIRE_MSG_MAX + 2];
	size_t got, opt_off;
	if (guard_cache_put(cache, name, 1, 1, false, 0, r, rlen, 0, 86400, 5000000)) {
		if (!guard_cache_get(cache, name, 1, 1, false, 5000000, kept, sizeof kept, &got, &opt_off) ||
		    got != rlen)
			abort();
		/* the cache-hit path answers as the parsing path does, byte for byte */
		size_t a = guard_answer_for(q, qlen, kept, got, tcp, out, sizeof out);
		size_t b = guard_answer_cached_for(q, qlen, kept, got, opt_off, tcp, fast, sizeof fast);
		if (a != b || (a && memcmp(out, fast, a)))
			abort();
		/* every answer address the judge saw is in the cache's index: a
		 * purge by the first takes the entry out (the index holds all of
		 * the answer's, the judge at most GUARD_OBS_ADDRS) */
		if (o.parsed && o.naddrs &&
		    (guard_cache_purge_addr(cache, o.addrs[0].family, o.addrs[0].addr, name, false, NULL, NULL) != 1 ||
		     guard_cache_get(cache, name, 1, 1, false, 5000000, kept, sizeof kept, &got, &opt_off)))
			abort();
	}

	for (int validated = 0; validated < 2; validated++) {
		/* as a plain guard serves it, and as a validating one (shaped per
		 * client: AD, DNSSEC records and DO only where asked) */
		n = validated ? guard_answer_validated_for(q, qlen, r, rlen, tcp, out, sizeof out)
			      : guard_answer_for(q, qlen, r, rlen, tcp, out, sizeof out);
		if (n) {
			struct wire_rr *rr = malloc(sizeof *rr * WIRE_RR_MAX);
			struct wire_msg m;
			if (!rr || wire_msg_parse(&m, out, n, rr, WIRE_RR_MAX) != DW_OK || (!tcp && n > 4096))
				abort();
			free(rr);
		}
	}
	return 0;
}
