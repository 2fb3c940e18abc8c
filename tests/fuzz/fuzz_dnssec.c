/* libFuzzer: the guard's DNSSEC validator on upstream replies. The input
 * is a sequence of replies, each [qtype u16][length u16][bytes], judged in
 * order by one fresh validator (what one teaches, the next is judged by);
 * the question's name is the reply's own when it parses. The anchor and
 * the time are those the seed corpus was signed with (tests/guard/
 * test_dnssec.c writes the seeds with DW_DNSSEC_SEEDS=DIR), so the seeds
 * reach the secure paths, not only the bogus ones. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/dnssec.h"
#include "wire/msg.h"
#include "wire/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEED_TIME 1796455361u
static const char anchor[] =
	"example.\t3600\tIN\tDS\t28259 13 2 7919f066c91917408f2ec7b4825a88886ec212ed354b9e28042290d8012a10df\n"
	"example.\t3600\tIN\tDS\t28281 13 2 1a035898f0f59f986733dfc18002e325714b4727da798024c1b47860867a3d94\n";

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(path, sizeof path, "/tmp/dw_fuzz_dnssec_%d.ds", (int)getpid());
		FILE *f = fopen(path, "w");
		if (!f || fputs(anchor, f) < 0 || fclose(f))
			abort();
		atexit(cleanup);
	}
	struct guard_dnssec *v;
	if (guard_dnssec_new(&v, path, NULL))
		abort();
	static struct wire_rr rr[WIRE_RR_MAX];
	for (unsigned k = 0; k < 16 && size >= 4; k++) {
		uint16_t qtype = (uint16_t)(data[0] << 8 | data[1]);
		size_t len = (size_t)data[2] << 8 | data[3];
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		uint8_t qname[WIRE_NAME_MAX] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
		struct wire_msg m;
		if (wire_msg_parse(&m, data, len, rr, WIRE_RR_MAX) == DW_OK && m.rr_count &&
		    m.rr[0].section == WIRE_SEC_QUESTION && !wire_msg_name(&m, m.rr[0].owner_off, qname))
			abort();
		struct guard_dnssec_result r;
		enum guard_dnssec_verdict res = guard_dnssec_check(v, data, len, qname, qtype, SEED_TIME, true, &r);
		if (res != r.verdict || (unsigned)res > GUARD_DNSSEC_NEED || !memchr(r.why, 0, sizeof r.why))
			abort();
		if (res == GUARD_DNSSEC_NEED &&
		    ((r.need_type != 43 && r.need_type != 48) || !wire_name_len(r.need_name, WIRE_NAME_MAX)))
			abort(); /* a need the guard could ask for */
		if (res == GUARD_DNSSEC_BOGUS && !r.why[0])
			abort(); /* a drop always has its evidence */
		data += len;
		size -= len;
	}
	guard_dnssec_free(v);
	return 0;
}
