/* census/infer: rule inference against the wall's own rules (inject/rules
 * over match/) as the oracle, on seeded rule sets of each kind alone and
 * mixed: the rules found, the probes they took, names explained without a
 * probe, exemptions, query types, over-blocking; the inferred rules loaded
 * back into a wall block the same names. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "census/infer.h"
#include "census/seeded.h"
#include "inject/rules.h"
#include "wire/msg.h"
#include "wire/name.h"

static const uint16_t QT[2] = {WIRE_T_A, WIRE_T_AAAA};

/* The wall's answer: a rule that forges or says NXDOMAIN for this type. */
static bool wall_blocks(const struct inject_rules *r, const char *name, uint16_t qtype)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t l;
	if (wire_name_from_text(name, w, &l) != DW_OK)
		return false;
	const struct inject_rule *ru = inject_rules_lookup(r, w, qtype);
	if (!ru || ru->action == RULE_PASS || ru->action == RULE_NOREPLY)
		return false;
	if (ru->action == RULE_NXDOMAIN)
		return true;
	return qtype == WIRE_T_AAAA ? (ru->aaaa.set || ru->a.set) : ru->a.set;
}

struct oracle {
	struct inject_rules *rules;
	unsigned asked;
	bool actions;  /* say what the block answered: 1 an address, 2 NXDOMAIN */
};

static uint8_t wall_action(const struct inject_rules *r, const char *name, uint16_t qtype)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t l;
	if (wire_name_from_text(name, w, &l) != DW_OK)
		return 0;
	const struct inject_rule *ru = inject_rules_lookup(r, w, qtype);
	return !ru ? 0 : ru->action == RULE_NXDOMAIN ? 2 : 1;
}

static int ask(void *ctx, struct census_question *q, size_t n, struct dw_error *err)
{
	struct oracle *o = ctx;
	(void)err;
	for (size_t i = 0; i < n; i++) {
		q[i].blocked = wall_blocks(o->rules, q[i].name, q[i].qtype);
		q[i].action = o->actions && q[i].blocked ? wall_action(o->rules, q[i].name, q[i].qtype) : 0;
	}
	o->asked += (unsigned)n;
	return 0;
}

/* A census of NAMES under RULES_TEXT, then inference. */
struct run {
	struct oracle o;
	struct census_name *names;
	char **text;
	size_t n;
	struct census_rules rules;
	struct census_infer_stats st;
	int rc;
};

static bool actions; /* the next run_infer's oracle and names say their actions */

static void run_infer(struct run *x, const char *rules_text, const char *const *names, size_t n,
		      unsigned nq, unsigned window)
{
	struct dw_error err;
	memset(x, 0, sizeof *x);
	x->o.rules = inject_rules_parse(rules_text, strlen(rules_text), "seeded", &err);
	CHECK(x->o.rules != NULL);
	if (!x->o.rules) {
		printf("#   %s\n", err.text);
		x->rc = -1;
		return;
	}
	x->names = calloc(n, sizeof *x->names);
	x->n = n;
	for (size_t i = 0; i < n; i++) {
		x->names[i].name = names[i];
		for (unsigned b = 0; b < nq; b++)
			if (wall_blocks(x->o.rules, names[i], QT[b]))
				x->names[i].censored |= (uint8_t)(1u << b);
		if (actions && x->names[i].censored)
			x->names[i].action = wall_action(x->o.rules, names[i], QT[0]);
	}
	x->o.actions = actions;
	struct census_infer_opts opts = {.qtype = {WIRE_T_A, WIRE_T_AAAA}, .nqtypes = nq, .window = window};
	x->rc = census_infer(&opts, x->names, n, ask, &x->o, &x->rules, &x->st, &err);
	if (x->rc)
		printf("#   %s\n", err.text);
}

static void run_free(struct run *x)
{
	inject_rules_free(x->o.rules);
	census_rules_free(&x->rules);
	free(x->names);
}

