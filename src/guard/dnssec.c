/* The guard's DNSSEC validator: chain of trust, denial, key store (see dnssec.h). */
#include "guard/dnssec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "util/hash.h"
#include "wire/msg.h"

#define STORE_SLOTS 4096   /* zones and names remembered (a power of 2) */
#define STORE_PROBE 16     /* slots looked at for one name */
#define SETS_MAX 128       /* RRsets in one reply that are looked at */
#define CHAIN_MAX 8        /* CNAMEs followed from the question */
#define KEEP_MAX 86400u    /* nothing learned is kept longer than a day */
#define T_DS 43
#define T_RRSIG 46
#define T_NSEC 47
#define T_DNSKEY 48
#define T_NSEC3 50

/* What the store knows about one name. */
enum zstate {
	Z_FREE = 0,
	Z_SECURE,   /* a signed zone: its DS set is validated (or an anchor) */
	Z_INSECURE, /* a delegation proven unsigned (NSEC: NS and no DS) */
	Z_NOTCUT    /* proven no zone cut (NSEC without NS, or no such name) */
};

struct zone {
	uint8_t state;
	bool anchor;                /* never evicted, never overwritten */
	uint8_t name[WIRE_NAME_MAX]; /* canonical (lower case) */
	uint64_t hash;
	uint64_t until;             /* wall seconds; 0: forever (anchors) */
	ldns_rr_list *ds;           /* Z_SECURE: DS set, or the anchors (DS and DNSKEY) */
	ldns_rr_list *keys;         /* its validated DNSKEY set, NULL until fetched */
	uint64_t keys_until;
};

struct guard_dnssec {
	struct zone z[STORE_SLOTS];
	size_t count;
	struct wire_rr rr[WIRE_RR_MAX]; /* one reply's records (too large for a stack) */
};

/* One RRset of a reply: records and the RRSIGs that cover them. */
struct rrset {
	ldns_rr_list *rrs, *sigs;
	uint16_t type;
	uint8_t section;
	const uint8_t *owner;     /* wire form, inside the first record's ldns owner */
};

struct reply {
	unsigned rcode;
	struct rrset set[SETS_MAX];
	unsigned nset;
};

const char *guard_dnssec_verdict_name(enum guard_dnssec_verdict v)
{
	static const char *const n[] = {"secure", "insecure", "bogus", "need"};
	return (unsigned)v < 4 ? n[v] : "?";
}

static enum guard_dnssec_verdict set_why(struct guard_dnssec_result *r, enum guard_dnssec_verdict v,
					 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum guard_dnssec_verdict set_why(struct guard_dnssec_result *r, enum guard_dnssec_verdict v,
					 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	r->verdict = v;
	return v;
}

static enum guard_dnssec_verdict need(struct guard_dnssec_result *r, const uint8_t *name, uint16_t type)
{
	char t[WIRE_NAME_TEXT_MAX];
	memcpy(r->need_name, name, wire_name_len(name, WIRE_NAME_MAX));
	r->need_type = type;
	wire_name_to_text(name, t, sizeof t);
	return set_why(r, GUARD_DNSSEC_NEED, "needs %s %s", t, type == T_DS ? "DS" : "DNSKEY");
}

static const char *text(const uint8_t *name, char *buf, size_t cap)
{
	if (!wire_name_to_text(name, buf, cap))
		snprintf(buf, cap, "?");
	return buf;
}

/* --- the store -------------------------------------------------------------------- */

static uint64_t name_hash(const uint8_t *canon)
{
	size_t n = wire_name_len(canon, WIRE_NAME_MAX);
	uint64_t h = HASH_FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = (h ^ canon[i]) * HASH_FNV_PRIME;
	return hash_fmix64(h);
}

static void canon_of(const uint8_t *name, uint8_t *out)
{
	memcpy(out, name, wire_name_len(name, WIRE_NAME_MAX));
	wire_name_canonicalize(out);
}

static void zone_clear(struct guard_dnssec *v, struct zone *z)
{
	if (z->state == Z_FREE)
		return;
	if (z->ds)
		ldns_rr_list_deep_free(z->ds);
	if (z->keys)
		ldns_rr_list_deep_free(z->keys);
	memset(z, 0, sizeof *z);
	v->count--;
}

/* The live entry for NAME, NULL if none (an expired one is dropped; expired
 * keys are forgotten, the zone's DS set may outlive them). */
static struct zone *store_find(struct guard_dnssec *v, const uint8_t *name, uint64_t now)
{
	uint8_t c[WIRE_NAME_MAX];
	canon_of(name, c);
	uint64_t h = name_hash(c);
	for (unsigned k = 0; k < STORE_PROBE; k++) {
		struct zone *z = &v->z[(h + k) & (STORE_SLOTS - 1)];
		if (z->state == Z_FREE || z->hash != h || !wire_name_equal(z->name, c))
			continue;
		if (z->until && z->until <= now) {
			zone_clear(v, z);
			return NULL;
		}
		if (z->keys && z->keys_until <= now) {
			ldns_rr_list_deep_free(z->keys);
			z->keys = NULL;
		}
		return z;
	}
	return NULL;
}

/* The entry for NAME to fill: its own, a free one, or the one that expires
 * first in its probe window (never an anchor). NULL if all are anchors. */
static struct zone *store_slot(struct guard_dnssec *v, const uint8_t *name)
{
	uint8_t c[WIRE_NAME_MAX];
	canon_of(name, c);
	uint64_t h = name_hash(c);
	struct zone *victim = NULL;
	for (unsigned k = 0; k < STORE_PROBE; k++) {
		struct zone *z = &v->z[(h + k) & (STORE_SLOTS - 1)];
		if (z->state != Z_FREE && z->hash == h && wire_name_equal(z->name, c))
			return z->anchor ? NULL : z;
		if (z->state == Z_FREE) {
			if (!victim || victim->state != Z_FREE)
				victim = z;
		} else if (!z->anchor && (!victim || (victim->state != Z_FREE && z->until < victim->until))) {
			victim = z;
		}
	}
	if (!victim)
		return NULL;
	zone_clear(v, victim);
	memcpy(victim->name, c, wire_name_len(c, WIRE_NAME_MAX));
	victim->hash = h;
	v->count++;
	return victim;
}

/* Put what NAME is, until UNTIL; DS (taken) for Z_SECURE. */
static void store_put(struct guard_dnssec *v, const uint8_t *name, enum zstate st, ldns_rr_list *ds,
		      uint64_t until)
{
	struct zone *z = store_slot(v, name);
	if (!z) {
		if (ds)
			ldns_rr_list_deep_free(ds);
		return;
	}
	if (z->ds)
		ldns_rr_list_deep_free(z->ds);
	if (z->keys && st != Z_SECURE) {
		ldns_rr_list_deep_free(z->keys);
		z->keys = NULL;
	}
	z->ds = ds;
	z->state = (uint8_t)st;
	z->until = until;
}

size_t guard_dnssec_count(const struct guard_dnssec *v)
{
	return v->count;
}

void guard_dnssec_free(struct guard_dnssec *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < STORE_SLOTS; i++)
		zone_clear(v, &v->z[i]);
	free(v);
}

