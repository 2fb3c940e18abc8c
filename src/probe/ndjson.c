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
	jw_key(j, "index");
	jw_uint(j, idx);
	jw_key(j, "time_us");
	jw_uint(j, p->time_us);
	jw_key(j, "rtt_us");
	jw_uint(j, p->rtt_us);
	jw_key(j, "src");
	jw_string(j, net_packet_addr_text(p->family, p->src, b, sizeof b));
	jw_key(j, "sport");
	jw_uint(j, p->sport);
	/* IP-level fields are null when not captured; ID and DF exist for IPv4 only. */
	jw_key(j, "ip_ttl");
	if (p->ip_known)
		jw_uint(j, p->ip_ttl);
	else
		jw_null(j);
	jw_key(j, "ip_id");
	if (p->ip_known && p->family == AF_INET)
		jw_uint(j, p->ip_id);
	else
		jw_null(j);
	jw_key(j, "df");
	if (p->ip_known && p->family == AF_INET)
		jw_bool(j, p->df);
	else
		jw_null(j);
	jw_key(j, "parsed");
	jw_bool(j, p->parsed);
	jw_key(j, "len");
	jw_uint(j, p->len);
	if (p->parsed) {
		snprintf(b, sizeof b, "0x%04x", p->flags);
		jw_key(j, "flags");
		jw_string(j, b);
		jw_key(j, "flag_names");
		jw_array_begin(j);
		for (size_t i = 0; i < sizeof flag_bits / sizeof flag_bits[0]; i++)
			if (p->flags & flag_bits[i].bit)
				jw_string(j, flag_bits[i].name);
		jw_array_end(j);
		jw_key(j, "rcode");
		jw_string(j, wire_rcode_name(p->rcode, b, sizeof b));
		jw_key(j, "ancount");
		jw_uint(j, p->ancount);
		jw_key(j, "nscount");
		jw_uint(j, p->nscount);
		jw_key(j, "arcount");
		jw_uint(j, p->arcount);
		jw_key(j, "question_match");
		jw_bool(j, p->question_match);
		jw_key(j, "answer_ptr");
		jw_bool(j, p->answer_ptr);
		jw_key(j, "answer_ttl");
		jw_uint(j, p->answer_ttl);
		jw_key(j, "cnames");
		jw_uint(j, p->ncnames);
		jw_key(j, "answers");
		jw_array_begin(j);
		unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < n; i++) {
			jw_object_begin(j);
			jw_key(j, "addr");
			jw_string(j, net_packet_addr_text(p->addrs[i].family, p->addrs[i].addr, b,
							sizeof b));
			jw_key(j, "ttl");
			jw_uint(j, p->addrs[i].ttl);
			jw_object_end(j);
		}
		jw_array_end(j);
	}
	if (flags & NDJSON_RAW) {
		size_t n = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		jw_key(j, "raw");
		jw_hex(j, p->raw, n);
		jw_key(j, "raw_cut");
		jw_bool(j, n < p->len);
	}
	jw_object_end(j);
}

int ndjson_write_result(FILE *out, const struct probe_result *r,
			const struct probe_target *targets, size_t ntargets,
			unsigned flags)
{
	char b[WIRE_NAME_TEXT_MAX];
	struct jw j;
	jw_init(&j, out);
	jw_object_begin(&j);
	jw_key(&j, "seq");
	jw_uint(&j, r->seq);
	jw_key(&j, "line");
	jw_uint(&j, r->line);
	jw_key(&j, "name");
	if (wire_name_len(r->qname, WIRE_NAME_MAX)) {
		wire_name_to_text(r->qname, b, sizeof b);
		jw_string(&j, b);
	} else {
		jw_null(&j);
	}
	jw_key(&j, "qtype");
	jw_string(&j, wire_type_name(r->qtype, b, sizeof b));
	jw_key(&j, "target");
	jw_object_begin(&j);
	jw_key(&j, "index");
	jw_uint(&j, r->target);
	if (r->target < ntargets) {
		const struct probe_target *t = &targets[r->target];
		jw_key(&j, "label");
		jw_string_n(&j, t->label, strnlen(t->label, sizeof t->label));
		jw_key(&j, "kind");
		jw_string(&j, probe_target_kind_name(t->kind));
		jw_key(&j, "addr");
		jw_string(&j, net_packet_addr_text(t->family, t->addr, b, sizeof b));
		jw_key(&j, "port");
		jw_uint(&j, t->port);
	}
	jw_object_end(&j);
	jw_key(&j, "id");
	jw_uint(&j, r->id);
	jw_key(&j, "sport");
	jw_uint(&j, r->sport);
	jw_key(&j, "attempts");
	jw_uint(&j, r->attempts);
	jw_key(&j, "sent_us");
	jw_uint(&j, r->sent_us);
	jw_key(&j, "verdict");
	jw_string(&j, probe_verdict_name(r->verdict));
	jw_key(&j, "evidence");
	jw_string_n(&j, r->evidence, strnlen(r->evidence, sizeof r->evidence));
	jw_key(&j, "forged_reply");
	if (r->forged_reply >= 0)
		jw_int(&j, r->forged_reply);
	else
		jw_null(&j);
	jw_key(&j, "group");
	if (r->group >= 0)
		jw_int(&j, r->group);
	else
		jw_null(&j);
	jw_key(&j, "replies_seen");
	jw_uint(&j, r->replies_seen);
	jw_key(&j, "replies");
	jw_array_begin(&j);
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++)
		write_reply(&j, &r->reply[i], i, flags);
	jw_array_end(&j);
	jw_object_end(&j);
	jw_newline(&j);
	if (ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
