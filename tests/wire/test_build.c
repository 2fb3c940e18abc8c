/* Tests of src/wire/build.c: exact bytes, compression, errors, and round
 * trips (build -> parse -> build is byte-identical; parse -> copy -> parse
 * gives the same view). */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"
#include "wire/rdata.h"

static struct wire_rr rr_a[WIRE_RR_MAX], rr_b[WIRE_RR_MAX];

static const uint8_t *N(const char *text)
{
	static uint8_t ring[16][WIRE_NAME_MAX];
	static unsigned next;
	uint8_t *w = ring[next++ % 16];
	size_t n;
	if (wire_name_from_text(text, w, &n) != DW_OK) {
		CHECK(!"bad name in test");
		w[0] = 0;
	}
	return w;
}

/* Same parsed view: header, every record field, names byte-exact, rdata
 * as text, EDNS. */
static void same_view(const struct wire_msg *a, const struct wire_msg *b)
{
	CHECK_EQ(a->hdr.id, b->hdr.id);
	CHECK_EQ(a->hdr.flags, b->hdr.flags);
	for (int s = 0; s < WIRE_SEC_COUNT; s++)
		CHECK_EQ(a->hdr.count[s], b->hdr.count[s]);
	CHECK_EQ(a->rr_count, b->rr_count);
	for (size_t i = 0; i < a->rr_count && i < b->rr_count; i++) {
		const struct wire_rr *x = &a->rr[i], *y = &b->rr[i];
		uint8_t nx[WIRE_NAME_MAX], ny[WIRE_NAME_MAX];
		size_t lx = wire_msg_name(a, x->owner_off, nx);
		size_t ly = wire_msg_name(b, y->owner_off, ny);
		CHECK(lx > 0);
		CHECK_EQ(lx, ly);
		CHECK(lx == ly && memcmp(nx, ny, lx) == 0);
		CHECK_EQ(x->section, y->section);
		CHECK_EQ(x->type, y->type);
		CHECK_EQ(x->class, y->class);
		CHECK_EQ(x->ttl, y->ttl);
		if (x->section == WIRE_SEC_QUESTION)
			continue;
		static char tx[WIRE_RDATA_TEXT_MAX], ty[WIRE_RDATA_TEXT_MAX];
		wire_rdata_to_text(a, x, tx, sizeof tx);
		wire_rdata_to_text(b, y, ty, sizeof ty);
		CHECK_STR(tx, ty);
	}
	CHECK_EQ(a->edns.present, b->edns.present);
	CHECK_EQ(a->edns.count, b->edns.count);
	CHECK_EQ(a->edns.payload, b->edns.payload);
	CHECK_EQ(a->edns.ext_rcode, b->edns.ext_rcode);
	CHECK_EQ(a->edns.version, b->edns.version);
	CHECK_EQ(a->edns.flags, b->edns.flags);
	CHECK_EQ(a->edns.options_len, b->edns.options_len);
	if (a->edns.options_len == b->edns.options_len)
		CHECK_MEM(a->raw + a->edns.options_off, b->raw + b->edns.options_off,
			  a->edns.options_len);
}

/* build (BUF[0..LEN)) -> parse -> copy_msg must give the same bytes, and
 * the copy must parse to the same view. */
