/* Tests of src/wire/rdata.c: typed access, TXT iteration, presentation form
 * of every known type and of unknown types (RFC 3597), direct checks. */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

static struct wire_rr rrs[64];
static char text[WIRE_RDATA_TEXT_MAX];

/* One answer record of TYPE with rdata RD[0..N) after a question for
 * example.com (at 12, so rdata may point at 12 or 20). */
static void one_rr(struct pk *p, uint16_t type, const void *rd, size_t n)
{
	pk_hdr(p, 1, 0x8000, 1, 1, 0, 0);
	pk_name(p, "example.com");
	pk_u16(p, WIRE_T_A);
	pk_u16(p, WIRE_C_IN);
	pk_u16(p, 0xC00C);
	pk_rr_fixed(p, type, WIRE_C_IN, 3600, (unsigned)n);
	pk_bytes(p, rd, n);
}

/* Parse P and return the text of its answer record ("" on failure). */
static const char *rr_text(const struct pk *p, struct wire_msg *m)
{
	text[0] = '\0';
	enum dw_status st = wire_msg_parse(m, p->b, p->n, rrs, 64);
	CHECK_EQ(st, DW_OK);
	if (st != DW_OK)
		return "";
	size_t n = wire_rdata_to_text(m, &rrs[1], text, sizeof text);
	CHECK_EQ(n, strlen(text));
	return text;
}

static void test_known(void)
{
	static const uint16_t known[] = {1, 2, 5, 6, 12, 15, 16, 28};
	static const uint16_t comp[] = {2, 5, 6, 12, 15};
	for (unsigned t = 0; t < 300; t++) {
		bool k = false, c = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			k |= known[i] == t;
		for (size_t i = 0; i < sizeof comp / sizeof comp[0]; i++)
			c |= comp[i] == t;
		CHECK_EQ(wire_rdata_known((uint16_t)t), k);
		CHECK_EQ(wire_rdata_compressible((uint16_t)t), c);
	}
	/* RFC 3597 4: names in e.g. SRV (33) and DNAME (39) are not compressed */
	CHECK(!wire_rdata_compressible(33));
	CHECK(!wire_rdata_compressible(39));
}

