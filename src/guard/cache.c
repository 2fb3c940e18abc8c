/* The guard's answer cache (see cache.h). */
#include "guard/cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/hash.h"
#include "wire/msg.h"
#include "wire/name.h"

#define TTL_SLOTS 64 /* records whose TTL is counted down; more and the entry is not kept */

/* One A or AAAA address of an entry's answer, a link in the address index's
 * chain: a purge by address (guard_cache_purge_addr) follows one chain,
 * never re-parses a kept message. */
struct addr_node {
	struct addr_node *next, **pprev;
	struct entry *e;
	uint8_t family;
	uint8_t addr[16];             /* IPv4: 4 bytes, then zeros */
};

struct entry {
	struct entry *next_hash;
	struct entry *prev_lru, *next_lru;
	uint64_t hash;
	uint8_t qname[WIRE_NAME_MAX]; /* canonical (lower case) */
	uint16_t qtype, qclass;
	bool dnssec_ok;
	uint64_t stored_us, expires_us;
	uint16_t nttl;
	bool unverified;              /* put with GUARD_CACHE_UNVERIFIED */
	uint16_t naddr;               /* the answer's A and AAAA records, at most TTL_SLOTS */
	struct addr_node *an;         /* naddr of them, in the same allocation */
	size_t opt_off;               /* see guard_cache_get */
	uint16_t ttl_off[TTL_SLOTS];
	uint32_t ttl[TTL_SLOTS];
	size_t len;
	uint8_t msg[]; /* the reply as accepted */
};

struct guard_cache {
	size_t max, count, nbuckets;
	struct entry **bucket;
	struct addr_node **abucket;   /* the address index, nbuckets chains */
	struct entry lru; /* sentinel: lru.next_lru is the most recent */
};

int guard_cache_new(struct guard_cache **out, size_t max, struct dw_error *err)
{
	*out = NULL;
	if (max == 0 || max > (1u << 24))
		return dw_error_set(err, DW_E_INVALID, "cache size %zu out of range 1..16777216", max);
	struct guard_cache *c = calloc(1, sizeof *c);
	size_t nb = 16;
	while (nb < max * 2)
		nb *= 2;
	if (c) {
		c->bucket = calloc(nb, sizeof *c->bucket);
		c->abucket = calloc(nb, sizeof *c->abucket);
	}
	if (!c || !c->bucket || !c->abucket) {
		if (c) {
			free(c->bucket);
			free(c->abucket);
		}
		free(c);
		return dw_error_set(err, DW_E_NOMEM, "cache of %zu entries: out of memory", max);
	}
	c->max = max;
	c->nbuckets = nb;
	c->lru.next_lru = c->lru.prev_lru = &c->lru;
	*out = c;
	return 0;
}

static void lru_unlink(struct entry *e)
{
	e->prev_lru->next_lru = e->next_lru;
	e->next_lru->prev_lru = e->prev_lru;
}

static void lru_front(struct guard_cache *c, struct entry *e)
{
	e->next_lru = c->lru.next_lru;
	e->prev_lru = &c->lru;
	c->lru.next_lru->prev_lru = e;
	c->lru.next_lru = e;
}

