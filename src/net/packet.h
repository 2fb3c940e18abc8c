/*
 * Decoding captured frames down to a UDP payload: the link layer (Ethernet
 * with VLAN tags, Linux cooked v1/v2, raw IP, BSD loopback), IPv4 and IPv6
 * (extension headers skipped), UDP. Used by `decode` on pcap files and by
 * the capture paths of the injector and the prober. No allocation; the
 * payload points into the caller's frame. Every length is checked against
 * what was captured, never trusted from a header alone.
 */
#ifndef DW_NET_PACKET_H
#define DW_NET_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct net_packet {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint8_t ttl;           /* IPv4 TTL or IPv6 hop limit */
	uint16_t ip_id;        /* IPv4 identification (0 for IPv6) */
	bool df;               /* IPv4 don't-fragment bit */
	const uint8_t *ip;     /* start of the IP header */
	size_t ip_len;
	const uint8_t *payload; /* UDP payload */
	size_t payload_len;    /* from the UDP length, cut to what was captured */
	bool payload_cut;      /* the capture holds less than the UDP length says */
};

/* Link types (pcap DLT_ values) understood by net_packet_parse. */
#define NET_LINK_NULL 0
#define NET_LINK_ETHERNET 1
#define NET_LINK_RAW 101
#define NET_LINK_LINUX_SLL 113
#define NET_LINK_IPV4 228
#define NET_LINK_IPV6 229
#define NET_LINK_LINUX_SLL2 276
#define NET_LINK_RAW_ALT 12 /* DLT_RAW on some BSDs */
#define NET_LINK_LOOP 108

/* Decode FRAME[0..LEN) of link type LINK into P. An IP fragment returns
 * DW_E_FRAGMENT with P's ip and ip_len set: net/reasm.h puts fragments
 * together, and the whole datagram goes to net_packet_parse_ip. */
DW_MUST_CHECK enum dw_status net_packet_parse(int link, const uint8_t *frame, size_t len,
					struct net_packet *p);
/* Decode from the IP header on (raw sockets, AF_PACKET cooked). */
DW_MUST_CHECK enum dw_status net_packet_parse_ip(const uint8_t *ip, size_t len,
					   struct net_packet *p);

/* "198.18.0.1" or "fd53::1" into BUF (INET6_ADDRSTRLEN). */
const char *net_packet_addr_text(int family, const uint8_t *addr, char *buf, size_t cap);

#endif
