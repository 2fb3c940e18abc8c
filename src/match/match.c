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
 *    a subdomain rule only at i > 0. That is at most one probe per label.
 *    A blocked Bloom filter (2 MB for a million keys, where the table is
 *    115 MB) turns away most suffixes that are no key before they cost a miss
 *    to memory; the cells of those that pass are prefetched together, so
 *    their misses overlap instead of queueing. The probes go from the whole
 *    name to the root, and stop as soon as the best match so far is longer
 *    than anything the shorter suffixes could still give (see lk_finish):
 *    an exact hit on the whole name ends the walk.
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
 *    substring pattern exists, and only for names whose q-grams pass a small
 *    filter of the patterns' first q octets (see lk_maybe_substring): the
 *    automaton is a chain of dependent loads, the filter independent
 *    arithmetic on the suffix hashes of step 1. Transitions hold the target's row offset
 *    (state times classes) and a flag bit "some pattern ends here", so the
 *    common step is one add and one load. Its memory is states x classes x
 *    4 octets: a few hundred KB for a few hundred substring patterns (the
 *    injector's real lists have that many; a huge list of substrings would
 *    want a sparse automaton instead).
 *
 * 5. Precedence (match.h: longest pattern text, then exact > subdomain >
 *    text-suffix > substring > all, then the earlier pattern) is folded into
 *    one 64-bit rank per rule, (length << 35 | (4 - kind) << 32 | ~index):
 *    the best match is the largest rank, so the single pass keeps one
 *    running maximum. Rules sharing a key share a node, in rank order, and
 *    the walk stops at the first rule whose query-type set holds the query's
 *    type (or whose rank cannot win any more). Query-type sets are stored
 *    once each (most rules share "all", which is set 0 and costs no test).
 *    The same ranks let the lookup skip the automaton (and its q-gram
 *    filter) whenever the best match so far is longer than the longest
 *    substring pattern, which is the case for nearly every hit.
 *
 * Memory layout: a table cell is one 64-byte cache line per key: a tag (24
 * bits of hash and the key length in 8 bits), the rule counts, and the
 * key's node itself: the P-length mask (only if not zero), its rules'
 * (rank, value, type set) entries, then the key bytes (zero padded,
 * compared by 8-byte words). A node that does not fit in the cell's 56
 * bytes (a key over 40 octets with one rule, over 24 with two; four rules
 * or more) is a full record in an arena, and the cell points to it (the
 * key is compared there). So a hit costs one line from
 * memory in the common case, where a table of 8-byte slots pointing to
 * records cost two dependent misses (slot, then record). Tables hold keys at
 * load factor 1/2 with linear probing over cells (every probe sequence ends
 * at an empty cell); lookups prefetch the home cell and the next one. Large
 * arrays use 2 MB pages (see struct buf).
 *
 * What bounds the speed at a million rules is memory latency, not work: a
 * hit needs the filter word (in the outer caches) and then its cell, one
 * after the other. match_lookup_batch (an addition to the interface) runs
 * the lookup as a three-stage software pipeline over many names, so the
 * misses of several names are in flight at once.
 *
 * Load: patterns are parsed into one pool and one rule array (grown by
 * mremap, no copying); finish hashes every key in one sequential pass, then
 * interns them in a table of 8-byte slots (merging rules with equal keys
 * into one node) while prefetching the slots of the rule 16 ahead, then
 * places the nodes in the cells in rule order, prefetching 16 ahead again.
 * A million rules load in about 0.2 s.
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
#include <sys/mman.h>

#include "util/hash.h"
#include "wire/msg.h"
#include "wire/name.h"

#define NONE UINT32_MAX
#define HASH_B 0x9e3779b97f4a7c15ULL  /* odd multiplier of the rolling hash */
#define HASH_SEED 0x2545f4914f6cdd1dULL /* h of the empty suffix: lengths differ */
#define DFA_FLAG 0x80000000u           /* transition target has outputs */

/*
 * Large arrays (a million rules need some 150 MB while building) come from
 * anonymous mappings marked for 2 MB pages: on this VM a 4 KB page fault
 * costs microseconds, which made page faults a third of the load time, and
 * the lookup's random probes into tables of tens of megabytes miss the TLB
 * far less often on large pages. Growing a mapping with mremap moves page
 * tables instead of copying. Small arrays stay on the heap, where the
 * sanitizers see every out-of-bounds access (the tests and the fuzzer use
 * small sets).
 */
#define BIG_BYTES ((size_t)1 << 20)

struct buf {
	void *p;
	size_t cap; /* bytes */
	bool mapped;
};

static void buf_free(struct buf *b)
{
	if (b->mapped)
		munmap(b->p, b->cap);
	else
		free(b->p);
	b->p = NULL;
	b->cap = 0;
	b->mapped = false;
}

static void *map_huge(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: fine if refused */
	return p;
}

/* A zeroed buffer of BYTES. 0 or -1. */
static int buf_zalloc(struct buf *b, size_t bytes)
{
	b->mapped = bytes >= BIG_BYTES;
	if (b->mapped) {
		b->p = map_huge(bytes);
	} else { /* cache-line aligned: hash table cells are one line each */
		size_t n = (bytes + 63) & ~(size_t)63;
		b->p = aligned_alloc(64, n ? n : 64);
		if (b->p)
			memset(b->p, 0, n ? n : 64);
	}
	b->cap = b->p ? bytes : 0;
	if (!b->p)
		b->mapped = false;
	return b->p ? 0 : -1;
}

