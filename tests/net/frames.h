/* Hand-built frames for the packet and decode tests: Ethernet, VLAN, IPv4,
 * IPv6 and UDP around a payload, with the fields the tests vary. */
#ifndef DW_TESTS_NET_FRAMES_H
#define DW_TESTS_NET_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct frame_spec {
	int v6;           /* IPv6 instead of IPv4 */
	int vlan;         /* one 802.1Q tag */
	uint8_t ttl;
	uint16_t ip_id;
	int df;
	uint16_t frag;    /* IPv4 fragment field (MF | offset) */
	uint8_t proto;    /* 17 unless set */
	uint16_t sport, dport;
	int v6_ext;       /* a destination-options header before UDP */
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes an Ethernet frame around PAYLOAD into OUT; returns its length. */
static inline size_t frame_build(const struct frame_spec *s, const uint8_t *payload,
				 size_t plen, uint8_t *out)
{
	size_t n = 0;
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	memcpy(out, macs, 12);
	n = 12;
	if (s->vlan) {
		put16(out + n, 0x8100);
		put16(out + n + 2, 42);
		n += 4;
	}
	put16(out + n, s->v6 ? 0x86dd : 0x0800);
	n += 2;
	uint8_t proto = s->proto ? s->proto : 17;
	size_t ulen = 8 + plen;
	if (!s->v6) {
		uint8_t *ip = out + n;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + ulen));
		put16(ip + 4, s->ip_id);
		put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | s->frag));
		ip[8] = s->ttl;
		ip[9] = proto;
		const uint8_t src[4] = {198, 18, 1, 2}, dst[4] = {198, 18, 2, 3};
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		n += 20;
	} else {
		uint8_t *ip = out + n;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(ulen + (s->v6_ext ? 8 : 0)));
		ip[6] = s->v6_ext ? 60 : proto;
		ip[7] = s->ttl;
		ip[8] = 0xfd; ip[9] = 0x53; ip[23] = 1;
		ip[24] = 0xfd; ip[25] = 0x53; ip[39] = 2;
		n += 40;
		if (s->v6_ext) {
			memset(out + n, 0, 8);
			out[n] = proto;
			n += 8;
		}
	}
	uint8_t *u = out + n;
	put16(u, s->sport);
	put16(u + 2, s->dport);
	put16(u + 4, (uint16_t)ulen);
	put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return n + ulen;
}

#endif