/* The rule with PATTERN, or NULL. */
static const struct census_rule *find(const struct run *x, const char *pattern, bool pass)
{
	for (size_t i = 0; i < x->rules.n; i++)
		if (!strcmp(x->rules.rule[i].pattern, pattern) && x->rules.rule[i].pass == pass)
			return &x->rules.rule[i];
	return NULL;
}

static void test_exact(void)
{
	const char *names[] = {"www.example.com", "a.example.com", "example.com"};
	struct run x;
	run_infer(&x, "www.example.com a=198.51.100.1\n", names, 3, 1, 0);
	CHECK_EQ(x.rc, 0);
	CHECK_EQ(x.rules.n, 1);
	const struct census_rule *r = find(&x, "www.example.com", false);
	CHECK(r && r->kind == MATCH_EXACT && r->names == 1);
	CHECK(r && r->probes == 2); /* appended: no; prefixed: no */
	CHECK_STR(r ? r->no : "", "zq9www.example.com");
	CHECK_EQ(x.st.unexplained, 0);
	run_free(&x);
}

static void test_subdomain(void)
{
	const char *names[] = {"www.google.com", "google.com", "mail.google.com", "notgoogle.com",
			       "a.b.google.com"};
	struct run x;
	run_infer(&x, "*.google.com a=198.51.100.1\n", names, 5, 1, 1);
	CHECK_EQ(x.rc, 0);
	CHECK_EQ(x.rules.n, 1);
	const struct census_rule *r = find(&x, "*.google.com", false);
	CHECK(r && r->kind == MATCH_SUBDOMAIN && r->names == 3 && r->overblocked == 0);
	/* one name inferred, the other two explained with no probe (window 1:
	 * one name at a time) */
	CHECK_EQ(x.st.inferred, 1);
	CHECK_EQ(x.st.explained, 2);
	CHECK(x.st.max_probes <= CENSUS_PROBES_PER_NAME);
	CHECK(r && r->probes <= 2 + 8);
	CHECK_STR(r ? r->yes : "", "zq9.google.com");
	CHECK_STR(r ? r->no : "", "zq9google.com");
	run_free(&x);
}

static void test_suffix_overblocking(void)
{
	const char *names[] = {"notyoutube.com", "www.youtube.com", "youtube.com", "youtube.org"};
	struct run x;
	run_infer(&x, "*youtube.com a=198.51.100.1\n", names, 4, 1, 0);
	CHECK_EQ(x.rc, 0);
	CHECK_EQ(x.rules.n, 1);
	const struct census_rule *r = find(&x, "*youtube.com", false);
	CHECK(r && r->kind == MATCH_SUFFIX && r->names == 3 && r->overblocked == 1);
	CHECK(r && census_overblocked(r, "notyoutube.com"));
	CHECK(r && !census_overblocked(r, "www.youtube.com"));
	CHECK(r && !census_overblocked(r, "youtube.com"));
	run_free(&x);
}

static void test_substring(void)
{
	const char *names[] = {"www.google.com", "googleapis.com", "x.google", "mygoogle.net", "other.org"};
	struct run x;
	run_infer(&x, "*google* a=198.51.100.1\n", names, 5, 1, 1);
	CHECK_EQ(x.rc, 0);
	CHECK_EQ(x.rules.n, 1);
	const struct census_rule *r = find(&x, "*google*", false);
	CHECK(r && r->kind == MATCH_SUBSTRING && r->names == 4);
	CHECK(r && r->probes <= 1 + 8 + 8);
	CHECK(r && r->overblocked == 2); /* googleapis.com, mygoogle.net */
	/* a substring with dots in it */
	const char *n2[] = {"a.bad.site.com"};
	struct run y;
	run_infer(&y, "*d.sit* nxdomain\n", n2, 1, 1, 0);
	CHECK(find(&y, "*d.sit*", false) != NULL);
	run_free(&x);
	run_free(&y);
}

