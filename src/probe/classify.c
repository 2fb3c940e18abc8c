/*
 * The classifier (see classify.h and docs/verdicts.md): the control store,
 * the forged set, the injector groups and the verdict rules. The loaders of
 * control files are in classify_load.c.
 */
#include "probe/classify.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/packet.h"
#include "util/hash.h"
#include "wire/edns.h"
#include "wire/msg.h"
#include "wire/name.h"

/* ---- a bounded hash map from byte strings to fixed-size values ------------ */

/*
 * Open addressing with linear probing; keys live in one arena, values in one
 * array, so an entry costs its key's bytes plus about 20 octets. The table
 * doubles at half load, up to MAX entries. The hash is seeded per map so
 * that the layout is not fixed for a peer choosing names or addresses.
 */
struct bmap {
	uint32_t *slot;  /* entry index + 1; 0 is empty */
	size_t cap;      /* slots, a power of two */
	size_t n, max, ecap;
	size_t vsize;
	uint8_t *vals;   /* n values of vsize bytes */
	uint32_t *koff;  /* key offset in the arena */
	uint16_t *klen;
	uint8_t *arena;
	size_t alen, acap;
	uint64_t seed;
};

static uint64_t hash_bytes(const uint8_t *k, size_t n, uint64_t seed)
{
	uint64_t h = HASH_FNV_OFFSET ^ seed;
	for (size_t i = 0; i < n; i++) {
		h ^= k[i];
		h *= HASH_FNV_PRIME;
	}
	return hash_fmix64(h); /* FNV's low bits alone are weak for the mask */
}

static int bmap_init(struct bmap *m, size_t vsize, size_t max, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	m->vsize = vsize;
	m->max = max;
	m->seed = seed;
	m->cap = 64;
	m->slot = calloc(m->cap, sizeof *m->slot);
	return m->slot ? 0 : -1;
}

static void bmap_free(struct bmap *m)
{
	free(m->slot);
	free(m->vals);
	free(m->koff);
	free(m->klen);
	free(m->arena);
	memset(m, 0, sizeof *m);
}

static const uint8_t *bmap_key(const struct bmap *m, size_t e, size_t *n)
{
	*n = m->klen[e];
	return m->arena + m->koff[e];
}

static size_t bmap_find_slot(const struct bmap *m, const uint8_t *k, size_t n, bool *found)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)hash_bytes(k, n, m->seed) & mask;
	for (size_t probe = 0; probe < m->cap; probe++, i = (i + 1) & mask) {
		uint32_t s = m->slot[i];
		if (!s) {
			*found = false;
			return i;
		}
		size_t kn;
		const uint8_t *kk = bmap_key(m, s - 1, &kn);
		if (kn == n && memcmp(kk, k, n) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false; /* not reached: the table is never more than half full */
	return 0;
}

static void *bmap_get(const struct bmap *m, const uint8_t *k, size_t n)
{
	bool found;
	if (!m->slot || !m->n)
		return NULL; /* nothing to find: no key to hash */
	size_t i = bmap_find_slot(m, k, n, &found);
	return found ? m->vals + (size_t)(m->slot[i] - 1) * m->vsize : NULL;
}

static int bmap_grow(struct bmap *m)
{
	size_t ncap = m->cap * 2;
	uint32_t *ns = calloc(ncap, sizeof *ns);
	if (!ns)
		return -1;
	for (size_t e = 0; e < m->n; e++) {
		size_t kn;
		const uint8_t *k = bmap_key(m, e, &kn);
		size_t i = (size_t)hash_bytes(k, kn, m->seed) & (ncap - 1);
		while (ns[i])
			i = (i + 1) & (ncap - 1);
		ns[i] = (uint32_t)(e + 1);
	}
	free(m->slot);
	m->slot = ns;
	m->cap = ncap;
	return 0;
}

static int reserve(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * size);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* The value of key K, added (zeroed) if new; NULL if full or out of memory. */
static void *bmap_put(struct bmap *m, const uint8_t *k, size_t n, bool *isnew)
{
	bool found;
	size_t i = bmap_find_slot(m, k, n, &found);
	*isnew = false;
	if (found)
		return m->vals + (size_t)(m->slot[i] - 1) * m->vsize;
	if (m->n >= m->max || m->n >= UINT32_MAX - 1 || n > UINT16_MAX ||
	    m->alen + n > UINT32_MAX)
		return NULL;
	if ((m->n + 1) * 2 > m->cap) {
		if (bmap_grow(m))
			return NULL;
		i = bmap_find_slot(m, k, n, &found);
	}
	if (m->n + 1 > m->ecap) {
		size_t e1 = m->ecap, e2 = m->ecap, e3 = m->ecap;
		if (reserve((void **)&m->vals, &e1, m->n + 1, m->vsize) ||
		    reserve((void **)&m->koff, &e2, m->n + 1, sizeof *m->koff) ||
		    reserve((void **)&m->klen, &e3, m->n + 1, sizeof *m->klen))
			return NULL; /* whichever grew stays grown; ecap is unchanged */
		m->ecap = e1 < e2 ? (e1 < e3 ? e1 : e3) : (e2 < e3 ? e2 : e3);
	}
	if (reserve((void **)&m->arena, &m->acap, m->alen + n, 1))
		return NULL;
	memcpy(m->arena + m->alen, k, n);
	m->koff[m->n] = (uint32_t)m->alen;
	m->klen[m->n] = (uint16_t)n;
	m->alen += n;
	uint8_t *v = m->vals + m->n * m->vsize;
	memset(v, 0, m->vsize);
	m->n++;
	m->slot[i] = (uint32_t)m->n;
	*isnew = true;
	return v;
}

/* ---- the classifier ---------------------------------------------------------- */

/*
 * A control entry as stored: its fixed part, and its addresses as 17-octet
 * records (family tag, 16 octets) in the value arena, where a merge writes a
 * fresh copy (merges are rare: live control answers that add addresses).
 */
struct cval {
	uint8_t expect, source, naddrs, overflow;
	uint8_t origin;
	uint16_t rcode;
	uint32_t aoff; /* offset in varena */
};

struct classify {
	unsigned flags;
	struct bmap control; /* canonical name + qtype (2 octets; 0 = the name is complete) -> cval */
	uint8_t *varena;
	size_t valen, vacap;
	struct bmap forged;  /* tag (4, 6, 'N') + address or canonical name -> int32 group */
	struct classify_group group[CLASSIFY_GROUPS_MAX];
	size_t ngroups;
	uint64_t unkept;     /* observations not remembered: a table was full */
	char origin[CLASSIFY_ORIGINS_MAX][40]; /* control targets' labels, id - 1 */
	size_t norigins;
};

struct classify *classify_new(const struct classify_limits *lim)
{
	struct classify *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	size_t cmax = lim && lim->control_max ? lim->control_max : (size_t)4 << 20;
	size_t fmax = lim && lim->forged_max ? lim->forged_max : (size_t)1 << 20;
	c->flags = lim ? lim->flags : 0;
	uint64_t seed = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull;
	if (bmap_init(&c->control, sizeof(struct cval), cmax, seed) ||
	    bmap_init(&c->forged, sizeof(int32_t), fmax, seed ^ 0x5bd1e995u)) {
		classify_free(c);
		return NULL;
	}
	return c;
}

void classify_free(struct classify *c)
{
	if (!c)
		return;
	bmap_free(&c->control);
	bmap_free(&c->forged);
	free(c->varena);
	free(c);
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool addr_eq(const struct probe_addr *a, int family, const uint8_t *addr)
{
	return a->family == family && addr_len(family) &&
	       memcmp(a->addr, addr, addr_len(family)) == 0;
}

/* Key: the canonical name, then the qtype. Returns the key length, 0 if bad. */
static size_t control_key(const uint8_t *name, uint16_t qtype, uint8_t *key)
{
	size_t n = wire_name_len(name, WIRE_NAME_MAX);
	if (!n)
		return 0;
	memcpy(key, name, n);
	wire_name_canonicalize(key);
	key[n] = (uint8_t)(qtype >> 8);
	key[n + 1] = (uint8_t)qtype;
	return n + 2;
}

static void cval_to_control(const struct classify *c, const struct cval *v,
			    struct classify_control *out)
{
	memset(out, 0, sizeof *out);
	out->expect = (enum classify_expect)v->expect;
	out->source = (enum classify_source)v->source;
	out->rcode = v->rcode;
	out->overflow = v->overflow;
	out->naddrs = v->naddrs;
	out->origin = v->origin;
	for (unsigned i = 0; i < v->naddrs; i++) {
		const uint8_t *p = c->varena + v->aoff + 17 * i;
		out->addrs[i].family = p[0] == 4 ? AF_INET : AF_INET6;
		memcpy(out->addrs[i].addr, p + 1, addr_len(out->addrs[i].family));
	}
}

/* Write CTL's addresses to the value arena; returns 0 or -1. */
static int cval_store(struct classify *c, struct cval *v, const struct classify_control *ctl)
{
	size_t need = 17 * (size_t)ctl->naddrs;
	if (c->valen + need > UINT32_MAX ||
	    reserve((void **)&c->varena, &c->vacap, c->valen + need + 1, 1))
		return -1;
	v->aoff = (uint32_t)c->valen;
	for (unsigned i = 0; i < ctl->naddrs; i++) {
		uint8_t *p = c->varena + c->valen + 17 * i;
		memset(p, 0, 17);
		p[0] = ctl->addrs[i].family == AF_INET ? 4 : 6;
		memcpy(p + 1, ctl->addrs[i].addr, addr_len(ctl->addrs[i].family));
	}
	c->valen += need;
	v->naddrs = ctl->naddrs;
	v->overflow = ctl->overflow;
	v->expect = (uint8_t)ctl->expect;
	v->source = (uint8_t)ctl->source;
	v->origin = ctl->origin;
	v->rcode = ctl->rcode;
	return 0;
}

/* Same /24 (IPv4) or /48 (IPv6). */
static bool same_prefix(const struct probe_addr *a, int family, const uint8_t *addr)
{
	if (a->family != family)
		return false;
	return family == AF_INET ? !memcmp(a->addr, addr, 3)
	       : family == AF_INET6 ? !memcmp(a->addr, addr, 6) : false;
}

bool classify_consistent(const struct probe_addr *a, size_t n, const struct classify_control *ctl)
{
	if (!ctl || ctl->expect != CLASSIFY_EXPECT_ADDRS)
		return false;
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < ctl->naddrs; k++)
			if (same_prefix(&ctl->addrs[k], a[i].family, a[i].addr))
				return true;
	return false;
}

int classify_origin_add(struct classify *c, const char *label)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (!strcmp(c->origin[i], label))
			return (int)i + 1;
	if (c->norigins == CLASSIFY_ORIGINS_MAX)
		return -1;
	snprintf(c->origin[c->norigins], sizeof c->origin[0], "%s", label);
	return (int)++c->norigins;
}

