/* Tests of src/wire/msg.c: header, sections, EDNS0, names of values, and
 * hostile packets (exact status, offset and field of every failure). */
#include "harness.h"

#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

static struct wire_rr rrs[WIRE_RR_MAX];

/* Parse P and require failure ST at OFF in SEC[IDX] FIELD, described as
 * DESC, with RR_COUNT records kept. */
static void expect_fail(const char *what, const struct pk *p, size_t cap,
			enum dw_status st, size_t off, int sec, unsigned idx,
			const char *field, const char *desc, size_t rr_count)
{
	int before = harness_failed_checks;
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p->b, p->n, rrs, cap), st);
	CHECK_EQ(m.err.status, st);
	CHECK_EQ(m.err.offset, off);
	CHECK_EQ(m.err.section, sec);
	if (sec >= 0 && strcmp(field, "count") != 0)
		CHECK_EQ(m.err.index, idx);
	CHECK(m.err.field != NULL);
	if (m.err.field)
		CHECK_STR(m.err.field, field);
	char buf[256];
	CHECK_STR(wire_error_describe(&m.err, buf, sizeof buf), desc);
	CHECK_EQ(m.rr_count, rr_count);
	if (harness_failed_checks != before)
		printf("#     in case: %s\n", what);
}

/* A question for "a." type A class IN (7 octets), common to many cases. */
static void q_a(struct pk *p)
{
	pk_name(p, "a");
	pk_u16(p, WIRE_T_A);
	pk_u16(p, WIRE_C_IN);
}

static void test_header_and_sections(void)
{
	struct pk p;
	/* QR opcode=2 AA TC RD RA Z AD CD rcode=5 */
	pk_hdr(&p, 0xBEEF, 0x8000 | 2 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0040 |
				    0x0020 | 0x0010 | 5,
	       1, 2, 1, 1);
	pk_name(&p, "www.example.com"); /* 12 */
	pk_u16(&p, WIRE_T_A);
	pk_u16(&p, WIRE_C_IN);
	/* answer 0: CNAME, owner pointer to 12 */
	size_t an0 = p.n;
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_CNAME, WIRE_C_IN, 300, 6);
	size_t cname_rd = p.n;
	pk_u8(&p, 3);
	pk_bytes(&p, "web", 3);
	pk_u16(&p, 0xC000 | 16); /* -> example.com at 16 */
	/* answer 1: A for web.example.com (pointer to the CNAME target) */
	pk_u16(&p, 0xC000 | (unsigned)cname_rd);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0xFFFFFFFFu, 4);
	pk_bytes(&p, "\xC0\x00\x02\x01", 4);
	/* authority: NS */
	pk_u16(&p, 0xC000 | 16);
	pk_rr_fixed(&p, WIRE_T_NS, WIRE_C_IN, 86400, 6);
	pk_u8(&p, 3);
	pk_bytes(&p, "ns1", 3);
	pk_u16(&p, 0xC000 | 16);
	/* additional: a record of unknown type, class CH */
	pk_name(&p, ".");
	pk_rr_fixed(&p, 65280, WIRE_C_CH, 7, 3);
	pk_bytes(&p, "\x01\x02\x03", 3);
	pk_bytes(&p, "XY", 2); /* trailing bytes */

	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m.hdr.id, 0xBEEF);
	CHECK(m.hdr.flags & WIRE_FLAG_QR);
	CHECK(m.hdr.flags & WIRE_FLAG_AA);
	CHECK(m.hdr.flags & WIRE_FLAG_TC);
	CHECK(m.hdr.flags & WIRE_FLAG_RD);
	CHECK(m.hdr.flags & WIRE_FLAG_RA);
	CHECK(m.hdr.flags & WIRE_FLAG_Z);
	CHECK(m.hdr.flags & WIRE_FLAG_AD);
	CHECK(m.hdr.flags & WIRE_FLAG_CD);
	CHECK_EQ(WIRE_OPCODE(m.hdr.flags), 2);
	CHECK_EQ(WIRE_RCODE(m.hdr.flags), 5);
	CHECK_EQ(wire_msg_rcode(&m), 5);
	CHECK_EQ(m.hdr.count[WIRE_SEC_QUESTION], 1);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 2);
	CHECK_EQ(m.hdr.count[WIRE_SEC_AUTHORITY], 1);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ADDITIONAL], 1);
	CHECK_EQ(m.rr_count, 5);
	CHECK_EQ(m.trailing, 2);
	CHECK(!m.edns.present);
	CHECK(m.raw == p.b);
	CHECK_EQ(m.len, p.n);

	CHECK_EQ(wire_msg_section_start(&m, WIRE_SEC_QUESTION), 0);
	CHECK_EQ(wire_msg_section_start(&m, WIRE_SEC_ANSWER), 1);
	CHECK_EQ(wire_msg_section_start(&m, WIRE_SEC_AUTHORITY), 3);
	CHECK_EQ(wire_msg_section_start(&m, WIRE_SEC_ADDITIONAL), 4);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_QUESTION), 1);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_ANSWER), 2);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_AUTHORITY), 1);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_ADDITIONAL), 1);

	const struct wire_rr *q = &rrs[0];
	CHECK_EQ(q->owner_off, 12);
	CHECK_EQ(q->type, WIRE_T_A);
	CHECK_EQ(q->class, WIRE_C_IN);
	CHECK_EQ(q->section, WIRE_SEC_QUESTION);
	CHECK_EQ(q->rdlen, 0);
	CHECK_EQ(q->ttl, 0);
	CHECK_EQ(q->rdata_off, an0);

	uint8_t w[WIRE_NAME_MAX];
	char t[WIRE_NAME_TEXT_MAX];
	CHECK_EQ(wire_msg_name(&m, rrs[1].owner_off, w), 17);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "www.example.com.");
	CHECK_EQ(rrs[1].type, WIRE_T_CNAME);
	CHECK_EQ(rrs[1].ttl, 300);
	CHECK_EQ(rrs[1].rdlen, 6);
	CHECK_EQ(rrs[1].rdata_off, cname_rd);
	CHECK_EQ(rrs[1].section, WIRE_SEC_ANSWER);
	CHECK_EQ(wire_msg_name(&m, rrs[1].rdata_off, w), 17);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "web.example.com.");
	CHECK_EQ(wire_msg_name(&m, rrs[2].owner_off, w), 17);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "web.example.com.");
	CHECK_EQ(rrs[2].ttl, 0xFFFFFFFFu);
	CHECK_EQ(rrs[3].section, WIRE_SEC_AUTHORITY);
	CHECK_EQ(rrs[3].type, WIRE_T_NS);
	CHECK_EQ(rrs[4].section, WIRE_SEC_ADDITIONAL);
	CHECK_EQ(rrs[4].type, 65280);
	CHECK_EQ(rrs[4].class, WIRE_C_CH);
	CHECK_EQ(rrs[4].ttl, 7);
	CHECK_EQ(rrs[4].rdlen, 3);
	CHECK_EQ(wire_msg_name(&m, rrs[4].owner_off, w), 1);
	/* wire_msg_name on a bad offset fails rather than reading garbage */
	CHECK_EQ(wire_msg_name(&m, p.n, w), 0);
	CHECK_EQ(wire_msg_name(&m, p.n + 100, w), 0);

	/* Exactly the right array size is enough. */
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 5), DW_OK);
	/* An empty message (header only) */
	pk_hdr(&p, 1, 0, 0, 0, 0, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, NULL, 0), DW_OK);
	CHECK_EQ(m.rr_count, 0);
	CHECK_EQ(m.trailing, 0);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_ANSWER), 0);
}

