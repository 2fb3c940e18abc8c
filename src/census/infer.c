/* Rule inference from censored names (infer.h). */
#include "census/infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "wire/name.h"

#define FILLER "zq9"

/* What a task is finding. */
enum stage {
	S_SUBSTR_CHECK, /* T + ".zq9" */
	S_LEFT,         /* substring: its start */
	S_RIGHT,        /* substring: its end */
	S_PREFIX,       /* "zq9" + T */
	S_SUFFIX,       /* the shortest blocked suffix */
	S_PASS_LIMIT,   /* exemption: the blocking rule's own base still blocked? */
	S_PASS_PREFIX,  /* exemption: "zq9" + NAME exempt? */
	S_PASS_SUFFIX,  /* exemption: the shortest exempt suffix */
	S_DONE
};

struct task {
	size_t idx;          /* into names */
	const char *t;
	int len;
	uint16_t qtype;
	uint8_t qbit;        /* the census type asked, as a bit */
	enum stage stage;
	int lo, hi;          /* the binary search's bracket */
	int start;           /* a substring's start, once found */
	int limit;           /* exemption: the blocking rule's base starts here */
	unsigned probes, blocked;
	bool ok;             /* finished with a rule (else given up) */
	bool substring;      /* the name is blocked by a substring: START..HI */
	char yes[CENSUS_NAME_TEXT], no[CENSUS_NAME_TEXT];
	char asked[CENSUS_NAME_TEXT];
	bool asking;         /* a question is out (its text in asked) */
};

struct infer {
	const struct census_infer_opts *o;
	const struct census_name *names;
	size_t n;
	census_ask_fn ask;
	void *ctx;
	struct census_rules *out;
	struct census_infer_stats *st;
	struct match_set *ms;   /* over out's rules, rebuilt when they grew */
	size_t ms_rules;        /* how many rules ms holds */
	/* the rules by (pattern, pass, qmask), for merging the same rule found
	 * twice: open addressing, indexes + 1 */
	size_t *slot;
	size_t nslot;
};

/* ---- text ------------------------------------------------------------------ */

/* Whether TEXT is a name the wire can carry (labels <= 63, total <= 253). */
static bool name_fits(const char *text)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t l;
	return text[0] && wire_name_from_text(text, w, &l) == DW_OK;
}

/* "zq9" + T[i:] (a shorter filler if that does not fit); false if nothing fits. */
static bool make_prefixed(char *out, const char *t, int i)
{
	static const char *const fill[] = {FILLER, "z"};
	for (int f = 0; f < 2; f++) {
		int n = snprintf(out, CENSUS_NAME_TEXT, "%s%s", fill[f], t + i);
		if (n > 0 && n < CENSUS_NAME_TEXT && name_fits(out))
			return true;
	}
	return false;
}

/* T[a:b) between two filler labels: "zq9." SUB ".zq9" (no dot added where
 * SUB has one at that end). */
static bool make_wrapped(char *out, const char *t, int a, int b)
{
	static const char *const fill[] = {FILLER, "z"};
	for (int f = 0; f < 2; f++) {
		const char *pre = t[a] == '.' ? "" : ".", *post = t[b - 1] == '.' ? "" : ".";
		int n = snprintf(out, CENSUS_NAME_TEXT, "%s%s%.*s%s%s", fill[f], pre, b - a, t + a, post,
				 fill[f]);
		if (n > 0 && n < CENSUS_NAME_TEXT && name_fits(out))
			return true;
	}
	return false;
}

static bool make_appended(char *out, const char *t)
{
	static const char *const fill[] = {FILLER, "z"};
	for (int f = 0; f < 2; f++) {
		int n = snprintf(out, CENSUS_NAME_TEXT, "%s.%s", t, fill[f]);
		if (n > 0 && n < CENSUS_NAME_TEXT && name_fits(out))
			return true;
	}
	return false;
}

/* A name the rule file can carry back: letters, digits, '-', '_', '.'
 * (the names the prober asks, probe_name_check); '#' would start a comment
 * and a blank end a pattern. Others are never probed (counted unexplained). */