const char *classify_control_text(const struct classify *c, const struct classify_control *ctl,
				  char *buf, size_t cap)
{
	/* Once a query: the constant texts without snprintf. */
	const char *t = ctl->expect == CLASSIFY_EXPECT_UNKNOWN ? ""
		: ctl->source == CLASSIFY_SRC_KEY		 ? "key"
		: ctl->source == CLASSIFY_SRC_RUN		 ? "run"
		: ctl->origin && ctl->origin <= c->norigins	 ? NULL
								 : "live";
	if (!t)
		snprintf(buf, cap, "live %s", c->origin[ctl->origin - 1]);
	else if (cap) {
		size_t n = strlen(t) < cap ? strlen(t) : cap - 1;
		memcpy(buf, t, n);
		buf[n] = '\0';
	}
	return buf;
}

int classify_control_add(struct classify *c, const uint8_t *name, uint16_t qtype,
			 const struct classify_control *ctl)
{
	uint8_t key[WIRE_NAME_MAX + 2];
	size_t kn = control_key(name, qtype, key);
	if (!kn || ctl->expect == CLASSIFY_EXPECT_UNKNOWN || qtype == 0)
		return -1;
	/* Only well-formed addresses are kept. */
	struct classify_control in = *ctl;
	in.naddrs = 0;
	for (unsigned i = 0; i < ctl->naddrs && i < CLASSIFY_CONTROL_ADDRS_MAX; i++)
		if (addr_len(ctl->addrs[i].family))
			in.addrs[in.naddrs++] = ctl->addrs[i];
	if (in.expect != CLASSIFY_EXPECT_ADDRS)
		in.naddrs = 0;
	else if (!in.naddrs)
		return -1;
	bool isnew;
	struct cval *v = bmap_put(&c->control, key, kn, &isnew);
	if (!v)
		return -1;
	if (isnew || in.source > v->source)
		return cval_store(c, v, &in);
	if (in.source < v->source || in.expect != v->expect)
		return 0; /* weaker source, or a different answer: the first stands */
	if (in.expect != CLASSIFY_EXPECT_ADDRS)
		return 0;
	/* Same source, both address sets: the union. */
	struct classify_control cur;
	cval_to_control(c, v, &cur);
	/* Live answers and earlier runs: only an answer consistent with what
	 * is held joins it; one that is not leaves the first standing. */
	if (in.source != CLASSIFY_SRC_KEY && !classify_consistent(in.addrs, in.naddrs, &cur))
		return 0;
	bool grew = false;
	for (unsigned i = 0; i < in.naddrs; i++) {
		bool have = false;
		for (unsigned j = 0; j < cur.naddrs; j++)
			have = have || addr_eq(&cur.addrs[j], in.addrs[i].family, in.addrs[i].addr);
		if (have)
			continue;
		if (cur.naddrs < CLASSIFY_CONTROL_ADDRS_MAX) {
			cur.addrs[cur.naddrs++] = in.addrs[i];
			grew = true;
		} else if (!cur.overflow) {
			cur.overflow = true;
			grew = true;
		}
	}
	cur.overflow = cur.overflow || in.overflow;
	return grew || (in.overflow && !v->overflow) ? cval_store(c, v, &cur) : 0;
}

