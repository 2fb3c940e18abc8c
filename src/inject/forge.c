/* Query vetting and reply forging (see forge.h). */
#include "inject/forge.h"

#include <string.h>
#include <sys/socket.h>

#include "util/hash.h"
#include "util/rand.h"
#include "wire/build.h"

enum inject_class inject_classify(int link, const uint8_t *frame, size_t len,
				  struct inject_query *q)
{
	q->frame = frame;
	q->len = len;
	enum dw_status st = net_packet_parse(link, frame, len, &q->pkt);
	if (st == DW_E_FRAGMENT)
		return INJ_FRAGMENT;
	if (st != DW_OK || q->pkt.dport != 53 || q->pkt.payload_cut)
		return INJ_NOT_UDP53;
	q->l2_len = (size_t)(q->pkt.ip - frame);

	if (wire_msg_parse(&q->msg, q->pkt.payload, q->pkt.payload_len, q->rr,
			   INJECT_QUERY_RR) != DW_OK)
		return q->pkt.payload_len >= WIRE_HEADER_LEN && (q->pkt.payload[2] & 0x80)
			       ? INJ_RESPONSE : INJ_MALFORMED;
	const struct wire_header *h = &q->msg.hdr;
	if (h->flags & WIRE_FLAG_QR)
		return INJ_RESPONSE;
	if (WIRE_OPCODE(h->flags) != 0 || h->count[WIRE_SEC_QUESTION] != 1 ||
	    h->count[WIRE_SEC_ANSWER] || h->count[WIRE_SEC_AUTHORITY] ||
	    q->rr[0].class != WIRE_C_IN)
		return INJ_NOT_QUERY;
	q->qname_len = wire_msg_name(&q->msg, q->rr[0].owner_off, q->qname);
	/* A compressed question name cannot occur in a real query (nothing to
	 * point at); copying it verbatim would make a reply that points into
	 * nowhere, so such a query is not answered. */
	if (!q->qname_len || q->rr[0].owner_off + q->qname_len + 4 != q->rr[0].rdata_off)
		return INJ_NOT_QUERY;
	q->qtype = q->rr[0].type;
	q->question_end = q->rr[0].rdata_off;
	q->rd = (h->flags & WIRE_FLAG_RD) != 0;
	return INJ_QUERY;
}

bool inject_profile_answers(const struct inject_profile *p, const struct inject_query *q)
{
	return p->answers == RD_ANY || (p->answers == RD_ONLY_SET && q->rd) ||
	       (p->answers == RD_ONLY_CLEAR && !q->rd);
}

/* Seeded per injector, so a scenario replays with the same fingerprints. */
static uint64_t next_rand(struct forge_state *st)
{
	return splitmix64(&st->rng);
}

void forge_state_init(struct forge_state *st, uint64_t seed)
{
	memset(st, 0, sizeof *st);
	st->rng = seed;
	st->ipid = (uint16_t)next_rand(st);
}

/* FNV-1a over the lower-cased name: the key of the name's pool cursor. */
static uint64_t name_key(const uint8_t *name, size_t len)
{
	uint64_t h = HASH_FNV_OFFSET;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = name[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * HASH_FNV_PRIME;
	}
	return h | 1; /* 0 marks an empty slot */
}

/*
 * The next address of POOL for this name: each name walks the pool in its
 * fixed order, from a starting point of its own, one step per forged reply,
 * as the GFW's pools were measured to do. A name whose cursor slot was taken
 * by another name starts over; the order is kept, the phase is lost.
 */
static uint32_t pool_next(struct forge_state *st, const struct inject_rules *r,
			  const struct inject_rule_pool *pool, const uint8_t *name, size_t len)
{
	if (pool->count == 1)
		return r->addrs[pool->first];
	uint64_t key = name_key(name, len);
	size_t slot = (size_t)(key % FORGE_CURSORS);
	if (st->cursor[slot].key != key) {
		st->cursor[slot].key = key;
		st->cursor[slot].next = (uint32_t)(key >> 32) % pool->count;
	}
	uint32_t i = st->cursor[slot].next;
	st->cursor[slot].next = (i + 1) % pool->count;
	return r->addrs[pool->first + i];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 one's-complement sum. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, p += 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t reply_flags(const struct inject_profile *p, const struct inject_query *q,
			    unsigned rcode)
{
	uint16_t qf = q->msg.hdr.flags;
	uint16_t f = WIRE_FLAG_QR | (qf & 0x7800); /* opcode copied */
	switch (p->flags) {
	case FLAGS_COPY:
		f |= (qf & WIRE_FLAG_RD) | WIRE_FLAG_RA;
		break;
	case FLAGS_RA:
		f |= WIRE_FLAG_RD | WIRE_FLAG_RA;
		break;
	case FLAGS_AA:
		f |= WIRE_FLAG_AA;
		break;
	case FLAGS_FOLLOW:
		f |= q->rd ? (WIRE_FLAG_RD | WIRE_FLAG_RA) : WIRE_FLAG_AA;
		break;
	}
	return (uint16_t)(f | rcode);
}