/* Grow B (contents kept, doubling) to hold NEED bytes. 0 or -1 (B kept). */
static int buf_grow(struct buf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	size_t n = b->cap ? b->cap : 4096;
	while (n < need)
		n *= 2;
	void *q;
	if (b->mapped) {
		q = mremap(b->p, b->cap, n, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			return -1;
		(void)madvise(q, n, MADV_HUGEPAGE);
	} else if (n >= BIG_BYTES) {
		q = map_huge(n);
		if (!q)
			return -1;
		memcpy(q, b->p, b->cap);
		free(b->p);
		b->mapped = true;
	} else {
		q = realloc(b->p, n);
		if (!q)
			return -1;
	}
	b->p = q;
	b->cap = n;
	return 0;
}

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

/* Build only: the table that merges rules with equal keys into one node. */
struct slot {
	uint32_t tag;  /* 24 bits of hash << 8 | key length */
	uint32_t node; /* build node number + 1; 0 = empty */
};

/*
 * The lookup table: one cache line per key. The node sits in the cell
 * itself when it fits in 56 bytes, in a compact form: the P-length mask
 * only if it is not zero, the rules' entries, then the key (zero padded to
 * 8). That holds a key of up to 40 octets with one rule (48 with none, 24
 * with two): nearly every key of a real list, so a hit costs one line.
 * Bigger nodes are full records (struct nhdr ...) in the arena.
 */
#define CELL_WORDS 7
#define CELL_INLINE 0x80000000u /* meta: the node is in the cell */
#define CELL_PLENS 0x00010000u  /* meta, inline: rec[0] is the P-length mask */
struct cell {
	uint32_t tag;  /* 24 bits of hash << 8 | key length; 0 = empty (lengths >= 1) */
	uint32_t meta; /* CELL_INLINE | [CELL_PLENS] | n_sub << 8 | n_exact, or the
			* arena offset (8-byte units, < 2^31) of the node's record */
	uint64_t rec[CELL_WORDS];
};

/* A node as the lookup sees it, wherever it is stored. */
struct nview {
	uint64_t plens;
	const struct rent *re; /* n_exact exact (or text-suffix) rules, then n_sub */
	uint32_t n_exact, n_sub;
};

struct table {
	struct slot *slots; /* build only */
	uint64_t mask;
	struct buf mem;
	struct cell *cells; /* = cmem.p */
	uint64_t ncells;    /* < 2^32: the index is a multiply-shift of 32 hash bits */
	struct buf cmem;
};

/* Home cell of mixed hash M: its low 32 bits scaled to the table (the tag
 * takes the high 24, so the two are independent). */
static inline uint64_t cell_of(uint64_t m, uint64_t ncells)
{
	return (uint64_t)(uint32_t)m * ncells >> 32;
}

/* Build-time node, before it is laid out in the arena. */
struct tnode {
	uint64_t plens;
	uint64_t m;    /* mixed hash of the key */
	uint32_t key_off;
	uint32_t head[2], tail[2], count[2];
	uint16_t key_len;
};

struct match_set {
	/* adding */
	struct rule *rules; /* = rules_mem.p */
	size_t nrules;
	struct buf rules_mem;
	uint8_t *pool;      /* = pool_mem.p */
	size_t npool;
	struct buf pool_mem;
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
	struct buf arena_mem;
	uint64_t *pfilter; /* blocked Bloom filter of the partial keys: most probes stop here */
	uint64_t pfmask;   /* word index mask */
	uint64_t *afilter; /* the same for the aligned keys: = afilter_mem.p */
	uint64_t afmask;
	struct buf afilter_mem;
	uint32_t all_head; /* match-all rules, in rank order */

	/* substring DFA */
	uint32_t *delta;  /* nstates * ncls: target row (state * ncls) | DFA_FLAG */
	uint32_t *own;    /* per state: first rule ending exactly here */
	uint32_t *emit;   /* per state: nearest state on the fail chain with rules */
	uint32_t *fail;
	uint32_t nstates, ncls;
	uint8_t cls[256];
	/* q-gram prefilter of the substrings (sq = 0: none) */
	uint64_t *sfilter;
	uint64_t sfmask;
	uint64_t bpow[9];     /* HASH_B^0 .. HASH_B^8 */
	uint32_t sq;
	/* The automaton runs only for a best-so-far rank below this: 0 without
	 * substring rules, else the rank of the longest substring pattern's
	 * length with a text-suffix's kind (no substring can beat that). */
	uint64_t dfa_bound;
};

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/*
 * Key filters (one for aligned keys, one for partial keys): blocked Bloom
 * filters, one 64-bit word per key hash and two bits in it (about 2% false
 * positives at 16 bits a key), from one multiply of the raw rolling hash.
 * The filter of a million aligned keys is 2 MB, which stays in the outer
 * caches where the 16 MB table cannot: a suffix that is no key (most of
 * them) costs no miss to memory. The up to seven candidate offsets of a
 * label under a tail with text-suffix rules cost a few cycles each, and the
 * full mix and the table probe only follow a hit.
 */
static inline uint64_t pf_bits(uint64_t h, uint64_t *word, uint64_t wmask)
{
	uint64_t x = h * 0xd6e8feb86659fd93ULL;
	*word = (x >> 20) & wmask;
	return (uint64_t)1 << (x >> 58) | (uint64_t)1 << ((x >> 52) & 63);
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

static int qtypes_add(struct match_qtypes *qt, uint16_t t, struct dw_error *err)
{
	if (t < 256) {
		qt->bits[t >> 6] |= (uint64_t)1 << (t & 63);
		return 0;
	}
	for (unsigned i = 0; i < qt->nmore; i++)
		if (qt->more[i] == t)
			return 0;
	if (qt->nmore >= 4) {
		return dw_error_set(err, DW_E_TOO_LARGE, "more than 4 types above 255");
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

int match_qtypes_parse(const char *text, struct match_qtypes *qt, struct dw_error *err)
{
	memset(qt, 0, sizeof *qt);
	if (!text || !*text) {
		return dw_error_set(err, DW_E_BAD_TEXT, "empty type list");
	}
	const char *p = text;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char word[32];
		if (n == 0 || n >= sizeof word) {
			return dw_error_set(err, DW_E_BAD_TEXT, "%s",
					    n ? "type name too long" : "empty type in list");
		}
		memcpy(word, p, n);
		word[n] = 0;
		uint16_t t;
		if (strcmp(word, "*") == 0 || strcasecmp(word, "ANY") == 0) {
			qt->all = true;
		} else if (wire_type_from_name(word, &t)) {
			if (qtypes_add(qt, t, err) != 0)
				return -1;
		} else {
			return dw_error_set(err, DW_E_BAD_TEXT, "unknown type \"%s\"", word);
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
		h = hash_fmix64(h ^ q->bits[i]);
	for (unsigned i = 0; i < q->nmore; i++)
		h = hash_fmix64(h ^ q->more[i]);
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
		(void)qtypes_add(&q, in->more[i], NULL); /* at most 4: cannot fail */
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

static void unbuild(struct match_set *s);

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
	unbuild(s);
	buf_free(&s->rules_mem);
	buf_free(&s->pool_mem);
	free(s->sets);
	free(s->setidx);
	free(s);
}

size_t match_set_count(const struct match_set *s)
{
	return s ? s->nrules : 0;
}

/*
 * Append the labels of TEXT[0..N) (dot-separated, no wildcard) in canonical
 * wire form to OUT at *LEN, root label included. OUT has room for
 * WIRE_NAME_MAX + 64 octets. 0 or -1 with ERR.
 */
static int text_to_wire(const char *text, size_t n, uint8_t *out, size_t *len,
			struct dw_error *err)
{
	size_t at = *len;
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && text[j] != '.')
			j++;
		if (j == i) {
			return dw_error_set(err, DW_E_BAD_TEXT, "empty label");
		}
		if (j - i > WIRE_LABEL_MAX) {
			return dw_error_set(err, DW_E_LABEL_TOO_LONG, "label over 63 octets");
		}
		if (at + 1 + (j - i) + 1 > WIRE_NAME_MAX) {
			return dw_error_set(err, DW_E_NAME_TOO_LONG, "name over 255 octets");
		}
		out[at++] = (uint8_t)(j - i);
		for (size_t k = i; k < j; k++)
			out[at++] = lower((uint8_t)text[k]);
		i = j + 1;
		if (j + 1 == n) { /* "a." inside the text: trailing empty label */
			return dw_error_set(err, DW_E_BAD_TEXT, "empty label");
		}
	}
	out[at++] = 0;
	*len = at;
	return 0;
}

/* The bytes a pattern may hold, apart from its structure ('*' and '.'). */
static int check_chars(const char *p, size_t n, struct dw_error *err)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)p[i];
		if (c == '*') {
			return dw_error_set(err, DW_E_BAD_TEXT, "'*' only at the start or as *text*");
		}
		if (c == '\\') {
			return dw_error_set(err, DW_E_BAD_TEXT, "escapes are not supported");
		}
		if (c <= 0x20 || c == 0x7f) {
			return dw_error_set(err, DW_E_BAD_TEXT, "bad character 0x%02x", c);
		}
	}
	return 0;
}

