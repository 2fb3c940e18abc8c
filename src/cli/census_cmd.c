/* `dnswatch census` (usage in census_cmd.h, docs/census.md): names probed
 * towards addresses that run no DNS through the probe engine, every forged
 * reply kept with its injector group; then, on request, the rules behind
 * them (census/infer), over-blocking, the address pools (census/pool); and
 * `census diff` between two stores. */
#include "cli/census_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "census/infer.h"
#include "census/pool.h"
#include "cli/target.h"
#include "lab/host.h"
#include "probe/classify.h"
#include "probe/engine.h"
#include "probe/gather.h"
#include "probe/names.h"
#include "store/census.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/text.h"
#include "wire/msg.h"

#define PROG "dnswatch census"
#define GROUPS_MAX 64

/* What a forged reply said, per censored name: the rule file's action. */
struct forged {
	uint32_t a;          /* first forged A address, 0: none */
	bool has_aaaa, nx;
	uint8_t aaaa[16];
};

struct census {
	struct probe_config cfg;
	/* the names, deduplicated, in input order (seq = index) */
	char **name;
	uint32_t *line;
	size_t n, cap;
	uint64_t dups, invalid;
	size_t *hslot;       /* names by text: open addressing, index + 1 */
	size_t nhslot;
	struct census_name *cn;  /* inference's view: text and censored mask */
	struct forged *fg;       /* per name */
	uint8_t *done;           /* per name: stored by an earlier (resumed) process */
	/* output */
	struct census_store *db;
	bool ndjson;
	struct classify *cls;
	struct probe_gather *gather;
	/* the name being gathered */
	uint64_t cur_seq;
	unsigned cur_have, cur_replies;
	/* injector groups by fingerprint text */
	char gfp[GROUPS_MAX][256];
	int gid[GROUPS_MAX];
	uint64_t greplies[GROUPS_MAX];
	char gaddrs[GROUPS_MAX][512];
	unsigned ngroups;
	/* counters */
	uint64_t censored, replies, per_type[PROBE_QTYPES_MAX], written;
	bool failed;
	struct dw_error err;
};

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int usage(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s '%s' (see `dnswatch help census`)\n", what, arg);
	return 2;
}

/* ---- names ------------------------------------------------------------------ */

static uint64_t text_hash(const char *s)
{
	uint64_t h = HASH_FNV_OFFSET;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * HASH_FNV_PRIME;
	return h;
}

static int hash_grow(struct census *x)
{
	size_t ns = x->nhslot ? x->nhslot * 2 : 1 << 16;
	size_t *s = calloc(ns, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < x->n; i++) {
		size_t h = (size_t)text_hash(x->name[i]) & (ns - 1);
		while (s[h])
			h = (h + 1) & (ns - 1);
		s[h] = i + 1;
	}
	free(x->hslot);
	x->hslot = s;
	x->nhslot = ns;
	return 0;
}

/* Add TEXT (line LINE) unless it is there already. 1 added, 0 a duplicate,
 * -1 out of memory. */
static int name_add(struct census *x, const char *text, uint32_t line)
{
	if ((x->n + 1) * 2 > x->nhslot && hash_grow(x))
		return -1;
	size_t h = (size_t)text_hash(text) & (x->nhslot - 1);
	while (x->hslot[h]) {
		if (!strcmp(x->name[x->hslot[h] - 1], text))
			return 0;
		h = (h + 1) & (x->nhslot - 1);
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 4096;
		char **nm = realloc(x->name, cap * sizeof *nm);
		if (!nm)
			return -1;
		x->name = nm;
		uint32_t *ln = realloc(x->line, cap * sizeof *ln);
		if (!ln)
			return -1;
		x->line = ln;
		x->cap = cap;
	}
	if (!(x->name[x->n] = strdup(text)))
		return -1;
	x->line[x->n] = line;
	x->hslot[h] = ++x->n;
	return 1;
}

static void on_invalid(void *ctx, const struct dw_error *why)
{
	(void)ctx;
	fprintf(stderr, "%s\n", why->text);
}

/* Every file's names through the names reader, lower-cased, without the
 * final dot, duplicates skipped. 0, or -1 (said). */
static int read_names(struct census *x, char **files, int nfiles)
{
	for (int f = 0; f < nfiles; f++) {
		bool std_in = !strcmp(files[f], "-");
		FILE *in = std_in ? stdin : fopen(files[f], "r");
		if (!in) {
			fprintf(stderr, PROG ": %s: %s\n", files[f], strerror(errno));
			return -1;
		}
		struct probe_names pn;
		probe_names_init(&pn, in, std_in ? "<stdin>" : files[f]);
		pn.on_invalid = on_invalid;
		uint8_t w[WIRE_NAME_MAX];
		uint64_t line;
		struct dw_error err;
		int r;
		while ((r = probe_names_next(&pn, w, &line, &err)) == 1) {
			char t[CENSUS_NAME_TEXT + 8];
			size_t l = wire_name_to_text(w, t, sizeof t);
			if (l > 1 && t[l - 1] == '.')
				t[--l] = '\0';
			for (size_t i = 0; i < l; i++)
				if (t[i] >= 'A' && t[i] <= 'Z')
					t[i] = (char)(t[i] + 32);
			int a = name_add(x, t, (uint32_t)line);
			if (a < 0) {
				fprintf(stderr, PROG ": out of memory reading %s\n", files[f]);
				r = -2;
				break;
			}
			x->dups += a == 0;
		}
		x->invalid += pn.invalid;
		x->dups += pn.duplicates; /* within a file, the reader's; across files, ours */
		probe_names_free(&pn);
		if (!std_in)
			fclose(in);
		if (r == -1)
			fprintf(stderr, PROG ": %s\n", err.text);
		if (r < 0)
			return -1;
	}
	x->cn = calloc(x->n ? x->n : 1, sizeof *x->cn);
	x->fg = calloc(x->n ? x->n : 1, sizeof *x->fg);
	x->done = calloc(x->n ? x->n : 1, 1);
	if (!x->cn || !x->fg || !x->done) {
		fprintf(stderr, PROG ": out of memory for %zu names\n", x->n);
		return -1;
	}
	for (size_t i = 0; i < x->n; i++)
		x->cn[i].name = x->name[i];
	return 0;
}

/* ---- the census run ------------------------------------------------------------ */

