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

static struct json begin(void)
{
	free(out_buf);
	out_buf = NULL;
	out_len = 0;
	out_f = open_memstream(&out_buf, &out_len);
	CHECK(out_f != NULL);
	struct json j;
	json_init(&j, out_f);
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
	struct json j = begin();
	if (!out_f)
		return;
	json_object_begin(&j);
	json_key(&j, "a");
	json_int(&j, 1);
	json_key(&j, "b");
	json_array_begin(&j);
	json_int(&j, 1);
	json_string(&j, "x");
	json_object_begin(&j);
	json_object_end(&j);
	json_array_begin(&j);
	json_array_end(&j);
	json_null(&j);
	json_array_end(&j);
	json_key(&j, "c");
	json_object_begin(&j);
	json_key(&j, "d");
	json_bool(&j, true);
	json_key(&j, "e");
	json_bool(&j, false);
	json_object_end(&j);
	json_key(&j, "f");
	json_array_begin(&j);
	json_array_end(&j);
	json_object_end(&j);
	json_newline(&j);
	CHECK_STR(text(), "{\"a\":1,\"b\":[1,\"x\",{},[],null],\"c\":{\"d\":true,\"e\":false},\"f\":[]}\n");
}

/* NDJSON: after json_newline the next top-level value starts afresh, with
 * no comma, even if the previous line was left open. */
static void test_lines(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	json_object_begin(&j);
	json_key(&j, "n");
	json_int(&j, 1);
	json_object_end(&j);
	json_newline(&j);
	json_object_begin(&j);
	json_key(&j, "n");
	json_int(&j, 2);
	json_object_end(&j);
	json_newline(&j);
	/* a line cut short (an error path) does not leak its state */
	json_object_begin(&j);
	json_key(&j, "cut");
	json_newline(&j);
	json_array_begin(&j);
	json_int(&j, 3);
	json_array_end(&j);
	json_newline(&j);
	CHECK_STR(text(), "{\"n\":1}\n{\"n\":2}\n{\"cut\":\n[3]\n");
}

/* RFC 8259 7: quote and backslash escaped, control characters as \n, \t
 * or \u00XX; bytes outside printable ASCII (DEL, 0x80-0xff) as \u00XX too. */
static void test_escapes(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	json_array_begin(&j);
	json_string(&j, "plain text, / and ' stay");
	json_string(&j, "q\"b\\");
	json_string(&j, "n\nt\tr\rb\bf\f");
	json_string(&j, "\x01\x1f\x7f");
	json_string(&j, "caf\xc3\xa9");
	json_string(&j, "");
	json_string_n(&j, "a\0b", 3);
	json_string_n(&j, "abcdef", 3);
	json_array_end(&j);
	CHECK_STR(text(), "[\"plain text, / and ' stay\",\"q\\\"b\\\\\","
			  "\"n\\nt\\tr\\u000db\\u0008f\\u000c\",\"\\u0001\\u001f\\u007f\","
			  "\"caf\\u00c3\\u00a9\",\"\",\"a\\u0000b\",\"abc\"]");
}

/* Every byte value alone: printable ASCII as itself, the rest escaped. */
static void test_every_byte(void)
{
	int bad = 0;
	for (int c = 0; c < 256; c++) {
		struct json j = begin();
		if (!out_f)
			return;
		char s = (char)c;
		json_string_n(&j, &s, 1);
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

static void test_keys_escaped(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	json_object_begin(&j);
	json_key(&j, "a\"b");
	json_uint(&j, 0);
	json_key(&j, "");
	json_int(&j, -1);
	json_object_end(&j);
	CHECK_STR(text(), "{\"a\\\"b\":0,\"\":-1}");
}

static void test_numbers(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	json_array_begin(&j);
	json_int(&j, 0);
	json_int(&j, 7);
	json_int(&j, -7);
	json_int(&j, 1000000007);
	json_int(&j, LLONG_MAX);
	json_int(&j, LLONG_MIN);
	json_uint(&j, 0);
	json_uint(&j, ULLONG_MAX);
	json_array_end(&j);
	CHECK_STR(text(), "[0,7,-7,1000000007,9223372036854775807,-9223372036854775808,0,"
			  "18446744073709551615]");
}

static void test_hex(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	const uint8_t b[] = {0x00, 0x0f, 0xf0, 0xff, 0x5a};
	json_array_begin(&j);
	json_hex(&j, b, sizeof b);
	json_hex(&j, b, 0);
	json_array_end(&j);
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
			json_hex(&j, in, n);
		CHECK_STR(text(), want);
		free(in);
		free(want);
	}
}

/* Nesting to JSON_DEPTH_MAX - 1 levels keeps every comma right. */
static void test_deep(void)
{
	struct json j = begin();
	if (!out_f)
		return;
	const int d = JSON_DEPTH_MAX - 1;
	for (int i = 0; i < d; i++) {
		json_array_begin(&j);
		json_int(&j, i);
	}
	for (int i = 0; i < d; i++) {
		json_int(&j, -i);
		json_array_end(&j);
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
	for (int i = 0; i < 3 * JSON_DEPTH_MAX; i++)
		json_array_begin(&j);
	for (int i = 0; i < 3 * JSON_DEPTH_MAX; i++)
		json_array_end(&j);
	CHECK_EQ(j.depth, 0);
	const char *t = text();
	int open = 0, close = 0;
	for (const char *c = t; *c; c++) {
		open += *c == '[';
		close += *c == ']';
	}
	CHECK_EQ(open, 3 * JSON_DEPTH_MAX);
	CHECK_EQ(close, 3 * JSON_DEPTH_MAX);
}

int main(void)
{
	RUN(test_commas);
	RUN(test_lines);
	RUN(test_escapes);
	RUN(test_every_byte);
	RUN(test_keys_escaped);
	RUN(test_numbers);
	RUN(test_hex);
	RUN(test_deep);
	free(out_buf);
	return harness_done();
}
