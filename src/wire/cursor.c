/* Bounds-checked cursor with a sticky error (see cursor.h). */
#include "wire/cursor.h"

#include <string.h>

void wire_cursor_init_ro(struct wire_cursor *c, const uint8_t *buf, size_t len)
{
	*c = (struct wire_cursor){.buf = buf, .wbuf = NULL, .len = len};
}

void wire_cursor_init_rw(struct wire_cursor *c, uint8_t *buf, size_t cap)
{
	*c = (struct wire_cursor){.buf = buf, .wbuf = buf, .len = cap};
}

void wire_cursor_fail_at(struct wire_cursor *c, enum dw_status err, size_t off)
{
	if (c->err == DW_OK) {
		c->err = err;
		c->err_off = off;
	}
}

void wire_cursor_fail(struct wire_cursor *c, enum dw_status err)
{
	wire_cursor_fail_at(c, err, c->pos);
}

/* True if N more bytes can be read; otherwise records the failure. */
static int can_read(struct wire_cursor *c, size_t n)
{
	if (c->err)
		return 0;
	if (n > c->len - c->pos) {
		wire_cursor_fail(c, DW_E_TRUNCATED);
		return 0;
	}
	return 1;
}

static int can_write(struct wire_cursor *c, size_t n)
{
	if (c->err)
		return 0;
	if (!c->wbuf) {
		wire_cursor_fail(c, DW_E_INVALID);
		return 0;
	}
	if (n > c->len - c->pos) {
		wire_cursor_fail(c, DW_E_NOSPACE);
		return 0;
	}
	return 1;
}

uint8_t wire_read_u8(struct wire_cursor *c)
{
	if (!can_read(c, 1))
		return 0;
	return c->buf[c->pos++];
}

uint16_t wire_read_u16_checked_(struct wire_cursor *c)
{
	if (!can_read(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->buf[c->pos] << 8 | c->buf[c->pos + 1]);
	c->pos += 2;
	return v;
}

uint32_t wire_read_u32_checked_(struct wire_cursor *c)
{
	if (!can_read(c, 4))
		return 0;
	const uint8_t *p = c->buf + c->pos;
	c->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void wire_read_bytes(struct wire_cursor *c, void *out, size_t n)
{
	if (!can_read(c, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->buf + c->pos, n);
	c->pos += n;
}

const uint8_t *wire_read_ptr(struct wire_cursor *c, size_t n)
{
	if (!can_read(c, n))
		return NULL;
	const uint8_t *p = c->buf + c->pos;
	c->pos += n;
	return p;
}

void wire_skip(struct wire_cursor *c, size_t n)
{
	if (can_read(c, n))
		c->pos += n;
}

void wire_seek(struct wire_cursor *c, size_t off)
{
	if (c->err)
		return;
	if (off > c->len)
		wire_cursor_fail(c, DW_E_TRUNCATED);
	else
		c->pos = off;
}

void wire_write_u8(struct wire_cursor *c, uint8_t v)
{
	if (can_write(c, 1))
		c->wbuf[c->pos++] = v;
}

void wire_write_u16_checked_(struct wire_cursor *c, uint16_t v)
{
	if (!can_write(c, 2))
		return;
	c->wbuf[c->pos] = (uint8_t)(v >> 8);
	c->wbuf[c->pos + 1] = (uint8_t)v;
	c->pos += 2;
}

void wire_write_u32(struct wire_cursor *c, uint32_t v)
{
	if (!can_write(c, 4))
		return;
	uint8_t *p = c->wbuf + c->pos;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	c->pos += 4;
}

void wire_write_bytes(struct wire_cursor *c, const void *src, size_t n)
{
	if (can_write(c, n)) {
		if (n)
			memcpy(c->wbuf + c->pos, src, n);
		c->pos += n;
	}
}

void wire_write_u16_at(struct wire_cursor *c, size_t off, uint16_t v)
{
	if (c->err)
		return;
	if (!c->wbuf || off > c->pos || c->pos - off < 2) {
		wire_cursor_fail(c, DW_E_INVALID);
		return;
	}
	c->wbuf[off] = (uint8_t)(v >> 8);
	c->wbuf[off + 1] = (uint8_t)v;
}
