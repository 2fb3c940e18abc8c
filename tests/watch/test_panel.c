/* watch/panel: reading the lab's answer key (A names only, TLDs, hashes),
 * the seeded stream (same seed, same names; another seed, another order),
 * rounds, churn and coverage, the strata by TLD, and the key's errors with
 * their PATH:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "watch/panel.h"

static char keypath[64];

/* Write TEXT to a fresh temporary file; its path in keypath. */
static void write_key(const char *text)
{
	snprintf(keypath, sizeof keypath, "/tmp/dw_panel_XXXXXX");
	int fd = mkstemp(keypath);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

/* A key in the lab's format with N A names (and an AAAA for every third):
 * name i in zone i/4 (1 to 4 names a zone), on one of 9 servers. */
static void write_big_key(size_t n)
{
	size_t cap = 128 + n * 200, len = 0;
	char *buf = malloc(cap);
	len += (size_t)snprintf(buf + len, cap - len,
				"# dnswatch lab answer key v1 seed=1 names=%zu zones=%zu\n"
				"name\ttype\taddresses\tzone\tserver\tttl\n",
				n, (n + 3) / 4);
	static const char *const tld[] = {"com", "net", "org", "cn"};
	for (size_t i = 0; i < n; i++) {
		size_t z = i / 4;
		len += (size_t)snprintf(buf + len, cap - len,
					"n%zu.z%zu.%s.\tA\t198.19.%zu.%zu\tz%zu.%s.\t198.19.54.%zu\t300\n",
					i, z, tld[z % 4], i / 250, i % 250 + 1, z, tld[z % 4], z % 9 + 1);
		if (i % 3 == 0)
			len += (size_t)snprintf(buf + len, cap - len,
						"n%zu.z%zu.%s.\tAAAA\tfd53::%zx\tz%zu.%s.\t198.19.54.%zu\t300\n",
						i, z, tld[z % 4], i + 1, z, tld[z % 4], z % 9 + 1);
	}
	write_key(buf);
	free(buf);
}

static const struct panel_name *find(const struct panel *p, const char *text)
{
	for (size_t i = 0; i < p->nall; i++)
		if (!strcmp(p->all[i].text, text))
			return &p->all[i];
	return NULL;
}

static void test_hash(void)
{
	/* FNV-1a 64: the offset basis for "", the published vector for "a". */
	CHECK(panel_hash("") == 0xcbf29ce484222325ull);
	CHECK(panel_hash("a") == 0xaf63dc4c8601ec8cull);
	CHECK(panel_hash("A") == panel_hash("a"));
	CHECK(panel_hash("WWW.Example.COM.") == panel_hash("www.example.com."));
	CHECK(panel_hash("www.example.com.") != panel_hash("www.example.net."));
	CHECK(panel_hash("ab") != panel_hash("ba"));
}

static void test_load(void)
{
	write_key("# dnswatch lab answer key v1 seed=1 names=6 zones=4\n"
		  "name\ttype\taddresses\tzone\tserver\tttl\n"
		  "dev.lune0.com.\tA\t198.19.145.242,198.19.150.37\tlune0.com.\t198.19.54.6\t86400\n"
		  "dev.lune0.com.\tAAAA\tfd53::1\tlune0.com.\t198.19.54.6\t86400\n"
		  "WWW.Goma1.COM.\tA\t198.19.137.122\tgoma1.com.\t198.19.54.4\t300\n"
		  "\n"
		  "mail.goma1.com.\tA\t198.19.137.123\tgoma1.com.\t198.19.54.4\t300\n"
		  "api.shan2.cn\tA\t198.18.130.1\tshan2.cn.\t198.18.54.2\t60\n"
		  "only.six.org.\tAAAA\tfd53::2\tsix.org.\t198.19.54.7\t60\n"
		  "x.abcdefghijklmnopqrst.\tA\t198.19.1.1\tabcdefghijklmnopqrst.\t198.19.54.8\t60\n"
		  "localhost.\tA\t198.19.1.2\t.\t198.19.54.9\t60\n");
	struct panel p;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 0, 0.1, 1, &err), 0);
	CHECK_STR(err.text, "");
	CHECK_EQ(p.nall, 6); /* the A names only */
	CHECK_EQ(p.size, 6); /* size 0: all of them */
	CHECK(find(&p, "only.six.org.") == NULL);

	const struct panel_name *n = find(&p, "dev.lune0.com.");
	CHECK(n != NULL);
	if (n) {
		CHECK_STR(n->tld, "com");
		CHECK(n->name == panel_hash("dev.lune0.com."));
		CHECK(n->zone == panel_hash("lune0.com."));
		CHECK(n->server == panel_hash("198.19.54.6"));
	}
	/* Case kept in the text, folded in the TLD and the hashes. */
	const struct panel_name *w = find(&p, "WWW.Goma1.COM.");
	const struct panel_name *m = find(&p, "mail.goma1.com.");
	CHECK(w != NULL && m != NULL);
	if (w && m) {
		CHECK_STR(w->tld, "com");
		CHECK(w->name == panel_hash("www.goma1.com."));
		CHECK(w->zone == m->zone);
		CHECK(w->server == m->server);
		CHECK(w->name != m->name);
	}
	n = find(&p, "api.shan2.cn"); /* no final dot */
	CHECK(n && !strcmp(n->tld, "cn"));
	n = find(&p, "x.abcdefghijklmnopqrst."); /* cut to its slot */
	CHECK(n && !strcmp(n->tld, "abcdefghijklmno"));
	n = find(&p, "localhost.");
	CHECK(n && !strcmp(n->tld, "localhost"));

	/* The panel: every name once per round. */
	bool seen[6] = {0};
	for (uint64_t s = 0; s < 6; s++) {
		const struct panel_name *a = panel_at(&p, s);
		CHECK(a >= p.all && a < p.all + p.nall);
		if (a >= p.all && a < p.all + p.nall) {
			CHECK(!seen[a - p.all]);
			seen[a - p.all] = true;
		}
	}
	/* Each name's wire form; a text with none fails, and is never the
	 * root (".", which the engine would ask). */
	uint8_t wire[WIRE_NAME_MAX];
	CHECK_EQ(panel_name_wire(panel_at(&p, 0), wire), DW_OK);
	CHECK(wire[0] != 0);
	struct panel_name bad = p.all[0];
	memset(bad.text, 'a', 70); /* a label over 63 octets */
	strcpy(bad.text + 70, ".com.");
	CHECK_EQ(panel_name_wire(&bad, wire), DW_E_LABEL_TOO_LONG);
	CHECK(wire[0] != 0);
	panel_free(&p);
	CHECK(p.all == NULL && p.cur == NULL && p.nall == 0);

	/* A panel larger than the key is the key. */
	CHECK_EQ(panel_load(&p, keypath, 100, 0.1, 1, &err), 0);
	CHECK_EQ(p.size, 6);
	panel_free(&p);
	unlink(keypath);
}