/* An exact NXDOMAIN rule under a subdomain rule that forges an address:
 * told apart by what the replies say, whichever name comes first. */
static void test_actions_overlap(void)
{
	const char *names[] = {"exact.example.org", "www.example.org"};
	struct run x;
	actions = true;
	run_infer(&x, "*.example.org a=198.51.100.1\nexact.example.org nxdomain\n", names, 2, 1, 0);
	actions = false;
	CHECK_EQ(x.rc, 0);
	CHECK(find(&x, "exact.example.org", false) != NULL);
	CHECK(find(&x, "*.example.org", false) != NULL);
	CHECK_EQ(x.rules.n, 2);
	CHECK_EQ(x.st.unexplained, 0);
	run_free(&x);
	/* without the actions, the broader rule swallows the exact one */
	run_infer(&x, "*.example.org a=198.51.100.1\nexact.example.org nxdomain\n", names, 2, 1, 0);
	CHECK_EQ(x.rules.n, 1);
	run_free(&x);
}

static void test_qtypes_and_pass(void)
{
	const char *names[] = {"v6.example.org", "v4.example.org", "www.example.net", "ok.example.net",
			       "x.free.example.net", "y.free.example.net", "example.net"};
	struct run x;
	run_infer(&x,
		  "v6.example.org qtype=AAAA aaaa=2001::/32\n"
		  "v4.example.org qtype=A a=198.51.100.9\n"
		  "*.example.net a=198.51.100.1\n*.free.example.net pass\nok.example.net pass\n",
		  names, 7, 2, 0);
	CHECK_EQ(x.rc, 0);
	const struct census_rule *r = find(&x, "v6.example.org", false);
	char sel[64];
	CHECK(r != NULL);
	if (r) {
		census_rule_qtypes(r, QT, 2, sel, sizeof sel);
		CHECK_STR(sel, "qtype=AAAA");
	}
	r = find(&x, "v4.example.org", false);
	CHECK(r != NULL);
	if (r) {
		census_rule_qtypes(r, QT, 2, sel, sizeof sel);
		CHECK_STR(sel, "qtype=A");
	}
	r = find(&x, "*.example.net", false);
	CHECK(r != NULL);
	if (r) {
		census_rule_qtypes(r, QT, 2, sel, sizeof sel);
		CHECK_STR(sel, "");
	}
	CHECK(find(&x, "ok.example.net", true) != NULL);
	CHECK(find(&x, "*.free.example.net", true) != NULL);
	CHECK_EQ(x.rules.n, 5);
	CHECK_EQ(x.st.unexplained, 0);
	CHECK(x.st.max_probes <= CENSUS_PROBES_PER_NAME);
	run_free(&x);
}

/* Split TEXT into lines in place. */
static size_t lines(char *text, char ***out)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	for (char *s = strtok(text, "\n"); s; s = strtok(NULL, "\n")) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof *v);
		}
		v[n++] = s;
	}
	*out = v;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The seeded mixed set: the rules found equal the rules behind the names
 * (compared as rules), and loaded into a second wall they block the same
 * names of a fresh list. */
