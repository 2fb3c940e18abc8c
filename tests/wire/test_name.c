/* Tests of src/wire/name.c: unpack (compression), text, canonical form,
 * comparison, subdomain, 0x20. */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"

/* Wire form of TEXT, which must parse. */
static size_t from_text(const char *text, uint8_t *out)
{
	size_t n = 0;
	enum dw_status st = wire_name_from_text(text, out, &n);
	CHECK_EQ(st, DW_OK);
	return st == DW_OK ? n : 0;
}

static void test_from_text(void)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t n;
	CHECK_EQ(from_text("www.Example.com.", w), 17);
	CHECK_MEM(w, "\003www\007Example\003com\000", 17);
	CHECK_EQ(from_text("www.example.com", w), 17); /* relative taken as absolute */
	CHECK_EQ(from_text(".", w), 1);
	CHECK_EQ(w[0], 0);
	CHECK_EQ(from_text("a\\.b.c", w), 7);
	CHECK_MEM(w, "\003a.b\001c\000", 7);
	CHECK_EQ(from_text("\\000\\255\\\\.x", w), 7);
	CHECK_MEM(w, "\003\000\377\\\001x\000", 7);
	CHECK_EQ(wire_name_from_text("", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text(".a", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text("a..b", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text("a.b..", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text("a\\", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text("a\\25", w, &n), DW_E_BAD_TEXT);
	CHECK_EQ(wire_name_from_text("a\\256", w, &n), DW_E_BAD_TEXT);

	/* 63 octets is the longest label, 255 the longest name. */
	char t[600];
	memset(t, 'a', 63);
	t[63] = '\0';
	CHECK_EQ(from_text(t, w), 65);
	memset(t, 'a', 64);
	t[64] = '\0';
	CHECK_EQ(wire_name_from_text(t, w, &n), DW_E_LABEL_TOO_LONG);
	/* 3 labels of 63 + one of 61 = 4 + 250 + root = 255 octets. */
	size_t p = 0;
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		memset(t + p, 'b', l);
		p += l;
		t[p++] = '.';
	}
	t[p] = '\0';
	CHECK_EQ(from_text(t, w), 255);
	CHECK_EQ(wire_name_len(w, WIRE_NAME_MAX), 255);
	/* One more octet (label of 62) is 256: too long, with or without the dot. */
	memmove(t + 3 * 64 + 1, t + 3 * 64, strlen(t + 3 * 64) + 1);
	t[3 * 64] = 'b';
	CHECK_EQ(wire_name_from_text(t, w, &n), DW_E_NAME_TOO_LONG);
	t[strlen(t) - 1] = '\0';
	CHECK_EQ(wire_name_from_text(t, w, &n), DW_E_NAME_TOO_LONG);
	/* 127 one-letter labels = 255 octets; 128 are too many. */
	p = 0;
	for (int i = 0; i < 128; i++) {
		t[p++] = 'x';
		t[p++] = '.';
	}
	t[p] = '\0';
	CHECK_EQ(wire_name_from_text(t, w, &n), DW_E_NAME_TOO_LONG);
	t[2 * 127] = '\0';
	CHECK_EQ(from_text(t, w), 255);
	CHECK_EQ(wire_name_labels(w), 127);
}

static void test_to_text(void)
{
	char t[WIRE_NAME_TEXT_MAX];
	uint8_t w[WIRE_NAME_MAX];
	CHECK_EQ(wire_name_to_text((const uint8_t *)"", t, sizeof t), 1);
	CHECK_STR(t, ".");
	CHECK_EQ(wire_name_to_text((const uint8_t *)"\003www\007Example\003com", t, sizeof t), 16);
	CHECK_STR(t, "www.Example.com.");
	/* RFC 1035 5.1 escapes */
	static const uint8_t odd[] = {7, 'a', '.', '\\', ' ', 0x00, 0xff, ';', 4, '(', ')', '"', '@', 0};
	wire_name_to_text(odd, t, sizeof t);
	CHECK_STR(t, "a\\.\\\\\\032\\000\\255\\;.\\(\\)\\\"@.");
	/* and back */
	size_t n;
	CHECK_EQ(wire_name_from_text(t, w, &n), DW_OK);
	CHECK_EQ(n, sizeof odd);
	CHECK_MEM(w, odd, sizeof odd);
	/* Truncation: the length counts everything, the text is cut and ended. */
	char small[5];
	memset(small, 'Z', sizeof small);
	CHECK_EQ(wire_name_to_text((const uint8_t *)"\003www\003com", small, sizeof small), 8);
	CHECK_STR(small, "www.");
	CHECK_EQ(wire_name_to_text((const uint8_t *)"\003www\003com", NULL, 0), 8);
	/* The worst case fits WIRE_NAME_TEXT_MAX: 127 labels of \DDD... */
	memset(w, 0, sizeof w);
	for (int i = 0; i < 4; i++) {
		size_t l = i < 3 ? 63 : 61;
		w[64 * i] = (uint8_t)l;
		memset(w + 64 * i + 1, 0x01, l);
	}
	size_t len = wire_name_to_text(w, t, sizeof t);
	CHECK_EQ(len, 250 * 4 + 4);
	CHECK(len < WIRE_NAME_TEXT_MAX);
}

static void test_len_labels(void)
{
	CHECK_EQ(wire_name_len((const uint8_t *)"", 1), 1);
	CHECK_EQ(wire_name_len((const uint8_t *)"\001a", 3), 3);
	CHECK_EQ(wire_name_len((const uint8_t *)"\001a", 2), 0); /* no root in reach */
	CHECK_EQ(wire_name_len((const uint8_t *)"\001a", 0), 0);
	CHECK_EQ(wire_name_len((const uint8_t *)"\100aaaa", 6), 0); /* label 64 */
	CHECK_EQ(wire_name_len((const uint8_t *)"\300\014", 2), 0); /* a pointer */
	CHECK_EQ(wire_name_labels((const uint8_t *)""), 0);
	CHECK_EQ(wire_name_labels((const uint8_t *)"\001a\002bc"), 2);
	/* A 256-octet name is not a name. */
	uint8_t w[300] = {0};
	for (int i = 0; i < 4; i++) {
		w[64 * i] = i < 3 ? 63 : 62;
		memset(w + 64 * i + 1, 'q', w[64 * i]);
	}
	CHECK_EQ(wire_name_len(w, sizeof w), 0);
	w[192] = 61;
	w[254] = 0;
	CHECK_EQ(wire_name_len(w, sizeof w), 255);
	CHECK_EQ(wire_name_len(w, 254), 0);
}

/* Labels and friends read a name in a WIRE_NAME_MAX buffer; a buffer that
 * holds no root label within 255 octets must not be read past its end. */
static void test_unterminated_buffer(void)
{
	uint8_t *w = malloc(WIRE_NAME_MAX); /* exact size: ASan sees overruns */
	CHECK(w != NULL);
	if (!w)
		return;
	memset(w, 63, WIRE_NAME_MAX); /* labels at 0, 64, 128, 192; next at 256 */
	(void)wire_name_labels(w);
	CHECK_EQ(wire_name_len(w, WIRE_NAME_MAX), 0); /* no root label within 255 */
	char t[WIRE_NAME_TEXT_MAX];
	(void)wire_name_to_text(w, t, sizeof t);
	wire_name_canonicalize(w);
	(void)wire_name_apply_0x20(w, 1);
	uint8_t root[1] = {0};
	(void)wire_name_compare(w, root);
	(void)wire_name_compare(w, w);
	(void)wire_name_compare(root, w);
	uint8_t other[WIRE_NAME_MAX];
	memset(other, 63, sizeof other);
	other[254] = 'z';
	(void)wire_name_compare(w, other);
	(void)wire_name_is_subdomain(w, root);
	(void)wire_name_is_subdomain(root, w);
	(void)wire_name_is_subdomain(w, w);
	CHECK(!wire_name_equal_exact(w, w));
	CHECK_EQ(wire_name_len(w, WIRE_NAME_MAX), 0);
	CHECK(!wire_name_equal(w, w));
	free(w);
}

/*
 * RFC 1035 4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA at 40 (FOO plus a pointer
 * to 20), ARPA at 64 (a pointer to 26), the root at 92.
 */
static const uint8_t rfc1035_example[93] = {
	[20] = 1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0,
	[40] = 3, 'F', 'O', 'O', 0xC0, 20,
	[64] = 0xC0, 26,
	[92] = 0,
};

static void test_rfc1035_compression_example(void)
{
	const uint8_t *m = rfc1035_example;
	uint8_t out[WIRE_NAME_MAX];
	size_t n, next, eo;
	char t[WIRE_NAME_TEXT_MAX];

	CHECK_EQ(wire_name_unpack(m, sizeof rfc1035_example, 20, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 12);
	CHECK_EQ(next, 32);
	wire_name_to_text(out, t, sizeof t);
	CHECK_STR(t, "F.ISI.ARPA.");

	CHECK_EQ(wire_name_unpack(m, sizeof rfc1035_example, 40, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 16);
	CHECK_EQ(next, 46); /* after the pointer, not after the name it reached */
	wire_name_to_text(out, t, sizeof t);
	CHECK_STR(t, "FOO.F.ISI.ARPA.");

	CHECK_EQ(wire_name_unpack(m, sizeof rfc1035_example, 64, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 6);
	CHECK_EQ(next, 66);
	wire_name_to_text(out, t, sizeof t);
	CHECK_STR(t, "ARPA.");

	CHECK_EQ(wire_name_unpack(m, sizeof rfc1035_example, 92, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 1);
	CHECK_EQ(next, 93);
	CHECK_EQ(out[0], 0);

	/* Validation only (OUT NULL) gives the same answer. */
	CHECK_EQ(wire_name_unpack(m, sizeof rfc1035_example, 40, NULL, NULL, &next, &eo), DW_OK);
	CHECK_EQ(next, 46);

	/* Rebuilt by the builder at the same offsets, byte for byte. */
	uint8_t buf[93];
	struct wire_builder b;
	wire_build_init(&b, buf, sizeof buf, 0, 0);
	static const uint8_t zeros[40] = {0};
	const char *names[4] = {"F.ISI.ARPA", "FOO.F.ISI.ARPA", "ARPA", "."};
	const size_t at[4] = {20, 40, 64, 92};
	for (int i = 0; i < 4; i++) {
		wire_write_bytes(&b.c, zeros, at[i] - b.c.pos);
		CHECK_EQ(b.c.pos, at[i]);
		uint8_t w[WIRE_NAME_MAX];
		from_text(names[i], w);
		wire_build_name(&b, w);
	}
	CHECK_EQ(b.c.err, DW_OK);
	CHECK_EQ(b.c.pos, 93);
	memset(buf, 0, 12); /* the header the builder wrote is not part of the example */
	CHECK_MEM(buf, rfc1035_example, sizeof rfc1035_example);

	/* As a message: the 93 bytes with a zero header parse (no records, 81
	 * trailing bytes), and the names expand at their offsets. */
	struct wire_msg msg;
	struct wire_rr rr[1];
	CHECK_EQ(wire_msg_parse(&msg, rfc1035_example, sizeof rfc1035_example, rr, 1), DW_OK);
	CHECK_EQ(msg.trailing, 81);
	const size_t want_len[4] = {12, 16, 6, 1};
	for (int i = 0; i < 4; i++) {
		uint8_t w[WIRE_NAME_MAX];
		CHECK_EQ(wire_msg_name(&msg, at[i], w), want_len[i]);
		CHECK(wire_name_equal_exact(w, (from_text(names[i], out), out)));
	}

	/* The same four names as the questions of a real message: the builder
	 * compresses them the RFC's way (FOO + pointer, ARPA as one pointer,
	 * the root as a zero byte), and the parser reads them back. */
	uint8_t q[128];
	wire_build_init(&b, q, sizeof q, 0x1035, 0);
	for (int i = 0; i < 4; i++) {
		uint8_t w[WIRE_NAME_MAX];
		from_text(names[i], w);
		wire_build_question(&b, w, 1, 1);
	}
	size_t qlen;
	CHECK_EQ(wire_build_finish(&b, &qlen), DW_OK);
	static const uint8_t want_q[] = {
		0x10, 0x35, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,
		1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0, 0, 1, 0, 1, /* 12 */
		3, 'F', 'O', 'O', 0xC0, 12, 0, 1, 0, 1,                          /* 28 */
		0xC0, 18, 0, 1, 0, 1,                                            /* 38 */
		0, 0, 1, 0, 1};                                                  /* 44 */
	CHECK_EQ(qlen, sizeof want_q);
	CHECK_MEM(q, want_q, sizeof want_q);
	struct wire_rr qr[4];
	CHECK_EQ(wire_msg_parse(&msg, q, qlen, qr, 4), DW_OK);
	for (int i = 0; i < 4; i++) {
		uint8_t w[WIRE_NAME_MAX];
		CHECK_EQ(wire_msg_name(&msg, qr[i].owner_off, w), want_len[i]);
		wire_name_to_text(w, t, sizeof t);
		static const char *const texts[4] = {"F.ISI.ARPA.", "FOO.F.ISI.ARPA.", "ARPA.", "."};
		CHECK_STR(t, texts[i]);
		CHECK(wire_name_equal_exact(w, (from_text(names[i], out), out)));
	}
}

/* Every byte value survives wire -> text -> wire. */
static void test_text_all_bytes(void)
{
	uint8_t w[WIRE_NAME_MAX], back[WIRE_NAME_MAX];
	char t[WIRE_NAME_TEXT_MAX];
	for (int part = 0; part < 2; part++) {
		/* bytes 0..127 or 128..255 in labels of 63, 63, 2 */
		size_t n = 0;
		int v = part * 128;
		for (int l = 0; l < 3; l++) {
			int len = l < 2 ? 63 : 2;
			w[n++] = (uint8_t)len;
			for (int k = 0; k < len; k++)
				w[n++] = (uint8_t)v++;
		}
		w[n++] = 0;
		size_t tl = wire_name_to_text(w, t, sizeof t);
		CHECK(tl < sizeof t);
		size_t bl = 0;
		CHECK_EQ(wire_name_from_text(t, back, &bl), DW_OK);
		CHECK_EQ(bl, n);
		CHECK_MEM(back, w, n);
	}
}

static void test_unpack_errors(void)
{
	uint8_t m[300];
	size_t n = 0, next = 0, eo = 0;
	uint8_t out[WIRE_NAME_MAX];

	/* self pointer */
	static const uint8_t self[] = {0, 0, 0xC0, 2};
	CHECK_EQ(wire_name_unpack(self, 4, 2, out, &n, &next, &eo), DW_E_PTR_FORWARD);
	CHECK_EQ(eo, 2);
	/* pointer forward */
	static const uint8_t fwd[] = {0xC0, 2, 0};
	CHECK_EQ(wire_name_unpack(fwd, 3, 0, out, &n, &next, &eo), DW_E_PTR_FORWARD);
	CHECK_EQ(eo, 0);
	/* two pointers at each other: 4 -> 2 is backwards, 2 -> 4 is not */
	static const uint8_t pair[] = {0, 0, 0xC0, 4, 0xC0, 2};
	CHECK_EQ(wire_name_unpack(pair, 6, 4, out, &n, &next, &eo), DW_E_PTR_FORWARD);
	CHECK_EQ(eo, 2);
	/* a label, then a pointer back to that label */
	static const uint8_t lbl[] = {0, 3, 'f', 'o', 'o', 0xC0, 1};
	CHECK_EQ(wire_name_unpack(lbl, 7, 1, out, &n, &next, &eo), DW_E_PTR_FORWARD);
	CHECK_EQ(eo, 5);
	/* a pointer into the middle of the name it is part of */
	static const uint8_t mid[] = {0, 1, 'a', 1, 'b', 0xC0, 3};
	CHECK_EQ(wire_name_unpack(mid, 7, 1, out, &n, &next, &eo), DW_E_PTR_FORWARD);
	CHECK_EQ(eo, 5);
	/* pointer past the end */
	static const uint8_t past[] = {0, 0xC0, 9};
	CHECK_EQ(wire_name_unpack(past, 3, 1, out, &n, &next, &eo), DW_E_PTR_PAST_END);
	CHECK_EQ(eo, 1);
	/* pointer cut in half */
	CHECK_EQ(wire_name_unpack(past, 2, 1, out, &n, &next, &eo), DW_E_TRUNCATED);
	CHECK_EQ(eo, 1);
	/* label of 64 (length byte 0x40) */
	memset(m, 'a', sizeof m);
	m[0] = 0x40;
	m[65] = 0;
	CHECK_EQ(wire_name_unpack(m, 66, 0, out, &n, &next, &eo), DW_E_LABEL_TOO_LONG);
	CHECK_EQ(eo, 0);
	/* label type 0x80 (10 binary) */
	static const uint8_t t80[] = {1, 'a', 0x80, 0};
	CHECK_EQ(wire_name_unpack(t80, 4, 0, out, &n, &next, &eo), DW_E_BAD_LABEL_TYPE);
	CHECK_EQ(eo, 2);
	/* name of 256 octets: fails at the label that crosses 255 */
	memset(m, 'a', sizeof m);
	for (int i = 0; i < 4; i++)
		m[64 * i] = i < 3 ? 63 : 62;
	m[255] = 0;
	CHECK_EQ(wire_name_unpack(m, 256, 0, out, &n, &next, &eo), DW_E_NAME_TOO_LONG);
	CHECK_EQ(eo, 192);
	m[192] = 61;
	m[254] = 0;
	CHECK_EQ(wire_name_unpack(m, 255, 0, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 255);
	CHECK_EQ(next, 255);
	/* truncated in a label, and with no root label */
	static const uint8_t cut[] = {3, 'a', 'b'};
	CHECK_EQ(wire_name_unpack(cut, 3, 0, out, &n, &next, &eo), DW_E_TRUNCATED);
	CHECK_EQ(eo, 3);
	static const uint8_t noroot[] = {1, 'a'};
	CHECK_EQ(wire_name_unpack(noroot, 2, 0, out, &n, &next, &eo), DW_E_TRUNCATED);
	CHECK_EQ(eo, 2);
	CHECK_EQ(wire_name_unpack(noroot, 2, 2, out, &n, &next, &eo), DW_E_TRUNCATED);
	CHECK_EQ(eo, 2);
}

/* A name made long through pointers is still limited to 255 octets. */
static void test_unpack_long_via_pointers(void)
{
	uint8_t m[400];
	memset(m, 'z', sizeof m);
	/* 0: 63-label, 63-label, root (129 octets) */
	m[0] = 63;
	m[64] = 63;
	m[128] = 0;
	/* 129: 63-label, pointer to 0 => 64 + 129 = 193 */
	m[129] = 63;
	m[193] = 0xC0;
	m[194] = 0;
	/* 195: 61-label, pointer to 129 => 62 + 193 = 255: fine */
	m[195] = 61;
	m[257] = 0xC0;
	m[258] = 129;
	/* 259: 62-label, pointer to 129 => 256: too long */
	m[259] = 62;
	m[322] = 0xC0;
	m[323] = 129;
	size_t n, next, eo;
	uint8_t out[WIRE_NAME_MAX];
	CHECK_EQ(wire_name_unpack(m, 324, 195, out, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 255);
	CHECK_EQ(next, 259);
	CHECK_EQ(wire_name_unpack(m, 324, 259, out, &n, &next, &eo), DW_E_NAME_TOO_LONG);
	CHECK_EQ(eo, 64); /* the second label at 0 is the one that no longer fits */
}

/* More pointer hops than a legal name needs: a chain of 128 pointers. */
static void test_unpack_pointer_chain(void)
{
	uint8_t m[2 + 2 * 200];
	m[0] = 0;
	m[1] = 0;
	/* pointer k at 2+2k points to 2+2(k-1); the first to offset 0 (root) */
	for (int k = 0; k < 200; k++) {
		size_t target = k == 0 ? 0 : (size_t)(2 + 2 * (k - 1));
		m[2 + 2 * k] = (uint8_t)(0xC0 | target >> 8);
		m[3 + 2 * k] = (uint8_t)target;
	}
	size_t n, next, eo;
	/* 127 hops is allowed */
	CHECK_EQ(wire_name_unpack(m, sizeof m, 2 + 2 * 126, NULL, &n, &next, &eo), DW_OK);
	CHECK_EQ(n, 1);
	CHECK_EQ(next, 2 + 2 * 126 + 2);
	/* 128 is not */
	CHECK_EQ(wire_name_unpack(m, sizeof m, 2 + 2 * 127, NULL, &n, &next, &eo),
		 DW_E_PTR_TOO_MANY);
	CHECK_EQ(eo, 2 + 2 * 0 /* the 128th pointer followed is the first one */);
}

static void test_canonicalize_equal(void)
{
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX];
	from_text("WwW.ExAmPlE.CoM", a);
	from_text("www.example.com", b);
	CHECK(wire_name_equal(a, b));
	CHECK(!wire_name_equal_exact(a, b));
	CHECK(wire_name_equal_exact(a, a));
	wire_name_canonicalize(a);
	CHECK(wire_name_equal_exact(a, b));
	/* Only ASCII letters fold: 0xC0 and 0xE0 differ (RFC 4343). */
	static const uint8_t hi1[] = {1, 0xC0, 0}, hi2[] = {1, 0xE0, 0};
	CHECK(!wire_name_equal(hi1, hi2));
	uint8_t c[3] = {1, '@', 0}, d[3] = {1, '`', 0}; /* 0x40 and 0x60 */
	CHECK(!wire_name_equal(c, d));
	wire_name_canonicalize(c);
	CHECK_EQ(c[1], '@');
	/* Label boundaries count: a.bc differs from ab.c */
	from_text("a.bc", a);
	from_text("ab.c", b);
	CHECK(!wire_name_equal(a, b));
	/* Malformed names are never equal. */
	static const uint8_t bad[] = {0x40, 0};
	CHECK(!wire_name_equal(bad, bad));
	CHECK(!wire_name_equal_exact(bad, bad));
}

/* RFC 4034 6.1: the example names, in canonical order. */
static void test_compare_rfc4034(void)
{
	static const char *const order[] = {
		"example", "a.example", "yljkjljk.a.example", "Z.a.example",
		"zABC.a.EXAMPLE", "z.example", "\\001.z.example", "*.z.example",
		"\\200.z.example",
	};
	enum { N = sizeof order / sizeof order[0] };
	uint8_t w[N][WIRE_NAME_MAX];
	for (int i = 0; i < N; i++)
		from_text(order[i], w[i]);
	for (int i = 0; i < N; i++) {
		for (int j = 0; j < N; j++) {
			int r = wire_name_compare(w[i], w[j]);
			if (i < j)
				CHECK(r < 0);
			else if (i > j)
				CHECK(r > 0);
			else
				CHECK_EQ(r, 0);
			if ((i < j && r >= 0) || (i > j && r <= 0))
				printf("#     %s vs %s: %d\n", order[i], order[j], r);
		}
	}
	uint8_t a[WIRE_NAME_MAX], b[WIRE_NAME_MAX];
	from_text("Z.A.EXAMPLE", a);
	CHECK_EQ(wire_name_compare(a, w[3]), 0); /* case does not matter */
	from_text(".", a);
	CHECK(wire_name_compare(a, w[0]) < 0); /* the root sorts first */
	CHECK_EQ(wire_name_compare(a, a), 0);
	from_text("b.example", a);
	from_text("a.b.example", b);
	CHECK(wire_name_compare(a, b) < 0);
	from_text("ab.example", b);
	CHECK(wire_name_compare(w[1], b) < 0); /* a < ab: prefix first */
	CHECK(wire_name_compare(b, a) < 0);    /* ab < b */
}

static void test_subdomain(void)
{
	uint8_t n[WIRE_NAME_MAX], s[WIRE_NAME_MAX];
	from_text("www.Example.COM", n);
	from_text("example.com", s);
	CHECK(wire_name_is_subdomain(n, s));
	CHECK(wire_name_is_subdomain(s, s));
	CHECK(!wire_name_is_subdomain(s, n));
	from_text(".", s);
	CHECK(wire_name_is_subdomain(n, s)); /* everything is under the root */
	from_text("ample.com", s);
	CHECK(!wire_name_is_subdomain(n, s)); /* label-wise, not a string suffix */
	from_text("xample.com", n);
	from_text("example.com", s);
	CHECK(!wire_name_is_subdomain(n, s));
	from_text("com.example", s);
	CHECK(!wire_name_is_subdomain(n, s));
}

static void test_tld_text(void)
{
	uint8_t n[WIRE_NAME_MAX];
	char t[16];
	from_text("www.Example.COM", n);
	wire_name_tld_text(n, t, sizeof t);
	CHECK_STR(t, "com");
	from_text("a\\.B.x\\.Y", n); /* an escaped dot inside the last label stays escaped */
	wire_name_tld_text(n, t, sizeof t);
	CHECK_STR(t, "x\\.y");
	from_text(".", n);
	wire_name_tld_text(n, t, sizeof t);
	CHECK_STR(t, ".");
	const uint8_t bad[WIRE_NAME_MAX] = {3, 'c', 'o', 'm', 70, 'x'}; /* a label over 63 */
	wire_name_tld_text(bad, t, sizeof t);
	CHECK_STR(t, ".");
}

static void test_0x20(void)
{
	uint8_t w[WIRE_NAME_MAX], orig[WIRE_NAME_MAX];
	char t[WIRE_NAME_TEXT_MAX];
	from_text("www-1.example.com", w);
	memcpy(orig, w, sizeof w);
	CHECK_EQ(wire_name_apply_0x20(w, 0), 13); /* letters only: not '-', not '1' */
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "www-1.example.com.");
	CHECK_EQ(wire_name_apply_0x20(w, ~0ull), 13);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "WWW-1.EXAMPLE.COM.");
	/* bit i picks the case of letter i: 0b101 -> W w W */
	CHECK_EQ(wire_name_apply_0x20(w, 0x5), 13);
	wire_name_to_text(w, t, sizeof t);
	CHECK_STR(t, "WwW-1.example.com.");
	CHECK(wire_name_equal(w, orig));
	CHECK(!wire_name_equal_exact(w, orig));
	/* Length octets are never touched, even when they look like letters. */
	uint8_t l[WIRE_NAME_MAX] = {0};
	l[0] = 'A' - 0x20; /* 33 */
	memset(l + 1, '7', 33);
	l[34] = 0;
	CHECK_EQ(wire_name_apply_0x20(l, ~0ull), 0);
	CHECK_EQ(l[0], 33);
	/* More than 64 letters: all of them get a bit; a zero key gives
	 * lower case for the first 64 letters, and the rest still vary. */
	uint8_t big[WIRE_NAME_MAX], big2[WIRE_NAME_MAX];
	for (int i = 0; i < 3; i++) {
		big[64 * i] = 63;
		memset(big + 64 * i + 1, 'a', 63);
	}
	big[192] = 0;
	memcpy(big2, big, 193);
	CHECK_EQ(wire_name_apply_0x20(big, 0), 189);
	int upper_head = 0, upper_tail = 0;
	for (int i = 0; i < 189; i++) {
		uint8_t ch = big[1 + i + i / 63];
		if (ch == 'A')
			*(i < 64 ? &upper_head : &upper_tail) += 1;
	}
	CHECK_EQ(upper_head, 0);
	CHECK(upper_tail > 0 && upper_tail < 125);
	CHECK_EQ(wire_name_apply_0x20(big2, 1), 189);
	CHECK(memcmp(big, big2, 193) != 0);
	CHECK(wire_name_equal(big, big2));
}

int main(void)
{
	RUN(test_from_text);
	RUN(test_to_text);
	RUN(test_len_labels);
	RUN(test_unterminated_buffer);
	RUN(test_rfc1035_compression_example);
	RUN(test_text_all_bytes);
	RUN(test_unpack_errors);
	RUN(test_unpack_long_via_pointers);
	RUN(test_unpack_pointer_chain);
	RUN(test_canonicalize_equal);
	RUN(test_compare_rfc4034);
	RUN(test_subdomain);
	RUN(test_tld_text);
	RUN(test_0x20);
	return harness_done();
}
