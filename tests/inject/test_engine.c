/* inject/core: the wall's decisions driven without rings or root, by
 * scripted frames and times: a matching query gets every configured
 * injector's forged replies (its copies, its delay) on the interface it
 * came in on; pass, noreply and unmatched queries get none; what is not a
 * query is counted by kind; rule sets are swapped whole or not at all. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "inject/core.h"
#include "net/frames.h"
#include "wire/build.h"

#define MS 1000u

struct got {
	int iface;
	uint64_t due_us;
	unsigned copy;
	char injector[32];
	uint16_t id;           /* of the reply's DNS header */
	uint8_t addr[4];       /* its first answer's address, if any */
	uint16_t rcode;
	uint32_t rule_line;
};

static struct got got[32];
static int ngot;

static void on_reply(void *ctx, const struct inject_reply *r)
{
	(void)ctx;
	if (ngot == 32)
		return;
	struct got *g = &got[ngot++];
	memset(g, 0, sizeof *g);
	g->iface = r->iface;
	g->due_us = r->due_us;
	g->copy = r->copy;
	snprintf(g->injector, sizeof g->injector, "%s", r->profile->name);
	g->rule_line = r->rule->line;
	struct net_packet k;
	struct wire_msg m;
	struct wire_rr rr[8];
	if (net_packet_parse(NET_LINK_ETHERNET, r->frame, r->len, &k) != DW_OK ||
	    wire_msg_parse(&m, k.payload, k.payload_len, rr, 8) != DW_OK) {
		printf("#   a forged frame that does not parse\n");
		return;
	}
	g->id = m.hdr.id;
	g->rcode = WIRE_RCODE(m.hdr.flags);
	for (size_t i = 0; i < m.rr_count; i++)
		if (m.rr[i].type == WIRE_T_A && m.rr[i].rdlen == 4) {
			memcpy(g->addr, k.payload + m.rr[i].rdata_off, 4);
			break;
		}
}

static uint8_t frame[1024];

/* A query frame for NAME/TYPE with DNS ID 0xbeef. */
static size_t query(const char *name, uint16_t type)
{
	uint8_t wire[WIRE_NAME_MAX], dns[512];
	size_t wl;
	CHECK_EQ(wire_name_from_text(name, wire, &wl), DW_OK);
	size_t dl = wire_build_query(dns, sizeof dns, 0xbeef, wire, type, 1, 1232);
	struct frame_spec s = {.ttl = 57, .ip_id = 777, .sport = 4444, .dport = 53};
	return frame_build(&s, dns, dl, frame);
}

static size_t raw_frame(const uint8_t *dns, size_t len, struct frame_spec s)
{
	return frame_build(&s, dns, len, frame);
}

static const char RULES[] =
	"*.com a=65.49.2.178\n"
	"*.only2.com a=10.0.0.2 injectors=two\n"
	"*.cn pass\n"
	"*.org noreply\n"
	"nx.net nxdomain\n"
	"*.v6.net aaaa=2001::/32\n";

static struct inject_core *core_two(void)
{
	struct inject_profile p[2];
	struct dw_error e;
	inject_profile_default(&p[0], "one");
	inject_profile_default(&p[1], "two");
	CHECK_EQ(inject_profile_parse("delay=20000,copies=2", &p[1], &e), 0);
	struct inject_core *c = inject_core_new(p, 2, 7, on_reply, NULL, &e);
	CHECK(c != NULL);
	if (!c)
		return NULL;
	struct inject_rules *r = inject_rules_parse(RULES, strlen(RULES), "t.rules", &e);
	CHECK(r != NULL);
	if (!r || inject_core_rules_set(c, r, &e)) {
		inject_core_free(c);
		return NULL;
	}
	return c;
}

/* A matching query: one reply from injector one at once, two copies from
 * injector two 20 ms later, all on the query's interface, answering its ID
 * with the rule's address. */
