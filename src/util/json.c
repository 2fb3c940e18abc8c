/* Streaming JSON writer (see json.h). */
#include "util/json.h"

#include <string.h>

void json_init(struct json *j, FILE *out)
{
	*j = (struct json){.out = out};
}

/* Before any value or key: a comma if this is not the first item. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
}

static void open_(struct json *j, char c)
{
	sep(j);
	fputc(c, j->out);
	if (j->depth + 1 < JSON_DEPTH_MAX)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j) { open_(j, '{'); }
void json_object_end(struct json *j) { close_(j, '}'); }
void json_array_begin(struct json *j) { open_(j, '['); }
void json_array_end(struct json *j) { close_(j, ']'); }

static void raw_string(struct json *j, const char *s, size_t len)
{
	fputc('"', j->out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(j->out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", j->out);
		else if (c == '\t')
			fputs("\\t", j->out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(j->out, "\\u%04x", c);
		else
			fputc(c, j->out);
	}
	fputc('"', j->out);
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	raw_string(j, key, strlen(key));
	fputc(':', j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	json_string_n(j, s, strlen(s));
}

void json_string_n(struct json *j, const char *s, size_t len)
{
	sep(j);
	raw_string(j, s, len);
}

void json_hex(struct json *j, const uint8_t *bytes, size_t len)
{
	sep(j);
	fputc('"', j->out);
	for (size_t i = 0; i < len; i++)
		fprintf(j->out, "%02x", bytes[i]);
	fputc('"', j->out);
}

void json_int(struct json *j, long long v)
{
	sep(j);
	fprintf(j->out, "%lld", v);
}

void json_uint(struct json *j, unsigned long long v)
{
	sep(j);
	fprintf(j->out, "%llu", v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json *j)
{
	sep(j);
	fputs("null", j->out);
}

void json_newline(struct json *j)
{
	fputc('\n', j->out);
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}
