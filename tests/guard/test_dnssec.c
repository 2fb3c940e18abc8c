/* The guard's DNSSEC validator (guard/dnssec) on zones signed here with libldns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "guard/dnssec.h"
#include "harness.h"
#include "wire/name.h"

/* example. is signed (its key's DS is the anchor); sub.example. is a signed
 * child (its DS in example.); plain.example. an unsigned child (NS, no DS). */
static const char parent_text[] =
	"$ORIGIN example.\n$TTL 3600\n"
	"@ IN SOA ns.example. admin.example. 1 3600 600 86400 300\n"
	"@ IN NS ns.example.\n"
	"ns IN A 192.0.2.1\n"
	"www IN A 192.0.2.10\n"
	"alias IN CNAME www.example.\n"
	"plain IN NS ns.plain.example.\n"
	"ns.plain IN A 192.0.2.30\n"
	"sub IN NS ns.sub.example.\n"
	"ns.sub IN A 192.0.2.20\n";
static const char child_text[] =
	"$ORIGIN sub.example.\n$TTL 3600\n"
	"@ IN SOA ns.sub.example. admin.example. 1 3600 600 86400 300\n"
	"@ IN NS ns.sub.example.\n"
	"ns IN A 192.0.2.20\n"
	"www IN A 192.0.2.21\n";

struct zone_keys {
	ldns_zone *signed_zone;
	ldns_rr *dnskey, *ds;
};

/* A fresh ECDSA P-256 key for ORIGIN (as lab/sign does). */
static ldns_key *new_key(const char *origin, ldns_rr **dnskey)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	CHECK(k != NULL);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(origin));
	ldns_key_set_flags(k, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY);
	*dnskey = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(*dnskey));
	return k;
}

/* Sign zone TEXT (plus EXTRA records) with a new key; NSEC3 (SHA-1, no
 * salt, no extra iterations, opt-out) instead of NSEC when asked. */
static void sign_zone(const char *text, const char *origin, ldns_rr *extra, bool nsec3, struct zone_keys *out)
{
	FILE *f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ldns_zone *z = NULL;
	ldns_rdf *o = ldns_dname_new_frm_str(origin);
	CHECK_EQ(ldns_zone_new_frm_fp(&z, f, o, 3600, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(f);
	ldns_rdf_deep_free(o);
	ldns_key_list *keys = ldns_key_list_new();
	ldns_key *k = new_key(origin, &out->dnskey);
	ldns_key_list_push_key(keys, k);
	ldns_zone_push_rr(z, ldns_rr_clone(out->dnskey));
	if (extra)
		ldns_zone_push_rr(z, extra);
	out->signed_zone = nsec3 ? ldns_zone_sign_nsec3(z, keys, LDNS_SHA1, LDNS_NSEC3_VARS_OPTOUT_MASK, 0, 0, NULL)
			       : ldns_zone_sign(z, keys);
	CHECK(out->signed_zone != NULL);
	out->ds = ldns_key_rr2ds(out->dnskey, LDNS_SHA256);
	ldns_zone_deep_free(z);
	ldns_key_list_free(keys);
}

static void zone_keys_free(struct zone_keys *z)
{
	ldns_zone_deep_free(z->signed_zone);
	ldns_rr_free(z->dnskey);
	ldns_rr_free(z->ds);
}

/* The records of Z at OWNER of TYPE and the RRSIGs over them, cloned into L. */
static void pick(const struct zone_keys *z, const char *owner, ldns_rr_type type, ldns_rr_list *l)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	ldns_rr_list *all = ldns_rr_list_clone(ldns_zone_rrs(z->signed_zone));
	ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_zone_soa(z->signed_zone)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), o) != 0)
			continue;
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == type || (t == LDNS_RR_TYPE_RRSIG &&
				  ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type))
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(all);
	ldns_rdf_deep_free(o);
}

/* Every NSEC3 of Z with its RRSIG (a validator finds in them what it needs). */
static void pick_nsec3(const struct zone_keys *z, ldns_rr_list *l)
{
	const ldns_rr_list *all = ldns_zone_rrs(z->signed_zone);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 ||
		    (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		     ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_NSEC3))
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
}