static void test_seed(void)
{
	write_big_key(500);
	struct panel a, b, c;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&a, keypath, 100, 0.1, 7, &err), 0);
	CHECK_EQ(panel_load(&b, keypath, 100, 0.1, 7, &err), 0);
	CHECK_EQ(panel_load(&c, keypath, 100, 0.1, 8, &err), 0);
	CHECK_EQ(a.nall, 500);
	CHECK_EQ(a.size, 100);
	/* Two vantage points with one seed ask the same name at each position,
	 * across rounds and their churn. */
	size_t same = 0, differ = 0;
	for (uint64_t s = 0; s < 100 * 30; s++) {
		const struct panel_name *x = panel_at(&a, s), *y = panel_at(&b, s),
					*z = panel_at(&c, s);
		same += !strcmp(x->text, y->text);
		differ += strcmp(x->text, z->text) != 0;
	}
	CHECK_EQ(same, 100 * 30);
	/* Another seed, another order: almost every position differs. */
	CHECK(differ > 100 * 30 * 9 / 10);
	/* The shuffle is a shuffle: the first round is not the key's order. */
	size_t in_order = 0;
	for (size_t i = 0; i < 100; i++) {
		char want[32];
		snprintf(want, sizeof want, "n%zu.", i);
		in_order += !strncmp(a.all[i].text, want, strlen(want));
	}
	CHECK(in_order < 10);
	panel_free(&a);
	panel_free(&b);
	panel_free(&c);
	unlink(keypath);
}