int guard_dnssec_new(struct guard_dnssec **out, const char *file, struct dw_error *err)
{
	*out = NULL;
	FILE *fp = fopen(file, "re");
	if (!fp)
		return dw_error_errno(err, "%s", file);
	struct guard_dnssec *v = calloc(1, sizeof *v);
	if (!v) {
		fclose(fp);
		return dw_error_set(err, DW_E_NOMEM, "out of memory");
	}
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL, *prev = NULL;
	int line = 1, rc = 0;
	size_t anchors = 0;
	while (!rc && !feof(fp)) {
		ldns_rr *rr = NULL;
		int before = line;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		/* ldns skips comments and blank lines in the same call and counts
		 * the newline that ends the record: the record's (last) line is
		 * the one before, unless the file ended without a newline */
		int at = line > before ? line - 1 : line;
		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			rc = dw_error_at(err, DW_E_SYNTAX, file, (unsigned long)at, "%s",
					 ldns_get_errorstr_by_id(st));
			break;
		}
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_DNSKEY) {
			ldns_rr_free(rr);
			rc = dw_error_at(err, DW_E_SYNTAX, file, (unsigned long)at,
					 "a DS or DNSKEY record expected");
			break;
		}
		const uint8_t *owner = ldns_rdf_data(ldns_rr_owner(rr));
		struct zone *z = store_find(v, owner, 0);
		if (!z) {
			z = store_slot(v, owner);
			if (!z || !(z->ds = ldns_rr_list_new())) {
				ldns_rr_free(rr);
				rc = dw_error_set(err, DW_E_NOMEM, "%s: too many anchors", file);
				break;
			}
			z->state = Z_SECURE;
			z->anchor = true;
		}
		if (!ldns_rr_list_push_rr(z->ds, rr)) {
			ldns_rr_free(rr);
			rc = dw_error_set(err, DW_E_NOMEM, "out of memory");
			break;
		}
		anchors++;
	}
	if (!rc && ferror(fp))
		rc = dw_error_set(err, DW_E_IO, "%s: read failed", file);
	if (!rc && !anchors)
		rc = dw_error_at(err, DW_E_SYNTAX, file, (unsigned long)line, "no DS or DNSKEY record");
	fclose(fp);
	if (origin)
		ldns_rdf_deep_free(origin);
	if (prev)
		ldns_rdf_deep_free(prev);
	if (rc) {
		guard_dnssec_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

/* --- the reply, as RRsets ------------------------------------------------------------ */

static void reply_free(struct reply *rp)
{
	for (unsigned i = 0; i < rp->nset; i++) {
		ldns_rr_list_deep_free(rp->set[i].rrs);
		ldns_rr_list_deep_free(rp->set[i].sigs);
	}
	rp->nset = 0;
}

static struct rrset *set_of(struct reply *rp, const ldns_rr *rr, uint16_t type, uint8_t section)
{
	for (unsigned i = 0; i < rp->nset; i++) {
		struct rrset *s = &rp->set[i];
		if (s->type == type && s->section == section &&
		    wire_name_equal(s->owner, ldns_rdf_data(ldns_rr_owner(rr))))
			return s;
	}
	if (rp->nset == SETS_MAX)
		return NULL;
	struct rrset *s = &rp->set[rp->nset];
	s->rrs = ldns_rr_list_new();
	s->sigs = ldns_rr_list_new();
	if (!s->rrs || !s->sigs) {
		if (s->rrs)
			ldns_rr_list_free(s->rrs);
		if (s->sigs)
			ldns_rr_list_free(s->sigs);
		return NULL;
	}
	s->type = type;
	s->section = section;
	s->owner = NULL;
	rp->nset++;
	return s;
}

/* Parse MSG with the wire codec (every bound checked once), then convert
 * the answer and authority records to ldns's form, grouped in RRsets with
 * their RRSIGs. false with R's evidence if it cannot be read. */
static bool reply_read(struct guard_dnssec *v, const uint8_t *msg, size_t len, struct reply *rp,
		       struct guard_dnssec_result *r)
{
	struct wire_msg m;
	rp->nset = 0;
	if (wire_msg_parse(&m, msg, len, v->rr, WIRE_RR_MAX) != DW_OK) {
		char b[128];
		set_why(r, GUARD_DNSSEC_BOGUS, "reply does not parse: %s", wire_error_describe(&m.err, b, sizeof b));
		return false;
	}
	rp->rcode = wire_msg_rcode(&m);
	for (size_t i = 0; i < m.rr_count; i++) {
		const struct wire_rr *w = &m.rr[i];
		if (w->section != WIRE_SEC_ANSWER && w->section != WIRE_SEC_AUTHORITY)
			continue;
		ldns_rr *rr = NULL;
		size_t pos = w->owner_off;
		ldns_status st = ldns_wire2rr(&rr, msg, len, &pos,
					      w->section == WIRE_SEC_ANSWER ? LDNS_SECTION_ANSWER
									   : LDNS_SECTION_AUTHORITY);
		if (st != LDNS_STATUS_OK) {
			set_why(r, GUARD_DNSSEC_BOGUS, "record %zu does not convert: %s", i,
				ldns_get_errorstr_by_id(st));
			reply_free(rp);
			return false;
		}
		uint16_t type = w->type;
		if (type == T_RRSIG) {
			ldns_rdf *cov = ldns_rr_rrsig_typecovered(rr);
			type = cov ? ldns_rdf2native_int16(cov) : 0;
		}
		struct rrset *s = set_of(rp, rr, type, w->section);
		if (!s || !ldns_rr_list_push_rr(w->type == T_RRSIG ? s->sigs : s->rrs, rr)) {
			ldns_rr_free(rr);
			set_why(r, GUARD_DNSSEC_BOGUS, "too many RRsets");
			reply_free(rp);
			return false;
		}
		if (!s->owner)
			s->owner = ldns_rdf_data(ldns_rr_owner(rr));
	}
	return true;
}

/* --- the chain --------------------------------------------------------------------- */

/* NAME one label shorter (NAME must not be the root). */
static const uint8_t *parent_of(const uint8_t *name)
{
	return name + 1 + name[0];
}

/* Is an ancestor of NAME (or NAME itself) a proven unsigned delegation? */
static bool under_insecure(struct guard_dnssec *v, const uint8_t *name, uint64_t now)
{
	for (const uint8_t *n = name;; n = parent_of(n)) {
		struct zone *z = store_find(v, n, now);
		if (z && z->state == Z_INSECURE)
			return true;
		if (z && z->state == Z_SECURE)
			return false; /* a signed zone below any unsigned one */
		if (!n[0])
			return false;
	}
}

/* The deepest signed zone the store knows (an anchor, or one validated
 * from it) at NAME or above it; NULL outside every anchor. */
static const struct zone *secure_above(struct guard_dnssec *v, const uint8_t *name, uint64_t now)
{
	for (const uint8_t *n = name;; n = parent_of(n)) {
		const struct zone *z = store_find(v, n, now);
		if (z && z->state == Z_SECURE)
			return z;
		if (!n[0])
			return NULL;
	}
}

/*
 * Data at NAME came without a signature: fine only under a delegation
 * proven unsigned. From the deepest zone the store knows above NAME, down
 * label by label: a name not yet known needs its DS question (the parent's
 * signed answer tells cut, unsigned cut or no cut); NAME reached through
 * names proven no cut, inside a signed zone: bogus.
 */
static enum guard_dnssec_verdict unsigned_data(struct guard_dnssec *v, const uint8_t *name,
					       const uint8_t *owner, uint16_t type, uint64_t now,
					       struct guard_dnssec_result *r)
{
	const uint8_t *path[128];
	unsigned n = 0;
	struct zone *zone = NULL;
	for (const uint8_t *p = name; n < 128; p = parent_of(p)) {
		struct zone *z = store_find(v, p, now);
		if (z && z->state == Z_INSECURE)
			return set_why(r, GUARD_DNSSEC_INSECURE, "under an unsigned delegation");
		if (z && z->state == Z_SECURE) {
			zone = z;
			break;
		}
		path[n++] = p;
		if (!p[0])
			break;
	}
	if (!zone)
		return set_why(r, GUARD_DNSSEC_INSECURE, "outside every trust anchor");
	/* path[n-1] is one label under the zone, path[0] is NAME */
	while (n > 0) {
		const uint8_t *p = path[--n];
		struct zone *z = store_find(v, p, now);
		if (!z)
			return need(r, p, T_DS);
		if (z->state == Z_INSECURE)
			return set_why(r, GUARD_DNSSEC_INSECURE, "under an unsigned delegation");
	}
	char a[WIRE_NAME_TEXT_MAX], b[WIRE_NAME_TEXT_MAX], t[16];
	return set_why(r, GUARD_DNSSEC_BOGUS, "no RRSIG for %s/%s in signed zone %s", text(owner, a, sizeof a),
		       wire_type_name(type, t, sizeof t), text(zone->name, b, sizeof b));
}

static uint32_t min_ttl_of(const ldns_rr_list *l)
{
	uint32_t m = KEEP_MAX;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(l, i)) < m)
			m = ldns_rr_ttl(ldns_rr_list_rr(l, i));
	return m;
}

