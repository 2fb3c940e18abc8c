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

#endif