static void test_edns(void)
{
	struct pk p;
	pk_hdr(&p, 7, 0x8000 | 0x0003, 1, 0, 0, 1);
	q_a(&p);
	size_t opt_at = p.n;
	pk_u8(&p, 0); /* root owner */
	/* payload 1232, ext rcode 0x12, version 0, DO + 0x0123 */
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0x12008123u, 4 + 2 + 4 + 8);
	size_t opts = p.n;
	pk_u16(&p, 3); /* NSID */
	pk_u16(&p, 2);
	pk_bytes(&p, "ns", 2);
	pk_u16(&p, 10); /* cookie: client only */
	pk_u16(&p, 8);
	pk_bytes(&p, "\1\2\3\4\5\6\7\x08", 8);

	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK(m.edns.present);
	CHECK_EQ(m.edns.count, 1);
	CHECK_EQ(m.edns.payload, 1232);
	CHECK_EQ(m.edns.ext_rcode, 0x12);
	CHECK_EQ(m.edns.version, 0);
	CHECK_EQ(m.edns.flags, 0x8123);
	CHECK(m.edns.flags & WIRE_EDNS_DO);
	CHECK_EQ(m.edns.rr_index, 1);
	CHECK_EQ(m.edns.options_off, opts);
	CHECK_EQ(m.edns.options_len, 18);
	CHECK_EQ(rrs[1].owner_off, opt_at);
	/* 12-bit rcode: 0x12 << 4 | 3 */
	CHECK_EQ(wire_msg_rcode(&m), 0x123);
	/* BADVERS is 16: header rcode 0, ext rcode 1 */
	p.b[3] = 0;
	p.b[opt_at + 5] = 1;
	p.b[opt_at + 6] = 1; /* version 1 */
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(wire_msg_rcode(&m), 16);
	CHECK_EQ(m.edns.version, 1);
	char b[32];
	CHECK_STR(wire_rcode_name(wire_msg_rcode(&m), b, sizeof b), "BADVERS");

	/* Two OPT records: the first one counts, the count says FORMERR. */
	pk_hdr(&p, 7, 0, 0, 0, 0, 2);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 512, 0, 0);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 4096, 0x8000, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK(m.edns.present);
	CHECK_EQ(m.edns.count, 2);
	CHECK_EQ(m.edns.payload, 512);
	CHECK_EQ(m.edns.flags, 0);
	CHECK_EQ(m.edns.options_len, 0);
	CHECK_EQ(m.edns.rr_index, 0);

	/* OPT outside the additional section is not EDNS. */
	pk_hdr(&p, 7, 0, 0, 1, 0, 0);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 512, 0x01000000u, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK(!m.edns.present);
	CHECK_EQ(m.edns.count, 0);
	CHECK_EQ(wire_msg_rcode(&m), 0);
}

