/*
 * Optional DNSSEC for the lab (`lab up --sign`), for the guard: every zone
 * gets one ECDSA P-256 key (algorithm 13, RFC 6605) used as a combined
 * signing key (KSK flag, signs every RRset), with libldns (what ldns-keygen
 * and ldns-signzone do, in process: two tool runs per zone cost 90 s for
 * the default population; in process it takes seconds). NSEC, signatures
 * valid four weeks. Zones are signed bottom up: each child's DS goes into
 * its parent before the parent is signed, and the root's DS becomes the
 * lab's trust anchor.
 */
#ifndef DW_LAB_SIGN_H
#define DW_LAB_SIGN_H

#include <stddef.h>

#include "lab/population.h"
#include "util/error.h"

/* File name of the trust anchor under the lab's state directory. */
#define LAB_TRUST_ANCHOR "trust-anchor.ds"

/*
 * Sign the zone files under DIR/zones in place (each zone's DS in DIR/keys;
 * private keys are not kept) and write DIR/trust-anchor.ds. Signs in two
 * worker processes (whose own messages go to stderr). Returns 0, or -1 with
 * one line in ERR.
 */
DW_MUST_CHECK int lab_sign_zones(const char *dir, const struct lab_pop *pop, struct dw_error *err);

#endif
