/*
 * The classifier: one verdict per query and target, with a one-line
 * evidence string, judged from every reply the probe engine kept (result.h),
 * the target's kind, a control (what an uncensored vantage point says the
 * answer is), the addresses this run or an earlier one has seen forged, and
 * the injector groups (fingerprints) established so far. docs/verdicts.md
 * states each verdict's rules and required evidence, and what is not
 * concluded.
 *
 * Three stores live in one struct classify, all bounded:
 *   - the control: per (canonical name, qtype) a set of addresses, or an
 *     expected rcode, or "no data"; loaded from the lab's answer key
 *     (classify_control_load_key), an earlier run's NDJSON
 *     (classify_load_ndjson), or fed live from a control target
 *     (classify_control_observe);
 *   - the forged set: addresses (and NXDOMAIN'd names) seen forged by an
 *     injector, in this run or preloaded; it is what makes `poisoned`;
 *   - the injector groups: forged replies grouped by fingerprint, each with
 *     a count, its forged addresses and its IP TTL and answer TTL ranges.
 *
 * No I/O except reading control files. One struct classify is used by one
 * thread. Names are compared canonically (ASCII case folded, RFC 4343).
 */
#ifndef DW_PROBE_CLASSIFY_H
#define DW_PROBE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/result.h"
#include "util/error.h"

struct classify;

/* Also key groups on the exact answer TTL (off by default: two of the three
 * published GFW injectors randomise it, which would split each into dozens
 * of groups; see docs/verdicts.md). */
#define CLASSIFY_KEY_ANSWER_TTL 0x1u

struct classify_limits {
	size_t control_max; /* (name, qtype) control entries; 0: 4,194,304 */
	size_t forged_max;  /* forged addresses and names; 0: 1,048,576 */
	unsigned flags;     /* CLASSIFY_KEY_ANSWER_TTL */
};

/*
 * A new, empty classifier (LIM NULL for the defaults). Memory grows with
 * what is added, up to the limits. Returns NULL if out of memory; must be
 * classify_free()'d by the caller.
 */
DW_MUST_CHECK struct classify *classify_new(const struct classify_limits *lim);
void classify_free(struct classify *c);

/* ---- the control ----------------------------------------------------------- */

enum classify_expect {
	CLASSIFY_EXPECT_UNKNOWN = 0, /* nothing known: no comparison is made */
	CLASSIFY_EXPECT_ADDRS,       /* NOERROR with these addresses */
	CLASSIFY_EXPECT_NODATA,      /* NOERROR, no address of this type */
	CLASSIFY_EXPECT_RCODE        /* this rcode (NXDOMAIN, or SERVFAIL for a broken name) */
};

/* Where a control entry came from; a stronger source is never overwritten
 * by a weaker one (the answer key is authoritative in the lab). */
enum classify_source {
	CLASSIFY_SRC_LIVE = 1, /* a control target during this run */
	CLASSIFY_SRC_RUN,      /* an earlier run's output */
	CLASSIFY_SRC_KEY       /* the lab's answer key, or set by the caller */
};

#define CLASSIFY_CONTROL_ADDRS_MAX 16

struct classify_control {
	enum classify_expect expect;
	enum classify_source source;
	uint16_t rcode;              /* CLASSIFY_EXPECT_RCODE */
	bool overflow;               /* more addresses than kept: an address
				      * outside the set is then no evidence */
	uint8_t naddrs;
	uint8_t origin;              /* CLASSIFY_SRC_LIVE: which control target said
				      * it (classify_origin_add), 0 unnamed */
	struct probe_addr addrs[CLASSIFY_CONTROL_ADDRS_MAX]; /* ttl unused */
};

/*
 * Consistency, the way real answers vary (several addresses, rotation,
 * answers that differ by vantage point): addresses A[0..N) are consistent
 * with CTL's set when one of them is in it, or shares its /24 (IPv4) or
 * /48 (IPv6) with one in it. Judging uses this rule for controls from
 * live answers and earlier runs; the lab's answer key, which is exact,
 * is matched address by address (docs/verdicts.md, "Controls without a
 * key", says what the prefix rule gives away).
 */
bool classify_consistent(const struct probe_addr *a, size_t n, const struct classify_control *ctl);