static bool name_plain(const char *t)
{
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '-' || *t == '_' ||
		      *t == '.' || (*t >= 'A' && *t <= 'Z')))
			return false;
	return true;
}

/* ---- the rules found --------------------------------------------------------- */

static uint64_t rule_key_hash(const char *pattern, bool pass, uint8_t qmask)
{
	uint64_t h = HASH_FNV_OFFSET;
	for (const char *p = pattern; *p; p++)
		h = (h ^ (uint8_t)*p) * HASH_FNV_PRIME;
	h = (h ^ (pass ? 1u : 2u)) * HASH_FNV_PRIME;
	return (h ^ qmask) * HASH_FNV_PRIME;
}

static int rules_reserve(struct infer *x, struct dw_error *err)
{
	struct census_rules *r = x->out;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct census_rule *p = realloc(r->rule, cap * sizeof *p);
		if (!p)
			return dw_error_set(err, DW_E_NOMEM, "out of memory for %zu inferred rules", cap);
		r->rule = p;
		r->cap = cap;
	}
	if ((r->n + 1) * 2 > x->nslot) {
		size_t ns = x->nslot ? x->nslot * 2 : 256;
		size_t *s = calloc(ns, sizeof *s);
		if (!s)
			return dw_error_set(err, DW_E_NOMEM, "out of memory for %zu inferred rules", r->n);
		for (size_t i = 0; i < r->n; i++) {
			const struct census_rule *ru = &r->rule[i];
			size_t h = (size_t)rule_key_hash(ru->pattern, ru->pass, ru->qmask) & (ns - 1);
			while (s[h])
				h = (h + 1) & (ns - 1);
			s[h] = i + 1;
		}
		free(x->slot);
		x->slot = s;
		x->nslot = ns;
	}
	return 0;
}

/* Add the rule task K found (or merge it into the same rule found before). */
static int rule_add(struct infer *x, struct task *k, const char *pattern, enum match_kind kind,
		    bool pass, uint8_t qmask, struct dw_error *err)
{
	if (rules_reserve(x, err))
		return -1;
	struct census_rules *r = x->out;
	size_t h = (size_t)rule_key_hash(pattern, pass, qmask) & (x->nslot - 1);
	while (x->slot[h]) {
		struct census_rule *ru = &r->rule[x->slot[h] - 1];
		if (ru->pass == pass && ru->qmask == qmask && !strcmp(ru->pattern, pattern)) {
			ru->probes += k->probes; /* found again by a name in flight at once */
			ru->blocked += k->blocked;
			return 0;
		}
		h = (h + 1) & (x->nslot - 1);
	}
	struct census_rule *ru = &r->rule[r->n];
	memset(ru, 0, sizeof *ru);
	snprintf(ru->pattern, sizeof ru->pattern, "%s", pattern);
	ru->kind = kind;
	ru->pass = pass;
	ru->qmask = qmask;
	ru->from = k->idx;
	ru->action = x->names[k->idx].action;
	ru->probes = k->probes;
	ru->blocked = k->blocked;
	snprintf(ru->yes, sizeof ru->yes, "%s", k->yes);
	snprintf(ru->no, sizeof ru->no, "%s", k->no);
	x->slot[h] = ++r->n;
	return 0;
}

void census_rules_free(struct census_rules *r)
{
	free(r->rule);
	memset(r, 0, sizeof *r);
}

static uint8_t all_bits(unsigned nq)
{
	return (uint8_t)((1u << nq) - 1);
}

struct match_set *census_rules_matcher(const struct census_rules *rules, const uint16_t *qtypes,
				       unsigned nqtypes, struct dw_error *err)
{
	struct match_set *ms = match_set_new();
	if (!ms) {
		dw_error_set(err, DW_E_NOMEM, "out of memory for a matcher");
		return NULL;
	}
	for (size_t i = 0; i < rules->n; i++) {
		const struct census_rule *ru = &rules->rule[i];
		struct match_qtypes qt = {0};
		bool all = ru->qmask == all_bits(nqtypes);
		for (unsigned b = 0; b < nqtypes && !all; b++)
			if (ru->qmask >> b & 1) {
				if (qtypes[b] < 256)
					qt.bits[qtypes[b] / 64] |= 1ull << (qtypes[b] % 64);
				else if (qt.nmore < 4)
					qt.more[qt.nmore++] = qtypes[b];
			}
		if (match_set_add(ms, ru->pattern, all ? NULL : &qt, (uint32_t)i, err)) {
			match_set_free(ms);
			return NULL;
		}
	}
	if (match_set_finish(ms)) {
		match_set_free(ms);
		dw_error_set(err, DW_E_NOMEM, "out of memory for a matcher");
		return NULL;
	}
	return ms;
}

