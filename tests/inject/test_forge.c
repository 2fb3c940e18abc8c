/* inject/forge: vetting captured frames and forging replies, field by field. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "harness.h"
#include "inject/forge.h"
#include "net/frames.h"
#include "wire/build.h"
#include "wire/rdata.h"

static uint8_t frame[2048], out[FORGE_FRAME_MAX];

/* A query frame for NAME/TYPE with RD as given, from 198.18.1.2:4444. */
static size_t query_frame(const char *name, uint16_t type, int rd, struct frame_spec s)
{
	uint8_t wire[WIRE_NAME_MAX], dns[512];
	size_t wl;
	CHECK_EQ(wire_name_from_text(name, wire, &wl), DW_OK);
	size_t dl = wire_build_query(dns, sizeof dns, 0xbeef, wire, type, rd, 1232);
	if (!s.ttl)
		s.ttl = 57;
	if (!s.sport)
		s.sport = 4444;
	if (!s.dport)
		s.dport = 53;
	if (!s.ip_id)
		s.ip_id = 777;
	return frame_build(&s, dns, dl, frame);
}

static struct inject_rules *rules(const char *text)
{
	struct dw_error err;
	struct inject_rules *r = inject_rules_parse(text, strlen(text), "t", &err);
	if (!r)
		FAIL("fixture rules do not parse: %s", err.text);
	return r;
}

/* Parse a forged frame: IP fields into *P, DNS into M (rr storage RR). */
static int parse_reply(size_t len, struct net_packet *p, struct wire_msg *m, struct wire_rr *rr)
{
	if (net_packet_parse(NET_LINK_ETHERNET, out, len, p) != DW_OK)
		return -1;
	return wire_msg_parse(m, p->payload, p->payload_len, rr, 16) == DW_OK ? 0 : -1;
}

static uint16_t csum_ok(const uint8_t *p, size_t n, uint32_t s)
{
	for (; n > 1; n -= 2, p += 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void test_classify(void)
{
	struct inject_query q;
	size_t n = query_frame("Www.Example.COM", WIRE_T_A, 1, (struct frame_spec){0});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n, &q), INJ_QUERY);
	CHECK_EQ(q.qtype, WIRE_T_A);
	CHECK(q.rd);
	CHECK_EQ(q.l2_len, 14);
	CHECK_EQ(q.qname_len, 17);
	/* to port 54: not ours */
	n = query_frame("a.com", WIRE_T_A, 1, (struct frame_spec){.dport = 54});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n, &q), INJ_NOT_UDP53);
	/* a fragment */
	n = query_frame("a.com", WIRE_T_A, 1, (struct frame_spec){.frag = 0x2000});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n, &q), INJ_FRAGMENT);
	/* TCP */
	n = query_frame("a.com", WIRE_T_A, 1, (struct frame_spec){.proto = 6});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n, &q), INJ_NOT_UDP53);
	/* cut by the capture */
	n = query_frame("a.com", WIRE_T_A, 1, (struct frame_spec){0});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n - 3, &q), INJ_NOT_UDP53);
}

static size_t dns_frame(const uint8_t *dns, size_t len)
{
	struct frame_spec s = {.ttl = 64, .sport = 4444, .dport = 53};
	return frame_build(&s, dns, len, frame);
}

static void test_classify_rejects(void)
{
	struct inject_query q;
	/* a response passing through */
	uint8_t resp[] = {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(resp, sizeof resp), &q), INJ_RESPONSE);
	/* zero questions */
	uint8_t zero[] = {0, 1, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(zero, sizeof zero), &q), INJ_NOT_QUERY);
	/* two questions */
	uint8_t two[] = {0, 1, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1,
			 1, 'b', 0, 0, 1, 0, 1};
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(two, sizeof two), &q), INJ_NOT_QUERY);
	/* garbage on port 53 */
	uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n";
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(junk, sizeof junk), &q), INJ_MALFORMED);
	/* opcode NOTIFY */
	uint8_t notify[] = {0, 1, 0x20, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 6, 0, 1};
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(notify, sizeof notify), &q), INJ_NOT_QUERY);
	/* class CH */
	uint8_t chaos[] = {0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 16, 0, 3};
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(chaos, sizeof chaos), &q), INJ_NOT_QUERY);
	/* a question name that is a compression pointer */
	uint8_t ptrq[] = {0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1};
	CHECK(inject_classify(NET_LINK_ETHERNET, frame, dns_frame(ptrq, sizeof ptrq), &q) != INJ_QUERY);
}