/*
 * Add what the control says for (NAME, QTYPE) (NAME in wire form, any case).
 * For the same source, address sets are merged (round-robin and CDN answers
 * vary between lookups); a different expectation from the same source keeps
 * the first; a stronger source replaces a weaker one. For live answers and
 * earlier runs, a set that is not consistent with the one held
 * (classify_consistent) is not merged: the first answer stands, and the
 * later one is judged against it (a control path whose answers change
 * wholesale, as under a compromised TLD, is itself judged inconsistent).
 * Returns 0, or -1 if the table is full (control_max) or NAME is invalid.
 */
DW_MUST_CHECK int classify_control_add(struct classify *c, const uint8_t *name, uint16_t qtype,
			 const struct classify_control *ctl);

/*
 * Mark that every type of NAME the control lists has been added: a type not
 * added is then NODATA (the answer key lists A and, for some names, AAAA; a
 * name with no AAAA line has no AAAA record). Returns 0 or -1 (full).
 */
DW_MUST_CHECK int classify_control_complete(struct classify *c, const uint8_t *name,
			      enum classify_source source);

/* What the control says for (NAME, QTYPE); OUT->expect is UNKNOWN if nothing. */
void classify_control_get(const struct classify *c, const uint8_t *name, uint16_t qtype,
			  struct classify_control *out);

/* Number of control entries (completeness marks included). */
size_t classify_control_count(const struct classify *c);

/* Control targets by name, for the record of which control judged a
 * verdict ("live client/dot"): LABEL's id (1..CLASSIFY_ORIGINS_MAX; the
 * same label, the same id), or -1 if the table is full. */
#define CLASSIFY_ORIGINS_MAX 16
DW_MUST_CHECK int classify_origin_add(struct classify *c, const char *label);
/* What a result's control field says for CTL: "key", "run", "live LABEL"
 * (or "live"), "" when the control knows nothing. Into BUF (CAP bytes). */
const char *classify_control_text(const struct classify *c, const struct classify_control *ctl,
				  char *buf, size_t cap);

/*
 * Live control: R is a finished query to a control target (an uncensored
 * vantage point). Its last usable reply (question matching, a response) is
 * added as the control for R's name and type with CLASSIFY_SRC_LIVE:
 * addresses, NODATA, or its rcode if not NOERROR. Replies that carry a
 * forged-set address or a known injector's fingerprint are passed over (a
 * control path that crosses an injector must not teach its forgeries as the
 * truth). Returns 1 if added, 0 if R had no usable reply, -1 if the table
 * is full.
 */
DW_MUST_CHECK int classify_control_observe(struct classify *c, const struct probe_result *r);
/* The same as a control of SOURCE (CLASSIFY_SRC_RUN: an earlier run's
 * result read back from a store, e.g. a second vantage point's), naming
 * ORIGIN (classify_origin_add; 0 none). */
DW_MUST_CHECK int classify_control_from_result(struct classify *c, const struct probe_result *r,
					       enum classify_source source, uint8_t origin);
/* The same, naming the control target that said it (classify_origin_add). */
DW_MUST_CHECK int classify_control_observe_from(struct classify *c, const struct probe_result *r,
						uint8_t origin);

/*
 * Load the lab's answer key (docs/lab.md, "Population and the answer key",
 * format version 1): a `#` comment line with the version, a header line,
 * then TAB-separated `name type addresses zone server ttl`, addresses
 * comma-separated. Every name in the key is marked complete
 * (classify_control_complete). As an extension, the addresses field
 * `NXDOMAIN` (or another rcode name) sets an expected rcode. Returns the
 * number of (name, type) lines loaded, or -1 with one line "PATH:LINE:
 * reason" in ERR (entries loaded before the error stay).
 */
DW_MUST_CHECK long classify_control_load_key(struct classify *c, const char *path,
					 struct dw_error *err);

/* What classify_load_ndjson takes from an earlier run. */
#define CLASSIFY_LOAD_CONTROL 0x1u /* verdict ok: the answer, as control (CLASSIFY_SRC_RUN) */
#define CLASSIFY_LOAD_FORGED 0x2u  /* verdict injected or poisoned: the forged reply's
				    * addresses (or name, for NXDOMAIN) into the forged set */

