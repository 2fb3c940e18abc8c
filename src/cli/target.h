/*
 * A probe target as users name it: LABEL=KIND:ADDR[:PORT] (KIND resolver,
 * auth or nodns; ADDR IPv4, IPv6, or [IPv6]:PORT), or in a lab simply a lab
 * server's name ("isp", "public", "nodns"), whose kind and address the
 * lab's server table gives. Used by probe and watch.
 */
#ifndef DW_PROBE_TARGET_H
#define DW_PROBE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/result.h"
#include "util/error.h"

/* Parse SPEC into T (lab server names only if LAB). 0, or -1 if bad. */
DW_MUST_CHECK int probe_target_parse(const char *spec, bool lab, struct probe_target *t);

/*
 * A resolver over DNS over TLS, LABEL=tls:ADDR[#NAME] (ADDR as above, the
 * port 853 unless given; NAME the one its certificate must hold, sent as
 * SNI; without it the certificate must hold the address): T gets the
 * label, kind resolver, the address and port; NAME (CAP bytes) the name
 * or "". Returns 1 if SPEC is such a target, 0 if it is not a tls: target
 * at all, -1 if it is one but bad.
 */
DW_MUST_CHECK int probe_target_parse_tls(const char *spec, struct probe_target *t, char *name,
					 size_t cap);

#endif
