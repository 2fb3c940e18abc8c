/* Injector fingerprints (see profile.h). */
#include "inject/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void inject_profile_default(struct inject_profile *p, const char *name)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->ttl_mode = TTL_FIXED;
	p->ttl = 64;
	p->ttl_max = 64;
	p->ipid_mode = IPID_RANDOM;
	p->copies = 1;
	p->answer_ttl = p->answer_ttl_max = 60;
	p->flags = FLAGS_COPY;
	p->answers = RD_ANY;
	p->answer_ptr = true;
}

static int num(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int boolean(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* One key=value; returns 0 or -1 with ERR. */
static int apply(struct inject_profile *p, const char *key, const char *val,
		 struct dw_error *err)
{
	long v;
	if (!strcmp(key, "name")) {
		if (!*val || strlen(val) >= sizeof p->name)
			goto bad;
		snprintf(p->name, sizeof p->name, "%s", val);
	} else if (!strcmp(key, "ttl")) {
		/* fixed N | mirror | mirror+N | mirror-N | random:LO-HI */
		if (!strncmp(val, "mirror", 6)) {
			p->ttl_mode = TTL_MIRROR;
			p->ttl_offset = 0;
			if (val[6] && num(val + 6, -255, 255, &v))
				goto bad;
			if (val[6])
				p->ttl_offset = (int)v;
		} else if (!strncmp(val, "random:", 7)) {
			long lo, hi;
			char a[8], b[8];
			if (sscanf(val + 7, "%7[0-9]-%7[0-9]", a, b) != 2 || num(a, 1, 255, &lo) ||
			    num(b, 1, 255, &hi) || lo > hi)
				goto bad;
			p->ttl_mode = TTL_RANDOM;
			p->ttl = (uint8_t)lo;
			p->ttl_max = (uint8_t)hi;
		} else {
			if (num(val, 1, 255, &v))
				goto bad;
			p->ttl_mode = TTL_FIXED;
			p->ttl = p->ttl_max = (uint8_t)v;
		}
	} else if (!strcmp(key, "ipid")) {
		if (!strcmp(val, "zero"))
			p->ipid_mode = IPID_ZERO;
		else if (!strcmp(val, "random"))
			p->ipid_mode = IPID_RANDOM;
		else if (!strcmp(val, "increment"))
			p->ipid_mode = IPID_INCREMENT;
		else if (!strcmp(val, "mirror"))
			p->ipid_mode = IPID_MIRROR;
		else
			goto bad;
	} else if (!strcmp(key, "df")) {
		if (boolean(val, &p->df))
			goto bad;
	} else if (!strcmp(key, "delay")) { /* microseconds */
		if (num(val, 0, 10 * 1000 * 1000, &v))
			goto bad;
		p->delay_us = (uint32_t)v;
	} else if (!strcmp(key, "copies")) {
		if (num(val, 1, PROFILE_COPIES_MAX, &v))
			goto bad;
		p->copies = (unsigned)v;
	} else if (!strcmp(key, "answer-ttl")) { /* N or random:LO-HI */
		if (!strncmp(val, "random:", 7)) {
			long lo, hi;
			char a[12], b[12];
			if (sscanf(val + 7, "%11[0-9]-%11[0-9]", a, b) != 2 ||
			    num(a, 0, 0x7fffffff, &lo) || num(b, 0, 0x7fffffff, &hi) || lo > hi)
				goto bad;
			p->answer_ttl = (uint32_t)lo;
			p->answer_ttl_max = (uint32_t)hi;
		} else {
			if (num(val, 0, 0x7fffffff, &v))
				goto bad;
			p->answer_ttl = p->answer_ttl_max = (uint32_t)v;
		}
	} else if (!strcmp(key, "flags")) {
		if (!strcmp(val, "copy"))
			p->flags = FLAGS_COPY;
		else if (!strcmp(val, "ra"))
			p->flags = FLAGS_RA;
		else if (!strcmp(val, "aa"))
			p->flags = FLAGS_AA;
		else if (!strcmp(val, "follow"))
			p->flags = FLAGS_FOLLOW;
		else
			goto bad;
	} else if (!strcmp(key, "answers")) {
		if (!strcmp(val, "any"))
			p->answers = RD_ANY;
		else if (!strcmp(val, "rd"))
			p->answers = RD_ONLY_SET;
		else if (!strcmp(val, "nord"))
			p->answers = RD_ONLY_CLEAR;
		else
			goto bad;
	} else if (!strcmp(key, "owner")) {
		if (!strcmp(val, "pointer"))
			p->answer_ptr = true;
		else if (!strcmp(val, "full"))
			p->answer_ptr = false;
		else
			goto bad;
	} else {
		return dw_error_set(err, DW_E_SYNTAX,
				    "unknown injector key '%s' (name ttl ipid df delay copies "
				    "answer-ttl flags answers owner)", key);
	}
	return 0;
bad:
	return dw_error_set(err, DW_E_SYNTAX, "bad value '%s' for injector key '%s'", val, key);
}

int inject_profile_parse(const char *spec, struct inject_profile *p, struct dw_error *err)
{
	char buf[512];
	if (strlen(spec) >= sizeof buf)
		return dw_error_set(err, DW_E_TOO_LARGE, "injector spec too long");
	snprintf(buf, sizeof buf, "%s", spec);
	char *save = NULL;
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			return dw_error_set(err, DW_E_SYNTAX, "'%s' is not key=value", kv);
		*eq = '\0';
		if (apply(p, kv, eq + 1, err))
			return -1;
	}
	return 0;
}

int inject_profile_preset(const char *name, struct inject_profile *out, int max)
{
	/* The GFW's three injectors, after "Triplet Censors" (FOCI 2020) and
	 * Wallbleed (NDSS 2025); docs/rules.md gives the sources per field. */
	static const char *const gfw[] = {
		/* 1: AA set, answer TTL 60, DF clear (Harrity et al. 2022 6);
		 * the full owner name, random IP ID and IP TTL are assumed. */
		"name=gfw1,flags=aa,answer-ttl=60,df=0,ipid=random,ttl=64,owner=full",
		/* 2: AA clear, DF set (Harrity et al.); 0x8180 even for RD=0
		 * queries (net4people #466). That it is the one mirroring the
		 * probe's IP TTL (Triplet Censors) is our assumption. */
		"name=gfw2,flags=ra,df=1,ipid=random,ttl=mirror,answer-ttl=random:60-300,owner=pointer",
		/* 3: DF clear, IP ID 0 (Harrity et al.), flags follow RD
		 * (Wallbleed), c00c owner pointer, varying answer TTL. */
		"name=gfw3,flags=follow,df=0,ipid=zero,ttl=random:40-70,answer-ttl=random:120-240,owner=pointer",
	};
	if (!strcmp(name, "simple")) {
		if (max < 1)
			return -1;
		inject_profile_default(&out[0], "simple");
		return 1;
	}
	if (!strcmp(name, "gfw")) {
		int n = (int)(sizeof gfw / sizeof gfw[0]);
		if (max < n)
			return -1;
		for (int i = 0; i < n; i++) {
			inject_profile_default(&out[i], "gfw");
			if (inject_profile_parse(gfw[i], &out[i], NULL))
				return -1;
		}
		return n;
	}
	return -1;
}

void inject_profile_format(const struct inject_profile *p, char *buf, size_t cap)
{
	static const char *const ipid[] = {"zero", "random", "increment", "mirror"};
	static const char *const flags[] = {"copy", "ra", "aa", "follow"};
	static const char *const answers[] = {"any", "rd", "nord"};
	char ttl[32];
	if (p->ttl_mode == TTL_MIRROR)
		snprintf(ttl, sizeof ttl, p->ttl_offset ? "mirror%+d" : "mirror", p->ttl_offset);
	else if (p->ttl_mode == TTL_RANDOM)
		snprintf(ttl, sizeof ttl, "random:%u-%u", p->ttl, p->ttl_max);
	else
		snprintf(ttl, sizeof ttl, "%u", p->ttl);
	char attl[32];
	if (p->answer_ttl_max > p->answer_ttl)
		snprintf(attl, sizeof attl, "random:%u-%u", p->answer_ttl, p->answer_ttl_max);
	else
		snprintf(attl, sizeof attl, "%u", p->answer_ttl);
	snprintf(buf, cap,
		 "name=%s,ttl=%s,ipid=%s,df=%d,delay=%u,copies=%u,answer-ttl=%s,flags=%s,answers=%s,owner=%s",
		 p->name, ttl, ipid[p->ipid_mode], p->df, p->delay_us, p->copies, attl,
		 flags[p->flags], answers[p->answers], p->answer_ptr ? "pointer" : "full");
}