static void test_a_aaaa(void)
{
	struct pk p;
	struct wire_msg m;
	struct wire_rdata rd;
	one_rr(&p, WIRE_T_A, "\xC0\x00\x02\xFF", 4);
	CHECK_STR(rr_text(&p, &m), "192.0.2.255");
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_EQ(rd.type, WIRE_T_A);
	CHECK_MEM(rd.u.a, "\xC0\x00\x02\xFF", 4);
	CHECK_EQ(rd.rawlen, 4);
	CHECK(rd.raw == p.b + rrs[1].rdata_off);
	one_rr(&p, WIRE_T_AAAA, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	CHECK_STR(rr_text(&p, &m), "2001:db8::1");
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_MEM(rd.u.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	one_rr(&p, WIRE_T_AAAA, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\0\2\1", 16);
	CHECK_STR(rr_text(&p, &m), "::ffff:192.0.2.1");
}

static void test_names(void)
{
	struct pk p;
	struct wire_msg m;
	struct wire_rdata rd;
	char t[WIRE_NAME_TEXT_MAX];
	/* NS: compressed, pointing at the question */
	one_rr(&p, WIRE_T_NS, "\003ns1\xC0\x0C", 6);
	CHECK_STR(rr_text(&p, &m), "ns1.example.com.");
	wire_rdata_get(&m, &rrs[1], &rd);
	wire_name_to_text(rd.u.name, t, sizeof t);
	CHECK_STR(t, "ns1.example.com.");
	CHECK_EQ(wire_name_len(rd.u.name, WIRE_NAME_MAX), 17);
	/* CNAME: uncompressed, with odd characters */
	one_rr(&p, WIRE_T_CNAME, "\003a.b\004c d\"\000", 10);
	CHECK_STR(rr_text(&p, &m), "a\\.b.c\\032d\\\".");
	/* PTR to the root */
	one_rr(&p, WIRE_T_PTR, "\0", 1);
	CHECK_STR(rr_text(&p, &m), ".");
	one_rr(&p, WIRE_T_PTR, "\x01" "1\x01" "2\x01" "0\x03" "192\x07in-addr\x04" "arpa\x00", 24);
	CHECK_STR(rr_text(&p, &m), "1.2.0.192.in-addr.arpa.");
	/* MX */
	one_rr(&p, WIRE_T_MX, "\xff\xfe\004mail\xC0\x14", 9);
	CHECK_STR(rr_text(&p, &m), "65534 mail.com.");
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_EQ(rd.u.mx.pref, 65534);
	wire_name_to_text(rd.u.mx.exchange, t, sizeof t);
	CHECK_STR(t, "mail.com.");
	one_rr(&p, WIRE_T_MX, "\0\0\0", 3);
	CHECK_STR(rr_text(&p, &m), "0 .");
}

static void test_soa(void)
{
	struct pk p;
	struct wire_msg m;
	struct wire_rdata rd;
	struct pk r = {.n = 0};
	pk_u8(&r, 3);
	pk_bytes(&r, "ns1", 3);
	pk_u16(&r, 0xC00C);
	pk_u8(&r, 10);
	pk_bytes(&r, "hostmaster", 10);
	pk_u16(&r, 0xC00C);
	pk_u32(&r, 2026112201u);
	pk_u32(&r, 7200);
	pk_u32(&r, 3600);
	pk_u32(&r, 1209600);
	pk_u32(&r, 0xFFFFFFFFu);
	one_rr(&p, WIRE_T_SOA, r.b, r.n);
	CHECK_STR(rr_text(&p, &m),
		  "ns1.example.com. hostmaster.example.com. 2026112201 7200 3600 1209600 4294967295");
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_EQ(rd.u.soa.serial, 2026112201u);
	CHECK_EQ(rd.u.soa.refresh, 7200);
	CHECK_EQ(rd.u.soa.retry, 3600);
	CHECK_EQ(rd.u.soa.expire, 1209600);
	CHECK_EQ(rd.u.soa.minimum, 0xFFFFFFFFu);
	char t[WIRE_NAME_TEXT_MAX];
	wire_name_to_text(rd.u.soa.rname, t, sizeof t);
	CHECK_STR(t, "hostmaster.example.com.");
	/* root names, all zero */
	static const uint8_t z[22] = {0};
	one_rr(&p, WIRE_T_SOA, z, 22);
	CHECK_STR(rr_text(&p, &m), ". . 0 0 0 0 0");
}

static void test_txt(void)
{
	struct pk p;
	struct wire_msg m;
	/* many strings, an empty one, quotes, backslashes, control and 8-bit */
	struct pk r = {.n = 0};
	pk_u8(&r, 11);
	pk_bytes(&r, "v=spf1 -all", 11);
	pk_u8(&r, 0);
	pk_u8(&r, 6);
	pk_bytes(&r, "a\"b\\c;", 6);
	pk_u8(&r, 4);
	pk_bytes(&r, "\x00\x09\x7f\xff", 4);
	for (int i = 0; i < 20; i++) {
		pk_u8(&r, 2);
		pk_u8(&r, 'A' + i);
		pk_u8(&r, '0' + i % 10);
	}
	one_rr(&p, WIRE_T_TXT, r.b, r.n);
	const char *want_head = "\"v=spf1 -all\" \"\" \"a\\\"b\\\\c;\" \"\\000\\009\\127\\255\"";
	const char *got = rr_text(&p, &m);
	CHECK(strncmp(got, want_head, strlen(want_head)) == 0);
	CHECK_STR(got + strlen(want_head),
		  " \"A0\" \"B1\" \"C2\" \"D3\" \"E4\" \"F5\" \"G6\" \"H7\" \"I8\" \"J9\""
		  " \"K0\" \"L1\" \"M2\" \"N3\" \"O4\" \"P5\" \"Q6\" \"R7\" \"S8\" \"T9\"");
	/* wire_txt_next walks them */
	struct wire_rdata rd;
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_EQ(rd.rawlen, r.n);
	size_t pos = 0, l = 0, count = 0;
	const uint8_t *s = NULL;
	while (wire_txt_next(rd.raw, rd.rawlen, &pos, &s, &l)) {
		if (count == 0) {
			CHECK_EQ(l, 11);
			CHECK_MEM(s, "v=spf1 -all", 11);
		}
		if (count == 1)
			CHECK_EQ(l, 0);
		count++;
	}
	CHECK_EQ(count, 24);
	CHECK_EQ(pos, r.n);
	/* one string of 255 */
	uint8_t big[256];
	big[0] = 255;
	memset(big + 1, 'x', 255);
	one_rr(&p, WIRE_T_TXT, big, 256);
	CHECK_EQ(strlen(rr_text(&p, &m)), 257);
	/* wire_txt_next stops at a string that overruns */
	static const uint8_t bad[] = {1, 'a', 5, 'b'};
	pos = 0;
	CHECK(wire_txt_next(bad, sizeof bad, &pos, &s, &l));
	CHECK(!wire_txt_next(bad, sizeof bad, &pos, &s, &l));
	CHECK_EQ(pos, 2);
}

static void test_unknown(void)
{
	struct pk p;
	struct wire_msg m;
	one_rr(&p, 65280, "\x00\x01\xab\xff", 4);
	CHECK_STR(rr_text(&p, &m), "\\# 4 0001abff");
	one_rr(&p, 10 /* NULL */, "", 0);
	CHECK_STR(rr_text(&p, &m), "\\# 0");
	/* SRV is kept raw: its name is not expanded */
	one_rr(&p, 33, "\0\1\0\2\0\x35\003srv\0", 11);
	CHECK_STR(rr_text(&p, &m), "\\# 11 0001000200350373727600");
	struct wire_rdata rd;
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK_EQ(rd.rawlen, 11);
	CHECK(rd.raw == p.b + rrs[1].rdata_off);
	/* the OPT pseudo-record's rdata, as text */
	pk_hdr(&p, 1, 0, 0, 0, 0, 1);
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 1232, 0, 6);
	pk_bytes(&p, "\0\x0c\0\x02\0\0", 6);
	CHECK_EQ(wire_msg_parse(&m, p.b, p.n, rrs, 64), DW_OK);
	wire_rdata_to_text(&m, &rrs[0], text, sizeof text);
	CHECK_STR(text, "\\# 6 000c00020000");
	/* The largest rdata fits the documented worst case. */
	static uint8_t huge[WIRE_MSG_MAX];
	size_t n = 0;
	huge[n++] = 0; huge[n++] = 1; huge[n++] = 0; huge[n++] = 0;
	huge[n++] = 0; huge[n++] = 0; huge[n++] = 0; huge[n++] = 1;
	huge[n++] = 0; huge[n++] = 0; huge[n++] = 0; huge[n++] = 0;
	huge[n++] = 0; /* root owner */
	huge[n++] = 0xff; huge[n++] = 0x00; huge[n++] = 0; huge[n++] = 1;
	huge[n++] = 0; huge[n++] = 0; huge[n++] = 0; huge[n++] = 0;
	size_t rdlen = WIRE_MSG_MAX - n - 2;
	huge[n++] = (uint8_t)(rdlen >> 8);
	huge[n++] = (uint8_t)rdlen;
	memset(huge + n, 0xab, rdlen);
	CHECK_EQ(wire_msg_parse(&m, huge, WIRE_MSG_MAX, rrs, 64), DW_OK);
	size_t tl = wire_rdata_to_text(&m, &rrs[0], text, sizeof text);
	CHECK(tl < WIRE_RDATA_TEXT_MAX);
	CHECK_EQ(tl, 3 + 5 + 1 + 2 * rdlen);
	/* and text is cut cleanly when CAP is small */
	char small[8];
	CHECK_EQ(wire_rdata_to_text(&m, &rrs[0], small, sizeof small), tl);
	CHECK_STR(small, "\\# 6551");
}

/* wire_rdata_check on its own: status and offset. */
static void test_check_direct(void)
{
	/* a fake message: 10 bytes of anything, then rdata at 10 */
	uint8_t msg[64] = {0};
	size_t eo = 99;
	memcpy(msg + 10, "\003www\0", 5);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_CNAME, 10, 5, &eo), DW_OK);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_CNAME, 10, 4, &eo), DW_E_RDATA_LENGTH);
	CHECK_EQ(eo, 14); /* the name runs out of its rdata at its end */
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_A, 10, 5, &eo), DW_E_RDATA_LENGTH);
	CHECK_EQ(eo, 10);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_A, 10, 3, &eo), DW_E_RDATA_LENGTH);
	CHECK_EQ(wire_rdata_check(msg, 26, WIRE_T_AAAA, 10, 16, &eo), DW_OK);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_TXT, 10, 0, &eo), DW_E_RDATA_LENGTH);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_TXT, 10, 4, &eo), DW_OK); /* "\003www" */
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_TXT, 10, 3, &eo), DW_E_RDATA_FORMAT);
	CHECK_EQ(eo, 10);
	CHECK_EQ(wire_rdata_check(msg, 15, 999, 10, 5, &eo), DW_OK);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_OPT, 10, 0, &eo), DW_OK);
	/* OPT option {3, 0}: four bytes "\0\3\0\0" */
	memcpy(msg + 20, "\0\3\0\0\0\x0c\0\1", 8);
	CHECK_EQ(wire_rdata_check(msg, 28, WIRE_T_OPT, 20, 4, &eo), DW_OK);
	CHECK_EQ(wire_rdata_check(msg, 28, WIRE_T_OPT, 20, 8, &eo), DW_E_RDATA_FORMAT);
	CHECK_EQ(eo, 26);
	CHECK_EQ(wire_rdata_check(msg, 28, WIRE_T_OPT, 20, 6, &eo), DW_E_RDATA_FORMAT);
	CHECK_EQ(eo, 24);
	/* MX whose name is a pointer back to 10 */
	memcpy(msg + 30, "\0\5\xC0\x0A", 4);
	CHECK_EQ(wire_rdata_check(msg, 34, WIRE_T_MX, 30, 4, &eo), DW_OK);
	CHECK_EQ(wire_rdata_check(msg, 34, WIRE_T_MX, 30, 3, &eo), DW_E_RDATA_LENGTH);
	CHECK_EQ(eo, 33);
}

