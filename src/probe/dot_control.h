/*
 * A control over DNS over TLS (net/dot.h): the same name asked of a trusted
 * resolver over an encrypted connection, which an on-path injector can
 * neither read nor answer for, each answer handed back as a struct
 * probe_result (one reply, no IP-level fields: TLS hides none, and none is
 * needed, since the classifier takes a control's answer, never its
 * fingerprint). `dnswatch probe --control-target LABEL=tls:ADDR#NAME` and
 * `dnswatch watch --no-key` feed these results to classify_control_observe.
 * One connection, opened on the first query and again after a failure.
 * One struct dot_control per thread.
 */
#ifndef DW_PROBE_DOT_CONTROL_H
#define DW_PROBE_DOT_CONTROL_H

#include <stdint.h>

#include "probe/result.h"
#include "util/error.h"
#include "wire/name.h"

struct dot_control_config {
	struct probe_target target; /* family, addr, port (853 for DoT) */
	const char *name;           /* checked against the certificate, SNI; NULL: the address */
	const char *ca_file;        /* NULL: the system's store */
	int timeout_ms;             /* per connection and per exchange */
	uint64_t seed;              /* query IDs */
};

struct dot_control;

/* A control for CFG (copied; NAME and CA_FILE must outlive it). NULL if out
 * of memory. No connection is made yet. */
DW_MUST_CHECK struct dot_control *dot_control_new(const struct dot_control_config *cfg);
void dot_control_free(struct dot_control *d);

/*
 * Ask (QNAME, QTYPE) with RD set and fill R: qname, qtype, id, sent_us,
 * attempts, and the reply (nreplies 1; from the target's address and
 * port, question checked) if one came. A timeout or a dropped connection
 * is tried once more on a new connection. Returns 0 (R filled; nreplies 0
 * if no reply came in time), or -1 with ERR when no connection could be
 * made (a refused certificate, a wrong name: the control is not usable).
 */
DW_MUST_CHECK int dot_control_ask(struct dot_control *d, const uint8_t *qname, uint16_t qtype,
				  struct probe_result *r, struct dw_error *err);

#endif