static int qtype_bit(const struct census *x, uint16_t qtype)
{
	for (int b = 0; b < x->cfg.nqtypes; b++)
		if (x->cfg.qtype[b] == qtype)
			return b;
	return 0;
}

/* The store's group of reply P: by its fingerprint's text (the prober's and
 * watch's fingerprint), so that a resumed census keeps its group ids. */
static int group_of(struct census *x, const struct probe_reply *p, unsigned *local)
{
	struct classify_fp fp;
	char text[256];
	classify_fp_of(p, 0, &fp);
	classify_fp_format(&fp, text, sizeof text);
	for (unsigned g = 0; g < x->ngroups; g++)
		if (!strcmp(x->gfp[g], text)) {
			*local = g;
			return x->gid[g];
		}
	if (x->ngroups == GROUPS_MAX) {
		*local = GROUPS_MAX - 1;
		return x->gid[GROUPS_MAX - 1];
	}
	unsigned g = x->ngroups++;
	snprintf(x->gfp[g], sizeof x->gfp[g], "%s", text);
	x->gid[g] = (int)g + 1;
	if (x->db && census_store_group(x->db, text, &x->gid[g], &x->err))
		x->failed = true;
	*local = g;
	return x->gid[g];
}

static void addr_text(const struct probe_addr *a, char *buf, size_t cap)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)cap))
		snprintf(buf, cap, "?");
}

static void write_ndjson(struct census *x, const struct probe_result *r, const int *gids)
{
	struct jw j;
	char t[16], ab[64];
	jw_init(&j, stdout);
	jw_object_begin(&j);
	jw_key(&j, "name");
	jw_string(&j, x->name[r->seq]);
	jw_key(&j, "line");
	jw_uint(&j, x->line[r->seq]);
	jw_key(&j, "qtype");
	jw_string(&j, wire_type_name(r->qtype, t, sizeof t));
	jw_key(&j, "target");
	jw_string(&j, x->cfg.target[r->target].label);
	jw_key(&j, "replies");
	jw_array_begin(&j);
	for (unsigned k = 0; k < r->nreplies; k++) {
		const struct probe_reply *p = &r->reply[k];
		jw_object_begin(&j);
		jw_key(&j, "group");
		jw_int(&j, gids[k]);
		jw_key(&j, "ip_ttl");
		jw_uint(&j, p->ip_ttl);
		jw_key(&j, "ip_id");
		jw_uint(&j, p->ip_id);
		jw_key(&j, "df");
		jw_bool(&j, p->df);
		jw_key(&j, "flags");
		jw_uint(&j, p->flags);
		jw_key(&j, "rcode");
		jw_uint(&j, p->rcode);
		jw_key(&j, "answer_ttl");
		jw_uint(&j, p->answer_ttl);
		jw_key(&j, "addrs");
		jw_array_begin(&j);
		for (unsigned a = 0; a < p->naddrs; a++) {
			addr_text(&p->addrs[a], ab, sizeof ab);
			jw_string(&j, ab);
		}
		jw_array_end(&j);
		jw_object_end(&j);
	}
	jw_array_end(&j);
	if (r->replies_seen > r->nreplies) {
		jw_key(&j, "replies_not_kept");
		jw_uint(&j, (unsigned)(r->replies_seen - r->nreplies));
	}
	jw_object_end(&j);
	jw_newline(&j);
}

/* What a censored name's forged replies said, for the inference: an
 * address (1) or NXDOMAIN alone (2); 0 for a name not censored. */
static uint8_t action_of(const struct forged *f, uint8_t censored)
{
	if (!censored)
		return 0;
	return f->a || f->has_aaaa ? 1 : f->nx ? 2 : 3;
}

/* A name's results all in: its row. */
static void name_done(struct census *x, uint64_t seq)
{
	x->written++;
	uint8_t c = x->cn[seq].censored;
	x->cn[seq].action = action_of(&x->fg[seq], c);
	if (c) {
		x->censored++;
		for (int b = 0; b < x->cfg.nqtypes; b++)
			x->per_type[b] += c >> b & 1;
	}
	if (!x->db)
		return;
	const struct forged *f = &x->fg[seq];
	struct census_store_name row = {.seq = seq, .line = x->line[seq], .name = x->name[seq],
					.censored = c, .replies = x->cur_replies, .a = f->a,
					.has_aaaa = f->has_aaaa, .nxdomain = f->nx};
	memcpy(row.aaaa, f->aaaa, 16);
	if (census_store_name_put(x->db, &row, &x->err) || census_store_tick(x->db, &x->err))
		x->failed = true;
}

/* One judged result (the gather's callback): a name's come one after the
 * other, all of them (every target and type). */
static void on_judged(void *ctx, struct probe_result *r)
{
	struct census *x = ctx;
	if (r->seq >= x->n)
		return;
	if (!x->cur_have || x->cur_seq != r->seq) {
		x->cur_seq = r->seq;
		x->cur_have = 0;
		x->cur_replies = 0;
	}
	int gids[PROBE_REPLIES_MAX] = {0};
	struct forged *f = &x->fg[r->seq];
	for (unsigned k = 0; k < r->nreplies; k++) {
		const struct probe_reply *p = &r->reply[k];
		unsigned local;
		gids[k] = group_of(x, p, &local);
		x->greplies[local]++;
		char addrs[PROBE_ADDRS_MAX * 48] = "";
		size_t al = 0;
		for (unsigned a = 0; a < p->naddrs; a++) {
			char ab[64];
			addr_text(&p->addrs[a], ab, sizeof ab);
			al = text_cat(addrs, sizeof addrs, al, "%s%s", al ? " " : "", ab);
			size_t gl = strlen(x->gaddrs[local]);
			if (!strstr(x->gaddrs[local], ab) && gl + strlen(ab) + 2 < sizeof x->gaddrs[local])
				text_cat(x->gaddrs[local], sizeof x->gaddrs[local], gl, "%s%s", gl ? " " : "", ab);
			if (p->addrs[a].family == AF_INET && !f->a)
				f->a = (uint32_t)p->addrs[a].addr[0] << 24 | (uint32_t)p->addrs[a].addr[1] << 16 |
				       (uint32_t)p->addrs[a].addr[2] << 8 | p->addrs[a].addr[3];
			if (p->addrs[a].family == AF_INET6 && !f->has_aaaa) {
				f->has_aaaa = true;
				memcpy(f->aaaa, p->addrs[a].addr, 16);
			}
		}
		if (p->rcode == 3)
			f->nx = true;
		if (x->db) {
			struct census_store_reply row = {.seq = r->seq, .qtype = r->qtype, .idx = k,
							 .group = gids[k], .ip_ttl = p->ip_ttl, .ip_id = p->ip_id,
							 .df = p->df, .flags = p->flags, .rcode = p->rcode,
							 .answer_ttl = p->answer_ttl, .addrs = addrs};
			/* a second target's replies to the same type follow the first's */
			row.idx = k + (unsigned)r->target * PROBE_REPLIES_MAX;
			if (census_store_reply_put(x->db, &row, &x->err))
				x->failed = true;
		}
	}
	if (r->nreplies) {
		x->cn[r->seq].censored |= (uint8_t)(1u << qtype_bit(x, r->qtype));
		x->replies += r->nreplies;
		x->cur_replies += r->nreplies;
		if (x->ndjson)
			write_ndjson(x, r, gids);
	}
	if (++x->cur_have == (unsigned)(x->cfg.ntargets * x->cfg.nqtypes)) {
		name_done(x, r->seq);
		x->cur_have = 0;
	}
}

