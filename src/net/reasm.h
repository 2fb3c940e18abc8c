/*
 * IPv4 and IPv6 fragment reassembly (RFC 791 3.2, RFC 815, RFC 8200 4.5,
 * RFC 5722), pure: no I/O and no clock of its own (every call is given the
 * time), bounded in the datagrams it holds, the fragments per datagram and
 * the size of a datagram. A fragment goes in starting at its IP header; a
 * whole datagram comes out, its IP header rebuilt so that
 * net_packet_parse_ip judges it like any packet that was never fragmented.
 *
 * Fragments belong together when they share (source, destination,
 * protocol, identification) (RFC 791: the IPv4 protocol and 16-bit ID; RFC
 * 8200 4.5: the IPv6 Fragment header's next header and 32-bit ID).
 *
 * The reassembled datagram carries the header of the first fragment (the
 * one at offset 0), whenever it arrived: its IPv4 TTL, ID, DF bit and
 * options, or its IPv6 hop limit and unfragmentable part. Those are the
 * fields an injector gives itself away by, and the first fragment is the
 * one that holds the UDP header. IPv4: total length set, MF and offset
 * cleared (DF kept), header checksum recomputed. IPv6: the Fragment header
 * removed, the next header before it set to the fragment's, payload length
 * set.
 *
 * What is refused, and counted:
 *  - overlap: a fragment covering bytes another fragment of the datagram
 *    covers, unless it is an exact duplicate. The whole datagram is dropped
 *    (RFC 5722 and RFC 8200 4.5 for IPv6; the same for IPv4, where RFC 791
 *    would let the later copy win: overlaps are how evasion and poisoning
 *    tricks hide, and no honest sender makes them).
 *  - duplicate: a fragment equal to one held (same offset, length and
 *    bytes) is dropped alone, counted, and the datagram goes on (RFC 8200
 *    4.5 permits it; retransmitted or doubled frames make them).
 *  - oversize: offset + length past 65535 bytes of IPv4 datagram, or past
 *    65535 bytes of IPv6 payload; the fragment alone is dropped (datagram
 *    kept if other fragments are held: it can still expire). A datagram
 *    whose first fragment's header makes the whole too large is dropped
 *    when it completes.
 *  - bad length: a fragment with no data, a non-final fragment whose data
 *    is not a multiple of 8 bytes, fragments that disagree on where the
 *    datagram ends, or headers that contradict themselves; the datagram is
 *    dropped when the fragment belonged to one.
 *  - truncated: the capture holds less than the IP header says (snap
 *    length); the fragment alone is dropped.
 *  - too many in flight: a fragment of a new datagram when max_datagrams
 *    are held and none has expired; that fragment is dropped.
 *  - too many fragments: a datagram that would hold more than max_frags
 *    fragments; the whole datagram is dropped.
 *  - expired: a datagram not complete timeout_us after its first fragment
 *    arrived is dropped.
 *  - no memory: a fragment that could not be copied; its datagram dropped.
 *
 * Memory: at most max_datagrams x (65535 + 40) bytes of fragment data plus
 * one output buffer of the same size.
 */
#ifndef DW_NET_REASM_H
#define DW_NET_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define NET_REASM_DATAGRAMS 64          /* default: datagrams held at once */
#define NET_REASM_FRAGS 64              /* default: fragments per datagram */
#define NET_REASM_TIMEOUT_US 30000000u  /* default: 30 s (RFC 8200 4.5: 60 s at most) */
#define NET_REASM_MAX 65535u            /* IPv4 datagram; IPv6 payload */

struct net_reasm_config {
	unsigned max_datagrams;  /* 0: NET_REASM_DATAGRAMS (at most 4096) */
	unsigned max_frags;      /* 0: NET_REASM_FRAGS (at most 8192) */
	uint64_t timeout_us;     /* 0: NET_REASM_TIMEOUT_US */
};

struct net_reasm_stats {
	uint64_t fragments;      /* fragments fed (IPv4 MF or offset, IPv6 Fragment header) */
	uint64_t reassembled;    /* whole datagrams handed out */
	uint64_t expired;        /* datagrams dropped at the timeout */
	uint64_t duplicates;     /* exact duplicate fragments dropped alone */
	/* rejected, by reason */
	uint64_t overlap, oversize, bad_length, truncated, too_many_datagrams, too_many_frags,
		nomem;
};

/* The sum of the rejection counters. */
uint64_t net_reasm_rejected(const struct net_reasm_stats *s);

enum net_reasm_result {
	NET_REASM_NOT_FRAGMENT, /* not a fragment (or not IP): parse it as it is */
	NET_REASM_HELD,         /* a fragment taken (or refused, counted): nothing yet */
	NET_REASM_DONE,         /* a whole datagram in *OUT */
};

struct net_reasm;

/* A reassembler for CFG (NULL: the defaults). NULL when out of memory. */
struct net_reasm *net_reasm_new(const struct net_reasm_config *cfg) DW_MUST_CHECK;
void net_reasm_free(struct net_reasm *r);

/*
 * Feed IP[0..LEN) (from the IP header on) that arrived at NOW_US (any
 * monotonic microseconds; the caller's clock). Datagrams past their timeout
 * are dropped first. On NET_REASM_DONE, *OUT and *OUT_LEN hold the whole
 * datagram (valid until the next call on R) and *NFRAGS (may be NULL) how
 * many fragments made it.
 */
enum net_reasm_result net_reasm_feed(struct net_reasm *r, const uint8_t *ip, size_t len,
				     uint64_t now_us, const uint8_t **out, size_t *out_len,
				     unsigned *nfrags) DW_MUST_CHECK;

/* Drop the datagrams past their timeout at NOW_US (counted as expired). */
void net_reasm_expire(struct net_reasm *r, uint64_t now_us);

/* Datagrams held (incomplete). */
unsigned net_reasm_pending(const struct net_reasm *r);

const struct net_reasm_stats *net_reasm_stats(const struct net_reasm *r);

#endif