int classify_control_complete(struct classify *c, const uint8_t *name, enum classify_source source)
{
	uint8_t key[WIRE_NAME_MAX + 2];
	size_t kn = control_key(name, 0, key);
	if (!kn)
		return -1;
	bool isnew;
	struct cval *v = bmap_put(&c->control, key, kn, &isnew);
	if (!v)
		return -1;
	if (isnew || source > v->source) {
		v->expect = CLASSIFY_EXPECT_NODATA;
		v->source = (uint8_t)source;
	}
	return 0;
}

void classify_control_get(const struct classify *c, const uint8_t *name, uint16_t qtype,
			  struct classify_control *out)
{
	uint8_t key[WIRE_NAME_MAX + 2];
	memset(out, 0, sizeof *out);
	if (!c->control.n)
		return; /* no control at all (a run without one): no key to make */
	size_t kn = control_key(name, qtype, key);
	if (!kn || qtype == 0)
		return;
	const struct cval *v = bmap_get(&c->control, key, kn);
	if (v) {
		cval_to_control(c, v, out);
		return;
	}
	/* A name the control lists completely has no record of another type. */
	key[kn - 2] = key[kn - 1] = 0;
	v = bmap_get(&c->control, key, kn);
	if (v) {
		out->expect = CLASSIFY_EXPECT_NODATA;
		out->source = (enum classify_source)v->source;
	}
}

size_t classify_control_count(const struct classify *c)
{
	return c->control.n;
}

int classify_control_from_result(struct classify *c, const struct probe_result *r,
				 enum classify_source source, uint8_t origin)
{
	unsigned n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	const struct probe_reply *p = NULL;
	/* The last usable reply: a control vantage point sees no injection,
	 * and if it did, the real answer is the later one. */
	for (unsigned i = 0; i < n; i++) {
		const struct probe_reply *q = &r->reply[i];
		if (!q->parsed || !q->question_match || !(q->flags & WIRE_FLAG_QR) ||
		    WIRE_OPCODE(q->flags) != 0 || ((q->flags & WIRE_FLAG_TC) && !q->ancount))
			continue;
		bool forged = classify_fp_group(c, q) >= 0;
		unsigned k = q->naddrs <= PROBE_ADDRS_MAX ? q->naddrs : PROBE_ADDRS_MAX;
		for (unsigned a = 0; a < k && !forged; a++)
			forged = classify_forged_has(c, q->addrs[a].family, q->addrs[a].addr, NULL);
		if (!forged)
			p = q;
	}
	if (!p)
		return 0;
	struct classify_control ctl;
	memset(&ctl, 0, sizeof ctl);
	ctl.source = source;
	ctl.origin = origin;
	if (p->rcode != WIRE_RCODE_NOERROR) {
		ctl.expect = CLASSIFY_EXPECT_RCODE;
		ctl.rcode = p->rcode;
	} else if (!p->naddrs) {
		ctl.expect = CLASSIFY_EXPECT_NODATA;
	} else {
		ctl.expect = CLASSIFY_EXPECT_ADDRS;
		unsigned k = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
		for (unsigned i = 0; i < k && i < CLASSIFY_CONTROL_ADDRS_MAX; i++)
			ctl.addrs[ctl.naddrs++] = p->addrs[i];
		ctl.overflow = p->ancount > PROBE_ADDRS_MAX + p->ncnames;
	}
	return classify_control_add(c, r->qname, r->qtype, &ctl) ? -1 : 1;
}

/* ---- the forged set -------------------------------------------------------------- */

/*
 * Teredo, 2001:0::/32 (RFC 4380): where the GFW's forged AAAA records sit,
 * with random low bits, so a resolver relays one the run never saw. No
 * name's real AAAA set is there in practice (Teredo addresses are a
 * client's tunnel endpoint, not a server's), so once forgeries were seen in
 * it, any AAAA in it counts as forged. Other prefixes are matched address
 * by address: an injector's pool of real addresses must not make a whole
 * provider's prefix look forged.
 */
static bool is_teredo(const uint8_t *a)
{
	return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0;
}

static int forged_put(struct classify *c, const uint8_t *key, size_t kn, int32_t group)
{
	bool isnew;
	int32_t *g = bmap_put(&c->forged, key, kn, &isnew);
	if (!g)
		return -1;
	if (isnew) {
		*g = group;
		return 1;
	}
	if (*g < 0 && group >= 0)
		*g = group; /* a preloaded address gets its first real group */
	return 0;
}

static bool forged_prefix_has(const struct classify *c, const uint8_t *addr, int32_t *group)
{
	if (!is_teredo(addr))
		return false;
	uint8_t key[5] = {'P', addr[0], addr[1], addr[2], addr[3]};
	const int32_t *g = bmap_get(&c->forged, key, sizeof key);
	if (g && group)
		*group = *g;
	return g != NULL;
}

int classify_forged_add(struct classify *c, int family, const uint8_t *addr, int32_t group)
{
	uint8_t key[17];
	size_t n = addr_len(family);
	if (!n)
		return -1;
	key[0] = family == AF_INET ? 4 : 6;
	memcpy(key + 1, addr, n);
	int rc = forged_put(c, key, n + 1, group);
	if (rc >= 0 && family == AF_INET6 && is_teredo(addr)) {
		uint8_t pkey[5] = {'P', addr[0], addr[1], addr[2], addr[3]};
		forged_put(c, pkey, sizeof pkey, group); /* full: the address alone still counts */
	}
	return rc;
}

bool classify_forged_has(const struct classify *c, int family, const uint8_t *addr, int32_t *group)
{
	uint8_t key[17];
	size_t n = addr_len(family);
	if (!n)
		return false;
	key[0] = family == AF_INET ? 4 : 6;
	memcpy(key + 1, addr, n);
	const int32_t *g = bmap_get(&c->forged, key, n + 1);
	if (g && group)
		*group = *g;
	return g != NULL;
}

static size_t forged_name_key(const uint8_t *name, uint8_t *key)
{
	size_t n = wire_name_len(name, WIRE_NAME_MAX);
	if (!n)
		return 0;
	key[0] = 'N';
	memcpy(key + 1, name, n);
	wire_name_canonicalize(key + 1);
	return n + 1;
}

int classify_forged_name_add(struct classify *c, const uint8_t *name, int32_t group)
{
	uint8_t key[WIRE_NAME_MAX + 1];
	size_t kn = forged_name_key(name, key);
	return kn ? forged_put(c, key, kn, group) : -1;
}

