/*
 * The domain matcher (see match.h): pattern parsing, the build at
 * match_set_finish, and the lookup. Everything here is about one thing: a
 * lookup must cost O(name length) with few cache misses, whatever the number
 * of patterns (a million rules must still allow 5 million lookups a second).
 *
 * How a lookup works, and why:
 *
 * 1. One right-to-left pass over the wire form computes, for every byte
 *    offset i, a rolling hash h_i = lower(b_i) + B*h_{i+1} of the suffix
 *    wire[i..] (lowercased on the fly into a local copy). Working on the
 *    wire form avoids converting to text; the length octets are < 64, so
 *    lowercasing leaves them alone, and every label-aligned suffix of the
 *    name is itself a name in canonical wire form.
 *
 * 2. Exact (example.com) and subdomain (*.example.com, *.com) patterns are
 *    keyed by the canonical wire form of their name. At each label boundary i
 *    (including the final root octet) the aligned suffix wire[i..] is looked
 *    up in one open-addressing table: an exact rule applies only at i == 0,
 *    a subdomain rule only at i > 0. That is one probe per label, and all
 *    probes' slots are prefetched as soon as the hashes are known, so their
 *    cache misses overlap instead of queueing.
 *
 * 3. Text-suffix patterns (*youtube.com, the GFW's sloppy form) also match
 *    inside a label: the pattern splits into a partial label P ("youtube")
 *    and an aligned tail T ("com"). They are keyed by the bytes P followed by
 *    wire(T), in a second table (so partial and aligned keys can never be
 *    confused). The partial table is probed only in the label just left of an
 *    aligned suffix T whose node says "partial rules hang under me", and only
 *    at the offsets whose distance to T equals the length of some such P (a
 *    64-bit mask of P lengths in T's node; tails without rules of their own
 *    get marker nodes). Names under a tail with no text-suffix rules cost no
 *    extra probe, and even under such a tail the cost is one probe per
 *    distinct P length, not per byte.
 *
 * 4. Substring patterns (*google*) run an Aho-Corasick automaton, compiled to
 *    a dense DFA over a compressed alphabet (one class per byte that occurs
 *    in some substring pattern, plus one class "other"), over the name's text
 *    with each inner length octet read as '.'. The automaton runs only if a
 *    substring pattern exists. A flag bit in each transition says "some
 *    pattern ends here", so the common step is one load.
 *
 * 5. Precedence (match.h: longest pattern text, then exact > subdomain >
 *    text-suffix > substring > all, then the earlier pattern) is folded into
 *    one 64-bit rank per rule, (length << 35 | (4 - kind) << 32 | ~index):
 *    the best match is the largest rank, so the single pass keeps one
 *    running maximum. Rules sharing a key share a node, in rank order, and
 *    the walk stops at the first rule whose query-type set holds the query's
 *    type (or whose rank cannot win any more). Query-type sets are stored
 *    once each (most rules share "all", which is set 0 and costs no test).
 *
 * Memory layout: a table slot is 8 bytes (a 24-bit hash tag plus the key
 * length in 8 bits, and a 32-bit node reference), so a probe that misses
 * touches one cache line and a tag hit is checked against the key length for
 * free. A node is one variable-length record in an arena: header, key bytes,
 * then its rules' (rank, value, type set) entries, so a hit costs one more
 * line (two at most) and needs neither a string pool nor a rule array.
 * Tables are sized once at finish to a power of two at load factor <= 0.5,
 * so every probe sequence ends at an empty slot.
 *
 * Loops are bounded: the pass and the probes by the name length (<= 255, at
 * most 128 label boundaries, at most 63 partial probes each), the rule walks
 * by the number of rules; a name that is not a valid uncompressed wire name
 * (wire_name_len == 0) never matches.
 *
 * Patterns are plain text: every byte from 0x21 to 0x7e except '*', '.' and
 * '\\', and bytes >= 0x80, may occur in a label. Escapes are refused (they
 * would make "pattern text length" ambiguous); names with any bytes at all
 * are looked up. Lengths count octets.
 */
#include "match/match.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/msg.h"
#include "wire/name.h"

#define NONE UINT32_MAX
#define HASH_B 0x9e3779b97f4a7c15ULL  /* odd multiplier of the rolling hash */
#define HASH_SEED 0x2545f4914f6cdd1dULL /* h of the empty suffix: lengths differ */
#define DFA_FLAG 0x80000000u           /* transition target has outputs */

/* A rule as added; kept after finish for substring and match-all rules. */
struct rule {
	uint64_t rank;
	uint32_t value;
	uint32_t qset;    /* index into s->sets; 0 = all types */
	uint32_t key_off; /* key bytes in the pool */
	uint32_t next;    /* build: next rule of the same node or DFA state */
	uint16_t key_len;
	uint8_t kind;
	uint8_t plen;     /* MATCH_SUFFIX: length of the partial label P */
};