static void test_reply_fields(void)
{
	struct inject_rules *r = rules("*.com a=65.49.2.178\n");
	struct inject_profile p;
	struct forge_state st;
	struct inject_query q;
	struct net_packet k;
	struct wire_msg m;
	struct wire_rr rr[16];
	inject_profile_default(&p, "t");
	struct dw_error err;
	CHECK_EQ(inject_profile_parse("ttl=33,ipid=zero,df=1,answer-ttl=77,flags=copy", &p, &err), 0);
	forge_state_init(&st, 1);
	size_t n = query_frame("Www.Example.COM", WIRE_T_A, 1, (struct frame_spec){0});
	CHECK_EQ(inject_classify(NET_LINK_ETHERNET, frame, n, &q), INJ_QUERY);
	const struct inject_rule *rule = inject_rules_lookup(r, q.qname, q.qtype);
	CHECK(rule != NULL);
	size_t len = inject_forge(&p, &st, r, rule, &q, out);
	CHECK(len > 0);
	CHECK_EQ(parse_reply(len, &k, &m, rr), 0);
	/* link: MACs swapped */
	CHECK_MEM(out, frame + 6, 6);
	CHECK_MEM(out + 6, frame, 6);
	/* IP and UDP: addresses and ports swapped, fingerprint as configured */
	CHECK_MEM(k.src, q.pkt.dst, 4);
	CHECK_MEM(k.dst, q.pkt.src, 4);
	CHECK_EQ(k.sport, 53);
	CHECK_EQ(k.dport, 4444);
	CHECK_EQ(k.ttl, 33);
	CHECK_EQ(k.ip_id, 0);
	CHECK(k.df);
	CHECK_EQ(csum_ok(out + 14, 20, 0), 0xffff);
	uint32_t pseudo = csum_ok(out + 14 + 12, 8, 0) + 17 + (uint32_t)(len - 14 - 20);
	CHECK_EQ(csum_ok(out + 14 + 20, len - 14 - 20, pseudo), 0xffff);
	/* DNS: same id and question bytes (case kept), flags, one answer */
	CHECK_EQ(m.hdr.id, 0xbeef);
	CHECK_EQ(m.hdr.flags, WIRE_FLAG_QR | WIRE_FLAG_RD | WIRE_FLAG_RA);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 1);
	CHECK_MEM(k.payload + 12, q.pkt.payload + 12, q.question_end - 12);
	CHECK_EQ(rr[1].ttl, 77);
	CHECK_EQ(rr[1].owner_off, q.question_end); /* a pointer to the question */
	CHECK_EQ(k.payload[rr[1].owner_off], 0xc0);
	char text[64];
	wire_rdata_to_text(&m, &rr[1], text, sizeof text);
	CHECK_STR(text, "65.49.2.178");
	inject_rules_free(r);
}

/* Forge one reply with profile spec SPEC to a query; return its fields. */
static int forge_with(const char *spec, const char *rulestext, const char *name, uint16_t type,
		      int rd, struct frame_spec fs, struct net_packet *k, struct wire_msg *m,
		      struct wire_rr *rr, struct forge_state *st, struct inject_rules **keep)
{
	struct inject_profile p;
	struct inject_query q;
	struct dw_error err;
	inject_profile_default(&p, "t");
	if (inject_profile_parse(spec, &p, &err)) {
		printf("#   %s\n", err.text);
		return -1;
	}
	struct inject_rules *r = *keep ? *keep : rules(rulestext);
	*keep = r;
	size_t n = query_frame(name, type, rd, fs);
	if (inject_classify(NET_LINK_ETHERNET, frame, n, &q) != INJ_QUERY)
		return -1;
	const struct inject_rule *rule = inject_rules_lookup(r, q.qname, q.qtype);
	if (!rule)
		return -1;
	size_t len = inject_forge(&p, st, r, rule, &q, out);
	if (!len)
		return 0;
	return parse_reply(len, k, m, rr) ? -1 : 1;
}