bool classify_forged_name_has(const struct classify *c, const uint8_t *name, int32_t *group)
{
	uint8_t key[WIRE_NAME_MAX + 1];
	size_t kn = forged_name_key(name, key);
	const int32_t *g = kn ? bmap_get(&c->forged, key, kn) : NULL;
	if (g && group)
		*group = *g;
	return g != NULL;
}

uint64_t classify_unkept(const struct classify *c)
{
	return c->unkept;
}

size_t classify_forged_count(const struct classify *c)
{
	return c->forged.n;
}

/* ---- fingerprints and groups ----------------------------------------------------- */

void classify_fp_of(const struct probe_reply *r, unsigned flags, struct classify_fp *fp)
{
	memset(fp, 0, sizeof *fp);
	bool v4 = r->ip_known && r->family == AF_INET;
	fp->df = v4 ? (int8_t)r->df : -1;
	fp->ipid_zero = v4 ? (int8_t)(r->ip_id == 0) : -1;
	fp->flags = r->flags;
	fp->rcode = r->rcode;
	fp->ancount = r->ancount;
	fp->nscount = r->nscount;
	fp->arcount = r->arcount;
	fp->answer_ptr = r->ancount && r->answer_ptr;
	if (flags & CLASSIFY_KEY_ANSWER_TTL) {
		fp->keyed_ttl = true;
		fp->answer_ttl = r->answer_ttl;
	}
}

bool classify_fp_equal(const struct classify_fp *a, const struct classify_fp *b)
{
	return a->df == b->df && a->ipid_zero == b->ipid_zero && a->flags == b->flags &&
	       a->rcode == b->rcode && a->ancount == b->ancount && a->nscount == b->nscount &&
	       a->arcount == b->arcount && a->answer_ptr == b->answer_ptr &&
	       a->keyed_ttl == b->keyed_ttl && (!a->keyed_ttl || a->answer_ttl == b->answer_ttl);
}

size_t classify_fp_format(const struct classify_fp *fp, char *buf, size_t cap)
{
	char rb[16];
	int n = snprintf(buf, cap, "df=%s ipid=%s flags=0x%04x rcode=%s an=%u ns=%u ar=%u owner=%s",
			 fp->df < 0 ? "?" : fp->df ? "1" : "0",
			 fp->ipid_zero < 0 ? "?" : fp->ipid_zero ? "zero" : "nonzero", fp->flags,
			 wire_rcode_name(fp->rcode, rb, sizeof rb), fp->ancount, fp->nscount,
			 fp->arcount, fp->answer_ptr ? "pointer" : "full");
	if (n >= 0 && fp->keyed_ttl && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " attl=%u", (unsigned)fp->answer_ttl);
	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return false;
	unsigned long v = strtoul(s, &end, 0);
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

int classify_fp_parse(const char *text, struct classify_fp *fp)
{
	char buf[512];
	unsigned seen = 0;
	if (strlen(text) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", text);
	memset(fp, 0, sizeof *fp);
	char *save = NULL;
	for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		const char *v = eq + 1;
		unsigned long u;
		if (!strcmp(w, "df")) {
			if (!strcmp(v, "?"))
				fp->df = -1;
			else if (!strcmp(v, "0") || !strcmp(v, "1"))
				fp->df = (int8_t)(v[0] - '0');
			else
				return -1;
			seen |= 1;
		} else if (!strcmp(w, "ipid")) {
			if (!strcmp(v, "?"))
				fp->ipid_zero = -1;
			else if (!strcmp(v, "zero"))
				fp->ipid_zero = 1;
			else if (!strcmp(v, "nonzero"))
				fp->ipid_zero = 0;
			else
				return -1;
			seen |= 2;
		} else if (!strcmp(w, "flags")) {
			if (!parse_uint(v, 0xffff, &u))
				return -1;
			fp->flags = (uint16_t)u;
			seen |= 4;
		} else if (!strcmp(w, "rcode")) {
			char rb[16];
			unsigned i;
			for (i = 0; i < 4096; i++)
				if (!strcmp(wire_rcode_name(i, rb, sizeof rb), v))
					break;
			if (i == 4096)
				return -1;
			fp->rcode = (uint16_t)i;
			seen |= 8;
		} else if (!strcmp(w, "an") || !strcmp(w, "ns") || !strcmp(w, "ar")) {
			if (!parse_uint(v, 0xffff, &u))
				return -1;
			if (w[0] == 'a' && w[1] == 'n')
				fp->ancount = (uint16_t)u, seen |= 16;
			else if (w[0] == 'n')
				fp->nscount = (uint16_t)u, seen |= 32;
			else
				fp->arcount = (uint16_t)u, seen |= 64;
		} else if (!strcmp(w, "owner")) {
			if (!strcmp(v, "pointer"))
				fp->answer_ptr = true;
			else if (strcmp(v, "full"))
				return -1;
			seen |= 128;
		} else if (!strcmp(w, "attl")) {
			if (!parse_uint(v, 0xffffffffu, &u))
				return -1;
			fp->keyed_ttl = true;
			fp->answer_ttl = (uint32_t)u;
		}
		/* other words (ranges, counts of a description) are not the key */
	}
	return seen == 255 ? 0 : -1;
}

size_t classify_group_count(const struct classify *c)
{
	return c->ngroups;
}

const struct classify_group *classify_group_get(const struct classify *c, size_t i)
{
	return i < c->ngroups ? &c->group[i] : NULL;
}

const struct classify_group *classify_group_find(const struct classify *c, int32_t id)
{
	return id >= 1 && (size_t)id <= c->ngroups ? &c->group[id - 1] : NULL;
}

/*
 * The group a fingerprint belongs to. An exact match first; then a
 * reply whose IP ID is 0 joins a group that differs only in sending nonzero
 * IDs: an injector drawing random IDs sends 0 once in 65,536 replies, and
 * that one reply is not a second injector. (An always-zero injector never
 * sends a nonzero ID, so the converse is not allowed.) Its index, or
 * c->ngroups for none.
 */
static size_t group_match(const struct classify *c, const struct classify_fp *fp)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (classify_fp_equal(&c->group[i].fp, fp))
			return i;
	if (fp->ipid_zero != 1)
		return c->ngroups;
	struct classify_fp nonzero = *fp;
	nonzero.ipid_zero = 0;
	for (size_t i = 0; i < c->ngroups; i++)
		if (classify_fp_equal(&c->group[i].fp, &nonzero))
			return i;
	return c->ngroups;
}

static struct classify_group *group_of(struct classify *c, const struct classify_fp *fp, bool create)
{
	size_t found = group_match(c, fp);
	if (found < c->ngroups)
		return &c->group[found];
	if (!create || c->ngroups >= CLASSIFY_GROUPS_MAX)
		return NULL;
	struct classify_group *g = &c->group[c->ngroups];
	memset(g, 0, sizeof *g);
	g->id = (int32_t)++c->ngroups;
	g->fp = *fp;
	return g;
}

