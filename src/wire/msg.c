/* Parsing a DNS message into a view of offsets (see msg.h). */
#include "wire/msg.h"

#include <stdio.h>
#include <string.h>

#include "wire/cursor.h"
#include "wire/name.h"
#include "wire/rdata.h"

/* Smallest encodings: a question is a root name plus type and class; a
 * record adds TTL and rdlength. Used to reject impossible counts early. */
#define MIN_QUESTION 5
#define MIN_RR 11

static enum dw_status fail(struct wire_msg *m, enum dw_status st, size_t off,
			     int section, unsigned index, const char *field)
{
	m->err = (struct wire_error){st, off, section, index, field};
	return st;
}

/* Read one question or record at *POS; fills RR. */
static enum dw_status parse_rr(struct wire_msg *m, size_t *pos, int sec,
				 unsigned idx, struct wire_rr *rr)
{
	const uint8_t *raw = m->raw;
	size_t len = m->len, next, eo;
	enum dw_status st;

	memset(rr, 0, sizeof *rr);
	rr->section = (uint8_t)sec;
	rr->owner_off = (uint16_t)*pos;
	st = wire_name_unpack(raw, len, *pos, NULL, NULL, &next, &eo);
	if (st)
		return fail(m, st, eo, sec, idx, "owner");

	struct wire_cursor c;
	wire_cursor_init_ro(&c, raw, len);
	wire_seek(&c, next);
	rr->type = wire_read_u16(&c);
	if (c.err)
		return fail(m, DW_E_TRUNCATED, len, sec, idx, "type");
	rr->class = wire_read_u16(&c);
	if (c.err)
		return fail(m, DW_E_TRUNCATED, len, sec, idx, "class");
	if (sec == WIRE_SEC_QUESTION) {
		rr->rdata_off = (uint16_t)c.pos;
		*pos = c.pos;
		return DW_OK;
	}
	rr->ttl = wire_read_u32(&c);
	if (c.err)
		return fail(m, DW_E_TRUNCATED, len, sec, idx, "ttl");
	rr->rdlen = wire_read_u16(&c);
	if (c.err)
		return fail(m, DW_E_TRUNCATED, len, sec, idx, "rdlength");
	rr->rdata_off = (uint16_t)c.pos;
	if (rr->rdlen > len - c.pos)
		return fail(m, DW_E_TRUNCATED, len, sec, idx, "rdata");
	/* RDLENGTH 0 is no rdata where RFC 2136 2.4 and 2.5 use it (class NONE
	 * and ANY, UPDATE messages): the typed checks are for data. */
	if (rr->rdlen == 0 && wire_rdata_may_be_empty(rr->class, WIRE_OPCODE(m->hdr.flags)))
		st = DW_OK;
	else
		st = wire_rdata_check(raw, len, rr->type, c.pos, rr->rdlen, &eo);
	if (st)
		return fail(m, st, eo, sec, idx, "rdata");
	*pos = c.pos + rr->rdlen;
	return DW_OK;
}

/* EDNS0 (RFC 6891 6.1.2-6.1.3): the first OPT in the additional section. */
static void note_opt(struct wire_msg *m, const struct wire_rr *rr, size_t index)
{
	struct wire_edns *e = &m->edns;
	if (e->count++)
		return;
	e->present = true;
	e->payload = rr->class;
	e->ext_rcode = (uint8_t)(rr->ttl >> 24);
	e->version = (uint8_t)(rr->ttl >> 16);
	e->flags = (uint16_t)rr->ttl;
	e->rr_index = (uint16_t)index;
	e->options_off = rr->rdata_off;
	e->options_len = rr->rdlen;
}

enum dw_status wire_msg_parse(struct wire_msg *m, const uint8_t *raw, size_t len,
				struct wire_rr *rr, size_t cap)
{
	memset(m, 0, sizeof *m);
	m->raw = raw;
	m->len = len;
	m->rr = rr;
	m->rr_cap = cap;
	m->err.section = -1;

