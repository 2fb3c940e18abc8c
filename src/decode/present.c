/* dig-like text and JSON views of a message (see present.h). */
#include "decode/present.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/json.h"
#include "util/text.h"
#include "wire/edns.h"
#include "wire/name.h"
#include "wire/rdata.h"

/* Rdata text can reach WIRE_RDATA_TEXT_MAX; one buffer, reused. */
static char *rdata_text(const struct wire_msg *m, const struct wire_rr *rr)
{
	static char buf[WIRE_RDATA_TEXT_MAX];
	wire_rdata_to_text(m, rr, buf, sizeof buf);
	return buf;
}

static void owner_text(const struct wire_msg *m, const struct wire_rr *rr, char *text,
		       size_t cap)
{
	uint8_t name[WIRE_NAME_MAX];
	if (wire_msg_name(m, rr->owner_off, name))
		wire_name_to_text(name, text, cap);
	else
		snprintf(text, cap, "?");
}

static void time_text(const struct timeval *tv, char *buf, size_t cap)
{
	struct tm tm;
	time_t t = tv->tv_sec;
	/* A pcapng timestamp is 64 bits in units the file chooses (if_tsresol):
	 * its seconds can lie beyond the years struct tm holds, and then
	 * gmtime_r fails and leaves TM unset; printing it showed stack bytes
	 * as a date. Such a time is shown as seconds since the epoch. */
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, cap, "@%lld.%06ld", (long long)tv->tv_sec, (long)tv->tv_usec);
		return;
	}
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	text_cat(buf, cap, n, ".%06ldZ", (long)tv->tv_usec);
}

static void origin_text(FILE *out, const struct decode_origin *o, size_t len)
{
	fprintf(out, ";; %s", o->file);
	if (o->format == DECODE_HEX)
		fprintf(out, ":%lu", o->line);
	if (o->format == DECODE_PCAP) {
		char ts[64], s[64], d[64];
		const struct net_packet *p = &o->pkt;
		time_text(&o->ts, ts, sizeof ts);
		net_packet_addr_text(p->family, p->src, s, sizeof s);
		net_packet_addr_text(p->family, p->dst, d, sizeof d);
		fprintf(out, " packet %lu, %s, %s port %u -> %s port %u, IP TTL %u", o->packet, ts,
			s, p->sport, d, p->dport, p->ttl);
		if (p->family == AF_INET)
			fprintf(out, ", IP ID %u%s", p->ip_id, p->df ? ", DF" : "");
	}
	fprintf(out, ", message %lu, %zu bytes", o->index, len);
	if (o->format == DECODE_PCAP && o->pkt.payload_cut)
		fprintf(out, " (capture cut short)");
	if (o->format == DECODE_PCAP && o->fragments)
		fprintf(out, " (reassembled from %u IP fragments)", o->fragments);
	fputc('\n', out);
}

static void flags_text(FILE *out, uint16_t f)
{
	static const struct { uint16_t bit; const char *name; } bits[] = {
		{WIRE_FLAG_QR, "qr"}, {WIRE_FLAG_AA, "aa"}, {WIRE_FLAG_TC, "tc"},
		{WIRE_FLAG_RD, "rd"}, {WIRE_FLAG_RA, "ra"}, {WIRE_FLAG_Z, "z"},
		{WIRE_FLAG_AD, "ad"}, {WIRE_FLAG_CD, "cd"}};
	fputs(";; flags:", out);
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (f & bits[i].bit)
			fprintf(out, " %s", bits[i].name);
}

/* One option's data in a readable form where the option has one. */
static void option_text(FILE *out, uint16_t code, const uint8_t *d, uint16_t len)
{
	const char *name = wire_edns_option_name(code);
	if (name)
		fprintf(out, "; %s:", name);
	else
		fprintf(out, "; OPT=%u:", code);
	if (code == WIRE_EDNS_EDE && len >= 2) {
		uint16_t info = (uint16_t)(d[0] << 8 | d[1]);
		const char *ede = wire_ede_name(info);
		fprintf(out, " %u (%s)", info, ede ? ede : "unassigned");
		if (len > 2)
			fprintf(out, ": \"%.*s\"", (int)(len - 2), (const char *)(d + 2));
		fputc('\n', out);
		return;
	}
	if (code == WIRE_EDNS_PADDING) {
		fprintf(out, " %u bytes\n", len);
		return;
	}
	fputc(' ', out);
	bool printable = len > 0;
	for (uint16_t i = 0; i < len; i++) {
		fprintf(out, "%02x", d[i]);
		printable = printable && isprint(d[i]);
	}
	if (code == WIRE_EDNS_NSID && printable)
		fprintf(out, " (\"%.*s\")", (int)len, (const char *)d);
	fputc('\n', out);
}

