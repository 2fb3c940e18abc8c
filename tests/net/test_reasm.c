/* net/reasm: IPv4 (RFC 791 3.2, RFC 815) and IPv6 (RFC 8200 4.5, RFC 5722)
 * fragment reassembly, with its bounds. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "net/packet.h"
#include "net/reasm.h"

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A DNS response of LEN bytes (a header, then filler standing for records). */
static size_t dns_msg(uint8_t *m, size_t len)
{
	static const uint8_t hdr[12] = {0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
	memcpy(m, hdr, 12);
	for (size_t i = 12; i < len; i++)
		m[i] = (uint8_t)(i * 7 + 3);
	return len;
}

/* A whole UDP datagram around PAYLOAD: the UDP header and payload into UDP. */
static size_t udp(uint8_t *u, const uint8_t *payload, size_t plen)
{
	put16(u, 53);
	put16(u + 2, 40000);
	put16(u + 4, 8 + plen);
	put16(u + 6, 0);
	memcpy(u + 8, payload, plen);
	return 8 + plen;
}

/* An IPv4 fragment of DATA (the UDP datagram): bytes [OFF, OFF+LEN). */
static size_t v4frag(uint8_t *out, const uint8_t *data, size_t off, size_t len, int more,
		     uint16_t id, uint8_t ttl)
{
	memset(out, 0, 20);
	out[0] = 0x45;
	put16(out + 2, 20 + len);
	put16(out + 4, id);
	put16(out + 6, (more ? 0x2000 : 0) | (off / 8) | 0x4000);
	out[8] = ttl;
	out[9] = 17;
	const uint8_t src[4] = {198, 18, 0, 53}, dst[4] = {198, 18, 1, 2};
	memcpy(out + 12, src, 4);
	memcpy(out + 16, dst, 4);
	memcpy(out + 20, data + off, len);
	return 20 + len;
}

/* An IPv6 fragment, with a destination-options header before the Fragment
 * header when EXT. */
static size_t v6frag(uint8_t *out, const uint8_t *data, size_t off, size_t len, int more,
		     uint32_t id, uint8_t hlim, int ext)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	size_t n = 40;
	out[6] = ext ? 60 : 44;
	out[7] = hlim;
	out[8] = 0xfd; out[9] = 0x53; out[23] = 0x53;
	out[24] = 0xfd; out[25] = 0x53; out[39] = 2;
	if (ext) {
		memset(out + n, 0, 8);
		out[n] = 44;
		n += 8;
	}
	out[n] = 17;
	out[n + 1] = 0;
	put16(out + n + 2, off | (more ? 1 : 0));
	put16(out + n + 4, id >> 16);
	put16(out + n + 6, id & 0xffff);
	n += 8;
	memcpy(out + n, data + off, len);
	n += len;
	put16(out + 4, n - 40);
	return n;
}

static uint8_t dns[4096], dgram[4200], pkt[8][2048];
static size_t plen[8];

static enum net_reasm_result feed(struct net_reasm *r, int i, uint64_t t, const uint8_t **out,
				  size_t *n)
{
	return net_reasm_feed(r, pkt[i], plen[i], t, out, n, NULL);
}

/* RFC 791 3.2 and RFC 815: three IPv4 fragments of a DNS response, in order,
 * reassembled and parsed by net_packet_parse_ip like any datagram; the
 * first fragment's TTL, ID and DF are the datagram's. */