struct feed {
	struct census *x;
	size_t next;
};

static int on_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		   struct dw_error *err)
{
	struct feed *fd = ctx;
	struct census *x = fd->x;
	size_t l;
	(void)tag;
	if (fd->next >= x->n)
		return 0;
	size_t i = fd->next++;
	*line = x->line[i];
	if (wire_name_from_text(x->name[i], name, &l) != DW_OK)
		return dw_error_set(err, DW_E_BAD_TEXT, "name %zu: no wire form", i);
	return 1;
}

static bool on_skip(void *ctx, uint64_t seq, unsigned target)
{
	struct feed *fd = ctx;
	struct census *x = fd->x;
	(void)target;
	if (seq < x->n && x->done[seq])
		return true;
	probe_gather_expect(x->gather, seq);
	return false;
}

static int on_result(void *ctx, struct probe_result *r)
{
	struct feed *fd = ctx;
	struct census *x = fd->x;
	struct dw_error e;
	if (probe_gather_result(x->gather, r, util_mono_us(), &e)) {
		fprintf(stderr, PROG ": %s\n", e.text);
		x->failed = true;
	}
	return x->failed ? 1 : 0;
}

static void on_progress(void *ctx, const struct probe_stats *st, uint64_t elapsed_us, bool last)
{
	struct feed *fd = ctx;
	double el = (double)elapsed_us / 1e6;
	fprintf(stderr, "\r%llu names done, %.0f/s, %llu in flight; censored %llu   ",
		(unsigned long long)st->done, el > 0 ? (double)st->done / el : 0.0,
		(unsigned long long)st->in_flight, (unsigned long long)fd->x->censored);
	fputs(last ? "\n" : "", stderr);
	fflush(stderr);
}

/* ---- inference through the wall ------------------------------------------------ */

struct oracle {
	struct census *x;
	struct census_question *q;
	size_t *idx;          /* the questions of the running type */
	size_t n, next;
	bool *blocked;
	uint8_t *action;
};

static int oracle_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		       struct dw_error *err)
{
	struct oracle *o = ctx;
	size_t l;
	(void)err;
	while (o->next < o->n) {
		size_t k = o->next++;
		*line = (uint32_t)k;
		*tag = k;
		if (wire_name_from_text(o->q[o->idx[k]].name, name, &l) == DW_OK)
			return 1;
		/* cannot happen: infer asks wire names only; skipped as not blocked */
	}
	return 0;
}

static int oracle_result(void *ctx, struct probe_result *r)
{
	struct oracle *o = ctx;
	if (r->nreplies && r->tag < o->n) {
		struct forged f = {0};
		o->blocked[r->tag] = true;
		for (unsigned k = 0; k < r->nreplies; k++) {
			f.a |= r->reply[k].naddrs > 0;
			f.nx |= r->reply[k].rcode == 3;
		}
		o->action[r->tag] = action_of(&f, 1);
	}
	return 0;
}

/* The inference's questions, asked of the no-DNS targets: a reply, from any
 * of them, is a block. One engine run per query type in the batch. */
static int ask_wall(void *ctx, struct census_question *q, size_t n, struct dw_error *err)
{
	struct census *x = ctx;
	struct oracle o = {.x = x, .q = q};
	o.idx = calloc(n, sizeof *o.idx);
	o.blocked = calloc(n, sizeof *o.blocked);
	o.action = calloc(n, sizeof *o.action);
	int rc = -1;
	if (!o.idx || !o.blocked || !o.action) {
		dw_error_set(err, DW_E_NOMEM, "out of memory for %zu questions", n);
		goto out;
	}
	for (int b = 0; b < x->cfg.nqtypes; b++) {
		o.n = o.next = 0;
		for (size_t i = 0; i < n; i++)
			if (q[i].qtype == x->cfg.qtype[b])
				o.idx[o.n++] = i;
		if (!o.n)
			continue;
		struct probe_config c = x->cfg;
		c.qtype[0] = x->cfg.qtype[b];
		c.nqtypes = 1;
		c.hold_ms = 0; /* the first reply answers the question */
		c.seed = c.seed * 31 + (uint64_t)util_mono_us();
		memset(o.blocked, 0, n * sizeof *o.blocked);
		memset(o.action, 0, n * sizeof *o.action);
		struct probe_hooks h = {.next = oracle_next, .result = oracle_result, .ctx = &o};
		struct probe_stats st;
		if (probe_run(&c, &h, &st, err))
			goto out;
		if (interrupted) {
			dw_error_set(err, DW_E_STATE, "interrupted");
			goto out;
		}
		for (size_t k = 0; k < o.n; k++) {
			q[o.idx[k]].blocked = o.blocked[k];
			q[o.idx[k]].action = o.action[k];
		}
	}
	rc = 0;
out:
	free(o.idx);
	free(o.blocked);
	free(o.action);
	return rc;
}

static const char *kind_name(enum match_kind k)
{
	switch (k) {
	case MATCH_EXACT: return "exact";
	case MATCH_SUBDOMAIN: return "subdomain";
	case MATCH_SUFFIX: return "suffix";
	case MATCH_SUBSTRING: return "substring";
	default: return "all";
	}
}