int match_set_add(struct match_set *s, const char *pattern, const struct match_qtypes *qt,
		  uint32_t value, struct dw_error *err)
{
	if (!s || s->finished) {
		return dw_error_set(err, DW_E_STATE, "adding after match_set_finish");
	}
	if (!pattern || !*pattern) {
		return dw_error_set(err, DW_E_BAD_TEXT, "empty pattern");
	}
	size_t n = strlen(pattern);
	if (n > 1024) {
		return dw_error_set(err, DW_E_NAME_TOO_LONG, "name over 255 octets");
	}
	if (pattern[n - 1] == '.' && n > 1) /* absolute form: the dot is ignored */
		n--;
	else if (n == 1 && pattern[0] == '.') {
		return dw_error_set(err, DW_E_BAD_TEXT, "empty pattern");
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
		if (check_chars(body, bl, err) != 0)
			return -1;
		if (bl == 0) {
			return dw_error_set(err, DW_E_BAD_TEXT, "empty substring");
		}
		if (bl > WIRE_NAME_MAX) {
			return dw_error_set(err, DW_E_BAD_TEXT, "substring over 255 octets");
		}
		for (size_t i = 0; i + 1 < bl; i++)
			if (body[i] == '.' && body[i + 1] == '.') {
				return dw_error_set(err, DW_E_BAD_TEXT, "empty label");
			}
		for (size_t i = 0; i < bl; i++)
			key[i] = lower((uint8_t)body[i]);
		klen = length = bl;
	} else if (p[0] == '*' && p[1] == '.') {
		kind = MATCH_SUBDOMAIN;
		if (check_chars(p + 2, n - 2, err) != 0 ||
		    text_to_wire(p + 2, n - 2, key, &klen, err) != 0)
			return -1;
		if (klen == 1) { /* "*.." */
			return dw_error_set(err, DW_E_BAD_TEXT, "empty label");
		}
		if (klen + 2 > WIRE_NAME_MAX) { /* no name under it fits */
			return dw_error_set(err, DW_E_NAME_TOO_LONG, "name over 255 octets");
		}
		length = klen - 1; /* ".example.com" */
	} else if (p[0] == '*') {
		kind = MATCH_SUFFIX;
		if (check_chars(p + 1, n - 1, err) != 0)
			return -1;
		const char *dot = memchr(p + 1, '.', n - 1);
		plen = dot ? (size_t)(dot - (p + 1)) : n - 1;
		if (plen > WIRE_LABEL_MAX) {
			return dw_error_set(err, DW_E_LABEL_TOO_LONG, "label over 63 octets");
		}
		for (size_t i = 0; i < plen; i++)
			key[i] = lower((uint8_t)p[1 + i]);
		klen = plen;
		if (dot && text_to_wire(dot + 1, n - 2 - plen, key, &klen, err) != 0)
			return -1;
		if (dot && klen == plen + 1) { /* "*a.." */
			return dw_error_set(err, DW_E_BAD_TEXT, "empty label");
		}
		if (!dot)
			key[klen++] = 0;
		if (klen + 1 > WIRE_NAME_MAX) { /* P's label needs its length octet */
			return dw_error_set(err, DW_E_NAME_TOO_LONG, "name over 255 octets");
		}
		length = n - 1;
	} else {
		kind = MATCH_EXACT;
		if (check_chars(p, n, err) != 0 ||
		    text_to_wire(p, n, key, &klen, err) != 0)
			return -1;
		length = klen - 2;
	}

	if (s->nrules >= UINT32_MAX - 1) {
		return dw_error_set(err, DW_E_TOO_LARGE, "too many patterns");
	}
	if (s->npool + klen > UINT32_MAX) {
		return dw_error_set(err, DW_E_TOO_LARGE, "patterns too large");
	}
	uint32_t qset = set_intern(s, qt);
	if (qset == NONE || buf_grow(&s->rules_mem, (s->nrules + 1) * sizeof *s->rules) ||
	    buf_grow(&s->pool_mem, s->npool + klen + 1)) {
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	s->rules = s->rules_mem.p;
	s->pool = s->pool_mem.p;
	if (qset != 0) {
		const struct match_qtypes *q = &s->sets[qset];
		if (!q->nmore && !(q->bits[0] | q->bits[1] | q->bits[2] | q->bits[3])) {
			return dw_error_set(err, DW_E_INVALID, "empty query type set");
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
	if (buf_zalloc(&t->mem, cap * sizeof *t->slots) != 0)
		return -1;
	t->slots = t->mem.p;
	t->mask = cap - 1;
	return 0;
}

/* Find or add the build node for KEY; returns its index in NODES. */
static uint32_t table_intern(struct table *t, struct tnode *nodes, uint32_t *nnodes,
			     const uint8_t *pool, uint32_t key_off, size_t key_len, uint64_t m)
{
	uint32_t tag = tag_of(m, key_len);
	for (uint64_t i = m & t->mask;; i = (i + 1) & t->mask) {
		struct slot *sl = &t->slots[i];
		if (!sl->node) {
			uint32_t k = (*nnodes)++;
			struct tnode *nd = &nodes[k];
			memset(nd, 0, sizeof *nd);
			nd->key_off = key_off;
			nd->key_len = (uint16_t)key_len;
			nd->m = m;
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

/* Does build node ND fit in a cell (compact form, see struct cell)? */
static bool cell_fits(const struct tnode *nd)
{
	size_t nr = (size_t)nd->count[0] + nd->count[1];
	return nr <= 3 && (nd->plens != 0) + nr * sizeof(struct rent) / 8 +
				  ((size_t)nd->key_len + 7) / 8 <= CELL_WORDS;
}

/*
 * Put the N build nodes of table T into its cells (load factor 1/2, linear
 * probing), in the order they were made (the order of the rules, so the
 * pool and the rules are read almost sequentially): the record inline when
 * it fits, else in the arena. The home cell of the node 16 ahead is
 * prefetched, so the random writes overlap.
 */
static int table_place(struct match_set *s, struct table *t, const struct tnode *nodes,
		       uint32_t n)
{
	uint64_t nc = (uint64_t)n * 2 + 16;
	if (nc >= ((uint64_t)1 << 32) || buf_zalloc(&t->cmem, nc * sizeof(struct cell)) != 0)
		return -1;
	t->cells = t->cmem.p;
	t->ncells = nc;
	for (uint32_t k = 0; k < n; k++) {
		if (k + 16 < n)
			__builtin_prefetch(&t->cells[cell_of(nodes[k + 16].m, nc)], 1);
		const struct tnode *nd = &nodes[k];
		uint64_t i = cell_of(nd->m, nc);
		while (t->cells[i].tag)
			i = i + 1 == nc ? 0 : i + 1;
		struct cell *c = &t->cells[i];
		c->tag = tag_of(nd->m, nd->key_len);
		uint8_t *key;
		struct rent *re;
		if (cell_fits(nd)) {
			uint64_t *rec = c->rec;
			c->meta = CELL_INLINE | nd->count[1] << 8 | nd->count[0];
			if (nd->plens) {
				c->meta |= CELL_PLENS;
				*rec++ = nd->plens;
			}
			re = (struct rent *)rec;
			key = (uint8_t *)(re + nd->count[0] + nd->count[1]);
		} else {
			uint64_t *rec = s->arena + s->narena;
			c->meta = (uint32_t)s->narena;
			s->narena += node_words(nd->key_len, nd->count[0] + nd->count[1]);
			struct nhdr *h = (struct nhdr *)rec;
			h->plens = nd->plens;
			h->n_exact = nd->count[0];
			h->n_sub = nd->count[1];
			key = (uint8_t *)(h + 1);
			re = (struct rent *)(rec + sizeof *h / 8 + (nd->key_len + 7) / 8);
		}
		memcpy(key, s->pool + nd->key_off, nd->key_len);
		for (int w = 0; w < 2; w++)
			for (uint32_t r = nd->head[w]; r != NONE; r = s->rules[r].next) {
				re->rank = s->rules[r].rank;
				re->value = s->rules[r].value;
				re->qset = s->rules[r].qset;
				re++;
			}
	}
	/* The build table has done its work. */
	buf_free(&t->mem);
	t->slots = NULL;
	return 0;
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
	if (total * ncls >= DFA_FLAG)
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
	/* Targets as row offsets: the step's dependent chain is one add and
	 * one load, no multiply. */
	for (size_t i = 0; i < (size_t)nst * ncls; i++)
		s->delta[i] = s->delta[i] * ncls | (s->emit[s->delta[i]] ? DFA_FLAG : 0);
	s->nstates = nst;
	uint64_t maxlen = 0;
	for (size_t r = 0; r < s->nrules; r++)
		if (s->rules[r].kind == MATCH_SUBSTRING && s->rules[r].key_len > maxlen)
			maxlen = s->rules[r].key_len;
	s->dfa_bound = maxlen << 35 | (uint64_t)2 << 32;

	/* The q-gram prefilter: the first q octets of every substring pattern,
	 * hashed, in a blocked Bloom filter with 64 bits a pattern (a few KB,
	 * always in L1). A name none of whose q-grams passes cannot contain a
	 * pattern, and the automaton (a chain of dependent loads, the slowest
	 * part of a lookup) is skipped. Short patterns make q-grams common in
	 * names, so below 4 the filter is not used. */
	uint32_t q = 8;
	for (size_t r = 0; r < s->nrules; r++)
		if (s->rules[r].kind == MATCH_SUBSTRING && s->rules[r].key_len < q)
			q = s->rules[r].key_len;
	if (q >= 4) {
		uint64_t words = 1;
		while (words < s->nsubstr)
			words *= 2;
		s->sfilter = calloc(words, sizeof *s->sfilter);
		if (!s->sfilter)
			return -1;
		s->sfmask = words - 1;
		s->bpow[0] = 1;
		for (int k = 1; k <= 8; k++)
			s->bpow[k] = s->bpow[k - 1] * HASH_B;
		for (size_t r = 0; r < s->nrules; r++) {
			const struct rule *ru = &s->rules[r];
			if (ru->kind != MATCH_SUBSTRING)
				continue;
			uint64_t wv = 0;
			for (uint32_t k = q; k-- > 0;)
				wv = s->pool[ru->key_off + k] + HASH_B * wv;
			uint64_t w, bits = pf_bits(wv, &w, s->sfmask);
			s->sfilter[w] |= bits;
		}
		s->sq = q;
	}
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
	buf_free(&s->aligned.mem);
	buf_free(&s->partial.mem);
	buf_free(&s->aligned.cmem);
	buf_free(&s->partial.cmem);
	s->aligned.cells = s->partial.cells = NULL;
	s->aligned.ncells = s->partial.ncells = 0;
	buf_free(&s->arena_mem);
	free(s->pfilter);
	buf_free(&s->afilter_mem);
	s->afilter = NULL;
	free(s->delta);
	free(s->own);
	free(s->emit);
	free(s->fail);
	free(s->sfilter);
	s->sfilter = NULL;
	s->sq = 0;
	s->aligned.slots = s->partial.slots = NULL;
	s->arena = NULL;
	s->pfilter = NULL;
	s->delta = s->own = s->emit = s->fail = NULL;
	s->narena = 0;
	s->nstates = 0;
	s->dfa_bound = 0;
	s->all_head = NONE;
}

static int build(struct match_set *s)
{
	size_t nal = s->naligned + s->nsuffix; /* at most: suffix tails are markers */
	if (table_init(&s->aligned, nal) || table_init(&s->partial, s->nsuffix))
		return -1;
	uint64_t pwords = 1;
	while (pwords * 64 < (uint64_t)s->nsuffix * 16)
		pwords *= 2;
	s->pfilter = calloc(pwords, sizeof *s->pfilter);
	s->pfmask = pwords - 1;
	uint64_t awords = 1;
	while (awords * 64 < (uint64_t)nal * 16)
		awords *= 2;
	if (buf_zalloc(&s->afilter_mem, awords * 8) != 0)
		return -1;
	s->afilter = s->afilter_mem.p;
	s->afmask = awords - 1;
	/* Temporary: build nodes, and each rule's mixed key hashes (two for a
	 * text-suffix rule: its key, and its tail's). */
	struct buf nodes_mem = {0}, hash_mem = {0};
	if (!s->pfilter || buf_zalloc(&nodes_mem, (nal + s->nsuffix + 1) * sizeof(struct tnode)) ||
	    buf_zalloc(&hash_mem, (s->nrules + 1) * 2 * sizeof(uint64_t))) {
		buf_free(&nodes_mem);
		buf_free(&hash_mem);
		return -1;
	}
	struct tnode *nodes = nodes_mem.p;
	struct tnode *pnodes = nodes + nal; /* partial nodes after the aligned ones */
	uint64_t *hs = hash_mem.p;
	uint32_t nal_nodes = 0, npart_nodes = 0;

	/* Hashes first, in one sequential pass over the pool ... */
	for (size_t r = 0; r < s->nrules; r++) {
		const struct rule *ru = &s->rules[r];
		const uint8_t *key = s->pool + ru->key_off;
		uint64_t w, bits;
		if (ru->kind == MATCH_EXACT || ru->kind == MATCH_SUBDOMAIN) {
			uint64_t h = key_hash(key, ru->key_len);
			hs[2 * r] = hash_fmix64(h);
			bits = pf_bits(h, &w, s->afmask);
			s->afilter[w] |= bits;
		} else if (ru->kind == MATCH_SUFFIX) {
			/* One right-to-left pass gives both the tail's and the key's hash. */
			uint64_t h = HASH_SEED, ht = 0;
			for (size_t i = ru->key_len; i-- > 0;) {
				h = key[i] + HASH_B * h;
				if (i == ru->plen)
					ht = h;
			}
			hs[2 * r] = hash_fmix64(h);
			hs[2 * r + 1] = hash_fmix64(ht);
			bits = pf_bits(h, &w, s->pfmask);
			s->pfilter[w] |= bits;
			bits = pf_bits(ht, &w, s->afmask);
			s->afilter[w] |= bits;
		}
	}
	/* ... then the inserts, each prefetching the slots of the rule 16 ahead,
	 * so the random accesses to a large table overlap. */
	uint32_t all_tail = NONE;
	for (size_t r = 0; r < s->nrules; r++) {
		if (r + 16 < s->nrules) {
			uint8_t k16 = s->rules[r + 16].kind;
			const uint64_t *m16 = &hs[2 * (r + 16)];
			if (k16 == MATCH_EXACT || k16 == MATCH_SUBDOMAIN) {
				__builtin_prefetch(&s->aligned.slots[m16[0] & s->aligned.mask], 1);
			} else if (k16 == MATCH_SUFFIX) {
				__builtin_prefetch(&s->partial.slots[m16[0] & s->partial.mask], 1);
				__builtin_prefetch(&s->aligned.slots[m16[1] & s->aligned.mask], 1);
			}
		}
		struct rule *ru = &s->rules[r];
		switch ((enum match_kind)ru->kind) {
		case MATCH_EXACT:
		case MATCH_SUBDOMAIN: {
			uint32_t k = table_intern(&s->aligned, nodes, &nal_nodes, s->pool, ru->key_off,
						  ru->key_len, hs[2 * r]);
			chain_append(s->rules, &nodes[k], ru->kind == MATCH_SUBDOMAIN, (uint32_t)r);
			break;
		}
		case MATCH_SUFFIX: {
			uint64_t m = hs[2 * r];
			uint32_t k = table_intern(&s->partial, pnodes, &npart_nodes, s->pool,
						  ru->key_off, ru->key_len, m);
			chain_append(s->rules, &pnodes[k], 0, (uint32_t)r);
			uint32_t t = table_intern(&s->aligned, nodes, &nal_nodes, s->pool,
						  ru->key_off + ru->plen, (size_t)ru->key_len - ru->plen,
						  hs[2 * r + 1]);
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
	buf_free(&hash_mem);

	size_t words = 1; /* offset 0 unused */
	for (uint32_t k = 0; k < nal_nodes + npart_nodes; k++) {
		const struct tnode *nd = k < nal_nodes ? &nodes[k] : &pnodes[k - nal_nodes];
		if (!cell_fits(nd))
			words += node_words(nd->key_len, nd->count[0] + nd->count[1]);
	}
	if (words >= CELL_INLINE || buf_zalloc(&s->arena_mem, words * 8) != 0) {
		buf_free(&nodes_mem);
		return -1;
	}
	s->arena = s->arena_mem.p;
	s->narena = 1;
	if (table_place(s, &s->aligned, nodes, nal_nodes) != 0 ||
	    table_place(s, &s->partial, pnodes, npart_nodes) != 0) {
		buf_free(&nodes_mem);
		return -1;
	}
	buf_free(&nodes_mem);

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

/* Every substring rule ending at the state of ROW (a rare event). */
static void take_substrings(const struct match_set *s, uint32_t row, uint16_t qtype,
			    struct best *b)
{
	for (uint32_t e = s->emit[row / s->ncls]; e; e = s->emit[s->fail[e]])
		take_rules(s, s->own[e], qtype, b);
}

/* Do the KEY_LEN octets at A and B match? Both are zero padded to 8. */
static inline bool key_equal(const uint8_t *a, const uint8_t *b, size_t key_len)
{
	for (size_t w = 0; w < key_len; w += 8) {
		uint64_t x, y;
		memcpy(&x, a + w, 8);
		memcpy(&y, b + w, 8);
		if (x != y)
			return false;
	}
	return true;
}

/* Find KEY (lowercase, zero padded to 8, mixed hash M): true and its node
 * in *V, or false. */
static inline bool probe(const struct match_set *s, const struct table *t, uint64_t m,
			 const uint8_t *key, size_t key_len, struct nview *v)
{
	uint32_t tag = tag_of(m, key_len);
	const uint64_t nc = t->ncells;
	for (uint64_t i = cell_of(m, nc);; i = i + 1 == nc ? 0 : i + 1) {
		const struct cell *c = &t->cells[i];
		if (!c->tag)
			return false;
		if (c->tag != tag) /* the tag holds the length: equal ones compare */
			continue;
		uint32_t meta = c->meta;
		if (meta & CELL_INLINE) {
			const uint64_t *rec = c->rec;
			v->plens = 0;
			if (meta & CELL_PLENS)
				v->plens = *rec++;
			v->n_exact = meta & 0xff;
			v->n_sub = (meta >> 8) & 0xff;
			v->re = (const struct rent *)rec;
			if (key_equal((const uint8_t *)(v->re + v->n_exact + v->n_sub), key, key_len))
				return true;
		} else {
			const struct nhdr *h = (const struct nhdr *)(s->arena + meta);
			if (key_equal((const uint8_t *)(h + 1), key, key_len)) {
				v->plens = h->plens;
				v->n_exact = h->n_exact;
				v->n_sub = h->n_sub;
				v->re = (const struct rent *)((const uint64_t *)(h + 1) +
							      (key_len + 7) / 8);
				return true;
			}
		}
	}
}

/*
 * One lookup in three stages, so that a batch can run each stage over
 * several names and let their cache misses overlap (a million rules make
 * the table far larger than the caches: a hit costs a miss for the filter
 * word and one for the cell, and one name alone cannot hide them).
 *   prepare:  validate, lowercase and hash the name; prefetch the filter
 *             word of every label boundary.
 *   filter:   keep the boundaries whose suffix passes the filter; prefetch
 *             their cells (all of a name's at once: their misses overlap).
 *   finish:   compare keys, walk rules, partial probes, substrings.
 */
struct lk {
	size_t len;    /* wire length; 0: not a name, nothing matches */
	size_t na;     /* label boundaries, root included */
	uint8_t lc[WIRE_NAME_MAX + 8];          /* lowercased, zero padded */
	uint8_t apos[WIRE_NAME_MAX / 2 + 1];    /* offsets of the boundaries */
	uint64_t am[WIRE_NAME_MAX / 2 + 1];     /* their mixed hashes */
	uint8_t cand[WIRE_NAME_MAX / 2 + 1];    /* passed the filter: probe it */
	uint64_t h[WIRE_NAME_MAX];              /* rolling hash of every suffix */
};

static inline void lk_prepare(const struct match_set *s, const uint8_t *name, struct lk *st)
{
	st->len = st->na = 0;
	if (!name)
		return;
	/* The label walk: wire_name_len's checks (labels of at most 63
	 * octets, at most 255 octets in all, a root label) and the boundaries
	 * in one pass. */
	size_t n = 0, na = 0;
	for (;;) {
		if (n >= WIRE_NAME_MAX)
			return;
		uint8_t l = name[n];
		if (l > WIRE_LABEL_MAX)
			return;
		st->apos[na++] = (uint8_t)n;
		n += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	if (n > WIRE_NAME_MAX)
		return;
	const size_t len = n;
	uint64_t hc = HASH_SEED;
	for (size_t i = len; i-- > 0;) {
		uint8_t c = lower(name[i]);
		st->lc[i] = c;
		hc = c + HASH_B * hc;
		st->h[i] = hc;
	}
	memset(st->lc + len, 0, 8); /* key compares go by 8-byte words */
	for (size_t k = 0; k < na; k++) {
		uint64_t w;
		(void)pf_bits(st->h[st->apos[k]], &w, s->afmask);
		__builtin_prefetch(&s->afilter[w]);
	}
	st->len = len;
	st->na = na;
}

/* Filter each boundary's suffix; prefetch the cells of those that pass
 * (and the next cell: a quarter of the keys sit one or more cells past their
 * home, and the next line comes with little extra latency). */
static inline void lk_filter(const struct match_set *s, struct lk *st)
{
	for (size_t k = 0; k < st->na; k++) {
		uint64_t h = st->h[st->apos[k]];
		uint64_t w, bits = pf_bits(h, &w, s->afmask);
		st->cand[k] = (s->afilter[w] & bits) == bits;
		if (st->cand[k]) {
			st->am[k] = hash_fmix64(h);
			uint64_t c = cell_of(st->am[k], s->aligned.ncells);
			__builtin_prefetch(&s->aligned.cells[c]);
			__builtin_prefetch(&s->aligned.cells[c + 1 < s->aligned.ncells ? c + 1 : 0]);
		}
	}
}

/*
 * The aligned probes, from the whole name (k = 0) to the root, and the
 * text-suffix probes under each. Going from long to short lets the walk
 * stop early: nothing found at boundary k or right of it (a subdomain rule
 * keyed there, or a text-suffix rule whose partial label lies in label
 * k-1) is longer than the text of the name from label k-1 on, less its
 * first octet; once the best so far beats that bound (with a subdomain's
 * kind and the first index), the rest cannot win. An exact hit on the
 * whole name stops it at once.
 */
static void lk_finish(const struct match_set *s, const struct lk *st, uint16_t qtype,
		      struct best *bp)
{
	struct best b = {0, 0};
	size_t len = st->len, na = st->na;
	const uint8_t *lc = st->lc;
	const uint64_t *h = st->h;
	const uint8_t *apos = st->apos;
	if (s->all_head != NONE)
		take_rules(s, s->all_head, qtype, &b);

	for (size_t k = 0; k < na; k++) {
		size_t pos = apos[k];
		if (k > 0) {
			uint64_t u = (uint64_t)(len - apos[k - 1] - 2);
			if (b.rank > (u << 35 | (uint64_t)3 << 32 | UINT32_MAX))
				break;
		}
		if (!st->cand[k])
			continue;
		struct nview nd;
		if (!probe(s, &s->aligned, st->am[k], lc + pos, len - pos, &nd))
			continue;
		if (pos == 0)
			take_rents(s, nd.re, nd.n_exact, qtype, &b);
		else
			take_rents(s, nd.re + nd.n_exact, nd.n_sub, qtype, &b);
		if (k == 0 || !nd.plens)
			continue;
		/* Text-suffix rules under this tail: probe the label on its left
		 * at the offsets that leave a partial label of a known length. */
		size_t lab = pos - apos[k - 1] - 1; /* length of that label */
		uint64_t mask = nd.plens;
		mask &= ((uint64_t)1 << lab) - 1; /* 1 <= lab <= 63: P fits in it */
		while (mask) {
			size_t p = (size_t)__builtin_ctzll(mask) + 1;
			mask &= mask - 1;
			size_t j = pos - p;
			uint64_t w, bits = pf_bits(h[j], &w, s->pfmask);
			if ((s->pfilter[w] & bits) != bits)
				continue; /* certainly no such key */
			struct nview pn;
			if (probe(s, &s->partial, hash_fmix64(h[j]), lc + j, len - j, &pn))
				take_rents(s, pn.re, pn.n_exact, qtype, &b);
		}
	}

	*bp = b;
}

/*
 * Might the text of ST contain a substring pattern? Its q-grams are hashed
 * as the patterns' first q octets were, W_i = sum of t[i+k] B^k for k < q,
 * and looked up in the filter. No new pass is needed: over the wire octets
 * that sum is h_i - B^q h_{i+q}, from the suffix hashes already computed;
 * the text differs from the wire only at the inner length octets (read as
 * '.'), each of which adds ('.' - octet) B^(p-i) to the q windows over it.
 * All independent arithmetic, where the automaton is a chain of loads.
 */
static bool lk_maybe_substring(const struct match_set *s, const struct lk *st)
{
	const size_t q = s->sq, end = st->len - 1; /* text is [1, end) */
	uint64_t w[WIRE_NAME_MAX];
	for (size_t i = 1; i + q <= end; i++)
		w[i] = st->h[i] - s->bpow[q] * st->h[i + q];
	for (size_t k = 1; k + 1 < st->na; k++) {
		size_t p = st->apos[k];
		uint64_t d = (uint64_t)'.' - st->lc[p];
		for (size_t i = p + 1 > q ? p + 1 - q : 1; i <= p && i + q <= end; i++)
			w[i] += d * s->bpow[p - i];
	}
	uint64_t hit = 0;
	for (size_t i = 1; i + q <= end; i++) {
		uint64_t word, bits = pf_bits(w[i], &word, s->sfmask);
		hit |= (s->sfilter[word] & bits) == bits;
	}
	return hit;
}

/* Might a substring pattern occur in ST? (Without the filter: yes.) */
static inline bool lk_substring_possible(const struct match_set *s, const struct lk *st)
{
	if (!s->sq)
		return true;
	return st->len >= 2 + s->sq && lk_maybe_substring(s, st);
}

/* Substrings: the DFA over the text of ST (labels joined by '.'). */
static void lk_dfa(const struct match_set *s, const struct lk *st, uint16_t qtype,
		   struct best *b)
{
	const uint32_t *delta = s->delta;
	const uint8_t dot = s->cls['.'];
	const uint8_t *lc = st->lc;
	uint32_t row = 0; /* state times the class count */
	for (size_t k = 0; k + 1 < st->na; k++) {
		size_t p = st->apos[k];
		if (k > 0) {
			uint32_t v = delta[row + dot];
			row = v & ~DFA_FLAG;
			if (v & DFA_FLAG)
				take_substrings(s, row, qtype, b);
		}
		for (size_t i = p + 1; i <= p + lc[p]; i++) {
			uint32_t v = delta[row + s->cls[lc[i]]];
			row = v & ~DFA_FLAG;
			if (v & DFA_FLAG)
				take_substrings(s, row, qtype, b);
		}
	}
}

static bool lk_result(const struct best *b, struct match_result *r)
{
	if (!b->rank)
		return false;
	if (r) {
		r->value = b->value;
		r->kind = (enum match_kind)(4 - ((b->rank >> 32) & 7));
		r->length = (uint16_t)(b->rank >> 35);
	}
	return true;
}

bool match_lookup(const struct match_set *s, const uint8_t *name, uint16_t qtype,
		  struct match_result *r)
{
	if (!s || !s->finished)
		return false;
	struct lk st;
	lk_prepare(s, name, &st);
	if (!st.len)
		return false;
	lk_filter(s, &st);
	struct best b;
	lk_finish(s, &st, qtype, &b);
	if (b.rank < s->dfa_bound && lk_substring_possible(s, &st))
		lk_dfa(s, &st, qtype, &b);
	return lk_result(&b, r);
}


/*
 * The batch is a software pipeline of three stages, D names apart: name
 * i+2D is hashed (its filter words prefetched), name i+D filtered (its
 * cells prefetched), while name i is finished. Each miss has the work of D
 * names to arrive in. States live in a ring of RING (a power of two > 2D)
 * entries; each stage touches only a few hundred bytes of its state.
 */
#define PIPE_D 4
#define RING 16

size_t match_lookup_batch(const struct match_set *s, const uint8_t *const *names,
			  const uint16_t *qtypes, size_t n, struct match_result *r, bool *found)
{
	size_t hits = 0;
	if (!s || !s->finished) {
		for (size_t i = 0; i < n; i++)
			found[i] = false;
		return 0;
	}
	struct lk st[RING];
	for (size_t t = 0; t < n + 2 * PIPE_D; t++) {
		if (t < n)
			lk_prepare(s, names[t], &st[t % RING]);
		if (t >= PIPE_D && t - PIPE_D < n)
			lk_filter(s, &st[(t - PIPE_D) % RING]);
		if (t >= 2 * PIPE_D) {
			size_t i = t - 2 * PIPE_D;
			const struct lk *x = &st[i % RING];
			struct best b = {0, 0};
			if (x->len) {
				lk_finish(s, x, qtypes[i], &b);
				if (b.rank < s->dfa_bound && lk_substring_possible(s, x))
					lk_dfa(s, x, qtypes[i], &b);
			}
			found[i] = lk_result(&b, r ? &r[i] : NULL);
			hits += found[i];
		}
	}
	return hits;
}
