/* NDJSON output of probe results (see ndjson.h, docs/store.md). */
#include "store/ndjson.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "util/json.h"
#include "wire/msg.h"
#include "wire/name.h"

const char *ndjson_target_kind_name(enum probe_target_kind k)
{
	switch (k) {
	case TARGET_RESOLVER: return "resolver";
	case TARGET_AUTH: return "auth";
	case TARGET_NODNS: return "nodns";
	}
	return "?";
}

static const struct {
	uint16_t bit;
	const char *name;
} flag_bits[] = {
	{WIRE_FLAG_QR, "qr"}, {WIRE_FLAG_AA, "aa"}, {WIRE_FLAG_TC, "tc"},
	{WIRE_FLAG_RD, "rd"}, {WIRE_FLAG_RA, "ra"}, {WIRE_FLAG_Z, "z"},
	{WIRE_FLAG_AD, "ad"}, {WIRE_FLAG_CD, "cd"},
};

static void write_reply(struct json *j, const struct probe_reply *p, unsigned idx,
			unsigned flags)
{
	char b[64];
	json_object_begin(j);
	json_key(j, "index");
	json_uint(j, idx);
	json_key(j, "time_us");
	json_uint(j, p->time_us);
	json_key(j, "rtt_us");
	json_uint(j, p->rtt_us);
	json_key(j, "src");
	json_string(j, net_packet_addr_text(p->family, p->src, b, sizeof b));
	json_key(j, "sport");
	json_uint(j, p->sport);
	/* IP-level fields are null when not captured; ID and DF exist for IPv4 only. */
	json_key(j, "ip_ttl");
	if (p->ip_known)
		json_uint(j, p->ip_ttl);
	else
		json_null(j);
	json_key(j, "ip_id");
	if (p->ip_known && p->family == AF_INET)
		json_uint(j, p->ip_id);
	else
		json_null(j);
	json_key(j, "df");
	if (p->ip_known && p->family == AF_INET)
		json_bool(j, p->df);
	else
		json_null(j);
	json_key(j, "parsed");
	json_bool(j, p->parsed);
	json_key(j, "len");
	json_uint(j, p->len);
	if (p->parsed) {
		snprintf(b, sizeof b, "0x%04x", p->flags);
		json_key(j, "flags");
		json_string(j, b);
		json_key(j, "flag_names");
		json_array_begin(j);
		for (size_t i = 0; i < sizeof flag_bits / sizeof flag_bits[0]; i++)
			if (p->flags & flag_bits[i].bit)
				json_string(j, flag_bits[i].name);
		json_array_end(j);
		json_key(j, "rcode");
		json_string(j, wire_rcode_name(p->rcode, b, sizeof b));
		json_key(j, "ancount");
		json_uint(j, p->ancount);
		json_key(j, "nscount");
		json_uint(j, p->nscount);
		json_key(j, "arcount");
		json_uint(j, p->arcount);
		json_key(j, "question_match");
		json_bool(j, p->question_match);
		json_key(j, "answer_ptr");
		json_bool(j, p->answer_ptr);
		json_key(j, "answer_ttl");
		json_uint(j, p->answer_ttl);
		json_key(j, "cnames");
		json_uint(j, p->ncnames);
		json_key(j, "answers");
		json_array_begin(j);
		unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < n; i++) {
			json_object_begin(j);
			json_key(j, "addr");
			json_string(j, net_packet_addr_text(p->addrs[i].family, p->addrs[i].addr, b,
							sizeof b));
			json_key(j, "ttl");
			json_uint(j, p->addrs[i].ttl);
			json_object_end(j);
		}
		json_array_end(j);
	}
	if (flags & NDJSON_RAW) {
		size_t n = p->rawlen <= PROBE_RAW_MAX ? p->rawlen : PROBE_RAW_MAX;
		json_key(j, "raw");
		json_hex(j, p->raw, n);
		json_key(j, "raw_cut");
		json_bool(j, n < p->len);
	}
	json_object_end(j);
}

int ndjson_write_result(FILE *out, const struct probe_result *r,
			const struct probe_target *targets, size_t ntargets,
			unsigned flags)
{
	char b[WIRE_NAME_TEXT_MAX];
	struct json j;
	json_init(&j, out);
	json_object_begin(&j);
	json_key(&j, "seq");
	json_uint(&j, r->seq);
	json_key(&j, "line");
	json_uint(&j, r->line);
	json_key(&j, "name");
	if (wire_name_len(r->qname, WIRE_NAME_MAX)) {
		wire_name_to_text(r->qname, b, sizeof b);
		json_string(&j, b);
	} else {
		json_null(&j);
	}
	json_key(&j, "qtype");
	json_string(&j, wire_type_name(r->qtype, b, sizeof b));
	json_key(&j, "target");
	json_object_begin(&j);
	json_key(&j, "index");
	json_uint(&j, r->target);
	if (r->target < ntargets) {
		const struct probe_target *t = &targets[r->target];
		json_key(&j, "label");
		json_string_n(&j, t->label, strnlen(t->label, sizeof t->label));
		json_key(&j, "kind");
		json_string(&j, ndjson_target_kind_name(t->kind));
		json_key(&j, "addr");
		json_string(&j, net_packet_addr_text(t->family, t->addr, b, sizeof b));
		json_key(&j, "port");
		json_uint(&j, t->port);
	}
	json_object_end(&j);
	json_key(&j, "id");
	json_uint(&j, r->id);
	json_key(&j, "sport");
	json_uint(&j, r->sport);
	json_key(&j, "attempts");
	json_uint(&j, r->attempts);
	json_key(&j, "sent_us");
	json_uint(&j, r->sent_us);
	json_key(&j, "verdict");
	json_string(&j, probe_verdict_name(r->verdict));
	json_key(&j, "evidence");
	json_string_n(&j, r->evidence, strnlen(r->evidence, sizeof r->evidence));
	json_key(&j, "forged_reply");
	if (r->forged_reply >= 0)
		json_int(&j, r->forged_reply);
	else
		json_null(&j);
	json_key(&j, "group");
	if (r->group >= 0)
		json_int(&j, r->group);
	else
		json_null(&j);
	json_key(&j, "replies_seen");
	json_uint(&j, r->replies_seen);
	json_key(&j, "replies");
	json_array_begin(&j);
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	for (unsigned i = 0; i < n; i++)
		write_reply(&j, &r->reply[i], i, flags);
	json_array_end(&j);
	json_object_end(&j);
	json_newline(&j);
	if (ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