/* One rule inside a node record. */
struct rent {
	uint64_t rank;
	uint32_t value;
	uint32_t qset;
};

/* Node record header; followed by the key (padded to 8) and the rents. */
struct nhdr {
	uint64_t plens;   /* aligned node: bit p-1 set if a P of length p hangs here */
	uint32_t n_exact; /* aligned: exact rules; partial: text-suffix rules */
	uint32_t n_sub;   /* aligned: subdomain rules */
};

struct slot {
	uint32_t tag;  /* 24 bits of hash << 8 | key length */
	uint32_t node; /* arena offset in 8-byte units; 0 = empty */
};

struct table {
	struct slot *slots;
	uint64_t mask;
};

/* Build-time node, before it is laid out in the arena. */
struct tnode {
	uint64_t plens;
	uint32_t key_off;
	uint32_t head[2], tail[2], count[2];
	uint16_t key_len;
};

struct match_set {
	/* adding */
	struct rule *rules;
	size_t nrules, caprules;
	uint8_t *pool;
	size_t npool, cappool;
	struct match_qtypes *sets; /* sets[0] is "all" */
	size_t nsets, capsets;
	uint32_t *setidx; /* open-addressing index of sets (dedup) */
	size_t capsetidx;
	size_t nsubstr, nsuffix, naligned;
	bool finished;

	/* lookup structures */
	struct table aligned, partial;
	uint64_t *arena; /* node records */
	size_t narena;
	uint32_t all_head; /* match-all rules, in rank order */

	/* substring DFA */
	uint32_t *delta;  /* nstates * ncls, target | DFA_FLAG */
	uint32_t *own;    /* per state: first rule ending exactly here */
	uint32_t *emit;   /* per state: nearest state on the fail chain with rules */
	uint32_t *fail;
	uint32_t nstates, ncls;
	uint8_t cls[256];
};

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Final mix (murmur3 fmix64): the rolling hash's low bits are weak. */
static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint32_t tag_of(uint64_t m, size_t key_len)
{
	return (uint32_t)(m >> 40) << 8 | (uint32_t)key_len;
}

static uint64_t key_hash(const uint8_t *key, size_t len)
{
	uint64_t h = HASH_SEED;
	for (size_t i = len; i-- > 0;)
		h = lower(key[i]) + HASH_B * h;
	return h;
}

