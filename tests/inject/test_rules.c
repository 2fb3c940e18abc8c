/* inject/rules: the rule file, its errors, and lookups through the matcher. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "harness.h"
#include "inject/rules.h"
#include "wire/msg.h"
#include "wire/name.h"

static struct inject_rules *parse(const char *text, struct dw_error *err)
{
	return inject_rules_parse(text, strlen(text), "t.rules", err);
}

static const struct inject_rule *lookup(const struct inject_rules *r, const char *name, uint16_t type)
{
	uint8_t wire[WIRE_NAME_MAX];
	size_t len;
	if (wire_name_from_text(name, wire, &len))
		return NULL;
	return inject_rules_lookup(r, wire, type);
}

static const char *pool_addr(const struct inject_rules *r, const struct inject_rule *rule, unsigned i,
			     char *buf)
{
	struct in_addr a = {r->addrs[r->pools[rule->a.pool].first + i]};
	return inet_ntop(AF_INET, &a, buf, 16);
}

static const char good[] =
	"# the 2014 misfire and a blocklist\n"
	"pool google 8.7.198.45 59.24.3.173 203.98.7.65\n"
	"*.com  a=65.49.2.178   # every .com\n"
	"\n"
	"*.youtube.com a=@google aaaa=2001::/32 ttl=226 injectors=gfw2,gfw3\n"
	"*youtube.com  nxdomain\n"
	"example.org   qtype=AAAA aaaa=2001:db8::1\n"
	"*.cn pass\n"
	"*google* noreply\n";

static void test_good_file(void)
{
	struct dw_error err = {0};
	char b[16];
	struct inject_rules *r = parse(good, &err);
	CHECK(r != NULL);
	if (!r) {
		printf("#   %s\n", err.text);
		return;
	}
	CHECK_EQ(r->nrules, 6);
	CHECK_EQ(r->npools, 2); /* google, and the single address of line 3 */
	const struct inject_rule *x = lookup(r, "www.baidu.com", WIRE_T_A);
	CHECK(x && x->action == RULE_FORGE && x->line == 3 && x->a.set && !x->aaaa.set);
	if (x)
		CHECK_STR(pool_addr(r, x, 0, b), "65.49.2.178");
	x = lookup(r, "www.youtube.com", WIRE_T_A);
	CHECK(x && x->line == 5 && x->has_ttl && x->ttl == 226 && x->aaaa.set &&
	      x->aaaa.prefix_len == 32 && r->pools[x->a.pool].count == 3);
	CHECK(x && x->injectors == 3 && r->ninjectors == 2);
	CHECK_STR(r->injector[0], "gfw2");
	if (x)
		CHECK_STR(pool_addr(r, x, 2, b), "203.98.7.65");
	/* *youtube.com: youtube.com itself and notyoutube.com */
	x = lookup(r, "notyoutube.com", WIRE_T_A);
	CHECK(x && x->action == RULE_NXDOMAIN);
	x = lookup(r, "youtube.com", WIRE_T_A);
	CHECK(x && x->action == RULE_NXDOMAIN);
	/* a qtype selector: AAAA only; an A query falls back to *.com */
	x = lookup(r, "example.org", WIRE_T_AAAA);
	CHECK(x && x->line == 7 && x->aaaa.prefix_len == 128);
	CHECK(lookup(r, "example.org", WIRE_T_A) == NULL);
	x = lookup(r, "www.gov.cn", WIRE_T_A);
	CHECK(x && x->action == RULE_PASS);
	x = lookup(r, "googleusercontent.net", WIRE_T_A);
	CHECK(x && x->action == RULE_NOREPLY);
	CHECK(lookup(r, "example.net", WIRE_T_A) == NULL);
	inject_rules_free(r);
}

static void expect_error(const char *text, const char *want)
{
	struct dw_error err = {0};
	struct inject_rules *r = parse(text, &err);
	CHECK(r == NULL);
	inject_rules_free(r);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	if (strstr(err.text, want) == NULL) {
		harness_failed_checks++;
		printf("#   for %s#   want \"%s\"\n#   got  \"%s\"\n", text, want, err.text);
	}
}

static void test_errors_name_the_line(void)
{
	expect_error("*.com a=65.49.2.178\n*.net bogus\n", "t.rules:2: unknown word 'bogus'");
	expect_error("*.com a=65.49.2\n", "t.rules:1: '65.49.2' is not an IPv4 address");
	expect_error("\n\n*.com a=@nopool\n", "t.rules:3: unknown pool 'nopool'");
	expect_error("pool p 1.2.3.4\npool p 5.6.7.8\n", "t.rules:2: pool 'p' defined twice");
	expect_error("pool p\n", "t.rules:1: pool needs a name and at least one address");
	expect_error("*.com a=1.2.3.4 nxdomain\n", "t.rules:1: more than one action");
	expect_error("*.com ttl=5\n", "t.rules:1: no action");
	expect_error("*.com a=1.2.3.4 ttl=-1\n", "t.rules:1: bad ttl '-1'");
	expect_error("*.com pass ttl=5\n", "t.rules:1: ttl= only applies to a forged answer");
	expect_error("*.com aaaa=2001::/129\n", "t.rules:1: '2001::/129' is not an IPv6 address or prefix");
	expect_error("*.com a=1.2.3.4 a=1.2.3.5\n", "t.rules:1: a= given twice");
	expect_error("a*b.com a=1.2.3.4\n", "t.rules:1: ");
	expect_error("ok.com qtype=NOPE a=1.2.3.4\n", "t.rules:1: ");
	expect_error("ok.com a=1.2.3.4\nbad..com a=1.2.3.4\n", "t.rules:2: ");
	expect_error("x.com a=1.2.3.4 injectors=\n", "t.rules:1: injectors= needs at least one name");
	expect_error("x.com\0 a=1.2.3.4\n", "t.rules:1: ");
}

static void test_nul_byte(void)
{
	struct dw_error err = {0};
	const char text[] = "ok.com a=1.2.3.4\nx.com\0 a=1.2.3.4\n";
	struct inject_rules *r = inject_rules_parse(text, sizeof text - 1, "t.rules", &err);
	CHECK(r == NULL);
	CHECK_STR(err.text, "t.rules:2: NUL byte in the line");
	inject_rules_free(r);
}

static void test_empty_and_missing(void)
{
	struct inject_rules *r = inject_rules_empty();
	CHECK(r && r->nrules == 0);
	if (r)
		CHECK(lookup(r, "www.example.com", WIRE_T_A) == NULL);
	inject_rules_free(r);
	struct dw_error err = {0};
	CHECK(inject_rules_load("/nonexistent/x.rules", &err) == NULL);
	CHECK_STR(err.text, "/nonexistent/x.rules: No such file or directory");
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
}

static void test_long_pool_line(void)
{
	/* A pool as big as the GFW's largest measured one (1,781 addresses). */
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap);
	n += (size_t)snprintf(text + n, cap - n, "pool big");
	for (int i = 0; i < 1781; i++)
		n += (size_t)snprintf(text + n, cap - n, " 10.%d.%d.1", i / 256, i % 256);
	n += (size_t)snprintf(text + n, cap - n, "\n*.com a=@big\n");
	struct dw_error err = {0};
	struct inject_rules *r = inject_rules_parse(text, n, "big", &err);
	CHECK(r && r->pools[0].count == 1781);
	inject_rules_free(r);
	free(text);
}

int main(void)
{
	RUN(test_good_file);
	RUN(test_errors_name_the_line);
	RUN(test_nul_byte);
	RUN(test_empty_and_missing);
	RUN(test_long_pool_line);
	return harness_done();
}
