/* NDJSON output of probe results (see ndjson.h, docs/store.md). */
#include "probe/ndjson.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "util/json.h"
#include "wire/msg.h"
#include "wire/name.h"

static const struct {
	uint16_t bit;
	const char *name;
} flag_bits[] = {
	{WIRE_FLAG_QR, "qr"}, {WIRE_FLAG_AA, "aa"}, {WIRE_FLAG_TC, "tc"},
	{WIRE_FLAG_RD, "rd"}, {WIRE_FLAG_RA, "ra"}, {WIRE_FLAG_Z, "z"},
	{WIRE_FLAG_AD, "ad"}, {WIRE_FLAG_CD, "cd"},
};

/*
 * The line is written with a cursor into a buffer its longest form fits
 * (LINE_TEXT_MAX below): literal pieces (a key with the comma before it) are
 * copied whole, numbers and strings written in place, and nothing checks
 * for room on the way. Through the JSON writer's calls, a key or a value
 * at a time, the line was 40% of the prober's instructions.
 * The longest forms: a reply's fixed text (23 keys, 13 numbers of at most
 * 20 digits, its address, flags, rcode) under 1024 characters, each answer
 * under 128, the raw bytes 2 a byte; the result's own fixed text under
 * 1024; the strings that may need escaping at most 6 characters a byte.
 */
#define REPLY_TEXT_MAX (1024 + PROBE_ADDRS_MAX * 128 + 2 * PROBE_RAW_MAX)
#define LINE_TEXT_MAX (1024 + JW_ESCAPE_MAX(WIRE_NAME_TEXT_MAX) + \
		  JW_ESCAPE_MAX(sizeof ((struct probe_target *)0)->label) + \
		  JW_ESCAPE_MAX(sizeof ((struct probe_result *)0)->evidence) + \
		  PROBE_REPLIES_MAX * REPLY_TEXT_MAX)

/* LIT: JSON text as it is, a literal of ours (its length known here). */
#define LIT(o, lit) (memcpy((o), "" lit, sizeof(lit) - 1), (o) += sizeof(lit) - 1)

static char *put_uint(char *o, unsigned long long v)
{
	/* Half of a line's numbers are one digit (indexes, counts). */
	if (v < 10) {
		*o++ = (char)('0' + v);
		return o;
	}
	return o + jw_u64_text(o, v);
}

/* A string of ours that needs no escaping: an address, a type, rcode,
 * verdict or kind name, the flags in hex (printable ASCII, no '"' or '\'). */
static char *put_plain(char *o, const char *s)
{
	size_t n = strlen(s);
	*o++ = '"';
	memcpy(o, s, n);
	o += n;
	*o++ = '"';
	return o;
}

static char *put_bool(char *o, bool v)
{
	if (v)
		LIT(o, "true");
	else
		LIT(o, "false");
	return o;
}

static char *put_hex(char *o, const uint8_t *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		*o++ = hex[bytes[i] >> 4];
		*o++ = hex[bytes[i] & 15];
	}
	*o++ = '"';
	return o;
}

static char *write_reply(char *o, const struct probe_reply *p, unsigned idx, unsigned flags)
{
	char b[64];
	LIT(o, "{\"index\":");
	o = put_uint(o, idx);
	LIT(o, ",\"time_us\":");
	o = put_uint(o, p->time_us);
	LIT(o, ",\"rtt_us\":");
	o = put_uint(o, p->rtt_us);
	LIT(o, ",\"src\":");
	o = put_plain(o, net_packet_addr_text(p->family, p->src, b, sizeof b));
	LIT(o, ",\"sport\":");
	o = put_uint(o, p->sport);
	/* IP-level fields are null when not captured; ID and DF exist for IPv4 only. */
	LIT(o, ",\"ip_ttl\":");
	if (p->ip_known)
		o = put_uint(o, p->ip_ttl);
	else
		LIT(o, "null");
	LIT(o, ",\"ip_id\":");
	if (p->ip_known && p->family == AF_INET)
		o = put_uint(o, p->ip_id);
	else
		LIT(o, "null");
	LIT(o, ",\"df\":");
	if (p->ip_known && p->family == AF_INET)
		o = put_bool(o, p->df);
	else
		LIT(o, "null");
	LIT(o, ",\"parsed\":");
	o = put_bool(o, p->parsed);
	LIT(o, ",\"len\":");
	o = put_uint(o, p->len);
	if (p->parsed) {
		static const char hex[] = "0123456789abcdef";
		LIT(o, ",\"flags\":\"0x");
		for (int k = 0; k < 4; k++)
			*o++ = hex[(p->flags >> (12 - 4 * k)) & 15];
		LIT(o, "\",\"flag_names\":[");
		bool first = true;
		for (size_t i = 0; i < sizeof flag_bits / sizeof flag_bits[0]; i++)
			if (p->flags & flag_bits[i].bit) {
				if (!first)
					*o++ = ',';
				first = false;
				o = put_plain(o, flag_bits[i].name);
			}
		LIT(o, "],\"rcode\":");
		o = put_plain(o, wire_rcode_name(p->rcode, b, sizeof b));
		LIT(o, ",\"ancount\":");
		o = put_uint(o, p->ancount);
		LIT(o, ",\"nscount\":");
		o = put_uint(o, p->nscount);
		LIT(o, ",\"arcount\":");
		o = put_uint(o, p->arcount);
		LIT(o, ",\"question_match\":");
		o = put_bool(o, p->question_match);
		LIT(o, ",\"answer_ptr\":");
		o = put_bool(o, p->answer_ptr);
		LIT(o, ",\"answer_ttl\":");
		o = put_uint(o, p->answer_ttl);
		LIT(o, ",\"cnames\":");
		o = put_uint(o, p->ncnames);
		LIT(o, ",\"answers\":[");
		unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < n; i++) {
			if (i)
				*o++ = ',';
			LIT(o, "{\"addr\":");
			o = put_plain(o, net_packet_addr_text(p->addrs[i].family, p->addrs[i].addr, b,
							      sizeof b));
			LIT(o, ",\"ttl\":");
			o = put_uint(o, p->addrs[i].ttl);
			*o++ = '}';
		}
		*o++ = ']';
	}
	if (flags & NDJSON_RAW) {
		size_t n = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		LIT(o, ",\"raw\":");
		o = put_hex(o, p->raw, n);
		LIT(o, ",\"raw_cut\":");
		o = put_bool(o, n < p->len);
	}
	*o++ = '}';
	return o;
}