/* The rule file's action for rule R: what its name's forged replies said. */
static void rule_action(const struct census *x, const struct census_rule *r, char *buf, size_t cap)
{
	const struct forged *f = &x->fg[r->from];
	size_t n = 0;
	buf[0] = '\0';
	if (r->pass) {
		snprintf(buf, cap, "pass");
		return;
	}
	if (f->a)
		n = text_cat(buf, cap, n, "a=%u.%u.%u.%u", f->a >> 24, f->a >> 16 & 255, f->a >> 8 & 255,
			     f->a & 255);
	if (f->has_aaaa) {
		char six[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, f->aaaa, six, sizeof six);
		n = text_cat(buf, cap, n, "%saaaa=%s", n ? " " : "", six);
	}
	if (!n)
		snprintf(buf, cap, "nxdomain");
}

static void json_rule(const struct census *x, const struct census_rule *r, const char *sel,
		      const char *action)
{
	struct jw j;
	jw_init(&j, stdout);
	jw_object_begin(&j);
	jw_key(&j, "rule");
	jw_string(&j, r->pattern);
	jw_key(&j, "kind");
	jw_string(&j, kind_name(r->kind));
	jw_key(&j, "pass");
	jw_bool(&j, r->pass);
	jw_key(&j, "qtypes");
	jw_string(&j, sel);
	jw_key(&j, "action");
	jw_string(&j, action);
	jw_key(&j, "from");
	jw_string(&j, x->name[r->from]);
	jw_key(&j, "probes");
	jw_uint(&j, r->probes);
	jw_key(&j, "blocked");
	jw_uint(&j, r->blocked);
	jw_key(&j, "names");
	jw_uint(&j, r->names);
	jw_key(&j, "overblocked");
	jw_uint(&j, r->overblocked);
	jw_object_end(&j);
	jw_newline(&j);
}

/* --infer: the rules, their file, the over-blocked names. 0 or -1 (said). */
static int infer(struct census *x, const char *rules_out, unsigned window)
{
	struct census_infer_opts io = {.nqtypes = (unsigned)x->cfg.nqtypes, .window = window};
	memcpy(io.qtype, x->cfg.qtype, sizeof x->cfg.qtype[0] * (size_t)x->cfg.nqtypes);
	struct census_rules rules = {0};
	struct census_infer_stats st;
	struct dw_error err;
	double t0 = (double)util_mono_us();
	if (census_infer(&io, x->cn, x->n, ask_wall, x, &rules, &st, &err)) {
		fprintf(stderr, PROG ": inference: %s\n", err.text);
		census_rules_free(&rules);
		return -1;
	}
	double secs = ((double)util_mono_us() - t0) / 1e6;
	FILE *rf = NULL;
	if (rules_out && !(rf = fopen(rules_out, "w"))) {
		fprintf(stderr, PROG ": %s: %s\n", rules_out, strerror(errno));
		census_rules_free(&rules);
		return -1;
	}
	if (rf)
		fprintf(rf, "# dnswatch census --infer: %zu rules from %llu censored names of %zu,\n"
			    "# %llu probes in %llu rounds (at most %d per name; %u taken at most);\n"
			    "# %llu names needed no probe (explained by a rule found before).\n",
			rules.n, (unsigned long long)x->censored, x->n, (unsigned long long)st.questions,
			(unsigned long long)st.rounds, CENSUS_PROBES_PER_NAME, st.max_probes,
			(unsigned long long)st.explained);
	uint64_t over = 0;
	for (size_t i = 0; i < rules.n; i++) {
		const struct census_rule *r = &rules.rule[i];
		char sel[64], action[128], ev[1024];
		census_rule_qtypes(r, x->cfg.qtype, (unsigned)x->cfg.nqtypes, sel, sizeof sel);
		rule_action(x, r, action, sizeof action);
		size_t el = text_cat(ev, sizeof ev, 0, "%s from %s: %u probes, %u blocked", kind_name(r->kind),
				     x->name[r->from], r->probes, r->blocked);
		if (r->yes[0])
			el = text_cat(ev, sizeof ev, el, "; %s %s", r->yes, r->pass ? "exempt" : "blocked");
		if (r->no[0])
			el = text_cat(ev, sizeof ev, el, "%s %s %s", r->yes[0] ? "," : ";", r->no,
				      r->pass ? "blocked" : "not");
		text_cat(ev, sizeof ev, el, "; explains %llu names%s", (unsigned long long)r->names,
			 r->overblocked ? ", some over-blocked" : "");
		over += r->overblocked;
		if (rf)
			fprintf(rf, "# %s\n%s%s%s %s\n", ev, r->pattern, sel[0] ? " " : "", sel, action);
		if (x->ndjson)
			json_rule(x, r, sel, action);
		if (x->db) {
			struct census_store_rule sr = {.pattern = r->pattern, .kind = kind_name(r->kind),
						       .pass = r->pass, .qtypes = sel, .action = action,
						       .from = x->name[r->from], .probes = r->probes,
						       .blocked = r->blocked, .names = r->names,
						       .overblocked = r->overblocked, .evidence = ev};
			if (census_store_rule_put(x->db, &sr, &err)) {
				fprintf(stderr, PROG ": %s\n", err.text);
				x->failed = true;
			}
		}
	}
	if (rf && fclose(rf)) {
		fprintf(stderr, PROG ": %s: %s\n", rules_out, strerror(errno));
		x->failed = true;
	}
	/* over-blocking: each censored name under its winning rule */
	struct match_set *ms = census_rules_matcher(&rules, x->cfg.qtype, (unsigned)x->cfg.nqtypes, &err);
	unsigned shown = 0;
	for (size_t i = 0; ms && i < x->n; i++) {
		if (!x->cn[i].censored)
			continue;
		uint8_t w[WIRE_NAME_MAX];
		size_t l;
		struct match_result mr;
		int b = 0;
		while (b < x->cfg.nqtypes && !(x->cn[i].censored >> b & 1))
			b++;
		if (wire_name_from_text(x->name[i], w, &l) != DW_OK ||
		    !match_lookup(ms, w, x->cfg.qtype[b], &mr))
			continue;
		const struct census_rule *r = &rules.rule[mr.value];
		if (!census_overblocked(r, x->name[i]))
			continue;
		if (shown++ < 5)
			fprintf(stderr, "over-blocked: %s under %s\n", x->name[i], r->pattern);
		if (x->ndjson) {
			struct jw j;
			jw_init(&j, stdout);
			jw_object_begin(&j);
			jw_key(&j, "overblocked");
			jw_string(&j, x->name[i]);
			jw_key(&j, "rule");
			jw_string(&j, r->pattern);
			jw_object_end(&j);
			jw_newline(&j);
		}
		if (x->db && census_store_overblocked_put(x->db, x->name[i], r->pattern, &err)) {
			fprintf(stderr, PROG ": %s\n", err.text);
			x->failed = true;
		}
	}
	match_set_free(ms);
	fprintf(stderr, "infer: %zu rules (%llu names probed for a rule, %llu for an exemption, %llu explained "
			"with no probe); %llu probes in %llu rounds, at most %u per name (bound %d); %.1f s; "
			"%llu names over-blocked; %llu names the rules still predict wrongly\n",
		rules.n, (unsigned long long)st.inferred, (unsigned long long)st.exempted,
		(unsigned long long)st.explained, (unsigned long long)st.questions,
		(unsigned long long)st.rounds, st.max_probes, CENSUS_PROBES_PER_NAME, secs,
		(unsigned long long)over, (unsigned long long)st.unexplained);
	census_rules_free(&rules);
	return 0;
}