static void test_fingerprints(void)
{
	struct net_packet k;
	struct wire_msg m;
	struct wire_rr rr[16];
	struct forge_state st;
	struct inject_rules *r = NULL;
	forge_state_init(&st, 7);
	/* TTL mirroring the query's, with an offset */
	CHECK_EQ(forge_with("ttl=mirror-2", "*.com a=1.2.3.4\n", "a.com", 1, 1,
			    (struct frame_spec){.ttl = 40}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(k.ttl, 38);
	CHECK_EQ(forge_with("ttl=mirror", NULL, "a.com", 1, 1, (struct frame_spec){.ttl = 9}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(k.ttl, 9);
	/* IP ID increments per reply; mirror copies the query's */
	CHECK_EQ(forge_with("ipid=increment", NULL, "a.com", 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	uint16_t first = k.ip_id;
	CHECK_EQ(forge_with("ipid=increment", NULL, "a.com", 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(k.ip_id, (uint16_t)(first + 1));
	CHECK_EQ(forge_with("ipid=mirror", NULL, "a.com", 1, 1, (struct frame_spec){.ip_id = 4242}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(k.ip_id, 4242);
	CHECK(!k.df);
	/* random TTL and answer TTL stay inside their ranges */
	for (int i = 0; i < 200; i++) {
		CHECK_EQ(forge_with("ttl=random:40-45,answer-ttl=random:100-103", NULL, "a.com", 1, 1,
				    (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
		CHECK(k.ttl >= 40 && k.ttl <= 45);
		CHECK(rr[1].ttl >= 100 && rr[1].ttl <= 103);
	}
	/* flags: copy, ra, aa, follow, for RD set and clear */
	const struct { const char *spec; int rd; uint16_t flags; } fl[] = {
		{"flags=copy", 1, 0x8180}, {"flags=copy", 0, 0x8080},
		{"flags=ra", 1, 0x8180},   {"flags=ra", 0, 0x8180},
		{"flags=aa", 1, 0x8400},   {"flags=aa", 0, 0x8400},
		{"flags=follow", 1, 0x8180}, {"flags=follow", 0, 0x8400}};
	for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++) {
		CHECK_EQ(forge_with(fl[i].spec, NULL, "a.com", 1, fl[i].rd, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
		CHECK_EQ(m.hdr.flags, fl[i].flags);
	}
	/* the answer's owner in full rather than a pointer */
	CHECK_EQ(forge_with("owner=full", NULL, "a.com", 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK(k.payload[rr[1].owner_off] == 1 && k.payload[rr[1].owner_off + 1] == 'a');
	inject_rules_free(r);
	/* The root name too: a pointer where the profile says so (compression
	 * alone would write its one zero byte), else the zero byte. */
	r = NULL;
	CHECK_EQ(forge_with("owner=pointer", "* aaaa=2001:db8::/32\n", ".", WIRE_T_AAAA, 1,
			    (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(rr[1].owner_off, 17); /* header, root name, type, class */
	CHECK(k.payload[17] == 0xc0 && k.payload[18] == 12 && k.payload_len == 17 + 2 + 10 + 16);
	CHECK_EQ(forge_with("owner=full", NULL, ".", WIRE_T_AAAA, 1, (struct frame_spec){0}, &k, &m,
			    rr, &st, &r), 1);
	CHECK(k.payload[17] == 0 && k.payload_len == 17 + 1 + 10 + 16);
	inject_rules_free(r);
}

static void test_actions(void)
{
	struct net_packet k;
	struct wire_msg m;
	struct wire_rr rr[16];
	struct forge_state st;
	struct inject_rules *r = NULL;
	char text[64];
	forge_state_init(&st, 3);
	const char *rt = "pool p 10.0.0.1 10.0.0.2 10.0.0.3\n"
			 "*.pool.com a=@p\n"
			 "*.v6.com aaaa=2001::/32 a=9.9.9.9\n"
			 "*.only6.com aaaa=2001:db8::/48\n"
			 "nx.com nxdomain\n"
			 "ttl.com a=1.1.1.1 ttl=999\n";
	/* NXDOMAIN: rcode 3, no answer */
	CHECK_EQ(forge_with("", rt, "nx.com", 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(WIRE_RCODE(m.hdr.flags), WIRE_RCODE_NXDOMAIN);
	CHECK_EQ(m.hdr.count[WIRE_SEC_ANSWER], 0);
	/* a rule's TTL beats the profile's */
	CHECK_EQ(forge_with("answer-ttl=5", rt, "ttl.com", 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(rr[1].ttl, 999);
	/* AAAA from a /32 prefix: the first 32 bits are the prefix */
	for (int i = 0; i < 20; i++) {
		CHECK_EQ(forge_with("", rt, "x.v6.com", WIRE_T_AAAA, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
		CHECK_EQ(rr[1].type, WIRE_T_AAAA);
		const uint8_t *a = k.payload + rr[1].rdata_off;
		CHECK(a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0);
	}
	/* a /48: 6 bytes of prefix */
	CHECK_EQ(forge_with("", rt, "x.only6.com", WIRE_T_AAAA, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_MEM(k.payload + rr[1].rdata_off, "\x20\x01\x0d\xb8\x00\x00", 6);
	/* only aaaa= and an A query: nothing to send */
	CHECK_EQ(forge_with("", rt, "x.only6.com", WIRE_T_A, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 0);
	/* an MX query gets an A record, as the GFW does */
	CHECK_EQ(forge_with("", rt, "x.v6.com", WIRE_T_MX, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(rr[1].type, WIRE_T_A);
	/* pools: each name walks the pool in order, from its own start */
	unsigned seen[2][6];
	const char *names[2] = {"one.pool.com", "two.pool.com"};
	for (int round = 0; round < 6; round++)
		for (int nm = 0; nm < 2; nm++) {
			CHECK_EQ(forge_with("", rt, names[nm], 1, 1, (struct frame_spec){0}, &k, &m, rr, &st, &r), 1);
			wire_rdata_to_text(&m, &rr[1], text, sizeof text);
			seen[nm][round] = (unsigned)(text[7] - '0');
		}
	for (int nm = 0; nm < 2; nm++)
		for (int round = 1; round < 6; round++)
			CHECK_EQ(seen[nm][round], seen[nm][round - 1] % 3 + 1);
	inject_rules_free(r);
}

static void test_ipv6_query(void)
{
	struct net_packet k;
	struct wire_msg m;
	struct wire_rr rr[16];
	struct forge_state st;
	struct inject_rules *r = NULL;
	forge_state_init(&st, 5);
	CHECK_EQ(forge_with("ttl=50", "*.com a=1.2.3.4\n", "a.com", 1, 1,
			    (struct frame_spec){.v6 = 1}, &k, &m, rr, &st, &r), 1);
	CHECK_EQ(k.family, AF_INET6);
	CHECK_EQ(k.ttl, 50);
	CHECK_EQ(k.sport, 53);
	char a[64];
	CHECK_STR(net_packet_addr_text(AF_INET6, k.dst, a, sizeof a), "fd53::1");
	inject_rules_free(r);
}

static void test_profile_text(void)
{
	struct inject_profile p[PROFILE_MAX];
	char buf[256];
	struct dw_error err;
	CHECK_EQ(inject_profile_preset("gfw", p, PROFILE_MAX), 3);
	CHECK_EQ(inject_profile_preset("nope", p, PROFILE_MAX), -1);
	/* format, then parse what was formatted: the same profile */
	for (int i = 0; i < 3; i++) {
		struct inject_profile back;
		inject_profile_format(&p[i], buf, sizeof buf);
		inject_profile_default(&back, "x");
		CHECK_EQ(inject_profile_parse(buf, &back, &err), 0);
		CHECK(memcmp(&back, &p[i], sizeof back) == 0);
	}
	CHECK_STR(p[2].name, "gfw3");
	CHECK_EQ(p[1].ttl_mode, TTL_MIRROR);
	CHECK_EQ(p[2].ipid_mode, IPID_ZERO);
	CHECK_EQ(inject_profile_parse("ttl=0", &p[0], &err), -1);
	CHECK_STR(err.text, "bad value '0' for injector key 'ttl'");
	CHECK_EQ(inject_profile_parse("colour=red", &p[0], &err), -1);
	CHECK_EQ(inject_profile_parse("copies=17", &p[0], &err), -1);
	CHECK_EQ(inject_profile_parse("answer-ttl=random:9-3", &p[0], &err), -1);
}

int main(void)
{
	RUN(test_classify);
	RUN(test_classify_rejects);
	RUN(test_reply_fields);
	RUN(test_fingerprints);
	RUN(test_actions);
	RUN(test_ipv6_query);
	RUN(test_profile_text);
	return harness_done();
}