static void fail_msg(char *err, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_msg(char *err, size_t errcap, const char *fmt, ...)
{
	if (!err || !errcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
}

/* --- query-type sets -------------------------------------------------------- */

bool match_qtypes_has(const struct match_qtypes *qt, uint16_t qtype)
{
	if (!qt || qt->all)
		return true;
	if (qtype < 256)
		return (qt->bits[qtype >> 6] >> (qtype & 63)) & 1;
	for (unsigned i = 0; i < qt->nmore && i < 4; i++)
		if (qt->more[i] == qtype)
			return true;
	return false;
}

static int qtypes_add(struct match_qtypes *qt, uint16_t t, char *err, size_t errcap)
{
	if (t < 256) {
		qt->bits[t >> 6] |= (uint64_t)1 << (t & 63);
		return 0;
	}
	for (unsigned i = 0; i < qt->nmore; i++)
		if (qt->more[i] == t)
			return 0;
	if (qt->nmore >= 4) {
		fail_msg(err, errcap, "more than 4 types above 255");
		return -1;
	}
	/* Kept sorted, so equal sets are equal structs (deduplication). */
	unsigned i = qt->nmore++;
	while (i > 0 && qt->more[i - 1] > t) {
		qt->more[i] = qt->more[i - 1];
		i--;
	}
	qt->more[i] = t;
	return 0;
}

int match_qtypes_parse(const char *text, struct match_qtypes *qt, char *err, size_t errcap)
{
	memset(qt, 0, sizeof *qt);
	if (!text || !*text) {
		fail_msg(err, errcap, "empty type list");
		return -1;
	}
	const char *p = text;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char word[32];
		if (n == 0 || n >= sizeof word) {
			fail_msg(err, errcap, n ? "type name too long" : "empty type in list");
			return -1;
		}
		memcpy(word, p, n);
		word[n] = 0;
		uint16_t t;
		if (strcmp(word, "*") == 0 || strcasecmp(word, "ANY") == 0) {
			qt->all = true;
		} else if (wire_type_from_name(word, &t)) {
			if (qtypes_add(qt, t, err, errcap) != 0)
				return -1;
		} else {
			fail_msg(err, errcap, "unknown type \"%s\"", word);
			return -1;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (qt->all) /* "A,ANY" is every type: one canonical form */
		memset(qt, 0, sizeof *qt), qt->all = true;
	return 0;
}

static uint64_t set_hash(const struct match_qtypes *q)
{
	uint64_t h = HASH_SEED;
	for (int i = 0; i < 4; i++)
		h = mix(h ^ q->bits[i]);
	for (unsigned i = 0; i < q->nmore; i++)
		h = mix(h ^ q->more[i]);
	return h;
}

static bool set_equal(const struct match_qtypes *a, const struct match_qtypes *b)
{
	if (a->nmore != b->nmore || memcmp(a->bits, b->bits, sizeof a->bits) != 0)
		return false;
	return memcmp(a->more, b->more, a->nmore * sizeof a->more[0]) == 0;
}

static int setidx_grow(struct match_set *s)
{
	size_t cap = s->capsetidx ? s->capsetidx * 2 : 16;
	uint32_t *idx = malloc(cap * sizeof *idx);
	if (!idx)
		return -1;
	for (size_t i = 0; i < cap; i++)
		idx[i] = NONE;
	for (size_t k = 1; k < s->nsets; k++) {
		size_t i = set_hash(&s->sets[k]) & (cap - 1);
		while (idx[i] != NONE)
			i = (i + 1) & (cap - 1);
		idx[i] = (uint32_t)k;
	}
	free(s->setidx);
	s->setidx = idx;
	s->capsetidx = cap;
	return 0;
}

/* Index of QT in s->sets, adding it if new; NONE if out of memory. */
static uint32_t set_intern(struct match_set *s, const struct match_qtypes *in)
{
	if (!in || in->all)
		return 0;
	struct match_qtypes q;
	memset(&q, 0, sizeof q);
	memcpy(q.bits, in->bits, sizeof q.bits);
	for (unsigned i = 0; i < in->nmore && i < 4; i++)
		(void)qtypes_add(&q, in->more[i], NULL, 0); /* at most 4: fits */
	if ((s->nsets + 1) * 2 > s->capsetidx && setidx_grow(s) != 0)
		return NONE;
	size_t i = set_hash(&q) & (s->capsetidx - 1);
	while (s->setidx[i] != NONE) {
		if (set_equal(&s->sets[s->setidx[i]], &q))
			return s->setidx[i];
		i = (i + 1) & (s->capsetidx - 1);
	}
	if (s->nsets == s->capsets) {
		size_t cap = s->capsets * 2;
		struct match_qtypes *n = realloc(s->sets, cap * sizeof *n);
		if (!n)
			return NONE;
		s->sets = n;
		s->capsets = cap;
	}
	s->sets[s->nsets] = q;
	s->setidx[i] = (uint32_t)s->nsets;
	return (uint32_t)s->nsets++;
}

/* --- the set --------------------------------------------------------------- */

struct match_set *match_set_new(void)
{
	struct match_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->capsets = 4;
	s->sets = calloc(s->capsets, sizeof *s->sets);
	if (!s->sets) {
		free(s);
		return NULL;
	}
	s->sets[0].all = true;
	s->nsets = 1;
	s->all_head = NONE;
	return s;
}

void match_set_free(struct match_set *s)
{
	if (!s)
		return;
	free(s->rules);
	free(s->pool);
	free(s->sets);
	free(s->setidx);
	free(s->aligned.slots);
	free(s->partial.slots);
	free(s->arena);
	free(s->delta);
	free(s->own);
	free(s->emit);
	free(s->fail);
	free(s);
}

size_t match_set_count(const struct match_set *s)
{
	return s ? s->nrules : 0;
}

/* P grown (doubling) to hold NEED elements; NULL if out of memory (P kept). */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * elem);
	if (q)
		*cap = n;
	return q;
}

/*
 * Append the labels of TEXT[0..N) (dot-separated, no wildcard) in canonical
 * wire form to OUT at *LEN, root label included. OUT has room for
 * WIRE_NAME_MAX + 64 octets. 0 or -1 with ERR.
 */
static int text_to_wire(const char *text, size_t n, uint8_t *out, size_t *len,
			char *err, size_t errcap)
{
	size_t at = *len;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && text[j] != '.')
			j++;
		if (j == i) {
			fail_msg(err, errcap, "empty label");
			return -1;
		}
		if (j - i > WIRE_LABEL_MAX) {
			fail_msg(err, errcap, "label over 63 octets");
			return -1;
		}
		if (at + 1 + (j - i) + 1 > WIRE_NAME_MAX) {
			fail_msg(err, errcap, "name over 255 octets");
			return -1;
		}
		out[at++] = (uint8_t)(j - i);
		for (size_t k = i; k < j; k++)
			out[at++] = lower((uint8_t)text[k]);
		i = j + 1;
		if (j + 1 == n) { /* "a." inside the text: trailing empty label */
			fail_msg(err, errcap, "empty label");
			return -1;
		}
	}
	out[at++] = 0;
	*len = at;
	return 0;
}

