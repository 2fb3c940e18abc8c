/*
 * A small JSON reader (RFC 8259) for what report reads from other tools
 * (`dnswatch locate --json` lines): parses one value into a tree. Bounded:
 * nesting at most JREAD_DEPTH_MAX, text at most JREAD_TEXT_MAX bytes.
 * Strings are decoded to UTF-8 (\u escapes, surrogate pairs; a lone surrogate
 * becomes U+FFFD) and NUL-terminated; an embedded \u0000 cuts the string.
 */
#ifndef DW_REPORT_JREAD_H
#define DW_REPORT_JREAD_H

#include <stdbool.h>
#include <stddef.h>

#define JREAD_DEPTH_MAX 32
#define JREAD_TEXT_MAX (16u << 20)

enum jread_type { JREAD_NULL, JREAD_BOOL, JREAD_NUMBER, JREAD_STRING, JREAD_ARRAY, JREAD_OBJECT };

struct jread_val {
	enum jread_type type;
	bool b;
	double num;
	char *str;                  /* JREAD_STRING */
	size_t n;                   /* items (array) or members (object) */
	struct jread_val *items;    /* array items, or object member values */
	char **keys;                /* object member names (JREAD_OBJECT) */
};

/*
 * Parse TEXT[0..LEN) as exactly one JSON value (whitespace around it allowed).
 * On success *OUT is a tree to free with jread_free(). On failure returns -1,
 * *OUT is NULL and ERR gets one line ("offset 12: expected ':'").
 */
__attribute__((warn_unused_result))
int jread_parse(const char *text, size_t len, struct jread_val **out, char *err, size_t errcap);
void jread_free(struct jread_val *v);

/* Member KEY of object V (the first one), or NULL if V is not an object or has none. */
const struct jread_val *jread_get(const struct jread_val *v, const char *key);
/* Typed accessors: the value if V is of that type, else DEF. */
const char *jread_str(const struct jread_val *v, const char *def);
double jread_num(const struct jread_val *v, double def);
/* V as an integer in [LO, HI], else DEF (a number out of range included). */
long jread_int(const struct jread_val *v, long lo, long hi, long def);
bool jread_bool(const struct jread_val *v, bool def);

#endif