/* ---- pools ------------------------------------------------------------------------ */

struct poolrun {
	struct census *x;
	uint8_t wire[WIRE_NAME_MAX];
	size_t n, next;
	/* per group (local index): the A address of each query, and whether known */
	uint32_t *seq[GROUPS_MAX];
	bool *known[GROUPS_MAX];
	bool failed;
};

static int pool_next(void *ctx, uint8_t name[WIRE_NAME_MAX], uint32_t *line, uint64_t *tag,
		     struct dw_error *err)
{
	struct poolrun *p = ctx;
	(void)err;
	if (p->next >= p->n)
		return 0;
	*line = (uint32_t)p->next;
	*tag = p->next++;
	memcpy(name, p->wire, WIRE_NAME_MAX);
	return 1;
}

static int pool_result(void *ctx, struct probe_result *r)
{
	struct poolrun *p = ctx;
	for (unsigned k = 0; k < r->nreplies && r->tag < p->n; k++) {
		const struct probe_reply *rep = &r->reply[k];
		unsigned g;
		group_of(p->x, rep, &g);
		if (!p->seq[g]) {
			p->seq[g] = calloc(p->n, sizeof *p->seq[g]);
			p->known[g] = calloc(p->n, sizeof *p->known[g]);
			if (!p->seq[g] || !p->known[g]) {
				p->failed = true;
				return 1;
			}
		}
		for (unsigned a = 0; a < rep->naddrs; a++)
			if (rep->addrs[a].family == AF_INET) {
				const uint8_t *b = rep->addrs[a].addr;
				p->seq[g][r->tag] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
				p->known[g][r->tag] = true;
				break;
			}
	}
	return 0;
}

/* --pools: NAME asked N times at RATE, in order; each group's pool. */
static int pools(struct census *x, const char *name, unsigned n, double rate)
{
	size_t pick = SIZE_MAX;
	if (!name) {
		for (size_t i = 0; i < x->n && pick == SIZE_MAX; i++)
			if (x->cn[i].censored && x->fg[i].a)
				pick = i;
		if (pick == SIZE_MAX) {
			fprintf(stderr, PROG ": --pools: no censored name with a forged A answer to ask\n");
			return -1;
		}
		name = x->name[pick];
	}
	struct poolrun *p = calloc(1, sizeof *p);
	size_t l;
	if (!p || wire_name_from_text(name, p->wire, &l) != DW_OK) {
		fprintf(stderr, PROG ": --pools: bad name '%s'\n", name);
		free(p);
		return -1;
	}
	p->x = x;
	p->n = n;
	struct probe_config c = x->cfg;
	c.qtype[0] = WIRE_T_A;
	c.nqtypes = 1;
	c.ntargets = 1;    /* one path: the queries reach the wall in the order sent */
	c.threads = 1;
	c.sockets = 1;     /* one source port: the name, the port and the rate fixed */
	c.rate = rate;
	c.hold_ms = c.hold_ms < 100 ? 100 : c.hold_ms;
	struct probe_hooks h = {.next = pool_next, .result = pool_result, .ctx = p};
	struct probe_stats st;
	struct dw_error err;
	int rc = -1;
	if (probe_run(&c, &h, &st, &err)) {
		fprintf(stderr, PROG ": --pools: %s\n", err.text);
		goto out;
	}
	if (p->failed) {
		fprintf(stderr, PROG ": --pools: out of memory\n");
		goto out;
	}
	for (unsigned g = 0; g < x->ngroups; g++) {
		if (!p->seq[g])
			continue;
		struct census_pool pool;
		if (census_pool_recover(p->seq[g], p->known[g], n, &pool, &err)) {
			fprintf(stderr, PROG ": --pools: %s\n", err.text);
			goto out;
		}
		size_t cap = pool.norder * 16 + 1, ol = 0;
		char *order = malloc(cap);
		if (!order) {
			census_pool_free(&pool);
			goto out;
		}
		order[0] = '\0';
		for (size_t i = 0; i < pool.norder; i++)
			ol = text_cat(order, cap, ol, "%s%u.%u.%u.%u", i ? " " : "", pool.order[i] >> 24,
				      pool.order[i] >> 16 & 255, pool.order[i] >> 8 & 255, pool.order[i] & 255);
		fprintf(stderr, "pool of group %d (%s): %zu replies to %u queries of %s, %zu addresses, %s",
			x->gid[g], x->gfp[g], pool.replies, n, name, pool.distinct,
			pool.length ? (pool.confirmed ? "cyclic, confirmed" : "cyclic, seen once") : "no cycle seen");
		if (pool.length)
			fprintf(stderr, ", length %zu: %.60s%s\n", pool.length, order, ol > 60 ? " ..." : "");
		else
			fputc('\n', stderr);
		if (x->ndjson) {
			struct jw j;
			jw_init(&j, stdout);
			jw_object_begin(&j);
			jw_key(&j, "pool");
			jw_int(&j, x->gid[g]);
			jw_key(&j, "fingerprint");
			jw_string(&j, x->gfp[g]);
			jw_key(&j, "name");
			jw_string(&j, name);
			jw_key(&j, "queries");
			jw_uint(&j, n);
			jw_key(&j, "replies");
			jw_uint(&j, pool.replies);
			jw_key(&j, "distinct");
			jw_uint(&j, pool.distinct);
			jw_key(&j, "length");
			jw_uint(&j, pool.length);
			jw_key(&j, "confirmed");
			jw_bool(&j, pool.confirmed);
			jw_key(&j, "order");
			jw_string(&j, order);
			jw_object_end(&j);
			jw_newline(&j);
		}
		if (x->db) {
			struct census_store_pool sp = {.fingerprint = x->gfp[g], .name = name, .queries = n,
						       .replies = (unsigned)pool.replies,
						       .distinct = (unsigned)pool.distinct,
						       .length = (unsigned)pool.length,
						       .confirmed = pool.confirmed, .order = order};
			if (census_store_pool_put(x->db, &sp, &err)) {
				fprintf(stderr, PROG ": %s\n", err.text);
				x->failed = true;
			}
		}
		free(order);
		census_pool_free(&pool);
	}
	rc = 0;
out:
	for (unsigned g = 0; g < GROUPS_MAX; g++) {
		free(p->seq[g]);
		free(p->known[g]);
	}
	free(p);
	return rc;
}

