/* Filling a probe_reply from raw DNS bytes (see reply.h). */
#include "probe/reply.h"

#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "wire/edns.h"
#include "wire/msg.h"
#include "wire/name.h"

/* Records read per reply: more than any honest answer to one A/AAAA query
 * needs; a reply with more still counts, with its first records. */
#define REPLY_RR_MAX 64

size_t probe_question_make(const uint8_t *name, uint16_t type, uint8_t *out)
{
	size_t n = wire_name_len(name, WIRE_NAME_MAX);
	if (!n)
		return 0;
	memcpy(out, name, n);
	out[n] = (uint8_t)(type >> 8);
	out[n + 1] = (uint8_t)type;
	out[n + 2] = 0;
	out[n + 3] = WIRE_C_IN;
	return n + 4;
}

/* The first Extended DNS Error of M (RFC 8914), if any, into R: kept here,
 * where the message is parsed anyway, so the classifier need not parse it
 * again. */
static void reply_ede(struct probe_reply *r, const struct wire_msg *m)
{
	if (!m->edns.present)
		return;
	size_t pos = 0;
	uint16_t code, olen;
	const uint8_t *data;
	while (wire_edns_next_option(m, &pos, &code, &data, &olen))
		if (code == WIRE_EDNS_EDE && olen >= 2) {
			r->has_ede = true;
			r->ede = (uint16_t)(data[0] << 8 | data[1]);
			return;
		}
}

int probe_reply_fill(struct probe_reply *r, const uint8_t *dns, size_t len,
		     const uint8_t *question, size_t qlen)
{
	struct wire_rr rr[REPLY_RR_MAX];
	struct wire_msg m;

	r->parsed = false;
	r->question_match = false;
	r->flags = 0;
	r->rcode = 0;
	r->ancount = r->nscount = r->arcount = 0;
	r->answer_ptr = false;
	r->answer_ttl = 0;
	r->naddrs = 0;
	memset(r->addrs, 0, sizeof r->addrs);
	r->ncnames = 0;
	r->has_ede = false;
	r->ede = 0;
	r->len = (uint16_t)(len < WIRE_MSG_MAX ? len : WIRE_MSG_MAX);
	r->rawlen = (uint16_t)(len < PROBE_RAW_MAX ? len : PROBE_RAW_MAX);
	memcpy(r->raw, dns, r->rawlen);
	if (len < WIRE_HEADER_LEN) {
		if (len >= 4)
			r->flags = (uint16_t)(dns[2] << 8 | dns[3]);
		r->rcode = WIRE_RCODE(r->flags);
		return -1;
	}

	enum dw_status st = wire_msg_parse(&m, dns, len, rr, REPLY_RR_MAX);
	/* Too many records is not malformed: the first REPLY_RR_MAX were read
	 * and checked, and they are what a verdict looks at. */
	r->parsed = st == DW_OK || st == DW_E_TOO_MANY_RR;
	r->flags = m.hdr.flags;
	r->rcode = (uint16_t)(st == DW_OK ? wire_msg_rcode(&m) : WIRE_RCODE(m.hdr.flags));
	r->ancount = m.hdr.count[WIRE_SEC_ANSWER];
	r->nscount = m.hdr.count[WIRE_SEC_AUTHORITY];
	r->arcount = m.hdr.count[WIRE_SEC_ADDITIONAL];

	/* The question: one, in place at offset 12 (a question's name can hold
	 * no pointer there, nothing precedes it), equal byte for byte. */
	if (question && qlen && m.hdr.count[WIRE_SEC_QUESTION] == 1 && m.rr_count >= 1 &&
	    m.rr[0].rdata_off == WIRE_HEADER_LEN + qlen &&
	    memcmp(dns + WIRE_HEADER_LEN, question, qlen) == 0)
		r->question_match = true;

	size_t a0 = wire_msg_section_start(&m, WIRE_SEC_ANSWER);
	size_t an = wire_msg_section_count(&m, WIRE_SEC_ANSWER);
	for (size_t k = a0; k < a0 + an && k < m.rr_count; k++) {
		const struct wire_rr *x = &m.rr[k];
		if (k == a0) {
			r->answer_ttl = x->ttl;
			/* c00c: the owner is a pointer to the question's name. */
			r->answer_ptr = (size_t)x->owner_off + 1 < len && dns[x->owner_off] == 0xC0 &&
					dns[x->owner_off + 1] == WIRE_HEADER_LEN;
		}
		if (x->type == WIRE_T_CNAME && r->ncnames < UINT8_MAX)
			r->ncnames++;
		if ((x->type == WIRE_T_A && x->rdlen == 4) || (x->type == WIRE_T_AAAA && x->rdlen == 16)) {
			if (r->naddrs >= PROBE_ADDRS_MAX)
				continue;
			struct probe_addr *a = &r->addrs[r->naddrs++];
			a->family = x->type == WIRE_T_A ? AF_INET : AF_INET6;
			memcpy(a->addr, dns + x->rdata_off, x->rdlen);
			a->ttl = x->ttl;
		}
	}
	/* Only from a whole parse: with too many records the OPT record may
	 * not have been reached. */
	if (st == DW_OK)
		reply_ede(r, &m);
	return r->parsed ? 0 : -1;
}

void probe_reply_set_ip(struct probe_reply *r, const struct net_packet *p, uint64_t time_us)
{
	r->time_us = time_us;
	r->family = p->family;
	memcpy(r->src, p->src, sizeof r->src);
	r->sport = p->sport;
	r->ip_known = true;
	r->ip_ttl = p->ttl;
	r->ip_id = p->ip_id;
	r->df = p->df;
}