/* How long what SIG proves may be kept: the records' TTL, the signature's
 * original TTL, its expiration, a day. */
static uint64_t keep_until(const ldns_rr_list *rrs, const ldns_rr *sig, uint64_t now)
{
	uint64_t ttl = min_ttl_of(rrs);
	if (sig) {
		ldns_rdf *o = ldns_rr_rrsig_origttl(sig), *e = ldns_rr_rrsig_expiration(sig);
		if (o && ldns_rdf2native_int32(o) < ttl)
			ttl = ldns_rdf2native_int32(o);
		if (e) {
			/* RFC 4034 3.1.5: serial number arithmetic on 32 bits */
			int32_t left = (int32_t)(ldns_rdf2native_int32(e) - (uint32_t)now);
			if (left < 0)
				left = 0;
			if ((uint64_t)left < ttl)
				ttl = (uint64_t)left;
		}
	}
	return now + (ttl ? ttl : 1);
}

/*
 * Verify RRset S with the keys of the zone that signed it. SECURE (*USED
 * gets the signature that verified), INSECURE (unsigned, under an unsigned
 * delegation; or signed by a zone under one), NEED (the signer's DS or keys),
 * BOGUS (no signature verifies, or none where one is due). PARENT_SIDE: the
 * data belongs to the zone above its owner (a DS RRset, or anything in the
 * reply to a DS question at that owner, which the parent answers).
 */
