/*
 * The live check of a lab DNS server: one small query over UDP from inside
 * the server's neighbourhood, answered or not within a deadline. Many
 * servers are checked at once (all queries sent, then one poll loop), so a
 * status of sixteen servers takes one timeout at most, not sixteen.
 *
 * The query is built here in a dozen lines rather than with the wire codec,
 * because only the header of the reply matters (ID, QR, RCODE).
 */
#ifndef DW_LAB_CHECK_H
#define DW_LAB_CHECK_H

#include <stdint.h>

#include "util/error.h"

struct lab_check {
	/* in */
	const char *ns;      /* namespace to send from */
	uint32_t addr;       /* server, host order */
	const char *qname;   /* e.g. "com." */
	uint16_t qtype;      /* e.g. 6 (SOA) */
	int rd;              /* recursion desired */
	/* out */
	int answered;        /* a reply with our ID and QR arrived */
	int rcode;           /* its RCODE */
	int aa;              /* its AA bit */
	double ms;           /* round trip */
	/* private */
	int fd;
	uint16_t id;
	long long sent_us;
};

/* Send every probe and wait up to TIMEOUT_MS for replies; probes already
 * answered are skipped, so a caller can call again to retry the others.
 * Returns the number answered in total. */
int lab_check_run(struct lab_check *p, int n, int timeout_ms);

/* Close the sockets lab_check_run opened. */
void lab_check_close(struct lab_check *p, int n);

/* Encode a query for QNAME/QTYPE into BUF; returns its length, or 0 when
 * QNAME is not a name or BUF too small. */
DW_MUST_CHECK int lab_check_query(uint8_t *buf, int cap, uint16_t id, const char *qname,
		    uint16_t qtype, int rd);

/* "NOERROR", "SERVFAIL", ... */
const char *lab_check_rcode(int rcode);

#endif