static void test_value_names(void)
{
	char b[32];
	CHECK_STR(wire_section_name(WIRE_SEC_QUESTION), "question");
	CHECK_STR(wire_section_name(WIRE_SEC_ANSWER), "answer");
	CHECK_STR(wire_section_name(WIRE_SEC_AUTHORITY), "authority");
	CHECK_STR(wire_section_name(WIRE_SEC_ADDITIONAL), "additional");
	CHECK_STR(wire_section_name(WIRE_SEC_COUNT), "?");
	CHECK_STR(wire_type_name(1, b, sizeof b), "A");
	CHECK_STR(wire_type_name(28, b, sizeof b), "AAAA");
	CHECK_STR(wire_type_name(41, b, sizeof b), "OPT");
	CHECK_STR(wire_type_name(257, b, sizeof b), "CAA");
	CHECK_STR(wire_type_name(65534, b, sizeof b), "TYPE65534");
	CHECK_STR(wire_type_name(0, b, sizeof b), "TYPE0");
	CHECK_STR(wire_class_name(1, b, sizeof b), "IN");
	CHECK_STR(wire_class_name(3, b, sizeof b), "CH");
	CHECK_STR(wire_class_name(4, b, sizeof b), "HS");
	CHECK_STR(wire_class_name(254, b, sizeof b), "NONE");
	CHECK_STR(wire_class_name(255, b, sizeof b), "ANY");
	CHECK_STR(wire_class_name(1232, b, sizeof b), "CLASS1232");
	CHECK_STR(wire_rcode_name(0, b, sizeof b), "NOERROR");
	CHECK_STR(wire_rcode_name(3, b, sizeof b), "NXDOMAIN");
	CHECK_STR(wire_rcode_name(5, b, sizeof b), "REFUSED");
	CHECK_STR(wire_rcode_name(11, b, sizeof b), "DSOTYPENI");
	CHECK_STR(wire_rcode_name(12, b, sizeof b), "RCODE12");
	CHECK_STR(wire_rcode_name(4095, b, sizeof b), "RCODE4095");
	CHECK_STR(wire_opcode_name(0, b, sizeof b), "QUERY");
	CHECK_STR(wire_opcode_name(3, b, sizeof b), "OPCODE3");
	CHECK_STR(wire_opcode_name(5, b, sizeof b), "UPDATE");
	CHECK_STR(wire_opcode_name(6, b, sizeof b), "DSO");
	CHECK_STR(wire_opcode_name(15, b, sizeof b), "OPCODE15");
	uint16_t t = 0;
	CHECK(wire_type_from_name("aaaa", &t));
	CHECK_EQ(t, 28);
	CHECK(wire_type_from_name("Mx", &t));
	CHECK_EQ(t, 15);
	CHECK(wire_type_from_name("TYPE65", &t));
	CHECK_EQ(t, 65);
	CHECK(wire_type_from_name("type65535", &t));
	CHECK_EQ(t, 65535);
	t = 9;
	CHECK(!wire_type_from_name("TYPE65536", &t));
	CHECK(!wire_type_from_name("TYPE", &t));
	CHECK(!wire_type_from_name("TYPE1x", &t));
	CHECK(!wire_type_from_name("AAAAA", &t));
	CHECK(!wire_type_from_name("", &t));
	CHECK(!wire_type_from_name("TYPE99999999999999999999", &t));
	CHECK_EQ(t, 9);
	/* every mnemonic maps back to its number */
	for (unsigned v = 0; v < 300; v++) {
		const char *n = wire_type_name((uint16_t)v, b, sizeof b);
		CHECK(wire_type_from_name(n, &t));
		CHECK_EQ(t, v);
	}
}

static void test_describe(void)
{
	char b[128];
	struct wire_error e = {DW_E_TRUNCATED, 45, WIRE_SEC_ANSWER, 2, "rdata"};
	CHECK_STR(wire_error_describe(&e, b, sizeof b), "truncated at offset 45 (answer[2] rdata)");
	e = (struct wire_error){DW_E_COUNT_TOO_BIG, 8, WIRE_SEC_AUTHORITY, 0, "count"};
	CHECK_STR(wire_error_describe(&e, b, sizeof b),
		  "count field larger than the message at offset 8 (authority count)");
	/* a small buffer is cut, not overrun */
	char s[10];
	memset(s, 'x', sizeof s);
	CHECK_STR(wire_error_describe(&e, s, sizeof s), "count fie");
	/* the same line in an error record, with the parse's status */
	struct dw_error rec;
	CHECK_EQ(wire_error_record(&rec, &e, "reply from 192.0.2.1"), -1);
	CHECK_EQ(rec.status, DW_E_COUNT_TOO_BIG);
	CHECK_STR(rec.text, "reply from 192.0.2.1: count field larger than the message at offset 8 "
			    "(authority count)");
	CHECK_EQ(wire_error_record(&rec, &e, NULL), -1);
	CHECK_STR(rec.text, "count field larger than the message at offset 8 (authority count)");
	CHECK_EQ(wire_error_record(NULL, &e, NULL), -1);
}

