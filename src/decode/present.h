/*
 * Showing one DNS message to a person (a dig-like text) or to a program (one
 * JSON object per message). Both show what a failed parse did read, and why
 * and where it stopped, next to the raw bytes.
 */
#ifndef DW_DECODE_PRESENT_H
#define DW_DECODE_PRESENT_H

#include <stdio.h>

#include "decode/input.h"
#include "wire/msg.h"

/* Text form; MSG is parsed (or failed to parse) from RAW. */
void present_text(FILE *out, const struct decode_origin *o, const struct wire_msg *msg,
		  enum dw_status st);
/* One line of JSON (NDJSON). */
void present_json(FILE *out, const struct decode_origin *o, const struct wire_msg *msg,
		  enum dw_status st);

/*
 * The one JSON line of a file that failed as a whole (unreadable, empty, too
 * large, not a readable capture, cut short, bad hex): "file", "format" when
 * FORMAT is not NULL, and "error" with the stable STATUS word
 * (decode_failure_word), the reason and the whole line ERR holds. It has no
 * "index": it stands for the file, not a message.
 */
void present_json_file_error(FILE *out, const char *file, const enum decode_format *format,
			     const char *status, const struct dw_error *err);
/* Fragment reassembly's counters for a capture's summary line: ", N IP
 * fragments (M datagrams reassembled, ...)", nothing without fragments. */
void present_reasm_text(FILE *out, const struct decode_counts *c);
/* One JSON line after a capture's messages: {"file", "format": "pcap",
 * "summary": {packets, messages, not_dns, undecodable, fragments,
 * reassembled, expired, incomplete, duplicates, rejected: {by reason}}}. */
void present_summary_json(FILE *out, const char *file, const struct decode_counts *c);

#endif