static void hexdump(FILE *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 16) {
		fprintf(out, ";; %04zx ", i);
		for (size_t k = i; k < i + 16 && k < n; k++)
			fprintf(out, " %02x", b[k]);
		fputc('\n', out);
	}
}

void present_text(FILE *out, const struct decode_origin *o, const struct wire_msg *m,
		  enum dw_status st)
{
	char b1[32], b2[32], owner[WIRE_NAME_TEXT_MAX];
	origin_text(out, o, m->len);
	if (st) {
		char why[256];
		fprintf(out, ";; PARSE ERROR: %s\n", wire_error_describe(&m->err, why, sizeof why));
	}
	if (m->len < WIRE_HEADER_LEN) {
		hexdump(out, m->raw, m->len);
		fputc('\n', out);
		return;
	}
	fprintf(out, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n",
		wire_opcode_name(WIRE_OPCODE(m->hdr.flags), b1, sizeof b1),
		wire_rcode_name(wire_msg_rcode(m), b2, sizeof b2), m->hdr.id);
	flags_text(out, m->hdr.flags);
	/* An UPDATE names its sections as RFC 2136 2.2 does (and dig). */
	bool update = WIRE_OPCODE(m->hdr.flags) == WIRE_OPCODE_UPDATE;
	static const char *const query_heads[WIRE_SEC_COUNT] = {
		"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};
	static const char *const update_heads[WIRE_SEC_COUNT] = {
		"ZONE", "PREREQUISITE", "UPDATE", "ADDITIONAL"};
	const char *const *heads = update ? update_heads : query_heads;
	if (update)
		fprintf(out, "; ZONE: %u, PREREQ: %u, UPDATE: %u, ADDITIONAL: %u\n",
			m->hdr.count[0], m->hdr.count[1], m->hdr.count[2], m->hdr.count[3]);
	else
		fprintf(out, "; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n",
			m->hdr.count[0], m->hdr.count[1], m->hdr.count[2], m->hdr.count[3]);

	if (m->edns.present) {
		fputs("\n;; OPT PSEUDOSECTION:\n", out);
		fprintf(out, "; EDNS: version: %u, flags:%s; udp: %u\n", m->edns.version,
			(m->edns.flags & WIRE_EDNS_DO) ? " do" : "", m->edns.payload);
		if (m->edns.count > 1)
			fprintf(out, ";; WARNING: %u OPT records (RFC 6891 allows one)\n",
				m->edns.count);
		size_t pos = 0;
		uint16_t code, len;
		const uint8_t *d;
		while (wire_edns_next_option(m, &pos, &code, &d, &len))
			option_text(out, code, d, len);
	}

	for (int s = 0; s < WIRE_SEC_COUNT; s++) {
		size_t start = wire_msg_section_start(m, (enum wire_section)s);
		size_t count = wire_msg_section_count(m, (enum wire_section)s);
		size_t shown = count;
		if (s == WIRE_SEC_ADDITIONAL)
			for (size_t i = start; i < start + count; i++)
				shown -= m->rr[i].type == WIRE_T_OPT;
		if (!shown)
			continue;
		fprintf(out, "\n;; %s SECTION:\n", heads[s]);
		for (size_t i = start; i < start + count; i++) {
			const struct wire_rr *rr = &m->rr[i];
			owner_text(m, rr, owner, sizeof owner);
			if (s == WIRE_SEC_QUESTION) {
				fprintf(out, ";%s\t\t%s\t%s\n", owner,
					wire_class_name(rr->class, b1, sizeof b1),
					wire_type_name(rr->type, b2, sizeof b2));
				continue;
			}
			if (rr->type == WIRE_T_OPT && s == WIRE_SEC_ADDITIONAL)
				continue; /* shown as the pseudosection */
			/* No rdata (RFC 2136 2.4, 2.5): no column for it. */
			const char *rd = rdata_text(m, rr);
			fprintf(out, "%s\t%u\t%s\t%s%s%s\n", owner, rr->ttl,
				wire_class_name(rr->class, b1, sizeof b1),
				wire_type_name(rr->type, b2, sizeof b2), *rd ? "\t" : "", rd);
		}
	}
	if (m->trailing)
		fprintf(out, "\n;; %zu trailing bytes after the last record\n", m->trailing);
	if (st) {
		fputs("\n;; RAW BYTES:\n", out);
		hexdump(out, m->raw, m->len);
	}
	fputc('\n', out);
}

static void json_rr(struct jw *j, const struct wire_msg *m, const struct wire_rr *rr)
{
	char b[32], owner[WIRE_NAME_TEXT_MAX];
	owner_text(m, rr, owner, sizeof owner);
	jw_object_begin(j);
	jw_key(j, "name");
	jw_string(j, owner);
	jw_key(j, "type");
	jw_string(j, wire_type_name(rr->type, b, sizeof b));
	jw_key(j, "class");
	jw_string(j, wire_class_name(rr->class, b, sizeof b));
	if (rr->section != WIRE_SEC_QUESTION) {
		jw_key(j, "ttl");
		jw_uint(j, rr->ttl);
		jw_key(j, "rdlength");
		jw_uint(j, rr->rdlen);
		jw_key(j, "rdata");
		jw_string(j, rdata_text(m, rr));
	}
	jw_object_end(j);
}

static void json_edns(struct jw *j, const struct wire_msg *m)
{
	jw_object_begin(j);
	jw_key(j, "payload");
	jw_uint(j, m->edns.payload);
	jw_key(j, "version");
	jw_uint(j, m->edns.version);
	jw_key(j, "do");
	jw_bool(j, (m->edns.flags & WIRE_EDNS_DO) != 0);
	jw_key(j, "flags");
	jw_uint(j, m->edns.flags);
	jw_key(j, "ext_rcode");
	jw_uint(j, m->edns.ext_rcode);
	jw_key(j, "opt_records");
	jw_uint(j, m->edns.count);
	jw_key(j, "options");
	jw_array_begin(j);
	size_t pos = 0;
	uint16_t code, len;
	const uint8_t *d;
	while (wire_edns_next_option(m, &pos, &code, &d, &len)) {
		jw_object_begin(j);
		jw_key(j, "code");
		jw_uint(j, code);
		const char *name = wire_edns_option_name(code);
		jw_key(j, "name");
		if (name)
			jw_string(j, name);
		else
			jw_null(j);
		jw_key(j, "data");
		jw_hex(j, d, len);
		if (code == WIRE_EDNS_EDE && len >= 2) {
			uint16_t info = (uint16_t)(d[0] << 8 | d[1]);
			const char *ede = wire_ede_name(info);
			jw_key(j, "info_code");
			jw_uint(j, info);
			jw_key(j, "info");
			if (ede)
				jw_string(j, ede);
			else
				jw_null(j);
			jw_key(j, "extra_text");
			jw_string_n(j, (const char *)(d + 2), len - 2u);
		}
		jw_object_end(j);
	}
	jw_array_end(j);
	jw_object_end(j);
}

static const char *const formats[] = {"raw", "hex", "pcap"};

/* ERR's line without the "FILE: " or "FILE:LINE: " it starts with. */
static const char *reason_of(const char *file, const char *text)
{
	size_t n = strlen(file);
	if (strncmp(text, file, n) != 0 || text[n] != ':')
		return text;
	const char *p = text + n + 1;
	const char *q = p;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q > p && *q == ':')
		p = q + 1;
	return *p == ' ' ? p + 1 : p;
}