static void round_trip(const char *what, const uint8_t *buf, size_t len)
{
	int before = harness_failed_checks;
	struct wire_msg m1, m2;
	static uint8_t out[WIRE_MSG_MAX];
	size_t olen = 0;
	CHECK_EQ(wire_msg_parse(&m1, buf, len, rr_a, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m1.trailing, 0);
	CHECK_EQ(wire_build_copy_msg(&m1, out, sizeof out, &olen), DW_OK);
	CHECK_EQ(olen, len);
	CHECK(olen == len && memcmp(out, buf, len) == 0);
	CHECK_EQ(wire_msg_parse(&m2, out, olen, rr_b, WIRE_RR_MAX), DW_OK);
	same_view(&m1, &m2);
	if (harness_failed_checks != before)
		printf("#     in round trip: %s\n", what);
}

static void test_query_bytes(void)
{
	uint8_t buf[512];
	size_t n = wire_build_query(buf, sizeof buf, 0x1234, N("Www.Example.com"), WIRE_T_AAAA,
				    1, 0);
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'W', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 28, 0, 1};
	CHECK_EQ(n, sizeof want);
	CHECK_MEM(buf, want, sizeof want);
	/* with EDNS0: an OPT record of payload 1232 */
	n = wire_build_query(buf, sizeof buf, 0x1234, N("Www.Example.com"), WIRE_T_AAAA, 0, 1232);
	CHECK_EQ(n, sizeof want + 11);
	CHECK_EQ(buf[2], 0); /* no RD */
	CHECK_EQ(buf[11], 1); /* ARCOUNT */
	static const uint8_t opt[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0};
	CHECK_MEM(buf + sizeof want, opt, sizeof opt);
	/* too small: 0 */
	CHECK_EQ(wire_build_query(buf, sizeof want - 1, 1, N("Www.Example.com"), 1, 1, 0), 0);
	CHECK_EQ(wire_build_query(buf, sizeof want + 10, 1, N("Www.Example.com"), 1, 1, 512), 0);
	CHECK_EQ(wire_build_query(buf, 11, 1, N("."), 1, 1, 0), 0);
	/* an invalid name */
	static const uint8_t bad[] = {0x40, 0};
	CHECK_EQ(wire_build_query(buf, sizeof buf, 1, bad, 1, 1, 0), 0);
	/* written straight, the same bytes as through the builder */
	static const char *const names[] = {".", "a.", "Www.Example.com", "x.y.z.w.v.example.org"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		for (int k = 0; k < 4; k++) {
			uint16_t type = k & 1 ? WIRE_T_AAAA : WIRE_T_A, payload = k & 2 ? 1232 : 0;
			uint8_t ref[512];
			struct wire_builder b;
			size_t rn;
			wire_build_init(&b, ref, sizeof ref, (uint16_t)(0xbeef + k), k & 1 ? WIRE_FLAG_RD : 0);
			wire_build_question(&b, N(names[i]), type, WIRE_C_IN);
			if (payload)
				wire_build_edns(&b, payload, 0, 0, 0, NULL, 0);
			CHECK_EQ(wire_build_finish(&b, &rn), DW_OK);
			n = wire_build_query(buf, sizeof buf, (uint16_t)(0xbeef + k), N(names[i]), type,
					     k & 1, payload);
			CHECK_EQ(n, rn);
			CHECK_MEM(buf, ref, rn);
		}
}

static void test_compression(void)
{
	uint8_t buf[512];
	struct wire_builder b;
	wire_build_init(&b, buf, sizeof buf, 7, 0x8180);
	wire_build_question(&b, N("www.example.com"), 1, 1);        /* 12..28, then 29..32 */
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("www.example.com"), 1, 1, 60,
			  (const uint8_t *)"\1\2\3\4", 4);               /* owner: C0 0C */
	struct wire_rdata rd = {.type = WIRE_T_MX};
	rd.u.mx.pref = 10;
	memcpy(rd.u.mx.exchange, N("mx.example.com"), 16);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("EXAMPLE.com"), 1, 60, &rd);
	size_t len;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	/* answer 0 owner is a pointer to 12 */
	CHECK_EQ(buf[33], 0xC0);
	CHECK_EQ(buf[34], 12);
	/* answer 1 owner: EXAMPLE differs in case from example: written out,
	 * with com pointing at the question's com (offset 12+4+8 = 24) */
	size_t o = 33 + 2 + 10 + 4;
	CHECK_MEM(buf + o, "\007EXAMPLE\xC0\x18", 10);
	/* the MX exchange: mx + pointer to example.com. at 16 */
	size_t rdo = o + 10 + 10;
	CHECK_EQ(buf[rdo - 1], 2 + 3 + 2); /* rdlength */
	CHECK_MEM(buf + rdo, "\0\x0a\002mx\xC0\x10", 7);
	CHECK_EQ(len, rdo + 7);
	round_trip("compression", buf, len);

	/* Disabled compression writes every name in full. */
	wire_build_init(&b, buf, sizeof buf, 7, 0);
	b.compress = 0;
	wire_build_question(&b, N("a.b"), 1, 1);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("a.b"), 1, 1, 0, (const uint8_t *)"\0\0\0\0", 4);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	CHECK_EQ(len, 12 + 5 + 4 + 5 + 14);
	CHECK_MEM(buf + 21, "\001a\001b\0", 5);
}

/* Targets beyond 16 KiB cannot be pointed at; names there are written out
 * (or point back below 16 KiB). */
