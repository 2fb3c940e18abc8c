/* util/json: the streaming writer's commas, escapes, numbers, hex and
 * nesting, compared byte for byte. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/json.h"

/* The writer's output goes to a memory stream, read back as a string. */
static char *out_buf;
static size_t out_len;
static FILE *out_f;

static struct jw begin(void)
{
	free(out_buf);
	out_buf = NULL;
	out_len = 0;
	out_f = open_memstream(&out_buf, &out_len);
	CHECK(out_f != NULL);
	struct jw j;
	jw_init(&j, out_f);
	return j;
}

static const char *text(void)
{
	if (!out_f)
		return "(no stream)";
	fclose(out_f);
	out_f = NULL;
	return out_buf ? out_buf : "";
}

static void test_commas(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	jw_object_begin(&j);
	jw_key(&j, "a");
	jw_int(&j, 1);
	jw_key(&j, "b");
	jw_array_begin(&j);
	jw_int(&j, 1);
	jw_string(&j, "x");
	jw_object_begin(&j);
	jw_object_end(&j);
	jw_array_begin(&j);
	jw_array_end(&j);
	jw_null(&j);
	jw_array_end(&j);
	jw_key(&j, "c");
	jw_object_begin(&j);
	jw_key(&j, "d");
	jw_bool(&j, true);
	jw_key(&j, "e");
	jw_bool(&j, false);
	jw_object_end(&j);
	jw_key(&j, "f");
	jw_array_begin(&j);
	jw_array_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
	CHECK_STR(text(), "{\"a\":1,\"b\":[1,\"x\",{},[],null],\"c\":{\"d\":true,\"e\":false},\"f\":[]}\n");
}

/* NDJSON: after jw_newline the next top-level value starts afresh, with
 * no comma, even if the previous line was left open. */
static void test_lines(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	jw_object_begin(&j);
	jw_key(&j, "n");
	jw_int(&j, 1);
	jw_object_end(&j);
	jw_newline(&j);
	jw_object_begin(&j);
	jw_key(&j, "n");
	jw_int(&j, 2);
	jw_object_end(&j);
	jw_newline(&j);
	/* a line cut short (an error path) does not leak its state */
	jw_object_begin(&j);
	jw_key(&j, "cut");
	jw_newline(&j);
	jw_array_begin(&j);
	jw_int(&j, 3);
	jw_array_end(&j);
	jw_newline(&j);
	CHECK_STR(text(), "{\"n\":1}\n{\"n\":2}\n{\"cut\":\n[3]\n");
}

/* RFC 8259 7: quote and backslash escaped, control characters as \n, \t
 * or \u00XX; bytes outside printable ASCII (DEL, 0x80-0xff) as \u00XX too. */
static void test_escapes(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	jw_array_begin(&j);
	jw_string(&j, "plain text, / and ' stay");
	jw_string(&j, "q\"b\\");
	jw_string(&j, "n\nt\tr\rb\bf\f");
	jw_string(&j, "\x01\x1f\x7f");
	jw_string(&j, "caf\xc3\xa9");
	jw_string(&j, "");
	jw_string_n(&j, "a\0b", 3);
	jw_string_n(&j, "abcdef", 3);
	jw_array_end(&j);
	CHECK_STR(text(), "[\"plain text, / and ' stay\",\"q\\\"b\\\\\","
			  "\"n\\nt\\tr\\u000db\\u0008f\\u000c\",\"\\u0001\\u001f\\u007f\","
			  "\"caf\\u00c3\\u00a9\",\"\",\"a\\u0000b\",\"abc\"]");
}

