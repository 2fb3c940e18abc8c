/* IP fragment reassembly (see reasm.h). */
#include "net/reasm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define OUT_MAX (40u + NET_REASM_MAX) /* an IPv6 header and the largest payload */

struct range {
	uint32_t off, len;
};

struct datagram {
	bool used;
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* IPv4 protocol, IPv6 fragment's next header */
	uint8_t src[16], dst[16];
	uint32_t id;
	uint64_t first_us;
	unsigned nfrag;
	struct range *ranges;  /* max_frags of them, in the reassembler's block */
	uint8_t *data;         /* the fragment data at their offsets */
	size_t cap;
	size_t have;           /* bytes held (no overlaps: their sum is the coverage) */
	bool have_last;
	size_t total;          /* data length, once the last fragment came */
	uint8_t *hdr;          /* the first fragment's header (IPv6: unfragmentable part) */
	size_t hdr_len;
	size_t nh_at;          /* IPv6: where in hdr the next header that named 44 is */
};

struct net_reasm {
	struct net_reasm_config cfg;
	struct net_reasm_stats st;
	struct datagram *d;
	struct range *ranges;
	unsigned pending;
	uint8_t out[OUT_MAX];
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint64_t net_reasm_rejected(const struct net_reasm_stats *s)
{
	return s->overlap + s->oversize + s->bad_length + s->truncated + s->too_many_datagrams +
	       s->too_many_frags + s->nomem;
}

struct net_reasm *net_reasm_new(const struct net_reasm_config *cfg)
{
	struct net_reasm *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	if (cfg)
		r->cfg = *cfg;
	if (!r->cfg.max_datagrams)
		r->cfg.max_datagrams = NET_REASM_DATAGRAMS;
	if (r->cfg.max_datagrams > 4096)
		r->cfg.max_datagrams = 4096;
	if (!r->cfg.max_frags)
		r->cfg.max_frags = NET_REASM_FRAGS;
	if (r->cfg.max_frags > 8192)
		r->cfg.max_frags = 8192;
	if (!r->cfg.timeout_us)
		r->cfg.timeout_us = NET_REASM_TIMEOUT_US;
	r->d = calloc(r->cfg.max_datagrams, sizeof *r->d);
	r->ranges = calloc((size_t)r->cfg.max_datagrams * r->cfg.max_frags, sizeof *r->ranges);
	if (!r->d || !r->ranges) {
		net_reasm_free(r);
		return NULL;
	}
	for (unsigned i = 0; i < r->cfg.max_datagrams; i++)
		r->d[i].ranges = r->ranges + (size_t)i * r->cfg.max_frags;
	return r;
}

static void drop(struct net_reasm *r, struct datagram *d)
{
	free(d->data);
	free(d->hdr);
	struct range *ranges = d->ranges;
	memset(d, 0, sizeof *d);
	d->ranges = ranges;
	r->pending--;
}

void net_reasm_free(struct net_reasm *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->d && i < r->cfg.max_datagrams; i++)
		if (r->d[i].used)
			drop(r, &r->d[i]);
	free(r->d);
	free(r->ranges);
	free(r);
}

void net_reasm_expire(struct net_reasm *r, uint64_t now_us)
{
	for (unsigned i = 0; r->pending && i < r->cfg.max_datagrams; i++) {
		struct datagram *d = &r->d[i];
		if (d->used && now_us > d->first_us && now_us - d->first_us >= r->cfg.timeout_us) {
			drop(r, d);
			r->st.expired++;
		}
	}
}

unsigned net_reasm_pending(const struct net_reasm *r)
{
	return r->pending;
}

const struct net_reasm_stats *net_reasm_stats(const struct net_reasm *r)
{
	return &r->st;
}

/* One fragment, as read from its headers. */
struct frag {
	uint8_t family, proto;
	const uint8_t *src, *dst;
	uint32_t id;
	size_t off;            /* data offset in the datagram */
	bool more;
	const uint8_t *data;
	size_t len;
	const uint8_t *hdr;    /* this packet's header (IPv6: up to the Fragment header) */
	size_t hdr_len;
	size_t nh_at;
	size_t max_end;        /* the largest end of data its header allows */
};

/* Whether IP is a fragment; fills F. *BAD is set to the counter of a
 * fragment refused on its own headers. */