/* Rebuild the matcher over the rules if there are new ones. */
static int refresh_matcher(struct infer *x, struct dw_error *err)
{
	if (x->ms && x->ms_rules == x->out->n)
		return 0;
	struct match_set *ms = census_rules_matcher(x->out, x->o->qtype, x->o->nqtypes, err);
	if (!ms)
		return -1;
	match_set_free(x->ms);
	x->ms = ms;
	x->ms_rules = x->out->n;
	return 0;
}

/* The query types (bits) the rules so far block NAME for; *WINNER: the
 * rule that blocks its first blocked type, or if none, the exemption that
 * wins for its first type; SIZE_MAX if no rule applies. */
static uint8_t predicted(const struct infer *x, const char *name, size_t *winner)
{
	uint8_t w[WIRE_NAME_MAX], mask = 0;
	size_t l, block = SIZE_MAX, pass = SIZE_MAX;
	*winner = SIZE_MAX;
	if (!x->ms || wire_name_from_text(name, w, &l) != DW_OK)
		return 0;
	for (unsigned b = 0; b < x->o->nqtypes; b++) {
		struct match_result r;
		if (!match_lookup(x->ms, w, x->o->qtype[b], &r))
			continue;
		if (!x->out->rule[r.value].pass) {
			mask |= (uint8_t)(1u << b);
			if (block == SIZE_MAX)
				block = r.value;
		} else if (pass == SIZE_MAX) {
			pass = r.value;
		}
	}
	*winner = block != SIZE_MAX ? block : pass;
	return mask;
}

/* ---- the tasks ------------------------------------------------------------------ */

static int first_bit(uint8_t m)
{
	for (int b = 0; b < 8; b++)
		if (m >> b & 1)
			return b;
	return 0;
}

/* Pose the task's next question into K->asked; false if it finished. */
static bool next_question(struct task *k);

/* A block task for name I, censored for MASK. */
static void start_block(struct infer *x, struct task *k, size_t i, uint8_t mask)
{
	memset(k, 0, sizeof *k);
	k->idx = i;
	k->t = x->names[i].name;
	k->len = (int)strlen(k->t);
	k->qbit = (uint8_t)first_bit(mask);
	k->qtype = x->o->qtype[k->qbit];
	k->stage = S_SUBSTR_CHECK;
}

/* An exemption task for name I, which rule W blocks for type bit B. */
static bool start_pass(struct infer *x, struct task *k, size_t i, int b, const struct census_rule *w)
{
	memset(k, 0, sizeof *k);
	k->idx = i;
	k->t = x->names[i].name;
	k->len = (int)strlen(k->t);
	k->qbit = (uint8_t)b;
	k->qtype = x->o->qtype[b];
	/* where W's base begins in the name: beyond it W matches no more */
	const char *p = w->pattern;
	switch (w->kind) {
	case MATCH_SUFFIX:
	case MATCH_SUBDOMAIN: {
		int bl = (int)strlen(p + 1); /* "*.x.com" -> ".x.com", "*x.com" -> "x.com" */
		if (bl > k->len)
			return false;
		k->limit = k->len - bl;
		break;
	}
	case MATCH_SUBSTRING: {
		char sub[CENSUS_NAME_TEXT];
		snprintf(sub, sizeof sub, "%.*s", (int)strlen(p) - 2, p + 1);
		const char *at = strstr(k->t, sub);
		if (!at)
			return false;
		k->limit = (int)(at - k->t);
		break;
	}
	default:
		return false; /* an exact rule over the name itself, or '*' */
	}
	k->stage = S_PASS_LIMIT;
	return true;
}

