/* cli/target: probe targets as users name them, LABEL=KIND:ADDR[:PORT]
 * (IPv4, IPv6, [IPv6]:PORT), and lab server names in a lab. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/target.h"
#include "harness.h"
#include "lab/servers.h"

/* SPEC parses to LABEL, KIND, FAMILY, the address ADDR (text) and PORT. */
static void good(const char *spec, bool lab, const char *label, enum probe_target_kind kind,
		 int family, const char *addr, uint16_t port)
{
	struct probe_target t;
	memset(&t, 0xa5, sizeof t);
	int rc = probe_target_parse(spec, lab, &t);
	if (rc != 0) {
		FAIL("\"%s\" refused", spec);
		return;
	}
	CHECK_STR(t.label, label);
	CHECK_EQ(t.kind, kind);
	CHECK_EQ(t.family, family);
	CHECK_EQ(t.port, port);
	uint8_t want[16] = {0};
	CHECK_EQ(inet_pton(family, addr, want), 1);
	CHECK_MEM(t.addr, want, 16); /* an IPv4 address leaves the rest zero */
}

static void bad(const char *spec, bool lab)
{
	struct probe_target t;
	if (probe_target_parse(spec, lab, &t) != -1)
		FAIL("\"%s\" accepted (family %d port %u)", spec, t.family, t.port);
	else
		CHECK(1);
}

/* LABEL=tls:ADDR[#NAME]: DoT's port unless given, the name checked. */
static void test_tls(void)
{
	struct probe_target t;
	char name[256];
	CHECK_EQ(probe_target_parse_tls("pub=tls:198.19.8.8#resolver.lab", &t, name, sizeof name), 1);
	CHECK_STR(t.label, "pub");
	CHECK_EQ(t.kind, TARGET_RESOLVER);
	CHECK_EQ(t.family, AF_INET);
	CHECK_EQ(t.port, 853);
	CHECK_MEM(t.addr, "\xc6\x13\x08\x08", 4);
	CHECK_STR(name, "resolver.lab");
	CHECK_EQ(probe_target_parse_tls("q=tls:9.9.9.9:8853", &t, name, sizeof name), 1);
	CHECK_EQ(t.port, 8853);
	CHECK_STR(name, "");
	CHECK_EQ(probe_target_parse_tls("q=tls:2001:db8::1#dns.example", &t, name, sizeof name), 1);
	CHECK_EQ(t.family, AF_INET6);
	CHECK_EQ(t.port, 853);
	CHECK_STR(name, "dns.example");
	CHECK_EQ(probe_target_parse_tls("q=tls:[2001:db8::1]:10853", &t, name, sizeof name), 1);
	CHECK_EQ(t.port, 10853);
	/* not a tls: target at all */
	CHECK_EQ(probe_target_parse_tls("q=resolver:9.9.9.9", &t, name, sizeof name), 0);
	CHECK_EQ(probe_target_parse_tls("isp", &t, name, sizeof name), 0);
	/* bad ones */
	CHECK_EQ(probe_target_parse_tls("q=tls:", &t, name, sizeof name), -1);
	CHECK_EQ(probe_target_parse_tls("q=tls:9.9.9.9#", &t, name, sizeof name), -1);
	CHECK_EQ(probe_target_parse_tls("q=tls:9.9.9.9#bad name", &t, name, sizeof name), -1);
	CHECK_EQ(probe_target_parse_tls("q=tls:9.9.9.9:0#x.y", &t, name, sizeof name), -1);
	CHECK_EQ(probe_target_parse_tls("q=tls:not-an-address#x.y", &t, name, sizeof name), -1);
	CHECK_EQ(probe_target_parse_tls("=tls:9.9.9.9", &t, name, sizeof name), -1);
	/* and the plain parser does not take it */
	bad("pub=tls:198.19.8.8#resolver.lab", false);
}