/* The bytes a pattern may hold, apart from its structure ('*' and '.'). */
static int check_chars(const char *p, size_t n, char *err, size_t errcap)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];
		if (c == '*') {
			fail_msg(err, errcap, "'*' only at the start or as *text*");
			return -1;
		}
		if (c == '\\') {
			fail_msg(err, errcap, "escapes are not supported");
			return -1;
		}
		if (c <= 0x20 || c == 0x7f) {
			fail_msg(err, errcap, "bad character 0x%02x", c);
			return -1;
		}
	}
	return 0;
}

int match_set_add(struct match_set *s, const char *pattern, const struct match_qtypes *qt,
		  uint32_t value, char *err, size_t errcap)
{
	if (!s || s->finished) {
		fail_msg(err, errcap, "adding after match_set_finish");
		return -1;
	}
	if (!pattern || !*pattern) {
		fail_msg(err, errcap, "empty pattern");
		return -1;
	}
	size_t n = strlen(pattern);
	if (n > 1024) {
		fail_msg(err, errcap, "name over 255 octets");
		return -1;
	}
	if (pattern[n - 1] == '.' && n > 1) /* absolute form: the dot is ignored */
		n--;
	else if (n == 1 && pattern[0] == '.') {
		fail_msg(err, errcap, "empty pattern");
		return -1;
	}

	uint8_t key[WIRE_NAME_MAX + 64];
	size_t klen = 0, length = 0, plen = 0;
	enum match_kind kind;
	const char *p = pattern;
	if (n == 1 && p[0] == '*') {
		kind = MATCH_ALL;
	} else if (n >= 2 && p[0] == '*' && p[n - 1] == '*') {
		kind = MATCH_SUBSTRING;
		const char *body = p + 1;
		size_t bl = n - 2;
		if (check_chars(body, bl, err, errcap) != 0)
			return -1;
		if (bl == 0) {
			fail_msg(err, errcap, "empty substring");
			return -1;
		}
		if (bl > WIRE_NAME_MAX) {
			fail_msg(err, errcap, "substring over 255 octets");
			return -1;
		}
		for (size_t i = 0; i + 1 < bl; i++)
			if (body[i] == '.' && body[i + 1] == '.') {
				fail_msg(err, errcap, "empty label");
				return -1;
			}
		for (size_t i = 0; i < bl; i++)
			key[i] = lower((uint8_t)body[i]);
		klen = length = bl;
	} else if (p[0] == '*' && p[1] == '.') {
		kind = MATCH_SUBDOMAIN;
		if (check_chars(p + 2, n - 2, err, errcap) != 0 ||
		    text_to_wire(p + 2, n - 2, key, &klen, err, errcap) != 0)
			return -1;
		if (klen == 1) { /* "*.." */
			fail_msg(err, errcap, "empty label");
			return -1;
		}
		if (klen + 2 > WIRE_NAME_MAX) { /* no name under it fits */
			fail_msg(err, errcap, "name over 255 octets");
			return -1;
		}
		length = klen - 1; /* ".example.com" */
	} else if (p[0] == '*') {
		kind = MATCH_SUFFIX;
		if (check_chars(p + 1, n - 1, err, errcap) != 0)
			return -1;
		const char *dot = memchr(p + 1, '.', n - 1);
		plen = dot ? (size_t)(dot - (p + 1)) : n - 1;
		if (plen > WIRE_LABEL_MAX) {
			fail_msg(err, errcap, "label over 63 octets");
			return -1;
		}
		for (size_t i = 0; i < plen; i++)
			key[i] = lower((uint8_t)p[1 + i]);
		klen = plen;
		if (dot && text_to_wire(dot + 1, n - 2 - plen, key, &klen, err, errcap) != 0)
			return -1;
		if (dot && klen == plen + 1) { /* "*a.." */
			fail_msg(err, errcap, "empty label");
			return -1;
		}
		if (!dot)
			key[klen++] = 0;
		if (klen + 1 > WIRE_NAME_MAX) { /* P's label needs its length octet */
			fail_msg(err, errcap, "name over 255 octets");
			return -1;
		}
		length = n - 1;
	} else {
		kind = MATCH_EXACT;
		if (check_chars(p, n, err, errcap) != 0 ||
		    text_to_wire(p, n, key, &klen, err, errcap) != 0)
			return -1;
		length = klen - 2;
	}

	if (s->nrules >= UINT32_MAX - 1) {
		fail_msg(err, errcap, "too many patterns");
		return -1;
	}
	if (s->npool + klen > UINT32_MAX) {
		fail_msg(err, errcap, "patterns too large");
		return -1;
	}
	uint32_t qset = set_intern(s, qt);
	struct rule *rules = grow(s->rules, &s->caprules, s->nrules + 1, sizeof *s->rules);
	if (rules)
		s->rules = rules;
	uint8_t *pool = grow(s->pool, &s->cappool, s->npool + klen + 1, 1);
	if (pool)
		s->pool = pool;
	if (qset == NONE || !rules || !pool) {
		fail_msg(err, errcap, "out of memory");
		return -1;
	}
	if (qset != 0) {
		const struct match_qtypes *q = &s->sets[qset];
		if (!q->nmore && !(q->bits[0] | q->bits[1] | q->bits[2] | q->bits[3])) {
			fail_msg(err, errcap, "empty query type set");
			return -1;
		}
	}
	struct rule *r = &s->rules[s->nrules];
	memset(r, 0, sizeof *r);
	r->rank = (uint64_t)length << 35 | (uint64_t)(4 - kind) << 32 |
		  (uint32_t)(UINT32_MAX - (uint32_t)s->nrules);
	r->value = value;
	r->qset = qset;
	r->key_off = (uint32_t)s->npool;
	r->key_len = (uint16_t)klen;
	r->kind = (uint8_t)kind;
	r->plen = (uint8_t)plen;
	r->next = NONE;
	memcpy(s->pool + s->npool, key, klen);
	s->npool += klen;
	s->nrules++;
	if (kind == MATCH_SUBSTRING)
		s->nsubstr++;
	else if (kind == MATCH_SUFFIX)
		s->nsuffix++;
	else if (kind != MATCH_ALL)
		s->naligned++;
	return 0;
}