/* ---- diff ------------------------------------------------------------------------- */

struct diffout {
	bool ndjson;
	uint64_t count[CENSUS_CHANGE_COUNT];
};

static int on_change(void *ctx, enum census_change c, const char *a, const char *b)
{
	struct diffout *d = ctx;
	d->count[c]++;
	if (d->ndjson) {
		struct jw j;
		jw_init(&j, stdout);
		jw_object_begin(&j);
		jw_key(&j, "change");
		jw_string(&j, census_change_name(c));
		jw_key(&j, c == CENSUS_POOL_CHANGED ? "fingerprint" : c >= CENSUS_RULE_ADDED ? "rule" : "name");
		jw_string(&j, a ? a : "");
		if (b && b[0]) {
			jw_key(&j, c == CENSUS_POOL_CHANGED ? "lengths" : c >= CENSUS_RULE_ADDED ? "qualifiers" : "new");
			jw_string(&j, b);
		}
		jw_object_end(&j);
		jw_newline(&j);
	} else if (d->count[c] <= 20) {
		printf("%-18s %s%s%s\n", census_change_name(c), a ? a : "", b && b[0] ? "  " : "", b ? b : "");
	}
	return 0;
}

static int census_diff(int argc, char **argv)
{
	struct diffout d = {0};
	const char *path[2];
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ndjson"))
			d.ndjson = true;
		else if (argv[i][0] == '-')
			return usage("bad option", argv[i]);
		else if (np < 2)
			path[np++] = argv[i];
		else
			return usage("one store too many", argv[i]);
	}
	if (np != 2) {
		fprintf(stderr, PROG " diff: two stores: OLD.db NEW.db (see `dnswatch help census`)\n");
		return 2;
	}
	struct census_store *db;
	struct dw_error err;
	if (census_store_open(&db, path[1], true, &err)) {
		fprintf(stderr, PROG " diff: %s\n", err.text);
		return 1;
	}
	int rc = census_store_diff(db, path[0], 0, on_change, &d, &err);
	if (rc)
		fprintf(stderr, PROG " diff: %s\n", err.text);
	struct dw_error cerr;
	if (census_store_close(db, &cerr) && !rc) {
		fprintf(stderr, PROG " diff: %s\n", cerr.text);
		rc = -1;
	}
	if (rc)
		return 1;
	fprintf(d.ndjson ? stderr : stdout,
		"census diff %s -> %s: %llu newly censored, %llu no longer censored, %llu rules added, "
		"%llu removed, %llu pools changed\n",
		path[0], path[1], (unsigned long long)d.count[CENSUS_NEWLY_CENSORED],
		(unsigned long long)d.count[CENSUS_NO_LONGER], (unsigned long long)d.count[CENSUS_RULE_ADDED],
		(unsigned long long)d.count[CENSUS_RULE_REMOVED], (unsigned long long)d.count[CENSUS_POOL_CHANGED]);
	return 0;
}

/* ---- the command -------------------------------------------------------------------- */

struct opts {
	const char *lab, *from, *db, *rules_out, *pool_name;
	char *spec[PROBE_TARGETS_MAX];
	int nspecs;
	char **files;
	int nfiles;
	bool resume, ndjson, infer, pools;
	unsigned window, pool_queries;
	double pool_rate;
};

static int parse_args(struct census *x, struct opts *o, int argc, char **argv)
{
	struct probe_config *c = &x->cfg;
	int ntypes = 0;
	double v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--resume")) { o->resume = true; continue; }
		if (!strcmp(a, "--ndjson")) { o->ndjson = true; continue; }
		if (!strcmp(a, "--infer")) { o->infer = true; continue; }
		if (!strcmp(a, "--pools")) { o->pools = true; continue; }
		if (a[0] != '-' || !strcmp(a, "-")) { o->files[o->nfiles++] = argv[i]; continue; }
		if (!val)
			return usage("a value is missing after", a);
		i++;
		if (!strcmp(a, "--lab")) o->lab = val;
		else if (!strcmp(a, "--from")) o->from = val;
		else if (!strcmp(a, "--target")) {
			if (o->nspecs == PROBE_TARGETS_MAX)
				return usage("too many targets at", val);
			o->spec[o->nspecs++] = argv[i];
		} else if (!strcmp(a, "-t")) {
			if (ntypes == PROBE_QTYPES_MAX || !wire_type_from_name(val, &c->qtype[ntypes]))
				return usage("bad query type", val);
			c->nqtypes = ++ntypes;
		} else if (!strcmp(a, "--rate") && text_number(val, 1, 5e6, &v)) c->rate = v;
		else if (!strcmp(a, "--inflight") && text_number(val, 1, 2e6, &v)) c->inflight = (unsigned)v;
		else if (!strcmp(a, "--retries") && text_number(val, 0, 10, &v)) c->retries = (unsigned)v;
		else if (!strcmp(a, "--timeout") && text_number(val, 10, 60000, &v)) c->timeout_ms = (uint32_t)v;
		else if (!strcmp(a, "--hold") && text_number(val, 0, 60000, &v)) c->hold_ms = (uint32_t)v;
		else if (!strcmp(a, "--sockets") && text_number(val, 1, 64, &v)) c->sockets = (unsigned)v;
		else if (!strcmp(a, "--threads") && text_number(val, 1, PROBE_THREADS_MAX, &v)) c->threads = (unsigned)v;
		else if (!strcmp(a, "--seed") && text_number(val, 0, 1.8e19, &v)) c->seed = (uint64_t)v;
		else if (!strcmp(a, "--window") && text_number(val, 1, 1e6, &v)) o->window = (unsigned)v;
		else if (!strcmp(a, "--pool-queries") && text_number(val, 2, 100000, &v)) o->pool_queries = (unsigned)v;
		else if (!strcmp(a, "--pool-rate") && text_number(val, 1, 100000, &v)) o->pool_rate = v;
		else if (!strcmp(a, "--pool-name")) o->pool_name = val;
		else if (!strcmp(a, "--db")) o->db = val;
		else if (!strcmp(a, "--rules-out")) o->rules_out = val;
		else return usage("bad option or value", a);
	}
	if (!o->nfiles)
		return usage("no names file given", "");
	if (o->resume && !o->db)
		return usage("--resume needs", "--db FILE");
	if (o->rules_out && !o->infer)
		return usage("--rules-out needs", "--infer");
	return 0;
}

