/*
 * A minimal streaming JSON writer to a FILE: objects, arrays, keys, strings
 * (escaped per RFC 8259 7), numbers, booleans, null. Commas are placed by the
 * writer, so callers only say what comes next. Nesting is bounded.
 * Its names are jw_* ("JSON writer"): jansson, which reads JSON here
 * (util/json_read.h), owns the json_* names, and two definitions of
 * json_string in one process would let one library call the other's.
 */
#ifndef DW_UTIL_JSON_H
#define DW_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JW_DEPTH_MAX 32

struct jw {
	FILE *out;
	char *buf;                /* jw_init_buf: into memory instead */
	size_t len, cap;
	bool overflow;            /* the memory ran out: the output is cut */
	int depth;
	bool need_comma[JW_DEPTH_MAX];
	bool after_key;
};

void jw_init(struct jw *j, FILE *out);
/* Into BUF[0..CAP) instead of a FILE: j->len bytes written, j->overflow
 * set (and the rest dropped) when they did not fit. A whole line written
 * so and then handed to fwrite costs a fraction of the FILE's calls per
 * token (the prober writes one line per query). */
void jw_init_buf(struct jw *j, char *buf, size_t cap);
void jw_object_begin(struct jw *j);
void jw_object_end(struct jw *j);
void jw_array_begin(struct jw *j);
void jw_array_end(struct jw *j);
void jw_key(struct jw *j, const char *key);
/* A key that needs no escaping (a literal of the caller's: letters, digits,
 * '_'), written as it is: JW_KEY(j, "seq"). Inline (below). */
static inline void jw_key_plain(struct jw *j, const char *key, size_t len);
#define JW_KEY(j, lit) jw_key_plain((j), "" lit, sizeof(lit) - 1)
void jw_string(struct jw *j, const char *s);
/* A string of LEN arbitrary bytes; bytes outside printable ASCII as \u00XX. */
void jw_string_n(struct jw *j, const char *s, size_t len);
void jw_hex(struct jw *j, const uint8_t *bytes, size_t len);
void jw_int(struct jw *j, long long v);
/* Inline (below). */
static inline void jw_uint(struct jw *j, unsigned long long v);
void jw_bool(struct jw *j, bool v);
void jw_null(struct jw *j);
/* End the top-level value with a newline (NDJSON). */
void jw_newline(struct jw *j);

/*
 * The hot path, inline: a key, or a number after its key, into memory that
 * has room. The prober writes a line of about 40 keys and 20 numbers per
 * query; as calls, with the literal key's length unknown where it was
 * copied, they were a third of its instructions. Anything else (a FILE,
 * a full buffer, a value in an array) takes the out-of-line path, which
 * writes the same bytes.
 */
void jw_key_plain_slow_(struct jw *j, const char *key, size_t len);
void jw_uint_slow_(struct jw *j, unsigned long long v);

/*
 * For a writer that has proved its room beforehand (a line whose longest
 * form fits its buffer), the two pieces that need more than a memcpy:
 * jw_u64_text writes V in decimal at O, which has room for 20 characters;
 * jw_escape writes S[0..LEN) as a JSON string, quotes included, escaped as
 * jw_string_n escapes, at O, which has room for JW_ESCAPE_MAX(LEN). Each
 * returns the characters written.
 */
#define JW_ESCAPE_MAX(len) (6 * (size_t)(len) + 2)
size_t jw_u64_text(char *o, unsigned long long v);
size_t jw_escape(char *o, const char *s, size_t len);

static inline void jw_key_plain(struct jw *j, const char *key, size_t len)
{
	if (j->buf && !j->after_key && len <= j->cap - j->len && j->cap - j->len - len >= 4) {
		char *o = j->buf + j->len;
		if (j->need_comma[j->depth])
			*o++ = ',';
		j->need_comma[j->depth] = true;
		*o++ = '"';
		memcpy(o, key, len);
		o += len;
		*o++ = '"';
		*o++ = ':';
		j->len = (size_t)(o - j->buf);
		j->after_key = true;
		return;
	}
	jw_key_plain_slow_(j, key, len);
}

static inline void jw_uint(struct jw *j, unsigned long long v)
{
	if (j->buf && j->after_key && j->cap - j->len >= 20) {
		j->after_key = false;
		j->len += jw_u64_text(j->buf + j->len, v);
		return;
	}
	jw_uint_slow_(j, v);
}

#endif