static void test_ipv4(void)
{
	good("isp=resolver:198.18.1.1", false, "isp", TARGET_RESOLVER, AF_INET, "198.18.1.1", 53);
	good("a=auth:192.0.2.1", false, "a", TARGET_AUTH, AF_INET, "192.0.2.1", 53);
	good("n=nodns:203.0.113.9", false, "n", TARGET_NODNS, AF_INET, "203.0.113.9", 53);
	good("x=resolver:127.0.0.1:5353", false, "x", TARGET_RESOLVER, AF_INET, "127.0.0.1", 5353);
	good("x=resolver:127.0.0.1:1", false, "x", TARGET_RESOLVER, AF_INET, "127.0.0.1", 1);
	good("x=resolver:127.0.0.1:65535", false, "x", TARGET_RESOLVER, AF_INET, "127.0.0.1", 65535);
	/* the label is anything up to the first '=' */
	good("my-resolver.1=auth:10.0.0.1", false, "my-resolver.1", TARGET_AUTH, AF_INET, "10.0.0.1",
	     53);
}

static void test_ipv6(void)
{
	good("v6=resolver:2001:db8::1", false, "v6", TARGET_RESOLVER, AF_INET6, "2001:db8::1", 53);
	good("v6=auth:::1", false, "v6", TARGET_AUTH, AF_INET6, "::1", 53);
	/* a bare IPv6 address takes its last group as part of the address, not
	 * as a port: a port needs brackets */
	good("v6=auth:::1:53", false, "v6", TARGET_AUTH, AF_INET6, "::1:53", 53);
	good("v6=resolver:[2001:db8::1]:5353", false, "v6", TARGET_RESOLVER, AF_INET6, "2001:db8::1",
	     5353);
	good("v6=nodns:[::1]:65535", false, "v6", TARGET_NODNS, AF_INET6, "::1", 65535);
	good("m=resolver:::ffff:192.0.2.1", false, "m", TARGET_RESOLVER, AF_INET6, "::ffff:192.0.2.1",
	     53);
}

static void test_label_bounds(void)
{
	char spec[128], label[40];
	/* 31 characters fit the 32-byte label, 32 do not */
	memset(label, 'L', 31);
	label[31] = '\0';
	snprintf(spec, sizeof spec, "%s=resolver:192.0.2.1", label);
	good(spec, false, label, TARGET_RESOLVER, AF_INET, "192.0.2.1", 53);
	memset(label, 'L', 32);
	label[32] = '\0';
	snprintf(spec, sizeof spec, "%s=resolver:192.0.2.1", label);
	bad(spec, false);
	bad("=resolver:192.0.2.1", false);
}

static void test_refused(void)
{
	bad("", false);
	bad("x", false);
	bad("x=", false);
	bad("x=resolver", false);
	bad("x=resolver:", false);
	bad("x=resolve:192.0.2.1", false);
	bad("x=RESOLVER:192.0.2.1", false);
	bad("x=dns:192.0.2.1", false);
	bad("x=resolver:192.0.2", false);
	bad("x=resolver:192.0.2.256", false);
	bad("x=resolver:example.com", false);
	bad("x=resolver:192.0.2.1:", false);
	bad("x=resolver:192.0.2.1:0", false);
	bad("x=resolver:192.0.2.1:65536", false);
	bad("x=resolver:192.0.2.1:-53", false);
	bad("x=resolver:192.0.2.1:53x", false);
	bad("x=resolver:192.0.2.1:5 3", false);
	bad("x=resolver:192.0.2.1:53:54", false);
	bad("x=resolver:192.0.2.1:99999999999999999999", false);
	bad("x=resolver:[2001:db8::1]", false);     /* brackets need a port */
	bad("x=resolver:[2001:db8::1]:", false);
	bad("x=resolver:[2001:db8::1]:0", false);
	bad("x=resolver:[2001:db8::1]:65536", false);
	bad("x=resolver:[2001:db8::1", false);
	bad("x=resolver:[192.0.2.1]:53", false);     /* brackets are for IPv6 */
	bad("x=resolver:2001:db8::g", false);
	bad("x=resolver:fe80::1%lo", false);
	bad("x=resolver:[fe80::1%lo]:53", false);
}

