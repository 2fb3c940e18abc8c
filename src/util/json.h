/*
 * A minimal streaming JSON writer to a FILE: objects, arrays, keys, strings
 * (escaped per RFC 8259 7), numbers, booleans, null. Commas are placed by the
 * writer, so callers only say what comes next. Nesting is bounded.
 */
#ifndef DW_UTIL_JSON_H
#define DW_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 32

struct json {
	FILE *out;
	int depth;
	bool need_comma[JSON_DEPTH_MAX];
	bool after_key;
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
/* A string of LEN arbitrary bytes; bytes outside printable ASCII as \u00XX. */
void json_string_n(struct json *j, const char *s, size_t len);
void json_hex(struct json *j, const uint8_t *bytes, size_t len);
void json_int(struct json *j, long long v);
void json_uint(struct json *j, unsigned long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* End the top-level value with a newline (NDJSON). */
void json_newline(struct json *j);

#endif
