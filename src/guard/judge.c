/* The guard's decision rules (see judge.h). */
#include "guard/judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/hash.h"
#include "wire/msg.h"

static const char *const check_names[GUARD_CHECK_COUNT] = {"ttl", "rtt", "layout", "group",
							    "addr", "dnssec"};

const char *guard_check_name(unsigned i)
{
	return i < GUARD_CHECK_COUNT ? check_names[i] : "?";
}

/* The flags a forger gets wrong and a real upstream keeps constant. */
#define LAYOUT_FLAGS (WIRE_FLAG_AA | WIRE_FLAG_RA | WIRE_FLAG_TC)

int guard_obs_fill(struct guard_obs *o, const uint8_t *msg, size_t len)
{
	/* one thread runs the guard; the array is too large for a stack */
	static struct wire_rr rr[WIRE_RR_MAX];
	struct wire_msg m;
	o->parsed = false;
	o->naddrs = 0;
	o->has_opt = o->answer_ptr = false;
	o->flags = 0;
	o->rcode = 0;
	o->ancount = o->nscount = o->arcount = 0;
	if (wire_msg_parse(&m, msg, len, rr, sizeof rr / sizeof rr[0]) != DW_OK)
		return -1;
	o->parsed = true;
	o->flags = m.hdr.flags;
	o->rcode = wire_msg_rcode(&m);
	o->has_opt = m.edns.present;
	o->ancount = m.hdr.count[WIRE_SEC_ANSWER];
	o->nscount = m.hdr.count[WIRE_SEC_AUTHORITY];
	o->arcount = m.hdr.count[WIRE_SEC_ADDITIONAL];
	size_t a0 = wire_msg_section_start(&m, WIRE_SEC_ANSWER);
	size_t an = wire_msg_section_count(&m, WIRE_SEC_ANSWER);
	if (an > 0) {
		uint16_t off = m.rr[a0].owner_off;
		o->answer_ptr = (size_t)off + 1 < len && (msg[off] & 0xc0) == 0xc0;
	}
	for (size_t i = a0; i < a0 + an && o->naddrs < GUARD_OBS_ADDRS; i++) {
		const struct wire_rr *r = &m.rr[i];
		if (r->type == WIRE_T_A && r->rdlen == 4) {
			o->addrs[o->naddrs].family = AF_INET;
			memset(o->addrs[o->naddrs].addr, 0, 16);
			memcpy(o->addrs[o->naddrs++].addr, msg + r->rdata_off, 4);
		} else if (r->type == WIRE_T_AAAA && r->rdlen == 16) {
			o->addrs[o->naddrs].family = AF_INET6;
			memcpy(o->addrs[o->naddrs++].addr, msg + r->rdata_off, 16);
		}
	}
	return 0;
}

static bool has_addr(const struct guard_obs *o, uint8_t family, const uint8_t *addr)
{
	for (unsigned i = 0; i < o->naddrs; i++)
		if (o->addrs[i].family == family && !memcmp(o->addrs[i].addr, addr, 16))
			return true;
	return false;
}

bool guard_obs_agree(const struct guard_obs *a, const struct guard_obs *b)
{
	if (a->parsed != b->parsed || a->rcode != b->rcode || a->naddrs != b->naddrs)
		return false;
	if (a->naddrs == 0)
		return a->ancount == b->ancount;
	for (unsigned i = 0; i < a->naddrs; i++)
		if (!has_addr(b, a->addrs[i].family, a->addrs[i].addr))
			return false;
	return true;
}

void guard_profile_learn(struct guard_profile *p, const struct guard_obs *o, uint64_t now_us,
			 uint64_t max_age_us)
{
	/* forget what is older than the refresh horizon: a path can change */
	unsigned keep = 0;
	for (unsigned k = 0; k < p->n; k++) {
		unsigned i = (p->next + GUARD_PROFILE_SAMPLES - p->n + k) % GUARD_PROFILE_SAMPLES;
		if (max_age_us && p->s[i].at_us + max_age_us < now_us)
			continue;
		p->s[keep++] = p->s[i];
	}
	p->n = keep;
	p->next = keep % GUARD_PROFILE_SAMPLES;
	p->s[p->next].at_us = now_us;
	p->s[p->next].rtt_us = o->rtt_us;
	p->s[p->next].ttl_known = o->ttl_known;
	p->s[p->next].ttl = o->ip_ttl;
	p->next = (p->next + 1) % GUARD_PROFILE_SAMPLES;
	if (p->n < GUARD_PROFILE_SAMPLES)
		p->n++;
	if (o->parsed) {
		p->layout_known = true;
		p->has_opt = o->has_opt;
		p->flags = o->flags & LAYOUT_FLAGS;
		if (o->ancount > 0)
			p->answer_ptr = o->answer_ptr;
	}
	p->learned++;
}