/* The NSEC of Z that covers NAME (owner < NAME < next), with its RRSIG. */
static void pick_cover(const struct zone_keys *z, const char *name, ldns_rr_list *l)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	const ldns_rr_list *all = ldns_zone_rrs(z->signed_zone);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC && ldns_dname_compare(ldns_rr_owner(rr), n) != 0 &&
		    ldns_nsec_covers_name(rr, n)) {
			char *o = ldns_rdf2str(ldns_rr_owner(rr));
			pick(z, o, LDNS_RR_TYPE_NSEC, l);
			free(o);
		}
	}
	ldns_rdf_deep_free(n);
}

/* A reply to QNAME QTYPE: RCODE, ANSWER and AUTHORITY (taken), in wire form. */
static size_t reply(uint8_t *buf, size_t cap, const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
		    ldns_rr_list *answer, ldns_rr_list *authority)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (answer) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(answer, i));
		ldns_rr_list_free(answer);
	}
	if (authority) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(authority); i++)
			ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, ldns_rr_list_rr(authority, i));
		ldns_rr_list_free(authority);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	CHECK_EQ(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	CHECK(len <= cap);
	memcpy(buf, wire, len < cap ? len : cap);
	free(wire);
	ldns_pkt_free(p);
	return len;
}

static struct zone_keys parent, child, parent3;
static char anchor_path[64];
static uint64_t now;

/* With DW_DNSSEC_SEEDS=DIR, every reply a test judges goes into a seed of
 * tests/fuzz/fuzz_dnssec (one file per test: [qtype u16][length u16][reply]
 * repeated), and DIR/anchor gets the anchor and the time they verify at. */
static uint8_t seed[1 << 16];
static size_t seed_len;

static void seed_add(uint16_t qtype, const uint8_t *m, size_t n)
{
	if (!getenv("DW_DNSSEC_SEEDS") || seed_len + 4 + n > sizeof seed)
		return;
	seed[seed_len++] = (uint8_t)(qtype >> 8);
	seed[seed_len++] = (uint8_t)qtype;
	seed[seed_len++] = (uint8_t)(n >> 8);
	seed[seed_len++] = (uint8_t)n;
	memcpy(seed + seed_len, m, n);
	seed_len += n;
}

static void seed_flush(const char *test)
{
	const char *dir = getenv("DW_DNSSEC_SEEDS");
	if (dir && seed_len) {
		char path[512];
		snprintf(path, sizeof path, "%s/seed-%s", dir, test);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(seed, 1, seed_len, f);
			fclose(f);
		}
	}
	seed_len = 0;
}

static enum guard_dnssec_verdict check(struct guard_dnssec *v, const uint8_t *m, size_t n, const char *qname,
				       uint16_t qtype, bool learn, struct guard_dnssec_result *r)
{
	uint8_t q[WIRE_NAME_MAX];
	size_t ql;
	CHECK_EQ(wire_name_from_text(qname, q, &ql), DW_OK);
	seed_add(qtype, m, n);
	return guard_dnssec_check(v, m, n, q, qtype, now, learn, r);
}

/* Feed the DNSKEY set of Z (as a fetch would) into V. */
static void feed_keys(struct guard_dnssec *v, const struct zone_keys *z, const char *origin)
{
	uint8_t m[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	pick(z, origin, LDNS_RR_TYPE_DNSKEY, a);
	size_t n = reply(m, sizeof m, origin, LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, origin, LDNS_RR_TYPE_DNSKEY, true, &r), GUARD_DNSSEC_SECURE);
}

