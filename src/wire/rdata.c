/* Rdata of the types the toolkit reads (see rdata.h). */
#include "wire/rdata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

bool wire_rdata_known(uint16_t type)
{
	switch (type) {
	case WIRE_T_A: case WIRE_T_AAAA: case WIRE_T_NS: case WIRE_T_CNAME:
	case WIRE_T_SOA: case WIRE_T_PTR: case WIRE_T_MX: case WIRE_T_TXT:
		return true;
	}
	return false;
}

bool wire_rdata_compressible(uint16_t type)
{
	switch (type) {
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_SOA: case WIRE_T_PTR:
	case WIRE_T_MX:
		return true;
	}
	return false;
}

bool wire_rdata_may_be_empty(uint16_t class, unsigned opcode)
{
	return class == WIRE_C_NONE || class == WIRE_C_ANY || opcode == WIRE_OPCODE_UPDATE;
}

/* A name starting at OFF inside rdata ending at END; *NEXT after it. */
static enum dw_status check_name(const uint8_t *msg, size_t len, size_t off,
				   size_t end, size_t *next, size_t *err_off)
{
	if (off >= end) {
		*err_off = off;
		return DW_E_RDATA_LENGTH;
	}
	/* Reading stops at END: a name must not run out of its rdata. */
	enum dw_status st = wire_name_unpack(msg, end, off, NULL, NULL, next, err_off);
	if (st == DW_E_TRUNCATED) {
		*err_off = end;
		return DW_E_RDATA_LENGTH;
	}
	/* Pointers may point anywhere earlier in the message, which END cut
	 * off only if they point into this rdata's own tail: re-check with the
	 * whole message so that the reason given is the real one. */
	if (st == DW_E_PTR_PAST_END)
		st = wire_name_unpack(msg, len, off, NULL, NULL, next, err_off);
	return st;
}