/*
 * Read an earlier run's NDJSON output (docs/store.md; src/probe/ndjson.c
 * writes it), taking what WHAT says; zdns's output lines (told apart line
 * by line: "name" and "results" or "status", no "verdict") give controls
 * (NOERROR's A/AAAA addresses, NODATA, NXDOMAIN). Lines that are neither
 * are skipped. Returns the number of lines used, or -1 with "PATH:LINE:
 * reason" in ERR (malformed JSON, a table full).
 */
DW_MUST_CHECK long classify_load_ndjson(struct classify *c, const char *path, unsigned what,
				       struct dw_error *err);

/* ---- the forged set ------------------------------------------------------ */

/*
 * Record that an injector forged address ADDR (FAMILY AF_INET or AF_INET6),
 * credited to injector group GROUP (-1 if unknown, e.g. preloaded from a
 * store without groups). The first group credited is kept. Returns 1 if the
 * address is new, 0 if it was known, -1 if the set is full or FAMILY bad.
 * A forged AAAA in Teredo's 2001::/32 also marks the prefix: every AAAA in
 * it then counts as seen forged (the GFW's forged AAAA carry random bits).
 */
DW_MUST_CHECK int classify_forged_add(struct classify *c, int family, const uint8_t *addr, int32_t group);
/* Whether ADDR was seen forged; *GROUP (if not NULL) gets the group credited. */
bool classify_forged_has(const struct classify *c, int family, const uint8_t *addr,
			 int32_t *group);
/* Names an injector answered with a forged NXDOMAIN (same semantics). */
DW_MUST_CHECK int classify_forged_name_add(struct classify *c, const uint8_t *name, int32_t group);
bool classify_forged_name_has(const struct classify *c, const uint8_t *name, int32_t *group);
/* Entries in the forged set: addresses, names, and the Teredo prefix
 * (2001::/32) once a forged AAAA was seen in it (docs/verdicts.md). */
size_t classify_forged_count(const struct classify *c);
/* Observations the classifier could not remember because a table was full
 * (a live control's answer, a forged name): the verdicts already given
 * stand, later ones are judged without them. */
uint64_t classify_unkept(const struct classify *c);

/* ---- fingerprints and injector groups ------------------------------------ */

/*
 * The fingerprint key of a forged reply: what stays the same from one reply
 * of an injector to the next. The IP TTL is not part of it (injectors
 * randomise it or mirror the probe's); nor, by default, is the answer TTL;
 * both are kept as ranges per group. Neither is the IP ID's value, only
 * whether it is zero (one GFW injector sends ID 0, the others random IDs).
 */
struct classify_fp {
	int8_t df;          /* 0, 1, -1: not known (no IP fields, or IPv6) */
	int8_t ipid_zero;   /* 1: ID 0, 0: non-zero, -1: not known */
	uint16_t flags;     /* the DNS header flags word (rcode's low bits included) */
	uint16_t rcode;     /* full rcode */
	uint16_t ancount, nscount, arcount;
	bool answer_ptr;    /* first answer owner is c00c, else written in full */
	bool keyed_ttl;     /* CLASSIFY_KEY_ANSWER_TTL: answer_ttl is part of the key */
	uint32_t answer_ttl;
};

/* The fingerprint key of reply R under FLAGS (CLASSIFY_KEY_ANSWER_TTL). */
void classify_fp_of(const struct probe_reply *r, unsigned flags, struct classify_fp *fp);
bool classify_fp_equal(const struct classify_fp *a, const struct classify_fp *b);
/*
 * Text form, e.g. "df=1 ipid=nonzero flags=0x8180 rcode=NOERROR an=1 ns=0
 * ar=0 owner=pointer" (plus " attl=60" when keyed on the answer TTL).
 * Returns the length (truncated to CAP-1).
 */
size_t classify_fp_format(const struct classify_fp *fp, char *buf, size_t cap);
/* Parse the text form (or a group description, whose extra words are
 * ignored) back. Returns 0, or -1 if a key word is missing or bad. */
DW_MUST_CHECK int classify_fp_parse(const char *text, struct classify_fp *fp);

#define CLASSIFY_GROUPS_MAX 64
#define CLASSIFY_GROUP_ADDRS_MAX 32

