/*
 * The validating guard's key fetches and lost datagrams (guard/server with
 * guard/dnssec), on loopback against a scripted upstream that serves a zone
 * signed here (example., its DS the trust anchor) and loses, forges or
 * withholds what each test says: the faults behind the signed lab's
 * SERVFAILs under load (bench/RESULTS.md, guard, 4).
 *   - a key fetch whose query (or reply) is lost is asked again;
 *   - a client query whose reply is lost is asked again;
 *   - a forged reply to a key fetch (a DNSKEY set of another key, a forged
 *     REFUSED) is dropped, never kept as the zone's keys, and the fetch
 *     waits on for the real one;
 *   - a key fetch that timed out does not fail the next query of the zone.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "guard/dnssec.h"
#include "guard/server.h"
#include "harness.h"
#include "wire/build.h"
#include "wire/msg.h"
#include "wire/name.h"

static const char zone_text[] =
	"$ORIGIN example.\n$TTL 3600\n"
	"@ IN SOA ns.example. admin.example. 1 3600 600 86400 300\n"
	"@ IN NS ns.example.\n"
	"ns IN A 192.0.2.1\n"
	"www IN A 192.0.2.10\n"
	"mail IN A 192.0.2.11\n";

struct zone {
	ldns_zone *signed_zone;
	ldns_rr *dnskey, *ds;
};

static struct zone real, forger; /* example. signed with its own key; and with a forger's */
static char anchor_path[64];

static void sign_zone(struct zone *out)
{
	FILE *f = fmemopen((void *)(uintptr_t)zone_text, strlen(zone_text), "r");
	ldns_zone *z = NULL;
	ldns_rdf *o = ldns_dname_new_frm_str("example.");
	CHECK_EQ(ldns_zone_new_frm_fp(&z, f, o, 3600, LDNS_RR_CLASS_IN), LDNS_STATUS_OK);
	fclose(f);
	ldns_rdf_deep_free(o);
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);
	CHECK(k != NULL);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("example."));
	ldns_key_set_flags(k, LDNS_KEY_ZONE_KEY | LDNS_KEY_SEP_KEY);
	out->dnskey = ldns_key2rr(k);
	ldns_key_set_keytag(k, ldns_calc_keytag(out->dnskey));
	ldns_key_list *keys = ldns_key_list_new();
	ldns_key_list_push_key(keys, k);
	ldns_zone_push_rr(z, ldns_rr_clone(out->dnskey));
	out->signed_zone = ldns_zone_sign(z, keys);
	CHECK(out->signed_zone != NULL);
	out->ds = ldns_key_rr2ds(out->dnskey, LDNS_SHA256);
	ldns_zone_deep_free(z);
	ldns_key_list_free(keys);
}

static void zone_free(struct zone *z)
{
	ldns_zone_deep_free(z->signed_zone);
	ldns_rr_free(z->dnskey);
	ldns_rr_free(z->ds);
}

/* Z's records at OWNER of TYPE with their RRSIGs, into L. */
static void pick(const struct zone *z, const char *owner, ldns_rr_type type, ldns_rr_list *l)
{
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	const ldns_rr_list *all = ldns_zone_rrs(z->signed_zone);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), o) != 0)
			continue;
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (t == type ||
		    (t == LDNS_RR_TYPE_RRSIG && ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == type))
			ldns_rr_list_push_rr(l, ldns_rr_clone(rr));
	}
	ldns_rdf_deep_free(o);
}

/* The answer of zone Z (NULL: none) to upstream query Q[0..QLEN) with
 * RCODE, its ID and question, in OUT; its length. */