static bool read_frag(struct net_reasm *r, const uint8_t *ip, size_t len, struct frag *f,
		      uint64_t **bad)
{
	*bad = NULL;
	memset(f, 0, sizeof *f);
	if (len < 1)
		return false;
	if (ip[0] >> 4 == 4) {
		if (len < 20)
			return false;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4, total = get16(ip + 2);
		uint16_t fo = get16(ip + 6);
		if (ihl < 20 || total < ihl || !(fo & 0x3fff))
			return false; /* not a fragment, or net_packet_parse_ip's to judge */
		r->st.fragments++;
		if (len < total) {
			*bad = &r->st.truncated;
			return true;
		}
		f->family = 4;
		f->proto = ip[9];
		f->src = ip + 12;
		f->dst = ip + 16;
		f->id = get16(ip + 4);
		f->off = (size_t)(fo & 0x1fff) * 8;
		f->more = (fo & 0x2000) != 0;
		f->data = ip + ihl;
		f->len = total - ihl;
		f->hdr = ip;
		f->hdr_len = ihl;
		f->max_end = NET_REASM_MAX - ihl;
		return true;
	}
	if (ip[0] >> 4 != 6 || len < 40)
		return false;
	uint8_t next = ip[6];
	size_t off = 40, nh_at = 6;
	for (int hops = 0; next != 44; hops++) {
		if (hops == 8 || (next != 0 && next != 43 && next != 60) || len - off < 8)
			return false;
		nh_at = off;
		next = ip[off];
		off += 8 + (size_t)ip[off + 1] * 8;
		if (off > len)
			return false;
	}
	r->st.fragments++;
	size_t total = 40 + (size_t)get16(ip + 4);
	if (total == 40) { /* a jumbogram cannot be fragmented (RFC 2675) */
		*bad = &r->st.bad_length;
		return true;
	}
	if (len < total) {
		*bad = &r->st.truncated;
		return true;
	}
	if (total < off + 8) {
		*bad = &r->st.bad_length;
		return true;
	}
	uint16_t fo = get16(ip + off + 2);
	f->family = 6;
	f->proto = ip[off];
	f->src = ip + 8;
	f->dst = ip + 24;
	f->id = (uint32_t)get16(ip + off + 4) << 16 | get16(ip + off + 6);
	f->off = fo & 0xfff8;
	f->more = (fo & 1) != 0;
	f->data = ip + off + 8;
	f->len = total - off - 8;
	f->hdr = ip;
	f->hdr_len = off;
	f->nh_at = nh_at;
	f->max_end = NET_REASM_MAX - (off - 40);
	return true;
}

static struct datagram *find(struct net_reasm *r, const struct frag *f)
{
	size_t alen = f->family == 4 ? 4 : 16;
	for (unsigned i = 0; i < r->cfg.max_datagrams; i++) {
		struct datagram *d = &r->d[i];
		if (d->used && d->family == f->family && d->proto == f->proto && d->id == f->id &&
		    memcmp(d->src, f->src, alen) == 0 && memcmp(d->dst, f->dst, alen) == 0)
			return d;
	}
	return NULL;
}

static struct datagram *start(struct net_reasm *r, const struct frag *f, uint64_t now_us)
{
	for (unsigned i = 0; i < r->cfg.max_datagrams; i++) {
		struct datagram *d = &r->d[i];
		if (d->used)
			continue;
		size_t alen = f->family == 4 ? 4 : 16;
		d->used = true;
		d->family = f->family;
		d->proto = f->proto;
		d->id = f->id;
		memcpy(d->src, f->src, alen);
		memcpy(d->dst, f->dst, alen);
		d->first_us = now_us;
		r->pending++;
		return d;
	}
	return NULL;
}

