/* libFuzzer: the message parser and everything a consumer does with the view
 * (names, rdata, text and JSON presentation), on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>

#include "decode/present.h"
#include "wire/msg.h"
#include "wire/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wire_rr rr[WIRE_RR_MAX];
	static FILE *sink;
	struct wire_msg msg;
	if (!sink)
		sink = fopen("/dev/null", "w");
	enum dw_status st = wire_msg_parse(&msg, data, size, rr, WIRE_RR_MAX);
	struct decode_origin o = {.file = "fuzz", .format = DECODE_RAW, .index = 1};
	present_text(sink, &o, &msg, st);
	present_json(sink, &o, &msg, st);
	return 0;
}