static void test_v4_in_order_dns(void)
{
	size_t ml = dns_msg(dns, 1200), ul = udp(dgram, dns, ml);
	plen[0] = v4frag(pkt[0], dgram, 0, 512, 1, 0x1234, 51);
	plen[1] = v4frag(pkt[1], dgram, 512, 512, 1, 0x1234, 60);
	plen[2] = v4frag(pkt[2], dgram, 1024, ul - 1024, 0, 0x1234, 60);
	struct net_reasm *r = net_reasm_new(NULL);
	CHECK(r != NULL);
	const uint8_t *out;
	size_t n;
	unsigned k = 0;
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 2, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_pending(r), 1u);
	CHECK_EQ(net_reasm_feed(r, pkt[2], plen[2], 3, &out, &n, &k), NET_REASM_DONE);
	CHECK_EQ(k, 3u);
	CHECK_EQ(n, 20 + ul);
	struct net_packet p;
	CHECK_EQ(net_packet_parse_ip(out, n, &p), DW_OK);
	CHECK_EQ(p.family, AF_INET);
	CHECK_EQ(p.ttl, 51);
	CHECK_EQ(p.ip_id, 0x1234);
	CHECK(p.df);
	CHECK_EQ(p.sport, 53);
	CHECK_EQ(p.payload_len, ml);
	CHECK(!p.payload_cut);
	CHECK_MEM(p.payload, dns, ml);
	/* the header checksum is right: the 16-bit sum of the header is 0xffff */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(out[i] << 8 | out[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffffu);
	const struct net_reasm_stats *s = net_reasm_stats(r);
	CHECK_EQ(s->fragments, 3u);
	CHECK_EQ(s->reassembled, 1u);
	CHECK_EQ(net_reasm_rejected(s), 0u);
	CHECK_EQ(net_reasm_pending(r), 0u);
	/* a packet that is no fragment is left to the caller */
	uint8_t whole[2048];
	memcpy(whole, pkt[0], 20);
	put16(whole + 2, 20 + 100);
	put16(whole + 6, 0x4000);
	memcpy(whole + 20, dgram, 100);
	CHECK_EQ(net_reasm_feed(r, whole, 120, 4, &out, &n, NULL), NET_REASM_NOT_FRAGMENT);
	CHECK_EQ(s->fragments, 3u);
	net_reasm_free(r);
}

/* RFC 815: fragments in any order; the last one may come first. */
static void test_v4_out_of_order_and_duplicate(void)
{
	size_t ul = udp(dgram, dns, dns_msg(dns, 1000));
	plen[0] = v4frag(pkt[0], dgram, 0, 400, 1, 7, 40);
	plen[1] = v4frag(pkt[1], dgram, 400, 400, 1, 7, 41);
	plen[2] = v4frag(pkt[2], dgram, 800, ul - 800, 0, 7, 42);
	struct net_reasm *r = net_reasm_new(NULL);
	const uint8_t *out;
	size_t n;
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	/* an exact duplicate (RFC 8200 4.5 lets it be dropped alone): counted */
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_stats(r)->duplicates, 2u);
	CHECK_EQ(feed(r, 0, 2, &out, &n), NET_REASM_DONE);
	struct net_packet p;
	CHECK_EQ(net_packet_parse_ip(out, n, &p), DW_OK);
	CHECK_EQ(p.ttl, 40); /* the first fragment's, though it came last */
	CHECK_EQ(p.payload_len, 1000u);
	CHECK_EQ(net_reasm_rejected(net_reasm_stats(r)), 0u);
	net_reasm_free(r);
}

/* RFC 5722 (and the same for IPv4): an overlap drops the whole datagram. */
static void test_overlap(void)
{
	size_t ul = udp(dgram, dns, dns_msg(dns, 1000));
	plen[0] = v4frag(pkt[0], dgram, 0, 512, 1, 9, 40);
	plen[1] = v4frag(pkt[1], dgram, 504, 256, 1, 9, 40); /* overlaps 8 bytes */
	plen[2] = v4frag(pkt[2], dgram, 512, ul - 512, 0, 9, 40);
	struct net_reasm *r = net_reasm_new(NULL);
	const uint8_t *out;
	size_t n;
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_stats(r)->overlap, 1u);
	CHECK_EQ(net_reasm_pending(r), 0u);
	/* the rest alone makes no datagram */
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_pending(r), 1u);
	/* same range, other bytes: an overlap too, not a duplicate */
	plen[3] = v4frag(pkt[3], dgram, 512, ul - 512, 0, 9, 40);
	pkt[3][30] ^= 1;
	CHECK_EQ(feed(r, 3, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_stats(r)->overlap, 2u);
	CHECK_EQ(net_reasm_stats(r)->duplicates, 0u);
	CHECK_EQ(net_reasm_stats(r)->reassembled, 0u);
	net_reasm_free(r);

	/* IPv6 (RFC 5722): the same */
	ul = udp(dgram, dns, dns_msg(dns, 1000));
	plen[0] = v6frag(pkt[0], dgram, 0, 512, 1, 77, 50, 0);
	plen[1] = v6frag(pkt[1], dgram, 256, ul - 256, 0, 77, 50, 0);
	r = net_reasm_new(NULL);
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_stats(r)->overlap, 1u);
	CHECK_EQ(net_reasm_pending(r), 0u);
	net_reasm_free(r);
}

