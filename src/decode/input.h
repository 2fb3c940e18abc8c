/*
 * Reading DNS messages out of files for `decode`: a raw binary message, hex
 * text (blocks separated by blank lines, '#' comments), or every UDP/53
 * payload of a pcap or pcapng capture (libpcap), IP fragments reassembled
 * first. The format is detected from the content, not the name.
 */
#ifndef DW_DECODE_INPUT_H
#define DW_DECODE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include "net/packet.h"
#include "net/reasm.h"
#include "util/error.h"

enum decode_format { DECODE_RAW, DECODE_HEX, DECODE_PCAP };

/* Where one message came from. */
struct decode_origin {
	const char *file;
	enum decode_format format;
	unsigned long index;      /* 1-based message number within the file */
	unsigned long line;       /* hex: line where the block starts */
	unsigned long packet;     /* pcap: 1-based packet number */
	struct timeval ts;        /* pcap: capture time */
	struct net_packet pkt;    /* pcap: addresses, ports, IP TTL/ID/DF */
	size_t wire_len;          /* pcap: UDP payload length as the header says */
	unsigned fragments;       /* pcap: IP fragments it was reassembled from (0: none);
				   * packet and ts are the last fragment's, the IP fields
				   * the first fragment's (net/reasm.h) */
};

/* Called for every message; return non-zero to stop reading. */
typedef int (*decode_message_fn)(void *ctx, const struct decode_origin *o,
				 const uint8_t *msg, size_t len);

/* Why a file failed as a whole (decode_read returned -1), as one stable word
 * for programs (decode_failure_word): "unreadable" (cannot be opened or read:
 * missing, a directory, no permission), "empty", "too_large", "syntax" (hex
 * text with an odd number of digits), "not_a_capture" (a capture's magic
 * but libpcap cannot read it), "cut_short" (a capture that breaks off),
 * "out_of_memory". */
enum decode_failure {
	DECODE_FAIL_NONE, DECODE_FAIL_UNREADABLE, DECODE_FAIL_EMPTY, DECODE_FAIL_TOO_LARGE,
	DECODE_FAIL_SYNTAX, DECODE_FAIL_NOT_CAPTURE, DECODE_FAIL_CUT_SHORT, DECODE_FAIL_NOMEM
};
const char *decode_failure_word(enum decode_failure f);

/* Counts of what a pcap held besides DNS (reported, not errors). IP
 * fragments are reassembled (net/reasm.h, default bounds: 64 datagrams at
 * once, 64 fragments each, 65535 bytes, 30 s of capture time); the
 * reassembled datagram is decoded like any packet. */
struct decode_counts {
	unsigned long packets, messages, not_dns, fragments, undecodable;
	struct net_reasm_stats reasm; /* pcap: what reassembly did (fragments == reasm.fragments) */
	unsigned long frag_incomplete; /* pcap: datagrams still incomplete at the capture's end */
	/* Set by decode_read: the file's format once its content says it
	 * (format_known; not for an empty or unreadable file), and why the
	 * file failed as a whole when decode_read returns -1. */
	bool format_known;
	enum decode_format format;
	enum decode_failure failure;
};

/*
 * Read every message of the open file F (named NAME in messages) and call FN.
 * Returns 0, or -1 with a one-line reason in ERR when the file as a whole
 * cannot be read: "NAME:12: odd number of hex digits ..." (DW_E_SYNTAX),
 * "NAME: empty input" (DW_E_SYNTAX), too large (DW_E_TOO_LARGE), a capture
 * libpcap cannot read (DW_E_SYNTAX) or that breaks off (DW_E_IO). F is not
 * closed.
 */
DW_MUST_CHECK int decode_read(FILE *f, const char *name, decode_message_fn fn, void *ctx,
			      struct decode_counts *counts, struct dw_error *err);

/*
 * The pcap path alone, over an in-memory capture (used by the fuzz target and
 * by decode_read). Same contract as decode_read.
 */
DW_MUST_CHECK int decode_read_pcap_mem(const uint8_t *data, size_t len, const char *name,
				       decode_message_fn fn, void *ctx,
				       struct decode_counts *counts, struct dw_error *err);

#endif
