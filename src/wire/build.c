/* Building messages with name compression (see build.h). */
#include "wire/build.h"

#include <string.h>

#include "wire/name.h"
#include "wire/rdata.h"

void wire_build_init(struct wire_builder *b, uint8_t *buf, size_t cap, uint16_t id,
		     uint16_t flags)
{
	memset(b, 0, sizeof *b);
	wire_cursor_init_rw(&b->c, buf, cap);
	b->compress = 1;
	wire_write_u16(&b->c, id);
	wire_write_u16(&b->c, flags);
	for (int s = 0; s < WIRE_SEC_COUNT; s++)
		wire_write_u16(&b->c, 0);
}

/*
 * Does the name written at OFF in the output equal the uncompressed SUFFIX?
 * Byte-exact, case included, so that compression never changes the case a
 * name was given in (the 0x20 pattern of a question must survive).
 */
static bool written_equals(const struct wire_builder *b, size_t off, const uint8_t *suffix)
{
	const uint8_t *buf = b->c.buf;
	size_t i = 0;
	for (unsigned hops = 0; hops <= WIRE_PTR_MAX;) {
		if (off >= b->c.pos)
			return false;
		uint8_t l = buf[off];
		if ((l & 0xC0) == 0xC0) {
			off = (size_t)(l & 0x3F) << 8 | buf[off + 1];
			hops++;
			continue;
		}
		if (l != suffix[i] || off + 1 + l > b->c.pos)
			return false;
		if (memcmp(buf + off + 1, suffix + i + 1, l) != 0)
			return false;
		if (l == 0)
			return true;
		off += 1 + (size_t)l;
		i += 1 + (size_t)l;
	}
	return false;
}

void wire_build_name(struct wire_builder *b, const uint8_t *name)
{
	size_t len = wire_name_len(name, WIRE_NAME_MAX);
	if (!len) {
		wire_cursor_fail(&b->c, DW_E_INVALID);
		return;
	}
	for (size_t i = 0; name[i]; i += 1 + (size_t)name[i]) {
		if (b->compress) {
			for (unsigned k = 0; k < b->ncomp; k++) {
				if (written_equals(b, b->comp[k], name + i)) {
					wire_write_u16(&b->c, (uint16_t)(0xC000 | b->comp[k]));
					return;
				}
			}
			/* Pointers reach only the first 16 KiB (14-bit offsets). */
			if (b->ncomp < WIRE_COMP_MAX && b->c.pos < 0x4000 && !b->c.err)
				b->comp[b->ncomp++] = (uint16_t)b->c.pos;
		}
		wire_write_bytes(&b->c, name + i, 1 + (size_t)name[i]);
	}
	wire_write_u8(&b->c, 0);
}

/* Move to section SEC (never backwards) and count one more entry in it. */
static bool enter_section(struct wire_builder *b, int sec)
{
	if (b->c.err)
		return false;
	if (sec < b->section || sec >= WIRE_SEC_COUNT) {
		wire_cursor_fail(&b->c, DW_E_SECTION_ORDER);
		return false;
	}
	if (b->count[sec] == UINT16_MAX) {
		wire_cursor_fail(&b->c, DW_E_NOSPACE);
		return false;
	}
	b->section = sec;
	b->count[sec]++;
	return true;
}

void wire_build_question(struct wire_builder *b, const uint8_t *name, uint16_t type,
			 uint16_t class)
{
	if (!enter_section(b, WIRE_SEC_QUESTION))
		return;
	wire_build_name(b, name);
	wire_write_u16(&b->c, type);
	wire_write_u16(&b->c, class);
}

/* Type, class, TTL and a zero rdlength after the owner; returns the rdlength offset. */
static size_t rr_fields(struct wire_builder *b, uint16_t type, uint16_t class, uint32_t ttl)
{
	wire_write_u16(&b->c, type);
	wire_write_u16(&b->c, class);
	wire_write_u32(&b->c, ttl);
	size_t at = b->c.pos;
	wire_write_u16(&b->c, 0);
	return at;
}

