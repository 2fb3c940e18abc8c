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
 * The rate rule for real networks (docs/ethics.md). Loopback (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104) and the lab's addresses (198.18.0.0/15, RFC
 * 2544's benchmarking range, which never leaves a lab host) are "local".
 * A run with any other target is sent at PROBE_PUBLIC_RATE unless a rate is
 * given, and over PROBE_FAST_RATE only with --allow-fast-public.
 */
#define PROBE_FAST_RATE 1000.0  /* queries/s, all targets together */
#define PROBE_PUBLIC_RATE 100.0 /* the default when a target is not local */
#define PROBE_LOCAL_RATE 1000.0 /* the default when every target is */

/* Whether T is on loopback or in the lab. */
bool probe_target_local(const struct probe_target *t);

/* The first of the N targets T that is not local, or -1. */
int probe_targets_public(const struct probe_target *t, int n);

/*
 * Whether RATE (queries/s, all targets together) may be sent to the N
 * targets T: 0, or -1 with one line in MSG (CAP bytes) that names the
 * target, the rate and the flag to add (OPTION says which option asked).
 */
DW_MUST_CHECK int probe_rate_allowed(const struct probe_target *t, int n, double rate,
				     bool allow_fast, const char *option, char *msg, size_t cap);

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