static size_t answer(uint8_t *out, size_t cap, const uint8_t *q, size_t qlen, const struct zone *z,
		     ldns_pkt_rcode rcode)
{
	ldns_pkt *qp = NULL;
	CHECK_EQ(ldns_wire2pkt(&qp, q, qlen), LDNS_STATUS_OK);
	if (!qp)
		return 0;
	ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(qp), 0);
	char *name = ldns_rdf2str(ldns_rr_owner(qrr));
	ldns_pkt *p = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(qrr)), ldns_rr_get_type(qrr),
					 LDNS_RR_CLASS_IN, LDNS_RD);
	ldns_pkt_set_id(p, ldns_pkt_id(qp));
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_ra(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (z) {
		ldns_rr_list *l = ldns_rr_list_new();
		pick(z, name, ldns_rr_get_type(qrr), l);
		for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, ldns_rr_list_rr(l, i));
		ldns_rr_list_free(l);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	CHECK_EQ(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	CHECK(len <= cap);
	if (len > cap)
		len = 0;
	memcpy(out, wire, len);
	free(wire);
	free(name);
	ldns_pkt_free(p);
	ldns_pkt_free(qp);
	return len;
}

static uint16_t qtype_of(const uint8_t *q, size_t qlen)
{
	size_t nl = wire_name_len(q + WIRE_HEADER_LEN, qlen - WIRE_HEADER_LEN);
	return nl && WIRE_HEADER_LEN + nl + 2 <= qlen ? (uint16_t)(q[WIRE_HEADER_LEN + nl] << 8 | q[WIRE_HEADER_LEN + nl + 1])
						       : 0;
}

/* A port free on 127.0.0.1 for UDP and TCP. */
static uint16_t free_port(void)
{
	for (int tries = 0; tries < 20; tries++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t al = sizeof a;
		if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof a) || getsockname(u, (struct sockaddr *)&a, &al)) {
			if (u >= 0)
				close(u);
			continue;
		}
		int t = socket(AF_INET, SOCK_STREAM, 0);
		bool ok = t >= 0 && !bind(t, (struct sockaddr *)&a, sizeof a);
		if (t >= 0)
			close(t);
		close(u);
		if (ok)
			return ntohs(a.sin_port);
	}
	return 0;
}

/*
 * The scripted upstream (UDP and TCP on one port). Each query it reads is
 * numbered per type (A, DNSKEY) and answered as the script says: lost (no
 * answer), forged (a reply the guard must drop) or real.
 */
enum act { REAL, LOSE, FORGE_KEY, FORGE_REFUSED };
struct script {
	enum act a[8], dnskey[8]; /* per query of that type, in order; beyond: REAL */
	unsigned na, ndnskey;     /* queries of each type seen */
	unsigned tcp;             /* of them over TCP */
};

struct up {
	int udp, tcp;
	int conn[16];
	unsigned nconn;
	uint16_t port;
};

