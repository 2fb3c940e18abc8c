/*
 * Rule inference: from the names a census found censored, the rules of
 * docs/rules.md that block them, found with further probes.
 *
 * The module never sends anything itself: it asks a caller's oracle, a
 * batch of questions at a time, "is this name blocked for this query type?"
 * (census_ask_fn). `dnswatch census --infer` answers through the probe
 * engine towards an address that runs no DNS (a reply is a block); the unit
 * tests answer with the matcher itself (match/) over a seeded rule set. A
 * batch holds one question of each name being inferred (at most
 * opts.window of them), so the network's timeouts are paid once per round,
 * not once per question.
 *
 * Per censored name T (text, no trailing dot), in this order:
 *   1. T + ".zq9" blocked?  (a label appended: only a substring rule still
 *      matches)
 *   2. yes, a substring: the smallest blocked substring, T's start cut by a
 *      binary search, then its end; each probe is the substring between two
 *      filler labels ("zq9.SUB.zq9"), so no suffix or exact rule can match
 *      it: `*SUB*`.
 *   3. no: "zq9" + T (letters prefixed, no dot) blocked? no: the exact name,
 *      `T`. yes: a binary search for the shortest suffix S of T such that
 *      "zq9" + S is still blocked: `*S` (a text suffix), or `*.BASE` when S
 *      starts at a dot (strict subdomains).
 *   4. the rule's query types: the census's types T was censored for (no
 *      probe): a selector when they are not all of them.
 * Then exemptions: a name the rules found so far would block but the census
 * saw unblocked (for some query type) has a `pass` rule over it: "zq9" +
 * NAME blocked means the exemption is the exact name; otherwise a binary
 * search between the name and the blocking rule's base finds the shortest
 * exempt suffix: `*S pass` or `*.BASE pass`.
 *
 * Bounds: a binary search over a name of at most 253 characters takes at
 * most 8 probes, so a name costs at most CENSUS_PROBES_PER_NAME probes (a
 * substring: 1 + 8 + 8; a suffix: 2 + 8; an exemption: 2 + 8). A censored
 * name the rules inferred so far already explain (the rules predict
 * exactly the query types it was censored for) is not probed at all.
 *
 * The filler "zq9" assumes no rule of the wall holds it; a rule that did
 * would show as a wrong inference, never as a crash.
 */
#ifndef DW_CENSUS_INFER_H
#define DW_CENSUS_INFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match/match.h"
#include "util/error.h"

#define CENSUS_QTYPES_MAX 8
#define CENSUS_NAME_TEXT 256       /* a name's text with its NUL, no trailing dot */
#define CENSUS_PROBES_PER_NAME 18  /* 2 + 2 x 8: the most one name can cost */
#define CENSUS_WINDOW_DEFAULT 4096

/* One question to the oracle; it sets BLOCKED. */
struct census_question {
	char name[CENSUS_NAME_TEXT];
	uint16_t qtype;
	bool blocked;
	uint8_t action;   /* the oracle may say what the block answered (census_name's
			   * numbers; 0: not told): a probe answered otherwise than the
			   * name itself is blocked by another rule, and counts as open
			   * while a block rule is sought */
};

/* Answer Q[0..N): 0, or -1 with ERR set (the inference stops there). */
typedef int (*census_ask_fn)(void *ctx, struct census_question *q, size_t n, struct dw_error *err);

/* A census name: its text (lower case, no trailing dot; letters, digits,
 * '-', '_' and '.', as the prober asks: any other is never probed, since a
 * rule file could not carry a pattern made of it) and the query types
 * (bit i: opts.qtype[i]) it was censored for; 0: not censored. */
struct census_name {
	const char *name;
	uint8_t censored;
	uint8_t action;            /* what its forged replies said, as a number the caller
				    * picks (an address, NXDOMAIN, ...); 0: not told. A
				    * name a rule seems to explain but that was answered
				    * differently is blocked by a rule of its own */
};

struct census_rule {
	char pattern[CENSUS_NAME_TEXT + 4]; /* "example.com", "*.x.com", "*x.com", "*sub*" */
	enum match_kind kind;
	bool pass;                 /* an exemption */
	uint8_t qmask;             /* bit i: applies to opts.qtype[i]; every bit: no selector */
	size_t from;               /* the census name (index) it was inferred from */
	uint8_t action;            /* that name's action */
	unsigned probes, blocked;  /* what inferring it took: probes sent, of them blocked */
	char yes[CENSUS_NAME_TEXT], no[CENSUS_NAME_TEXT]; /* the decisive pair: the last
				    * probe blocked (or exempt, for a pass) and the first not */
	uint64_t names;            /* census names it is the winning rule of */
	uint64_t overblocked;      /* of them, caught by accident (census_overblocked) */
};

struct census_infer_opts {
	uint16_t qtype[CENSUS_QTYPES_MAX];
	unsigned nqtypes;
	unsigned window;           /* names inferred at once; 0: CENSUS_WINDOW_DEFAULT */
};

struct census_infer_stats {
	uint64_t rounds, questions;     /* oracle calls, questions asked */
	uint64_t inferred;              /* names probed to infer a block rule */
	uint64_t exempted;              /* names probed to infer an exemption */
	uint64_t explained;             /* censored names needing no probe */
	uint64_t unexplained;           /* names the final rules still predict wrongly */
	unsigned max_probes;            /* the most probes one name took */
};

struct census_rules {
	struct census_rule *rule;
	size_t n, cap;
};

/*
 * Infer the rules behind NAMES[0..N) (the whole census list: the censored
 * names and the others, which exemptions are found among), asking ASK.
 * OUT (zeroed by the caller, or a previous result freed) gets the rules in
 * the order they were found; each rule's `names` and `overblocked` are
 * counted over NAMES. Returns 0, or -1 with ERR (the oracle's failure,
 * DW_E_NOMEM, DW_E_INVALID for bad options).
 */
DW_MUST_CHECK int census_infer(const struct census_infer_opts *opts, const struct census_name *names,
			       size_t n, census_ask_fn ask, void *ctx, struct census_rules *out,
			       struct census_infer_stats *st, struct dw_error *err);

void census_rules_free(struct census_rules *r);

/*
 * A matcher over RULES (value: the rule's index; each rule's qtype selector
 * from QTYPES), for checking names against the inferred rules. NULL with
 * ERR on failure.
 */
DW_MUST_CHECK struct match_set *census_rules_matcher(const struct census_rules *rules,
						     const uint16_t *qtypes, unsigned nqtypes,
						     struct dw_error *err);

/*
 * Over-blocking: NAME is caught by rule R only by accident: R is a text
 * suffix whose base does not start at a label of NAME (`notyoutube.com`
 * under `*youtube.com`), or a substring none of whose occurrences in NAME
 * is whole labels (`googleapis.com` under `*google*`).
 */
bool census_overblocked(const struct census_rule *r, const char *name);

/* The rule's selector as the rule file writes it ("qtype=AAAA"), or "" when
 * it applies to every type of the census. */
void census_rule_qtypes(const struct census_rule *r, const uint16_t *qtypes, unsigned nqtypes,
			char *buf, size_t cap);

#endif