bool guard_profile_rtt_floor(const struct guard_profile *p, uint32_t *floor_us)
{
	/* one sample may carry the upstream's own recursion: a floor needs two */
	if (p->n < 2)
		return false;
	uint32_t f = UINT32_MAX;
	for (unsigned i = 0; i < p->n; i++)
		if (p->s[i].rtt_us < f)
			f = p->s[i].rtt_us;
	*floor_us = f;
	return true;
}

bool guard_profile_ttl_range(const struct guard_profile *p, uint8_t *lo, uint8_t *hi)
{
	bool any = false;
	*lo = 255;
	*hi = 0;
	for (unsigned i = 0; i < p->n; i++) {
		if (!p->s[i].ttl_known)
			continue;
		any = true;
		if (p->s[i].ttl < *lo)
			*lo = p->s[i].ttl;
		if (p->s[i].ttl > *hi)
			*hi = p->s[i].ttl;
	}
	return any;
}

bool guard_profile_ready(const struct guard_profile *p)
{
	return p->n >= 2 && p->layout_known;
}

void guard_fp_of(const struct guard_obs *o, struct guard_fp *fp)
{
	memset(fp, 0, sizeof *fp);
	fp->flags = o->flags & LAYOUT_FLAGS;
	fp->has_opt = o->has_opt;
	fp->answer_ptr = o->ancount > 0 && o->answer_ptr;
	fp->df = o->ipid_known ? (int8_t)o->df : -1;
	fp->ipid_zero = o->ipid_known ? (int8_t)(o->ip_id == 0) : -1;
}

static bool fp_equal(const struct guard_fp *a, const struct guard_fp *b)
{
	return a->flags == b->flags && a->has_opt == b->has_opt && a->answer_ptr == b->answer_ptr &&
	       a->df == b->df && a->ipid_zero == b->ipid_zero;
}

/* Does FP describe the upstream's own layout? Then it cannot tell a forger. */
static bool fp_is_profile(const struct guard_fp *fp, const struct guard_profile *p)
{
	if (!p || !p->layout_known)
		return fp->has_opt; /* with OPT and nothing learned: too close to tell */
	return fp->flags == p->flags && fp->has_opt == p->has_opt &&
	       (p->answer_ptr < 0 || fp->answer_ptr == (p->answer_ptr != 0));
}

int guard_intel_add_group(struct guard_intel *in, const struct guard_fp *fp,
			  const struct guard_profile *p)
{
	for (unsigned i = 0; i < in->ngroups; i++)
		if (fp_equal(&in->group[i], fp))
			return (int)i;
	if (fp_is_profile(fp, p) || in->ngroups == GUARD_GROUPS_MAX)
		return -1;
	in->group[in->ngroups] = *fp;
	in->group_hits[in->ngroups] = 0;
	return (int)in->ngroups++;
}

int guard_intel_match_group(const struct guard_intel *in, const struct guard_obs *o)
{
	struct guard_fp fp;
	guard_fp_of(o, &fp);
	for (unsigned i = 0; i < in->ngroups; i++) {
		const struct guard_fp *g = &in->group[i];
		if (g->flags != fp.flags || g->has_opt != fp.has_opt || g->answer_ptr != fp.answer_ptr)
			continue;
		/* IP fields count only when both sides know them */
		if (g->df >= 0 && fp.df >= 0 && g->df != fp.df)
			continue;
		if (g->ipid_zero >= 0 && fp.ipid_zero >= 0 && g->ipid_zero != fp.ipid_zero)
			continue;
		return (int)i;
	}
	return -1;
}

static size_t addr_slot(int family, const uint8_t *addr)
{
	uint64_t h = HASH_FNV_OFFSET ^ (uint64_t)family;
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		h = (h ^ addr[i]) * HASH_FNV_PRIME;
	return (size_t)(hash_fmix64(h) & (GUARD_ADDRS_MAX - 1));
}

void guard_intel_add_addr(struct guard_intel *in, int family, const uint8_t *addr)
{
	if (guard_intel_has_addr(in, family, addr) || in->naddrs >= GUARD_ADDRS_MAX * 3 / 4)
		return;
	size_t i = addr_slot(family, addr);
	while (in->addr[i].used)
		i = (i + 1) & (GUARD_ADDRS_MAX - 1);
	in->addr[i].used = 1;
	in->addr[i].family = (uint8_t)family;
	memset(in->addr[i].addr, 0, 16);
	memcpy(in->addr[i].addr, addr, family == AF_INET ? 4 : 16);
	in->naddrs++;
}

