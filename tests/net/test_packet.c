/* net/packet: link, IP and UDP decoding down to the DNS payload. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "net/frames.h"
#include "net/packet.h"

static const uint8_t dns[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
			      0, 0, 1, 0, 1};
static uint8_t buf[2048];

static void test_ipv4_fields(void)
{
	struct frame_spec s = {.ttl = 61, .ip_id = 4321, .df = 1, .sport = 33333, .dport = 53};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	struct net_packet p;
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_OK);
	CHECK_EQ(p.family, AF_INET);
	CHECK_EQ(p.ttl, 61);
	CHECK_EQ(p.ip_id, 4321);
	CHECK(p.df);
	CHECK_EQ(p.sport, 33333);
	CHECK_EQ(p.dport, 53);
	CHECK_EQ(p.payload_len, sizeof dns);
	CHECK_MEM(p.payload, dns, sizeof dns);
	char a[64];
	CHECK_STR(net_packet_addr_text(p.family, p.src, a, sizeof a), "198.18.1.2");
	CHECK_STR(net_packet_addr_text(p.family, p.dst, a, sizeof a), "198.18.2.3");
}

static void test_vlan_and_ipv6(void)
{
	struct frame_spec s = {.v6 = 1, .vlan = 1, .ttl = 7, .sport = 53, .dport = 5353,
			       .v6_ext = 1};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	struct net_packet p;
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_OK);
	CHECK_EQ(p.family, AF_INET6);
	CHECK_EQ(p.ttl, 7);
	CHECK_EQ(p.sport, 53);
	CHECK_EQ(p.payload_len, sizeof dns);
	char a[64];
	CHECK_STR(net_packet_addr_text(p.family, p.src, a, sizeof a), "fd53::1");
}

static void test_fragments_and_other_protocols(void)
{
	struct frame_spec s = {.ttl = 64, .frag = 0x2000, .sport = 53, .dport = 53};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	struct net_packet p;
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_E_FRAGMENT);
	s.frag = 0x0010; /* non-first fragment */
	n = frame_build(&s, dns, sizeof dns, buf);
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_E_FRAGMENT);
	s.frag = 0;
	s.proto = 6;
	n = frame_build(&s, dns, sizeof dns, buf);
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_E_NOT_UDP);
	uint8_t arp[60] = {0};
	arp[12] = 0x08;
	arp[13] = 0x06;
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, arp, sizeof arp, &p), DW_E_NOT_IP);
	CHECK_EQ(net_packet_parse(999, arp, sizeof arp, &p), DW_E_UNKNOWN_LINK);
}

static void test_truncation_at_every_length(void)
{
	struct frame_spec s = {.ttl = 64, .sport = 1, .dport = 53};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	/* Every prefix is either rejected or decoded with a cut payload; the
	 * sanitizers catch any read past the prefix. */
	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1);
		memcpy(copy, buf, k);
		struct net_packet p;
		enum dw_status st = net_packet_parse(NET_LINK_ETHERNET, copy, k, &p);
		if (st == DW_OK)
			CHECK(p.payload_cut && p.payload_len < sizeof dns);
		free(copy);
	}
}

static void test_bad_lengths(void)
{
	struct frame_spec s = {.ttl = 64, .sport = 1, .dport = 53};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	struct net_packet p;
	buf[14] = 0x44; /* IHL 16 bytes: below the minimum */
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_E_BAD_HEADER);
	n = frame_build(&s, dns, sizeof dns, buf);
	put16(buf + 14 + 20 + 4, 4); /* UDP length below its header */
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n, &p), DW_E_BAD_HEADER);
	/* Ethernet padding after a short IP packet is not payload. */
	n = frame_build(&s, dns, sizeof dns, buf);
	memset(buf + n, 0xee, 10);
	CHECK_EQ(net_packet_parse(NET_LINK_ETHERNET, buf, n + 10, &p), DW_OK);
	CHECK_EQ(p.payload_len, sizeof dns);
	CHECK(!p.payload_cut);
}

static void test_cooked_and_raw_links(void)
{
	struct frame_spec s = {.ttl = 9, .sport = 1, .dport = 53};
	size_t n = frame_build(&s, dns, sizeof dns, buf);
	struct net_packet p;
	/* raw IP: skip the 14-byte Ethernet header */
	CHECK_EQ(net_packet_parse(NET_LINK_RAW, buf + 14, n - 14, &p), DW_OK);
	CHECK_EQ(p.ttl, 9);
	/* Linux cooked v1: 16-byte header with the protocol in the last two */
	uint8_t sll[2048] = {0};
	sll[14] = 0x08;
	memcpy(sll + 16, buf + 14, n - 14);
	CHECK_EQ(net_packet_parse(NET_LINK_LINUX_SLL, sll, n + 2, &p), DW_OK);
	CHECK_EQ(p.payload_len, sizeof dns);
	CHECK_STR(dw_strerror(DW_E_FRAGMENT), "IP fragment");
}

/* IPv4 text from the octet table, as inet_ntop writes it: every octet
 * value in every place. */
static void test_ipv4_text(void)
{
	int bad = 0;
	for (unsigned v = 0; v < 256; v++) {
		const uint8_t a[4][4] = {{(uint8_t)v, 0, 0, 0}, {1, (uint8_t)v, 255, 9},
					 {10, 99, (uint8_t)v, 100}, {255, 255, 255, (uint8_t)v}};
		for (int k = 0; k < 4; k++) {
			char got[16], want[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, a[k], want, sizeof want);
			if (strcmp(net_packet_addr_text(AF_INET, a[k], got, sizeof got), want) && !bad++)
				FAIL("got %s, want %s", got, want);
		}
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	RUN(test_ipv4_fields);
	RUN(test_vlan_and_ipv6);
	RUN(test_fragments_and_other_protocols);
	RUN(test_truncation_at_every_length);
	RUN(test_bad_lengths);
	RUN(test_cooked_and_raw_links);
	RUN(test_ipv4_text);
	return harness_done();
}