/* --- build ------------------------------------------------------------------- */

static int table_init(struct table *t, size_t keys)
{
	size_t cap = 16;
	while (cap < keys * 2)
		cap *= 2;
	t->slots = calloc(cap, sizeof *t->slots);
	t->mask = cap - 1;
	return t->slots ? 0 : -1;
}

/* Find or add the build node for KEY; returns its index in NODES. */
static uint32_t table_intern(struct table *t, struct tnode *nodes, uint32_t *nnodes,
			     const uint8_t *pool, uint32_t key_off, size_t key_len, uint64_t h)
{
	uint64_t m = mix(h);
	uint32_t tag = tag_of(m, key_len);
	for (uint64_t i = m & t->mask;; i = (i + 1) & t->mask) {
		struct slot *sl = &t->slots[i];
		if (!sl->node) {
			uint32_t k = (*nnodes)++;
			struct tnode *nd = &nodes[k];
			memset(nd, 0, sizeof *nd);
			nd->key_off = key_off;
			nd->key_len = (uint16_t)key_len;
			nd->head[0] = nd->head[1] = nd->tail[0] = nd->tail[1] = NONE;
			sl->tag = tag;
			sl->node = k + 1;
			return k;
		}
		struct tnode *nd = &nodes[sl->node - 1];
		if (sl->tag == tag && nd->key_len == key_len &&
		    memcmp(pool + nd->key_off, pool + key_off, key_len) == 0)
			return sl->node - 1;
	}
}

static void chain_append(struct rule *rules, struct tnode *nd, int which, uint32_t r)
{
	rules[r].next = NONE;
	if (nd->tail[which] == NONE)
		nd->head[which] = r;
	else
		rules[nd->tail[which]].next = r;
	nd->tail[which] = r;
	nd->count[which]++;
}

static size_t node_words(size_t key_len, size_t nrules)
{
	return sizeof(struct nhdr) / 8 + (key_len + 7) / 8 + nrules * sizeof(struct rent) / 8;
}

/* Lay the build nodes of table T out in the arena, rewriting its slots. */
static void table_layout(struct match_set *s, struct table *t, const struct tnode *nodes)
{
	for (uint64_t i = 0; i <= t->mask; i++) {
		struct slot *sl = &t->slots[i];
		if (!sl->node)
			continue;
		const struct tnode *nd = &nodes[sl->node - 1];
		uint64_t *rec = s->arena + s->narena;
		struct nhdr *h = (struct nhdr *)rec;
		h->plens = nd->plens;
		h->n_exact = nd->count[0];
		h->n_sub = nd->count[1];
		uint8_t *key = (uint8_t *)(h + 1);
		memcpy(key, s->pool + nd->key_off, nd->key_len);
		struct rent *re = (struct rent *)(rec + sizeof *h / 8 + (nd->key_len + 7) / 8);
		for (int w = 0; w < 2; w++)
			for (uint32_t r = nd->head[w]; r != NONE; r = s->rules[r].next) {
				re->rank = s->rules[r].rank;
				re->value = s->rules[r].value;
				re->qset = s->rules[r].qset;
				re++;
			}
		sl->node = (uint32_t)s->narena;
		s->narena += node_words(nd->key_len, nd->count[0] + nd->count[1]);
	}
}