enum dw_status wire_rdata_check(const uint8_t *msg, size_t len, uint16_t type,
				  size_t off, size_t rdlen, size_t *err_off)
{
	size_t end, next;
	enum dw_status st;

	/* The rdata must lie inside the message: wire_msg_parse checks this
	 * before calling, but this function is public, and the TXT, OPT and
	 * name checks below read up to END (also keeps OFF + RDLEN from
	 * wrapping). */
	if (off > len || rdlen > len - off) {
		*err_off = len;
		return DW_E_TRUNCATED;
	}
	end = off + rdlen;
	*err_off = off;
	switch (type) {
	case WIRE_T_A:
		return rdlen == 4 ? DW_OK : DW_E_RDATA_LENGTH;
	case WIRE_T_AAAA:
		return rdlen == 16 ? DW_OK : DW_E_RDATA_LENGTH;
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_PTR:
		st = check_name(msg, len, off, end, &next, err_off);
		break;
	case WIRE_T_MX:
		if (rdlen < 3)
			return DW_E_RDATA_LENGTH;
		st = check_name(msg, len, off + 2, end, &next, err_off);
		break;
	case WIRE_T_SOA:
		st = check_name(msg, len, off, end, &next, err_off);
		if (!st)
			st = check_name(msg, len, next, end, &next, err_off);
		if (!st && end - next != 20) {
			*err_off = next;
			return DW_E_RDATA_LENGTH;
		}
		return st;
	case WIRE_T_TXT: /* one or more <character-string>s (RFC 1035 3.3.14) */
		if (rdlen == 0)
			return DW_E_RDATA_LENGTH;
		for (size_t p = off; p < end; p += 1 + (size_t)msg[p]) {
			if (end - p - 1 < msg[p]) {
				*err_off = p;
				return DW_E_RDATA_FORMAT;
			}
		}
		return DW_OK;
	case WIRE_T_OPT: /* {code, length, data} options (RFC 6891 6.1.2) */
		for (size_t p = off; p < end;) {
			if (end - p < 4) {
				*err_off = p;
				return DW_E_RDATA_FORMAT;
			}
			size_t olen = (size_t)msg[p + 2] << 8 | msg[p + 3];
			if (end - p - 4 < olen) {
				*err_off = p + 2;
				return DW_E_RDATA_FORMAT;
			}
			p += 4 + olen;
		}
		return DW_OK;
	default:
		return DW_OK; /* kept as raw bytes (RFC 3597) */
	}
	if (st)
		return st;
	if (next != end) {
		*err_off = next;
		return DW_E_RDATA_LENGTH;
	}
	return DW_OK;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A name inside rdata the parse checked: that cannot fail; were it to, the
 * root, not a partly written name. */
static void name_at(const struct wire_msg *m, size_t off, uint8_t *out)
{
	if (!wire_msg_name(m, off, out))
		out[0] = 0;
}

void wire_rdata_get(const struct wire_msg *m, const struct wire_rr *rr,
		    struct wire_rdata *out)
{
	const uint8_t *rd = m->raw + rr->rdata_off;
	size_t next, n, eo;

	memset(out, 0, sizeof *out);
	out->type = rr->type;
	out->raw = rd;
	out->rawlen = rr->rdlen;
	/* Empty rdata parsed only where RFC 2136 allows it: nothing to read
	 * (an A's four bytes would be the next record's). */
	if (rr->rdlen == 0) {
		out->empty = true;
		return;
	}
	switch (rr->type) {
	case WIRE_T_A:
		memcpy(out->u.a, rd, 4);
		break;
	case WIRE_T_AAAA:
		memcpy(out->u.aaaa, rd, 16);
		break;
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_PTR:
		name_at(m, rr->rdata_off, out->u.name);
		break;
	case WIRE_T_MX:
		out->u.mx.pref = (uint16_t)(rd[0] << 8 | rd[1]);
		name_at(m, rr->rdata_off + 2u, out->u.mx.exchange);
		break;
	case WIRE_T_SOA:
		/* Checked by the parse, as above; were it not, the whole SOA
		 * stays zero rather than read past a bad name. */
		if (wire_name_unpack(m->raw, m->len, rr->rdata_off, out->u.soa.mname, &n, &next,
				     &eo) != DW_OK ||
		    wire_name_unpack(m->raw, m->len, next, out->u.soa.rname, &n, &next, &eo) != DW_OK) {
			memset(&out->u.soa, 0, sizeof out->u.soa);
			break;
		}
		out->u.soa.serial = get32(m->raw + next);
		out->u.soa.refresh = get32(m->raw + next + 4);
		out->u.soa.retry = get32(m->raw + next + 8);
		out->u.soa.expire = get32(m->raw + next + 12);
		out->u.soa.minimum = get32(m->raw + next + 16);
		break;
	}
}

bool wire_txt_next(const uint8_t *rdata, size_t rdlen, size_t *pos,
		   const uint8_t **str, size_t *strlen)
{
	if (*pos >= rdlen)
		return false;
	size_t l = rdata[*pos];
	if (rdlen - *pos - 1 < l)
		return false;
	*str = rdata + *pos + 1;
	*strlen = l;
	*pos += 1 + l;
	return true;
}

/* Bounded appending into TEXT; N counts what would have been written. */
struct out {
	char *text;
	size_t cap, n;
};

static void out_str(struct out *o, const char *s)
{
	for (; *s; s++, o->n++)
		if (o->n + 1 < o->cap)
			o->text[o->n] = *s;
}

static void out_fmt_u(struct out *o, unsigned long v)
{
	char b[24];
	snprintf(b, sizeof b, "%lu", v);
	out_str(o, b);
}

static void out_name(struct out *o, const uint8_t *name)
{
	char b[WIRE_NAME_TEXT_MAX];
	wire_name_to_text(name, b, sizeof b);
	out_str(o, b);
}

/* A <character-string> in quotes (RFC 1035 5.1). */
static void out_charstr(struct out *o, const uint8_t *s, size_t l)
{
	out_str(o, "\"");
	for (size_t i = 0; i < l; i++) {
		char b[5];
		if (s[i] == '"' || s[i] == '\\')
			snprintf(b, sizeof b, "\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			snprintf(b, sizeof b, "%c", s[i]);
		else
			snprintf(b, sizeof b, "\\%03u", s[i]);
		out_str(o, b);
	}
	out_str(o, "\"");
}

size_t wire_rdata_to_text(const struct wire_msg *m, const struct wire_rr *rr,
			  char *text, size_t cap)
{
	struct out o = {text, cap, 0};
	struct wire_rdata rd;
	char addr[INET6_ADDRSTRLEN];

	wire_rdata_get(m, rr, &rd);
	if (rd.empty && (wire_rdata_known(rr->type) || rr->class == WIRE_C_NONE ||
			 rr->class == WIRE_C_ANY)) {
		if (cap)
			text[0] = '\0';
		return 0;
	}
	switch (rr->type) {
	case WIRE_T_A:
		out_str(&o, inet_ntop(AF_INET, rd.u.a, addr, sizeof addr));
		break;
	case WIRE_T_AAAA:
		out_str(&o, inet_ntop(AF_INET6, rd.u.aaaa, addr, sizeof addr));
		break;
	case WIRE_T_NS: case WIRE_T_CNAME: case WIRE_T_PTR:
		out_name(&o, rd.u.name);
		break;
	case WIRE_T_MX:
		out_fmt_u(&o, rd.u.mx.pref);
		out_str(&o, " ");
		out_name(&o, rd.u.mx.exchange);
		break;
	case WIRE_T_SOA:
		out_name(&o, rd.u.soa.mname);
		out_str(&o, " ");
		out_name(&o, rd.u.soa.rname);
		const uint32_t v[5] = {rd.u.soa.serial, rd.u.soa.refresh, rd.u.soa.retry,
				       rd.u.soa.expire, rd.u.soa.minimum};
		for (int i = 0; i < 5; i++) {
			out_str(&o, " ");
			out_fmt_u(&o, v[i]);
		}
		break;
	case WIRE_T_TXT: {
		size_t pos = 0, l;
		const uint8_t *s;
		for (int first = 1; wire_txt_next(rd.raw, rd.rawlen, &pos, &s, &l); first = 0) {
			if (!first)
				out_str(&o, " ");
			out_charstr(&o, s, l);
		}
		break;
	}
	default: /* RFC 3597 5: \# length hex */
		out_str(&o, "\\# ");
		out_fmt_u(&o, rd.rawlen);
		if (rd.rawlen)
			out_str(&o, " ");
		for (size_t i = 0; i < rd.rawlen; i++) {
			char b[3];
			snprintf(b, sizeof b, "%02x", rd.raw[i]);
			out_str(&o, b);
		}
	}
	if (cap)
		text[o.n < cap ? o.n : cap - 1] = '\0';
	return o.n;
}