/* Lab server names, only in a lab; kind and address from the lab's table. */
static void test_lab_names(void)
{
	good("isp", true, "isp", TARGET_RESOLVER, AF_INET, "198.18.1.1", 53);
	good("public", true, "public", TARGET_RESOLVER, AF_INET, "198.19.8.8", 53);
	good("nodns", true, "nodns", TARGET_NODNS, AF_INET, "198.18.55.55", 53);
	good("root", true, "root", TARGET_AUTH, AF_INET, "198.19.53.1", 53);
	bad("isp", false);    /* no lab: a bare name is not a target */
	bad("nosuchserver", true);
	bad("ISP", true);
	bad("", true);
	/* the full form still works in a lab */
	good("isp=auth:192.0.2.7:54", true, "isp", TARGET_AUTH, AF_INET, "192.0.2.7", 54);
	/* every server of the table names itself, with its own kind */
	int n = 0;
	for (size_t i = 0; i < lab_nservers; i++) {
		const struct lab_server_def *s = &lab_servers[i];
		enum probe_target_kind k = s->kind == LAB_SRV_NONE  ? TARGET_NODNS
					   : s->kind == LAB_SRV_NSD ? TARGET_AUTH
								    : TARGET_RESOLVER;
		good(s->id, true, s->id, k, AF_INET, s->addr, 53);
		n++;
	}
	CHECK(n >= 10);
}

/*
 * A port is digits and nothing else, after "[IPv6]:" as after IPv4, and a
 * spec too long for the address buffer is refused, never cut (both were
 * once accepted as port 53).
 */
static void test_port_trailing_text(void)
{
	bad("x=resolver:[2001:db8::1]:53x", false);
	bad("x=resolver:[2001:db8::1]:53:54", false);
	bad("x=resolver:[2001:db8::1]: 53", false);
	char spec[200];
	snprintf(spec, sizeof spec, "x=resolver:192.0.2.1:%067d53junk", 0);
	bad(spec, false);
}

/* The rate rule (docs/ethics.md): loopback and the lab are local; over
 * 1000 queries/s to anything else needs --allow-fast-public. */
static void test_rate_rule(void)
{
	static const struct {
		const char *spec;
		bool local;
	} cases[] = {
		{"a=resolver:127.0.0.1", true},        {"a=resolver:127.255.0.9:5353", true},
		{"a=resolver:::1", true},              {"a=resolver:[::1]:10053", true},
		{"a=resolver:::ffff:127.0.0.2", true}, {"a=resolver:198.18.1.1", true},
		{"a=resolver:198.19.255.254", true},   {"a=resolver:198.17.255.255", false},
		{"a=resolver:198.20.0.0", false},      {"a=resolver:8.8.8.8", false},
		{"a=resolver:128.0.0.1", false},       {"a=resolver:::2", false},
		{"a=resolver:2001:4860:4860::8888", false}, {"a=resolver:::ffff:8.8.8.8", false},
	};
	struct probe_target t[2];
	char msg[512];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		CHECK_EQ(probe_target_parse(cases[i].spec, false, &t[0]), 0);
		if (probe_target_local(&t[0]) != cases[i].local)
			FAIL("%s: local should be %d", cases[i].spec, cases[i].local);
	}
	CHECK_EQ(probe_target_parse("lo=resolver:127.0.0.1", false, &t[0]), 0);
	CHECK_EQ(probe_target_parse("g=resolver:8.8.8.8", false, &t[1]), 0);
	CHECK_EQ(probe_targets_public(t, 1), -1);
	CHECK_EQ(probe_targets_public(t, 2), 1);
	/* local only: any rate */
	CHECK_EQ(probe_rate_allowed(t, 1, 5e6, false, "--max-rate", msg, sizeof msg), 0);
	/* public: up to 1000 without the flag, more with it */
	CHECK_EQ(probe_rate_allowed(t, 2, 1000, false, "--max-rate", msg, sizeof msg), 0);
	CHECK_EQ(probe_rate_allowed(t, 2, 1001, true, "--max-rate", msg, sizeof msg), 0);
	CHECK_EQ(probe_rate_allowed(t, 2, 1001, false, "--max-rate", msg, sizeof msg), -1);
	CHECK_STR(msg, "--max-rate asks 1001 queries/s, over 1000, of g (8.8.8.8), outside loopback "
		       "and the lab: add --allow-fast-public if that network and server agreed to it "
		       "(docs/ethics.md)");
}

int main(void)
{
	RUN(test_rate_rule);
	RUN(test_tls);
	RUN(test_ipv4);
	RUN(test_ipv6);
	RUN(test_label_bounds);
	RUN(test_refused);
	RUN(test_lab_names);
	RUN(test_port_trailing_text);
	return harness_done();
}