static void test_rounds(void)
{
	write_big_key(500);
	struct panel p;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 50, 0, 3, &err), 0);
	/* Without churn: the same 50 distinct names, in the same order, each round. */
	const struct panel_name *first[50];
	for (uint64_t s = 0; s < 50; s++) {
		first[s] = panel_at(&p, s);
		for (uint64_t k = 0; k < s; k++)
			CHECK(first[k] != first[s]);
	}
	for (uint64_t r = 1; r < 20; r++)
		for (uint64_t s = 0; s < 50; s++)
			CHECK(panel_at(&p, r * 50 + s) == first[s]);
	panel_free(&p);

	/* Churn is clamped to 0..1: below is none, above is all of it. */
	CHECK_EQ(panel_load(&p, keypath, 50, -2, 3, &err), 0);
	CHECK(p.churn == 0);
	panel_free(&p);
	CHECK_EQ(panel_load(&p, keypath, 50, 7, 3, &err), 0);
	CHECK(p.churn == 1);
	panel_free(&p);

	/* A panel of the whole key has nothing fresh to swap in. */
	CHECK_EQ(panel_load(&p, keypath, 0, 0.5, 3, &err), 0);
	CHECK_EQ(p.size, 500);
	const struct panel_name *r0 = panel_at(&p, 17);
	CHECK(panel_at(&p, 500 * 5 + 17) == r0);
	panel_free(&p);
	unlink(keypath);
}

static void test_churn(void)
{
	write_big_key(500);
	struct panel p;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 100, 0.1, 11, &err), 0);
	const struct panel_name *prev[100], *now[100];
	bool covered[500] = {0};
	size_t ncovered = 0, min_changed = 100, max_changed = 0;
	for (uint64_t r = 0; r < 120; r++) {
		for (uint64_t s = 0; s < 100; s++) {
			now[s] = panel_at(&p, r * 100 + s);
			size_t i = (size_t)(now[s] - p.all);
			CHECK(i < 500);
			if (i < 500 && !covered[i]) {
				covered[i] = true;
				ncovered++;
			}
		}
		if (r) {
			size_t changed = 0;
			for (size_t s = 0; s < 100; s++)
				changed += now[s] != prev[s];
			if (changed < min_changed)
				min_changed = changed;
			if (changed > max_changed)
				max_changed = changed;
		}
		memcpy(prev, now, sizeof prev);
	}
	/* 10% of 100 swapped a round: about 10 positions change (a position
	 * can be drawn twice), never more. */
	CHECK(max_changed <= 10);
	CHECK(min_changed >= 5);
	/* Over enough rounds the whole key is asked. */
	CHECK_EQ(ncovered, 500);
	panel_free(&p);
	unlink(keypath);
}

/* A key of 1,000 names: com 700, net 200, cn 50, org 48, and two names
 * under TLDs of their own (x1, x2). */
static void write_tld_key(void)
{
	size_t cap = 200000, len = 0;
	char *buf = malloc(cap);
	len += (size_t)snprintf(buf, cap, "# key\nname\ttype\taddresses\tzone\tserver\tttl\n");
	static const struct {
		const char *tld;
		int count;
	} mix[] = {{"com", 700}, {"net", 200}, {"cn", 50}, {"org", 48}, {"x1", 1}, {"x2", 1}};
	for (size_t t = 0; t < sizeof mix / sizeof mix[0]; t++)
		for (int i = 0; i < mix[t].count; i++)
			len += (size_t)snprintf(buf + len, cap - len,
						"n%d.z%d.%s.\tA\t198.19.1.1\tz%d.%s.\t198.19.54.1\t300\n", i, i,
						mix[t].tld, i, mix[t].tld);
	write_key(buf);
	free(buf);
}

static void test_strata(void)
{
	write_tld_key();
	struct panel p;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 120, 0.1, 5, &err), 0);
	/* Places by largest remainder of 120 x share: com 84, net 24, cn 6,
	 * org 5.76 -> 6; x1 and x2 (0.12 each) one stratum, given one place
	 * (taken from the largest, com). */
	CHECK_EQ(p.nstrata, 5);
	CHECK_EQ(p.size, 120);
	static const char *const tld[] = {"com", "net", "cn", "org"};
	static const size_t want[] = {83, 24, 6, 6};
	bool org_seen[48] = {0}, x1 = false, x2 = false;
	for (uint64_t r = 0; r < 300; r++) {
		size_t got[4] = {0}, rare = 0;
		for (uint64_t s = 0; s < 120; s++) {
			const struct panel_name *n = panel_at(&p, r * 120 + s);
			bool known = false;
			for (int t = 0; t < 4; t++)
				if (!strcmp(n->tld, tld[t])) {
					got[t]++;
					known = true;
				}
			rare += !known;
			int i;
			if (!strcmp(n->tld, "org") && sscanf(n->text, "n%d.", &i) == 1 && i >= 0 && i < 48)
				org_seen[i] = true;
			x1 |= !strcmp(n->tld, "x1");
			x2 |= !strcmp(n->tld, "x2");
		}
		/* Every round, churn or not, each stratum its places. */
		for (int t = 0; t < 4; t++)
			CHECK_EQ(got[t], want[t]);
		CHECK_EQ(rare, 1);
	}
	/* Over the rounds every .org name, and both rare ones, asked. */
	size_t orgs = 0;
	for (int i = 0; i < 48; i++)
		orgs += org_seen[i];
	CHECK_EQ(orgs, 48);
	CHECK(x1 && x2);
	/* The first round is not grouped by TLD: the places are shuffled. */
	size_t runs = 1;
	for (uint64_t s = 1; s < 120; s++)
		runs += strcmp(panel_at(&p, 300 * 120 + s)->tld, panel_at(&p, 300 * 120 + s - 1)->tld) != 0;
	CHECK(runs > 20);
	panel_free(&p);
	CHECK(p.strata == NULL);
	unlink(keypath);
}

