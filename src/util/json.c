/* Streaming JSON writer (see json.h). */
#include "util/json.h"

#include <string.h>

void jw_init(struct jw *j, FILE *out)
{
	*j = (struct jw){.out = out};
}

/*
 * Output goes through the _unlocked stdio calls: the writer is used by one
 * thread per stream, and taking the FILE lock for every character made JSON
 * a fifth of the prober's time.
 */
void jw_init_buf(struct jw *j, char *buf, size_t cap)
{
	*j = (struct jw){.buf = buf, .cap = cap};
}

static void put(struct jw *j, char c)
{
	if (!j->buf)
		putc_unlocked(c, j->out);
	else if (j->len < j->cap)
		j->buf[j->len++] = c;
	else
		j->overflow = true;
}

static void put_n(struct jw *j, const char *s, size_t n)
{
	if (!n)
		return;
	if (!j->buf)
		fwrite_unlocked(s, 1, n, j->out);
	else if (n <= j->cap - j->len) {
		memcpy(j->buf + j->len, s, n);
		j->len += n;
	} else {
		j->overflow = true;
	}
}

/* Before any value or key: a comma if this is not the first item. */
static void sep(struct jw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ',');
	j->need_comma[j->depth] = true;
}

static void open_(struct jw *j, char c)
{
	sep(j);
	put(j, c);
	if (j->depth + 1 < JW_DEPTH_MAX)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct jw *j, char c)
{
	put(j, c);
	if (j->depth > 0)
		j->depth--;
}

void jw_object_begin(struct jw *j) { open_(j, '{'); }
void jw_object_end(struct jw *j) { close_(j, '}'); }
void jw_array_begin(struct jw *j) { open_(j, '['); }
void jw_array_end(struct jw *j) { close_(j, ']'); }

/* Bytes a JSON string cannot hold as they are: control characters, '"',
 * '\\', and (so that any byte string comes out as ASCII) 0x7f and up. */
static bool needs_escape(unsigned char c)
{
	/* 0x20..0x7e in one comparison */
	return (unsigned char)(c - 0x20) > 0x5e || c == '"' || c == '\\';
}

/* Whether any of the 8 bytes of W needs escaping (as needs_escape): one
 * below 0x20 or above 0x7e, '"' or '\\'. The word tests of Hacker's
 * Delight 6-1 ("a byte less than n", "a zero byte" of W xor a pattern):
 * each is nonzero exactly when some byte matches (which bytes it marks past
 * the first match may be off; only whether any does is used). */
static bool word_needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), d = w ^ (ones * 0x7f);
	uint64_t below_20 = (w - ones * 0x20) & ~w;
	uint64_t any = below_20 | w | ((q - ones) & ~q) | ((b - ones) & ~b) | ((d - ones) & ~d);
	return (any & highs) != 0;
}

size_t jw_escape(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	/* Room for the worst case: one pass, no calls. Runs of characters
	 * that need nothing are copied eight at a time while a word has none
	 * of them (most strings are names, addresses and evidence: all of
	 * them plain). */
	char *o = out;
	*o++ = '"';
	size_t i = 0;
	while (len - i >= 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (word_needs_escape(w))
			break;
		memcpy(o, &w, 8);
		o += 8;
		i += 8;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!needs_escape(c)) {
			*o++ = (char)c;
		} else if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		}
	}
	*o++ = '"';
	return (size_t)(o - out);
}

static void raw_string(struct jw *j, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t room = j->buf ? j->cap - j->len : 0;
	if (j->buf && room >= 2 && len <= (room - 2) / 6) {
		j->len += jw_escape(j->buf + j->len, s, len);
		return;
	}
	put(j, '"');
	size_t run = 0; /* start of the pending run of characters needing no escape */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!needs_escape(c))
			continue;
		put_n(j, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			put(j, '\\');
			put(j, (char)c);
		} else if (c == '\n') {
			put_n(j, "\\n", 2);
		} else if (c == '\t') {
			put_n(j, "\\t", 2);
		} else {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			put_n(j, u, 6);
		}
	}
	put_n(j, s + run, len - run);
	put(j, '"');
}

void jw_key(struct jw *j, const char *key)
{
	sep(j);
	raw_string(j, key, strlen(key));
	put(j, ':');
	j->after_key = true;
}

void jw_key_plain_slow_(struct jw *j, const char *key, size_t len)
{
	sep(j);
	put(j, '"');
	put_n(j, key, len);
	put_n(j, "\":", 2);
	j->after_key = true;
}

void jw_string(struct jw *j, const char *s)
{
	jw_string_n(j, s, strlen(s));
}

void jw_string_n(struct jw *j, const char *s, size_t len)
{
	sep(j);
	raw_string(j, s, len);
}

void jw_hex(struct jw *j, const uint8_t *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char buf[128];
	sep(j);
	put(j, '"');
	for (size_t i = 0; i < len;) {
		size_t n = 0;
		for (; i < len && n < sizeof buf; i++) {
			buf[n++] = hex[bytes[i] >> 4];
			buf[n++] = hex[bytes[i] & 15];
		}
		put_n(j, buf, n);
	}
	put(j, '"');
}

size_t jw_u64_text(char *o, unsigned long long v)
{
	/* Two digits a division: a microsecond timestamp has 16. */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char buf[20];
	size_t n = sizeof buf;
	while (v >= 100) {
		unsigned k = (unsigned)(v % 100) * 2;
		v /= 100;
		buf[--n] = pairs[k + 1];
		buf[--n] = pairs[k];
	}
	if (v >= 10) {
		buf[--n] = pairs[v * 2 + 1];
		buf[--n] = pairs[v * 2];
	} else {
		buf[--n] = (char)('0' + v);
	}
	memcpy(o, buf + n, sizeof buf - n);
	return sizeof buf - n;
}

static void put_u64(struct jw *j, unsigned long long v)
{
	char buf[20];
	put_n(j, buf, jw_u64_text(buf, v));
}

void jw_int(struct jw *j, long long v)
{
	sep(j);
	if (v < 0) {
		put(j, '-');
		put_u64(j, 0ull - (unsigned long long)v);
	} else {
		put_u64(j, (unsigned long long)v);
	}
}

void jw_uint_slow_(struct jw *j, unsigned long long v)
{
	sep(j);
	put_u64(j, v);
}

void jw_bool(struct jw *j, bool v)
{
	sep(j);
	put_n(j, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *j)
{
	sep(j);
	put_n(j, "null", 4);
}

void jw_newline(struct jw *j)
{
	put(j, '\n');
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}
