/* store/census and report/census: two censuses in one store (names, a
 * duplicate name refused, rules, over-blocked names, pools), the names read
 * back for a resume, the diff between them (in one file and across two),
 * and the report's census section. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "report/census.h"
#include "store/census.h"

static char dir[] = "/tmp/dw-census-XXXXXX";

static void census(struct census_store *s, const char *const *names, const uint8_t *cens, size_t n,
		   const char *rule, const char *pool_order)
{
	struct dw_error err;
	int64_t run;
	CHECK_EQ(census_store_run_begin(s, "test", "nodns=nodns:198.19.55.55:53", "A", &run, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct census_store_name row = {.seq = i, .line = (uint32_t)i + 1, .name = names[i],
						.censored = cens[i], .replies = cens[i] ? 3 : 0,
						.a = cens[i] ? 0xc6336401u : 0};
		CHECK_EQ(census_store_name_put(s, &row, &err), 0);
	}
	struct census_store_rule r = {.pattern = rule, .kind = "suffix", .qtypes = "", .action = "a=198.51.100.1",
				      .from = names[0], .probes = 9, .blocked = 4, .names = 2, .overblocked = 1,
				      .evidence = "e"};
	CHECK_EQ(census_store_rule_put(s, &r, &err), 0);
	CHECK_EQ(census_store_overblocked_put(s, "notyoutube.com", rule, &err), 0);
	struct census_store_pool p = {.fingerprint = "fp1", .name = names[0], .queries = 6, .replies = 6,
				      .distinct = 3, .length = 3, .confirmed = true, .order = pool_order};
	CHECK_EQ(census_store_pool_put(s, &p, &err), 0);
	CHECK_EQ(census_store_run_finish(s, "finished", &err), 0);
}

static int count_names(void *ctx, const struct census_store_name *n)
{
	unsigned *c = ctx;
	c[0]++;
	c[1] += n->censored != 0;
	c[2] += n->a == 0xc6336401u;
	return 0;
}

struct changes {
	char text[1024];
	size_t len;
};

static int on_change(void *ctx, enum census_change c, const char *a, const char *b)
{
	struct changes *x = ctx;
	x->len += (size_t)snprintf(x->text + x->len, sizeof x->text - x->len, "%s %s %s;", census_change_name(c),
				   a, b);
	return 0;
}

static void test_two_censuses(void)
{
	CHECK(mkdtemp(dir) != NULL);
	char path[256], path2[256];
	snprintf(path, sizeof path, "%s/c.db", dir);
	snprintf(path2, sizeof path2, "%s/d.db", dir);
	struct census_store *s;
	struct dw_error err;
	CHECK_EQ(census_store_open(&s, path, false, &err), 0);
	const char *day1[] = {"www.youtube.com", "notyoutube.com", "clean.org"};
	const char *day2[] = {"www.youtube.com", "notyoutube.com", "clean.org", "new.example"};
	uint8_t c1[] = {1, 1, 0}, c2[] = {1, 0, 0, 1};
	census(s, day1, c1, 3, "*youtube.com", "1.1.1.1 2.2.2.2 3.3.3.3");
	/* a name stored twice in a run is refused (the resume's guarantee) */
	struct census_store_name dup = {.seq = 0, .name = "www.youtube.com"};
	CHECK_EQ(census_store_run_use(s, 1, &err), 0);
	CHECK(census_store_name_put(s, &dup, &err) != 0 || census_store_flush(s, &err) != 0);
	census(s, day2, c2, 4, "*.youtube.com", "1.1.1.1 3.3.3.3 2.2.2.2");
	unsigned got[3] = {0};
	CHECK_EQ(census_store_names(s, 2, false, count_names, got, &err), 0);
	CHECK_EQ(got[0], 4);
	CHECK_EQ(got[1], 2);
	CHECK_EQ(got[2], 2);
	/* the diff, in one file: census 1 against census 2 */
	struct changes ch = {0};
	CHECK_EQ(census_store_diff(s, path, 1, on_change, &ch, &err), 0);
	CHECK_STR(ch.text, "newly_censored new.example ;no_longer_censored notyoutube.com tested;"
			   "rule_added *.youtube.com ;rule_removed *youtube.com ;pool_changed fp1 3 3 reordered;");
	CHECK_EQ(census_store_close(s, &err), 0);
	/* across two files: the second holds day 2 alone */
	CHECK_EQ(census_store_open(&s, path2, false, &err), 0);
	census(s, day2, c2, 4, "*youtube.com", "1.1.1.1 2.2.2.2 3.3.3.3");
	CHECK_EQ(census_store_close(s, &err), 0);
	CHECK_EQ(census_store_open(&s, path2, true, &err), 0);
	memset(&ch, 0, sizeof ch);
	CHECK_EQ(census_store_diff(s, path, 0, on_change, &ch, &err), 0); /* path's last: census 2 */
	CHECK_STR(ch.text, "rule_added *youtube.com ;rule_removed *.youtube.com ;pool_changed fp1 3 3 reordered;");
	CHECK_EQ(census_store_close(s, &err), 0);

	/* the report's section */
	struct report_census *rc = calloc(1, sizeof *rc);
	CHECK_EQ(report_census_load(rc, path, &err), 0);
	CHECK(rc->present);
	CHECK_EQ(rc->sum.run, 2);
	CHECK_EQ(rc->sum.previous, 1);
	CHECK_EQ(rc->sum.censored, 2);
	CHECK_EQ(rc->ntop, 1);
	CHECK_EQ(rc->nover, 1);
	CHECK_EQ(rc->npool, 1);
	CHECK(rc->has_diff);
	char *html = NULL;
	size_t hl = 0;
	FILE *f = open_memstream(&html, &hl);
	report_census_html(f, rc);
	fclose(f);
	CHECK(strstr(html, "<strong>2 censored</strong>") != NULL);
	CHECK(strstr(html, "<code>*.youtube.com</code>") != NULL);
	CHECK(strstr(html, "<code>notyoutube.com</code> under") != NULL);
	CHECK(strstr(html, "newly censored: 1 (<code>new.example</code>)") != NULL);
	CHECK(strstr(html, "<td>3</td><td>3</td><td>6</td><td>yes, confirmed</td>") != NULL);
	free(html);
	/* a store with no census: no section */
	struct census_store *e;
	char path3[256];
	snprintf(path3, sizeof path3, "%s/none.db", dir);
	CHECK(census_store_open(&e, path3, true, &err) != 0);
	CHECK_EQ(report_census_load(rc, path3, &err), 0);
	CHECK(!rc->present);
	free(rc);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

int main(void)
{
	RUN(test_two_censuses);
	return harness_done();
}