/* --- hostile packets ------------------------------------------------------- */

static void test_hostile_pointers(void)
{
	struct pk p;
	/* self pointer */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("self pointer", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 12, 0, 0, "owner",
		    "compression pointer does not point backwards (loop) at offset 12 (question[0] owner)",
		    0);
	/* two pointers at each other: 12 -> 14 -> 12 */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_u16(&p, 0xC00E);
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 1);
	expect_fail("two pointers", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 12, 0, 0, "owner",
		    "compression pointer does not point backwards (loop) at offset 12 (question[0] owner)",
		    0);
	/* two pointers at each other, entered through the backward one: the
	 * answer owner at 19 points to the ID, whose bytes point back to 19 */
	pk_hdr(&p, 0xC013, 0, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC000);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0, 4);
	pk_u32(&p, 0);
	expect_fail("pointer loop via the header", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 0, 1, 0,
		    "owner",
		    "compression pointer does not point backwards (loop) at offset 0 (answer[0] owner)",
		    1);
	/* a label followed by a pointer back to that label */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_name(&p, "foo");
	p.n--; /* drop the root label */
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("label then pointer to it", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 16, 0, 0,
		    "owner",
		    "compression pointer does not point backwards (loop) at offset 16 (question[0] owner)",
		    0);
	/* pointer forward, to a valid name after it (ldns accepts this one) */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_u16(&p, 0xC012);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	pk_u8(&p, 0);
	expect_fail("pointer forward", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 12, 0, 0, "owner",
		    "compression pointer does not point backwards (loop) at offset 12 (question[0] owner)",
		    0);
	/* pointer past the end */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_u16(&p, 0xC0FF);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("pointer past the end", &p, WIRE_RR_MAX, DW_E_PTR_PAST_END, 12, 0, 0,
		    "owner",
		    "compression pointer past the end of the message at offset 12 (question[0] owner)",
		    0);
	/* pointer past the end inside rdata (CNAME), after one good record */
	pk_hdr(&p, 1, 0x8000, 1, 2, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_CNAME, WIRE_C_IN, 0, 2);
	pk_u16(&p, 0xC00C);
	size_t bad = p.n + 12;
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_CNAME, WIRE_C_IN, 0, 2);
	pk_u16(&p, 0xC000 | 0x3FFF);
	expect_fail("pointer past the end in rdata", &p, WIRE_RR_MAX, DW_E_PTR_PAST_END, bad,
		    1, 1, "rdata",
		    "compression pointer past the end of the message at offset 45 (answer[1] rdata)",
		    2);
	CHECK_EQ(bad, 45);
	/* a pointer in rdata to later in its own rdata: forward, not past the end */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_CNAME, WIRE_C_IN, 0, 3);
	pk_u16(&p, 0xC000 | (unsigned)(p.n + 2));
	pk_u8(&p, 0);
	expect_fail("pointer forward in rdata", &p, WIRE_RR_MAX, DW_E_PTR_FORWARD, 31, 1, 0,
		    "rdata",
		    "compression pointer does not point backwards (loop) at offset 31 (answer[0] rdata)",
		    1);
}

static void test_hostile_labels(void)
{
	struct pk p;
	/* label of 64 (length byte 0x40) */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_u8(&p, 0x40);
	for (int i = 0; i < 64; i++)
		pk_u8(&p, 'a');
	pk_u8(&p, 0);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("label of 64", &p, WIRE_RR_MAX, DW_E_LABEL_TOO_LONG, 12, 0, 0, "owner",
		    "label over 63 octets at offset 12 (question[0] owner)", 0);
	/* 0x80 label type, after a good label */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_name(&p, "ab");
	p.n--;
	pk_u8(&p, 0x81);
	pk_u8(&p, 'x');
	pk_u8(&p, 0);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("0x80 label", &p, WIRE_RR_MAX, DW_E_BAD_LABEL_TYPE, 15, 0, 0, "owner",
		    "reserved label type (0x40 or 0x80) at offset 15 (question[0] owner)", 0);
	/* a name of 256 octets (63+63+63+62 octet labels) */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {
		int n = l < 3 ? 63 : 62;
		pk_u8(&p, (unsigned)n);
		for (int i = 0; i < n; i++)
			pk_u8(&p, 'a' + l);
	}
	pk_u8(&p, 0);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	expect_fail("name of 256", &p, WIRE_RR_MAX, DW_E_NAME_TOO_LONG, 12 + 192, 0, 0, "owner",
		    "name over 255 octets at offset 204 (question[0] owner)", 0);
	/* ... and with 255 it parses */
	p.b[12 + 192] = 61;
	memmove(p.b + 12 + 254, p.b + 12 + 255, 5);
	p.n--;
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	uint8_t w[WIRE_NAME_MAX];
	CHECK_EQ(wire_msg_name(&m, 12, w), 255);
}