	if (len > WIRE_MSG_MAX)
		return fail(m, DW_E_INVALID, WIRE_MSG_MAX, -1, 0, "length");
	if (len < WIRE_HEADER_LEN)
		return fail(m, DW_E_TRUNCATED, len, -1, 0, "header");
	struct wire_cursor c;
	wire_cursor_init_ro(&c, raw, len);
	m->hdr.id = wire_read_u16(&c);
	m->hdr.flags = wire_read_u16(&c);
	for (int s = 0; s < WIRE_SEC_COUNT; s++)
		m->hdr.count[s] = wire_read_u16(&c);

	/* A count that the rest of the message cannot hold is rejected before
	 * any record is read (e.g. 65535 questions in a 20-byte packet). */
	size_t need = 0;
	for (int s = 0; s < WIRE_SEC_COUNT; s++) {
		need += (size_t)m->hdr.count[s] * (s == WIRE_SEC_QUESTION ? MIN_QUESTION : MIN_RR);
		if (need > len - WIRE_HEADER_LEN)
			return fail(m, DW_E_COUNT_TOO_BIG, 4 + 2 * (size_t)s, s, 0, "count");
	}

	size_t pos = WIRE_HEADER_LEN;
	for (int s = 0; s < WIRE_SEC_COUNT; s++) {
		for (unsigned i = 0; i < m->hdr.count[s]; i++) {
			/* More records than the caller's array: the ones that fit
			 * are parsed and kept, so a tool still sees the start of
			 * a message padded to hide its answer. */
			if (m->rr_count == cap)
				return fail(m, DW_E_TOO_MANY_RR, pos, s, i, "record");
			struct wire_rr *r = &rr[m->rr_count];
			enum dw_status st = parse_rr(m, &pos, s, i, r);
			if (st)
				return st;
			if (s == WIRE_SEC_ADDITIONAL && r->type == WIRE_T_OPT)
				note_opt(m, r, m->rr_count);
			m->rr_count++;
		}
	}
	m->trailing = len - pos;
	return DW_OK;
}

size_t wire_msg_section_start(const struct wire_msg *m, enum wire_section sec)
{
	size_t start = 0;
	for (int s = 0; s < (int)sec; s++)
		start += m->hdr.count[s];
	return start < m->rr_count ? start : m->rr_count;
}

size_t wire_msg_section_count(const struct wire_msg *m, enum wire_section sec)
{
	size_t start = wire_msg_section_start(m, sec);
	size_t n = m->hdr.count[sec];
	return start + n <= m->rr_count ? n : m->rr_count - start;
}

size_t wire_msg_name(const struct wire_msg *m, size_t off, uint8_t *out)
{
	size_t n, next, eo;
	if (wire_name_unpack(m->raw, m->len, off, out, &n, &next, &eo) != DW_OK)
		return 0;
	return n;
}

unsigned wire_msg_rcode(const struct wire_msg *m)
{
	unsigned rc = WIRE_RCODE(m->hdr.flags);
	if (m->edns.present)
		rc |= (unsigned)m->edns.ext_rcode << 4;
	return rc;
}

static const char *const section_names[WIRE_SEC_COUNT] = {
	"question", "answer", "authority", "additional"};

const char *wire_section_name(enum wire_section s)
{
	return (unsigned)s < WIRE_SEC_COUNT ? section_names[s] : "?";
}

const char *wire_error_describe(const struct wire_error *e, char *buf, size_t cap)
{
	if (e->section < 0)
		snprintf(buf, cap, "%s at offset %zu (%s)", dw_strerror(e->status), e->offset,
			 e->field && strcmp(e->field, "header") ? e->field : "header");
	else if (e->field && strcmp(e->field, "count") == 0)
		snprintf(buf, cap, "%s at offset %zu (%s count)", dw_strerror(e->status),
			 e->offset, wire_section_name((enum wire_section)e->section));
	else
		snprintf(buf, cap, "%s at offset %zu (%s[%u] %s)", dw_strerror(e->status),
			 e->offset, wire_section_name((enum wire_section)e->section),
			 e->index, e->field ? e->field : "");
	return buf;
}