static bool up_open(struct up *u)
{
	memset(u, 0, sizeof *u);
	u->port = free_port();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(u->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	u->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	u->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (u->udp < 0 || u->tcp < 0)
		return false;
	(void)setsockopt(u->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	return !bind(u->udp, (struct sockaddr *)&a, sizeof a) && !bind(u->tcp, (struct sockaddr *)&a, sizeof a) &&
	       !listen(u->tcp, 16);
}

static void up_close(struct up *u)
{
	close(u->udp);
	close(u->tcp);
	for (unsigned i = 0; i < u->nconn; i++)
		if (u->conn[i] >= 0)
			close(u->conn[i]);
}

/* The reply query Q deserves under script S (0: none). */
static size_t scripted(struct script *s, const uint8_t *q, size_t qn, uint8_t *r, size_t cap)
{
	uint16_t t = qtype_of(q, qn);
	enum act a = REAL;
	if (t == LDNS_RR_TYPE_DNSKEY) {
		if (s->ndnskey < 8)
			a = s->dnskey[s->ndnskey];
		s->ndnskey++;
	} else {
		if (s->na < 8)
			a = s->a[s->na];
		s->na++;
	}
	switch (a) {
	case LOSE:
		return 0;
	case FORGE_KEY:
		return answer(r, cap, q, qn, &forger, LDNS_RCODE_NOERROR);
	case FORGE_REFUSED:
		return answer(r, cap, q, qn, NULL, LDNS_RCODE_REFUSED);
	case REAL:
	default:
		return answer(r, cap, q, qn, &real, LDNS_RCODE_NOERROR);
	}
}

/* Serve what came to U (UDP datagrams, TCP queries) by script S. */
static void up_serve(struct up *u, struct script *s)
{
	uint8_t q[1024], r[8192];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(u->udp, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			break;
		size_t rn = scripted(s, q, (size_t)n, r, sizeof r);
		if (rn)
			(void)sendto(u->udp, r, rn, 0, (struct sockaddr *)&from, fl);
	}
	int c;
	while (u->nconn < 16 && (c = accept4(u->tcp, NULL, NULL, 0)) >= 0)
		u->conn[u->nconn++] = c;
	for (unsigned i = 0; i < u->nconn; i++) {
		struct pollfd pf = {.fd = u->conn[i], .events = POLLIN};
		if (u->conn[i] < 0 || poll(&pf, 1, 0) != 1)
			continue;
		uint8_t l[2];
		size_t n = 0;
		if (recv(u->conn[i], l, 2, MSG_WAITALL) == 2) {
			n = (size_t)l[0] << 8 | l[1];
			if (n > sizeof q || recv(u->conn[i], q, n, MSG_WAITALL) != (ssize_t)n)
				n = 0;
		}
		if (!n) {
			close(u->conn[i]);
			u->conn[i] = -1;
			continue;
		}
		s->tcp++;
		size_t rn = scripted(s, q, n, r + 2, sizeof r - 2);
		if (rn) {
			r[0] = (uint8_t)(rn >> 8);
			r[1] = (uint8_t)rn;
			(void)send(u->conn[i], r, rn + 2, MSG_NOSIGNAL);
		}
	}
}

/* A validating guard on loopback (only the dnssec check, as the signed
 * bench runs it) forwarding to U over UDP, timeout TIMEOUT_MS. */
static struct guard *open_guard(const struct up *u, uint16_t *port, uint32_t timeout_ms)
{
	struct guard_config cfg;
	struct dw_error err;
	guard_config_default(&cfg);
	*port = free_port();
	char text[64];
	snprintf(text, sizeof text, "127.0.0.1:%u", *port);
	CHECK_EQ(guard_addr_parse(text, 53, &cfg.listen[0], &cfg.listen_len[0], &err), 0);
	cfg.nlisten = 1;
	snprintf(text, sizeof text, "udp:127.0.0.1:%u", u->port);
	CHECK_EQ(guard_upstream_parse(text, &cfg.up[cfg.nup++], &err), 0);
	cfg.timeout_ms = timeout_ms;
	cfg.cache_max = 0;
	cfg.checks = GUARD_CHECK_DNSSEC;
	CHECK_EQ(guard_dnssec_new(&cfg.dnssec, anchor_path, &err), 0);
	struct guard *g = NULL;
	CHECK_EQ(guard_open(&g, &cfg, &err), 0);
	return g;
}

static void client_ask(int fd, uint16_t port, const char *name)
{
	uint8_t q[512], wn[WIRE_NAME_MAX];
	size_t wl;
	CHECK_EQ(wire_name_from_text(name, wn, &wl), DW_OK);
	size_t n = wire_build_query(q, sizeof q, 0x4242, wn, WIRE_T_A, 1, 1232);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CHECK_EQ(sendto(fd, q, n, 0, (struct sockaddr *)&a, sizeof a), (ssize_t)n);
}

/* Run the guard and the upstream until the client's answer comes (at most
 * LIMIT_MS): its rcode and first A address ("" none), -1 none; *MS the
 * time it took. */
static int run_until_answer(struct guard *g, struct up *u, struct script *s, int fd, char *addr, size_t cap,
			    int limit_ms, int *ms)
{
	struct dw_error err;
	uint8_t m[4096];
	addr[0] = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < limit_ms / 2; i++) {
		CHECK_EQ(guard_poll(g, 2, &err), 0);
		up_serve(u, s);
		ssize_t n = recv(fd, m, sizeof m, MSG_DONTWAIT);
		if (n <= 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*ms = (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		struct wire_rr rr[16];
		struct wire_msg msg;
		if (wire_msg_parse(&msg, m, (size_t)n, rr, 16) != DW_OK)
			return -1;
		for (size_t k = 1; k < msg.rr_count; k++)
			if (rr[k].type == WIRE_T_A && rr[k].rdlen == 4) {
				inet_ntop(AF_INET, m + rr[k].rdata_off, addr, (socklen_t)cap);
				break;
			}
		return (int)WIRE_RCODE(msg.hdr.flags);
	}
	return -1;
}

/* The DNSKEY query is lost (and so is the first retry's UDP datagram): the
 * fetch is asked again within the client's timeout, and the client gets
 * the validated answer. Before, the fetch was sent once: SERVFAIL, "DNSSEC
 * keys not fetched in time (example. DNSKEY)", for every name of the zone. */
static void test_key_fetch_lost(void)
{
	struct up u;
	if (!up_open(&u))
		SKIP("no loopback sockets here");
	uint16_t port;
	struct guard *g = open_guard(&u, &port, 2000);
	int cl = socket(AF_INET, SOCK_DGRAM, 0);
	struct script s = {.dnskey = {LOSE, LOSE}};
	char addr[64];
	int ms = 0;
	client_ask(cl, port, "www.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 2500, &ms), 0);
	CHECK_STR(addr, "192.0.2.10");
	CHECK(s.ndnskey >= 3); /* the lost one, the retry's UDP and TCP */
	CHECK(s.tcp >= 1);
	CHECK(guard_counters(g)->retransmits >= 2);
	CHECK_EQ(guard_counters(g)->key_fetch_failed, 0);
	CHECK_EQ(guard_counters(g)->servfail, 0);
	CHECK_EQ(guard_counters(g)->dnssec_secure, 2); /* the keys, the answer */
	CHECK(ms < 2000);
	guard_close(g);
	close(cl);
	up_close(&u);
}

/* The client's own query is lost: asked again, answered. */
static void test_client_query_lost(void)
{
	struct up u;
	if (!up_open(&u))
		SKIP("no loopback sockets here");
	uint16_t port;
	struct guard *g = open_guard(&u, &port, 2000);
	int cl = socket(AF_INET, SOCK_DGRAM, 0);
	struct script s = {.a = {LOSE}};
	char addr[64];
	int ms = 0;
	client_ask(cl, port, "www.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 2500, &ms), 0);
	CHECK_STR(addr, "192.0.2.10");
	CHECK(s.na >= 2);
	CHECK(guard_counters(g)->retransmits >= 1);
	CHECK_EQ(guard_counters(g)->servfail, 0);
	guard_close(g);
	close(cl);
	up_close(&u);
}

/* The DNSKEY fetch draws a forged REFUSED and then a DNSKEY set of a
 * forger's key, self-signed: neither ends the fetch, the forged set is
 * dropped as bogus (no DS matches it) and never kept as example.'s keys:
 * the real set that follows validates, the client gets the real answer,
 * and an answer signed with the forger's key is dropped afterwards. */
static void test_forged_key_reply(void)
{
	struct up u;
	if (!up_open(&u))
		SKIP("no loopback sockets here");
	uint16_t port;
	struct guard *g = open_guard(&u, &port, 2000);
	int cl = socket(AF_INET, SOCK_DGRAM, 0);
	struct script s = {.dnskey = {FORGE_REFUSED, FORGE_KEY}};
	char addr[64];
	int ms = 0;
	client_ask(cl, port, "www.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 2500, &ms), 0);
	CHECK_STR(addr, "192.0.2.10");
	CHECK(guard_counters(g)->dnssec_bogus >= 1); /* the forger's key set */
	CHECK(guard_counters(g)->dnssec_insecure >= 1); /* the REFUSED, which proves nothing */
	CHECK_EQ(guard_counters(g)->servfail, 0);
	/* the store holds the real keys only: mail's answer signed by the
	 * forger is bogus, the real one after it served */
	s = (struct script){.a = {FORGE_KEY}};
	uint64_t bogus = guard_counters(g)->dnssec_bogus;
	client_ask(cl, port, "mail.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 2500, &ms), 0);
	CHECK_STR(addr, "192.0.2.11");
	CHECK_EQ(guard_counters(g)->dnssec_bogus, bogus + 1);
	guard_close(g);
	close(cl);
	up_close(&u);
}

/* A key fetch that never got its reply: the client waiting on it gets
 * SERVFAIL (EDE 9) at its deadline, and the next query of the zone asks
 * for the keys again (before, the failure was kept for a timeout's length
 * and failed every name of the zone asked meanwhile without asking). */
static void test_fetch_timeout_not_kept(void)
{
	struct up u;
	if (!up_open(&u))
		SKIP("no loopback sockets here");
	uint16_t port;
	struct guard *g = open_guard(&u, &port, 800);
	int cl = socket(AF_INET, SOCK_DGRAM, 0);
	struct script s = {.dnskey = {LOSE, LOSE, LOSE, LOSE, LOSE, LOSE, LOSE, LOSE}};
	char addr[64];
	int ms = 0;
	client_ask(cl, port, "www.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 1500, &ms), 2); /* SERVFAIL */
	CHECK_EQ(guard_counters(g)->servfail_keys, 1);
	/* the fetch ends with the last query that waited on it */
	struct dw_error err;
	for (int i = 0; i < 200 && !guard_counters(g)->key_fetch_failed; i++) {
		CHECK_EQ(guard_poll(g, 5, &err), 0);
		up_serve(&u, &s);
	}
	CHECK_EQ(guard_counters(g)->key_fetch_failed, 1);
	s = (struct script){0};
	client_ask(cl, port, "mail.example.");
	CHECK_EQ(run_until_answer(g, &u, &s, cl, addr, sizeof addr, 1500, &ms), 0);
	CHECK_STR(addr, "192.0.2.11");
	CHECK(s.ndnskey >= 1);
	guard_close(g);
	close(cl);
	up_close(&u);
}

int main(void)
{
	sign_zone(&real);
	sign_zone(&forger);
	snprintf(anchor_path, sizeof anchor_path, "/tmp/dw_fetch_ta_%d", (int)getpid());
	FILE *f = fopen(anchor_path, "w");
	CHECK(f != NULL);
	if (f) {
		ldns_rr_print(f, real.ds);
		fclose(f);
	}
	RUN(test_key_fetch_lost);
	RUN(test_client_query_lost);
	RUN(test_forged_key_reply);
	RUN(test_fetch_timeout_not_kept);
	unlink(anchor_path);
	zone_free(&real);
	zone_free(&forger);
	return harness_done();
}