static void test_hostile_counts(void)
{
	struct pk p;
	/* truncated header */
	pk_hdr(&p, 1, 0, 0, 0, 0, 0);
	p.n = 11;
	expect_fail("truncated header", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 11, -1, 0, "header",
		    "truncated at offset 11 (header)", 0);
	p.n = 0;
	expect_fail("empty packet", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 0, -1, 0, "header",
		    "truncated at offset 0 (header)", 0);
	/* 65535 questions in a short packet */
	pk_hdr(&p, 1, 0, 65535, 0, 0, 0);
	q_a(&p);
	expect_fail("65535 questions", &p, WIRE_RR_MAX, DW_E_COUNT_TOO_BIG, 4, 0, 0, "count",
		    "count field larger than the message at offset 4 (question count)", 0);
	/* an answer count larger than the packet */
	pk_hdr(&p, 1, 0x8000, 1, 3, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0, 4);
	pk_u32(&p, 0x01020304);
	expect_fail("answer count too big", &p, WIRE_RR_MAX, DW_E_COUNT_TOO_BIG, 6, 1, 0,
		    "count", "count field larger than the message at offset 6 (answer count)", 0);
	/* ... an additional count: the sum over sections counts */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 1);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0, 4);
	pk_u32(&p, 0x01020304);
	pk_u16(&p, 0); /* 2 of the 11 octets of a record */
	expect_fail("additional count too big", &p, WIRE_RR_MAX, DW_E_COUNT_TOO_BIG, 10, 3, 0,
		    "count", "count field larger than the message at offset 10 (additional count)",
		    0);
	/* a count that passes the size check but runs out of records:
	 * 2 answers of at least 11 octets fit 27 octets, 1 answer is there */
	pk_hdr(&p, 1, 0x8000, 1, 2, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0, 4);
	pk_u32(&p, 0x01020304);
	for (int i = 0; i < 7; i++)
		pk_u8(&p, 0);
	expect_fail("count more than the records", &p, WIRE_RR_MAX, DW_E_TRUNCATED, p.n, 1, 1,
		    "ttl", "truncated at offset 42 (answer[1] ttl)", 2);
	CHECK_EQ(p.n, 42);
	/* more records than the caller's array */
	pk_hdr(&p, 1, 0x8000, 1, 3, 0, 0);
	q_a(&p);
	for (int i = 0; i < 3; i++) {
		pk_u16(&p, 0xC00C);
		pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 0, 4);
		pk_u32(&p, (uint32_t)i);
	}
	/* the records that fit are parsed and kept: the question and two answers */
	expect_fail("more records than the array", &p, 3, DW_E_TOO_MANY_RR, 51, 1, 2, "record",
		    "more records than the parser can hold at offset 51 (answer[2] record)", 3);
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 4), DW_OK);
}

static void test_hostile_truncation(void)
{
	struct pk p;
	/* truncated question: the class is cut in half */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	q_a(&p);
	p.n--;
	expect_fail("truncated question class", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 18, 0, 0,
		    "class", "truncated at offset 18 (question[0] class)", 0);
	/* truncated question: name without its root label */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_name(&p, "abcdefgh");
	p.n--;
	expect_fail("truncated question name", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 21, 0, 0,
		    "owner", "truncated at offset 21 (question[0] owner)", 0);
	/* truncated question: type missing */
	pk_hdr(&p, 1, 0, 1, 0, 0, 0);
	pk_name(&p, "abcd");
	pk_u8(&p, 0);
	expect_fail("truncated question type", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 19, 0, 0,
		    "type", "truncated at offset 19 (question[0] type)", 0);
	/* truncated rdata: A with rdlength 4 and 2 bytes */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 60, 4);
	pk_u16(&p, 0x0102);
	expect_fail("truncated rdata", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 33, 1, 0, "rdata",
		    "truncated at offset 33 (answer[0] rdata)", 1);
	/* rdlength past the end, in the authority section after a good answer */
	pk_hdr(&p, 1, 0x8000, 1, 1, 1, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 60, 4);
	pk_u32(&p, 0x0a000001);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, 99, WIRE_C_IN, 60, 0xFFFF);
	pk_bytes(&p, "v=spf1", 6);
	expect_fail("rdlength past the end", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 53, 2, 0, "rdata",
		    "truncated at offset 53 (authority[0] rdata)", 2);
	/* truncated inside TTL and rdlength */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	pk_u32(&p, 0);
	pk_u8(&p, 0);
	expect_fail("truncated rdlength", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 30, 1, 0, "rdlength",
		    "truncated at offset 30 (answer[0] rdlength)", 1);
	p.n = 28; /* three of the four TTL octets */
	expect_fail("truncated ttl", &p, WIRE_RR_MAX, DW_E_TRUNCATED, 28, 1, 0, "ttl",
		    "truncated at offset 28 (answer[0] ttl)", 1);
}

