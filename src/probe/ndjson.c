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

static void write_reply(struct jw *j, const struct probe_reply *p, unsigned idx,
			unsigned flags)
{
	char b[64];
	jw_object_begin(j);
	JW_KEY(j, "index");
	jw_uint(j, idx);
	JW_KEY(j, "time_us");
	jw_uint(j, p->time_us);
	JW_KEY(j, "rtt_us");
	jw_uint(j, p->rtt_us);
	JW_KEY(j, "src");
	jw_string(j, net_packet_addr_text(p->family, p->src, b, sizeof b));
	JW_KEY(j, "sport");
	jw_uint(j, p->sport);
	/* IP-level fields are null when not captured; ID and DF exist for IPv4 only. */
	JW_KEY(j, "ip_ttl");
	if (p->ip_known)
		jw_uint(j, p->ip_ttl);
	else
		jw_null(j);
	JW_KEY(j, "ip_id");
	if (p->ip_known && p->family == AF_INET)
		jw_uint(j, p->ip_id);
	else
		jw_null(j);
	JW_KEY(j, "df");
	if (p->ip_known && p->family == AF_INET)
		jw_bool(j, p->df);
	else
		jw_null(j);
	JW_KEY(j, "parsed");
	jw_bool(j, p->parsed);
	JW_KEY(j, "len");
	jw_uint(j, p->len);
	if (p->parsed) {
		static const char hex[] = "0123456789abcdef";
		b[0] = '0', b[1] = 'x';
		for (int k = 0; k < 4; k++)
			b[2 + k] = hex[(p->flags >> (12 - 4 * k)) & 15];
		b[6] = 0;
		JW_KEY(j, "flags");
		jw_string(j, b);
		JW_KEY(j, "flag_names");
		jw_array_begin(j);
		for (size_t i = 0; i < sizeof flag_bits / sizeof flag_bits[0]; i++)
			if (p->flags & flag_bits[i].bit)
				jw_string(j, flag_bits[i].name);
		jw_array_end(j);
		JW_KEY(j, "rcode");
		jw_string(j, wire_rcode_name(p->rcode, b, sizeof b));
		JW_KEY(j, "ancount");
		jw_uint(j, p->ancount);
		JW_KEY(j, "nscount");
		jw_uint(j, p->nscount);
		JW_KEY(j, "arcount");
		jw_uint(j, p->arcount);
		JW_KEY(j, "question_match");
		jw_bool(j, p->question_match);
		JW_KEY(j, "answer_ptr");
		jw_bool(j, p->answer_ptr);
		JW_KEY(j, "answer_ttl");
		jw_uint(j, p->answer_ttl);
		JW_KEY(j, "cnames");
		jw_uint(j, p->ncnames);
		JW_KEY(j, "answers");
		jw_array_begin(j);
		unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < n; i++) {
			jw_object_begin(j);
			JW_KEY(j, "addr");
			jw_string(j, net_packet_addr_text(p->addrs[i].family, p->addrs[i].addr, b,
							sizeof b));
			JW_KEY(j, "ttl");
			jw_uint(j, p->addrs[i].ttl);
			jw_object_end(j);
		}
		jw_array_end(j);
	}
	if (flags & NDJSON_RAW) {
		size_t n = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		JW_KEY(j, "raw");
		jw_hex(j, p->raw, n);
		JW_KEY(j, "raw_cut");
		jw_bool(j, n < p->len);
	}
	jw_object_end(j);
}

static void write_result(struct jw *jp, const struct probe_result *r,
			 const struct probe_target *targets, size_t ntargets, unsigned flags)
{
	char b[WIRE_NAME_TEXT_MAX];
	struct jw j = *jp;
	jw_object_begin(&j);
	JW_KEY(&j, "seq");
	jw_uint(&j, r->seq);
	JW_KEY(&j, "line");
	jw_uint(&j, r->line);
	JW_KEY(&j, "name");
	if (wire_name_len(r->qname, WIRE_NAME_MAX)) {
		wire_name_to_text(r->qname, b, sizeof b);
		jw_string(&j, b);
	} else {
		jw_null(&j);
	}
	JW_KEY(&j, "qtype");
	jw_string(&j, wire_type_name(r->qtype, b, sizeof b));
	JW_KEY(&j, "target");
	jw_object_begin(&j);
	JW_KEY(&j, "index");
	jw_uint(&j, r->target);
	if (r->target < ntargets) {
		const struct probe_target *t = &targets[r->target];
		JW_KEY(&j, "label");
		jw_string_n(&j, t->label, strnlen(t->label, sizeof t->label));
		JW_KEY(&j, "kind");
		jw_string(&j, probe_target_kind_name(t->kind));
		JW_KEY(&j, "addr");
		jw_string(&j, net_packet_addr_text(t->family, t->addr, b, sizeof b));
		JW_KEY(&j, "port");
		jw_uint(&j, t->port);
	}
	jw_object_end(&j);
	JW_KEY(&j, "id");
	jw_uint(&j, r->id);
	JW_KEY(&j, "sport");
	jw_uint(&j, r->sport);
	JW_KEY(&j, "attempts");
	jw_uint(&j, r->attempts);
	JW_KEY(&j, "sent_us");
	jw_uint(&j, r->sent_us);
	JW_KEY(&j, "verdict");
	jw_string(&j, probe_verdict_name(r->verdict));
	JW_KEY(&j, "evidence");
	jw_string_n(&j, r->evidence, strnlen(r->evidence, sizeof r->evidence));
	JW_KEY(&j, "forged_reply");
	if (r->forged_reply >= 0)
		jw_int(&j, r->forged_reply);
	else
		jw_null(&j);
	JW_KEY(&j, "group");
	if (r->group >= 0)
		jw_int(&j, r->group);
	else
		jw_null(&j);
	JW_KEY(&j, "replies_seen");
	jw_uint(&j, r->replies_seen);
	JW_KEY(&j, "replies");
	jw_array_begin(&j);
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++)
		write_reply(&j, &r->reply[i], i, flags);
	jw_array_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
	*jp = j;
}

int ndjson_write_result(FILE *out, const struct probe_result *r,
			const struct probe_target *targets, size_t ntargets,
			unsigned flags)
{
	/* The line is made in memory and written in one call; one that does
	 * not fit (raw bytes of many replies) goes straight to OUT. */
	char line[32768];
	struct jw j;
	jw_init_buf(&j, line, sizeof line);
	write_result(&j, r, targets, ntargets, flags);
	if (!j.overflow) {
		fwrite_unlocked(line, 1, j.len, out);
	} else {
		jw_init(&j, out);
		write_result(&j, r, targets, ntargets, flags);
	}
	if (ferror_unlocked(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