/* Every byte value alone: printable ASCII as itself, the rest escaped. */
static void test_every_byte(void)
{
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		struct jw j = begin();
		if (!out_f)
			return;
		char s = (char)c;
		jw_string_n(&j, &s, 1);
		const char *t = text();
		char want[16];
		if (c == '"' || c == '\\')
			snprintf(want, sizeof want, "\"\\%c\"", c);
		else if (c == '\n')
			snprintf(want, sizeof want, "\"\\n\"");
		else if (c == '\t')
			snprintf(want, sizeof want, "\"\\t\"");
		else if (c >= 0x20 && c < 0x7f)
			snprintf(want, sizeof want, "\"%c\"", c);
		else
			snprintf(want, sizeof want, "\"\\u%04x\"", c);
		if (strcmp(t, want) != 0) {
			FAIL("byte 0x%02x: got %s, want %s", c, t, want);
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
}

/* jw_escape, which takes plain runs eight bytes at a time: every byte at
 * every place of a 24-byte string among plain ones (so in each word, and
 * in the tail), against the FILE writer's one byte at a time. */
static void test_escape_words(void)
{
	int bad = 0;
	for (int c = 0; c < 256; c++)
		for (size_t at = 0; at < 24; at++) {
			char s[24], got[JW_ESCAPE_MAX(24)];
			memset(s, 'a' + (int)(at % 26), sizeof s);
			s[at] = (char)c;
			size_t n = jw_escape(got, s, sizeof s);
			struct jw j = begin();
			if (!out_f)
				return;
			jw_string_n(&j, s, sizeof s);
			const char *t = text();
			if (n != strlen(t) || memcmp(got, t, n)) {
				if (!bad++)
					FAIL("byte 0x%02x at %zu: got %.*s, want %s", c, at, (int)n, got, t);
			}
		}
	CHECK_EQ(bad, 0);
	/* and numbers, straight */
	char b[20];
	CHECK_EQ(jw_u64_text(b, 0), 1);
	CHECK_EQ(jw_u64_text(b, 1390288500005000ull), 16);
	CHECK(!memcmp(b, "1390288500005000", 16));
	CHECK_EQ(jw_u64_text(b, ULLONG_MAX), 20);
	CHECK(!memcmp(b, "18446744073709551615", 20));
}

static void test_keys_escaped(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	jw_object_begin(&j);
	jw_key(&j, "a\"b");
	jw_uint(&j, 0);
	jw_key(&j, "");
	jw_int(&j, -1);
	jw_object_end(&j);
	CHECK_STR(text(), "{\"a\\\"b\":0,\"\":-1}");
}

static void test_numbers(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	jw_array_begin(&j);
	jw_int(&j, 0);
	jw_int(&j, 7);
	jw_int(&j, -7);
	jw_int(&j, 1000000007);
	jw_int(&j, LLONG_MAX);
	jw_int(&j, LLONG_MIN);
	jw_uint(&j, 0);
	jw_uint(&j, ULLONG_MAX);
	jw_array_end(&j);
	CHECK_STR(text(), "[0,7,-7,1000000007,9223372036854775807,-9223372036854775808,0,"
			  "18446744073709551615]");
}

static void test_hex(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	const uint8_t b[] = {0x00, 0x0f, 0xf0, 0xff, 0x5a};
	jw_array_begin(&j);
	jw_hex(&j, b, sizeof b);
	jw_hex(&j, b, 0);
	jw_array_end(&j);
	CHECK_STR(text(), "[\"000ff0ff5a\",\"\"]");

	/* longer than the writer's 128-character chunk, at and around its edges */
	static const size_t lens[] = {63, 64, 65, 128, 1000};
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		size_t n = lens[k];
		uint8_t *in = malloc(n);
		char *want = malloc(2 * n + 3);
		CHECK(in && want);
		if (!in || !want) {
			free(in);
			free(want);
			return;
		}
		want[0] = '"';
		for (size_t i = 0; i < n; i++) {
			in[i] = (uint8_t)(i * 37 + 11);
			snprintf(want + 1 + 2 * i, 3, "%02x", in[i]);
		}
		want[2 * n + 1] = '"';
		want[2 * n + 2] = '\0';
		j = begin();
		if (out_f)
			jw_hex(&j, in, n);
		CHECK_STR(text(), want);
		free(in);
		free(want);
	}
}