static bool next_question(struct task *k)
{
	char *q = k->asked;
	for (;;) {
		switch (k->stage) {
		case S_SUBSTR_CHECK:
			if (make_appended(q, k->t))
				return true;
			k->stage = S_PREFIX;
			continue;
		case S_LEFT:
		case S_RIGHT:
		case S_SUFFIX:
		case S_PASS_SUFFIX:
			if (k->hi - k->lo <= 1) {
				if (k->stage == S_LEFT) {
					/* the start found: now the end, between the start
					 * (empty: not blocked) and the name's end (blocked) */
					k->start = k->lo;
					k->lo = k->start;
					k->hi = k->len;
					k->stage = S_RIGHT;
					continue;
				}
				k->ok = true;
				k->stage = S_DONE;
				return false;
			}
			{
				int mid = (k->lo + k->hi) / 2;
				bool fits = k->stage == S_LEFT	    ? make_wrapped(q, k->t, mid, k->len)
					    : k->stage == S_RIGHT ? make_wrapped(q, k->t, k->start, mid)
								  : make_prefixed(q, k->t, mid);
				if (fits)
					return true;
				/* cannot be asked: taken as the side that keeps searching
				 * towards the shorter text */
				if (k->stage == S_RIGHT)
					k->lo = mid;
				else
					k->hi = mid;
				continue;
			}
		case S_PREFIX:
			if (make_prefixed(q, k->t, 0))
				return true;
			k->stage = S_DONE; /* exact, with no probe to tell otherwise */
			k->ok = true;
			k->lo = -1;
			return false;
		case S_PASS_LIMIT:
			if (make_prefixed(q, k->t, k->limit))
				return true;
			k->stage = S_DONE;
			return false;
		case S_PASS_PREFIX:
			if (make_prefixed(q, k->t, 0))
				return true;
			k->stage = S_DONE;
			return false;
		case S_DONE:
			return false;
		}
	}
}

static void note(char *dst, const char *src)
{
	snprintf(dst, CENSUS_NAME_TEXT, "%s", src);
}

/* The oracle's answer to K's question. */
static void answer(struct task *k, bool blocked)
{
	k->probes++;
	k->blocked += blocked;
	int mid = (k->lo + k->hi) / 2;
	switch (k->stage) {
	case S_SUBSTR_CHECK:
		if (blocked) {
			note(k->yes, k->asked);
			k->stage = S_LEFT;
			k->substring = true;
			k->lo = 0;       /* the whole name, wrapped: blocked */
			k->hi = k->len;  /* nothing: not */
		} else {
			note(k->no, k->asked);
			k->stage = S_PREFIX;
		}
		break;
	case S_LEFT:
	case S_SUFFIX:
		if (blocked) {
			k->lo = mid;
			note(k->yes, k->asked);
		} else {
			k->hi = mid;
			note(k->no, k->asked);
		}
		break;
	case S_RIGHT:
		if (blocked) {
			k->hi = mid;
			note(k->yes, k->asked);
		} else {
			k->lo = mid;
			note(k->no, k->asked);
		}
		break;
	case S_PREFIX:
		if (blocked) {
			note(k->yes, k->asked);
			k->stage = S_SUFFIX;
			k->lo = 0;
			k->hi = k->len;
		} else {
			note(k->no, k->asked);
			k->stage = S_DONE;
			k->ok = true;
			k->lo = -1; /* exact */
		}
		break;
	case S_PASS_LIMIT:
		/* the blocking rule's base alone, prefixed: it must still block,
		 * or the rule is not what blocks here and no exemption is told */
		if (blocked) {
			note(k->no, k->asked);
			k->stage = S_PASS_PREFIX;
		} else {
			k->stage = S_DONE;
		}
		break;
	case S_PASS_PREFIX:
		if (blocked) {
			note(k->no, k->asked);
			k->stage = S_DONE;
			k->ok = true;
			k->lo = -1; /* the exact name is exempt */
		} else {
			note(k->yes, k->asked);
			k->stage = S_PASS_SUFFIX;
			k->lo = 0;
			k->hi = k->limit;
		}
		break;
	case S_PASS_SUFFIX: /* exempt: keep going right */
		if (!blocked) {
			k->lo = mid;
			note(k->yes, k->asked);
		} else {
			k->hi = mid;
			note(k->no, k->asked);
		}
		break;
	case S_DONE:
		break;
	}
}

