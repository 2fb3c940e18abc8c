/* Reading JSON with jansson, bounded (see json_read.h). */
#include "util/json_read.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Where the nesting of arrays and objects first goes deeper than MAX, or
 * SIZE_MAX if it never does. Only brackets outside strings are counted; this
 * is no parser (jansson is), so text that is not JSON may count oddly, and
 * the error that comes first in the text is the one reported.
 */
static size_t too_deep_at(const char *s, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return i;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return SIZE_MAX;
}

/*
 * jansson's messages, by how they begin, in our words. Checked against
 * jansson 2.14 (Debian 12's libjansson4 2.14-2), every error_set() of its
 * src/load.c that JSON_DECODE_ANY | JSON_ALLOW_NUL can reach. Another
 * version may word a message otherwise: one not in this table keeps
 * jansson's own words (see the end of dw_json_read).
 */
static const struct {
	const char *theirs, *ours;
} messages[] = {
	{"premature end of input", "unterminated string"}, /* only inside a string */
	{"unexpected newline", "control character in a string"},
	{"control character", "control character in a string"},
	{"invalid escape", "bad escape"},
	{"invalid Unicode escape", "bad \\u escape"},
	{"invalid Unicode", "lone surrogate in a \\u escape"},
	{"unable to decode byte", "not UTF-8"},
	{"string or '}' expected", "expected a member name"},
	{"':' expected", "expected ':'"},
	{"'}' expected", "expected ',' or '}'"},
	{"']' expected", "expected ',' or ']'"},
	{"end of file expected", "text after the value"},
	{"unexpected token", "expected a value"},
	{"invalid token", "not a JSON value"},
	{"too big", "number out of range"},
	{"real number overflow", "number out of range"},
	{"NUL byte in object key", "\\u0000 in a member name"},
	{"maximum parsing depth", "nested too deep"},
};

json_t *dw_json_read(const char *text, size_t len, unsigned depth_max, struct dw_error *err)
{
	if (len > DW_JSON_TEXT_MAX) {
		dw_error_set(err, DW_E_TOO_LARGE, "text longer than %u bytes", DW_JSON_TEXT_MAX);
		return NULL;
	}
	size_t deep = too_deep_at(text, len, depth_max);
	json_error_t je;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL,
			       &je);
	size_t at = !v && je.position > 0 ? (size_t)je.position : 0;
	if (deep != SIZE_MAX && (v || at > deep)) {
		json_decref(v);
		dw_error_set(err, DW_E_SYNTAX, "nested too deep (more than %u levels) at offset %zu",
			     depth_max, deep);
		return NULL;
	}
	if (v)
		return v;
	if (!je.text[0]) {
		dw_error_set(err, DW_E_NOMEM, "out of memory at offset %zu", at);
		return NULL;
	}
	for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
		if (!strncmp(je.text, messages[i].theirs, strlen(messages[i].theirs))) {
			dw_error_set(err, DW_E_SYNTAX, "%s at offset %zu", messages[i].ours, at);
			return NULL;
		}
	/* Not one we know: jansson's own words, without the input it quotes
	 * after " near " (which may hold anything), but never nothing. */
	const char *near = strstr(je.text, " near ");
	int n = near && near > je.text ? (int)(near - je.text) : (int)strlen(je.text);
	dw_error_set(err, DW_E_SYNTAX, "%.*s at offset %zu", n, je.text, at);
	return NULL;
}

long dw_json_int(const json_t *v, long lo, long hi, long def)
{
	if (!json_is_number(v))
		return def;
	double d = json_number_value(v);
	if (!(d >= (double)lo && d <= (double)hi))
		return def;
	return (long)d;
}