static void test_forged(void)
{
	struct inject_core *c = core_two();
	if (!c)
		return;
	ngot = 0;
	inject_core_frame(c, 3, frame, query("www.example.com", WIRE_T_A), 5 * MS);
	CHECK_EQ(ngot, 3);
	const uint8_t want[4] = {65, 49, 2, 178};
	for (int i = 0; i < ngot; i++) {
		CHECK_EQ(got[i].iface, 3);
		CHECK_EQ(got[i].id, 0xbeef);
		CHECK_MEM(got[i].addr, want, 4);
		CHECK_EQ(got[i].rule_line, 1);
	}
	CHECK_STR(got[0].injector, "one");
	CHECK_EQ(got[0].due_us, 5 * MS);
	CHECK_EQ(got[0].copy, 0);
	CHECK_STR(got[1].injector, "two");
	CHECK_EQ(got[1].due_us, 25 * MS);
	CHECK_EQ(got[1].copy, 0);
	CHECK_STR(got[2].injector, "two");
	CHECK_EQ(got[2].due_us, 25 * MS);
	CHECK_EQ(got[2].copy, 1);
	const struct inject_stats *st = inject_core_stats(c);
	CHECK_EQ(st->seen, 1);
	CHECK_EQ(st->queries, 1);
	CHECK_EQ(st->matched, 1);
	CHECK_EQ(st->forged, 3);
	CHECK_EQ(st->rule_loads, 1);

	/* a rule naming one injector: only its replies */
	ngot = 0;
	inject_core_frame(c, 0, frame, query("a.only2.com", WIRE_T_A), 100 * MS);
	CHECK_EQ(ngot, 2);
	CHECK_STR(got[0].injector, "two");
	CHECK_EQ(got[0].addr[3], 2);
	/* nxdomain: a reply with no address */
	ngot = 0;
	inject_core_frame(c, 0, frame, query("nx.net", WIRE_T_A), 200 * MS);
	CHECK_EQ(ngot, 3);
	CHECK_EQ(got[0].rcode, WIRE_RCODE_NXDOMAIN);
	CHECK_EQ(st->matched, 3);
	CHECK_EQ(st->forged, 8);
	inject_core_free(c);
}

