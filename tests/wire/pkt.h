/*
 * Writing test packets by hand, byte by byte, without the codec's builder
 * (so that a builder bug cannot hide a parser bug). Names are written
 * uncompressed from text; pointers and odd bytes with pk_u8/pk_u16.
 */
#ifndef DW_TESTS_WIRE_PKT_H
#define DW_TESTS_WIRE_PKT_H

#include <stdint.h>
#include <string.h>

#include "wire/name.h"

struct pk {
	uint8_t b[4096];
	size_t n;
};

static inline void pk_u8(struct pk *p, unsigned v)
{
	if (p->n < sizeof p->b)
		p->b[p->n++] = (uint8_t)v;
}

static inline void pk_u16(struct pk *p, unsigned v)
{
	pk_u8(p, v >> 8);
	pk_u8(p, v);
}

static inline void pk_u32(struct pk *p, uint32_t v)
{
	pk_u16(p, v >> 16);
	pk_u16(p, v & 0xffff);
}

static inline void pk_bytes(struct pk *p, const void *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pk_u8(p, ((const uint8_t *)s)[i]);
}

/* An uncompressed name from presentation form ("." for the root). */
static inline void pk_name(struct pk *p, const char *text)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t n = 0;
	if (wire_name_from_text(text, w, &n) != DW_OK) {
		printf("#   pk_name: bad name %s\n", text);
		return;
	}
	pk_bytes(p, w, n);
}

static inline void pk_hdr(struct pk *p, unsigned id, unsigned flags, unsigned qd,
			  unsigned an, unsigned ns, unsigned ar)
{
	p->n = 0;
	pk_u16(p, id);
	pk_u16(p, flags);
	pk_u16(p, qd);
	pk_u16(p, an);
	pk_u16(p, ns);
	pk_u16(p, ar);
}

/* type, class, TTL and rdlength after an owner name */
static inline void pk_rr_fixed(struct pk *p, unsigned type, unsigned class, uint32_t ttl,
			       unsigned rdlen)
{
	pk_u16(p, type);
	pk_u16(p, class);
	pk_u32(p, ttl);
	pk_u16(p, rdlen);
}

#endif