static int build_dfa(struct match_set *s)
{
	size_t total = 1;
	bool seen[256] = {false};
	for (size_t r = 0; r < s->nrules; r++) {
		const struct rule *ru = &s->rules[r];
		if (ru->kind != MATCH_SUBSTRING)
			continue;
		total += ru->key_len;
		for (size_t i = 0; i < ru->key_len; i++)
			seen[s->pool[ru->key_off + i]] = true;
	}
	uint32_t ncls = 1; /* class 0: bytes in no pattern */
	for (int c = 0; c < 256; c++)
		s->cls[c] = seen[c] ? (uint8_t)ncls++ : 0;
	/* ncls <= 256 is impossible: '*' and bytes <= 0x20 never occur. */
	if (total >= DFA_FLAG || total > SIZE_MAX / sizeof(uint32_t) / ncls)
		return -1;
	s->ncls = ncls;
	s->delta = calloc(total * ncls, sizeof *s->delta);
	s->own = malloc(total * sizeof *s->own);
	s->emit = calloc(total, sizeof *s->emit);
	s->fail = calloc(total, sizeof *s->fail);
	uint32_t *queue = malloc(total * sizeof *queue);
	uint32_t *tail = malloc(total * sizeof *tail);
	if (!s->delta || !s->own || !s->emit || !s->fail || !queue || !tail) {
		free(queue);
		free(tail);
		return -1;
	}
	for (size_t i = 0; i < total; i++)
		s->own[i] = tail[i] = NONE;
	/* The trie, in insertion order so each state's rules are in rank order
	 * (same text, same length, same kind: the earlier one first). */
	uint32_t nst = 1;
	for (size_t r = 0; r < s->nrules; r++) {
		struct rule *ru = &s->rules[r];
		if (ru->kind != MATCH_SUBSTRING)
			continue;
		uint32_t st = 0;
		for (size_t i = 0; i < ru->key_len; i++) {
			uint32_t *d = &s->delta[(size_t)st * ncls + s->cls[s->pool[ru->key_off + i]]];
			if (!*d)
				*d = nst++;
			st = *d;
		}
		ru->next = NONE;
		if (tail[st] == NONE)
			s->own[st] = (uint32_t)r;
		else
			s->rules[tail[st]].next = (uint32_t)r;
		tail[st] = (uint32_t)r;
	}
	free(tail);
	/* Breadth first: fail links and the full transition function. A
	 * non-zero entry in a row not yet visited is a trie edge. */
	size_t qh = 0, qt = 0;
	for (uint32_t c = 0; c < ncls; c++)
		if (s->delta[c])
			queue[qt++] = s->delta[c]; /* fail = 0 (calloc) */
	while (qh < qt) {
		uint32_t st = queue[qh++];
		uint32_t f = s->fail[st];
		s->emit[st] = s->own[st] != NONE ? st : s->emit[f];
		for (uint32_t c = 0; c < ncls; c++) {
			uint32_t *d = &s->delta[(size_t)st * ncls + c];
			uint32_t fd = s->delta[(size_t)f * ncls + c] & ~DFA_FLAG;
			if (*d) {
				s->fail[*d] = fd;
				queue[qt++] = *d;
			} else {
				*d = fd;
			}
		}
	}
	free(queue);
	for (size_t i = 0; i < (size_t)nst * ncls; i++)
		if (s->emit[s->delta[i]])
			s->delta[i] |= DFA_FLAG;
	s->nstates = nst;
	return 0;
}

static void unbuild(struct match_set *s);
static int build(struct match_set *s);

int match_set_finish(struct match_set *s)
{
	if (!s || s->finished)
		return -1;
	if (build(s) != 0) {
		unbuild(s); /* as before the call: it may be retried */
		return -1;
	}
	s->finished = true;
	free(s->setidx); /* only needed while adding */
	s->setidx = NULL;
	s->capsetidx = 0;
	return 0;
}

/* Free the lookup structures, back to the state after the last add. */
static void unbuild(struct match_set *s)
{
	free(s->aligned.slots);
	free(s->partial.slots);
	free(s->arena);
	free(s->delta);
	free(s->own);
	free(s->emit);
	free(s->fail);
	s->aligned.slots = s->partial.slots = NULL;
	s->arena = NULL;
	s->delta = s->own = s->emit = s->fail = NULL;
	s->narena = 0;
	s->nstates = 0;
	s->all_head = NONE;
}