static enum guard_dnssec_verdict verify_set(struct guard_dnssec *v, const struct rrset *s, bool parent_side,
					    uint64_t now, const ldns_rr **used, struct guard_dnssec_result *r)
{
	char a[WIRE_NAME_TEXT_MAX], b[WIRE_NAME_TEXT_MAX], t[16];
	size_t nsig = ldns_rr_list_rr_count(s->sigs);
	if (!ldns_rr_list_rr_count(s->rrs))
		return set_why(r, GUARD_DNSSEC_BOGUS, "RRSIG for %s/%s without the records", text(s->owner, a, sizeof a),
			       wire_type_name(s->type, t, sizeof t));
	if (!nsig) {
		/* the DS RRset lives in the parent: its zone is above the owner
		 * (were the owner asked whether it is a cut, the answer would
		 * wait for itself) */
		if ((parent_side || s->type == T_DS) && s->owner[0])
			return unsigned_data(v, parent_of(s->owner), s->owner, s->type, now, r);
		return unsigned_data(v, s->owner, s->owner, s->type, now, r);
	}
	ldns_status last = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	const uint8_t *need_zone = NULL;
	bool insecure = false, have_why = false;
	/* the signed zone the data is known to sit in: a signer above it is a
	 * forger's (a signature "by the root" for a name under an anchor
	 * that is not the root would otherwise count as outside every anchor) */
	const struct zone *top =
		secure_above(v, (parent_side || s->type == T_DS) && s->owner[0] ? parent_of(s->owner) : s->owner, now);
	uint8_t top_name[WIRE_NAME_MAX] = {0};
	if (top)
		memcpy(top_name, top->name, wire_name_len(top->name, WIRE_NAME_MAX));
	for (size_t i = 0; i < nsig; i++) {
		const ldns_rr *sig = ldns_rr_list_rr(s->sigs, i);
		ldns_rdf *signer = ldns_rr_rrsig_signame(sig);
		if (!signer || ldns_rdf_get_type(signer) != LDNS_RDF_TYPE_DNAME)
			continue;
		const uint8_t *sn = ldns_rdf_data(signer);
		/* a signer must be the owner's zone: the owner or above it (a DS
		 * only above: RFC 4035 5.3.1) */
		if (!wire_name_is_subdomain(s->owner, sn) || (s->type == T_DS && wire_name_equal(s->owner, sn))) {
			have_why = true;
			set_why(r, GUARD_DNSSEC_BOGUS, "RRSIG over %s/%s by %s, not its zone", text(s->owner, a, sizeof a),
				wire_type_name(s->type, t, sizeof t), text(sn, b, sizeof b));
			continue;
		}
		if (top && !wire_name_is_subdomain(sn, top_name)) {
			have_why = true;
			char c[WIRE_NAME_TEXT_MAX];
			set_why(r, GUARD_DNSSEC_BOGUS, "RRSIG over %s/%s by %s, above its signed zone %s",
				text(s->owner, a, sizeof a), wire_type_name(s->type, t, sizeof t), text(sn, b, sizeof b),
				text(top_name, c, sizeof c));
			continue;
		}
		if (!top || under_insecure(v, sn, now)) {
			insecure = true; /* no anchor can vouch for it, or an unsigned cut above it */
			continue;
		}
		struct zone *z = store_find(v, sn, now);
		if (!z || z->state != Z_SECURE) {
			if (!z)
				need_zone = sn;
			continue;
		}
		if (!z->keys) {
			if (!need_zone)
				need_zone = sn;
			continue;
		}
		ldns_status st = ldns_verify_rrsig_keylist_time(s->rrs, sig, z->keys, (time_t)now, NULL);
		if (st == LDNS_STATUS_OK) {
			*used = sig;
			return set_why(r, GUARD_DNSSEC_SECURE, "%s/%s signed by %s", text(s->owner, a, sizeof a),
				       wire_type_name(s->type, t, sizeof t), text(sn, b, sizeof b));
		}
		last = st;
		need_zone = NULL; /* a key that fails is an answer, not a lack */
		have_why = true;
		set_why(r, GUARD_DNSSEC_BOGUS, "RRSIG over %s/%s by %s: %s", text(s->owner, a, sizeof a),
			wire_type_name(s->type, t, sizeof t), text(sn, b, sizeof b), ldns_get_errorstr_by_id(st));
	}
	if (need_zone) {
		struct zone *z = store_find(v, need_zone, now);
		return need(r, need_zone, z && z->state == Z_SECURE ? T_DNSKEY : T_DS);
	}
	if (insecure)
		return set_why(r, GUARD_DNSSEC_INSECURE, "signed by a zone under an unsigned delegation");
	if (have_why)
		return GUARD_DNSSEC_BOGUS;
	return set_why(r, GUARD_DNSSEC_BOGUS, "RRSIG over %s/%s: %s", text(s->owner, a, sizeof a),
		       wire_type_name(s->type, t, sizeof t), ldns_get_errorstr_by_id(last));
}

