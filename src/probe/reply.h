/*
 * Filling a struct probe_reply (result.h) from the raw DNS payload of a
 * reply: header flags, full rcode, section counts, the answer addresses,
 * the first answer's TTL and owner form, CNAMEs, and whether the question
 * is the query's byte for byte. The probe engine calls this for every reply
 * it keeps; the classifier's tests call it on crafted messages. No I/O.
 */
#ifndef DW_PROBE_REPLY_H
#define DW_PROBE_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"

/* Largest question section a query can carry: a name and type and class. */
#define PROBE_QUESTION_MAX (WIRE_NAME_MAX + 4)

/*
 * Write the question section of a query (NAME as sent, 0x20 case included,
 * then TYPE and class IN) into OUT[0..PROBE_QUESTION_MAX). Returns its
 * length, 0 if NAME is not a valid wire name.
 */
size_t probe_question_make(const uint8_t *name, uint16_t type, uint8_t *out);

/*
 * Fill the DNS-derived fields of R from DNS[0..LEN): parsed, question_match,
 * flags, rcode (EDNS extension included, RFC 6891 6.1.3), ancount, nscount,
 * arcount, answer_ptr, answer_ttl, naddrs and addrs (the A and AAAA records
 * of the answer section, at most PROBE_ADDRS_MAX), ncnames, has_ede and ede
 * (the first Extended DNS Error's info-code, RFC 8914; read from the whole
 * message, so it is known even when raw is cut), len, rawlen and raw (at
 * most PROBE_RAW_MAX bytes kept). QUESTION[0..QLEN) is the query's
 * question section as sent (probe_question_make); the reply's must be
 * identical byte for byte, case included, and be its only question. NULL
 * QUESTION leaves question_match false.
 *
 * The time, source and IP-level fields (time_us, rtt_us, family, src, sport,
 * ip_known, ip_ttl, ip_id, df) are the caller's and are left as they are.
 *
 * Returns 0 if the message parsed. Returns -1 if it did not: what could be
 * read is still filled (the header's flags, rcode and counts if 12 bytes
 * were there; the records before the failure), parsed is false.
 */
int probe_reply_fill(struct probe_reply *r, const uint8_t *dns, size_t len,
		     const uint8_t *question, size_t qlen);

/*
 * Set the fields that come from below DNS: arrival TIME_US, the source
 * address and port, and the IP TTL, ID and DF of the captured packet P.
 */
struct net_packet;
void probe_reply_set_ip(struct probe_reply *r, const struct net_packet *p, uint64_t time_us);

#endif
