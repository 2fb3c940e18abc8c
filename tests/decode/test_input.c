/* decode/input: format detection, hex blocks, pcap captures. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include "decode/input.h"
#include "harness.h"
#include "net/frames.h"
#include "wire/msg.h"

/* What the reader handed over, message by message. */
struct seen {
	unsigned n;
	size_t len[16];
	uint8_t first[16];
	unsigned long line[16], packet[16];
	uint8_t ttl[16];
	enum decode_format format;
};

static int collect(void *ctx, const struct decode_origin *o, const uint8_t *m, size_t len)
{
	struct seen *s = ctx;
	if (s->n < 16) {
		s->len[s->n] = len;
		s->first[s->n] = len ? m[0] : 0;
		s->line[s->n] = o->line;
		s->packet[s->n] = o->packet;
		s->ttl[s->n] = o->pkt.ttl;
	}
	s->format = o->format;
	s->n++;
	return 0;
}

static int read_string(const char *text, size_t len, struct seen *s, struct decode_counts *c,
		       struct dw_error *err)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, len, "rb");
	int rc = decode_read(f, "t", collect, s, c, err);
	fclose(f);
	return rc;
}

static void test_hex_blocks(void)
{
	const char *t = "# two messages\nab cd\nef\n\n\n  0102 # comment\n";
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(read_string(t, strlen(t), &s, &c, &err), 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.format, DECODE_HEX);
	CHECK_EQ(s.len[0], 3);
	CHECK_EQ(s.first[0], 0xab);
	CHECK_EQ(s.line[0], 2);
	CHECK_EQ(s.len[1], 2);
	CHECK_EQ(s.line[1], 6);
}

static void test_hex_odd_digits(void)
{
	const char *t = "abc\n\n0102\n";
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(read_string(t, strlen(t), &s, &c, &err), -1);
	CHECK_STR(err.text, "t:1: odd number of hex digits in the message starting here");
	CHECK_EQ(err.status, DW_E_SYNTAX);
	CHECK_EQ(s.n, 0);
}

static void test_raw_and_empty(void)
{
	const char raw[] = "\x12\x34\x81\x80zz";
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(read_string(raw, 6, &s, &c, &err), 0);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.format, DECODE_RAW);
	CHECK_EQ(s.len[0], 6);
	CHECK_EQ(read_string(raw, 0, &s, &c, &err), -1);
	CHECK_STR(err.text, "t: empty input");
}

/* A stream that fails to read (a directory opens, reading it fails): the
 * words decode has always said, with the status. */