/* A DNSKEY RRset of a zone whose DS set (or anchor) the store holds: it is
 * trusted when a key that a DS (or anchor) names signs it (RFC 4035 5.2). */
static enum guard_dnssec_verdict verify_keys(struct zone *z, const struct rrset *s,
					     uint64_t now, bool learn, struct guard_dnssec_result *r)
{
	char a[WIRE_NAME_TEXT_MAX];
	text(s->owner, a, sizeof a);
	ldns_rr_list *trusted = ldns_rr_list_new();
	if (!trusted)
		return set_why(r, GUARD_DNSSEC_BOGUS, "out of memory");
	for (size_t i = 0; i < ldns_rr_list_rr_count(s->rrs); i++)
		for (size_t k = 0; k < ldns_rr_list_rr_count(z->ds); k++)
			if (ldns_rr_compare_ds(ldns_rr_list_rr(z->ds, k), ldns_rr_list_rr(s->rrs, i))) {
				(void)ldns_rr_list_push_rr(trusted, ldns_rr_list_rr(s->rrs, i));
				break;
			}
	if (!ldns_rr_list_rr_count(trusted)) {
		ldns_rr_list_free(trusted);
		return set_why(r, GUARD_DNSSEC_BOGUS, "no DNSKEY of %s matches its DS or anchor", a);
	}
	ldns_status st = LDNS_STATUS_CRYPTO_NO_RRSIG;
	const ldns_rr *used = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(s->sigs) && !used; i++) {
		st = ldns_verify_rrsig_keylist_time(s->rrs, ldns_rr_list_rr(s->sigs, i), trusted, (time_t)now, NULL);
		if (st == LDNS_STATUS_OK)
			used = ldns_rr_list_rr(s->sigs, i);
	}
	ldns_rr_list_free(trusted); /* shallow: the keys belong to S */
	if (!used)
		return set_why(r, GUARD_DNSSEC_BOGUS, "DNSKEY set of %s: %s", a, ldns_get_errorstr_by_id(st));
	if (learn) {
		ldns_rr_list *keys = ldns_rr_list_clone(s->rrs);
		if (keys) {
			if (z->keys)
				ldns_rr_list_deep_free(z->keys);
			z->keys = keys;
			z->keys_until = keep_until(s->rrs, used, now);
		}
	}
	return set_why(r, GUARD_DNSSEC_SECURE, "DNSKEY set of %s matches its DS", a);
}

/* --- denial (RFC 4035 5.4, NSEC only) ------------------------------------------------ */

/* The longest common ancestor of A and B (a suffix of A). */
static const uint8_t *common_ancestor(const uint8_t *a, const uint8_t *b)
{
	for (const uint8_t *p = a;; p = parent_of(p)) {
		if (wire_name_is_subdomain(b, p))
			return p;
		if (!p[0])
			return p;
	}
}

/* What an NSEC denial proves about NAME, TYPE. */
enum denial { D_NONE, D_NODATA, D_NXDOMAIN };

struct denial_info {
	bool cut_unsigned;  /* NODATA at NAME: NS without DS and SOA (an unsigned delegation) */
	bool no_cut;        /* NAME is no zone cut (NSEC without NS, or no such name) */
	const ldns_rr *sig; /* one signature behind it (for the keep time) */
	const ldns_rr_list *rrs;
};

static bool nsec_has(const ldns_rr *nsec, uint16_t type)
{
	ldns_rdf *bm = ldns_nsec_get_bitmap(nsec);
	return bm && ldns_nsec_bitmap_covers_type(bm, type);
}

/* Does a verified NSEC in SECURE_NSEC[0..N) prove the denial RCODE claims
 * for NAME, TYPE? NODATA: an NSEC at NAME without TYPE and CNAME, or an
 * empty non-terminal (an NSEC covering NAME whose next name is under it).
 * NXDOMAIN: an NSEC covering NAME and one covering the wildcard at the
 * closest encloser. */
