/*
 * TTL-limited localisation of an on-path injector: the same query is sent
 * with IP TTL 1, 2, ... N towards a target behind the injector; routers on
 * the way answer with ICMP time exceeded, and the injector, which reads the
 * query wherever it still arrives, answers from its own hop. The first TTL
 * at which forged replies come back is the injector's hop: unless the
 * injector mirrors the query's IP TTL in its reply (one of the GFW's does,
 * "Triplet Censors", FOCI 2020). Such a reply starts with the TTL the query
 * had left at the injector and must cross the same routers back, so it only
 * arrives once the probe TTL is about twice the hop count; its received TTL
 * then rises one for one with the probe's. Replies are grouped by
 * fingerprint, and a group whose received TTL tracks the probe TTL is
 * reported as untrustworthy, with the reason, instead of as a hop.
 */
#ifndef DW_LOCATE_LOCATE_H
#define DW_LOCATE_LOCATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "wire/name.h"

#define LOCATE_TTL_MAX 64
#define LOCATE_GROUPS_MAX 8

struct locate_config {
	int family;
	uint8_t target[16];
	uint16_t port;
	uint8_t qname[WIRE_NAME_MAX];
	uint16_t qtype;
	unsigned max_ttl;      /* 1..64 */
	unsigned probes;       /* queries per TTL */
	uint32_t wait_ms;      /* wait after each TTL's probes */
	uint64_t seed;
};

/* What came back for one probe TTL. */
struct locate_hop {
	bool router_seen;      /* an ICMP time exceeded came back */
	uint8_t router[16];    /* from this address */
	bool target_reached;   /* ICMP port unreachable from the target itself */
	unsigned replies;      /* DNS replies to this TTL's probes */
	uint8_t reply_ttl_min, reply_ttl_max;
};

/* Replies of one fingerprint (flags, DF, IP ID zero or not). */
struct locate_group {
	uint16_t flags;
	bool df, ipid_zero;
	unsigned replies;
	unsigned first_ttl;    /* lowest probe TTL that drew a reply of this group */
	int ttl_at[LOCATE_TTL_MAX + 1]; /* received IP TTL per probe TTL, -1 none */
	bool judged;           /* replies at two probe TTLs or more: mirroring can be told */
	bool mirrors;          /* received TTL rises with the probe TTL */
	char answer[64];       /* first answer address, as text */
};

struct locate_report {
	struct locate_hop hop[LOCATE_TTL_MAX + 1]; /* index = probe TTL */
	unsigned max_ttl;
	struct locate_group group[LOCATE_GROUPS_MAX];
	int ngroups;
	int hop_found;         /* the injector's hop by trustworthy groups, 0 = none */
	bool hop_tentative;    /* placed by a group seen at one TTL only */
	bool untrusted;        /* some group mirrors TTLs (its first TTL is not a hop) */
};

/* Run the probes (in the current network namespace). 0, or -1 with ERR
 * (DW_E_INVALID for a config out of range, else a system call's
 * "what: reason"). */
DW_MUST_CHECK int locate_run(const struct locate_config *cfg, struct locate_report *rep,
			     struct dw_error *err);

/* Judge the groups (mirroring, hop) from the raw observations; locate_run
 * calls it, tests call it on crafted reports. */
void locate_judge(struct locate_report *rep);

/* The report for people: one line per TTL, then the conclusion. */
void locate_print(FILE *out, const struct locate_config *cfg, const struct locate_report *rep);
/* The same as one JSON object. */
void locate_print_json(FILE *out, const struct locate_config *cfg, const struct locate_report *rep);

#endif