static void test_compression_16k(void)
{
	static uint8_t buf[WIRE_MSG_MAX];
	struct wire_builder b;
	wire_build_init(&b, buf, sizeof buf, 1, 0x8000);
	wire_build_question(&b, N("q.example"), 65280, 1);
	static uint8_t pad[2000];
	memset(pad, 0x5a, sizeof pad);
	for (int i = 0; i < 10; i++)
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("q.example"), 65280, 1, 0, pad, sizeof pad);
	CHECK(b.c.pos > 0x4000);
	size_t at = b.c.pos;
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("far.away"), 65280, 1, 0, pad, 1);
	size_t at2 = b.c.pos;
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("far.away"), 65280, 1, 0, pad, 1);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("x.q.example"), 65280, 1, 0, pad, 1);
	size_t len;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	CHECK_MEM(buf + at, "\003far\004away\0", 10);
	CHECK_MEM(buf + at2, "\003far\004away\0", 10); /* not a pointer past 16K */
	round_trip("16K", buf, len);
}

static void test_errors(void)
{
	uint8_t buf[64];
	struct wire_builder b;
	size_t len = 99;
	/* section order */
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	wire_build_edns(&b, 512, 0, 0, 0, NULL, 0);
	wire_build_rr_raw(&b, WIRE_SEC_ANSWER, N("."), 1, 1, 0, (const uint8_t *)"\0\0\0\0", 4);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_SECTION_ORDER);
	CHECK_EQ(len, 0);
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	wire_build_rr_raw(&b, WIRE_SEC_AUTHORITY, N("."), 1, 1, 0, (const uint8_t *)"\0\0\0\0", 4);
	wire_build_question(&b, N("."), 1, 1);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_SECTION_ORDER);
	/* a question through the record calls, and a bad section */
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	wire_build_rr_raw(&b, WIRE_SEC_QUESTION, N("."), 1, 1, 0, NULL, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_INVALID);
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	struct wire_rdata rd = {.type = WIRE_T_NS};
	wire_build_rr(&b, WIRE_SEC_QUESTION, N("."), 1, 0, &rd);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_INVALID);
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	wire_build_rr_raw(&b, WIRE_SEC_COUNT, N("."), 1, 1, 0, NULL, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_SECTION_ORDER);
	/* an invalid name */
	wire_build_init(&b, buf, sizeof buf, 1, 0);
	uint8_t badname[WIRE_NAME_MAX];
	memset(badname, 63, sizeof badname);
	wire_build_question(&b, badname, 1, 1);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_INVALID);
	/* no space: the error is the first one, the length 0 */
	wire_build_init(&b, buf, 20, 1, 0);
	wire_build_question(&b, N("abcdef.gh"), 1, 1);
	CHECK_EQ(b.c.err, DW_E_NOSPACE);
	CHECK_EQ(b.c.err_off, 19); /* "gh" no longer fits */
	wire_build_edns(&b, 512, 0, 0, 0, NULL, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_NOSPACE);
	CHECK_EQ(len, 0);
	/* a header that does not fit */
	wire_build_init(&b, buf, 11, 1, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_NOSPACE);
	CHECK_EQ(len, 0);
	/* an empty message is 12 bytes */
	wire_build_init(&b, buf, 12, 0xabcd, 0x8180);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	CHECK_EQ(len, 12);
	CHECK_MEM(buf, "\xab\xcd\x81\x80\0\0\0\0\0\0\0\0", 12);
	CHECK_EQ(wire_build_finish(&b, NULL), DW_OK);
}

/* A section holds at most 65535 entries. */
static void test_count_limit(void)
{
	size_t cap = 65536 * 5 + 64;
	uint8_t *buf = malloc(cap);
	CHECK(buf != NULL);
	if (!buf)
		return;
	struct wire_builder b;
	wire_build_init(&b, buf, cap, 1, 0);
	for (unsigned i = 0; i < 65535; i++)
		wire_build_question(&b, N("."), 1, 1);
	CHECK_EQ(b.c.err, DW_OK);
	CHECK_EQ(b.count[WIRE_SEC_QUESTION], 65535);
	wire_build_question(&b, N("."), 1, 1);
	size_t len;
	CHECK_EQ(wire_build_finish(&b, &len), DW_E_NOSPACE);
	CHECK_EQ(b.count[WIRE_SEC_QUESTION], 65535);
	free(buf);
}