struct classify_group {
	int32_t id;                /* 1, 2, ... in order of first sight */
	struct classify_fp fp;
	uint64_t count;            /* forged replies that carried the fingerprint */
	uint64_t queries;          /* queries judged injected with one of them */
	bool ip_known;             /* the ranges below hold something */
	uint8_t ip_ttl_min, ip_ttl_max;
	uint32_t answer_ttl_min, answer_ttl_max;
	uint64_t addrs_total;      /* distinct addresses first seen forged by it */
	uint8_t naddrs;            /* the first CLASSIFY_GROUP_ADDRS_MAX of them */
	struct probe_addr addrs[CLASSIFY_GROUP_ADDRS_MAX]; /* ttl: the first answer TTL seen */
	uint64_t nxdomain;         /* forged NXDOMAIN replies */
};

size_t classify_group_count(const struct classify *c);
/* Group number I (0 <= I < classify_group_count), i.e. id I + 1; NULL if out of range. */
const struct classify_group *classify_group_get(const struct classify *c, size_t i);
/* The group with this id, NULL if none. */
const struct classify_group *classify_group_find(const struct classify *c, int32_t id);

/*
 * Credit forged reply R to the group of its fingerprint, creating the group
 * if new: count, ranges and addresses; its addresses (or QNAME for a forged
 * NXDOMAIN; NULL skips that) go to the forged set. Returns the group id, or
 * -1 if the group table is full (the addresses are still recorded, with
 * group -1). classify_judge calls this for every reply it judges forged.
 */
DW_MUST_CHECK int32_t classify_group_add(struct classify *c, const struct probe_reply *r, const uint8_t *qname);

/*
 * Re-establish a group from a store (an earlier run's groups): FINGERPRINT in
 * the text form (or a description), COUNT, and its addresses, which also go
 * to the forged set. A group with the same fingerprint is merged. Returns
 * the id, or -1 (bad text, table full).
 */
DW_MUST_CHECK int32_t classify_group_load(struct classify *c, const char *fingerprint, uint64_t count,
			    const struct probe_addr *addrs, size_t naddrs);

/*
 * One line for a store or a report: the fingerprint, then "ip_ttl=47-63
 * answer_ttl=60-300 count=N addrs=N" (ranges absent when nothing was seen).
 * classify_fp_parse reads it back. Returns the length.
 */
size_t classify_group_describe(const struct classify_group *g, char *buf, size_t cap);

/*
 * The id of the established group whose fingerprint reply R carries, or -1.
 * Only replies with IPv4 IP-level fields (DF, IP ID) are matched: without
 * them the key is too loose to accuse anyone.
 */
int32_t classify_fp_group(const struct classify *c, const struct probe_reply *r);

/* ---- judging -------------------------------------------------------------- */

/*
 * Judge R (all replies of one query to target T) and set R->verdict,
 * R->forged_reply, R->group and R->evidence. A verdict of `injected` also
 * credits every reply judged forged to its group and adds its addresses to
 * the forged set; no other verdict changes C. The rules, in order, are in
 * docs/verdicts.md.
 */
void classify_judge(struct classify *c, struct probe_result *r, const struct probe_target *t);

/*
 * The order in which the results of one name are judged: the control
 * target first (0; CONTROL says T is the run's control), then no-DNS
 * targets (1: any reply is certain injection, and its addresses join the
 * forged set), authoritative servers (2), and resolvers last (3), so that a
 * resolver's answer can be recognised as a forgery another path has just
 * shown.
 */
int classify_rank(const struct probe_target *t, bool control);

/*
 * Judge the results R[0..N) of one name (every target and type it was
 * asked) in classify_rank's order. TARGETS is indexed by each result's
 * target; the results of target CONTROL (-1: none) are first taken as the
 * live control (classify_control_observe). `dnswatch probe` and `dnswatch
 * watch` both judge through this, so they judge alike.
 */
void classify_judge_name(struct classify *c, struct probe_result *const *r, size_t n,
			 const struct probe_target *targets, int control);

/*
 * Judge R again after C has learnt more (new forged addresses, groups, or
 * control answers arrived after R was first judged): a result judged
 * `injected` is left alone (its forged replies were already credited); any
 * other is judged afresh. Returns true if the verdict changed. An engine
 * that streams results judges each once; one that keeps them (or a report
 * re-reading a store) can rejudge the non-injected ones at the end, so the
 * order in which targets were probed does not matter.
 */
bool classify_rejudge(struct classify *c, struct probe_result *r, const struct probe_target *t);

#endif