static void test_hostile_rdata(void)
{
	struct pk p;
	/* A with rdlength 5 */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 60, 5);
	pk_bytes(&p, "\1\2\3\4\5", 5);
	expect_fail("A with rdlength 5", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 31, 1, 0, "rdata",
		    "rdata length wrong for its type at offset 31 (answer[0] rdata)", 1);
	/* AAAA with rdlength 4 */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_AAAA, WIRE_C_IN, 60, 4);
	pk_bytes(&p, "\1\2\3\4", 4);
	expect_fail("AAAA with rdlength 4", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 31, 1, 0,
		    "rdata", "rdata length wrong for its type at offset 31 (answer[0] rdata)", 1);
	/* SOA with the last two numbers missing */
	pk_hdr(&p, 1, 0x8000, 1, 0, 1, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_SOA, WIRE_C_IN, 60, 2 + 2 + 12);
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 0xC00C);
	pk_u32(&p, 1);
	pk_u32(&p, 2);
	pk_u32(&p, 3);
	expect_fail("SOA without expire and minimum", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 35, 2,
		    0, "rdata", "rdata length wrong for its type at offset 35 (authority[0] rdata)",
		    1);
	/* SOA with only the mname */
	pk_hdr(&p, 1, 0x8000, 1, 0, 1, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_SOA, WIRE_C_IN, 60, 2);
	pk_u16(&p, 0xC00C);
	expect_fail("SOA with only mname", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 33, 2, 0, "rdata",
		    "rdata length wrong for its type at offset 33 (authority[0] rdata)", 1);
	/* SOA whose rname runs out of the rdata (but not out of the message) */
	pk_hdr(&p, 1, 0x8000, 1, 0, 1, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_SOA, WIRE_C_IN, 60, 5);
	pk_u16(&p, 0xC00C);
	pk_u8(&p, 5);
	pk_bytes(&p, "hostmaster", 10);
	pk_u8(&p, 0);
	expect_fail("SOA rname past rdata", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 36, 2, 0,
		    "rdata", "rdata length wrong for its type at offset 36 (authority[0] rdata)", 1);
	/* CNAME with a byte after its name */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_CNAME, WIRE_C_IN, 60, 3);
	pk_u16(&p, 0xC00C);
	pk_u8(&p, 0);
	expect_fail("CNAME with trailing byte", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 33, 1, 0,
		    "rdata", "rdata length wrong for its type at offset 33 (answer[0] rdata)", 1);
	/* empty NS, short MX */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_NS, WIRE_C_IN, 60, 0);
	expect_fail("empty NS", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 31, 1, 0, "rdata",
		    "rdata length wrong for its type at offset 31 (answer[0] rdata)", 1);
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_MX, WIRE_C_IN, 60, 2);
	pk_u16(&p, 10);
	expect_fail("MX without exchange", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 31, 1, 0, "rdata",
		    "rdata length wrong for its type at offset 31 (answer[0] rdata)", 1);
	/* a TXT string longer than its rdata (second string) */
	pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_TXT, WIRE_C_IN, 60, 6);
	pk_u8(&p, 2);
	pk_bytes(&p, "ok", 2);
	pk_u8(&p, 9);
	pk_bytes(&p, "no", 2);
	pk_bytes(&p, "more bytes in the message", 25);
	expect_fail("TXT string past rdata", &p, WIRE_RR_MAX, DW_E_RDATA_FORMAT, 34, 1, 0,
		    "rdata", "malformed rdata at offset 34 (answer[0] rdata)", 1);
	/* OPT with an option overrunning its rdata */
	pk_hdr(&p, 1, 0x8000, 1, 0, 0, 1);
	q_a(&p);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0, 4 + 4 + 4);
	pk_u16(&p, 3);
	pk_u16(&p, 0);
	pk_u16(&p, 10);
	pk_u16(&p, 16); /* cookie of 16, 4 bytes left */
	pk_u32(&p, 0xdeadbeef);
	expect_fail("OPT option overrun", &p, WIRE_RR_MAX, DW_E_RDATA_FORMAT, 36, 3, 0, "rdata",
		    "malformed rdata at offset 36 (additional[0] rdata)", 1);
	/* OPT with a partial option header */
	pk_hdr(&p, 1, 0x8000, 1, 0, 0, 1);
	q_a(&p);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0, 3);
	pk_bytes(&p, "\0\x0c\0", 3);
	expect_fail("OPT partial option", &p, WIRE_RR_MAX, DW_E_RDATA_FORMAT, 30, 3, 0, "rdata",
		    "malformed rdata at offset 30 (additional[0] rdata)", 1);
}