/* One of every typed rdata through wire_build_rr, read back. */
static void test_typed_rdata(void)
{
	static uint8_t buf[2048];
	struct wire_builder b;
	struct wire_rdata rd;
	wire_build_init(&b, buf, sizeof buf, 0x0102, 0x8580);
	wire_build_question(&b, N("Example.NET"), WIRE_T_ANY, WIRE_C_IN);
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_A;
	memcpy(rd.u.a, "\x0a\0\0\x01", 4);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 1, &rd);
	rd.type = WIRE_T_AAAA;
	memcpy(rd.u.aaaa, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 2, &rd);
	rd.type = WIRE_T_NS;
	memcpy(rd.u.name, N("ns.example.net"), 16);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 3, &rd);
	rd.type = WIRE_T_CNAME;
	memcpy(rd.u.name, N("other.example.net"), 19);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("alias.Example.NET"), 1, 4, &rd);
	rd.type = WIRE_T_PTR;
	memcpy(rd.u.name, N("host.example.net"), 18);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("1.0.0.10.in-addr.arpa"), 1, 5, &rd);
	rd.type = WIRE_T_MX;
	rd.u.mx.pref = 5;
	memcpy(rd.u.mx.exchange, N("mail.Example.NET"), 18);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 6, &rd);
	rd.type = WIRE_T_TXT;
	rd.raw = (const uint8_t *)"\005hello\000\005world";
	rd.rawlen = 13;
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 7, &rd);
	rd.type = 65000;
	rd.raw = (const uint8_t *)"\xde\xad";
	rd.rawlen = 2;
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("Example.NET"), 1, 8, &rd);
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_SOA;
	memcpy(rd.u.soa.mname, N("ns.example.net"), 16);
	memcpy(rd.u.soa.rname, N("admin.example.net"), 19);
	rd.u.soa.serial = 1;
	rd.u.soa.refresh = 2;
	rd.u.soa.retry = 3;
	rd.u.soa.expire = 4;
	rd.u.soa.minimum = 5;
	wire_build_rr(&b, WIRE_SEC_AUTHORITY, N("example.net"), 1, 9, &rd);
	size_t len;
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);

	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, buf, len, rr_a, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m.rr_count, 10);
	static const char *const want[] = {
		NULL,
		"10.0.0.1",
		"fe80::1",
		"ns.example.net.",
		"other.example.net.",
		"host.example.net.",
		"5 mail.Example.NET.",
		"\"hello\" \"\" \"world\"",
		"\\# 2 dead",
		"ns.example.net. admin.example.net. 1 2 3 4 5",
	};
	char t[512];
	for (size_t i = 1; i < 10 && i < m.rr_count; i++) {
		wire_rdata_to_text(&m, &rr_a[i], t, sizeof t);
		CHECK_STR(t, want[i]);
		CHECK_EQ(rr_a[i].ttl, i);
	}
	round_trip("typed rdata", buf, len);
}

