/* A small JSON reader (see jread.h). Recursive descent, depth-bounded. */
#include "report/jread.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errcap;
	bool failed;
};

static void jp_fail(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jp_fail(struct jp *p, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	if (!p->errcap)
		return;
	int n = snprintf(p->err, p->errcap, "offset %zu: ", p->pos);
	if (n < 0 || (size_t)n >= p->errcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errcap - (size_t)n, fmt, ap);
	va_end(ap);
}

static void ws(struct jp *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static bool lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return true;
	}
	return false;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at p->pos (the opening quote); returns a malloc'd decoded copy. */
static char *string(struct jp *p)
{
	p->pos++; /* '"' */
	size_t start = p->pos, end = start;
	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len) {
		jp_fail(p, "unterminated string");
		return NULL;
	}
	/* Decoded UTF-8 is never longer than the escaped text (\uXXXX: 6 -> at most 3,
	 * a surrogate pair: 12 -> 4). */
	char *o = malloc(end - start + 1);
	if (!o) {
		jp_fail(p, "out of memory");
		return NULL;
	}
	size_t k = 0;
	bool cut = false;
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c < 0x20) {
			jp_fail(p, "control character in a string");
			free(o);
			return NULL;
		}
		if (c != '\\') {
			if (!cut)
				o[k++] = (char)c;
			p->pos++;
			continue;
		}
		char e = p->s[p->pos + 1];
		p->pos += 2;
		char ch = 0;
		switch (e) {
		case '"': ch = '"'; break;
		case '\\': ch = '\\'; break;
		case '/': ch = '/'; break;
		case 'b': ch = '\b'; break;
		case 'f': ch = '\f'; break;
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'u': {
			int v = end - p->pos >= 4 ? hex4(p->s + p->pos) : -1;
			if (v < 0) {
				jp_fail(p, "bad \\u escape");
				free(o);
				return NULL;
			}
			p->pos += 4;
			uint32_t cp = (uint32_t)v;
			if (cp >= 0xd800 && cp < 0xdc00 && end - p->pos >= 6 && p->s[p->pos] == '\\' &&
			    p->s[p->pos + 1] == 'u') {
				int lo = hex4(p->s + p->pos + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
					p->pos += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			if (cp == 0)
				cut = true;
			if (!cut)
				k += utf8_put(o + k, cp);
			continue;
		}
		default:
			jp_fail(p, "bad escape '\\%c'", e);
			free(o);
			return NULL;
		}
		if (!cut)
			o[k++] = ch;
	}
	o[k] = 0;
	p->pos = end + 1;
	return o;
}

static void val_clear(struct jread_val *v)
{
	if (v->type == JREAD_STRING)
		free(v->str);
	if (v->type == JREAD_ARRAY || v->type == JREAD_OBJECT) {
		for (size_t i = 0; i < v->n; i++) {
			val_clear(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
		free(v->items);
		free(v->keys);
	}
	memset(v, 0, sizeof *v);
}

static bool value(struct jp *p, struct jread_val *v, int depth);

static bool grow(struct jp *p, struct jread_val *v, size_t *cap, bool keys)
{
	if (v->n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 4;
	struct jread_val *it = realloc(v->items, nc * sizeof *it);
	if (!it) {
		jp_fail(p, "out of memory");
		return false;
	}
	v->items = it;
	if (keys) {
		char **k = realloc(v->keys, nc * sizeof *k);
		if (!k) {
			jp_fail(p, "out of memory");
			return false;
		}
		v->keys = k;
	}
	*cap = nc;
	return true;
}

static bool container(struct jp *p, struct jread_val *v, int depth, bool obj)
{
	v->type = obj ? JREAD_OBJECT : JREAD_ARRAY;
	char close = obj ? '}' : ']';
	size_t cap = 0;
	p->pos++;
	ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return true;
	}
	for (;;) {
		if (!grow(p, v, &cap, obj))
			return false;
		char *key = NULL;
		if (obj) {
			ws(p);
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				jp_fail(p, "expected a member name");
				return false;
			}
			if (!(key = string(p)))
				return false;
			ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				jp_fail(p, "expected ':'");
				return false;
			}
			p->pos++;
			v->keys[v->n] = key;
		}
		memset(&v->items[v->n], 0, sizeof v->items[0]);
		v->n++;
		if (!value(p, &v->items[v->n - 1], depth + 1))
			return false;
		ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return true;
		}
		jp_fail(p, "expected ',' or '%c'", close);
		return false;
	}
}