/* The DNS reply into OUT; returns its length, 0 if nothing to send. */
static size_t forge_dns(const struct inject_profile *p, struct forge_state *st,
			const struct inject_rules *r, const struct inject_rule *rule,
			const struct inject_query *q, uint8_t *out, size_t cap)
{
	unsigned rcode = rule->action == RULE_NXDOMAIN ? WIRE_RCODE_NXDOMAIN : 0;
	uint8_t rdata[16];
	uint16_t type = 0, rdlen = 0;

	if (rule->action == RULE_FORGE) {
		/* AAAA queries get AAAA if the rule has them; every other
		 * type gets an A record, as the GFW answers MX or TXT queries
		 * with an A record too (Wallbleed 4). */
		if (q->qtype == WIRE_T_AAAA && rule->aaaa.set) {
			type = WIRE_T_AAAA;
			rdlen = 16;
			uint64_t hi = next_rand(st), lo = next_rand(st);
			for (int i = 0; i < 8; i++) {
				rdata[i] = (uint8_t)(hi >> (8 * i));
				rdata[8 + i] = (uint8_t)(lo >> (8 * i));
			}
			/* The prefix bits, then pseudo-random host bits. */
			unsigned bits = rule->aaaa.prefix_len;
			for (unsigned i = 0; i < 16 && bits; i++) {
				unsigned take = bits >= 8 ? 8 : bits;
				uint8_t mask = (uint8_t)(0xff00 >> take);
				rdata[i] = (uint8_t)((rule->aaaa.prefix[i] & mask) | (rdata[i] & ~mask));
				bits -= take;
			}
		} else if (rule->a.set) {
			type = WIRE_T_A;
			rdlen = 4;
			uint32_t a = pool_next(st, r, &r->pools[rule->a.pool], q->qname, q->qname_len);
			memcpy(rdata, &a, 4); /* already network order */
		} else {
			return 0;
		}
	}
	uint32_t ttl = rule->has_ttl ? rule->ttl : p->answer_ttl;
	if (!rule->has_ttl && p->answer_ttl_max > p->answer_ttl)
		ttl += (uint32_t)(next_rand(st) % (p->answer_ttl_max - p->answer_ttl + 1));

	/*
	 * The question as sent: the name as the query spelled it (case kept, so
	 * a resolver's 0x20 check passes, as real injectors' replies do; vetted
	 * uncompressed, so these are the query's bytes). Compression is off: the
	 * answer's owner is what the profile says, a pointer to the question
	 * (even for the root name, which compression would write as its one
	 * byte) or the name in full, never what the builder would choose.
	 */
	struct wire_builder b;
	wire_build_init(&b, out, cap, q->msg.hdr.id, reply_flags(p, q, rcode));
	b.compress = 0;
	wire_build_question(&b, q->qname, q->qtype, WIRE_C_IN);
	if (type && p->answer_ptr)
		wire_build_rr_ptr(&b, WIRE_SEC_ANSWER, WIRE_HEADER_LEN, type, WIRE_C_IN, ttl, rdata, rdlen);
	else if (type)
		wire_build_rr_raw(&b, WIRE_SEC_ANSWER, q->qname, type, WIRE_C_IN, ttl, rdata, rdlen);
	size_t n;
	return wire_build_finish(&b, &n) == DW_OK ? n : 0;
}

static uint8_t reply_ttl(const struct inject_profile *p, struct forge_state *st,
			 const struct inject_query *q)
{
	int t;
	switch (p->ttl_mode) {
	case TTL_MIRROR:
		t = q->pkt.ttl + p->ttl_offset;
		return (uint8_t)(t < 1 ? 1 : t > 255 ? 255 : t);
	case TTL_RANDOM:
		return (uint8_t)(p->ttl + next_rand(st) % ((unsigned)p->ttl_max - p->ttl + 1));
	default:
		return p->ttl;
	}
}

static uint16_t reply_ipid(const struct inject_profile *p, struct forge_state *st,
			   const struct inject_query *q)
{
	switch (p->ipid_mode) {
	case IPID_ZERO:
		return 0;
	case IPID_INCREMENT:
		return st->ipid++;
	case IPID_MIRROR:
		return q->pkt.ip_id;
	default:
		return (uint16_t)next_rand(st);
	}
}

size_t inject_forge(const struct inject_profile *p, struct forge_state *st,
		    const struct inject_rules *rules, const struct inject_rule *rule,
		    const struct inject_query *q, uint8_t *out)
{
	const struct net_packet *k = &q->pkt;
	bool v6 = k->family == AF_INET6;
	size_t iplen = v6 ? 40 : 20;
	size_t l2 = q->l2_len;
	if (l2 > 64)
		return 0;
	uint8_t *ip = out + l2, *udp = ip + iplen, *dns = udp + 8;
	size_t dlen = forge_dns(p, st, rules, rule, q, dns, FORGE_FRAME_MAX - l2 - iplen - 8);
	if (!dlen)
		return 0;

	/* Link header: as captured, the two MAC addresses swapped, so the
	 * reply leaves by the interface the query came in on, to its sender. */
	memcpy(out, q->frame, l2);
	if (l2 >= 12) {
		memcpy(out, q->frame + 6, 6);
		memcpy(out + 6, q->frame, 6);
	}
	size_t ulen = 8 + dlen;
	if (v6) {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)ulen);
		ip[6] = 17;
		ip[7] = reply_ttl(p, st, q);
		memcpy(ip + 8, k->dst, 16);
		memcpy(ip + 24, k->src, 16);
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + ulen));
		put16(ip + 4, reply_ipid(p, st, q));
		put16(ip + 6, p->df ? 0x4000 : 0);
		ip[8] = reply_ttl(p, st, q);
		ip[9] = 17;
		memcpy(ip + 12, k->dst, 4);
		memcpy(ip + 16, k->src, 4);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	}
	put16(udp, k->dport);
	put16(udp + 2, k->sport);
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	/* UDP checksum over the pseudo-header (RFC 768, RFC 8200 8.1). */
	uint32_t s = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
	s += 17 + (uint32_t)ulen;
	uint16_t c = fold(sum16(udp, ulen, s));
	put16(udp + 6, c ? c : 0xffff);
	return l2 + iplen + ulen;
}
