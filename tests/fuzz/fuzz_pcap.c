/* libFuzzer: decode's pcap path (libpcap file parsing, link, IP and UDP
 * decoding, DNS parsing and presentation) on an arbitrary capture file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode/input.h"
#include "decode/present.h"
#include "wire/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *sink;

static int on_message(void *ctx, const struct decode_origin *o, const uint8_t *raw, size_t len)
{
	static struct wire_rr rr[WIRE_RR_MAX];
	struct wire_msg msg;
	(void)ctx;
	enum dw_status st = wire_msg_parse(&msg, raw, len, rr, WIRE_RR_MAX);
	present_json(sink, o, &msg, st);
	present_text(sink, o, &msg, st);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_counts counts = {0};
	struct dw_error err;
	if (!sink)
		sink = fopen("/dev/null", "w");
	/* Most inputs are not captures: a failure is fine, one without a
	 * reason is not. */
	err.text[0] = '\0';
	if (decode_read_pcap_mem(data, size, "fuzz", on_message, NULL, &counts, &err) != 0 &&
	    err.text[0] == '\0')
		abort();
	return 0;
}