/* wire_rdata_check is public: rdata said to lie past the message is refused
 * without reading past it (the parser checks this first; others may not). */
static void test_check_out_of_range(void)
{
	uint8_t *msg = malloc(15); /* exact size: ASan sees any overrun */
	CHECK(msg != NULL);
	if (!msg)
		return;
	memcpy(msg, "\0\0\0\0\0\0\0\0\0\0\003www\003", 15); /* TXT string runs on */
	size_t eo = 0;
	static const uint16_t types[] = {WIRE_T_TXT, WIRE_T_OPT, WIRE_T_CNAME, WIRE_T_MX,
					 WIRE_T_SOA, WIRE_T_A, 65280};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		CHECK_EQ(wire_rdata_check(msg, 15, types[i], 10, 20, &eo), DW_E_TRUNCATED);
		CHECK_EQ(eo, 15);
		CHECK_EQ(wire_rdata_check(msg, 15, types[i], 16, 0, &eo), DW_E_TRUNCATED);
		CHECK_EQ(wire_rdata_check(msg, 15, types[i], 10, SIZE_MAX, &eo), DW_E_TRUNCATED);
	}
	/* the same rdata inside the message is judged on its content */
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_TXT, 10, 5, &eo), DW_E_RDATA_FORMAT);
	CHECK_EQ(wire_rdata_check(msg, 15, WIRE_T_TXT, 10, 4, &eo), DW_OK);
	free(msg);
}