/* Owner, type, class, TTL and a zero rdlength; returns the rdlength offset. */
static size_t rr_head(struct wire_builder *b, const uint8_t *owner, uint16_t type,
		      uint16_t class, uint32_t ttl)
{
	wire_build_name(b, owner);
	return rr_fields(b, type, class, ttl);
}

static void rr_tail(struct wire_builder *b, size_t rdlen_at)
{
	if (b->c.err)
		return;
	size_t rdlen = b->c.pos - rdlen_at - 2;
	if (rdlen > UINT16_MAX) {
		wire_cursor_fail(&b->c, DW_E_RDATA_LENGTH);
		return;
	}
	wire_write_u16_at(&b->c, rdlen_at, (uint16_t)rdlen);
}

void wire_build_rr_raw(struct wire_builder *b, enum wire_section sec, const uint8_t *owner,
		       uint16_t type, uint16_t class, uint32_t ttl, const uint8_t *rdata,
		       uint16_t rdlen)
{
	if (sec == WIRE_SEC_QUESTION) {
		wire_cursor_fail(&b->c, DW_E_INVALID);
		return;
	}
	if (!enter_section(b, sec))
		return;
	size_t at = rr_head(b, owner, type, class, ttl);
	wire_write_bytes(&b->c, rdata, rdlen);
	rr_tail(b, at);
}

void wire_build_rr_ptr(struct wire_builder *b, enum wire_section sec, uint16_t owner_off,
		       uint16_t type, uint16_t class, uint32_t ttl, const uint8_t *rdata,
		       uint16_t rdlen)
{
	if (sec == WIRE_SEC_QUESTION || owner_off < WIRE_HEADER_LEN || owner_off >= 0x4000 ||
	    owner_off >= b->c.pos) {
		wire_cursor_fail(&b->c, DW_E_INVALID);
		return;
	}
	if (!enter_section(b, sec))
		return;
	wire_write_u16(&b->c, (uint16_t)(0xC000 | owner_off));
	size_t at = rr_fields(b, type, class, ttl);
	wire_write_bytes(&b->c, rdata, rdlen);
	rr_tail(b, at);
}

void wire_build_rr(struct wire_builder *b, enum wire_section sec, const uint8_t *owner,
		   uint16_t class, uint32_t ttl, const struct wire_rdata *rd)
{
	if (rd->empty) { /* RFC 2136 2.4, 2.5: RDLENGTH 0, no rdata */
		static const uint8_t none[1];
		wire_build_rr_raw(b, sec, owner, rd->type, class, ttl, none, 0);
		return;
	}
	if (!wire_rdata_compressible(rd->type)) {
		const uint8_t *raw = rd->raw;
		uint16_t len = rd->rawlen;
		if (rd->type == WIRE_T_A) {
			raw = rd->u.a;
			len = 4;
		} else if (rd->type == WIRE_T_AAAA) {
			raw = rd->u.aaaa;
			len = 16;
		}
		wire_build_rr_raw(b, sec, owner, rd->type, class, ttl, raw, len);
		return;
	}
	if (sec == WIRE_SEC_QUESTION) {
		wire_cursor_fail(&b->c, DW_E_INVALID);
		return;
	}
	if (!enter_section(b, sec))
		return;
	size_t at = rr_head(b, owner, rd->type, class, ttl);
	switch (rd->type) {
	case WIRE_T_MX:
		wire_write_u16(&b->c, rd->u.mx.pref);
		wire_build_name(b, rd->u.mx.exchange);
		break;
	case WIRE_T_SOA:
		wire_build_name(b, rd->u.soa.mname);
		wire_build_name(b, rd->u.soa.rname);
		wire_write_u32(&b->c, rd->u.soa.serial);
		wire_write_u32(&b->c, rd->u.soa.refresh);
		wire_write_u32(&b->c, rd->u.soa.retry);
		wire_write_u32(&b->c, rd->u.soa.expire);
		wire_write_u32(&b->c, rd->u.soa.minimum);
		break;
	default: /* NS, CNAME, PTR */
		wire_build_name(b, rd->u.name);
	}
	rr_tail(b, at);
}