/* Nesting to JW_DEPTH_MAX - 1 levels keeps every comma right. */
static void test_deep(void)
{
	struct jw j = begin();
	if (!out_f)
		return;
	const int d = JW_DEPTH_MAX - 1;
	for (int i = 0; i < d; i++) {
		jw_array_begin(&j);
		jw_int(&j, i);
	}
	for (int i = 0; i < d; i++) {
		jw_int(&j, -i);
		jw_array_end(&j);
	}
	size_t cap = (size_t)d * 16 + 1, n = 0;
	char *want = malloc(cap);
	CHECK(want != NULL);
	if (!want)
		return;
	for (int i = 0; i < d; i++)
		n += (size_t)snprintf(want + n, cap - n, "[%d,", i);
	for (int i = 0; i < d; i++)
		n += (size_t)snprintf(want + n, cap - n, "%d]%s", -i, i + 1 < d ? "," : "");
	CHECK_STR(text(), want);
	free(want);

	/* deeper than the bound: no overrun (ASan), the brackets still balance */
	j = begin();
	if (!out_f)
		return;
	for (int i = 0; i < 3 * JW_DEPTH_MAX; i++)
		jw_array_begin(&j);
	for (int i = 0; i < 3 * JW_DEPTH_MAX; i++)
		jw_array_end(&j);
	CHECK_EQ(j.depth, 0);
	const char *t = text();
	int open = 0, close = 0;
	for (const char *c = t; *c; c++) {
		open += *c == '[';
		close += *c == ']';
	}
	CHECK_EQ(open, 3 * JW_DEPTH_MAX);
	CHECK_EQ(close, 3 * JW_DEPTH_MAX);
}

/* Into memory (jw_init_buf): the same bytes as through a FILE, every
 * byte escaped alike; a line that does not fit is flagged, never overrun. */
static void test_buffer(void)
{
	char s[256];
	for (int i = 0; i < 256; i++)
		s[i] = (char)(255 - i);
	struct jw f = begin();
	char mem[4096];
	struct jw m;
	jw_init_buf(&m, mem, sizeof mem);
	struct jw *both[2] = {&f, &m};
	for (int k = 0; k < 2; k++) {
		struct jw *j = both[k];
		jw_object_begin(j);
		JW_KEY(j, "bytes");
		jw_string_n(j, s, sizeof s);
		jw_key(j, "k\"ey");
		jw_uint(j, 18446744073709551615ull);
		JW_KEY(j, "list");
		jw_array_begin(j);
		jw_int(j, -5);
		jw_null(j);
		jw_bool(j, true);
		jw_array_end(j);
		jw_object_end(j);
		jw_newline(j);
	}
	const char *want = text();
	CHECK(!m.overflow);
	CHECK_EQ(m.len, strlen(want));
	CHECK(m.len == strlen(want) && memcmp(mem, want, m.len) == 0);
	/* Too small: flagged, and nothing written past the end. */
	char small[40];
	memset(small, 'x', sizeof small);
	jw_init_buf(&m, small, 32);
	jw_object_begin(&m);
	JW_KEY(&m, "bytes");
	jw_string_n(&m, s, sizeof s);
	jw_object_end(&m);
	CHECK(m.overflow);
	CHECK(m.len <= 32);
	CHECK_EQ(small[32], 'x');
	CHECK_EQ(small[39], 'x');
}

int main(void)
{
	RUN(test_commas);
	RUN(test_buffer);
	RUN(test_lines);
	RUN(test_escapes);
	RUN(test_every_byte);
	RUN(test_escape_words);
	RUN(test_keys_escaped);
	RUN(test_numbers);
	RUN(test_hex);
	RUN(test_deep);
	free(out_buf);
	return harness_done();
}