/* Address ADDR of FAMILY into group G's list (if room and new) and the forged set. */
static void group_addr(struct classify *c, struct classify_group *g, int family,
		       const uint8_t *addr, uint32_t ttl)
{
	int isnew = classify_forged_add(c, family, addr, g ? g->id : -1);
	if (!g)
		return;
	if (isnew == 1)
		g->addrs_total++;
	for (unsigned i = 0; i < g->naddrs; i++)
		if (addr_eq(&g->addrs[i], family, addr))
			return;
	if (g->naddrs < CLASSIFY_GROUP_ADDRS_MAX) {
		struct probe_addr *a = &g->addrs[g->naddrs++];
		memset(a, 0, sizeof *a);
		a->family = family;
		memcpy(a->addr, addr, addr_len(family));
		a->ttl = ttl;
	}
}

static bool control_has(const struct classify_control *ctl, int family, const uint8_t *addr)
{
	if (!ctl || ctl->expect != CLASSIFY_EXPECT_ADDRS)
		return false;
	for (unsigned i = 0; i < ctl->naddrs; i++)
		if (addr_eq(&ctl->addrs[i], family, addr))
			return true;
	return false;
}

/*
 * Credit a forged reply. Addresses the control holds for this name are not
 * added to the forged set: an injector that happens to answer with the real
 * address must not make the real address look forged for other names.
 */
static int32_t group_credit(struct classify *c, const struct probe_reply *p, const uint8_t *qname,
			    const struct classify_control *ctl)
{
	struct classify_fp fp;
	classify_fp_of(p, c->flags, &fp);
	struct classify_group *g = group_of(c, &fp, true);
	if (g) {
		g->count++;
		if (p->ip_known) {
			if (!g->ip_known || p->ip_ttl < g->ip_ttl_min)
				g->ip_ttl_min = p->ip_ttl;
			if (!g->ip_known || p->ip_ttl > g->ip_ttl_max)
				g->ip_ttl_max = p->ip_ttl;
			g->ip_known = true;
		}
		if (p->ancount) {
			bool first = g->answer_ttl_min == 0 && g->answer_ttl_max == 0;
			if (first || p->answer_ttl < g->answer_ttl_min)
				g->answer_ttl_min = p->answer_ttl;
			if (first || p->answer_ttl > g->answer_ttl_max)
				g->answer_ttl_max = p->answer_ttl;
		}
		if (p->rcode == WIRE_RCODE_NXDOMAIN)
			g->nxdomain++;
	}
	unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
	for (unsigned i = 0; i < n; i++)
		if (!control_has(ctl, p->addrs[i].family, p->addrs[i].addr))
			group_addr(c, g, p->addrs[i].family, p->addrs[i].addr, p->addrs[i].ttl);
	if (p->rcode == WIRE_RCODE_NXDOMAIN && qname &&
	    !(ctl && ctl->expect == CLASSIFY_EXPECT_RCODE && ctl->rcode == WIRE_RCODE_NXDOMAIN))
		if (classify_forged_name_add(c, qname, g ? g->id : -1) < 0)
			c->unkept++; /* the verdict stands; later names are judged without it */
	return g ? g->id : -1;
}

int32_t classify_group_add(struct classify *c, const struct probe_reply *r, const uint8_t *qname)
{
	return group_credit(c, r, qname, NULL);
}

int32_t classify_group_load(struct classify *c, const char *fingerprint, uint64_t count,
			    const struct probe_addr *addrs, size_t naddrs)
{
	struct classify_fp fp;
	if (classify_fp_parse(fingerprint, &fp))
		return -1;
	struct classify_group *g = group_of(c, &fp, true);
	if (!g)
		return -1;
	g->count += count;
	for (size_t i = 0; i < naddrs; i++)
		if (addr_len(addrs[i].family))
			group_addr(c, g, addrs[i].family, addrs[i].addr, addrs[i].ttl);
	return g->id;
}

size_t classify_group_describe(const struct classify_group *g, char *buf, size_t cap)
{
	size_t n = classify_fp_format(&g->fp, buf, cap);
	int k = 0;
	if (n + 1 >= cap)
		return n;
	if (g->ip_known) {
		k = snprintf(buf + n, cap - n, " ip_ttl=%u-%u", g->ip_ttl_min, g->ip_ttl_max);
		if (k < 0 || (size_t)k >= cap - n)
			return cap - 1;
		n += (size_t)k;
	}
	if (g->answer_ttl_min || g->answer_ttl_max) {
		k = snprintf(buf + n, cap - n, " answer_ttl=%u-%u", (unsigned)g->answer_ttl_min,
			     (unsigned)g->answer_ttl_max);
		if (k < 0 || (size_t)k >= cap - n)
			return cap - 1;
		n += (size_t)k;
	}
	k = snprintf(buf + n, cap - n, " count=%llu addrs=%llu", (unsigned long long)g->count,
		     (unsigned long long)g->addrs_total);
	if (k < 0 || (size_t)k >= cap - n)
		return cap - 1;
	return n + (size_t)k;
}

/* ---- judging ------------------------------------------------------------------------ */

enum cmp { CMP_UNKNOWN = 0, CMP_MATCH, CMP_DIFFER };

enum why {
	WHY_NONE = 0,
	WHY_NODNS,      /* any reply from a target that runs no DNS */
	WHY_RACE,       /* differs from the control, and a later reply matches it */
	WHY_FP,         /* an established injector group's fingerprint */
	WHY_FHIT_AUTH,  /* forged address from an authoritative target */
	WHY_FHIT_RACE   /* forged address, and a later reply without one disagrees */
};

struct rinfo {
	bool valid;
	const char *noise;
	enum cmp cmp;
	int32_t fpgroup; /* an established group with this reply's fingerprint */
	bool fhit;       /* carries something the forged set holds (not the control's) */
	bool fprefix;    /* ... by its Teredo prefix only */
	int32_t fgroup;
	enum why why;
};

struct judge {
	struct classify *c;
	struct probe_result *r;
	const struct probe_target *t;
	enum probe_target_kind kind;
	struct classify_control ctl;
	unsigned n, nvalid, nnoise;
	const char *noise1;
	struct rinfo in[PROBE_REPLIES_MAX];
};

static const char *noise_reason(const struct probe_reply *p, const struct probe_target *t)
{
	if (!p->parsed)
		return "unparsable";
	if (!(p->flags & WIRE_FLAG_QR))
		return "not a response";
	if (WIRE_OPCODE(p->flags) != 0)
		return "not a QUERY";
	if (!p->question_match)
		return "another question";
	/* The source is checked only where both sides know it. */
	if (t && addr_len(t->family) && p->family == t->family &&
	    memcmp(p->src, t->addr, addr_len(t->family)) != 0)
		return "another source";
	if (t && t->port && p->sport && p->sport != t->port)
		return "another port";
	return NULL;
}

