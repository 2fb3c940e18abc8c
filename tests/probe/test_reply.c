/* probe/reply: a reply padded with more records than the parser keeps still
 * shows its question and its answer (an injector must not hide behind
 * padding). */
#include <arpa/inet.h>

#include "harness.h"
#include "probe/reply.h"
#include "wire/build.h"
#include "wire/edns.h"

static void test_padded_forgery(void)
{
	static uint8_t buf[4096];
	uint8_t name[WIRE_NAME_MAX], root[1] = {0};
	size_t nl;
	CHECK_EQ(wire_name_from_text("www.example.com", name, &nl), DW_OK);
	struct wire_builder b;
	wire_build_init(&b, buf, sizeof buf, 7, WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA);
	wire_build_question(&b, name, WIRE_T_A, WIRE_C_IN);
	const uint8_t forged[4] = {65, 49, 2, 178};
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, name, WIRE_T_A, WIRE_C_IN, 60, forged, 4);
	for (int i = 0; i < 200; i++) /* 200 minimal records of padding */
		wire_build_rr_raw(&b, WIRE_SEC_ADDITIONAL, root, 65280, WIRE_C_IN, 0, NULL, 0);
	size_t len;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	uint8_t q[PROBE_QUESTION_MAX];
	size_t ql = probe_question_make(name, WIRE_T_A, q);
	struct probe_reply r = {0};
	probe_reply_fill(&r, buf, len, q, ql);
	CHECK(r.parsed);
	CHECK(r.question_match);
	CHECK_EQ(r.naddrs, 1);
	CHECK_EQ(r.arcount, 200);
	char a[16];
	CHECK_STR(inet_ntop(AF_INET, r.addrs[0].addr, a, sizeof a), "65.49.2.178");
}

/* The EDE info-code is read when the reply is parsed: kept in the record,
 * even when the reply is longer than the raw bytes kept. */
static void test_ede(void)
{
	static uint8_t buf[4096];
	uint8_t name[WIRE_NAME_MAX], root[1] = {0};
	size_t nl, len;
	CHECK_EQ(wire_name_from_text("dev.example.com", name, &nl), DW_OK);
	uint8_t q[PROBE_QUESTION_MAX];
	size_t ql = probe_question_make(name, WIRE_T_A, q);
	struct wire_builder b;
	wire_build_init(&b, buf, sizeof buf, 9, WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA | 2);
	wire_build_question(&b, name, WIRE_T_A, WIRE_C_IN);
	for (int i = 0; i < 60; i++) /* 660 bytes of padding before the OPT */
		wire_build_rr_raw(&b, WIRE_SEC_ADDITIONAL, root, 65280, WIRE_C_IN, 0, NULL, 0);
	const uint8_t opt[6] = {0, WIRE_EDNS_EDE, 0, 2, 0, 10}; /* RRSIGs Missing */
	wire_build_edns(&b, 1232, 0, 0, 0, opt, sizeof opt);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	CHECK(len > PROBE_RAW_MAX);
	struct probe_reply r = {0};
	CHECK_EQ(probe_reply_fill(&r, buf, len, q, ql), 0);
	CHECK(r.rawlen < r.len);
	CHECK(r.has_ede);
	CHECK_EQ(r.ede, 10);
	CHECK_EQ(r.rcode, 2);

	/* none: has_ede false, whatever was there before */
	wire_build_init(&b, buf, sizeof buf, 9, WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA | 2);
	wire_build_question(&b, name, WIRE_T_A, WIRE_C_IN);
	wire_build_edns(&b, 1232, 0, 0, 0, NULL, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	CHECK_EQ(probe_reply_fill(&r, buf, len, q, ql), 0);
	CHECK(!r.has_ede);
	CHECK_EQ(r.ede, 0);
}

int main(void)
{
	RUN(test_padded_forgery);
	RUN(test_ede);
	return harness_done();
}
