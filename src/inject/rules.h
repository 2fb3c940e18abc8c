/*
 * The injector's rule file: patterns (see match/match.h) with query-type
 * selectors and actions, plus named address pools. Format in docs/rules.md.
 *
 *   pool google 8.7.198.45 59.24.3.173 ...
 *   *.com              a=65.49.2.178
 *   *.youtube.com      a=@google aaaa=2001::/32 ttl=226
 *   example.org        qtype=A,AAAA nxdomain
 *   *.cn               pass
 *   *google*           noreply
 *   *.twitter.com      a=@pool2 injectors=gfw2,gfw3
 *
 * A rule set is loaded whole or not at all: a bad line makes the load fail
 * with "FILE:LINE: reason" and whatever set was running stays. A loaded set
 * is immutable, so the engine can swap sets between two packets.
 */
#ifndef DW_INJECT_RULES_H
#define DW_INJECT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match/match.h"
#include "util/error.h"

enum rule_action {
	RULE_FORGE = 0, /* answer with forged records (A, AAAA) */
	RULE_NXDOMAIN,  /* answer NXDOMAIN */
	RULE_NOREPLY,   /* count the match, send nothing */
	RULE_PASS       /* explicitly exempt (wins over less specific rules) */
};

/* Where forged A addresses come from: one address or a pool. */
struct inject_rule_rdata_a {
	bool set;
	uint32_t pool;     /* index into rules->pools; single addresses are pools of one */
};

struct inject_rule_rdata_aaaa {
	bool set;
	uint8_t prefix[16];
	uint8_t prefix_len; /* 128 for a single address */
};

#define RULES_INJECTORS_MAX 8

struct inject_rule {
	enum rule_action action;
	uint8_t injectors;  /* bit i: injector named rules->injector[i]; 0 = all */
	struct inject_rule_rdata_a a;
	struct inject_rule_rdata_aaaa aaaa;
	bool has_ttl;
	uint32_t ttl;      /* answer TTL; else the injector profile's */
	uint32_t line;     /* line in the file, for logs */
};

struct inject_rule_pool {
	char name[32];
	uint32_t first;    /* index of its first address in rules->addrs */
	uint32_t count;
};

struct inject_rules {
	struct match_set *match;
	struct inject_rule *rules;
	size_t nrules, caprules;
	struct inject_rule_pool *pools;
	size_t npools, cappools;
	uint32_t *addrs;   /* pool addresses, network byte order */
	size_t naddrs, capaddrs;
	char injector[RULES_INJECTORS_MAX][32]; /* names used by injectors= */
	unsigned ninjectors;
	char source[256];  /* the file it came from */
};

/*
 * Load PATH. Returns the new set, or NULL with ERR: "PATH:LINE: reason"
 * (DW_E_SYNTAX; DW_E_NOMEM) for a line, "PATH: reason" for the file
 * (dw_error_errno's statuses, DW_E_INVALID for not a regular file,
 * DW_E_TOO_LARGE, DW_E_IO). The caller owns the set: free it with
 * inject_rules_free.
 */
DW_MUST_CHECK struct inject_rules *inject_rules_load(const char *path, struct dw_error *err);
/* The same from text in memory (tests, fuzzing); NAME is used in messages. */
DW_MUST_CHECK struct inject_rules *inject_rules_parse(const char *text, size_t len,
						      const char *name, struct dw_error *err);
/* An empty set: nothing matches (the "off" state). NULL if out of memory. */
DW_MUST_CHECK struct inject_rules *inject_rules_empty(void);
void inject_rules_free(struct inject_rules *r);

/* The rule that applies to NAME (wire form) and QTYPE, or NULL. */
const struct inject_rule *inject_rules_lookup(const struct inject_rules *r, const uint8_t *name,
				       uint16_t qtype);

#endif