void present_json_file_error(FILE *out, const char *file, const enum decode_format *format,
			     const char *status, const struct dw_error *err)
{
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	jw_key(&j, "file");
	jw_string(&j, file);
	if (format && (unsigned)*format < sizeof formats / sizeof formats[0]) {
		jw_key(&j, "format");
		jw_string(&j, formats[*format]);
	}
	jw_key(&j, "error");
	jw_object_begin(&j);
	jw_key(&j, "status");
	jw_string(&j, status);
	jw_key(&j, "reason");
	jw_string(&j, reason_of(file, err->text));
	jw_key(&j, "text");
	jw_string(&j, err->text);
	jw_object_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
}

void present_json(FILE *out, const struct decode_origin *o, const struct wire_msg *m,
		  enum dw_status st)
{
	static const char *const count_keys[] = {"qdcount", "ancount", "nscount", "arcount"};
	char b[64];
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	jw_key(&j, "file");
	jw_string(&j, o->file);
	jw_key(&j, "format");
	jw_string(&j, formats[o->format]);
	jw_key(&j, "index");
	jw_uint(&j, o->index);
	if (o->format == DECODE_HEX) {
		jw_key(&j, "line");
		jw_uint(&j, o->line);
	}
	if (o->format == DECODE_PCAP) {
		const struct net_packet *p = &o->pkt;
		jw_key(&j, "packet");
		jw_uint(&j, o->packet);
		jw_key(&j, "time");
		time_text(&o->ts, b, sizeof b);
		jw_string(&j, b);
		jw_key(&j, "src");
		jw_string(&j, net_packet_addr_text(p->family, p->src, b, sizeof b));
		jw_key(&j, "sport");
		jw_uint(&j, p->sport);
		jw_key(&j, "dst");
		jw_string(&j, net_packet_addr_text(p->family, p->dst, b, sizeof b));
		jw_key(&j, "dport");
		jw_uint(&j, p->dport);
		jw_key(&j, "ip_ttl");
		jw_uint(&j, p->ttl);
		if (p->family == AF_INET) {
			jw_key(&j, "ip_id");
			jw_uint(&j, p->ip_id);
			jw_key(&j, "df");
			jw_bool(&j, p->df);
		}
		jw_key(&j, "capture_cut");
		jw_bool(&j, p->payload_cut);
		if (o->fragments) {
			jw_key(&j, "fragments");
			jw_uint(&j, o->fragments);
		}
	}
	jw_key(&j, "length");
	jw_uint(&j, m->len);
	if (m->len >= WIRE_HEADER_LEN) {
		uint16_t f = m->hdr.flags;
		jw_key(&j, "id");
		jw_uint(&j, m->hdr.id);
		jw_key(&j, "opcode");
		jw_string(&j, wire_opcode_name(WIRE_OPCODE(f), b, sizeof b));
		jw_key(&j, "rcode");
		jw_string(&j, wire_rcode_name(wire_msg_rcode(m), b, sizeof b));
		jw_key(&j, "flags");
		jw_object_begin(&j);
		static const struct { uint16_t bit; const char *name; } bits[] = {
			{WIRE_FLAG_QR, "qr"}, {WIRE_FLAG_AA, "aa"}, {WIRE_FLAG_TC, "tc"},
			{WIRE_FLAG_RD, "rd"}, {WIRE_FLAG_RA, "ra"}, {WIRE_FLAG_Z, "z"},
			{WIRE_FLAG_AD, "ad"}, {WIRE_FLAG_CD, "cd"}};
		for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
			jw_key(&j, bits[i].name);
			jw_bool(&j, (f & bits[i].bit) != 0);
		}
		jw_object_end(&j);
		for (int s = 0; s < WIRE_SEC_COUNT; s++) {
			jw_key(&j, count_keys[s]);
			jw_uint(&j, m->hdr.count[s]);
		}
		/* The keys stay those of a query; an UPDATE says what RFC 2136
		 * 2.2 calls each section. */
		if (WIRE_OPCODE(f) == WIRE_OPCODE_UPDATE) {
			static const char *const rfc2136[WIRE_SEC_COUNT] = {
				"zone", "prerequisite", "update", "additional"};
			jw_key(&j, "sections");
			jw_object_begin(&j);
			for (int s = 0; s < WIRE_SEC_COUNT; s++) {
				jw_key(&j, wire_section_name((enum wire_section)s));
				jw_string(&j, rfc2136[s]);
			}
			jw_object_end(&j);
		}
		for (int s = 0; s < WIRE_SEC_COUNT; s++) {
			size_t start = wire_msg_section_start(m, (enum wire_section)s);
			size_t count = wire_msg_section_count(m, (enum wire_section)s);
			jw_key(&j, wire_section_name((enum wire_section)s));
			jw_array_begin(&j);
			for (size_t i = start; i < start + count; i++)
				if (!(s == WIRE_SEC_ADDITIONAL && m->rr[i].type == WIRE_T_OPT))
					json_rr(&j, m, &m->rr[i]);
			jw_array_end(&j);
		}
		jw_key(&j, "edns");
		if (m->edns.present)
			json_edns(&j, m);
		else
			jw_null(&j);
		jw_key(&j, "trailing");
		jw_uint(&j, m->trailing);
	}
	jw_key(&j, "error");
	if (st) {
		const struct wire_error *e = &m->err;
		jw_object_begin(&j);
		jw_key(&j, "reason");
		jw_string(&j, dw_strerror(e->status));
		jw_key(&j, "offset");
		jw_uint(&j, e->offset);
		jw_key(&j, "section");
		if (e->section >= 0)
			jw_string(&j, wire_section_name((enum wire_section)e->section));
		else
			jw_string(&j, "header");
		jw_key(&j, "index");
		jw_uint(&j, e->index);
		jw_key(&j, "field");
		jw_string(&j, e->field ? e->field : "");
		char why[256];
		jw_key(&j, "text");
		jw_string(&j, wire_error_describe(e, why, sizeof why));
		jw_object_end(&j);
	} else {
		jw_null(&j);
	}
	jw_key(&j, "raw");
	jw_hex(&j, m->raw, m->len);
	jw_object_end(&j);
	jw_newline(&j);
}