/* Queries no rule forges for: none sent, each counted where it belongs. */
static void test_not_forged(void)
{
	struct inject_core *c = core_two();
	if (!c)
		return;
	ngot = 0;
	inject_core_frame(c, 0, frame, query("www.example.cn", WIRE_T_A), 1 * MS);   /* pass */
	inject_core_frame(c, 0, frame, query("www.example.org", WIRE_T_A), 2 * MS);  /* noreply */
	inject_core_frame(c, 0, frame, query("www.example.net", WIRE_T_A), 3 * MS);  /* no rule */
	inject_core_frame(c, 0, frame, query("www.v6.net", WIRE_T_A), 4 * MS); /* aaaa= only */
	CHECK_EQ(ngot, 0);
	const struct inject_stats *st = inject_core_stats(c);
	CHECK_EQ(st->queries, 4);
	CHECK_EQ(st->passed, 1);
	CHECK_EQ(st->matched, 2); /* noreply, and the A query the aaaa= rule matched */
	CHECK_EQ(st->forged, 0);

	/* what is not a query */
	uint8_t resp[] = {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
	uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n";
	uint8_t zero[] = {0, 1, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
	struct frame_spec s = {.ttl = 64, .sport = 4444, .dport = 53};
	inject_core_frame(c, 0, frame, raw_frame(resp, sizeof resp, s), 5 * MS);
	inject_core_frame(c, 0, frame, raw_frame(junk, sizeof junk, s), 5 * MS);
	inject_core_frame(c, 0, frame, raw_frame(zero, sizeof zero, s), 5 * MS);
	s.frag = 0x2000;
	inject_core_frame(c, 0, frame, raw_frame(resp, sizeof resp, s), 5 * MS);
	s.frag = 0;
	s.dport = 54;
	inject_core_frame(c, 0, frame, raw_frame(resp, sizeof resp, s), 5 * MS);
	CHECK_EQ(ngot, 0);
	CHECK_EQ(st->responses, 1);
	CHECK_EQ(st->malformed, 1);
	CHECK_EQ(st->not_query, 1);
	CHECK_EQ(st->fragments, 1);
	CHECK_EQ(st->other, 1);
	CHECK_EQ(st->seen, 9);
	CHECK_EQ(st->queries, 4);
	inject_core_free(c);
}

/* Rule sets: none at first (nothing matches), a set naming an injector
 * that is not running refused with the running set kept, swaps counted. */
static void test_rules(void)
{
	struct inject_profile p;
	inject_profile_default(&p, "solo");
	struct dw_error e;
	struct inject_core *c = inject_core_new(&p, 1, 1, on_reply, NULL, &e);
	CHECK(c != NULL);
	if (!c)
		return;
	ngot = 0;
	inject_core_frame(c, 0, frame, query("www.example.com", WIRE_T_A), 1 * MS);
	CHECK_EQ(ngot, 0);
	CHECK_EQ(inject_core_stats(c)->queries, 1);
	struct dw_error pe;
	const char ok[] = "*.com a=1.1.1.1\n";
	CHECK_EQ(inject_core_rules_set(c, inject_rules_parse(ok, strlen(ok), "ok.rules", &pe), &e), 0);
	const char bad[] = "*.com a=2.2.2.2 injectors=ghost\n";
	CHECK_EQ(inject_core_rules_set(c, inject_rules_parse(bad, strlen(bad), "bad.rules", &pe), &e), -1);
	CHECK_STR(e.text, "bad.rules: injectors= names 'ghost', which is not running");
	CHECK_STR(inject_core_rules(c)->source, "ok.rules");
	CHECK_EQ(inject_core_stats(c)->rule_loads, 1);
	inject_core_frame(c, 0, frame, query("www.example.com", WIRE_T_A), 2 * MS);
	CHECK_EQ(ngot, 1);
	CHECK_EQ(got[0].addr[0], 1);
	inject_core_free(c);

	CHECK(inject_core_new(&p, 0, 1, on_reply, NULL, &e) == NULL);
	CHECK_EQ(e.status, DW_E_INVALID);
}

/* The rules a core starts with are in force but not a swap: rule_loads
 * counts only what inject_core_rules_set swaps in after them (what the
 * wall's stats report), with no reset from outside. */
static void test_rules_start(void)
{
	struct inject_profile p;
	inject_profile_default(&p, "solo");
	struct dw_error e, pe;
	struct inject_core *c = inject_core_new(&p, 1, 1, on_reply, NULL, &e);
	CHECK(c != NULL);
	if (!c)
		return;
	const char first[] = "*.com a=1.1.1.1\n", next[] = "*.com a=2.2.2.2\n";
	const char bad[] = "*.com a=3.3.3.3 injectors=ghost\n";
	CHECK_EQ(inject_core_rules_start(c, inject_rules_parse(bad, strlen(bad), "bad.rules", &pe),
					 &e), -1);
	CHECK_EQ(e.status, DW_E_NOT_FOUND);
	CHECK_EQ(inject_core_rules_start(c, inject_rules_parse(first, strlen(first), "first.rules",
							       &pe), &e), 0);
	CHECK_STR(inject_core_rules(c)->source, "first.rules");
	CHECK_EQ(inject_core_stats(c)->rule_loads, 0);
	ngot = 0;
	inject_core_frame(c, 0, frame, query("www.example.com", WIRE_T_A), 1 * MS);
	CHECK_EQ(ngot, 1);
	CHECK_EQ(got[0].addr[0], 1);
	CHECK_EQ(inject_core_rules_set(c, inject_rules_parse(next, strlen(next), "next.rules", &pe),
				       &e), 0);
	CHECK_EQ(inject_core_stats(c)->rule_loads, 1);
	CHECK_EQ(inject_core_rules_set(c, inject_rules_empty(), &e), 0);
	CHECK_EQ(inject_core_stats(c)->rule_loads, 2);
	inject_core_free(c);
}

int main(void)
{
	RUN(test_forged);
	RUN(test_not_forged);
	RUN(test_rules);
	RUN(test_rules_start);
	return harness_done();
}
