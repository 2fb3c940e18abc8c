/* Tests of src/wire/edns.c: iterating EDNS0 options, option and EDE names. */
#include "harness.h"

#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "wire/edns.h"
#include "wire/msg.h"

static struct wire_rr rrs[8];

static void test_options(void)
{
	struct pk p;
	pk_hdr(&p, 1, 0x8000, 0, 0, 0, 1);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0x8000, 8 + 4 + 6);
	pk_u16(&p, WIRE_EDNS_NSID);
	pk_u16(&p, 4);
	pk_bytes(&p, "abcd", 4);
	pk_u16(&p, WIRE_EDNS_PADDING);
	pk_u16(&p, 0);
	pk_u16(&p, WIRE_EDNS_EDE);
	pk_u16(&p, 2);
	pk_u16(&p, 16);
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 8), DW_OK);
	size_t pos = 0;
	uint16_t code = 0, len = 0;
	const uint8_t *data = NULL;
	CHECK(wire_edns_next_option(&m, &pos, &code, &data, &len));
	CHECK_EQ(code, 3);
	CHECK_EQ(len, 4);
	CHECK(data == p.b + m.edns.options_off + 4);
	CHECK(wire_edns_next_option(&m, &pos, &code, &data, &len));
	CHECK_EQ(code, 12);
	CHECK_EQ(len, 0);
	CHECK(wire_edns_next_option(&m, &pos, &code, &data, &len));
	CHECK_EQ(code, 15);
	CHECK_EQ(len, 2);
	CHECK_EQ(data[0] << 8 | data[1], 16);
	CHECK(!wire_edns_next_option(&m, &pos, &code, &data, &len));
	CHECK_EQ(pos, 18);

	/* no OPT: no options */
	pk_hdr(&p, 1, 0, 0, 0, 0, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 8), DW_OK);
	pos = 0;
	CHECK(!wire_edns_next_option(&m, &pos, &code, &data, &len));
	/* OPT without options */
	pk_hdr(&p, 1, 0, 0, 0, 0, 1);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 512, 0, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 8), DW_OK);
	pos = 0;
	CHECK(!wire_edns_next_option(&m, &pos, &code, &data, &len));
}

static void test_names(void)
{
	CHECK_STR(wire_edns_option_name(3), "NSID");
	CHECK_STR(wire_edns_option_name(8), "CLIENT-SUBNET");
	CHECK_STR(wire_edns_option_name(10), "COOKIE");
	CHECK_STR(wire_edns_option_name(12), "PADDING");
	CHECK_STR(wire_edns_option_name(15), "EDE");
	CHECK(wire_edns_option_name(0) == NULL);
	CHECK(wire_edns_option_name(65001) == NULL);
	CHECK_STR(wire_ede_name(0), "Other");
	CHECK_STR(wire_ede_name(15), "Blocked");
	CHECK_STR(wire_ede_name(16), "Censored");
	CHECK_STR(wire_ede_name(17), "Filtered");
	CHECK_STR(wire_ede_name(18), "Prohibited");
	CHECK_STR(wire_ede_name(24), "Invalid Data");
	CHECK(wire_ede_name(1000) == NULL);
}

int main(void)
{
	RUN(test_options);
	RUN(test_names);
	return harness_done();
}
