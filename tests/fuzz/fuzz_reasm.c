/* libFuzzer: net/reasm over a sequence of packets. The input is records of
 * [seconds since the last packet: 1 byte][length: 2 bytes, big-endian]
 * [the packet from its IP header], fed to a small reassembler (8 datagrams,
 * 16 fragments each, a 10 s timeout) so that the bounds are met often.
 * Invariants: no crash or leak (ASan), no more datagrams held than the
 * bound, every fragment counted at most once, and every datagram handed out
 * has an IP header whose lengths say what it holds and no fragment bits,
 * and parses with net_packet_parse_ip. */
#include <stdint.h>
#include <stdlib.h>

#include "net/packet.h"
#include "net/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_datagram(const uint8_t *out, size_t n)
{
	struct net_packet p;
	if (n < 20 || n > 40 + NET_REASM_MAX)
		abort();
	if (out[0] >> 4 == 4) {
		size_t ihl = (size_t)(out[0] & 0xf) * 4;
		if (n > NET_REASM_MAX || (size_t)(out[2] << 8 | out[3]) != n || ihl < 20 || ihl > n ||
		    (out[6] & 0x3f) || out[7])
			abort();
		uint32_t sum = 0;
		for (size_t i = 0; i < ihl; i += 2)
			sum += (uint32_t)(out[i] << 8 | out[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		if (sum != 0xffff)
			abort();
		enum dw_status st = net_packet_parse_ip(out, n, &p);
		if (st == DW_E_FRAGMENT || st == DW_E_NOT_IP || p.ip_len != n)
			abort();
	} else if (out[0] >> 4 == 6) {
		if (n < 40 || (size_t)(out[4] << 8 | out[5]) + 40 != n)
			abort();
		enum dw_status st = net_packet_parse_ip(out, n, &p);
		if (st == DW_E_NOT_IP || p.ip_len != n)
			abort();
	} else {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_reasm_config cfg = {.max_datagrams = 8, .max_frags = 16,
				       .timeout_us = 10000000};
	struct net_reasm *r = net_reasm_new(&cfg);
	if (!r)
		return 0;
	uint64_t now = 1;
	uint64_t fed = 0;
	size_t i = 0;
	while (size - i >= 3) {
		now += (uint64_t)data[i] * 1000000;
		size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		const uint8_t *out;
		size_t n;
		unsigned k = 0;
		enum net_reasm_result res = net_reasm_feed(r, data + i, len, now, &out, &n, &k);
		fed++;
		if (res == NET_REASM_DONE) {
			if (k < 1 || k > cfg.max_frags)
				abort();
			check_datagram(out, n);
		}
		if (net_reasm_pending(r) > cfg.max_datagrams)
			abort();
		const struct net_reasm_stats *s = net_reasm_stats(r);
		if (s->fragments > fed || s->reassembled > s->fragments)
			abort();
		i += len;
	}
	net_reasm_free(r);
	return 0;
}