/* The rule a finished task K found (or merged into one found before). */
static int finish_task(struct infer *x, struct task *k, bool pass, struct dw_error *err)
{
	if (k->probes > x->st->max_probes)
		x->st->max_probes = k->probes;
	if (!k->ok)
		return 0;
	char pat[CENSUS_NAME_TEXT + 4];
	enum match_kind kind;
	if (k->substring) {
		snprintf(pat, sizeof pat, "*%.*s*", k->hi - k->start, k->t + k->start);
		kind = MATCH_SUBSTRING;
	} else if (k->lo < 0) {
		snprintf(pat, sizeof pat, "%s", k->t);
		kind = MATCH_EXACT;
	} else {
		snprintf(pat, sizeof pat, "*%s", k->t + k->lo);
		kind = k->t[k->lo] == '.' ? MATCH_SUBDOMAIN : MATCH_SUFFIX;
	}
	uint8_t qmask = x->names[k->idx].censored;
	if (pass) {
		/* exempt for the types the rules block and the census saw open */
		size_t w;
		qmask = (uint8_t)(predicted(x, k->t, &w) & ~x->names[k->idx].censored);
		if (!qmask)
			qmask = (uint8_t)(1u << k->qbit);
	}
	return rule_add(x, k, pat, kind, pass, qmask, err);
}

/*
 * Run tasks over the names SELECT picks, a window at a time: each round
 * asks one question of every task in flight and starts new tasks in the
 * freed places. PASS: exemptions, else block rules.
 */
static int run_tasks(struct infer *x, bool pass, struct dw_error *err)
{
	unsigned window = x->o->window ? x->o->window : CENSUS_WINDOW_DEFAULT;
	struct task *task = calloc(window, sizeof *task);
	struct census_question *q = calloc(window, sizeof *q);
	unsigned *qtask = calloc(window, sizeof *qtask);
	bool *busy = calloc(window, sizeof *busy);
	int rc = -1;
	if (!task || !q || !qtask || !busy) {
		dw_error_set(err, DW_E_NOMEM, "out of memory for %u names in flight", window);
		goto out;
	}
	size_t next = 0;
	unsigned active = 0;
	for (;;) {
		if (refresh_matcher(x, err))
			goto out;
		/* fill the free places */
		for (unsigned s = 0; s < window && next < x->n; s++) {
			if (busy[s])
				continue;
			while (next < x->n) {
				size_t i = next++, w;
				if (!name_plain(x->names[i].name))
					continue;
				uint8_t cens = x->names[i].censored;
				uint8_t pred = predicted(x, x->names[i].name, &w);
				uint8_t act = x->names[i].action;
				bool alike = !cens || w == SIZE_MAX || !act || !x->out->rule[w].action ||
					     x->out->rule[w].action == act;
				if (pred == cens && alike) {
					if (!pass && cens)
						x->st->explained++;
					continue;
				}
				if (!pass && ((cens & ~pred) || !alike)) {
					start_block(x, &task[s], i, (cens & ~pred) ? (uint8_t)(cens & ~pred) : cens);
					x->st->inferred++;
				} else if (pass && (pred & ~cens) && w != SIZE_MAX) {
					int b = first_bit((uint8_t)(pred & ~cens));
					if (!start_pass(x, &task[s], i, b, &x->out->rule[w]))
						continue;
					x->st->exempted++;
				} else {
					continue;
				}
				busy[s] = true;
				active++;
				break;
			}
		}
		if (!active)
			break;
		/* one question from each task in flight */
		size_t nq = 0;
		for (unsigned s = 0; s < window; s++) {
			if (!busy[s])
				continue;
			struct task *k = &task[s];
			if (!next_question(k)) {
				if (finish_task(x, k, pass, err))
					goto out;
				busy[s] = false;
				active--;
				continue;
			}
			snprintf(q[nq].name, sizeof q[nq].name, "%s", k->asked);
			q[nq].qtype = k->qtype;
			q[nq].blocked = false;
			q[nq].action = 0;
			qtask[nq++] = s;
		}
		if (!nq)
			continue;
		x->st->rounds++;
		x->st->questions += nq;
		if (x->ask(x->ctx, q, nq, err))
			goto out;
		for (size_t j = 0; j < nq; j++) {
			struct task *k = &task[qtask[j]];
			uint8_t act = pass ? 0 : x->names[k->idx].action;
			answer(k, q[j].blocked && (!act || !q[j].action || q[j].action == act));
		}
	}
	rc = 0;
out:
	free(task);
	free(q);
	free(qtask);
	free(busy);
	return rc;
}

