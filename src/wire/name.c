/* Domain names in wire and presentation form (see name.h). */
#include "wire/name.h"

#include <stdio.h>
#include <string.h>

#include "util/rand.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

enum dw_status wire_name_unpack(const uint8_t *msg, size_t len, size_t off,
				  uint8_t *out, size_t *out_len, size_t *next,
				  size_t *err_off)
{
	size_t pos = off;
	size_t n = 0;          /* octets of the expanded name so far */
	size_t segment = off;  /* where reading started after the last jump */
	size_t after = 0;      /* offset after the first pointer; 0 = none yet */
	unsigned ptrs = 0;

	for (;;) {
		if (pos >= len) {
			*err_off = pos;
			return DW_E_TRUNCATED;
		}
		uint8_t l = msg[pos];
		if ((l & 0xC0) == 0xC0) { /* pointer (RFC 1035 4.1.4) */
			if (len - pos < 2) {
				*err_off = pos;
				return DW_E_TRUNCATED;
			}
			size_t target = (size_t)(l & 0x3F) << 8 | msg[pos + 1];
			*err_off = pos;
			if (target >= len)
				return DW_E_PTR_PAST_END;
			/* Each jump must land before the segment it leaves, so the
			 * segment starts strictly decrease and no loop can form. */
			if (target >= segment)
				return DW_E_PTR_FORWARD;
			if (++ptrs > WIRE_PTR_MAX)
				return DW_E_PTR_TOO_MANY;
			if (!after)
				after = pos + 2;
			pos = segment = target;
			continue;
		}
		if (l & 0xC0) { /* 01 and 10: reserved label types (RFC 6891 5) */
			*err_off = pos;
			return (l & 0x40) ? DW_E_LABEL_TOO_LONG : DW_E_BAD_LABEL_TYPE;
		}
		/* The name with this label and the root label must fit 255. */
		if (n + 1 + l + (l ? 1 : 0) > WIRE_NAME_MAX) {
			*err_off = pos;
			return DW_E_NAME_TOO_LONG;
		}
		if (len - pos - 1 < l) {
			*err_off = len;
			return DW_E_TRUNCATED;
		}
		if (out)
			memcpy(out + n, msg + pos, 1 + (size_t)l);
		n += 1 + (size_t)l;
		pos += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	if (out_len)
		*out_len = n;
	if (next)
		*next = after ? after : pos;
	return DW_OK;
}

size_t wire_name_len(const uint8_t *name, size_t max)
{
	size_t n = 0;
	for (;;) {
		if (n >= max || n >= WIRE_NAME_MAX)
			return 0;
		uint8_t l = name[n];
		if (l > WIRE_LABEL_MAX)
			return 0;
		n += 1 + (size_t)l;
		if (l == 0)
			return n <= WIRE_NAME_MAX ? n : 0;
	}
}

unsigned wire_name_labels(const uint8_t *name)
{
	unsigned count = 0;
	/* Bound first: a buffer without a root label in its 255 octets must
	 * not be read past its end (name[255] is outside WIRE_NAME_MAX). */
	for (size_t i = 0; i < WIRE_NAME_MAX && name[i]; i += 1 + (size_t)name[i])
		count++;
	return count;
}

/* Append to TEXT as far as CAP allows; the length counts everything. */
static void put(char *text, size_t cap, size_t *n, const char *s, size_t k)
{
	for (size_t i = 0; i < k; i++, (*n)++)
		if (*n + 1 < cap)
			text[*n] = s[i];
}

size_t wire_name_to_text(const uint8_t *name, char *text, size_t cap)
{
	size_t n = 0;
	size_t i = 0;
	if (name[0] == 0)
		put(text, cap, &n, ".", 1);
	while (i < WIRE_NAME_MAX && name[i]) {
		uint8_t l = name[i++];
		for (uint8_t k = 0; k < l && i < WIRE_NAME_MAX; k++, i++) {
			uint8_t c = name[i];
			char esc[5];
			if (c == '.' || c == '\\' || c == ';' || c == '(' || c == ')' ||
			    c == '"') {
				esc[0] = '\\';
				esc[1] = (char)c;
				put(text, cap, &n, esc, 2);
			} else if (c > 0x20 && c < 0x7f) {
				put(text, cap, &n, (const char *)&c, 1);
			} else {
				esc[0] = '\\';
				esc[1] = (char)('0' + c / 100);
				esc[2] = (char)('0' + c / 10 % 10);
				esc[3] = (char)('0' + c % 10);
				put(text, cap, &n, esc, 4);
			}
		}
		put(text, cap, &n, ".", 1);
	}
	if (cap)
		text[n < cap ? n : cap - 1] = '\0';
	return n;
}

enum dw_status wire_name_from_text(const char *text, uint8_t *out, size_t *out_len)
{
	size_t n = 0;     /* bytes written */
	size_t lpos = 0;  /* offset of the current label's length byte */
	size_t llen = 0;
	const char *p = text;

	if (strcmp(text, ".") == 0) {
		out[0] = 0;
		*out_len = 1;
		return DW_OK;
	}
	if (*p == '\0' || *p == '.')
		return DW_E_BAD_TEXT;
	out[n++] = 0; /* length byte of the first label, filled in later */
	while (*p) {
		uint8_t c;
		if (*p == '.') {
			if (llen == 0)
				return DW_E_BAD_TEXT; /* empty label */
			out[lpos] = (uint8_t)llen;
			p++;
			if (*p == '\0')
				break; /* absolute name */
			if (n >= WIRE_NAME_MAX)
				return DW_E_NAME_TOO_LONG;
			lpos = n++;
			out[lpos] = 0;
			llen = 0;
			continue;
		}
		if (*p == '\\') {
			p++;
			if (p[0] >= '0' && p[0] <= '9') {
				if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
					return DW_E_BAD_TEXT;
				unsigned v = (unsigned)(p[0] - '0') * 100 +
					     (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
				if (v > 255)
					return DW_E_BAD_TEXT;
				c = (uint8_t)v;
				p += 3;
			} else if (*p == '\0') {
				return DW_E_BAD_TEXT;
			} else {
				c = (uint8_t)*p++;
			}
		} else {
			c = (uint8_t)*p++;
		}
		if (++llen > WIRE_LABEL_MAX)
			return DW_E_LABEL_TOO_LONG;
		if (n >= WIRE_NAME_MAX)
			return DW_E_NAME_TOO_LONG;
		out[n++] = c;
	}
	out[lpos] = (uint8_t)llen;
	if (n >= WIRE_NAME_MAX) /* no room for the root label */
		return DW_E_NAME_TOO_LONG;
	out[n++] = 0;
	*out_len = n;
	return DW_OK;
}

void wire_name_canonicalize(uint8_t *name)
{
	for (size_t i = 0; i < WIRE_NAME_MAX && name[i]; i += 1 + (size_t)name[i])
		for (size_t k = 1; k <= name[i] && i + k < WIRE_NAME_MAX; k++)
			name[i + k] = lower(name[i + k]);
}

bool wire_name_equal(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_name_len(a, WIRE_NAME_MAX);
	if (!la || la != wire_name_len(b, WIRE_NAME_MAX))
		return false;
	/* Length octets are below 64, so lower() leaves them as they are and
	 * one pass over the whole wire form compares labels and lengths. */
	for (size_t i = 0; i < la; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool wire_name_equal_exact(const uint8_t *a, const uint8_t *b)
{
	size_t la = wire_name_len(a, WIRE_NAME_MAX);
	return la && la == wire_name_len(b, WIRE_NAME_MAX) && memcmp(a, b, la) == 0;
}

/* Offsets of the labels of NAME; returns their count (root label excluded). */
static unsigned label_offsets(const uint8_t *name, uint8_t off[128])
{
	unsigned count = 0;
	/* Only labels whose octets lie within WIRE_NAME_MAX: the caller reads
	 * them, and a buffer without a root label must not be read past. */
	for (size_t i = 0; i < WIRE_NAME_MAX && name[i] && count < 128 &&
			   i + (size_t)name[i] < WIRE_NAME_MAX;
	     i += 1 + (size_t)name[i])
		off[count++] = (uint8_t)i;
	return count;
}

int wire_name_compare(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[128], ob[128];
	unsigned na = label_offsets(a, oa), nb = label_offsets(b, ob);
	while (na && nb) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		unsigned len = la[0] < lb[0] ? la[0] : lb[0];
		for (unsigned k = 1; k <= len; k++) {
			int d = (int)lower(la[k]) - (int)lower(lb[k]);
			if (d)
				return d;
		}
		if (la[0] != lb[0])
			return (int)la[0] - (int)lb[0];
	}
	return (int)na - (int)nb;
}

bool wire_name_is_subdomain(const uint8_t *name, const uint8_t *suffix)
{
	/* Only a valid NAME may be walked label by label: in one without a
	 * root label the skip below would step past its 255 octets. */
	if (!wire_name_len(name, WIRE_NAME_MAX))
		return false;
	unsigned n = wire_name_labels(name), s = wire_name_labels(suffix);
	if (n < s)
		return false;
	size_t i = 0;
	for (unsigned k = 0; k < n - s; k++)
		i += 1 + (size_t)name[i];
	return wire_name_equal(name + i, suffix);
}

unsigned wire_name_apply_0x20(uint8_t *name, uint64_t key)
{
	unsigned letters = 0;
	uint64_t bits = key;
	for (size_t i = 0; i < WIRE_NAME_MAX && name[i]; i += 1 + (size_t)name[i]) {
		for (size_t k = 1; k <= name[i] && i + k < WIRE_NAME_MAX; k++) {
			uint8_t c = lower(name[i + k]);
			if (c < 'a' || c > 'z')
				continue;
			if (letters && letters % 64 == 0) {
				/* Stretch the key for names with more than 64
				 * letters. */
				bits = splitmix64(&key);
			}
			name[i + k] = (bits & 1) ? (uint8_t)(c - 32) : c;
			bits >>= 1;
			letters++;
		}
	}
	return letters;
}

void wire_name_tld_text(const uint8_t *name, char *out, size_t cap)
{
	const uint8_t *last = NULL;
	size_t off = 0;
	while (off < WIRE_NAME_MAX && name[off]) {
		last = name + off;
		off += 1u + name[off];
	}
	if (!last || off >= WIRE_NAME_MAX || last[0] > WIRE_LABEL_MAX ||
	    (size_t)(last - name) + 1u + last[0] > WIRE_NAME_MAX) {
		snprintf(out, cap, ".");
		return;
	}
	uint8_t one[WIRE_LABEL_MAX + 2];
	size_t l = last[0];
	memcpy(one, last, l + 1);
	one[l + 1] = 0;
	wire_name_canonicalize(one);
	char text[WIRE_LABEL_MAX * 4 + 4];
	size_t n = wire_name_to_text(one, text, sizeof text);
	if (n > 0 && text[n - 1] == '.')
		text[n - 1] = 0;
	snprintf(out, cap, "%s", text);
}