static void drop(struct guard_cache *c, struct entry *e)
{
	struct entry **pp = &c->bucket[e->hash & (c->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->next_hash;
	*pp = e->next_hash;
	for (unsigned i = 0; i < e->naddr; i++) {
		*e->an[i].pprev = e->an[i].next;
		if (e->an[i].next)
			e->an[i].next->pprev = e->an[i].pprev;
	}
	lru_unlink(e);
	free(e);
	c->count--;
}

void guard_cache_free(struct guard_cache *c)
{
	if (!c)
		return;
	while (c->lru.next_lru != &c->lru)
		drop(c, c->lru.next_lru);
	free(c->bucket);
	free(c->abucket);
	free(c);
}

static uint64_t addr_hash(uint8_t family, const uint8_t addr[16])
{
	uint64_t h = (HASH_FNV_OFFSET ^ family) * HASH_FNV_PRIME;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ addr[i]) * HASH_FNV_PRIME;
	return hash_fmix64(h);
}

static uint64_t key_hash(const uint8_t *cname, size_t nlen, uint16_t qtype, uint16_t qclass,
			 bool dnssec_ok)
{
	uint64_t h = HASH_FNV_OFFSET;
	for (size_t i = 0; i < nlen; i++)
		h = (h ^ cname[i]) * HASH_FNV_PRIME;
	h = (h ^ qtype) * HASH_FNV_PRIME;
	h = (h ^ qclass) * HASH_FNV_PRIME;
	h = (h ^ (uint64_t)dnssec_ok) * HASH_FNV_PRIME;
	return hash_fmix64(h);
}

static bool canonical(const uint8_t *qname, uint8_t *out, size_t *nlen)
{
	*nlen = wire_name_len(qname, WIRE_NAME_MAX);
	if (!*nlen)
		return false;
	memcpy(out, qname, *nlen);
	wire_name_canonicalize(out);
	return true;
}

static struct entry *find(struct guard_cache *c, const uint8_t *cname, size_t nlen, uint16_t qtype,
			  uint16_t qclass, bool dnssec_ok, uint64_t *hash)
{
	*hash = key_hash(cname, nlen, qtype, qclass, dnssec_ok);
	for (struct entry *e = c->bucket[*hash & (c->nbuckets - 1)]; e; e = e->next_hash)
		if (e->hash == *hash && e->qtype == qtype && e->qclass == qclass &&
		    e->dnssec_ok == dnssec_ok && !memcmp(e->qname, cname, nlen))
			return e;
	return NULL;
}

/* Where an entry of a LEN-byte message keeps its address nodes: after the
 * message, aligned. */
static size_t nodes_at(size_t len)
{
	const size_t a = _Alignof(struct addr_node);
	return (sizeof(struct entry) + len + a - 1) / a * a;
}

bool guard_cache_put(struct guard_cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     bool dnssec_ok, unsigned flags, const uint8_t *msg, size_t len, uint32_t min_ttl,
		     uint32_t max_ttl, uint64_t now_us)
{
	static struct wire_rr rr[WIRE_RR_MAX];
	struct wire_msg m;
	uint8_t cname[WIRE_NAME_MAX];
	size_t nlen;
	if (!canonical(qname, cname, &nlen) || wire_msg_parse(&m, msg, len, rr, WIRE_RR_MAX) != DW_OK)
		return false;
	unsigned rcode = wire_msg_rcode(&m);
	if ((rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN) || (m.hdr.flags & WIRE_FLAG_TC))
		return false;
	size_t q = wire_msg_section_count(&m, WIRE_SEC_QUESTION);
	if (m.rr_count - q > TTL_SLOTS)
		return false;
	/* the answer's addresses (bounded: at most TTL_SLOTS records), what a
	 * purge by address looks for */
	size_t a0 = wire_msg_section_start(&m, WIRE_SEC_ANSWER), an = wire_msg_section_count(&m, WIRE_SEC_ANSWER);
	uint16_t naddr = 0;
	for (size_t i = a0; i < a0 + an; i++)
		naddr += (m.rr[i].type == WIRE_T_A && m.rr[i].rdlen == 4) ||
			 (m.rr[i].type == WIRE_T_AAAA && m.rr[i].rdlen == 16);
	struct entry *e = malloc(nodes_at(len) + naddr * sizeof(struct addr_node));
	if (!e)
		return false;
	e->an = (struct addr_node *)(void *)((uint8_t *)e + nodes_at(len));
	e->naddr = 0;
	for (size_t i = a0; i < a0 + an; i++) {
		const struct wire_rr *r = &m.rr[i];
		if (!((r->type == WIRE_T_A && r->rdlen == 4) || (r->type == WIRE_T_AAAA && r->rdlen == 16)))
			continue;
		struct addr_node *nd = &e->an[e->naddr++];
		nd->e = e;
		nd->family = r->type == WIRE_T_A ? AF_INET : AF_INET6;
		memset(nd->addr, 0, sizeof nd->addr);
		memcpy(nd->addr, msg + r->rdata_off, r->rdlen);
	}
	e->unverified = (flags & GUARD_CACHE_UNVERIFIED) != 0;
	uint32_t ttl = UINT32_MAX;
	e->nttl = 0;
	e->opt_off = 0;
	/* a name may point into the header (a legal encoder never does it):
	 * the ID and counts rewritten for a client would change that name, so
	 * such a reply takes the parsing path, which checks what it writes */
	bool header_ptr = false;
	for (size_t i = WIRE_HEADER_LEN; i + 1 < len && !header_ptr; i++)
		header_ptr = msg[i] == 0xc0 && msg[i + 1] < WIRE_HEADER_LEN;
	if (header_ptr)
		e->opt_off = GUARD_CACHE_OPT_UNKNOWN;
	else if (m.edns.present)
		e->opt_off = m.edns.rr_index == m.rr_count - 1 && !m.trailing ? m.rr[m.edns.rr_index].owner_off
									    : GUARD_CACHE_OPT_UNKNOWN;
	for (size_t i = q; i < m.rr_count; i++) {
		if (m.rr[i].type == WIRE_T_OPT)
			continue;
		e->ttl_off[e->nttl] = (uint16_t)(m.rr[i].rdata_off - 6);
		e->ttl[e->nttl++] = m.rr[i].ttl;
		if (m.rr[i].ttl < ttl)
			ttl = m.rr[i].ttl;
	}
	if (ttl == UINT32_MAX)
		ttl = 60; /* no record at all: a bare negative answer, kept briefly */
	if (ttl < min_ttl)
		ttl = min_ttl;
	if (max_ttl && ttl > max_ttl)
		ttl = max_ttl;
	if (ttl == 0) {
		free(e);
		return false;
	}
	uint64_t h;
	struct entry *old = find(c, cname, nlen, qtype, qclass, dnssec_ok, &h);
	if (old)
		drop(c, old);
	while (c->count >= c->max)
		drop(c, c->lru.prev_lru);
	memcpy(e->qname, cname, nlen);
	e->qtype = qtype;
	e->qclass = qclass;
	e->dnssec_ok = dnssec_ok;
	e->hash = h;
	e->stored_us = now_us;
	e->expires_us = now_us + (uint64_t)ttl * 1000000u;
	e->len = len;
	memcpy(e->msg, msg, len);
	struct entry **b = &c->bucket[h & (c->nbuckets - 1)];
	e->next_hash = *b;
	*b = e;
	for (unsigned i = 0; i < e->naddr; i++) {
		struct addr_node *nd = &e->an[i], **ab = &c->abucket[addr_hash(nd->family, nd->addr) & (c->nbuckets - 1)];
		nd->next = *ab;
		if (*ab)
			(*ab)->pprev = &nd->next;
		nd->pprev = ab;
		*ab = nd;
	}
	lru_front(c, e);
	c->count++;
	return true;
}

bool guard_cache_get(struct guard_cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     bool dnssec_ok, uint64_t now_us, uint8_t *out, size_t cap, size_t *len,
		     size_t *opt_off)
{
	uint8_t cname[WIRE_NAME_MAX];
	size_t nlen;
	uint64_t h;
	if (!canonical(qname, cname, &nlen))
		return false;
	struct entry *e = find(c, cname, nlen, qtype, qclass, dnssec_ok, &h);
	if (!e)
		return false;
	if (now_us >= e->expires_us) {
		drop(c, e);
		return false;
	}
	if (e->len > cap)
		return false;
	memcpy(out, e->msg, e->len);
	uint32_t age = (uint32_t)((now_us - e->stored_us) / 1000000u);
	uint32_t left = (uint32_t)((e->expires_us - now_us) / 1000000u);
	for (unsigned i = 0; i < e->nttl; i++) {
		/* counted down, and never past the clamped lifetime */
		uint32_t t = e->ttl[i] > age ? e->ttl[i] - age : 0;
		if (t > left)
			t = left;
		uint8_t *p = out + e->ttl_off[i];
		p[0] = (uint8_t)(t >> 24);
		p[1] = (uint8_t)(t >> 16);
		p[2] = (uint8_t)(t >> 8);
		p[3] = (uint8_t)t;
	}
	*len = e->len;
	if (opt_off)
		*opt_off = e->opt_off;
	lru_unlink(e);
	lru_front(c, e);
	return true;
}

size_t guard_cache_purge(struct guard_cache *c, const uint8_t *qname)
{
	uint8_t cname[WIRE_NAME_MAX];
	size_t nlen, n = 0;
	if (!canonical(qname, cname, &nlen))
		return 0;
	for (struct entry *e = c->lru.next_lru, *next; e != &c->lru; e = next) {
		next = e->next_lru;
		if (!memcmp(e->qname, cname, nlen)) {
			drop(c, e);
			n++;
		}
	}
	return n;
}

size_t guard_cache_purge_addr(struct guard_cache *c, int family, const uint8_t *addr,
			      const uint8_t *qname, bool unverified_only, guard_cache_purged_fn *fn,
			      void *ctx)
{
	uint8_t a[16] = {0}, cname[WIRE_NAME_MAX];
	size_t nlen = 0, n = 0;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	memcpy(a, addr, family == AF_INET ? 4 : 16);
	if (qname && !canonical(qname, cname, &nlen))
		return 0;
	struct addr_node **head = &c->abucket[addr_hash((uint8_t)family, a) & (c->nbuckets - 1)];
	for (;;) {
		/* dropping an entry unlinks all its nodes, the next one in this
		 * chain perhaps: look again from the chain's head (chains are
		 * short, an entry's addresses few) */
		struct entry *hit = NULL;
		for (const struct addr_node *nd = *head; nd && !hit; nd = nd->next)
			if (nd->family == family && !memcmp(nd->addr, a, 16) &&
			    (!unverified_only || nd->e->unverified) &&
			    (!qname || !memcmp(nd->e->qname, cname, nlen)))
				hit = nd->e;
		if (!hit)
			return n;
		if (fn)
			fn(ctx, hit->qname, hit->qtype);
		drop(c, hit);
		n++;
	}
}

size_t guard_cache_count(const struct guard_cache *c)
{
	return c->count;
}
