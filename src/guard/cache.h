/*
 * The guard's answer cache: accepted replies only, keyed by the question
 * (name without case, type, class) and the DO bit, kept for their smallest
 * record TTL clamped to [min_ttl, max_ttl], served with the TTLs counted
 * down. Bounded: the least recently used entry makes room. Each entry's
 * answer addresses (A, AAAA) are indexed, so that an address that later
 * proves forged takes every answer holding it out at once
 * (guard_cache_purge_addr: one hash chain, no message parsed). No I/O, no
 * clock.
 */
#ifndef DW_GUARD_CACHE_H
#define DW_GUARD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct guard_cache;

/* A cache of at most MAX entries. 0, or -1 with ERR (DW_E_NOMEM, DW_E_INVALID). */
DW_MUST_CHECK int guard_cache_new(struct guard_cache **out, size_t max, struct dw_error *err);
void guard_cache_free(struct guard_cache *c);

/* FLAGS of guard_cache_put: the reply was accepted unverified (no path
 * profile could judge it; docs/guard.md). */
#define GUARD_CACHE_UNVERIFIED 1u

/*
 * Keep reply MSG[0..LEN) (it must parse) to the question QNAME (wire form,
 * any case), QTYPE, QCLASS, DO at NOW_US, with FLAGS (GUARD_CACHE_*). Only
 * NOERROR and NXDOMAIN replies without TC are kept; one whose clamped TTL
 * is 0 is not. Returns true if it was kept. The message is copied.
 */
bool guard_cache_put(struct guard_cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     bool dnssec_ok, unsigned flags, const uint8_t *msg, size_t len, uint32_t min_ttl,
		     uint32_t max_ttl, uint64_t now_us);

/* Copy the reply kept for the question into OUT[0..CAP) with its record
 * TTLs lowered by its age; false if none, expired (then dropped) or larger
 * than CAP. *OPT_OFF (OPT_OFF may be NULL) gets where its OPT record starts
 * when that is its last record, 0 when it has none, GUARD_CACHE_OPT_UNKNOWN
 * otherwise: what a client without EDNS needs cut, found without a parse. */
#define GUARD_CACHE_OPT_UNKNOWN ((size_t)-1)
bool guard_cache_get(struct guard_cache *c, const uint8_t *qname, uint16_t qtype, uint16_t qclass,
		     bool dnssec_ok, uint64_t now_us, uint8_t *out, size_t cap, size_t *len,
		     size_t *opt_off);

/* Drop every entry for QNAME (any type). Returns how many. */
size_t guard_cache_purge(struct guard_cache *c, const uint8_t *qname);

/*
 * Drop every entry whose answer holds address ADDR (FAMILY AF_INET: 4
 * bytes; AF_INET6: 16): an address proven forged. With QNAME (not NULL)
 * only that name's entries (any type, any case); with UNVERIFIED_ONLY only
 * the entries put with GUARD_CACHE_UNVERIFIED. FN (may be NULL) is told
 * each entry's name (canonical wire form) and type just before it goes.
 * Returns how many went. Costs one hash chain of the address index.
 */
typedef void guard_cache_purged_fn(void *ctx, const uint8_t *qname, uint16_t qtype);
size_t guard_cache_purge_addr(struct guard_cache *c, int family, const uint8_t *addr,
			      const uint8_t *qname, bool unverified_only, guard_cache_purged_fn *fn,
			      void *ctx);

size_t guard_cache_count(const struct guard_cache *c);

#endif
