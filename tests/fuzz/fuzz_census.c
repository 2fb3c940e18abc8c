/*
 * libFuzzer: the census's inference and pools on fuzz-chosen walls and
 * names, and the rule file it writes, read back by the wall's parser.
 *
 * Input: a rule file (docs/rules.md; parsed with inject_rules_parse, the
 * parser a written-back rule file meets), then a NUL, then names one a
 * line. The wall's rules are the oracle (as in tests/census/test_infer.c);
 * the census's types are A and AAAA. Checks, aborting on failure: no name
 * takes more than CENSUS_PROBES_PER_NAME probes; every inferred rule, as
 * the command writes it, parses back as a rule file and goes into a
 * matcher. The input's bytes also go to the pool recovery as a sequence of
 * addresses (every fourth byte a gap when zero).
 *
 * Seeds (tests/fuzz/corpus/fuzz_census/) by hand: each rule kind, an
 * exemption, a qtype selector, a bad rule file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "census/infer.h"
#include "census/pool.h"
#include "inject/rules.h"
#include "wire/msg.h"
#include "wire/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 48

static bool blocks(const struct inject_rules *r, const char *name, uint16_t qtype)
{
	uint8_t w[WIRE_NAME_MAX];
	size_t l;
	if (wire_name_from_text(name, w, &l) != DW_OK)
		return false;
	const struct inject_rule *ru = inject_rules_lookup(r, w, qtype);
	if (!ru || ru->action == RULE_PASS || ru->action == RULE_NOREPLY)
		return false;
	return ru->action == RULE_NXDOMAIN || (qtype == WIRE_T_AAAA ? ru->aaaa.set || ru->a.set : ru->a.set);
}

static int ask(void *ctx, struct census_question *q, size_t n, struct dw_error *err)
{
	(void)err;
	for (size_t i = 0; i < n; i++)
		q[i].blocked = blocks(ctx, q[i].name, q[i].qtype);
	return 0;
}

static void pools(const uint8_t *data, size_t size)
{
	size_t n = size / 4;
	uint32_t *seq = malloc((n ? n : 1) * sizeof *seq);
	bool *known = malloc((n ? n : 1) * sizeof *known);
	if (!seq || !known)
		goto out;
	for (size_t k = 0; k < n; k++) {
		seq[k] = (uint32_t)data[4 * k] << 24 | (uint32_t)data[4 * k + 1] << 16 |
			 (uint32_t)data[4 * k + 2] << 8 | data[4 * k + 3];
		known[k] = data[4 * k] != 0;
	}
	struct census_pool p;
	struct dw_error err;
	if (census_pool_recover(seq, known, n, &p, &err) == 0) {
		if (p.length && p.norder && p.norder != p.length)
			abort();
		census_pool_free(&p);
	}
out:
	free(seq);
	free(known);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pools(data, size);
	const uint8_t *nul = memchr(data, 0, size);
	if (!nul)
		return 0;
	struct dw_error err;
	struct inject_rules *wall = inject_rules_parse((const char *)data, (size_t)(nul - data), "fuzz", &err);
	if (!wall)
		return 0;
	/* the names */
	char *text = malloc(size - (size_t)(nul - data));
	char *names[MAX_NAMES];
	struct census_name cn[MAX_NAMES];
	size_t n = 0;
	if (!text) {
		inject_rules_free(wall);
		return 0;
	}
	memcpy(text, nul + 1, size - (size_t)(nul - data) - 1);
	text[size - (size_t)(nul - data) - 1] = '\0';
	for (char *save = NULL, *s = strtok_r(text, "\n", &save); s && n < MAX_NAMES; s = strtok_r(NULL, "\n", &save)) {
		uint8_t w[WIRE_NAME_MAX];
		size_t l;
		if (strlen(s) >= CENSUS_NAME_TEXT || wire_name_from_text(s, w, &l) != DW_OK || w[0] == 0)
			continue;
		for (char *c = s; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		names[n] = s;
		cn[n].name = s;
		cn[n].censored = (uint8_t)(blocks(wall, s, WIRE_T_A) | blocks(wall, s, WIRE_T_AAAA) << 1);
		cn[n].action = 0;
		n++;
	}
	(void)names;
	struct census_infer_opts o = {.qtype = {WIRE_T_A, WIRE_T_AAAA}, .nqtypes = 2, .window = 8};
	struct census_rules rules = {0};
	struct census_infer_stats st;
	if (census_infer(&o, cn, n, ask, wall, &rules, &st, &err) == 0) {
		if (st.max_probes > CENSUS_PROBES_PER_NAME)
			abort();
		/* the rule file as the command writes it, read back */
		for (size_t i = 0; i < rules.n; i++) {
			char sel[64], line[400];
			census_rule_qtypes(&rules.rule[i], o.qtype, o.nqtypes, sel, sizeof sel);
			int len = snprintf(line, sizeof line, "%s %s %s\n", rules.rule[i].pattern, sel,
					   rules.rule[i].pass ? "pass" : "a=192.0.2.1");
			struct inject_rules *back = inject_rules_parse(line, (size_t)len, "inferred", &err);
			if (!back) {
				fprintf(stderr, "fuzz_census: the inferred rule '%s' does not load: %s\n", line, err.text);
				abort();
			}
			inject_rules_free(back);
			(void)census_overblocked(&rules.rule[i], cn[rules.rule[i].from].name);
		}
		struct match_set *ms = census_rules_matcher(&rules, o.qtype, o.nqtypes, &err);
		if (!ms && rules.n)
			abort();
		match_set_free(ms);
	}
	census_rules_free(&rules);
	inject_rules_free(wall);
	free(text);
	return 0;
}