static int build(struct match_set *s)
{

	size_t nal = s->naligned + s->nsuffix; /* at most: suffix tails are markers */
	if (table_init(&s->aligned, nal) || table_init(&s->partial, s->nsuffix))
		return -1;
	struct tnode *nodes = malloc((nal + s->nsuffix + 1) * sizeof *nodes);
	if (!nodes)
		return -1;
	uint32_t nal_nodes = 0, npart_nodes = 0;
	struct tnode *pnodes = nodes + nal; /* partial nodes after the aligned ones */
	size_t rent_total = 0;

	uint32_t all_tail = NONE;
	for (size_t r = 0; r < s->nrules; r++) {
		struct rule *ru = &s->rules[r];
		const uint8_t *key = s->pool + ru->key_off;
		switch ((enum match_kind)ru->kind) {
		case MATCH_EXACT:
		case MATCH_SUBDOMAIN: {
			uint32_t k = table_intern(&s->aligned, nodes, &nal_nodes, s->pool, ru->key_off,
						  ru->key_len, key_hash(key, ru->key_len));
			chain_append(s->rules, &nodes[k], ru->kind == MATCH_SUBDOMAIN, (uint32_t)r);
			rent_total++;
			break;
		}
		case MATCH_SUFFIX: {
			/* One right-to-left pass gives both the tail's and the key's hash. */
			uint64_t h = HASH_SEED, ht = 0;
			for (size_t i = ru->key_len; i-- > 0;) {
				h = key[i] + HASH_B * h;
				if (i == ru->plen)
					ht = h;
			}
			uint32_t k = table_intern(&s->partial, pnodes, &npart_nodes, s->pool,
						  ru->key_off, ru->key_len, h);
			chain_append(s->rules, &pnodes[k], 0, (uint32_t)r);
			rent_total++;
			uint32_t t = table_intern(&s->aligned, nodes, &nal_nodes, s->pool,
						  ru->key_off + ru->plen, (size_t)ru->key_len - ru->plen, ht);
			nodes[t].plens |= (uint64_t)1 << (ru->plen - 1);
			break;
		}
		case MATCH_ALL:
			ru->next = NONE;
			if (all_tail == NONE)
				s->all_head = (uint32_t)r;
			else
				s->rules[all_tail].next = (uint32_t)r;
			all_tail = (uint32_t)r;
			break;
		case MATCH_SUBSTRING:
			break;
		}
	}

	size_t words = 1; /* offset 0 means "empty slot" */
	for (uint32_t k = 0; k < nal_nodes; k++)
		words += node_words(nodes[k].key_len, 0);
	for (uint32_t k = 0; k < npart_nodes; k++)
		words += node_words(pnodes[k].key_len, 0);
	words += rent_total * sizeof(struct rent) / 8;
	if (words >= UINT32_MAX) {
		free(nodes);
		return -1;
	}
	s->arena = calloc(words, 8);
	if (!s->arena) {
		free(nodes);
		return -1;
	}
	s->narena = 1;
	table_layout(s, &s->aligned, nodes);
	table_layout(s, &s->partial, pnodes);
	free(nodes);

	if (s->nsubstr && build_dfa(s) != 0)
		return -1;
	return 0;
}

/* --- lookup ------------------------------------------------------------------- */

struct best {
	uint64_t rank;
	uint32_t value;
};

static inline bool qset_ok(const struct match_set *s, uint32_t qset, uint16_t qtype)
{
	return qset == 0 || match_qtypes_has(&s->sets[qset], qtype);
}

/* Walk N entries in rank order; take the first that applies, if it wins. */
static inline void take_rents(const struct match_set *s, const struct rent *re, uint32_t n,
			      uint16_t qtype, struct best *b)
{
	for (uint32_t i = 0; i < n; i++) {
		if (re[i].rank <= b->rank)
			return;
		if (qset_ok(s, re[i].qset, qtype)) {
			b->rank = re[i].rank;
			b->value = re[i].value;
			return;
		}
	}
}

static inline void take_rules(const struct match_set *s, uint32_t r, uint16_t qtype,
			      struct best *b)
{
	for (; r != NONE; r = s->rules[r].next) {
		const struct rule *ru = &s->rules[r];
		if (ru->rank <= b->rank)
			return;
		if (qset_ok(s, ru->qset, qtype)) {
			b->rank = ru->rank;
			b->value = ru->value;
			return;
		}
	}
}