static void test_mixed_seeded(void)
{
	char *rules_text = NULL, *names_text = NULL, *expect_text = NULL;
	size_t rl = 0, nl = 0, el = 0;
	FILE *rf = open_memstream(&rules_text, &rl), *nf = open_memstream(&names_text, &nl),
	     *ef = open_memstream(&expect_text, &el);
	struct census_seeded_opts so = {.seed = 7, .names_seed = 1, .per_kind = 40, .innocent = 3000};
	struct dw_error err;
	CHECK_EQ(census_seeded_write(&so, rf, nf, ef, &err), 0);
	fclose(rf);
	fclose(nf);
	fclose(ef);
	char **names, **expect;
	size_t n = lines(names_text, &names), ne = lines(expect_text, &expect);
	struct run x;
	run_infer(&x, rules_text, (const char *const *)names, n, 2, 64);
	CHECK_EQ(x.rc, 0);
	/* the inferred rules in the expect file's form */
	char **got = calloc(x.rules.n + 1, sizeof *got);
	for (size_t i = 0; i < x.rules.n; i++) {
		char sel[64], line[400];
		census_rule_qtypes(&x.rules.rule[i], QT, 2, sel, sizeof sel);
		snprintf(line, sizeof line, "%s%s%s%s", x.rules.rule[i].pattern, sel[0] ? " " : "", sel,
			 x.rules.rule[i].pass ? " pass" : "");
		got[i] = strdup(line);
	}
	qsort(got, x.rules.n, sizeof *got, cmp_str);
	qsort(expect, ne, sizeof *expect, cmp_str);
	size_t common = 0;
	for (size_t i = 0, j = 0; i < x.rules.n && j < ne;) {
		int c = strcmp(got[i], expect[j]);
		if (!c) {
			common++;
			i++;
			j++;
		} else if (c < 0) {
			printf("#   inferred, not seeded: %s\n", got[i++]);
		} else {
			printf("#   seeded, not inferred: %s\n", expect[j++]);
		}
	}
	CHECK_EQ(ne, 40 * 11);
	CHECK_EQ(common, ne);       /* recall 100% */
	CHECK_EQ(x.rules.n, ne);    /* precision 100% */
	CHECK_EQ(x.st.unexplained, 0);
	CHECK(x.st.max_probes <= CENSUS_PROBES_PER_NAME);
	printf("#   %zu names, %zu rules, %llu questions in %llu rounds, at most %u per name\n", n,
	       x.rules.n, (unsigned long long)x.st.questions, (unsigned long long)x.st.rounds,
	       x.st.max_probes);

	/* the inferred rules as a rule file, into a second wall; a fresh list */
	char *inf = NULL;
	size_t il = 0;
	FILE *f = open_memstream(&inf, &il);
	for (size_t i = 0; i < x.rules.n; i++) {
		const struct census_rule *r = &x.rules.rule[i];
		char sel[64];
		census_rule_qtypes(r, QT, 2, sel, sizeof sel);
		fprintf(f, "%s %s %s\n", r->pattern, sel, r->pass ? "pass" : "a=198.51.100.7 aaaa=2001::/32");
	}
	fclose(f);
	struct inject_rules *second = inject_rules_parse(inf, il, "inferred", &err);
	CHECK(second != NULL);
	char *fresh_text = NULL, *junk = NULL;
	size_t fl = 0, jl = 0;
	FILE *ff = open_memstream(&fresh_text, &fl), *jf = open_memstream(&junk, &jl);
	so.names_seed = 2;
	CHECK_EQ(census_seeded_write(&so, jf, ff, NULL, &err), 0);
	fclose(ff);
	fclose(jf);
	char **fresh;
	size_t nf2 = lines(fresh_text, &fresh), same = 0, blocked = 0;
	for (size_t i = 0; second && i < nf2; i++) {
		bool all = true;
		for (int b = 0; b < 2; b++) {
			bool a = wall_blocks(x.o.rules, fresh[i], QT[b]), c = wall_blocks(second, fresh[i], QT[b]);
			all = all && a == c;
			blocked += a;
		}
		same += all;
	}
	CHECK_EQ(same, nf2);
	CHECK(blocked > 400);
	inject_rules_free(second);
	for (size_t i = 0; i < x.rules.n; i++)
		free(got[i]);
	free(got);
	free(fresh);
	free(fresh_text);
	free(junk);
	free(inf);
	free(names);
	free(expect);
	free(rules_text);
	free(names_text);
	free(expect_text);
	run_free(&x);
}

int main(void)
{
	RUN(test_exact);
	RUN(test_subdomain);
	RUN(test_suffix_overblocking);
	RUN(test_substring);
	RUN(test_qtypes_and_pass);
	RUN(test_actions_overlap);
	RUN(test_mixed_seeded);
	return harness_done();
}