/* On failure, the records before the failing one are there and usable. */
static void test_partial_parse(void)
{
	struct pk p;
	pk_hdr(&p, 0x4242, 0x8180, 1, 3, 0, 0);
	pk_name(&p, "host.example");
	pk_u16(&p, WIRE_T_A);
	pk_u16(&p, WIRE_C_IN);
	for (int i = 0; i < 2; i++) {
		pk_u16(&p, 0xC00C);
		pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 100u + (unsigned)i, 4);
		pk_u32(&p, 0xC0000200u + (unsigned)i);
	}
	size_t bad = p.n;
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 102, 3);
	pk_bytes(&p, "\1\2\3", 3);
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_E_RDATA_LENGTH);
	CHECK_EQ(m.err.offset, bad + 12);
	CHECK_EQ(m.err.section, WIRE_SEC_ANSWER);
	CHECK_EQ(m.err.index, 2);
	CHECK_EQ(m.rr_count, 3);
	CHECK_EQ(m.hdr.id, 0x4242);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 3);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_QUESTION), 1);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_ANSWER), 2);
	CHECK_EQ(wire_msg_section_count(&m, WIRE_SEC_AUTHORITY), 0);
	CHECK_EQ(wire_msg_section_start(&m, WIRE_SEC_ADDITIONAL), 3);
	CHECK_EQ(rrs[2].ttl, 101);
	struct wire_rdata rd;
	wire_rdata_get(&m, &rrs[2], &rd);
	CHECK_MEM(rd.u.a, "\xC0\x00\x02\x01", 4);
	uint8_t w[WIRE_NAME_MAX];
	char t[WIRE_NAME_TEXT_MAX];
	CHECK_EQ(wire_msg_name(&m, rrs[1].owner_off, w), 14);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "host.example.");
	char d[128];
	CHECK_STR(wire_error_describe(&m.err, d, sizeof d),
		  "rdata length wrong for its type at offset 74 (answer[2] rdata)");
}

/* Oversized input and every prefix of a good message. */
static void test_lengths(void)
{
	static uint8_t big[WIRE_MSG_MAX + 1];
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, big, sizeof big, rrs, WIRE_RR_MAX), DW_E_INVALID);
	CHECK_EQ(m.err.section, -1);
	CHECK_STR(m.err.field, "length");
	CHECK_EQ(wire_msg_parse(&m, big, WIRE_MSG_MAX, rrs, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m.trailing, WIRE_MSG_MAX - 12);

	struct pk p;
	pk_hdr(&p, 9, 0x8400, 1, 1, 1, 1);
	pk_name(&p, "example.org");
	pk_u16(&p, WIRE_T_MX);
	pk_u16(&p, WIRE_C_IN);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_MX, WIRE_C_IN, 3600, 9);
	pk_u16(&p, 10);
	pk_u8(&p, 4);
	pk_bytes(&p, "mail", 4);
	pk_u16(&p, 0xC00C);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_TXT, WIRE_C_IN, 3600, 4);
	pk_bytes(&p, "\003abc", 4);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	for (size_t n = 0; n < p.n; n++) {
		enum dw_status st = wire_msg_parse(&m, p.b, n, rrs, WIRE_RR_MAX);
		CHECK(st != DW_OK);
		CHECK(m.err.offset <= n);
		CHECK(m.rr_count < 4);
	}
}

/* RFC 2136 2.4 and 2.5: RDLENGTH 0 is no rdata for class NONE ("RRset does
 * not exist" 2.4.3, "delete an RR" 2.5.4 takes data) and class ANY ("RRset
 * exists (value independent)" 2.4.1, "delete an RRset" 2.5.2, "delete all
 * RRsets from a name" 2.5.3), and in any record of an UPDATE (opcode 5,
 * 2.2); elsewhere the typed lengths hold (RFC 1035 3.4.1: an A is 4 bytes). */
static const uint16_t empty_types[] = {WIRE_T_A, WIRE_T_AAAA, WIRE_T_TXT, WIRE_T_MX};

/* An UPDATE (opcode 5, RFC 2136 2.2) for example.com: zone SOA IN, then per
 * type of empty_types one prerequisite of class NONE and one of class ANY,
 * then the same as update records, all with RDLENGTH 0. */
static void update_empty(struct pk *p, unsigned flags)
{
	size_t nt = sizeof empty_types / sizeof empty_types[0];
	pk_hdr(p, 0x3ebb, flags, 1, (unsigned)(2 * nt), (unsigned)(2 * nt), 0);
	pk_name(p, "example.com");
	pk_u16(p, WIRE_T_SOA);
	pk_u16(p, WIRE_C_IN);
	for (int sec = 0; sec < 2; sec++)
		for (size_t i = 0; i < nt; i++)
			for (int c = 0; c < 2; c++) {
				pk_u16(p, 0xC00C);
				pk_rr_fixed(p, empty_types[i], c ? WIRE_C_ANY : WIRE_C_NONE, 0, 0);
			}
}