/* The node record for KEY (lowercase, hash H), or NULL. */
static inline const struct nhdr *probe(const struct match_set *s, const struct table *t,
				       uint64_t m, const uint8_t *key, size_t key_len)
{
	uint32_t tag = tag_of(m, key_len);
	for (uint64_t i = m & t->mask;; i = (i + 1) & t->mask) {
		struct slot sl = t->slots[i];
		if (!sl.node)
			return NULL;
		if (sl.tag == tag) {
			const struct nhdr *h = (const struct nhdr *)(s->arena + sl.node);
			if (memcmp(h + 1, key, key_len) == 0)
				return h;
		}
	}
}

static inline const struct rent *rents_of(const struct nhdr *h, size_t key_len)
{
	return (const struct rent *)((const uint64_t *)(h + 1) + (key_len + 7) / 8);
}

bool match_lookup(const struct match_set *s, const uint8_t *name, uint16_t qtype,
		  struct match_result *r)
{
	if (!s || !s->finished || !name)
		return false;
	size_t len = wire_name_len(name, WIRE_NAME_MAX);
	if (!len)
		return false;

	struct best b = {0, 0};
	if (s->all_head != NONE)
		take_rules(s, s->all_head, qtype, &b);

	uint8_t lc[WIRE_NAME_MAX];
	uint64_t h[WIRE_NAME_MAX];
	uint64_t hc = HASH_SEED;
	for (size_t i = len; i-- > 0;) {
		uint8_t c = lower(name[i]);
		lc[i] = c;
		hc = c + HASH_B * hc;
		h[i] = hc;
	}
	/* Label boundaries, and their mixed hashes prefetched together. */
	uint8_t apos[WIRE_NAME_MAX / 2 + 1];
	uint64_t am[WIRE_NAME_MAX / 2 + 1];
	size_t na = 0;
	for (size_t p = 0;; p += 1 + (size_t)name[p]) {
		apos[na] = (uint8_t)p;
		am[na] = mix(h[p]);
		__builtin_prefetch(&s->aligned.slots[am[na] & s->aligned.mask]);
		na++;
		if (name[p] == 0)
			break;
	}

	for (size_t k = na; k-- > 0;) {
		size_t pos = apos[k];
		const struct nhdr *nd = probe(s, &s->aligned, am[k], lc + pos, len - pos);
		if (!nd)
			continue;
		const struct rent *re = rents_of(nd, len - pos);
		if (pos == 0)
			take_rents(s, re, nd->n_exact, qtype, &b);
		else
			take_rents(s, re + nd->n_exact, nd->n_sub, qtype, &b);
		if (k == 0 || !nd->plens)
			continue;
		/* Text-suffix rules under this tail: probe the label on its left
		 * at the offsets that leave a partial label of a known length. */
		size_t lab = pos - apos[k - 1] - 1; /* length of that label */
		uint64_t mask = nd->plens;
		mask &= ((uint64_t)1 << lab) - 1; /* 1 <= lab <= 63: P fits in it */
		while (mask) {
			size_t p = (size_t)__builtin_ctzll(mask) + 1;
			mask &= mask - 1;
			size_t j = pos - p;
			const struct nhdr *pn = probe(s, &s->partial, mix(h[j]), lc + j, len - j);
			if (pn)
				take_rents(s, rents_of(pn, len - j), pn->n_exact, qtype, &b);
		}
	}

	if (s->nstates) {
		/* Substrings over the text: labels joined by '.', no outer dots. */
		const uint32_t *delta = s->delta;
		const uint32_t ncls = s->ncls;
		const uint8_t dot = s->cls['.'];
		uint32_t st = 0;
		for (size_t k = 0; k + 1 < na; k++) {
			size_t p = apos[k];
			if (k > 0) {
				uint32_t v = delta[(size_t)st * ncls + dot];
				st = v & ~DFA_FLAG;
				if (v & DFA_FLAG)
					for (uint32_t e = s->emit[st]; e; e = s->emit[s->fail[e]])
						take_rules(s, s->own[e], qtype, &b);
			}
			for (size_t q = p + 1; q <= p + name[p]; q++) {
				uint32_t v = delta[(size_t)st * ncls + s->cls[lc[q]]];
				st = v & ~DFA_FLAG;
				if (v & DFA_FLAG)
					for (uint32_t e = s->emit[st]; e; e = s->emit[s->fail[e]])
						take_rules(s, s->own[e], qtype, &b);
			}
		}
	}

	if (!b.rank)
		return false;
	if (r) {
		r->value = b.value;
		r->kind = (enum match_kind)(4 - ((b.rank >> 32) & 7));
		r->length = (uint16_t)(b.rank >> 35);
	}
	return true;
}
