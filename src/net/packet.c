/* Frame decoding down to UDP (see packet.h). */
#include "net/packet.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum dw_status parse_udp(const uint8_t *u, size_t len, struct net_packet *p)
{
	if (len < 8)
		return DW_E_PKT_TRUNCATED;
	p->sport = get16(u);
	p->dport = get16(u + 2);
	size_t ulen = get16(u + 4);
	if (ulen < 8)
		return DW_E_BAD_HEADER;
	p->payload = u + 8;
	p->payload_len = ulen - 8;
	if (ulen > len) { /* snap length cut it short */
		p->payload_len = len - 8;
		p->payload_cut = true;
	}
	return DW_OK;
}

static enum dw_status parse_ipv4(const uint8_t *ip, size_t len, struct net_packet *p)
{
	if (len < 20)
		return DW_E_PKT_TRUNCATED;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	size_t total = get16(ip + 2);
	if (ihl < 20 || total < ihl)
		return DW_E_BAD_HEADER;
	if (len < ihl)
		return DW_E_PKT_TRUNCATED;
	p->family = AF_INET;
	memcpy(p->src, ip + 12, 4);
	memcpy(p->dst, ip + 16, 4);
	p->ttl = ip[8];
	p->ip_id = get16(ip + 4);
	uint16_t frag = get16(ip + 6);
	p->df = (frag & 0x4000) != 0;
	p->ip = ip;
	/* Ethernet pads short frames: the IP total length is the truth when it
	 * is shorter than what was captured. */
	if (total < len)
		len = total;
	p->ip_len = len;
	if (frag & 0x3fff) /* MF set or a non-zero offset */
		return DW_E_FRAGMENT;
	if (ip[9] != 17)
		return DW_E_NOT_UDP;
	return parse_udp(ip + ihl, len - ihl, p);
}

static enum dw_status parse_ipv6(const uint8_t *ip, size_t len, struct net_packet *p)
{
	if (len < 40)
		return DW_E_PKT_TRUNCATED;
	p->family = AF_INET6;
	memcpy(p->src, ip + 8, 16);
	memcpy(p->dst, ip + 24, 16);
	p->ttl = ip[7];
	p->ip = ip;
	size_t plen = get16(ip + 4);
	if (40 + plen < len)
		len = 40 + plen;
	p->ip_len = len;
	uint8_t next = ip[6];
	size_t off = 40;
	/* Skip extension headers (RFC 8200 4), at most a handful. */
	for (int hops = 0; hops < 8; hops++) {
		switch (next) {
		case 17:
			return parse_udp(ip + off, len - off, p);
		case 0: case 43: case 60: /* hop-by-hop, routing, destination */
			if (len - off < 8)
				return DW_E_PKT_TRUNCATED;
			next = ip[off];
			off += 8 + (size_t)ip[off + 1] * 8;
			if (off > len)
				return DW_E_PKT_TRUNCATED;
			break;
		case 44: /* fragment header */
			return DW_E_FRAGMENT;
		default:
			return DW_E_NOT_UDP;
		}
	}
	return DW_E_BAD_HEADER;
}

enum dw_status net_packet_parse_ip(const uint8_t *ip, size_t len, struct net_packet *p)
{
	memset(p, 0, sizeof *p);
	if (len < 1)
		return DW_E_PKT_TRUNCATED;
	switch (ip[0] >> 4) {
	case 4: return parse_ipv4(ip, len, p);
	case 6: return parse_ipv6(ip, len, p);
	}
	return DW_E_NOT_IP;
}

/* Dispatch on an EtherType found at OFF-2 of FRAME. */
static enum dw_status by_ethertype(uint16_t type, const uint8_t *frame, size_t len,
					   size_t off, struct net_packet *p)
{
	/* 802.1Q / 802.1ad tags, at most two (QinQ). */
	for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; tags++) {
		if (len - off < 4)
			return DW_E_PKT_TRUNCATED;
		type = get16(frame + off + 2);
		off += 4;
	}
	if (type != 0x0800 && type != 0x86dd) {
		memset(p, 0, sizeof *p);
		return DW_E_NOT_IP;
	}
	return net_packet_parse_ip(frame + off, len - off, p);
}

enum dw_status net_packet_parse(int link, const uint8_t *frame, size_t len,
					struct net_packet *p)
{
	memset(p, 0, sizeof *p);
	switch (link) {
	case NET_LINK_ETHERNET:
		if (len < 14)
			return DW_E_PKT_TRUNCATED;
		return by_ethertype(get16(frame + 12), frame, len, 14, p);
	case NET_LINK_LINUX_SLL: /* 16-byte cooked header, protocol last */
		if (len < 16)
			return DW_E_PKT_TRUNCATED;
		return by_ethertype(get16(frame + 14), frame, len, 16, p);
	case NET_LINK_LINUX_SLL2: /* 20-byte header, protocol first */
		if (len < 20)
			return DW_E_PKT_TRUNCATED;
		return by_ethertype(get16(frame), frame, len, 20, p);
	case NET_LINK_RAW: case NET_LINK_RAW_ALT: case NET_LINK_IPV4: case NET_LINK_IPV6:
		return net_packet_parse_ip(frame, len, p);
	case NET_LINK_NULL: case NET_LINK_LOOP: /* 4-byte address family */
		if (len < 4)
			return DW_E_PKT_TRUNCATED;
		return net_packet_parse_ip(frame + 4, len - 4, p);
	}
	return DW_E_UNKNOWN_LINK;
}

const char *net_packet_addr_text(int family, const uint8_t *addr, char *buf, size_t cap)
{
	/* IPv4 by hand: inet_ntop's sprintf was a sixth of the prober's time
	 * (three addresses a result). */
	if (family == AF_INET && cap >= 16) {
		char *o = buf;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	if (!inet_ntop(family, addr, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
	return buf;
}