/* ---- over-blocking -------------------------------------------------------------- */

bool census_overblocked(const struct census_rule *r, const char *name)
{
	size_t nl = strlen(name);
	if (r->pass)
		return false;
	if (r->kind == MATCH_SUFFIX) {
		const char *base = r->pattern + 1;
		size_t bl = strlen(base);
		if (bl > nl)
			return false;
		return !(bl == nl || name[nl - bl - 1] == '.');
	}
	if (r->kind == MATCH_SUBSTRING) {
		char sub[CENSUS_NAME_TEXT];
		size_t sl = strlen(r->pattern) - 2;
		snprintf(sub, sizeof sub, "%.*s", (int)sl, r->pattern + 1);
		for (const char *at = strstr(name, sub); at; at = strstr(at + 1, sub)) {
			bool left = at == name || at[-1] == '.' || sub[0] == '.';
			bool right = at[sl] == '\0' || at[sl] == '.' || sub[sl - 1] == '.';
			if (left && right)
				return false;
		}
		return true;
	}
	return false;
}

void census_rule_qtypes(const struct census_rule *r, const uint16_t *qtypes, unsigned nqtypes,
			char *buf, size_t cap)
{
	buf[0] = '\0';
	if (r->qmask == all_bits(nqtypes) || !cap)
		return;
	size_t n = (size_t)snprintf(buf, cap, "qtype=");
	bool first = true;
	for (unsigned b = 0; b < nqtypes && n < cap; b++)
		if (r->qmask >> b & 1) {
			const char *nm = qtypes[b] == 1 ? "A" : qtypes[b] == 28 ? "AAAA" : qtypes[b] == 15 ? "MX"
				       : qtypes[b] == 16 ? "TXT" : qtypes[b] == 5 ? "CNAME" : NULL;
			if (nm)
				n += (size_t)snprintf(buf + n, cap - n, "%s%s", first ? "" : ",", nm);
			else
				n += (size_t)snprintf(buf + n, cap - n, "%sTYPE%u", first ? "" : ",", qtypes[b]);
			first = false;
		}
}

/* ---- the whole ------------------------------------------------------------------ */

/* Each rule's winning names and over-blocked ones; the names still
 * predicted wrongly. */
static int count_names(struct infer *x, struct dw_error *err)
{
	if (refresh_matcher(x, err))
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		size_t w;
		uint8_t pred = predicted(x, x->names[i].name, &w);
		if (pred != x->names[i].censored)
			x->st->unexplained++;
		if (!x->names[i].censored || w == SIZE_MAX)
			continue;
		struct census_rule *ru = &x->out->rule[w];
		ru->names++;
		if (census_overblocked(ru, x->names[i].name))
			ru->overblocked++;
	}
	return 0;
}

int census_infer(const struct census_infer_opts *opts, const struct census_name *names, size_t n,
		 census_ask_fn ask, void *ctx, struct census_rules *out, struct census_infer_stats *st,
		 struct dw_error *err)
{
	memset(st, 0, sizeof *st);
	if (!opts->nqtypes || opts->nqtypes > CENSUS_QTYPES_MAX || !ask)
		return dw_error_set(err, DW_E_INVALID, "inference: 1 to %d query types and an oracle",
				    CENSUS_QTYPES_MAX);
	struct infer x = {.o = opts, .names = names, .n = n, .ask = ask, .ctx = ctx, .out = out, .st = st};
	int rc = run_tasks(&x, false, err);
	if (!rc)
		rc = run_tasks(&x, true, err);
	if (!rc)
		rc = count_names(&x, err);
	match_set_free(x.ms);
	free(x.slot);
	return rc;
}