static void test_rfc2136_empty_rdata(void)
{
	struct pk p;
	struct wire_msg m;
	static char t[WIRE_RDATA_TEXT_MAX];
	size_t nt = sizeof empty_types / sizeof empty_types[0];

	/* Class NONE and ANY, in an UPDATE and (by the class alone) in a
	 * message of opcode QUERY: each record parses, with no rdata. */
	for (int op = 0; op < 2; op++) {
		update_empty(&p, op ? 0x2800 : 0x8000);
		CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
		CHECK_EQ(m.rr_count, 1 + 4 * nt);
		CHECK_EQ(m.trailing, 0);
		for (size_t i = 1; i < m.rr_count; i++) {
			const struct wire_rr *rr = &rrs[i];
			CHECK_EQ(rr->rdlen, 0);
			CHECK_EQ(rr->type, empty_types[(i - 1) / 2 % nt]);
			CHECK_EQ(rr->class, (i - 1) % 2 ? WIRE_C_ANY : WIRE_C_NONE);
			struct wire_rdata rd;
			memset(&rd, 0xa5, sizeof rd);
			wire_rdata_get(&m, rr, &rd);
			CHECK(rd.empty);
			CHECK_EQ(rd.rawlen, 0);
			CHECK_EQ(rd.u.a[0], 0); /* nothing read from the next record */
			/* Presented with no rdata ("example.com. 0 NONE A"). */
			CHECK_EQ(wire_rdata_to_text(&m, rr, t, sizeof t), 0);
			CHECK_STR(t, "");
		}
		/* Rebuilt with RDLENGTH 0, not with four zero bytes. */
		static uint8_t out[WIRE_MSG_MAX];
		size_t n = 0;
		CHECK_EQ(wire_build_copy_msg(&m, out, sizeof out, &n), DW_OK);
		CHECK_EQ(n, p.n);
		CHECK(n == p.n && memcmp(out, p.b, n) == 0);
	}
	CHECK(wire_rdata_may_be_empty(WIRE_C_NONE, 0));
	CHECK(wire_rdata_may_be_empty(WIRE_C_ANY, 0));
	CHECK(wire_rdata_may_be_empty(WIRE_C_IN, WIRE_OPCODE_UPDATE));
	CHECK(!wire_rdata_may_be_empty(WIRE_C_IN, 0));
	CHECK(!wire_rdata_may_be_empty(WIRE_C_CH, 4));

	/* In an UPDATE any class may be empty (2.2: the opcode rules the
	 * message); an unknown type's empty data of class IN is still data,
	 * "\# 0" (RFC 3597 5), of class ANY no data at all. */
	pk_hdr(&p, 1, 0x2800, 1, 0, 3, 0);
	pk_name(&p, "example.com");
	pk_u16(&p, WIRE_T_SOA);
	pk_u16(&p, WIRE_C_IN);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_IN, 300, 0);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, 65280, WIRE_C_IN, 300, 0);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, 65280, WIRE_C_ANY, 0, 0);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(wire_rdata_to_text(&m, &rrs[1], t, sizeof t), 0);
	wire_rdata_to_text(&m, &rrs[2], t, sizeof t);
	CHECK_STR(t, "\\# 0");
	CHECK_EQ(wire_rdata_to_text(&m, &rrs[3], t, sizeof t), 0);

	/* Class IN outside an UPDATE: the typed check as before. */
	static const char *const why[] = {
		"rdata length wrong for its type at offset 31 (answer[0] rdata)"};
	for (size_t i = 0; i < nt; i++) {
		pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
		q_a(&p);
		pk_u16(&p, 0xC00C);
		pk_rr_fixed(&p, empty_types[i], WIRE_C_IN, 60, 0);
		expect_fail("class IN, RDLENGTH 0, opcode QUERY", &p, WIRE_RR_MAX,
			    DW_E_RDATA_LENGTH, 31, 1, 0, "rdata", why[0], 1);
	}
	/* Class CH too, and opcode NOTIFY (4) is not UPDATE. */
	pk_hdr(&p, 1, 0x2000 | 0x8000, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_CH, 60, 0);
	expect_fail("class CH A, RDLENGTH 0, NOTIFY", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH, 31, 1,
		    0, "rdata", why[0], 1);
	/* Non-empty rdata of class ANY keeps its typed check (an A of 3). */
	pk_hdr(&p, 1, 0x2800, 1, 1, 0, 0);
	q_a(&p);
	pk_u16(&p, 0xC00C);
	pk_rr_fixed(&p, WIRE_T_A, WIRE_C_ANY, 0, 3);
	pk_bytes(&p, "\1\2\3", 3);
	expect_fail("class ANY A of 3 bytes in an UPDATE", &p, WIRE_RR_MAX, DW_E_RDATA_LENGTH,
		    31, 1, 0, "rdata", why[0], 1);
}

int main(void)
{
	RUN(test_header_and_sections);
	RUN(test_edns);
	RUN(test_value_names);
	RUN(test_describe);
	RUN(test_hostile_pointers);
	RUN(test_hostile_labels);
	RUN(test_hostile_counts);
	RUN(test_hostile_truncation);
	RUN(test_hostile_rdata);
	RUN(test_partial_parse);
	RUN(test_lengths);
	RUN(test_rfc2136_empty_rdata);
	return harness_done();
}