static void test_read_error(void)
{
	FILE *f = fopen("/", "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(decode_read(f, "dir", collect, &s, &c, &err), -1);
	fclose(f);
	CHECK_STR(err.text, "dir: read error");
	CHECK_EQ(err.status, DW_E_IO);
	CHECK_EQ(s.n, 0);
}

/* A capture with DNS over IPv4 and IPv6, a VLAN, non-DNS UDP, TCP, a
 * fragment, and a DNS payload cut short by the snap length. */
static char *write_capture(void)
{
	static char path[] = "/tmp/dw-test-XXXXXX.pcap";
	int fd = mkstemps(path, 5);
	close(fd);
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	const uint8_t q[] = {0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
	struct frame_spec specs[] = {
		{.ttl = 64, .sport = 4000, .dport = 53},
		{.ttl = 55, .v6 = 1, .vlan = 1, .sport = 53, .dport = 4000},
		{.ttl = 64, .sport = 4000, .dport = 123},
		{.ttl = 64, .proto = 6, .sport = 4000, .dport = 53},
		{.ttl = 64, .frag = 0x2000, .sport = 4000, .dport = 53},
		{.ttl = 33, .sport = 53, .dport = 4000},
	};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		uint8_t frame[256];
		size_t n = frame_build(&specs[i], q, sizeof q, frame);
		struct pcap_pkthdr h = {.ts = {1390288500 + (long)i, 0}, .len = (bpf_u_int32)n,
					.caplen = (bpf_u_int32)n};
		if (i == 5)
			h.caplen = (bpf_u_int32)(n - 5); /* snap length cut */
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return path;
}

static void test_pcap(void)
{
	char *path = write_capture();
	FILE *f = fopen(path, "rb");
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(decode_read(f, path, collect, &s, &c, &err), 0);
	fclose(f);
	unlink(path);
	CHECK_EQ(s.format, DECODE_PCAP);
	CHECK_EQ(c.packets, 6);
	CHECK_EQ(c.messages, 3);
	CHECK_EQ(c.not_dns, 2);
	CHECK_EQ(c.fragments, 1);
	CHECK_EQ(c.reasm.bad_length, 1); /* a first fragment of 25 bytes: not a multiple of 8 */
	CHECK_EQ(c.frag_incomplete, 0);
	CHECK_EQ(c.reasm.reassembled, 0);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.packet[0], 1);
	CHECK_EQ(s.ttl[1], 55);
	CHECK_EQ(s.packet[2], 6);
	CHECK_EQ(s.len[2], 12); /* 17 bytes, 5 cut off */
}

static void test_pcap_garbage(void)
{
	/* A pcap header and then garbage: an error line, no crash. */
	uint8_t junk[64] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	memset(junk + 24, 0xff, 40);
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	int rc = decode_read_pcap_mem(junk, sizeof junk, "junk", collect, &s, &c, &err);
	CHECK_EQ(rc, -1);
	CHECK(strncmp(err.text, "junk", 4) == 0);
	CHECK_EQ(s.n, 0);
}

/* Why a file failed as a whole, and its format when its content said it,
 * for decode --json's one object per failed file. */
static void test_failure_kinds(void)
{
	struct seen s = {0};
	struct decode_counts c = {0};
	struct dw_error err = {0};
	CHECK_EQ(read_string("", 0, &s, &c, &err), -1);
	CHECK_EQ(c.failure, DECODE_FAIL_EMPTY);
	CHECK(!c.format_known);
	CHECK_STR(decode_failure_word(c.failure), "empty");

	struct decode_counts c2 = {0};
	CHECK_EQ(read_string("abc\n", 4, &s, &c2, &err), -1);
	CHECK_EQ(c2.failure, DECODE_FAIL_SYNTAX);
	CHECK(c2.format_known);
	CHECK_EQ(c2.format, DECODE_HEX);
	CHECK_STR(decode_failure_word(c2.failure), "syntax");

	/* Over 65535 bytes, neither a capture nor hex text. */
	static char big[70000];
	memset(big, 'z', sizeof big);
	struct decode_counts c3 = {0};
	CHECK_EQ(read_string(big, sizeof big, &s, &c3, &err), -1);
	CHECK_EQ(err.status, DW_E_TOO_LARGE);
	CHECK_EQ(c3.failure, DECODE_FAIL_TOO_LARGE);
	CHECK(c3.format_known);
	CHECK_EQ(c3.format, DECODE_RAW);
	CHECK_STR(decode_failure_word(c3.failure), "too_large");

	/* A message read: format said, no failure. */
	struct decode_counts c4 = {0};
	CHECK_EQ(read_string("\x12\x34\x81\x80zz", 6, &s, &c4, &err), 0);
	CHECK_EQ(c4.failure, DECODE_FAIL_NONE);
	CHECK(c4.format_known);
	CHECK_EQ(c4.format, DECODE_RAW);

	/* A directory: unreadable, format unknown. */
	FILE *f = fopen("/", "rb");
	CHECK(f != NULL);
	if (f) {
		struct decode_counts c5 = {0};
		CHECK_EQ(decode_read(f, "dir", collect, &s, &c5, &err), -1);
		fclose(f);
		CHECK_EQ(c5.failure, DECODE_FAIL_UNREADABLE);
		CHECK(!c5.format_known);
		CHECK_STR(decode_failure_word(c5.failure), "unreadable");
	}

	/* A capture's magic and nothing libpcap can read. */
	const uint8_t magic_only[6] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0};
	struct decode_counts c6 = {0};
	CHECK_EQ(decode_read_pcap_mem(magic_only, sizeof magic_only, "m", collect, &s, &c6, &err),
		 -1);
	CHECK_EQ(c6.failure, DECODE_FAIL_NOT_CAPTURE);
	CHECK(c6.format_known);
	CHECK_EQ(c6.format, DECODE_PCAP);
	CHECK_STR(decode_failure_word(c6.failure), "not_a_capture");
	CHECK_STR(decode_failure_word(DECODE_FAIL_CUT_SHORT), "cut_short");
	CHECK_STR(decode_failure_word(DECODE_FAIL_NOMEM), "out_of_memory");
}

int main(void)
{
	RUN(test_hex_blocks);
	RUN(test_hex_odd_digits);
	RUN(test_raw_and_empty);
	RUN(test_read_error);
	RUN(test_pcap);
	RUN(test_pcap_garbage);
	RUN(test_failure_kinds);
	return harness_done();
}