/* Oversize (offset + length past 65535), bad lengths (RFC 791: every
 * fragment but the last a multiple of 8; RFC 8200 4.5 likewise), truncated
 * captures. */
static void test_oversize_and_bad_lengths(void)
{
	udp(dgram, dns, dns_msg(dns, 1000));
	struct net_reasm *r = net_reasm_new(NULL);
	const uint8_t *out;
	size_t n;
	const struct net_reasm_stats *s = net_reasm_stats(r);
	/* offset 65528 + 100 bytes */
	plen[0] = v4frag(pkt[0], dgram, 0, 100, 0, 1, 40);
	put16(pkt[0] + 6, 0x1fff);
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(s->oversize, 1u);
	/* a non-final fragment of 100 bytes */
	plen[1] = v4frag(pkt[1], dgram, 0, 100, 1, 2, 40);
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(s->bad_length, 1u);
	/* the last fragment ends before data already held */
	plen[2] = v4frag(pkt[2], dgram, 0, 512, 1, 3, 40);
	plen[3] = v4frag(pkt[3], dgram, 256, 100, 0, 3, 40);
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 3, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(s->bad_length, 2u);
	CHECK_EQ(net_reasm_pending(r), 0u);
	/* the header says more than was captured */
	plen[4] = v4frag(pkt[4], dgram, 0, 512, 1, 4, 40);
	CHECK_EQ(net_reasm_feed(r, pkt[4], 300, 1, &out, &n, NULL), NET_REASM_HELD);
	CHECK_EQ(s->truncated, 1u);
	/* IPv6: offset 65528 + 16 bytes of payload past 65535 */
	plen[5] = v6frag(pkt[5], dgram, 0, 16, 0, 5, 40, 0);
	put16(pkt[5] + 42, 65528);
	CHECK_EQ(feed(r, 5, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(s->oversize, 2u);
	CHECK_EQ(s->fragments, 6u);
	CHECK_EQ(s->reassembled, 0u);
	net_reasm_free(r);
}

/* RFC 8200 4.5: a datagram not complete within the timeout is dropped
 * (the time is the caller's; the default 30 s, here 5 s). */
static void test_timeout(void)
{
	size_t ul = udp(dgram, dns, dns_msg(dns, 1000));
	plen[0] = v4frag(pkt[0], dgram, 0, 512, 1, 11, 40);
	plen[1] = v4frag(pkt[1], dgram, 512, ul - 512, 0, 11, 40);
	struct net_reasm_config cfg = {.timeout_us = 5000000};
	struct net_reasm *r = net_reasm_new(&cfg);
	const uint8_t *out;
	size_t n;
	CHECK_EQ(feed(r, 0, 1000000, &out, &n), NET_REASM_HELD);
	net_reasm_expire(r, 5999999);
	CHECK_EQ(net_reasm_pending(r), 1u);
	CHECK_EQ(feed(r, 1, 6000000, &out, &n), NET_REASM_HELD); /* too late */
	CHECK_EQ(net_reasm_stats(r)->expired, 1u);
	CHECK_EQ(net_reasm_pending(r), 1u); /* the last fragment, waiting alone */
	net_reasm_expire(r, 11000000);
	CHECK_EQ(net_reasm_pending(r), 0u);
	CHECK_EQ(net_reasm_stats(r)->expired, 2u);
	/* within the timeout it completes */
	CHECK_EQ(feed(r, 0, 20000000, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 24999999, &out, &n), NET_REASM_DONE);
	net_reasm_free(r);
}

/* The bounds: datagrams in flight and fragments per datagram. */
static void test_limits(void)
{
	size_t ul = udp(dgram, dns, dns_msg(dns, 1000));
	struct net_reasm_config cfg = {.max_datagrams = 2, .max_frags = 3};
	struct net_reasm *r = net_reasm_new(&cfg);
	const struct net_reasm_stats *s = net_reasm_stats(r);
	const uint8_t *out;
	size_t n;
	for (uint16_t id = 1; id <= 3; id++) {
		plen[0] = v4frag(pkt[0], dgram, 0, 8, 1, id, 40);
		CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	}
	CHECK_EQ(s->too_many_datagrams, 1u);
	CHECK_EQ(net_reasm_pending(r), 2u);
	/* datagram 1: three more fragments is one too many */
	for (size_t off = 8; off <= 24; off += 8) {
		plen[0] = v4frag(pkt[0], dgram, off, 8, 1, 1, 40);
		CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	}
	CHECK_EQ(s->too_many_frags, 1u);
	CHECK_EQ(net_reasm_pending(r), 1u);
	/* room again: datagram 3 in three fragments */
	plen[0] = v4frag(pkt[0], dgram, 0, 8, 1, 3, 40);
	plen[1] = v4frag(pkt[1], dgram, 8, 512, 1, 3, 40);
	plen[2] = v4frag(pkt[2], dgram, 520, ul - 520, 0, 3, 40);
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_DONE);
	CHECK_EQ(n, 20 + ul);
	CHECK_EQ(net_reasm_rejected(s), 2u);
	net_reasm_free(r);
}

/* RFC 8200 4.5: the Fragment header removed, the unfragmentable part (here
 * with a destination-options header) kept, payload length fixed; fragments
 * with another ID or source are other datagrams. */
static void test_v6(void)
{
	size_t ml = dns_msg(dns, 1400), ul = udp(dgram, dns, ml);
	plen[0] = v6frag(pkt[0], dgram, 0, 600, 1, 0xabcdef01, 33, 1);
	plen[1] = v6frag(pkt[1], dgram, 600, 600, 1, 0xabcdef01, 34, 1);
	plen[2] = v6frag(pkt[2], dgram, 1200, ul - 1200, 0, 0xabcdef01, 35, 1);
	plen[3] = v6frag(pkt[3], dgram, 1200, ul - 1200, 0, 0xabcdef02, 35, 1); /* other ID */
	struct net_reasm *r = net_reasm_new(NULL);
	const uint8_t *out;
	size_t n;
	CHECK_EQ(feed(r, 1, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 3, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(feed(r, 0, 1, &out, &n), NET_REASM_HELD);
	CHECK_EQ(net_reasm_pending(r), 2u);
	CHECK_EQ(feed(r, 2, 1, &out, &n), NET_REASM_DONE);
	CHECK_EQ(n, 40 + 8 + ul);
	CHECK_EQ(out[6], 60);
	CHECK_EQ(out[40], 17);
	struct net_packet p;
	CHECK_EQ(net_packet_parse_ip(out, n, &p), DW_OK);
	CHECK_EQ(p.family, AF_INET6);
	CHECK_EQ(p.ttl, 33);
	CHECK_EQ(p.payload_len, ml);
	CHECK_MEM(p.payload, dns, ml);
	CHECK_EQ(net_reasm_pending(r), 1u);
	/* an atomic fragment (RFC 6946: offset 0, M clear) is a datagram alone */
	plen[4] = v6frag(pkt[4], dgram, 0, ul, 0, 5, 33, 0);
	CHECK_EQ(feed(r, 4, 1, &out, &n), NET_REASM_DONE);
	CHECK_EQ(n, 40 + ul);
	CHECK_EQ(net_packet_parse_ip(out, n, &p), DW_OK);
	CHECK_MEM(p.payload, dns, ml);
	CHECK_EQ(net_reasm_stats(r)->reassembled, 2u);
	net_reasm_free(r);
}

/* The largest datagram: 65535 bytes of IPv4, in fragments of 1480. */
static void test_largest(void)
{
	static uint8_t big[65535], frag[1600];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	put16(big + 4, 65535 - 20);
	struct net_reasm *r = net_reasm_new(NULL);
	const uint8_t *out = NULL;
	size_t n = 0, total = 65535 - 20;
	enum net_reasm_result res = NET_REASM_HELD;
	for (size_t off = 0; off < total; off += 1480) {
		size_t len = total - off < 1480 ? total - off : 1480;
		size_t fl = v4frag(frag, big, off, len, off + len < total, 99, 40);
		res = net_reasm_feed(r, frag, fl, 1, &out, &n, NULL);
	}
	CHECK_EQ(res, NET_REASM_DONE);
	CHECK_EQ(n, 65535u);
	CHECK_MEM(out + 20, big, total);
	net_reasm_free(r);
}

int main(void)
{
	RUN(test_v4_in_order_dns);
	RUN(test_v4_out_of_order_and_duplicate);
	RUN(test_overlap);
	RUN(test_oversize_and_bad_lengths);
	RUN(test_timeout);
	RUN(test_limits);
	RUN(test_v6);
	RUN(test_largest);
	return harness_done();
}