static void test_errors(void)
{
	struct panel p;
	struct dw_error err;
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, "/nonexistent/dw-answers.tsv", 10, 0.1, 1, &err), -1);
	CHECK(strstr(err.text, "/nonexistent/dw-answers.tsv") == err.text);
	CHECK(strstr(err.text, "No such file") != NULL);
	CHECK_EQ(err.status, DW_E_NOT_FOUND);
	CHECK(p.all == NULL && p.cur == NULL);
	panel_free(&p); /* safe after a failure */

	write_key("# key\n"
		  "name\ttype\taddresses\tzone\tserver\tttl\n"
		  "a.com.\tA\t198.19.1.1\tcom.\t198.19.54.1\t300\n"
		  "b.com.\tA\t198.19.1.2\n");
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 10, 0.1, 1, &err), -1);
	char want[128];
	snprintf(want, sizeof want, "%s:4: 3 fields", keypath);
	CHECK(strncmp(err.text, want, strlen(want)) == 0);
	CHECK_EQ(err.status, DW_E_SYNTAX);
	CHECK(p.all == NULL);
	unlink(keypath);

	write_key("# key\n"
		  "name\ttype\taddresses\tzone\tserver\tttl\n"
		  "a.com.\tAAAA\tfd53::1\tcom.\t198.19.54.1\t300\n");
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 10, 0.1, 1, &err), -1);
	snprintf(want, sizeof want, "%s: no A names", keypath);
	CHECK(strncmp(err.text, want, strlen(want)) == 0);
	unlink(keypath);

	write_key("");
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 10, 0.1, 1, &err), -1);
	CHECK(strstr(err.text, "no A names") != NULL);
	unlink(keypath);

	/* Names the prober would not ask (too long for DNS, a wildcard) are
	 * skipped and counted, the first named by line: `dnswatch probe`'s
	 * rule for its input (probe_name_check) holds for the panel too. */
	char line[800];
	memset(line, 'a', 300);
	snprintf(line + 300, sizeof line - 300,
		 "\tA\t198.19.1.1\tcom.\t198.19.54.1\t300\n"
		 "*.wild.com.\tA\t198.19.1.2\twild.com.\t198.19.54.1\t300\n"
		 "ok.example.com.\tA\t198.19.1.3\texample.com.\t198.19.54.1\t300\n");
	write_key(line);
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 10, 0.1, 1, &err), 0);
	CHECK_EQ(p.nall, 1);
	CHECK_EQ(p.skipped, 2);
	snprintf(want, sizeof want, "%s:1: 'aaaa", keypath);
	CHECK(strncmp(p.skipped_first, want, strlen(want)) == 0);
	CHECK_STR(panel_at(&p, 0)->text, "ok.example.com.");
	panel_free(&p);
	/* Only such names: no A names left. */
	memset(line, 'a', 300);
	snprintf(line + 300, sizeof line - 300, "\tA\t198.19.1.1\tcom.\t198.19.54.1\t300\n");
	write_key(line);
	dw_error_clear(&err);
	CHECK_EQ(panel_load(&p, keypath, 10, 0.1, 1, &err), -1);
	CHECK(strstr(err.text, "no A names") != NULL);
	unlink(keypath);
}

int main(void)
{
	RUN(test_hash);
	RUN(test_load);
	RUN(test_seed);
	RUN(test_rounds);
	RUN(test_churn);
	RUN(test_strata);
	RUN(test_errors);
	return harness_done();
}
