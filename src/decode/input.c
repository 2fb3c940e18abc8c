/* Message sources for `decode` (see input.h). */
#include "decode/input.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/hex.h"
#include "wire/msg.h"

/* Text and raw inputs are read whole; a hex file of many messages may be
 * large, but not unboundedly so. */
#define TEXT_MAX (256u << 20)
#define CAPTURE_MAX ((size_t)4 << 30)

const char *decode_failure_word(enum decode_failure f)
{
	static const char *const words[] = {
		[DECODE_FAIL_NONE] = "none", [DECODE_FAIL_UNREADABLE] = "unreadable",
		[DECODE_FAIL_EMPTY] = "empty", [DECODE_FAIL_TOO_LARGE] = "too_large",
		[DECODE_FAIL_SYNTAX] = "syntax", [DECODE_FAIL_NOT_CAPTURE] = "not_a_capture",
		[DECODE_FAIL_CUT_SHORT] = "cut_short", [DECODE_FAIL_NOMEM] = "out_of_memory"};
	return (unsigned)f < sizeof words / sizeof words[0] ? words[f] : "unreadable";
}

/* The file's format, now that its content says it. */
static void set_format(struct decode_counts *counts, enum decode_format f)
{
	counts->format_known = true;
	counts->format = f;
}

static bool is_pcap_magic(const uint8_t *b, size_t n)
{
	static const uint8_t magics[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* usec */
		{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* nsec */
		{0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng */
	};
	for (size_t i = 0; n >= 4 && i < sizeof magics / sizeof magics[0]; i++)
		if (memcmp(b, magics[i], 4) == 0)
			return true;
	return false;
}

/* Hex text: only hex digits, white space and '#' comments. */
static bool looks_like_hex(const uint8_t *b, size_t n)
{
	bool digits = false, comment = false;
	for (size_t i = 0; i < n; i++) {
		if (comment) {
			comment = b[i] != '\n';
			continue;
		}
		if (b[i] == '#')
			comment = true;
		else if (hex_digit(b[i]) >= 0)
			digits = true;
		else if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
			return false;
	}
	return digits;
}

static int emit_hex_block(const char *name, const uint8_t *msg, size_t len, int half,
			  unsigned long start_line, unsigned long *index, decode_message_fn fn,
			  void *ctx, struct decode_counts *counts, struct dw_error *err)
{
	if (half >= 0)
		return dw_error_at(err, DW_E_SYNTAX, name, start_line,
				   "odd number of hex digits in the message starting here");
	struct decode_origin o = {.file = name, .format = DECODE_HEX, .index = ++*index,
				  .line = start_line};
	counts->messages++;
	return fn(ctx, &o, msg, len) ? 1 : 0;
}

/* Blocks of hex digits separated by lines without digits; one block, one message. */
static int read_hex(const uint8_t *text, size_t n, const char *name, decode_message_fn fn,
		    void *ctx, struct decode_counts *counts, struct dw_error *err)
{
	static uint8_t msg[WIRE_MSG_MAX];
	size_t len = 0;
	unsigned long line = 0, start_line = 0, index = 0;
	int half = -1; /* pending high nibble */
	bool in_block = false;

	for (size_t i = 0; i < n;) {
		size_t eol = i;
		while (eol < n && text[eol] != '\n')
			eol++;
		line++;
		bool digits = false;
		for (size_t k = i; k < eol && text[k] != '#'; k++) {
			int v = hex_digit(text[k]);
			if (v < 0)
				continue; /* white space: looks_like_hex allowed nothing else */
			if (!in_block) {
				in_block = true;
				start_line = line;
			}
			digits = true;
			if (half < 0) {
				half = v;
				continue;
			}
			if (len == sizeof msg)
				return dw_error_at(err, DW_E_TOO_LARGE, name, start_line,
						   "message over 65535 bytes");
			msg[len++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
		if (!digits && in_block) {
			int r = emit_hex_block(name, msg, len, half, start_line, &index, fn, ctx,
					       counts, err);
			if (r)
				return r < 0 ? -1 : 0;
			len = 0;
			in_block = false;
		}
		i = eol + 1;
	}
	if (in_block && emit_hex_block(name, msg, len, half, start_line, &index, fn, ctx, counts,
				       err) < 0)
		return -1;
	return 0;
}

struct pcap_ctx {
	const char *name;
	decode_message_fn fn;
	void *ctx;
	struct decode_counts *counts;
	int link;
	bool stop;
	struct net_reasm *reasm;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct pcap_ctx *pc = (struct pcap_ctx *)user;
	struct decode_origin o = {.file = pc->name, .format = DECODE_PCAP};
	pc->counts->packets++;
	o.packet = pc->counts->packets;
	o.ts = h->ts;
	enum dw_status st = net_packet_parse(pc->link, data, h->caplen, &o.pkt);
	if (st == DW_E_FRAGMENT) {
		/* Capture time in microseconds: the reassembler's clock. */
		uint64_t t = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		const uint8_t *whole;
		size_t n;
		enum net_reasm_result r = net_reasm_feed(pc->reasm, o.pkt.ip, o.pkt.ip_len, t, &whole,
							 &n, &o.fragments);
		pc->counts->fragments = net_reasm_stats(pc->reasm)->fragments;
		if (r != NET_REASM_DONE)
			return;
		st = net_packet_parse_ip(whole, n, &o.pkt);
	}
	if (st != DW_OK) {
		if (st == DW_E_NOT_IP || st == DW_E_NOT_UDP)
			pc->counts->not_dns++;
		else
			pc->counts->undecodable++;
		return;
	}
	if (o.pkt.sport != 53 && o.pkt.dport != 53) {
		pc->counts->not_dns++;
		return;
	}
	o.index = ++pc->counts->messages;
	o.wire_len = o.pkt.payload_len + (o.pkt.payload_cut ? 1 : 0);
	if (pc->fn(pc->ctx, &o, o.pkt.payload, o.pkt.payload_len))
		pc->stop = true;
}

/* Runs over an opened capture; closes it. */
static int read_pcap(pcap_t *p, const char *name, decode_message_fn fn, void *ctx,
		     struct decode_counts *counts, struct dw_error *err)
{
	struct pcap_ctx pc = {name, fn, ctx, counts, pcap_datalink(p), false, net_reasm_new(NULL)};
	int rc = 0;
	if (!pc.reasm) {
		pcap_close(p);
		return dw_error_set(err, DW_E_NOMEM, "%s: out of memory", name);
	}
	for (;;) {
		int r = pcap_dispatch(p, 1, on_packet, (u_char *)&pc);
		if (pc.stop || r == 0 || r == PCAP_ERROR_BREAK)
			break;
		if (r < 0) {
			/* A capture cut off mid-packet: report it, keep what was read. */
			dw_error_set(err, DW_E_IO, "%s: packet %lu: %s", name, counts->packets + 1,
				     pcap_geterr(p));
			rc = -1;
			break;
		}
	}
	pcap_close(p);
	counts->reasm = *net_reasm_stats(pc.reasm);
	counts->fragments = counts->reasm.fragments;
	counts->frag_incomplete = net_reasm_pending(pc.reasm);
	net_reasm_free(pc.reasm);
	return rc;
}

int decode_read_pcap_mem(const uint8_t *data, size_t len, const char *name,
			 decode_message_fn fn, void *ctx, struct decode_counts *counts,
			 struct dw_error *err)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	/* libpcap reads from a FILE*; fmemopen gives it one without a copy. */
	FILE *f = fmemopen((void *)(uintptr_t)data, len, "rb");
	set_format(counts, DECODE_PCAP);
	if (!f) {
		counts->failure = DECODE_FAIL_UNREADABLE;
		return dw_error_set(err, DW_E_SYSTEM, "%s: cannot open capture in memory", name);
	}
	pcap_t *p = pcap_fopen_offline(f, perr);
	if (!p) {
		fclose(f);
		counts->failure = DECODE_FAIL_NOT_CAPTURE;
		return dw_error_set(err, DW_E_SYNTAX, "%s: not a readable capture: %s", name, perr);
	}
	int rc = read_pcap(p, name, fn, ctx, counts, err);
	if (rc)
		counts->failure = DECODE_FAIL_CUT_SHORT;
	return rc;
}

int decode_read(FILE *f, const char *name, decode_message_fn fn, void *ctx,
		struct decode_counts *counts, struct dw_error *err)
{
	uint8_t *buf;
	size_t n;
	int rc = 0;
	/* Captures can be large; text and raw inputs are checked below. */
	enum dw_status st = util_read_all(f, CAPTURE_MAX, &buf, &n);
	counts->format_known = false;
	counts->failure = DECODE_FAIL_NONE;
	if (st) {
		counts->failure = st == DW_E_TOO_LARGE ? DECODE_FAIL_TOO_LARGE
				  : st == DW_E_NOMEM   ? DECODE_FAIL_NOMEM
						       : DECODE_FAIL_UNREADABLE;
	}
	if (st == DW_E_IO) /* the words decode has always used */
		return dw_error_set(err, st, "%s: read error", name);
	if (st == DW_E_TOO_LARGE)
		return dw_error_set(err, st, "%s: over %zu GiB", name, CAPTURE_MAX >> 30);
	if (st)
		return dw_error_set(err, st, "%s: %s", name, dw_strerror(st));
	if (n == 0) {
		counts->failure = DECODE_FAIL_EMPTY;
		rc = dw_error_set(err, DW_E_SYNTAX, "%s: empty input", name);
	} else if (is_pcap_magic(buf, n)) {
		rc = decode_read_pcap_mem(buf, n, name, fn, ctx, counts, err);
	} else if (n > TEXT_MAX) {
		counts->failure = DECODE_FAIL_TOO_LARGE;
		rc = dw_error_set(err, DW_E_TOO_LARGE, "%s: over %u MiB and not a capture", name,
				  TEXT_MAX >> 20);
	} else if (looks_like_hex(buf, n)) {
		set_format(counts, DECODE_HEX);
		rc = read_hex(buf, n, name, fn, ctx, counts, err);
		if (rc)
			counts->failure = err && err->status == DW_E_TOO_LARGE ? DECODE_FAIL_TOO_LARGE
									 : DECODE_FAIL_SYNTAX;
	} else if (n > WIRE_MSG_MAX) {
		set_format(counts, DECODE_RAW);
		counts->failure = DECODE_FAIL_TOO_LARGE;
		rc = dw_error_set(err, DW_E_TOO_LARGE,
				  "%s: %zu bytes: too large for one DNS message and not a capture or "
				  "hex text", name, n);
	} else {
		set_format(counts, DECODE_RAW);
		struct decode_origin o = {.file = name, .format = DECODE_RAW, .index = 1};
		counts->messages++;
		fn(ctx, &o, buf, n); /* its answer (stop or not) is moot: one message */
	}
	free(buf);
	return rc;
}