/* The targets: nodns:ADDR, LABEL=nodns:ADDR, or a lab's no-DNS address.
 * 0 or 2 (said). */
static int parse_targets(struct census *x, struct opts *o)
{
	struct probe_config *c = &x->cfg;
	if (!o->nspecs && o->lab) {
		const char *from = o->from ? o->from : "client";
		/* the no-DNS address across the border from FROM */
		o->spec[o->nspecs++] = (char *)(uintptr_t)(!strcmp(from, "remote") || !strcmp(from, "outside")
								   ? "nodns" : "nodnsout");
	}
	if (!o->nspecs) {
		fprintf(stderr, PROG ": at least one --target nodns:ADDR (see `dnswatch help census`)\n");
		return 2;
	}
	for (int i = 0; i < o->nspecs; i++) {
		char spec[160];
		if (!strncmp(o->spec[i], "nodns:", 6))
			snprintf(spec, sizeof spec, "nodns%d=%s", i + 1, o->spec[i]);
		else
			snprintf(spec, sizeof spec, "%s", o->spec[i]);
		if (probe_target_parse(spec, o->lab != NULL, &c->target[i]))
			return usage("bad target (nodns:ADDR, LABEL=nodns:ADDR or a lab's nodns, nodnsout)",
				     o->spec[i]);
		if (c->target[i].kind != TARGET_NODNS)
			return usage("not an address that runs no DNS", o->spec[i]);
	}
	c->ntargets = o->nspecs;
	return 0;
}

static void targets_text(const struct probe_config *c, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < c->ntargets; i++) {
		char a[64];
		inet_ntop(c->target[i].family, c->target[i].addr, a, sizeof a);
		n = text_cat(buf, cap, n, "%s%s=nodns:%s:%u", i ? " " : "", c->target[i].label, a,
			     c->target[i].port);
	}
}

static void qtypes_text(const struct probe_config *c, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int b = 0; b < c->nqtypes; b++) {
		char t[16];
		n = text_cat(buf, cap, n, "%s%s", b ? "," : "", wire_type_name(c->qtype[b], t, sizeof t));
	}
}

static int on_stored(void *ctx, const struct census_store_name *n)
{
	struct census *x = ctx;
	if (n->seq >= x->n || strcmp(x->name[n->seq], n->name)) {
		fprintf(stderr, PROG ": --resume: the store's name %llu is %s, the list's is %s: not the same list\n",
			(unsigned long long)n->seq, n->name, n->seq < x->n ? x->name[n->seq] : "(none)");
		return 1;
	}
	x->done[n->seq] = 1;
	x->cn[n->seq].censored = n->censored;
	x->fg[n->seq] = (struct forged){.a = n->a, .has_aaaa = n->has_aaaa, .nx = n->nxdomain};
	memcpy(x->fg[n->seq].aaaa, n->aaaa, 16);
	x->cn[n->seq].action = action_of(&x->fg[n->seq], n->censored);
	return 0;
}

/* --db: open, then a run begun or (--resume) the unfinished one continued
 * with the names it has. 0 or -1 (said). */
static int open_store(struct census *x, const struct opts *o, int argc, char **argv, uint64_t *resumed)
{
	struct dw_error err;
	char targets[1024], qtypes[128];
	if (census_store_open(&x->db, o->db, false, &err)) {
		fprintf(stderr, PROG ": %s\n", err.text);
		return -1;
	}
	targets_text(&x->cfg, targets, sizeof targets);
	qtypes_text(&x->cfg, qtypes, sizeof qtypes);
	int64_t run = 0;
	if (o->resume) {
		char t2[1024], q2[128];
		if (census_store_run_unfinished(x->db, &run, t2, sizeof t2, q2, sizeof q2, &err)) {
			fprintf(stderr, PROG ": %s\n", err.text);
			return -1;
		}
		if (!run) {
			fprintf(stderr, PROG ": %s: no unfinished census to resume\n", o->db);
			return -1;
		}
		if (strcmp(t2, targets) || strcmp(q2, qtypes)) {
			fprintf(stderr, PROG ": --resume: census %lld asked %s (%s), this one %s (%s)\n",
				(long long)run, t2, q2, targets, qtypes);
			return -1;
		}
		if (census_store_run_use(x->db, run, &err)) {
			fprintf(stderr, PROG ": %s\n", err.text);
			return -1;
		}
		int r = census_store_names(x->db, run, false, on_stored, x, &err);
		if (r < 0)
			fprintf(stderr, PROG ": %s\n", err.text);
		if (r)
			return -1; /* said */
		for (size_t i = 0; i < x->n; i++)
			*resumed += x->done[i];
		fprintf(stderr, "census: resuming census %lld: %llu names stored\n", (long long)run,
			(unsigned long long)*resumed);
		return 0;
	}
	char cmdline[2048];
	text_command_line(cmdline, sizeof cmdline, "dnswatch", argc, argv);
	if (census_store_run_begin(x->db, cmdline, targets, qtypes, &run, &err)) {
		fprintf(stderr, PROG ": %s\n", err.text);
		return -1;
	}
	return 0;
}

/* The census proper: every name not stored yet through the engine. 0 or -1
 * (said). */
