/* The wall's decision core (see core.h). */
#include "inject/core.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct inject_core {
	struct inject_profile profile[PROFILE_MAX];
	int nprofiles;
	struct forge_state *forge;    /* one per profile */
	struct inject_rules *rules;
	int map[RULES_INJECTORS_MAX]; /* rules->injector[i] -> profile index, -1 none */
	inject_reply_fn reply;
	void *ctx;
	struct inject_stats st;
};

struct inject_core *inject_core_new(const struct inject_profile *profiles, int nprofiles,
				    uint64_t seed, inject_reply_fn reply, void *ctx,
				    struct dw_error *err)
{
	if (nprofiles < 1 || nprofiles > PROFILE_MAX || !reply) {
		dw_error_set(err, DW_E_INVALID, "bad injector configuration");
		return NULL;
	}
	struct inject_core *c = calloc(1, sizeof *c);
	if (c)
		c->forge = calloc((size_t)nprofiles, sizeof *c->forge);
	if (c && c->forge)
		c->rules = inject_rules_empty();
	if (!c || !c->forge || !c->rules) {
		inject_core_free(c);
		dw_error_set(err, DW_E_NOMEM, "out of memory");
		return NULL;
	}
	memcpy(c->profile, profiles, (size_t)nprofiles * sizeof *profiles);
	c->nprofiles = nprofiles;
	for (int p = 0; p < nprofiles; p++)
		forge_state_init(&c->forge[p], seed + (uint64_t)p * 0x1000193u);
	c->reply = reply;
	c->ctx = ctx;
	return c;
}

void inject_core_free(struct inject_core *c)
{
	if (!c)
		return;
	inject_rules_free(c->rules);
	free(c->forge);
	free(c);
}

/* R in force, if every injector it names runs; the core takes R either way. */
static int rules_install(struct inject_core *c, struct inject_rules *r, struct dw_error *err)
{
	int map[RULES_INJECTORS_MAX];
	for (unsigned i = 0; i < r->ninjectors; i++) {
		map[i] = -1;
		for (int p = 0; p < c->nprofiles; p++)
			if (strcmp(r->injector[i], c->profile[p].name) == 0)
				map[i] = p;
		if (map[i] < 0) {
			dw_error_set(err, DW_E_NOT_FOUND, "%s: injectors= names '%s', which is not running",
				     r->source, r->injector[i]);
			inject_rules_free(r);
			return -1;
		}
	}
	inject_rules_free(c->rules);
	c->rules = r;
	memcpy(c->map, map, sizeof map);
	return 0;
}

int inject_core_rules_start(struct inject_core *c, struct inject_rules *r, struct dw_error *err)
{
	return rules_install(c, r, err);
}

int inject_core_rules_set(struct inject_core *c, struct inject_rules *r, struct dw_error *err)
{
	if (rules_install(c, r, err))
		return -1;
	c->st.rule_loads++;
	return 0;
}

const struct inject_rules *inject_core_rules(const struct inject_core *c)
{
	return c->rules;
}

struct inject_stats *inject_core_stats(struct inject_core *c)
{
	return &c->st;
}

/* Is profile P one of those RULE names (all of them if it names none)? */
static bool rule_names(const struct inject_core *c, const struct inject_rule *rule, int p)
{
	if (!rule->injectors)
		return true;
	for (unsigned i = 0; i < c->rules->ninjectors; i++)
		if ((rule->injectors >> i & 1) && c->map[i] == p)
			return true;
	return false;
}

/* Q, a query seen on IFACE at NOW_US that RULE matched: each profile the
 * rule names and that answers Q forges its reply, sent as its copies. */
static void forge_replies(struct inject_core *c, int iface, const struct inject_query *q,
			  const struct inject_rule *rule, uint64_t now_us)
{
	uint8_t buf[FORGE_FRAME_MAX];
	for (int p = 0; p < c->nprofiles; p++) {
		const struct inject_profile *prof = &c->profile[p];
		if (!rule_names(c, rule, p) || !inject_profile_answers(prof, q))
			continue;
		size_t n = inject_forge(prof, &c->forge[p], c->rules, rule, q, buf);
		if (!n)
			continue;
		struct inject_reply r = {.iface = iface, .due_us = now_us + prof->delay_us,
					 .frame = buf, .len = n, .profile = prof, .query = q,
					 .rule = rule};
		for (r.copy = 0; r.copy < prof->copies; r.copy++) {
			c->st.forged++;
			c->reply(c->ctx, &r);
		}
	}
}

void inject_core_frame(struct inject_core *c, int iface, const uint8_t *frame, size_t len,
		       uint64_t now_us)
{
	struct inject_query q;
	c->st.seen++;
	switch (inject_classify(NET_LINK_ETHERNET, frame, len, &q)) {
	case INJ_QUERY: break;
	case INJ_RESPONSE: c->st.responses++; return;
	case INJ_MALFORMED: c->st.malformed++; return;
	case INJ_NOT_QUERY: c->st.not_query++; return;
	case INJ_FRAGMENT: c->st.fragments++; return;
	default: c->st.other++; return;
	}
	c->st.queries++;
	const struct inject_rule *rule = inject_rules_lookup(c->rules, q.qname, q.qtype);
	if (!rule)
		return;
	if (rule->action == RULE_PASS) {
		c->st.passed++;
		return;
	}
	c->st.matched++;
	if (rule->action == RULE_NOREPLY)
		return;
	forge_replies(c, iface, &q, rule, now_us);
}