static enum denial denial_of(const struct rrset *const *nsec, unsigned n, const uint8_t *name,
			     uint16_t type, unsigned rcode, struct denial_info *d)
{
	ldns_rdf *qn = ldns_dname_new_frm_data((uint16_t)wire_name_len(name, WIRE_NAME_MAX), name);
	if (!qn)
		return D_NONE;
	enum denial res = D_NONE;
	const uint8_t *ce = NULL;
	bool covered = false;
	for (unsigned i = 0; i < n && res == D_NONE; i++) {
		for (size_t k = 0; k < ldns_rr_list_rr_count(nsec[i]->rrs); k++) {
			const ldns_rr *rr = ldns_rr_list_rr(nsec[i]->rrs, k);
			ldns_rdf *next = ldns_rr_rdf(rr, 0);
			if (!next || ldns_rdf_get_type(next) != LDNS_RDF_TYPE_DNAME)
				continue;
			d->sig = ldns_rr_list_rr(nsec[i]->sigs, 0);
			d->rrs = nsec[i]->rrs;
			if (rcode == WIRE_RCODE_NOERROR && wire_name_equal(nsec[i]->owner, name)) {
				if (!nsec_has(rr, type) && !nsec_has(rr, WIRE_T_CNAME)) {
					d->no_cut = !nsec_has(rr, WIRE_T_NS) || nsec_has(rr, WIRE_T_SOA);
					d->cut_unsigned = nsec_has(rr, WIRE_T_NS) && !nsec_has(rr, T_DS) &&
							  !nsec_has(rr, WIRE_T_SOA);
					res = D_NODATA;
				}
				break;
			}
			/* ldns counts the owner itself as covered; a name that owns an
			 * NSEC exists */
			if (wire_name_equal(nsec[i]->owner, name) || !ldns_nsec_covers_name(rr, qn))
				continue;
			if (rcode == WIRE_RCODE_NOERROR &&
			    wire_name_is_subdomain(ldns_rdf_data(next), name)) {
				d->no_cut = true; /* an empty non-terminal */
				res = D_NODATA;
				break;
			}
			if (rcode == WIRE_RCODE_NXDOMAIN) {
				covered = true;
				const uint8_t *c1 = common_ancestor(name, nsec[i]->owner);
				const uint8_t *c2 = common_ancestor(name, ldns_rdf_data(next));
				const uint8_t *c = wire_name_len(c1, WIRE_NAME_MAX) > wire_name_len(c2, WIRE_NAME_MAX) ? c1 : c2;
				if (!ce || wire_name_len(c, WIRE_NAME_MAX) > wire_name_len(ce, WIRE_NAME_MAX))
					ce = c;
			}
		}
	}
	if (res == D_NONE && covered && ce) {
		/* no wildcard at the closest encloser could have answered */
		uint8_t wc[WIRE_NAME_MAX];
		size_t cl = wire_name_len(ce, WIRE_NAME_MAX);
		if (cl + 2 <= WIRE_NAME_MAX) {
			wc[0] = 1;
			wc[1] = '*';
			memcpy(wc + 2, ce, cl);
			ldns_rdf *w = ldns_dname_new_frm_data((uint16_t)(cl + 2), wc);
			for (unsigned i = 0; w && i < n && res == D_NONE; i++)
				for (size_t k = 0; k < ldns_rr_list_rr_count(nsec[i]->rrs); k++)
					if (!wire_name_equal(nsec[i]->owner, wc) &&
					    ldns_nsec_covers_name(ldns_rr_list_rr(nsec[i]->rrs, k), w)) {
						d->no_cut = true;
						res = D_NXDOMAIN;
						break;
					}
			if (w)
				ldns_rdf_deep_free(w);
		}
	}
	ldns_rdf_deep_free(qn);
	return res;
}

/* Is NSEC3 record RR the one at NAME's hash (RFC 5155 8.5, 8.6)? */
static bool nsec3_at(const ldns_rr *rr, const ldns_rdf *name)
{
	ldns_rdf *h = ldns_nsec3_hash_name_frm_nsec3(rr, name);
	ldns_rdf *zone = ldns_dname_left_chop(ldns_rr_owner(rr));
	bool at = h && zone && ldns_dname_cat(h, zone) == LDNS_STATUS_OK &&
		  ldns_dname_compare(h, ldns_rr_owner(rr)) == 0;
	if (h)
		ldns_rdf_deep_free(h);
	if (zone)
		ldns_rdf_deep_free(zone);
	return at;
}

/*
 * NSEC3 (RFC 5155 8), on the NSEC3 records whose signatures verified. The
 * NSEC3 at NAME's own hash is looked for here (NODATA, and what NAME is for
 * a DS question: libldns 1.8.3 leaks a name on that path); the rest of the
 * logic is libldns's (ldns_dnssec_verify_denial_nsec3_match: the closest
 * encloser and the wildcard for NXDOMAIN, wildcard NODATA, and for a DS
 * question the opt-out span over an unsigned delegation).
 */
static enum denial denial_nsec3(const struct rrset *const *sets, unsigned n, const uint8_t *name,
				uint16_t qtype, unsigned rcode, struct denial_info *d)
{
	ldns_rr_list *all = ldns_rr_list_new();
	ldns_rr *q = ldns_rr_new();
	ldns_rdf *owner = ldns_dname_new_frm_data((uint16_t)wire_name_len(name, WIRE_NAME_MAX), name);
	enum denial res = D_NONE;
	if (!all || !q || !owner) {
		if (owner)
			ldns_rdf_deep_free(owner);
		goto out;
	}
	ldns_rr_set_owner(q, owner);
	ldns_rr_set_type(q, (ldns_rr_type)qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	for (unsigned i = 0; i < n; i++)
		for (size_t k = 0; k < ldns_rr_list_rr_count(sets[i]->rrs); k++) {
			const ldns_rr *rr = ldns_rr_list_rr(sets[i]->rrs, k);
			(void)ldns_rr_list_push_rr(all, ldns_rr_list_rr(sets[i]->rrs, k));
			if (rcode != WIRE_RCODE_NOERROR || res != D_NONE || !nsec3_at(rr, owner))
				continue;
			ldns_rdf *bm = ldns_nsec3_bitmap(rr);
			if (!bm || ldns_nsec_bitmap_covers_type(bm, (ldns_rr_type)qtype) ||
			    ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_CNAME))
				goto out; /* NAME has the type: nothing is denied */
			bool ns = ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_NS);
			bool soa = ldns_nsec_bitmap_covers_type(bm, LDNS_RR_TYPE_SOA);
			d->cut_unsigned = ns && !soa; /* DS is not in it: checked above */
			d->no_cut = !ns || soa;
			d->rrs = sets[i]->rrs;
			d->sig = ldns_rr_list_rr(sets[i]->sigs, 0);
			res = D_NODATA;
		}
	if (res != D_NONE)
		goto out;
	ldns_rr *match = NULL;
	ldns_status st = ldns_dnssec_verify_denial_nsec3_match(q, all, NULL, (ldns_pkt_rcode)rcode, (ldns_rr_type)qtype,
								 rcode == WIRE_RCODE_NOERROR, &match);
	if (st != LDNS_STATUS_OK || !match)
		goto out;
	for (unsigned i = 0; i < n && !d->rrs; i++)
		for (size_t k = 0; k < ldns_rr_list_rr_count(sets[i]->rrs); k++)
			if (ldns_rr_list_rr(sets[i]->rrs, k) == match) {
				d->rrs = sets[i]->rrs;
				d->sig = ldns_rr_list_rr(sets[i]->sigs, 0);
			}
	if (rcode == WIRE_RCODE_NXDOMAIN) {
		d->no_cut = true;
		res = D_NXDOMAIN;
	} else {
		/* no NSEC3 at NAME's hash: a wildcard NODATA, or for a DS
		 * question an opt-out span that may hold an unsigned delegation
		 * (RFC 5155 9.2) */
		d->cut_unsigned = qtype == T_DS && ldns_nsec3_optout(match);
		d->no_cut = !d->cut_unsigned;
		res = D_NODATA;
	}
