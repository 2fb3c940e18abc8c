/*
 * An injector's fingerprint: everything below and around the forged DNS
 * answer by which one injector can be told from another (IP TTL, IP ID, DF,
 * delay, copies, header flags, answer layout and TTL). Several profiles run
 * side by side in one `dnswatch inject`, as the GFW's injectors do.
 *
 * Text form, for --injector: comma-separated key=value pairs, e.g.
 *   name=i1,ttl=mirror,ipid=random,df=0,copies=1,answer-ttl=60,flags=ra
 * (keys and values in docs/rules.md).
 */
#ifndef DW_INJECT_PROFILE_H
#define DW_INJECT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum ttl_mode {
	TTL_FIXED,  /* always ttl */
	TTL_MIRROR, /* the query's IP TTL as seen at the injector, plus ttl_offset */
	TTL_RANDOM  /* uniform in [ttl, ttl_max] */
};

enum ipid_mode {
	IPID_ZERO,
	IPID_RANDOM,
	IPID_INCREMENT, /* a counter per injector */
	IPID_MIRROR     /* the query's IP ID */
};

/* Header flags of the forged reply (opcode and rcode aside). */
enum flags_mode {
	FLAGS_COPY,   /* QR, RD copied from the query, RA set, AA clear */
	FLAGS_RA,     /* always QR RD RA: 0x8180 */
	FLAGS_AA,     /* always QR AA: 0x8400 */
	FLAGS_FOLLOW  /* 0x8180 if the query has RD, 0x8400 if not (Wallbleed) */
};

/* Which queries this injector answers, by their RD bit. */
enum rd_select { RD_ANY, RD_ONLY_SET, RD_ONLY_CLEAR };

struct inject_profile {
	char name[32];
	enum ttl_mode ttl_mode;
	uint8_t ttl, ttl_max;
	int ttl_offset;
	enum ipid_mode ipid_mode;
	bool df;
	uint32_t delay_us;     /* hold the reply this long after the query was seen */
	unsigned copies;       /* identical replies sent per query (1..16) */
	uint32_t answer_ttl;   /* unless the rule sets one */
	uint32_t answer_ttl_max; /* > answer_ttl: uniform in [answer_ttl, answer_ttl_max] */
	enum flags_mode flags;
	enum rd_select answers;
	bool answer_ptr;       /* answer owner as a pointer to the question (else in full) */
};

#define PROFILE_MAX 8
#define PROFILE_COPIES_MAX 16

/* The defaults: ttl=64 fixed, ipid=random, df=0, delay 0, 1 copy, answer TTL 60,
 * flags=copy, answers any RD, compressed answer owner. */
void inject_profile_default(struct inject_profile *p, const char *name);

/* Parse SPEC into *P (starting from the defaults). 0, or -1 with ERR
 * (DW_E_SYNTAX: "'X' is not key=value", "unknown injector key 'K' (...)",
 * "bad value 'V' for injector key 'K'"; DW_E_TOO_LARGE). ERR may be NULL. */
DW_MUST_CHECK int inject_profile_parse(const char *spec, struct inject_profile *p,
				       struct dw_error *err);

/*
 * A named preset into OUT[0..max): "gfw" gives the three published GFW
 * injectors, "simple" one default injector. Returns the number of profiles,
 * or -1 if the name is unknown.
 */
DW_MUST_CHECK int inject_profile_preset(const char *name, struct inject_profile *out, int max);

/* The profile as text (the same form parse reads). */
void inject_profile_format(const struct inject_profile *p, char *buf, size_t cap);

#endif