static bool number(struct jp *p, struct jread_val *v)
{
	size_t st = p->pos, i = st;
	const char *s = p->s;
	if (i < p->len && s[i] == '-')
		i++;
	if (i < p->len && s[i] == '0')
		i++;
	else if (i < p->len && s[i] >= '1' && s[i] <= '9')
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		goto bad;
	if (i < p->len && s[i] == '.') {
		i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < p->len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= p->len || s[i] < '0' || s[i] > '9')
			goto bad;
		while (i < p->len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	char buf[64];
	if (i - st >= sizeof buf)
		goto bad;
	memcpy(buf, s + st, i - st);
	buf[i - st] = 0;
	v->type = JREAD_NUMBER;
	v->num = strtod(buf, NULL);
	p->pos = i;
	return true;
bad:
	jp_fail(p, "bad number");
	return false;
}

static bool value(struct jp *p, struct jread_val *v, int depth)
{
	if (depth >= JREAD_DEPTH_MAX) {
		jp_fail(p, "nested deeper than %d", JREAD_DEPTH_MAX);
		return false;
	}
	ws(p);
	if (p->pos >= p->len) {
		jp_fail(p, "expected a value");
		return false;
	}
	char c = p->s[p->pos];
	if (c == '{' || c == '[')
		return container(p, v, depth, c == '{');
	if (c == '"') {
		v->str = string(p);
		if (!v->str)
			return false;
		v->type = JREAD_STRING;
		return true;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(p, v);
	if (lit(p, "true")) {
		v->type = JREAD_BOOL;
		v->b = true;
		return true;
	}
	if (lit(p, "false")) {
		v->type = JREAD_BOOL;
		return true;
	}
	if (lit(p, "null")) {
		v->type = JREAD_NULL;
		return true;
	}
	jp_fail(p, "unexpected character '%c'", c >= 0x20 && c < 0x7f ? c : '?');
	return false;
}

int jread_parse(const char *text, size_t len, struct jread_val **out, char *err, size_t errcap)
{
	*out = NULL;
	if (errcap)
		err[0] = 0;
	struct jp p = {.s = text, .len = len, .err = err, .errcap = errcap};
	if (len > JREAD_TEXT_MAX) {
		jp_fail(&p, "text longer than %u bytes", JREAD_TEXT_MAX);
		return -1;
	}
	struct jread_val *v = calloc(1, sizeof *v);
	if (!v) {
		jp_fail(&p, "out of memory");
		return -1;
	}
	if (value(&p, v, 0)) {
		ws(&p);
		if (p.pos < p.len)
			jp_fail(&p, "text after the value");
	}
	if (p.failed) {
		jread_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

void jread_free(struct jread_val *v)
{
	if (!v)
		return;
	val_clear(v);
	free(v);
}

const struct jread_val *jread_get(const struct jread_val *v, const char *key)
{
	if (!v || v->type != JREAD_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *jread_str(const struct jread_val *v, const char *def)
{
	return v && v->type == JREAD_STRING ? v->str : def;
}

double jread_num(const struct jread_val *v, double def)
{
	return v && v->type == JREAD_NUMBER ? v->num : def;
}

long jread_int(const struct jread_val *v, long lo, long hi, long def)
{
	/* Range first: converting an out-of-range double is undefined. */
	if (!v || v->type != JREAD_NUMBER || !(v->num >= (double)lo && v->num <= (double)hi))
		return def;
	return (long)v->num;
}

bool jread_bool(const struct jread_val *v, bool def)
{
	return v && v->type == JREAD_BOOL ? v->b : def;
}