void wire_build_copy_rr(struct wire_builder *b, const struct wire_msg *src,
			const struct wire_rr *rr)
{
	uint8_t owner[WIRE_NAME_MAX];
	if (!wire_msg_name(src, rr->owner_off, owner)) {
		wire_cursor_fail(&b->c, DW_E_INVALID);
		return;
	}
	if (rr->section == WIRE_SEC_QUESTION) {
		wire_build_question(b, owner, rr->type, rr->class);
		return;
	}
	struct wire_rdata rd;
	wire_rdata_get(src, rr, &rd);
	wire_build_rr(b, (enum wire_section)rr->section, owner, rr->class, rr->ttl, &rd);
}

void wire_build_edns(struct wire_builder *b, uint16_t payload, uint8_t ext_rcode,
		     uint8_t version, uint16_t flags, const uint8_t *options,
		     uint16_t options_len)
{
	static const uint8_t root[1] = {0};
	uint32_t ttl = (uint32_t)ext_rcode << 24 | (uint32_t)version << 16 | flags;
	wire_build_rr_raw(b, WIRE_SEC_ADDITIONAL, root, WIRE_T_OPT, payload, ttl, options,
			  options_len);
}

enum dw_status wire_build_finish(struct wire_builder *b, size_t *len)
{
	for (int s = 0; s < WIRE_SEC_COUNT; s++)
		wire_write_u16_at(&b->c, 4 + 2 * (size_t)s, b->count[s]);
	if (len)
		*len = b->c.err ? 0 : b->c.pos;
	return b->c.err;
}

size_t wire_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name,
			uint16_t type, int rd, uint16_t edns_payload)
{
	/* Written straight, not through the builder: a query's three parts
	 * have fixed shapes (a header; the one question, with nothing before
	 * it to compress against; an OPT record with a root owner and no
	 * options, RFC 6891 6.1.2), and the prober sends one a query: through
	 * the builder it was 1,000 instructions. The same bytes
	 * (tests/wire/test_build.c compares them). */
	size_t n = wire_name_len(name, WIRE_NAME_MAX);
	size_t len = WIRE_HEADER_LEN + n + 4 + (edns_payload ? 11 : 0);
	if (!n || len > cap)
		return 0;
	uint16_t flags = rd ? WIRE_FLAG_RD : 0;
	uint8_t *p = buf;
	const uint8_t head[WIRE_HEADER_LEN] = {(uint8_t)(id >> 8), (uint8_t)id,
					       (uint8_t)(flags >> 8), (uint8_t)flags, 0, 1, 0, 0, 0, 0,
					       0, edns_payload ? 1 : 0};
	memcpy(p, head, sizeof head);
	p += sizeof head;
	memcpy(p, name, n);
	p += n;
	const uint8_t question[4] = {(uint8_t)(type >> 8), (uint8_t)type, 0, WIRE_C_IN};
	memcpy(p, question, sizeof question);
	p += sizeof question;
	if (edns_payload) {
		const uint8_t opt[11] = {0, 0, WIRE_T_OPT, (uint8_t)(edns_payload >> 8),
					 (uint8_t)edns_payload, 0, 0, 0, 0, 0, 0};
		memcpy(p, opt, sizeof opt);
	}
	return len;
}

enum dw_status wire_build_copy_msg(const struct wire_msg *src, uint8_t *buf, size_t cap,
				     size_t *len)
{
	struct wire_builder b;
	wire_build_init(&b, buf, cap, src->hdr.id, src->hdr.flags);
	for (size_t i = 0; i < src->rr_count; i++)
		wire_build_copy_rr(&b, src, &src->rr[i]);
	return wire_build_finish(&b, len);
}