/* RFC 2136 2.4 and 2.5: an empty rdata of class NONE or ANY is no rdata,
 * presented as nothing (dig and ldns: "example.com. 0 ANY A"); the typed
 * check alone still wants data (the parser skips it only for these classes
 * and UPDATE messages), and an unknown type of class IN with zero-length
 * data keeps RFC 3597 5's "\# 0". */
static void test_empty_rfc2136(void)
{
	static const uint16_t types[] = {WIRE_T_A, WIRE_T_AAAA, WIRE_T_TXT, WIRE_T_MX,
					 WIRE_T_NS, WIRE_T_SOA, 65280};
	struct pk p;
	struct wire_msg m;
	size_t eo;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		for (int c = 0; c < 2; c++) {
			pk_hdr(&p, 1, 0x8000, 1, 1, 0, 0);
			pk_name(&p, "example.com");
			pk_u16(&p, WIRE_T_A);
			pk_u16(&p, WIRE_C_IN);
			pk_u16(&p, 0xC00C);
			pk_rr_fixed(&p, types[i], c ? WIRE_C_ANY : WIRE_C_NONE, 0, 0);
			CHECK_STR(rr_text(&p, &m), "");
			struct wire_rdata rd;
			wire_rdata_get(&m, &rrs[1], &rd);
			CHECK(rd.empty);
		}
		if (types[i] != 65280)
			CHECK_EQ(wire_rdata_check(p.b, p.n, types[i], p.n, 0, &eo),
				 DW_E_RDATA_LENGTH);
	}
	one_rr(&p, 65280, "", 0);
	CHECK_STR(rr_text(&p, &m), "\\# 0");
	struct wire_rdata rd;
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK(rd.empty);
	/* A record with data is never "empty". */
	one_rr(&p, WIRE_T_A, "\xc0\x00\x02\x01", 4);
	CHECK_STR(rr_text(&p, &m), "192.0.2.1");
	wire_rdata_get(&m, &rrs[1], &rd);
	CHECK(!rd.empty);
}

int main(void)
{
	RUN(test_known);
	RUN(test_a_aaaa);
	RUN(test_names);
	RUN(test_soa);
	RUN(test_txt);
	RUN(test_unknown);
	RUN(test_check_direct);
	RUN(test_check_out_of_range);
	RUN(test_empty_rfc2136);
	return harness_done();
}