static int census_run(struct census *x, double *secs, struct probe_stats *st)
{
	struct feed fd = {.x = x};
	struct probe_hooks h = {.next = on_next, .skip = on_skip, .result = on_result, .ctx = &fd};
	if (isatty(STDERR_FILENO))
		h.progress = on_progress;
	struct probe_gather_opts go = {.cfg = &x->cfg, .cls = x->cls, .control_target = -1,
				       .wait_us = PROBE_GATHER_NO_BOUND, .judged = on_judged, .ctx = x};
	if (!(x->gather = probe_gather_new(&go))) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	struct dw_error err;
	uint64_t t0 = util_mono_us();
	x->cfg.stop = &interrupted;
	int rc = probe_run(&x->cfg, &h, st, &err);
	x->cfg.stop = NULL;
	probe_gather_flush(x->gather);
	*secs = (double)(util_mono_us() - t0) / 1e6;
	if (rc)
		fprintf(stderr, PROG ": %s\n", err.text);
	else if (interrupted) {
		fprintf(stderr, PROG ": interrupted; %llu queries in flight not stored%s\n",
			(unsigned long long)st->in_flight, x->db ? " (--resume asks them again)" : "");
		rc = -1;
	}
	if (x->failed) {
		if (x->err.status != DW_OK)
			fprintf(stderr, PROG ": %s\n", x->err.text);
		rc = -1;
	}
	return rc;
}

static void summary(const struct census *x, const struct probe_stats *st, double secs, uint64_t resumed)
{
	fprintf(stderr, "census: %zu names (%llu duplicates, %llu invalid lines skipped), %llu asked in %.2f s "
			"(%.0f names/s), %llu queries sent at %.0f/s (%llu retransmitted)",
		x->n, (unsigned long long)x->dups, (unsigned long long)x->invalid,
		(unsigned long long)(x->n - resumed), secs, secs > 0 ? (double)(x->n - resumed) / secs : 0.0,
		(unsigned long long)st->sent, probe_stats_send_rate(st), (unsigned long long)st->retransmits);
	if (resumed)
		fprintf(stderr, ", %llu stored before (resumed)", (unsigned long long)resumed);
	fprintf(stderr, "; %llu censored", (unsigned long long)x->censored);
	for (int b = 0; x->cfg.nqtypes > 1 && b < x->cfg.nqtypes; b++) {
		char t[16];
		fprintf(stderr, "%s%s %llu", b ? ", " : " (", wire_type_name(x->cfg.qtype[b], t, sizeof t),
			(unsigned long long)x->per_type[b]);
	}
	fprintf(stderr, "%s; %llu forged replies kept", x->cfg.nqtypes > 1 ? ")" : "",
		(unsigned long long)x->replies);
	if (st->ring_drops)
		fprintf(stderr, ", %llu packets dropped by the capture ring", (unsigned long long)st->ring_drops);
	fputc('\n', stderr);
	for (unsigned g = 0; g < x->ngroups; g++)
		fprintf(stderr, "injector group %d: %llu replies, %s; addresses %.120s\n", x->gid[g],
			(unsigned long long)x->greplies[g], x->gfp[g], x->gaddrs[g]);
}

static int census_main(struct census *x, struct opts *o, int argc, char **argv)
{
	struct dw_error err;
	int rc = parse_targets(x, o);
	if (rc)
		return rc;
	if (read_names(x, o->files, o->nfiles))
		return 1;
	if (!(x->cls = classify_new(NULL))) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	uint64_t resumed = 0;
	x->ndjson = o->ndjson || !o->db;
	if (o->db && open_store(x, o, argc, argv, &resumed))
		return 1;
	if ((o->lab || o->from) && lab_host_enter(o->lab ? o->lab : "dw", o->from ? o->from : "client", &err)) {
		fprintf(stderr, PROG ": %s\n", err.text);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	double secs = 0;
	struct probe_stats st;
	rc = census_run(x, &secs, &st);
	summary(x, &st, secs, resumed);
	if (!rc && x->db) {
		for (unsigned g = 0; g < x->ngroups; g++)
			if (census_store_group_totals(x->db, x->gid[g], x->greplies[g], x->gaddrs[g], &err)) {
				fprintf(stderr, PROG ": %s\n", err.text);
				rc = -1;
			}
	}
	if (!rc && o->infer && !interrupted)
		rc = infer(x, o->rules_out, o->window);
	if (!rc && o->pools && !interrupted)
		rc = pools(x, o->pool_name, o->pool_queries, o->pool_rate);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (x->db) {
		/* finished only when every name is stored; else it stays open for --resume */
		if (!rc && !x->failed && census_store_run_finish(x->db, "finished", &err)) {
			fprintf(stderr, PROG ": %s\n", err.text);
			rc = -1;
		}
		if (census_store_flush(x->db, &err)) {
			fprintf(stderr, PROG ": %s\n", err.text);
			rc = -1;
		}
	}
	if (fflush(stdout)) {
		fprintf(stderr, PROG ": writing to standard output: %s\n", strerror(errno));
		rc = -1;
	}
	return rc || x->failed ? 1 : 0;
}

int census_cmd(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return census_diff(argc - 1, argv + 1);
	struct census *x = calloc(1, sizeof *x);
	struct opts o = {.window = CENSUS_WINDOW_DEFAULT, .pool_queries = 1200, .pool_rate = 500};
	o.files = calloc((size_t)argc, sizeof *o.files);
	if (!x || !o.files) {
		fprintf(stderr, PROG ": out of memory\n");
		free(x);
		free(o.files);
		return 1;
	}
	probe_config_default(&x->cfg);
	x->cfg.rate = 1000;
	x->cfg.inflight = 200000;
	x->cfg.retries = 1;
	x->cfg.hold_ms = 200;
	interrupted = 0;
	int rc = parse_args(x, &o, argc, argv);
	if (!rc)
		rc = census_main(x, &o, argc, argv);
	struct dw_error err;
	if (x->db && census_store_close(x->db, &err)) {
		fprintf(stderr, PROG ": %s\n", err.text);
		rc = rc ? rc : 1;
	}
	classify_free(x->cls);
	probe_gather_free(x->gather);
	for (size_t i = 0; i < x->n; i++)
		free(x->name[i]);
	free(x->name);
	free(x->line);
	free(x->hslot);
	free(x->cn);
	free(x->fg);
	free(x->done);
	free(o.files);
	free(x);
	return rc;
}