static enum cmp compare(const struct probe_reply *p, const struct classify_control *ctl)
{
	if (ctl->expect == CLASSIFY_EXPECT_UNKNOWN)
		return CMP_UNKNOWN;
	/* Truncated and empty: the answer is in the TCP reply, not here. */
	if ((p->flags & WIRE_FLAG_TC) && !p->ancount)
		return CMP_UNKNOWN;
	switch (ctl->expect) {
	case CLASSIFY_EXPECT_RCODE:
		return p->rcode == ctl->rcode ? CMP_MATCH : CMP_DIFFER;
	case CLASSIFY_EXPECT_NODATA:
		return p->rcode == WIRE_RCODE_NOERROR && !p->naddrs ? CMP_MATCH : CMP_DIFFER;
	case CLASSIFY_EXPECT_ADDRS:
		break;
	default:
		return CMP_UNKNOWN;
	}
	if (p->rcode != WIRE_RCODE_NOERROR || !p->naddrs)
		return CMP_DIFFER;
	bool unsure = false;
	unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
	/* Live and earlier-run controls: consistency by a shared address or
	 * prefix (classify_consistent); the answer key: address by address. */
	if (ctl->source != CLASSIFY_SRC_KEY) {
		if (classify_consistent(p->addrs, n, ctl))
			return CMP_MATCH;
		return ctl->overflow ? CMP_UNKNOWN : CMP_DIFFER;
	}
	for (unsigned i = 0; i < n; i++)
		if (!control_has(ctl, p->addrs[i].family, p->addrs[i].addr)) {
			if (!ctl->overflow)
				return CMP_DIFFER;
			unsure = true;
		}
	return unsure ? CMP_UNKNOWN : CMP_MATCH;
}

/* Same rcode and the same set of addresses. */
static bool same_answer(const struct probe_reply *a, const struct probe_reply *b)
{
	if (a->rcode != b->rcode || a->naddrs != b->naddrs)
		return false;
	unsigned n = a->naddrs <= PROBE_ADDRS_MAX ? a->naddrs : PROBE_ADDRS_MAX;
	for (unsigned i = 0; i < n; i++) {
		bool found = false;
		for (unsigned j = 0; j < n && !found; j++)
			found = addr_eq(&b->addrs[j], a->addrs[i].family, a->addrs[i].addr);
		if (!found)
			return false;
	}
	return true;
}

int32_t classify_fp_group(const struct classify *c, const struct probe_reply *p)
{
	struct classify_fp fp;
	classify_fp_of(p, c->flags, &fp);
	if (fp.df < 0 || fp.ipid_zero < 0)
		return -1;
	size_t i = group_match(c, &fp);
	return i < c->ngroups ? c->group[i].id : -1;
}

static bool forged_hit(const struct classify *c, const struct probe_reply *p, const uint8_t *qname,
		       const struct classify_control *ctl, int32_t *group, bool *prefix)
{
	unsigned n = p->naddrs <= PROBE_ADDRS_MAX ? p->naddrs : PROBE_ADDRS_MAX;
	*prefix = false;
	for (unsigned i = 0; i < n; i++)
		if (!control_has(ctl, p->addrs[i].family, p->addrs[i].addr) &&
		    classify_forged_has(c, p->addrs[i].family, p->addrs[i].addr, group))
			return true;
	for (unsigned i = 0; i < n; i++)
		if (p->addrs[i].family == AF_INET6 &&
		    !control_has(ctl, p->addrs[i].family, p->addrs[i].addr) &&
		    forged_prefix_has(c, p->addrs[i].addr, group)) {
			*prefix = true;
			return true;
		}
	if (p->rcode == WIRE_RCODE_NXDOMAIN &&
	    !(ctl->expect == CLASSIFY_EXPECT_RCODE && ctl->rcode == WIRE_RCODE_NXDOMAIN))
		return classify_forged_name_has(c, qname, group);
	return false;
}

/* ---- evidence text ---- */