/* R's line into LINE (LINE_TEXT_MAX bytes); returns its length. */
static size_t write_result(char *line, const struct probe_result *r,
			   const struct probe_target *targets, size_t ntargets, unsigned flags)
{
	char b[WIRE_NAME_TEXT_MAX];
	char *o = line;
	LIT(o, "{\"seq\":");
	o = put_uint(o, r->seq);
	LIT(o, ",\"line\":");
	o = put_uint(o, r->line);
	LIT(o, ",\"name\":");
	if (wire_name_len(r->qname, WIRE_NAME_MAX)) {
		wire_name_to_text(r->qname, b, sizeof b);
		o += jw_escape(o, b, strnlen(b, sizeof b));
	} else {
		LIT(o, "null");
	}
	LIT(o, ",\"qtype\":");
	o = put_plain(o, wire_type_name(r->qtype, b, sizeof b));
	LIT(o, ",\"target\":{\"index\":");
	o = put_uint(o, r->target);
	if (r->target < ntargets) {
		const struct probe_target *t = &targets[r->target];
		LIT(o, ",\"label\":");
		o += jw_escape(o, t->label, strnlen(t->label, sizeof t->label));
		LIT(o, ",\"kind\":");
		o = put_plain(o, probe_target_kind_name(t->kind));
		LIT(o, ",\"addr\":");
		o = put_plain(o, net_packet_addr_text(t->family, t->addr, b, sizeof b));
		LIT(o, ",\"port\":");
		o = put_uint(o, t->port);
	}
	LIT(o, "},\"id\":");
	o = put_uint(o, r->id);
	LIT(o, ",\"sport\":");
	o = put_uint(o, r->sport);
	LIT(o, ",\"attempts\":");
	o = put_uint(o, r->attempts);
	LIT(o, ",\"sent_us\":");
	o = put_uint(o, r->sent_us);
	LIT(o, ",\"verdict\":");
	o = put_plain(o, probe_verdict_name(r->verdict));
	LIT(o, ",\"evidence\":");
	o += jw_escape(o, r->evidence, strnlen(r->evidence, sizeof r->evidence));
	LIT(o, ",\"forged_reply\":");
	if (r->forged_reply >= 0)
		o = put_uint(o, (unsigned)r->forged_reply);
	else
		LIT(o, "null");
	LIT(o, ",\"group\":");
	if (r->group >= 0)
		o = put_uint(o, (unsigned)r->group);
	else
		LIT(o, "null");
	LIT(o, ",\"replies_seen\":");
	o = put_uint(o, r->replies_seen);
	LIT(o, ",\"replies\":[");
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = write_reply(o, &r->reply[i], i, flags);
	}
	LIT(o, "]}\n");
	return (size_t)(o - line);
}

int ndjson_write_result(FILE *out, const struct probe_result *r,
			const struct probe_target *targets, size_t ntargets,
			unsigned flags)
{
	/* The line is made in memory and written in one call. */
	char line[LINE_TEXT_MAX];
	fwrite_unlocked(line, 1, write_result(line, r, targets, ntargets, flags), out);
	if (ferror_unlocked(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