/* Round trips of a set of realistic messages built with the builder. */
static void test_round_trips(void)
{
	static uint8_t buf[4096];
	struct wire_builder b;
	struct wire_rdata rd;
	size_t len;

	/* a plain query and one with EDNS */
	len = wire_build_query(buf, sizeof buf, 0xfeed, N("wWw.eXaMpLe.cOm"), WIRE_T_A, 1, 0);
	round_trip("query", buf, len);
	len = wire_build_query(buf, sizeof buf, 0xfeed, N("example.com"), WIRE_T_TXT, 1, 4096);
	round_trip("query edns", buf, len);

	/* a CNAME chain with an answer at its end */
	wire_build_init(&b, buf, sizeof buf, 0x1111, 0x8180);
	wire_build_question(&b, N("www.shop.example"), WIRE_T_A, 1);
	const char *chain[] = {"www.shop.example", "shop.cdn.example.net", "edge.cdn.example.net",
			       "e1.edge.cdn.example.net"};
	for (int i = 0; i < 3; i++) {
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_CNAME;
		memcpy(rd.u.name, N(chain[i + 1]), WIRE_NAME_MAX);
		wire_build_rr(&b, WIRE_SEC_ANSWER, N(chain[i]), 1, 300, &rd);
	}
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_A;
	memcpy(rd.u.a, "\xcb\0\x71\x07", 4);
	wire_build_rr(&b, WIRE_SEC_ANSWER, N(chain[3]), 1, 20, &rd);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	round_trip("cname chain", buf, len);

	/* NXDOMAIN with SOA in authority, EDNS with ext rcode and options */
	wire_build_init(&b, buf, sizeof buf, 0x2222, 0x8183);
	wire_build_question(&b, N("nope.example.org"), WIRE_T_AAAA, 1);
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_SOA;
	memcpy(rd.u.soa.mname, N("a.iana-servers.net"), WIRE_NAME_MAX);
	memcpy(rd.u.soa.rname, N("noc.dns.icann.org"), WIRE_NAME_MAX);
	rd.u.soa.serial = 2026010101;
	rd.u.soa.refresh = 7200;
	rd.u.soa.retry = 3600;
	rd.u.soa.expire = 1209600;
	rd.u.soa.minimum = 3600;
	wire_build_rr(&b, WIRE_SEC_AUTHORITY, N("example.org"), 1, 3600, &rd);
	static const uint8_t opts[] = {0, 3, 0, 4, 'n', 's', '0', '1',      /* NSID */
				       0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, /* cookie */
				       0, 12, 0, 3, 0, 0, 0};               /* padding */
	wire_build_edns(&b, 1232, 1, 0, WIRE_EDNS_DO, opts, sizeof opts);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	round_trip("nxdomain soa edns", buf, len);
	{
		struct wire_msg m;
		CHECK_EQ(wire_msg_parse(&m, buf, len, rr_a, WIRE_RR_MAX), DW_OK);
		CHECK_EQ(wire_msg_rcode(&m), 0x13);
		CHECK_EQ(m.edns.options_len, sizeof opts);
		CHECK(m.edns.flags & WIRE_EDNS_DO);
	}

	/* referral: NS in authority, glue in additional, names in mixed case */
	wire_build_init(&b, buf, sizeof buf, 0x3333, 0x8000);
	wire_build_question(&b, N("WwW.ExAmPlE.CoM"), WIRE_T_A, 1);
	for (int i = 0; i < 2; i++) {
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_NS;
		memcpy(rd.u.name, N(i ? "b.gtld.example.com" : "a.gtld.example.com"), WIRE_NAME_MAX);
		wire_build_rr(&b, WIRE_SEC_AUTHORITY, N("example.com"), 1, 172800, &rd);
	}
	for (int i = 0; i < 2; i++) {
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_A;
		rd.u.a[0] = 192;
		rd.u.a[3] = (uint8_t)(30 + i);
		wire_build_rr(&b, WIRE_SEC_ADDITIONAL, N(i ? "b.gtld.example.com" : "a.gtld.example.com"),
			      1, 172800, &rd);
		rd.type = WIRE_T_AAAA;
		memcpy(rd.u.aaaa, "\x20\x01\x05\x03\0\0\0\0\0\0\0\0\0\0\0\x30", 16);
		wire_build_rr(&b, WIRE_SEC_ADDITIONAL, N(i ? "B.GTLD.example.com" : "A.gtld.EXAMPLE.com"),
			      1, 172800, &rd);
	}
	wire_build_edns(&b, 4096, 0, 0, 0, NULL, 0);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	round_trip("referral", buf, len);

	/* MX and TXT with many strings */
	wire_build_init(&b, buf, sizeof buf, 0x4444, 0x8580);
	wire_build_question(&b, N("example.io"), WIRE_T_ANY, 1);
	for (int i = 0; i < 3; i++) {
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_MX;
		rd.u.mx.pref = (uint16_t)(10 * i);
		memcpy(rd.u.mx.exchange, N(i == 2 ? "mx.other.example" : i ? "mx2.example.io" : "mx1.example.io"),
		       WIRE_NAME_MAX);
		wire_build_rr(&b, WIRE_SEC_ANSWER, N("example.io"), 1, 3600, &rd);
	}
	uint8_t txt[600];
	size_t tl = 0;
	for (int i = 0; i < 30; i++) {
		size_t l = (size_t)(i * 7 % 19);
		txt[tl++] = (uint8_t)l;
		for (size_t k = 0; k < l; k++)
			txt[tl++] = (uint8_t)(k * 37 + (size_t)i);
	}
	memset(&rd, 0, sizeof rd);
	rd.type = WIRE_T_TXT;
	rd.raw = txt;
	rd.rawlen = (uint16_t)tl;
	wire_build_rr(&b, WIRE_SEC_ANSWER, N("example.io"), 1, 3600, &rd);
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	round_trip("mx txt", buf, len);

	/* names differing only in case are not compressed against each other */
	wire_build_init(&b, buf, sizeof buf, 0x5555, 0x8180);
	wire_build_question(&b, N("case.example"), WIRE_T_PTR, 1);
	const char *cases[] = {"case.example", "CASE.example", "Case.Example", "case.EXAMPLE"};
	for (int i = 0; i < 4; i++) {
		memset(&rd, 0, sizeof rd);
		rd.type = WIRE_T_PTR;
		memcpy(rd.u.name, N(cases[3 - i]), WIRE_NAME_MAX);
		wire_build_rr(&b, WIRE_SEC_ANSWER, N(cases[i]), 1, 1, &rd);
	}
	CHECK_EQ(wire_build_finish(&b, &len), DW_OK);
	round_trip("case", buf, len);
	struct wire_msg m;
	CHECK_EQ(wire_msg_parse(&m, buf, len, rr_a, WIRE_RR_MAX), DW_OK);
	for (int i = 0; i < 4; i++) {
		uint8_t w[WIRE_NAME_MAX];
		CHECK(wire_msg_name(&m, rr_a[1 + i].owner_off, w) > 0);
		CHECK(wire_name_equal_exact(w, N(cases[i])));
		struct wire_rdata got;
		wire_rdata_get(&m, &rr_a[1 + i], &got);
		CHECK(wire_name_equal_exact(got.u.name, N(cases[3 - i])));
	}
}