out:
	if (q)
		ldns_rr_free(q); /* its owner with it */
	if (all)
		ldns_rr_list_free(all); /* shallow: the records are the sets' */
	return res;
}

/* --- the verdict ------------------------------------------------------------------- */

/*
 * A validated RRset at OWNER signed by zone Z proves that no zone cut lies
 * between Z and OWNER (below a cut the parent holds no authoritative data:
 * RFC 4035 2.2; what it does sign at a cut, DS and NSEC, is left out): the
 * names from OWNER up to Z are no cut, for as long as the signature is
 * kept. A forged unsigned answer for OWNER is then bogus at once, without
 * a DS question.
 */
static void learn_no_cut(struct guard_dnssec *v, const struct rrset *s, const ldns_rr *sig, uint64_t now)
{
	ldns_rdf *signer = ldns_rr_rrsig_signame(sig);
	if (!signer || s->type == T_DS || s->type == T_NSEC || s->type == T_NSEC3 || s->type == WIRE_T_NS)
		return;
	const uint8_t *sn = ldns_rdf_data(signer);
	uint64_t until = keep_until(s->rrs, sig, now);
	unsigned k = 0;
	for (const uint8_t *n = s->owner; n[0] && !wire_name_equal(n, sn) && k < 128; n = parent_of(n), k++) {
		struct zone *z = store_find(v, n, now);
		if (z && z->state != Z_NOTCUT)
			return; /* what a fetch proved stands */
		if (!z || z->until < until)
			store_put(v, n, Z_NOTCUT, NULL, until);
	}
}

static enum guard_dnssec_verdict negative(struct guard_dnssec *v, struct reply *rp, const uint8_t *name,
					  uint16_t qtype, uint64_t now, bool learn,
					  struct guard_dnssec_result *r)
{
	char a[WIRE_NAME_TEXT_MAX], t[16];
	const struct rrset *nsec[SETS_MAX], *nsec3[SETS_MAX];
	unsigned n = 0, n3 = 0;
	for (unsigned i = 0; i < rp->nset; i++) {
		const struct rrset *s = &rp->set[i];
		if (s->section != WIRE_SEC_AUTHORITY || (s->type != T_NSEC && s->type != T_NSEC3))
			continue;
		const ldns_rr *used = NULL;
		enum guard_dnssec_verdict vs = verify_set(v, s, false, now, &used, r);
		if (vs == GUARD_DNSSEC_NEED || vs == GUARD_DNSSEC_BOGUS)
			return vs;
		if (vs != GUARD_DNSSEC_SECURE)
			continue;
		if (s->type == T_NSEC)
			nsec[n++] = s;
		else
			nsec3[n3++] = s;
	}
	if (!n && !n3) {
		/* no proof at all: fine only where the zone is unsigned */
		enum guard_dnssec_verdict vu = unsigned_data(v, qtype == T_DS && name[0] ? parent_of(name) : name,
							     name, qtype, now, r);
		if (vu == GUARD_DNSSEC_BOGUS)
			set_why(r, GUARD_DNSSEC_BOGUS, "%s for %s/%s without an NSEC proof in a signed zone",
				rp->rcode == WIRE_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA", text(name, a, sizeof a),
				wire_type_name(qtype, t, sizeof t));
		return vu;
	}
	struct denial_info d = {0};
	enum denial res = n ? denial_of(nsec, n, name, qtype, rp->rcode, &d)
			    : denial_nsec3(nsec3, n3, name, qtype, rp->rcode, &d);
	if (res == D_NONE)
		return set_why(r, GUARD_DNSSEC_BOGUS, "%s for %s/%s: the %s records do not prove it",
			       rp->rcode == WIRE_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA", text(name, a, sizeof a),
			       wire_type_name(qtype, t, sizeof t), n ? "NSEC" : "NSEC3");
	if (learn && qtype == T_DS && name[0] && d.rrs) {
		uint64_t until = keep_until(d.rrs, d.sig, now);
		if (d.cut_unsigned)
			store_put(v, name, Z_INSECURE, NULL, until);
		else if (d.no_cut)
			store_put(v, name, Z_NOTCUT, NULL, until);
	}
	return set_why(r, GUARD_DNSSEC_SECURE, "%s for %s/%s proven by %s",
		       res == D_NXDOMAIN ? "NXDOMAIN" : "NODATA", text(name, a, sizeof a),
		       wire_type_name(qtype, t, sizeof t), n ? "NSEC" : "NSEC3");
}