/* The reasons a fragment was refused, with their JSON keys and words. */
static const struct {
	const char *key, *words;
	size_t at;
} reasm_reasons[] = {
	{"overlap", "overlap", offsetof(struct net_reasm_stats, overlap)},
	{"oversize", "oversize", offsetof(struct net_reasm_stats, oversize)},
	{"bad_length", "bad length", offsetof(struct net_reasm_stats, bad_length)},
	{"truncated", "cut by the capture", offsetof(struct net_reasm_stats, truncated)},
	{"too_many_datagrams", "too many in flight", offsetof(struct net_reasm_stats, too_many_datagrams)},
	{"too_many_fragments", "too many fragments", offsetof(struct net_reasm_stats, too_many_frags)},
	{"no_memory", "out of memory", offsetof(struct net_reasm_stats, nomem)},
};

static uint64_t reason_count(const struct net_reasm_stats *s, size_t i)
{
	uint64_t v;
	memcpy(&v, (const char *)s + reasm_reasons[i].at, sizeof v);
	return v;
}

void present_reasm_text(FILE *out, const struct decode_counts *c)
{
	const struct net_reasm_stats *s = &c->reasm;
	if (!c->fragments)
		return;
	fprintf(out, ", %lu IP fragments (datagrams: %llu reassembled", c->fragments,
		(unsigned long long)s->reassembled);
	if (s->expired)
		fprintf(out, ", %llu expired", (unsigned long long)s->expired);
	if (c->frag_incomplete)
		fprintf(out, ", %lu incomplete at the end", c->frag_incomplete);
	if (s->duplicates)
		fprintf(out, "; %llu duplicate fragments dropped", (unsigned long long)s->duplicates);
	if (net_reasm_rejected(s)) {
		const char *sep = "; fragments rejected: ";
		for (size_t i = 0; i < sizeof reasm_reasons / sizeof reasm_reasons[0]; i++) {
			if (!reason_count(s, i))
				continue;
			fprintf(out, "%s%llu %s", sep, (unsigned long long)reason_count(s, i),
				reasm_reasons[i].words);
			sep = ", ";
		}
	}
	fputc(')', out);
}

void present_summary_json(FILE *out, const char *file, const struct decode_counts *c)
{
	const struct net_reasm_stats *s = &c->reasm;
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	jw_key(&j, "file");
	jw_string(&j, file);
	jw_key(&j, "format");
	jw_string(&j, "pcap");
	jw_key(&j, "summary");
	jw_object_begin(&j);
	const struct {
		const char *key;
		unsigned long long v;
	} n[] = {
		{"packets", c->packets}, {"messages", c->messages}, {"not_dns", c->not_dns},
		{"undecodable", c->undecodable}, {"fragments", c->fragments},
		{"reassembled", s->reassembled}, {"expired", s->expired},
		{"incomplete", c->frag_incomplete}, {"duplicates", s->duplicates},
	};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
		jw_key(&j, n[i].key);
		jw_uint(&j, n[i].v);
	}
	jw_key(&j, "rejected");
	jw_object_begin(&j);
	for (size_t i = 0; i < sizeof reasm_reasons / sizeof reasm_reasons[0]; i++) {
		jw_key(&j, reasm_reasons[i].key);
		jw_uint(&j, reason_count(s, i));
	}
	jw_object_end(&j);
	jw_object_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
}
