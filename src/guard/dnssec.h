/*
 * The guard's DNSSEC validator (docs/guard.md, "DNSSEC"): is one upstream
 * reply what the signed zone says, or a forgery? A reply (wire bytes) and
 * the key store go in; a verdict comes out: secure (every RRset of the
 * answer, or the NSEC denial, verified up a chain of trust to an anchor),
 * insecure (under a delegation proven unsigned, or outside every anchor),
 * bogus (a signature that fails, or no signature where the zone is known
 * signed), or "need": key material the store lacks (a zone's DS or DNSKEY
 * RRset), which the caller fetches and then asks again. No I/O and no clock
 * (the time is passed in), so it is tested on zones signed in the test.
 *
 * The crypto and record conversion are libldns's (ldns_verify_rrsig_keylist_time,
 * ldns_rr_compare_ds); the message is read with the project's wire codec.
 *
 * The chain of trust (RFC 4035 5): an RRset signed by zone Z verifies with
 * Z's DNSKEY RRset; that RRset is trusted when a key in it matches a DS of Z
 * (or a DNSKEY anchor) and signs it; Z's DS RRset is trusted when it
 * verifies with the parent's keys, up to an anchor. What the store learns
 * (validated keys, DS sets, proven unsigned delegations, names proven not
 * to be zone cuts) it keeps for the records' TTL, at most until the
 * signatures expire, and at most a day.
 *
 * Denial: NSEC (RFC 4035 5.4) here; NSEC3 (RFC 5155 8) partly here, the
 * rest by libldns (ldns_dnssec_verify_denial_nsec3_match), on verified
 * records only. Not promised: wildcard answers are insecure (the closer
 * name's absence is not checked), DNAME, algorithms libldns cannot verify
 * (a zone whose DS all use them is bogus, not insecure).
 */
#ifndef DW_GUARD_DNSSEC_H
#define DW_GUARD_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "wire/name.h"

enum guard_dnssec_verdict {
	GUARD_DNSSEC_SECURE = 0,
	GUARD_DNSSEC_INSECURE,
	GUARD_DNSSEC_BOGUS,
	GUARD_DNSSEC_NEED
};
/* "secure", "insecure", "bogus", "need". */
const char *guard_dnssec_verdict_name(enum guard_dnssec_verdict v);

struct guard_dnssec_result {
	enum guard_dnssec_verdict verdict;
	uint8_t need_name[WIRE_NAME_MAX]; /* NEED: ask NEED_NAME NEED_TYPE (DS or DNSKEY) */
	uint16_t need_type;
	char why[256];                    /* BOGUS: the evidence; otherwise a note */
};

struct guard_dnssec;

/*
 * A validator whose trust anchors are the DS and DNSKEY records of FILE
 * (zone-file form, as unbound's trust-anchor-file: comments, $ORIGIN, $TTL
 * and parentheses allowed). 0, or -1 with ERR ("FILE:LINE: reason" for a
 * record that does not parse or is not DS or DNSKEY; no record at all is an
 * error too). Free it with guard_dnssec_free.
 */
DW_MUST_CHECK int guard_dnssec_new(struct guard_dnssec **out, const char *file,
				   struct dw_error *err);
void guard_dnssec_free(struct guard_dnssec *v);

/*
 * Judge reply MSG[0..LEN) to the question QNAME (wire form) QTYPE at wall
 * time NOW (seconds since the epoch; signatures are checked against it).
 * Returns the verdict, also in R with its evidence. With LEARN, what a
 * secure verdict proves goes into the store: for a DS or DNSKEY question a
 * zone's DS set or keys, an unsigned delegation, a name that is no cut;
 * for any answer, that the names between its signer and its owner are no
 * cut (a forged unsigned answer for that name is then bogus at once).
 * Rcodes other than NOERROR and NXDOMAIN carry no proof: insecure.
 */
enum guard_dnssec_verdict guard_dnssec_check(struct guard_dnssec *v, const uint8_t *msg, size_t len,
					     const uint8_t *qname, uint16_t qtype, uint64_t now,
					     bool learn, struct guard_dnssec_result *r);

/* Zones and names the store holds (anchors included). */
size_t guard_dnssec_count(const struct guard_dnssec *v);

#endif