bool guard_intel_has_addr(const struct guard_intel *in, int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;
	for (size_t i = addr_slot(family, addr);; i = (i + 1) & (GUARD_ADDRS_MAX - 1)) {
		if (!in->addr[i].used)
			return false;
		if (in->addr[i].family == family && !memcmp(in->addr[i].addr, addr, n))
			return true;
	}
}

__attribute__((format(printf, 3, 4))) static void add_ev(char *ev, size_t cap, const char *fmt, ...)
{
	size_t used = strlen(ev);
	if (used + 3 >= cap)
		return;
	if (used)
		used += (size_t)snprintf(ev + used, cap - used, "; ");
	va_list ap;
	va_start(ap, fmt);
	if (used < cap)
		vsnprintf(ev + used, cap - used, fmt, ap);
	va_end(ap);
}

unsigned guard_judge(const struct guard_profile *p, const struct guard_intel *intel,
		     const struct guard_obs *o, bool sent_edns, unsigned enabled, int *group,
		     char *ev, size_t cap)
{
	unsigned failed = 0;
	if (cap)
		ev[0] = 0;
	if (group)
		*group = -1;
	uint8_t lo, hi;
	if ((enabled & GUARD_CHECK_TTL) && o->ttl_known && guard_profile_ttl_range(p, &lo, &hi) &&
	    (o->ip_ttl + 1 < lo || o->ip_ttl > hi + 1)) {
		failed |= GUARD_CHECK_TTL;
		if (lo == hi)
			add_ev(ev, cap, "IP TTL %u, the path's %u+-1", o->ip_ttl, lo);
		else
			add_ev(ev, cap, "IP TTL %u, the path's %u..%u+-1", o->ip_ttl, lo, hi);
	}
	uint32_t floor_us;
	if ((enabled & GUARD_CHECK_RTT) && guard_profile_rtt_floor(p, &floor_us) &&
	    floor_us >= GUARD_RTT_FLOOR_MIN_US && o->rtt_us < floor_us / 2) {
		failed |= GUARD_CHECK_RTT;
		add_ev(ev, cap, "rtt %.1f ms, under half the floor %.1f ms", o->rtt_us / 1000.0,
		       floor_us / 1000.0);
	}
	if (enabled & GUARD_CHECK_LAYOUT) {
		bool bad = false;
		/* a resolver that speaks EDNS answers an EDNS query with OPT
		 * (RFC 6891 7); an injector that forges from the question alone
		 * does not */
		bool want_opt = sent_edns && (!p->layout_known || p->has_opt);
		if (!o->parsed) {
			bad = true;
			add_ev(ev, cap, "DNS message does not parse");
		} else {
			if (want_opt && !o->has_opt) {
				bad = true;
				add_ev(ev, cap, "no OPT record to an EDNS query");
			}
			if (p->layout_known && (o->flags & LAYOUT_FLAGS) != p->flags) {
				bad = true;
				add_ev(ev, cap, "flags 0x%04x, the upstream's 0x%04x",
				       (unsigned)(o->flags & LAYOUT_FLAGS), (unsigned)p->flags);
			}
			if (p->layout_known && p->answer_ptr >= 0 && o->ancount > 0 &&
			    o->answer_ptr != (p->answer_ptr != 0)) {
				bad = true;
				add_ev(ev, cap, "answer owner %s", o->answer_ptr ? "a pointer, the upstream's in full"
										: "in full, the upstream's a pointer");
			}
		}
		if (bad)
			failed |= GUARD_CHECK_LAYOUT;
	}
	if ((enabled & GUARD_CHECK_GROUP) && intel) {
		int g = guard_intel_match_group(intel, o);
		if (g >= 0) {
			failed |= GUARD_CHECK_GROUP;
			if (group)
				*group = g;
			add_ev(ev, cap, "injector group %d", g + 1);
		}
	}
	if ((enabled & GUARD_CHECK_ADDR) && intel) {
		for (unsigned i = 0; i < o->naddrs; i++)
			if (guard_intel_has_addr(intel, o->addrs[i].family, o->addrs[i].addr)) {
				failed |= GUARD_CHECK_ADDR;
				add_ev(ev, cap, "answer address seen forged before");
				break;
			}
	}
	return failed;
}
