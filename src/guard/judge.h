/*
 * The guard's decision rules (docs/guard.md): is one upstream reply the
 * upstream's own, or an on-path forgery? Pure: an observed reply, the
 * path's learned profile and what the guard has learned about injectors go
 * in; the checks it fails come out, with one line of evidence. No I/O, no
 * clock (times are passed in), so the rules are tested on captured replies.
 *
 * The checks (Hold-On, Duan et al. 2012, plus what an injector's layout
 * gives away):
 *   ttl     the reply's IP TTL is within +-1 of the TTLs the path's own
 *           replies arrive with;
 *   rtt     its round trip is not under half the path's learned floor (an
 *           injector near the client answers before the real reply can);
 *           a floor under GUARD_RTT_FLOOR_MIN_US is not used;
 *   layout  the DNS layout is the upstream's own: an OPT record when the
 *           upstream sends one, the same AA/RA/RD/TC flags, the same form of
 *           the first answer's owner (a pointer to the question or not);
 *   group   it matches no learned injector fingerprint group;
 *   addr    none of its answer addresses is one seen forged before.
 * A check whose knowledge is missing (no profile yet, no IP fields) passes:
 * the guard then holds the query open and lets disagreement decide.
 */
#ifndef DW_GUARD_JUDGE_H
#define DW_GUARD_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The checks, as bits: a judgement is the set that failed (0: it fits). */
enum guard_check {
	GUARD_CHECK_TTL = 1u << 0,
	GUARD_CHECK_RTT = 1u << 1,
	GUARD_CHECK_LAYOUT = 1u << 2,
	GUARD_CHECK_GROUP = 1u << 3,
	GUARD_CHECK_ADDR = 1u << 4,
	GUARD_CHECK_DNSSEC = 1u << 5,
	GUARD_CHECK_ALL = (1u << 6) - 1
};
#define GUARD_CHECK_COUNT 6
/* "ttl", "rtt", "layout", "group", "addr", "dnssec" for bit index I. */
const char *guard_check_name(unsigned i);

#define GUARD_OBS_ADDRS 8
/* Under this floor a path is too short for a race to tell anything: the
 * scheduler's jitter is larger than an injector's head start. */
#define GUARD_RTT_FLOOR_MIN_US 2000

/* One reply as the guard saw it. */
struct guard_obs {
	uint32_t rtt_us;          /* since the query left */
	bool ttl_known;           /* IP TTL read (IP_RECVTTL / hop limit) */
	uint8_t ip_ttl;
	bool ipid_known;          /* IP ID and DF read (a raw capture) */
	uint16_t ip_id;
	bool df;
	bool parsed;              /* the DNS message parsed */
	uint16_t flags;           /* header flags word */
	unsigned rcode;           /* full rcode */
	bool has_opt;
	bool answer_ptr;          /* first answer's owner is a pointer to the question */
	uint16_t ancount, nscount, arcount;
	uint8_t naddrs;           /* A and AAAA records of the answer (at most GUARD_OBS_ADDRS) */
	struct { uint8_t family; uint8_t addr[16]; } addrs[GUARD_OBS_ADDRS];
};

/* Fill O's DNS fields from MSG[0..LEN); the IP fields and RTT are the
 * caller's. Returns 0, or -1 (parsed false) if the message does not parse. */
int guard_obs_fill(struct guard_obs *o, const uint8_t *msg, size_t len);

/* Do two replies give the same answer (rcode and the same address set;
 * without addresses, the same counts)? */
bool guard_obs_agree(const struct guard_obs *a, const struct guard_obs *b);

/* A path's learned profile: from replies that cannot be forged. */
#define GUARD_PROFILE_SAMPLES 16
struct guard_profile {
	unsigned n;               /* samples in the ring (<= GUARD_PROFILE_SAMPLES) */
	unsigned next;
	struct {
		uint64_t at_us;
		uint32_t rtt_us;
		bool ttl_known;
		uint8_t ttl;
	} s[GUARD_PROFILE_SAMPLES];
	bool layout_known;
	bool has_opt;             /* the upstream answers an EDNS query with OPT */
	uint16_t flags;           /* its AA, RA, RD flags */
	int answer_ptr;           /* -1 unknown, else its owner form */
	uint64_t learned;         /* samples taken, ever */
};

/* Learn sample O (a confirmed reply) at time NOW_US; samples older than
 * MAX_AGE_US are forgotten at the next learn (refreshing the profile). */
void guard_profile_learn(struct guard_profile *p, const struct guard_obs *o, uint64_t now_us,
			 uint64_t max_age_us);
/* The RTT floor over the ring (false under two samples: the first may
 * include the upstream's recursion) and the TTL range (false if none). */
bool guard_profile_rtt_floor(const struct guard_profile *p, uint32_t *floor_us);
bool guard_profile_ttl_range(const struct guard_profile *p, uint8_t *lo, uint8_t *hi);

/* An injector's fingerprint: the layout it forges with and what its IP
 * header shows. ttl 0: varies (or unknown). */
struct guard_fp {
	uint16_t flags;
	bool has_opt;
	bool answer_ptr;
	int8_t df;                /* -1 unknown */
	int8_t ipid_zero;         /* -1 unknown */
};

#define GUARD_GROUPS_MAX 32
#define GUARD_ADDRS_MAX 4096 /* forged addresses remembered (a power of 2) */

/* What the guard knows about injectors: fingerprint groups and forged
 * addresses (learned from drops, or read from a store). */
struct guard_intel {
	unsigned ngroups;
	struct guard_fp group[GUARD_GROUPS_MAX];
	uint64_t group_hits[GUARD_GROUPS_MAX];
	unsigned naddrs;
	struct { uint8_t used, family; uint8_t addr[16]; } addr[GUARD_ADDRS_MAX];
};

/* The fingerprint of O. */
void guard_fp_of(const struct guard_obs *o, struct guard_fp *fp);
/* Add FP as a group unless it is there or it looks like profile P's own
 * replies (a fingerprint equal to the real upstream's would drop real
 * answers). Returns the group's index, or -1 if not added. */
int guard_intel_add_group(struct guard_intel *in, const struct guard_fp *fp,
			  const struct guard_profile *p);
/* The index of the group O matches, -1 if none. */
int guard_intel_match_group(const struct guard_intel *in, const struct guard_obs *o);
/* Remember a forged address (IPv4: 4 bytes in ADDR). */
void guard_intel_add_addr(struct guard_intel *in, int family, const uint8_t *addr);
bool guard_intel_has_addr(const struct guard_intel *in, int family, const uint8_t *addr);

/*
 * Judge reply O to a query sent with EDNS (SENT_EDNS) against profile P and
 * INTEL, with the checks in ENABLED only. Returns the failed checks (0: it
 * fits) and writes one line of evidence into EV[0..CAP) ("rtt 0.4 ms under
 * half the floor 161.2 ms; ..."), "" when it fits. *GROUP gets the matched
 * group's index or -1 (may be NULL).
 */
unsigned guard_judge(const struct guard_profile *p, const struct guard_intel *intel,
		     const struct guard_obs *o, bool sent_edns, unsigned enabled, int *group,
		     char *ev, size_t cap);

/* Could O be judged on every enabled Hold-On check, i.e. has the profile
 * the knowledge (a TTL range, an RTT floor, a layout)? A reply that fits an
 * unknowing profile is only unverified. */
bool guard_profile_ready(const struct guard_profile *p);

#endif