int wire_error_record(struct dw_error *err, const struct wire_error *e, const char *what)
{
	char line[160];
	wire_error_describe(e, line, sizeof line);
	if (what)
		return dw_error_set(err, e->status, "%s: %s", what, line);
	return dw_error_set(err, e->status, "%s", line);
}

/* Mnemonics (IANA DNS parameters registry). */
static const struct { uint16_t v; const char *name; } types[] = {
	{1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {13, "HINFO"},
	{15, "MX"}, {16, "TXT"}, {17, "RP"}, {18, "AFSDB"}, {24, "SIG"}, {25, "KEY"},
	{28, "AAAA"}, {29, "LOC"}, {33, "SRV"}, {35, "NAPTR"}, {36, "KX"},
	{37, "CERT"}, {39, "DNAME"}, {41, "OPT"}, {42, "APL"}, {43, "DS"},
	{44, "SSHFP"}, {45, "IPSECKEY"}, {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"},
	{49, "DHCID"}, {50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"},
	{53, "SMIMEA"}, {55, "HIP"}, {59, "CDS"}, {60, "CDNSKEY"},
	{61, "OPENPGPKEY"}, {62, "CSYNC"}, {63, "ZONEMD"}, {64, "SVCB"},
	{65, "HTTPS"}, {99, "SPF"}, {108, "EUI48"}, {109, "EUI64"}, {249, "TKEY"},
	{250, "TSIG"}, {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"}, {256, "URI"},
	{257, "CAA"},
};

const char *wire_type_name(uint16_t type, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].v == type)
			return types[i].name;
	snprintf(buf, cap, "TYPE%u", type);
	return buf;
}

static int ascii_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (*a >= 'a' && *a <= 'z') ? *a - 32 : *a;
		int cb = (*b >= 'a' && *b <= 'z') ? *b - 32 : *b;
		if (ca != cb || !ca)
			return ca - cb;
	}
}

/* "TYPE123" / "CLASS3" (RFC 3597 5): the number after PREFIX, or -1. */
static long generic_number(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < n; i++)
		if (!s[i] || (s[i] & ~0x20) != prefix[i])
			return -1;
	s += n;
	if (!*s)
		return -1;
	long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 65535)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= 65535 ? v : -1;
}

bool wire_type_from_name(const char *name, uint16_t *type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (ascii_casecmp(types[i].name, name) == 0) {
			*type = types[i].v;
			return true;
		}
	long v = generic_number(name, "TYPE");
	if (v < 0)
		return false;
	*type = (uint16_t)v;
	return true;
}

const char *wire_class_name(uint16_t class, char *buf, size_t cap)
{
	switch (class) {
	case 1: return "IN";
	case 3: return "CH";
	case 4: return "HS";
	case 254: return "NONE";
	case 255: return "ANY";
	}
	snprintf(buf, cap, "CLASS%u", class);
	return buf;
}

const char *wire_rcode_name(unsigned rcode, char *buf, size_t cap)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
		"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "DSOTYPENI"};
	if (rcode < sizeof names / sizeof names[0])
		return names[rcode];
	if (rcode == 16)
		return "BADVERS";
	snprintf(buf, cap, "RCODE%u", rcode);
	return buf;
}

const char *wire_opcode_name(unsigned opcode, char *buf, size_t cap)
{
	static const char *const names[] = {"QUERY", "IQUERY", "STATUS", NULL, "NOTIFY",
					    "UPDATE", "DSO"};
	if (opcode < sizeof names / sizeof names[0] && names[opcode])
		return names[opcode];
	snprintf(buf, cap, "OPCODE%u", opcode);
	return buf;
}