/* The real answer for www.example. A validates once example.'s keys are in. */
static void test_good_answer(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	uint8_t m[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	CHECK_EQ(ldns_rr_list_rr_count(a), 2);
	size_t n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	/* first the keys are missing: the validator says which */
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	CHECK_EQ(r.need_type, 48);
	CHECK(wire_name_equal(r.need_name, (const uint8_t *)"\7example"));
	feed_keys(v, &parent, "example.");
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_SECURE);
	/* a CNAME chain in the zone: both RRsets verified */
	a = ldns_rr_list_new();
	pick(&parent, "alias.example.", LDNS_RR_TYPE_CNAME, a);
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	n = reply(m, sizeof m, "alias.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "alias.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_SECURE);
	/* ANY: every RRset at the name is checked */
	a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	pick(&parent, "www.example.", LDNS_RR_TYPE_NSEC, a);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_ANY, false, &r), GUARD_DNSSEC_SECURE);
	CHECK_STR(r.why, "2 RRsets of an ANY answer");
	a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_NSEC, a);
	ldns_rr *extra = NULL;
	CHECK_EQ(ldns_rr_new_frm_str(&extra, "www.example. 300 IN TXT forged", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, extra);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_ANY, LDNS_RCODE_NOERROR, a, NULL);
	CHECK(check(v, m, n, "www.example.", LDNS_RR_TYPE_ANY, false, &r) != GUARD_DNSSEC_SECURE);
	/* a signed answer for another name is no answer to this question */
	a = ldns_rr_list_new();
	pick(&parent, "ns.example.", LDNS_RR_TYPE_A, a);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r) != GUARD_DNSSEC_SECURE);
	guard_dnssec_free(v);
}

/* A forged address with the real RRSIG fails the signature. */
static void test_forged_with_real_sig(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	feed_keys(v, &parent, "example.");
	ldns_rr_list *a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++) {
		ldns_rr *rr = ldns_rr_list_rr(a, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A) {
			ldns_rdf *forged = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "65.49.2.178");
			ldns_rdf_deep_free(ldns_rr_set_rdf(rr, forged, 0));
		}
	}
	uint8_t m[8192];
	struct guard_dnssec_result r;
	size_t n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	CHECK(strstr(r.why, "RRSIG over www.example./A by example.") != NULL);
	/* the same forgery "signed by the root", which no anchor here covers:
	 * still bogus, not outside every anchor */
	a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++) {
		ldns_rr *rr = ldns_rr_list_rr(a, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A)
			ldns_rdf_deep_free(ldns_rr_set_rdf(rr, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "65.49.2.178"), 0));
		else
			ldns_rdf_deep_free(ldns_rr_set_rdf(rr, ldns_dname_new_frm_str("."), 7));
	}
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	CHECK_STR(r.why, "RRSIG over www.example./A by ., above its signed zone example.");
	guard_dnssec_free(v);
}

/* The forgery the wall sends (one A record, no RRSIG) under a signed zone:
 * the validator asks whether www.example. is a cut (DS), and the signed
 * NODATA says not: bogus. */