enum guard_dnssec_verdict guard_dnssec_check(struct guard_dnssec *v, const uint8_t *msg, size_t len,
					     const uint8_t *qname, uint16_t qtype, uint64_t now,
					     bool learn, struct guard_dnssec_result *r)
{
	memset(r, 0, sizeof *r);
	r->verdict = GUARD_DNSSEC_BOGUS;
	struct reply rp;
	if (!reply_read(v, msg, len, &rp, r))
		return GUARD_DNSSEC_BOGUS;
	if (rp.rcode != WIRE_RCODE_NOERROR && rp.rcode != WIRE_RCODE_NXDOMAIN) {
		reply_free(&rp);
		return set_why(r, GUARD_DNSSEC_INSECURE, "rcode %u carries no proof", rp.rcode);
	}
	if (qtype == T_RRSIG) {
		/* signatures alone, apart from what they sign, prove nothing */
		reply_free(&rp);
		return set_why(r, GUARD_DNSSEC_INSECURE, "RRSIG question: nothing to validate");
	}
	if (qtype == WIRE_T_ANY) {
		/* every RRset at the name answers (RFC 8482 allows one) */
		enum guard_dnssec_verdict res = GUARD_DNSSEC_SECURE;
		unsigned n = 0;
		for (unsigned i = 0; i < rp.nset; i++) {
			const struct rrset *s = &rp.set[i];
			const ldns_rr *used = NULL;
			if (s->section != WIRE_SEC_ANSWER)
				continue;
			enum guard_dnssec_verdict vs = verify_set(v, s, false, now, &used, r);
			if (vs == GUARD_DNSSEC_BOGUS || vs == GUARD_DNSSEC_NEED) {
				reply_free(&rp);
				return vs;
			}
			if (vs == GUARD_DNSSEC_INSECURE)
				res = GUARD_DNSSEC_INSECURE;
			n++;
		}
		if (!n)
			res = negative(v, &rp, qname, qtype, now, false, r);
		reply_free(&rp);
		if (n)
			set_why(r, res, "%u RRsets of an ANY answer", n);
		r->verdict = res;
		return res;
	}
	/* the answer: the RRset at the question, or a CNAME chain to it */
	uint8_t name[WIRE_NAME_MAX];
	memcpy(name, qname, wire_name_len(qname, WIRE_NAME_MAX));
	enum guard_dnssec_verdict res = GUARD_DNSSEC_SECURE;
	bool answered = false;
	char first_why[sizeof r->why] = "";
	for (unsigned hop = 0; hop <= CHAIN_MAX && !answered; hop++) {
		struct rrset *s = NULL, *cname = NULL;
		for (unsigned i = 0; i < rp.nset; i++)
			if (rp.set[i].section == WIRE_SEC_ANSWER && wire_name_equal(rp.set[i].owner, name)) {
				if (rp.set[i].type == qtype)
					s = &rp.set[i];
				else if (rp.set[i].type == WIRE_T_CNAME)
					cname = &rp.set[i];
			}
		if (!s)
			s = cname;
		if (!s)
			break; /* the chain ends: what follows is a denial for NAME */
		struct zone *z;
		enum guard_dnssec_verdict vs;
		const ldns_rr *used = NULL;
		if (s->type == T_DNSKEY && (z = store_find(v, s->owner, now)) && z->state == Z_SECURE &&
		    !under_insecure(v, s->owner, now))
			vs = verify_keys(z, s, now, learn, r);
		else
			vs = verify_set(v, s, qtype == T_DS && wire_name_equal(s->owner, qname), now, &used, r);
		if (vs == GUARD_DNSSEC_BOGUS || vs == GUARD_DNSSEC_NEED) {
			reply_free(&rp);
			return vs;
		}
		if (used && ldns_rdf2native_int8(ldns_rr_rrsig_labels(used)) < wire_name_labels(s->owner)) {
			/* a wildcard answer (RFC 4035 5.3.4): the closer name must be
			 * proven absent; not done here, so not called secure */
			vs = GUARD_DNSSEC_INSECURE;
			snprintf(r->why, sizeof r->why, "wildcard answer: no proof of the closer name checked");
		}
		if (!first_why[0])
			snprintf(first_why, sizeof first_why, "%s", r->why);
		if (vs == GUARD_DNSSEC_INSECURE)
			res = GUARD_DNSSEC_INSECURE;
		if (learn && vs == GUARD_DNSSEC_SECURE && used)
			learn_no_cut(v, s, used, now);
		if (s->type == qtype) {
			answered = true;
			if (learn && vs == GUARD_DNSSEC_SECURE && qtype == T_DS && used &&
			    wire_name_equal(s->owner, qname)) {
				ldns_rr_list *ds = ldns_rr_list_clone(s->rrs);
				if (ds)
					store_put(v, s->owner, Z_SECURE, ds, keep_until(s->rrs, used, now));
			}
			break;
		}
		/* follow the CNAME */
		ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(s->rrs, 0), 0);
		if (!target || ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME) {
			reply_free(&rp);
			return set_why(r, GUARD_DNSSEC_BOGUS, "CNAME without a target");
		}
		memcpy(name, ldns_rdf_data(target), ldns_rdf_size(target));
	}
	if (!answered) {
		/* records in the answer that answer nothing (a forger's A record
		 * to a DS question): judged first, they say most */
		for (unsigned i = 0; i < rp.nset; i++) {
			const struct rrset *s = &rp.set[i];
			const ldns_rr *used = NULL;
			if (s->section != WIRE_SEC_ANSWER || !ldns_rr_list_rr_count(s->rrs) ||
			    ldns_rr_list_rr_count(s->sigs))
				continue;
			enum guard_dnssec_verdict vs =
				verify_set(v, s, qtype == T_DS && wire_name_equal(s->owner, qname), now, &used, r);
			if (vs == GUARD_DNSSEC_BOGUS || vs == GUARD_DNSSEC_NEED) {
				reply_free(&rp);
				return vs;
			}
		}
		enum guard_dnssec_verdict vn = negative(v, &rp, name, qtype, now, learn, r);
		if (vn != GUARD_DNSSEC_SECURE)
			res = vn;
	} else {
		snprintf(r->why, sizeof r->why, "%s", first_why);
	}
	reply_free(&rp);
	r->verdict = res;
	return res;
}
