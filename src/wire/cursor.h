/*
 * Bounds-checked cursor over a byte buffer, for reading and for writing DNS
 * wire data, with a sticky error (after the first failure every later call
 * does nothing, reads yield zero, and the offset of the first failure is
 * kept). Every access is checked in all build modes; nothing relies on
 * assert(). The cursor never allocates and never owns its buffer.
 */
#ifndef DW_WIRE_CURSOR_H
#define DW_WIRE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct wire_cursor {
	const uint8_t *buf; /* the bytes */
	uint8_t *wbuf;      /* the same bytes when writable; NULL for a read-only cursor */
	size_t len;         /* bytes valid for reading / capacity for writing */
	size_t pos;         /* next byte */
	enum dw_status err;/* DW_OK until the first failure */
	size_t err_off;     /* offset at which the first failure happened */
};

/* A cursor reading BUF[0..LEN). */
void wire_cursor_init_ro(struct wire_cursor *c, const uint8_t *buf, size_t len);
/* A cursor writing into BUF[0..CAP). */
void wire_cursor_init_rw(struct wire_cursor *c, uint8_t *buf, size_t cap);

/* Record a failure at the current position unless one is already recorded. */
void wire_cursor_fail(struct wire_cursor *c, enum dw_status err);
/* Same, at an explicit offset. */
void wire_cursor_fail_at(struct wire_cursor *c, enum dw_status err, size_t off);

static inline size_t wire_cursor_left(const struct wire_cursor *c)
{
	return c->err ? 0 : c->len - c->pos;
}

uint8_t wire_read_u8(struct wire_cursor *c);
static inline uint16_t wire_read_u16(struct wire_cursor *c);
static inline uint32_t wire_read_u32(struct wire_cursor *c);
/* Copy N bytes into OUT (zeroed on failure). */
void wire_read_bytes(struct wire_cursor *c, void *out, size_t n);
/* Pointer to the next N bytes without copying, and advance; NULL on failure. */
const uint8_t *wire_read_ptr(struct wire_cursor *c, size_t n);
void wire_skip(struct wire_cursor *c, size_t n);
/* Move to an absolute offset (<= len). */
void wire_seek(struct wire_cursor *c, size_t off);

void wire_write_u8(struct wire_cursor *c, uint8_t v);
static inline void wire_write_u16(struct wire_cursor *c, uint16_t v);
void wire_write_u32(struct wire_cursor *c, uint32_t v);
void wire_write_bytes(struct wire_cursor *c, const void *src, size_t n);
/* Overwrite two bytes at an earlier offset (lengths and counts filled in later). */
void wire_write_u16_at(struct wire_cursor *c, size_t off, uint16_t v);

/*
 * The 16- and 32-bit reads and the 16-bit write inline when they fit (a
 * reply's parse and a query's build make some forty of them; as calls they
 * were 6% of the prober's instructions); the rest, and every failure,
 * through the checked calls, which record the error as above.
 */
uint16_t wire_read_u16_checked_(struct wire_cursor *c);
uint32_t wire_read_u32_checked_(struct wire_cursor *c);
void wire_write_u16_checked_(struct wire_cursor *c, uint16_t v);

static inline uint16_t wire_read_u16(struct wire_cursor *c)
{
	if (c->err || c->len - c->pos < 2)
		return wire_read_u16_checked_(c);
	const uint8_t *p = c->buf + c->pos;
	c->pos += 2;
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t wire_read_u32(struct wire_cursor *c)
{
	if (c->err || c->len - c->pos < 4)
		return wire_read_u32_checked_(c);
	const uint8_t *p = c->buf + c->pos;
	c->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_write_u16(struct wire_cursor *c, uint16_t v)
{
	if (c->err || !c->wbuf || c->len - c->pos < 2) {
		wire_write_u16_checked_(c, v);
		return;
	}
	c->wbuf[c->pos] = (uint8_t)(v >> 8);
	c->wbuf[c->pos + 1] = (uint8_t)v;
	c->pos += 2;
}

#endif