/* A hand-made message with no compression at all: the copy compresses it,
 * and both parse to the same view; trailing bytes are not copied. */
static void test_copy_uncompressed(void)
{
	struct pk p;
	pk_hdr(&p, 0x9999, 0x8180, 1, 2, 1, 1);
	pk_name(&p, "www.example.com");
	pk_u16(&p, 1);
	pk_u16(&p, 1);
	pk_name(&p, "www.example.com");
	pk_rr_fixed(&p, WIRE_T_CNAME, 1, 60, 17);
	pk_name(&p, "web.example.com");
	pk_name(&p, "web.example.com");
	pk_rr_fixed(&p, WIRE_T_A, 1, 60, 4);
	pk_u32(&p, 0x7f000001);
	pk_name(&p, "example.com");
	pk_rr_fixed(&p, WIRE_T_NS, 1, 60, 17);
	pk_name(&p, "ns1.example.com");
	pk_u8(&p, 0);
	pk_rr_fixed(&p, WIRE_T_OPT, 512, 0x8000, 0);
	pk_bytes(&p, "junk", 4);
	struct wire_msg m1, m2;
	CHECK_EQ(wire_msg_parse(&m1, p.b, p.n, rr_a, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m1.trailing, 4);
	static uint8_t out[1024];
	size_t olen;
	CHECK_EQ(wire_build_copy_msg(&m1, out, sizeof out, &olen), DW_OK);
	CHECK(olen < p.n - 4);
	CHECK_EQ(wire_msg_parse(&m2, out, olen, rr_b, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m2.trailing, 0);
	same_view(&m1, &m2);
	/* copying into too small a buffer fails cleanly */
	CHECK_EQ(wire_build_copy_msg(&m1, out, olen - 1, &olen), DW_E_NOSPACE);
	CHECK_EQ(olen, 0);
	/* wire_build_copy_rr one record at a time into another message */
	struct wire_builder b;
	wire_build_init(&b, out, sizeof out, 1, 0x8000);
	wire_build_copy_rr(&b, &m1, &rr_a[0]);
	wire_build_copy_rr(&b, &m1, &rr_a[2]);
	CHECK_EQ(wire_build_finish(&b, &olen), DW_OK);
	CHECK_EQ(wire_msg_parse(&m2, out, olen, rr_b, WIRE_RR_MAX), DW_OK);
	CHECK_EQ(m2.hdr.count[0], 1);
	CHECK_EQ(m2.hdr.count[1], 1);
	CHECK_EQ(rr_b[1].type, WIRE_T_A);
	/* a record whose owner offset is bad is refused */
	struct wire_rr bad = rr_a[1];
	bad.owner_off = (uint16_t)p.n;
	wire_build_init(&b, out, sizeof out, 1, 0x8000);
	wire_build_copy_rr(&b, &m1, &bad);
	CHECK_EQ(wire_build_finish(&b, &olen), DW_E_INVALID);
}

int main(void)
{
	RUN(test_query_bytes);
	RUN(test_compression);
	RUN(test_compression_16k);
	RUN(test_errors);
	RUN(test_count_limit);
	RUN(test_typed_rdata);
	RUN(test_round_trips);
	RUN(test_copy_uncompressed);
	return harness_done();
}
