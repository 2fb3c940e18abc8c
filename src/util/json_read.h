/*
 * Reading JSON that other tools (and earlier runs) wrote: jansson parses,
 * this adds the limits and the error line every reader of ours gives.
 * Writing stays with util/json.h (the streaming writer, whose names are
 * jw_*, so that none of them is also one of jansson's json_* symbols).
 */
#ifndef DW_UTIL_JSON_READ_H
#define DW_UTIL_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

/* Longest text dw_json_read takes. */
#define DW_JSON_TEXT_MAX (16u << 20)

/*
 * Parse TEXT[0..LEN) as exactly one JSON value (RFC 8259; any value at the
 * top, white space around it) into a jansson tree, to release with
 * json_decref. Arrays and objects nest at most DEPTH_MAX deep (checked
 * before jansson's own, larger, limit). Every number is a real
 * (json_number_value: integers too, as doubles); "\u0000" is taken, and a
 * string's C text (json_string_value) ends there; when a member name comes
 * twice, the last one counts. Text must be UTF-8; lone surrogates
 * ("\ud800") and numbers beyond a double are refused.
 *
 * On failure returns NULL and sets ERR to one line "REASON at offset N"
 * (DW_E_SYNTAX; DW_E_TOO_LARGE over DW_JSON_TEXT_MAX bytes; DW_E_NOMEM).
 * Readers of files put "PATH:LINE" in front (dw_error_prefix).
 */
DW_MUST_CHECK json_t *dw_json_read(const char *text, size_t len, unsigned depth_max,
				   struct dw_error *err);

/* V as an integer in [LO, HI] if it is a number in that range, else DEF.
 * (Range first: converting an out-of-range double is undefined.) */
long dw_json_int(const json_t *v, long lo, long hi, long def);

#endif