struct ev {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void ev_add(struct ev *e, const char *fmt, ...)
{
	if (e->len + 1 >= e->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(e->buf + e->len, e->cap - e->len, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	e->len += (size_t)k;
	if (e->len >= e->cap)
		e->len = e->cap - 1;
}

/* Plain text, and a number: the pieces of the common verdicts, without
 * vsnprintf (which, three calls a query, was a tenth of the prober's
 * instructions). Cut as ev_add cuts. */
static void ev_str(struct ev *e, const char *s)
{
	if (e->len + 1 >= e->cap)
		return;
	size_t n = strlen(s), room = e->cap - 1 - e->len;
	if (n > room)
		n = room;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = '\0';
}

static void ev_uint(struct ev *e, unsigned v)
{
	char b[12];
	size_t n = sizeof b - 1;
	b[n] = '\0';
	do
		b[--n] = (char)('0' + v % 10);
	while (v /= 10);
	ev_str(e, b + n);
}

static const char *const ordinal[PROBE_REPLIES_MAX] = {
	"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"};

/* "65.49.2.178 (IP TTL 47, ID 0)", "NXDOMAIN (IP TTL 47, ID 0)", "no address (...)" */
static void ev_reply(struct ev *e, const struct probe_reply *p)
{
	char b[64];
	if (p->rcode != WIRE_RCODE_NOERROR) {
		ev_str(e, wire_rcode_name(p->rcode, b, sizeof b));
	} else if (p->naddrs) {
		ev_str(e, net_packet_addr_text(p->addrs[0].family, p->addrs[0].addr, b, sizeof b));
		if (p->naddrs > 1)
			ev_str(e, " +more");
	} else {
		ev_str(e, "no address");
	}
	if (p->ip_known) {
		ev_str(e, " (IP TTL ");
		ev_uint(e, p->ip_ttl);
		if (p->family == AF_INET) {
			ev_str(e, ", ID ");
			ev_uint(e, p->ip_id);
		}
		ev_str(e, ")");
	}
}

static void ev_control(struct ev *e, const struct classify_control *ctl)
{
	char b[64];
	switch (ctl->expect) {
	case CLASSIFY_EXPECT_ADDRS:
		ev_str(e, "control ");
		ev_str(e, net_packet_addr_text(ctl->addrs[0].family, ctl->addrs[0].addr, b, sizeof b));
		if (ctl->naddrs > 1) {
			ev_str(e, " +");
			ev_uint(e, ctl->naddrs - 1u);
		}
		break;
	case CLASSIFY_EXPECT_NODATA:
		ev_str(e, "control NODATA");
		break;
	case CLASSIFY_EXPECT_RCODE:
		ev_str(e, "control ");
		ev_str(e, wire_rcode_name(ctl->rcode, b, sizeof b));
		break;
	default:
		ev_str(e, "no control");
		break;
	}
}

static void ev_noise(struct ev *e, const struct judge *j)
{
	if (j->nnoise)
		ev_add(e, "; %u ignored (%s)", j->nnoise, j->noise1);
}

/* ---- the rules ---- */

static void set(struct judge *j, enum probe_verdict v)
{
	j->r->verdict = v;
}

static void judge_plain(struct judge *j);

static void commit_injected(struct judge *j)
{
	struct probe_result *r = j->r;
	struct ev e = {r->evidence, sizeof r->evidence, 0};
	int first = -1, nforged = 0;
	int32_t seen_groups[PROBE_REPLIES_MAX];
	int nseen = 0;
	for (unsigned i = 0; i < j->n; i++) {
		if (j->in[i].why == WHY_NONE)
			continue;
		int32_t gid = group_credit(j->c, &r->reply[i], r->qname, &j->ctl);
		bool dup = false;
		for (int k = 0; k < nseen; k++)
			dup = dup || seen_groups[k] == gid;
		if (!dup) {
			seen_groups[nseen++] = gid;
			struct classify_group *g = gid > 0 ? &j->c->group[gid - 1] : NULL;
			if (g)
				g->queries++;
		}
		r->reply_group[i] = gid > 0 ? gid : 0;
		if (first < 0) {
			first = (int)i;
			r->group = gid;
		}
		nforged++;
	}
	if (first < 0) { /* not reached: callers mark a reply first */
		judge_plain(j);
		return;
	}
	r->verdict = VERDICT_INJECTED;
	r->forged_reply = (int8_t)first;
	const struct probe_reply *p = &r->reply[first];
	const struct rinfo *in = &j->in[first];
	switch (in->why) {
	case WHY_NODNS:
		ev_add(&e, "%u %s from a target that runs no DNS: ", j->nvalid,
		       j->nvalid == 1 ? "reply" : "replies");
		ev_reply(&e, p);
		break;
	case WHY_RACE: {
		unsigned m = first;
		for (unsigned i = first + 1; i < j->n; i++)
			if (j->in[i].valid && j->in[i].cmp == CMP_MATCH)
				m = i;
		ev_add(&e, "%u replies; %s ", j->nvalid, ordinal[first]);
		ev_reply(&e, p);
		ev_add(&e, " differs from the control, %s matches", ordinal[m]);
		break;
	}
	case WHY_FP:
		ev_add(&e, "%s ", ordinal[first]);
		ev_reply(&e, p);
		if (in->cmp == CMP_DIFFER)
			ev_add(&e, " differs from the control with group %d's fingerprint", in->fpgroup);
		else
			ev_add(&e, " has group %d's fingerprint, another reply not%s", in->fpgroup,
			       in->cmp == CMP_MATCH ? " (it matches the control by chance)" : "");
		break;
	case WHY_FHIT_AUTH:
		ev_add(&e, "authoritative target sent ");
		ev_reply(&e, p);
		ev_add(&e, ", seen forged (group %d), unlike the control", in->fgroup);
		break;
	case WHY_FHIT_RACE:
		ev_add(&e, "%u replies; %s ", j->nvalid, ordinal[first]);
		ev_reply(&e, p);
		ev_add(&e, " seen forged (group %d), a later one differs", in->fgroup);
		break;
	default:
		break;
	}
	if (r->group > 0 && in->why != WHY_FP)
		ev_add(&e, "; group %d", r->group);
	if (nforged > 1)
		ev_add(&e, "; %d forged", nforged);
	ev_noise(&e, j);
}

static void judge_plain(struct judge *j)
{
	struct probe_result *r = j->r;
	struct ev e = {r->evidence, sizeof r->evidence, 0};
	char b[64];
	int a = -1;
	for (unsigned i = 0; i < j->n; i++)
		if (j->in[i].valid)
			a = (int)i;
	const struct probe_reply *p = &r->reply[a];
	enum cmp cmp = j->in[a].cmp;
	bool disagree = false; /* the valid replies do not all say the same */
	for (unsigned i = 0; i < j->n; i++)
		if (j->in[i].valid && !same_answer(&r->reply[i], p))
			disagree = true;

	if (p->rcode == WIRE_RCODE_NXDOMAIN || p->rcode == WIRE_RCODE_SERVFAIL ||
	    p->rcode == WIRE_RCODE_REFUSED) {
		if (cmp == CMP_MATCH) {
			set(j, VERDICT_OK);
			ev_add(&e, "%s, as the control", wire_rcode_name(p->rcode, b, sizeof b));
		} else {
			set(j, p->rcode == WIRE_RCODE_NXDOMAIN	  ? VERDICT_NXDOMAIN
			       : p->rcode == WIRE_RCODE_SERVFAIL ? VERDICT_SERVFAIL
								 : VERDICT_REFUSED);
			ev_add(&e, "%s", wire_rcode_name(p->rcode, b, sizeof b));
			if (p->has_ede) {
				const char *en = wire_ede_name(p->ede);
				ev_add(&e, " (EDE %u%s%s)", (unsigned)p->ede, en ? " " : "", en ? en : "");
			}
			ev_add(&e, "; ");
			ev_control(&e, &j->ctl);
			if (p->rcode == WIRE_RCODE_SERVFAIL && j->ctl.expect != CLASSIFY_EXPECT_UNKNOWN)
				ev_add(&e, " (a validating resolver that rejected a forgery says so)");
		}
	} else if (cmp == CMP_MATCH) {
		set(j, VERDICT_OK);
		ev_str(&e, "matches the ");
		ev_control(&e, &j->ctl);
	} else if (cmp == CMP_DIFFER) {
		set(j, VERDICT_INCONSISTENT);
		if (j->nvalid > 1 && disagree)
			ev_add(&e, "%u replies disagree; last ", j->nvalid);
		ev_reply(&e, p);
		ev_add(&e, " differs from the ");
		ev_control(&e, &j->ctl);
		ev_add(&e, "; not seen forged");
	} else if (disagree) {
		set(j, VERDICT_INCONSISTENT);
		ev_add(&e, "%u replies disagree and no control tells the real one; last ", j->nvalid);
		ev_reply(&e, p);
	} else {
		set(j, VERDICT_OK);
		ev_str(&e, j->ctl.expect == CLASSIFY_EXPECT_UNKNOWN ? "no control; " :
			   "not comparable (truncated, or outside a cut control set); ");
		ev_reply(&e, p);
	}
	if (j->nvalid > 1 && !disagree) {
		ev_str(&e, "; ");
		ev_uint(&e, j->nvalid);
		ev_str(&e, " replies alike");
	}
	ev_noise(&e, j);
}

static void judge_poisoned(struct judge *j, unsigned i)
{
	struct probe_result *r = j->r;
	struct ev e = {r->evidence, sizeof r->evidence, 0};
	r->verdict = VERDICT_POISONED;
	r->forged_reply = (int8_t)i;
	r->group = j->in[i].fgroup;
	r->reply_group[i] = r->group > 0 ? r->group : 0;
	ev_reply(&e, &r->reply[i]);
	if (r->reply[i].rcode == WIRE_RCODE_NXDOMAIN)
		ev_add(&e, " for a name seen forged NXDOMAIN");
	else if (j->in[i].fprefix)
		ev_add(&e, " is in 2001::/32, seen forged");
	else
		ev_add(&e, " was seen forged");
	if (r->group > 0)
		ev_add(&e, " (group %d)", r->group);
	ev_add(&e, "; ");
	ev_control(&e, &j->ctl);
	ev_add(&e, "; a resolver relaying a cached forgery");
	ev_noise(&e, j);
}

void classify_judge(struct classify *c, struct probe_result *r, const struct probe_target *t)
{
	struct judge j;
	memset(&j, 0, sizeof j);
	j.c = c;
	j.r = r;
	j.t = t;
	j.kind = t ? t->kind : TARGET_RESOLVER;
	j.n = r->nreplies <= PROBE_REPLIES_MAX ? r->nreplies : PROBE_REPLIES_MAX;
	r->verdict = VERDICT_NONE;
	r->forged_reply = -1;
	r->group = -1;
	memset(r->reply_group, 0, sizeof r->reply_group);
	memset(r->evidence, 0, sizeof r->evidence);
	struct ev e = {r->evidence, sizeof r->evidence, 0};
	classify_control_get(c, r->qname, r->qtype, &j.ctl);
	classify_control_text(c, &j.ctl, r->control, sizeof r->control);

	for (unsigned i = 0; i < j.n; i++) {
		struct rinfo *in = &j.in[i];
		const struct probe_reply *p = &r->reply[i];
		in->fpgroup = in->fgroup = -1;
		in->noise = noise_reason(p, t);
		if (in->noise) {
			if (!j.nnoise++)
				j.noise1 = in->noise;
			continue;
		}
		in->valid = true;
		j.nvalid++;
		in->cmp = compare(p, &j.ctl);
		in->fpgroup = classify_fp_group(c, p);
		in->fhit = forged_hit(c, p, r->qname, &j.ctl, &in->fgroup, &in->fprefix);
	}

	/* 1. Nothing usable came back. */
	if (!j.nvalid) {
		if (j.kind == TARGET_NODNS) {
			set(&j, VERDICT_OK);
			ev_add(&e, "no reply, as from an address that runs no DNS");
		} else {
			set(&j, VERDICT_TIMEOUT);
			ev_add(&e, "no %sreply in %u attempt%s", j.nnoise ? "usable " : "",
			       r->attempts, r->attempts == 1 ? "" : "s");
		}
		ev_noise(&e, &j);
		return;
	}

	/* 2. A target that runs no DNS: every reply is an injector's. */
	if (j.kind == TARGET_NODNS) {
		for (unsigned i = 0; i < j.n; i++)
			if (j.in[i].valid)
				j.in[i].why = WHY_NODNS;
		commit_injected(&j);
		return;
	}

	bool any = false;
	/* 3. The race: a reply that differs from the control, then one that
	 * matches it (Hold-On: the real reply comes last). */
	int last_match = -1;
	for (unsigned i = 0; i < j.n; i++)
		if (j.in[i].valid && j.in[i].cmp == CMP_MATCH)
			last_match = (int)i;
	for (int i = 0; i < last_match; i++)
		if (j.in[i].valid && j.in[i].cmp == CMP_DIFFER) {
			j.in[i].why = WHY_RACE;
			any = true;
		}

	/* 4. A known injector's fingerprint, on a reply that differs from the
	 * control, or beside a reply that carries no injector's fingerprint
	 * (two senders answered one query: one of them a known injector). */
	for (unsigned i = 0; i < j.n; i++) {
		struct rinfo *in = &j.in[i];
		if (!in->valid || in->why || in->fpgroup < 0)
			continue;
		bool other = false;
		for (unsigned k = 0; k < j.n; k++)
			if (k != i && j.in[k].valid && j.in[k].fpgroup < 0)
				other = true;
		if (in->cmp == CMP_DIFFER || other) {
			in->why = WHY_FP;
			any = true;
		}
	}

	/* 5. A forged address straight from the path: from an authoritative
	 * target (which relays nothing), or from a resolver when a later reply
	 * without it disagrees (the client saw the race itself). */
	for (unsigned i = 0; i < j.n; i++) {
		struct rinfo *in = &j.in[i];
		if (!in->valid || in->why || !in->fhit || in->cmp == CMP_MATCH)
			continue;
		if (j.kind == TARGET_AUTH) {
			in->why = WHY_FHIT_AUTH;
			any = true;
			continue;
		}
		for (unsigned k = i + 1; k < j.n; k++)
			if (j.in[k].valid && !j.in[k].fhit &&
			    !same_answer(&r->reply[k], &r->reply[i])) {
				in->why = WHY_FHIT_RACE;
				any = true;
				break;
			}
	}
	if (any) {
		commit_injected(&j);
		return;
	}

	/* 6. Poisoned: a resolver hands back what an injector was seen forging. */
	if (j.kind == TARGET_RESOLVER)
		for (unsigned i = 0; i < j.n; i++)
			if (j.in[i].valid && j.in[i].fhit && j.in[i].cmp != CMP_MATCH) {
				judge_poisoned(&j, i);
				return;
			}

	/* 7. Everything else, from the last usable reply and the control. */
	judge_plain(&j);
}

int classify_rank(const struct probe_target *t, bool control)
{
	if (control)
		return 0;
	switch (t->kind) {
	case TARGET_NODNS: return 1;
	case TARGET_AUTH: return 2;
	default: return 3;
	}
}

void classify_judge_name(struct classify *c, struct probe_result *const *r, size_t n,
			 const struct probe_target *targets, int control)
{
	for (int pass = 0; pass <= 3; pass++)
		for (size_t i = 0; i < n; i++) {
			const struct probe_target *t = &targets[r[i]->target];
			bool is_control = (int)r[i]->target == control;
			if (classify_rank(t, is_control) != pass)
				continue;
			/* Its answers recorded as "live LABEL" (classify_origin_add). */
			int origin = is_control ? classify_origin_add(c, t->label) : 0;
			if (is_control &&
			    classify_control_observe_from(c, r[i], origin > 0 ? (uint8_t)origin : 0) < 0)
				c->unkept++; /* judged against what the control table holds */
			classify_judge(c, r[i], t);
		}
}

bool classify_rejudge(struct classify *c, struct probe_result *r, const struct probe_target *t)
{
	if (r->verdict == VERDICT_INJECTED)
		return false;
	enum probe_verdict before = r->verdict;
	classify_judge(c, r, t);
	return r->verdict != before;
}