/* Write the whole datagram of D into r->out; its length, or 0 if too large. */
static size_t build(struct net_reasm *r, const struct datagram *d)
{
	size_t n = d->hdr_len + d->total;
	if (d->family == 4) {
		if (n > NET_REASM_MAX)
			return 0;
		memcpy(r->out, d->hdr, d->hdr_len);
		put16(r->out + 2, n);
		put16(r->out + 6, get16(r->out + 6) & 0xc000); /* MF and offset cleared */
		put16(r->out + 10, 0);
		uint32_t sum = 0;
		for (size_t i = 0; i < d->hdr_len; i += 2)
			sum += get16(r->out + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		put16(r->out + 10, ~sum & 0xffff);
	} else {
		if (n - 40 > NET_REASM_MAX)
			return 0;
		memcpy(r->out, d->hdr, d->hdr_len);
		r->out[d->nh_at] = d->proto;
		put16(r->out + 4, n - 40);
	}
	memcpy(r->out + d->hdr_len, d->data, d->total);
	return n;
}

enum net_reasm_result net_reasm_feed(struct net_reasm *r, const uint8_t *ip, size_t len,
				     uint64_t now_us, const uint8_t **out, size_t *out_len,
				     unsigned *nfrags)
{
	struct frag f;
	uint64_t *bad;
	net_reasm_expire(r, now_us);
	if (!read_frag(r, ip, len, &f, &bad))
		return NET_REASM_NOT_FRAGMENT;
	if (bad) {
		(*bad)++;
		return NET_REASM_HELD;
	}
	size_t end = f.off + f.len;
	if (end > f.max_end) {
		r->st.oversize++;
		return NET_REASM_HELD;
	}
	struct datagram *d = find(r, &f);
	if (f.len == 0 || (f.more && f.len % 8)) {
		r->st.bad_length++;
		if (d)
			drop(r, d);
		return NET_REASM_HELD;
	}
	if (!d) {
		d = start(r, &f, now_us);
		if (!d) {
			r->st.too_many_datagrams++;
			return NET_REASM_HELD;
		}
	}
	/* Where the datagram ends: one answer from every fragment. */
	if ((!f.more && d->have_last && d->total != end) || (f.more && d->have_last && end >= d->total))
		goto bad_length;
	if (!f.more && !d->have_last)
		for (unsigned i = 0; i < d->nfrag; i++)
			if ((size_t)d->ranges[i].off + d->ranges[i].len >= end)
				goto bad_length; /* held data at or past the end this one names */
	for (unsigned i = 0; i < d->nfrag; i++) {
		const struct range *g = &d->ranges[i];
		if (f.off >= (size_t)g->off + g->len || g->off >= end)
			continue;
		if (g->off == f.off && g->len == f.len && memcmp(d->data + f.off, f.data, f.len) == 0) {
			r->st.duplicates++;
			return NET_REASM_HELD;
		}
		r->st.overlap++;
		drop(r, d);
		return NET_REASM_HELD;
	}
	if (d->nfrag == r->cfg.max_frags) {
		r->st.too_many_frags++;
		drop(r, d);
		return NET_REASM_HELD;
	}
	if (end > d->cap) {
		size_t cap = d->cap ? d->cap : 2048;
		while (cap < end)
			cap *= 2;
		if (cap > NET_REASM_MAX)
			cap = NET_REASM_MAX;
		uint8_t *p = realloc(d->data, cap);
		if (!p)
			goto nomem;
		d->data = p;
		d->cap = cap;
	}
	if (f.off == 0) {
		d->hdr = malloc(f.hdr_len);
		if (!d->hdr)
			goto nomem;
		memcpy(d->hdr, f.hdr, f.hdr_len);
		d->hdr_len = f.hdr_len;
		d->nh_at = f.nh_at;
	}
	memcpy(d->data + f.off, f.data, f.len);
	d->ranges[d->nfrag++] = (struct range){(uint32_t)f.off, (uint32_t)f.len};
	d->have += f.len;
	if (!f.more) {
		d->have_last = true;
		d->total = end;
	}
	if (!d->hdr || !d->have_last || d->have != d->total)
		return NET_REASM_HELD;
	size_t n = build(r, d);
	unsigned k = d->nfrag;
	drop(r, d);
	if (!n) {
		r->st.oversize++;
		return NET_REASM_HELD;
	}
	r->st.reassembled++;
	*out = r->out;
	*out_len = n;
	if (nfrags)
		*nfrags = k;
	return NET_REASM_DONE;
bad_length:
	r->st.bad_length++;
	drop(r, d);
	return NET_REASM_HELD;
nomem:
	r->st.nomem++;
	drop(r, d);
	return NET_REASM_HELD;
}