static void test_unsigned_in_signed_zone(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	feed_keys(v, &parent, "example.");
	uint8_t m[8192], d[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	ldns_rr *forged = NULL;
	CHECK_EQ(ldns_rr_new_frm_str(&forged, "www.example. 300 IN A 65.49.2.178", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, forged);
	size_t n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	CHECK_EQ(r.need_type, 43);
	CHECK(wire_name_equal(r.need_name, (const uint8_t *)"\3www\7example"));
	/* the DS question's real answer: NODATA, the NSEC at www.example. */
	ldns_rr_list *auth = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_SOA, auth);
	pick(&parent, "www.example.", LDNS_RR_TYPE_NSEC, auth);
	size_t dn = reply(d, sizeof d, "www.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, d, dn, "www.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_SECURE);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	CHECK_STR(r.why, "no RRSIG for www.example./A in signed zone example.");
	/* a validated answer teaches as much: ns.example. is no cut, so the
	 * wall's unsigned answer for it is bogus at once, no DS question */
	ldns_rr_list *real = ldns_rr_list_new();
	pick(&parent, "ns.example.", LDNS_RR_TYPE_A, real);
	size_t rn = reply(d, sizeof d, "ns.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, real, NULL);
	CHECK_EQ(check(v, d, rn, "ns.example.", LDNS_RR_TYPE_A, true, &r), GUARD_DNSSEC_SECURE);
	a = ldns_rr_list_new();
	CHECK_EQ(ldns_rr_new_frm_str(&forged, "ns.example. 300 IN A 65.49.2.178", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, forged);
	n = reply(m, sizeof m, "ns.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "ns.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	CHECK_STR(r.why, "no RRSIG for ns.example./A in signed zone example.");
	/* a DS answer without its NSEC, in a signed zone: bogus too */
	auth = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_SOA, auth);
	dn = reply(d, sizeof d, "ns.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, d, dn, "ns.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_BOGUS);
	guard_dnssec_free(v);
}

/* An unsigned child whose parent's signed NSEC shows NS and no DS: its
 * unsigned data is insecure, not bogus. */
static void test_insecure_child(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	feed_keys(v, &parent, "example.");
	uint8_t m[8192], d[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	CHECK_EQ(ldns_rr_new_frm_str(&rr, "host.plain.example. 300 IN A 192.0.2.31", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, rr);
	size_t n = reply(m, sizeof m, "host.plain.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "host.plain.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	CHECK(wire_name_equal(r.need_name, (const uint8_t *)"\5plain\7example"));
	CHECK_EQ(r.need_type, 43);
	ldns_rr_list *auth = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_SOA, auth);
	pick(&parent, "plain.example.", LDNS_RR_TYPE_NSEC, auth);
	size_t dn = reply(d, sizeof d, "plain.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, d, dn, "plain.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_SECURE);
	CHECK_EQ(check(v, m, n, "host.plain.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_INSECURE);
	/* a name outside every anchor is insecure at once */
	a = ldns_rr_list_new();
	CHECK_EQ(ldns_rr_new_frm_str(&rr, "www.other. 300 IN A 192.0.2.99", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, rr);
	n = reply(m, sizeof m, "www.other.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.other.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_INSECURE);
	guard_dnssec_free(v);
}

/* A signed child: its DS from the parent, then its keys, then its answer. */
static void test_signed_child(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	feed_keys(v, &parent, "example.");
	uint8_t m[8192], d[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	pick(&child, "www.sub.example.", LDNS_RR_TYPE_A, a);
	size_t n = reply(m, sizeof m, "www.sub.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.sub.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	CHECK_EQ(r.need_type, 43);
	a = ldns_rr_list_new();
	pick(&parent, "sub.example.", LDNS_RR_TYPE_DS, a);
	CHECK_EQ(ldns_rr_list_rr_count(a), 2);
	size_t dn = reply(d, sizeof d, "sub.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, d, dn, "sub.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_SECURE);
	CHECK_EQ(check(v, m, n, "www.sub.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	CHECK_EQ(r.need_type, 48);
	feed_keys(v, &child, "sub.example.");
	CHECK_EQ(check(v, m, n, "www.sub.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_SECURE);
	/* the parent's keys do not sign the child's data */
	a = ldns_rr_list_new();
	pick(&child, "www.sub.example.", LDNS_RR_TYPE_A, a);
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	guard_dnssec_free(v);
	ldns_rr_list_deep_free(a);
}

/* NXDOMAIN with its NSEC proof is secure; without it, bogus. */
static void test_negative(void)
{
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, anchor_path, &err), 0);
	feed_keys(v, &parent, "example.");
	uint8_t m[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *auth = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_SOA, auth);
	pick_cover(&parent, "nope.example.", auth);
	pick_cover(&parent, "*.example.", auth);
	size_t n = reply(m, sizeof m, "nope.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, auth);
	CHECK_EQ(check(v, m, n, "nope.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_SECURE);
	auth = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_SOA, auth);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, auth);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	/* NODATA at www.example. for AAAA */
	auth = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_NSEC, auth);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_AAAA, false, &r), GUARD_DNSSEC_SECURE);
	/* the same NSEC cannot deny the A record it lists */
	auth = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_NSEC, auth);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	guard_dnssec_free(v);
}

/* A zone signed with NSEC3 (opt-out): denials through libldns's NSEC3
 * logic; the unsigned child is proven insecure by the opt-out span, the
 * wall's unsigned answer is bogus, NXDOMAIN and NODATA are secure. */
static void test_nsec3(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/dw_ta_nsec3_%d", (int)getpid());
	FILE *f = fopen(path, "w");
	ldns_rr_print(f, parent3.ds);
	fclose(f);
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, path, &err), 0);
	feed_keys(v, &parent3, "example.");
	uint8_t m[16384], d[16384];
	struct guard_dnssec_result r;
	ldns_rr_list *auth = ldns_rr_list_new();
	pick(&parent3, "example.", LDNS_RR_TYPE_SOA, auth);
	pick_nsec3(&parent3, auth);
	size_t n = reply(m, sizeof m, "nope.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, auth);
	CHECK_EQ(check(v, m, n, "nope.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_SECURE);
	CHECK_STR(r.why, "NXDOMAIN for nope.example./A proven by NSEC3");
	auth = ldns_rr_list_new();
	pick_nsec3(&parent3, auth);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_AAAA, false, &r), GUARD_DNSSEC_SECURE);
	/* the same records cannot deny the A that exists */
	auth = ldns_rr_list_new();
	pick_nsec3(&parent3, auth);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	/* the wall's unsigned A: www.example. is no cut (NSEC3 at its hash) */
	ldns_rr_list *a = ldns_rr_list_new();
	ldns_rr *rr = NULL;
	CHECK_EQ(ldns_rr_new_frm_str(&rr, "www.example. 60 IN A 65.49.2.178", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, rr);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	auth = ldns_rr_list_new();
	pick_nsec3(&parent3, auth);
	size_t dn = reply(d, sizeof d, "www.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, d, dn, "www.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_SECURE);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_BOGUS);
	/* the unsigned child: its DS denied by the opt-out span */
	a = ldns_rr_list_new();
	CHECK_EQ(ldns_rr_new_frm_str(&rr, "host.plain.example. 60 IN A 192.0.2.31", 0, NULL, NULL), LDNS_STATUS_OK);
	ldns_rr_list_push_rr(a, rr);
	n = reply(m, sizeof m, "host.plain.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "host.plain.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	auth = ldns_rr_list_new();
	pick_nsec3(&parent3, auth);
	dn = reply(d, sizeof d, "plain.example.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, NULL, auth);
	CHECK_EQ(check(v, d, dn, "plain.example.", LDNS_RR_TYPE_DS, true, &r), GUARD_DNSSEC_SECURE);
	CHECK_EQ(check(v, m, n, "host.plain.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_INSECURE);
	guard_dnssec_free(v);
	unlink(path);
}

/* An anchor that names another key: the zone's keys are bogus. */
static void test_wrong_anchor(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/dw_ta_wrong_%d", (int)getpid());
	ldns_rr *other = NULL;
	ldns_key *k = new_key("example.", &other);
	ldns_rr *ds = ldns_key_rr2ds(other, LDNS_SHA256);
	FILE *f = fopen(path, "w");
	ldns_rr_print(f, ds);
	fclose(f);
	struct guard_dnssec *v;
	struct dw_error err;
	CHECK_EQ(guard_dnssec_new(&v, path, &err), 0);
	uint8_t m[8192];
	struct guard_dnssec_result r;
	ldns_rr_list *a = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_DNSKEY, a);
	size_t n = reply(m, sizeof m, "example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "example.", LDNS_RR_TYPE_DNSKEY, true, &r), GUARD_DNSSEC_BOGUS);
	CHECK_STR(r.why, "no DNSKEY of example. matches its DS or anchor");
	a = ldns_rr_list_new();
	pick(&parent, "www.example.", LDNS_RR_TYPE_A, a);
	n = reply(m, sizeof m, "www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "www.example.", LDNS_RR_TYPE_A, false, &r), GUARD_DNSSEC_NEED);
	guard_dnssec_free(v);
	/* a DNSKEY anchor works as a DS one does */
	f = fopen(path, "w");
	fprintf(f, "; the zone's key itself\n$TTL 60\n");
	ldns_rr_print(f, parent.dnskey);
	fclose(f);
	CHECK_EQ(guard_dnssec_new(&v, path, &err), 0);
	a = ldns_rr_list_new();
	pick(&parent, "example.", LDNS_RR_TYPE_DNSKEY, a);
	n = reply(m, sizeof m, "example.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, a, NULL);
	CHECK_EQ(check(v, m, n, "example.", LDNS_RR_TYPE_DNSKEY, true, &r), GUARD_DNSSEC_SECURE);
	guard_dnssec_free(v);
	unlink(path);
	ldns_rr_free(ds);
	ldns_rr_free(other);
	ldns_key_deep_free(k);
}

/* Trust-anchor files: a line that is no DS or DNSKEY, or does not parse. */
static void test_anchor_file(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/dw_ta_bad_%d", (int)getpid());
	struct guard_dnssec *v = NULL;
	struct dw_error err;
	FILE *f = fopen(path, "w");
	fprintf(f, "; comment\n\nexample. 300 IN A 192.0.2.1\n");
	fclose(f);
	CHECK_EQ(guard_dnssec_new(&v, path, &err), -1);
	char want[160];
	snprintf(want, sizeof want, "%s:3: a DS or DNSKEY record expected", path);
	CHECK_STR(err.text, want);
	f = fopen(path, "w");
	fprintf(f, "example. 300 IN DS 1 2 3 zz\n");
	fclose(f);
	CHECK_EQ(guard_dnssec_new(&v, path, &err), -1);
	snprintf(want, sizeof want, "%s:1: ", path);
	CHECK(strncmp(err.text, want, strlen(want)) == 0);
	f = fopen(path, "w");
	fprintf(f, "; nothing\n");
	fclose(f);
	CHECK_EQ(guard_dnssec_new(&v, path, &err), -1);
	CHECK(strstr(err.text, "no DS or DNSKEY record") != NULL);
	CHECK_EQ(guard_dnssec_new(&v, "/nonexistent/ta", &err), -1);
	CHECK(v == NULL);
	unlink(path);
}

int main(void)
{
	sign_zone(child_text, "sub.example.", NULL, false, &child);
	sign_zone(parent_text, "example.", ldns_rr_clone(child.ds), false, &parent);
	sign_zone(parent_text, "example.", ldns_rr_clone(child.ds), true, &parent3);
	/* after signing: the signatures' inception is the second they were
	 * made, and a check before it fails */
	now = (uint64_t)time(NULL);
	snprintf(anchor_path, sizeof anchor_path, "/tmp/dw_ta_%d", (int)getpid());
	FILE *f = fopen(anchor_path, "w");
	ldns_rr_print(f, parent.ds);
	fclose(f);
	if (getenv("DW_DNSSEC_SEEDS")) {
		char path[512];
		snprintf(path, sizeof path, "%s/anchor", getenv("DW_DNSSEC_SEEDS"));
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "; now %llu\n", (unsigned long long)now);
			ldns_rr_print(f, parent.ds);
			ldns_rr_print(f, parent3.ds);
			fclose(f);
		}
	}
	RUN(test_good_answer);
	seed_flush("good_answer");
	RUN(test_forged_with_real_sig);
	seed_flush("forged_with_real_sig");
	RUN(test_unsigned_in_signed_zone);
	seed_flush("unsigned_in_signed_zone");
	RUN(test_insecure_child);
	seed_flush("insecure_child");
	RUN(test_signed_child);
	seed_flush("signed_child");
	RUN(test_negative);
	seed_flush("negative");
	RUN(test_nsec3);
	seed_flush("nsec3");
	RUN(test_wrong_anchor);
	seed_flush("wrong_anchor");
	RUN(test_anchor_file);
	unlink(anchor_path);
	zone_keys_free(&parent);
	zone_keys_free(&child);
	zone_keys_free(&parent3);
	return harness_done();
}
