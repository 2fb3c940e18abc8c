/* The report's census section (census.h). */
#include "report/census.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

static int on_rule(void *ctx, int n, const char *const *c)
{
	struct report_census *rc = ctx;
	if (n < 5 || rc->ntop >= REPORT_CENSUS_TOP)
		return 1;
	snprintf(rc->top[rc->ntop].pattern, sizeof rc->top[0].pattern, "%s", c[0]);
	snprintf(rc->top[rc->ntop].qtypes, sizeof rc->top[0].qtypes, "%s", c[1]);
	rc->top[rc->ntop].pass = atoi(c[2]) != 0;
	rc->top[rc->ntop].names = strtoull(c[3], NULL, 10);
	rc->top[rc->ntop].overblocked = strtoull(c[4], NULL, 10);
	rc->ntop++;
	return 0;
}

static int on_over(void *ctx, int n, const char *const *c)
{
	struct report_census *rc = ctx;
	if (n < 2 || rc->nover >= REPORT_CENSUS_OVER)
		return 1;
	snprintf(rc->over[rc->nover].name, sizeof rc->over[0].name, "%s", c[0]);
	snprintf(rc->over[rc->nover].pattern, sizeof rc->over[0].pattern, "%s", c[1]);
	rc->nover++;
	return 0;
}

static int on_pool(void *ctx, int n, const char *const *c)
{
	struct report_census *rc = ctx;
	if (n < 5 || rc->npool >= REPORT_CENSUS_POOLS)
		return 1;
	snprintf(rc->pool[rc->npool].fingerprint, sizeof rc->pool[0].fingerprint, "%s", c[0]);
	rc->pool[rc->npool].length = (unsigned)atoi(c[1]);
	rc->pool[rc->npool].distinct = (unsigned)atoi(c[2]);
	rc->pool[rc->npool].queries = (unsigned)atoi(c[3]);
	rc->pool[rc->npool].confirmed = atoi(c[4]) != 0;
	rc->npool++;
	return 0;
}

static int on_change(void *ctx, enum census_change c, const char *a, const char *b)
{
	struct report_census *rc = ctx;
	(void)b;
	if (rc->changes[c] < 3)
		snprintf(rc->examples[c][rc->changes[c]], sizeof rc->examples[0][0], "%s", a ? a : "");
	rc->changes[c]++;
	return 0;
}

int report_census_load(struct report_census *rc, const char *path, struct dw_error *err)
{
	memset(rc, 0, sizeof *rc);
	struct census_store *s;
	struct dw_error e;
	if (census_store_open(&s, path, true, &e))
		return 0; /* no census in this store */
	int rc_ = -1;
	if (census_store_summary(s, &rc->sum, err))
		goto out;
	if (!rc->sum.run) {
		rc_ = 0;
		goto out;
	}
	rc->present = true;
	if (census_store_rows(s, rc->sum.run, "rules", REPORT_CENSUS_TOP, on_rule, rc, err) ||
	    census_store_rows(s, rc->sum.run, "overblocked", REPORT_CENSUS_OVER, on_over, rc, err) ||
	    census_store_rows(s, rc->sum.run, "pools", REPORT_CENSUS_POOLS, on_pool, rc, err))
		goto out;
	if (rc->sum.previous) {
		if (census_store_diff(s, path, rc->sum.previous, on_change, rc, err))
			goto out;
		rc->has_diff = true;
	}
	rc_ = 0;
out:
	if (census_store_close(s, &e) && !rc_) {
		*err = e;
		rc_ = -1;
	}
	return rc_;
}

void report_census_html(FILE *out, const struct report_census *rc)
{
	if (!rc || !rc->present)
		return;
	const struct census_store_summary *s = &rc->sum;
	fprintf(out, "<section id=\"census\"><h2>Census</h2>\n<p>Census %" PRId64 ": %" PRIu64
		     " names asked of addresses that run no DNS, <strong>%" PRIu64 " censored</strong>, %" PRIu64
		     " forged replies from %" PRIu64 " injector groups; %" PRIu64 " rules inferred, %" PRIu64
		     " names over-blocked, %" PRIu64 " pools read.</p>\n",
		s->run, s->names, s->censored, s->replies, s->groups, s->rules, s->overblocked, s->pools);
	if (rc->ntop) {
		fputs("<h3>Rules by names blocked</h3>\n<table><thead><tr><th>rule</th><th>types</th>"
		      "<th>names</th><th>over-blocked</th></tr></thead><tbody>\n", out);
		for (unsigned i = 0; i < rc->ntop; i++) {
			fputs("<tr><td><code>", out);
			report_html_text(out, rc->top[i].pattern);
			fputs(rc->top[i].pass ? "</code> pass</td><td>" : "</code></td><td>", out);
			report_html_text(out, rc->top[i].qtypes[0] ? rc->top[i].qtypes : "all");
			fprintf(out, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>\n", rc->top[i].names,
				rc->top[i].overblocked);
		}
		fputs("</tbody></table>\n", out);
	}
	if (rc->nover) {
		fputs("<h3>Over-blocked names</h3>\n<ul>\n", out);
		for (unsigned i = 0; i < rc->nover; i++) {
			fputs("<li><code>", out);
			report_html_text(out, rc->over[i].name);
			fputs("</code> under <code>", out);
			report_html_text(out, rc->over[i].pattern);
			fputs("</code></li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	if (rc->npool) {
		fputs("<h3>Address pools</h3>\n<table><thead><tr><th>injector</th><th>length</th>"
		      "<th>addresses</th><th>queries</th><th>cyclic</th></tr></thead><tbody>\n", out);
		for (unsigned i = 0; i < rc->npool; i++) {
			fputs("<tr><td>", out);
			report_html_text(out, rc->pool[i].fingerprint);
			fprintf(out, "</td><td>%u</td><td>%u</td><td>%u</td><td>%s</td></tr>\n", rc->pool[i].length,
				rc->pool[i].distinct, rc->pool[i].queries,
				rc->pool[i].confirmed ? "yes, confirmed" : rc->pool[i].length ? "seen once" : "no");
		}
		fputs("</tbody></table>\n", out);
	}
	if (rc->has_diff) {
		static const char *const what[] = {"newly censored", "no longer censored", "rules added",
						   "rules removed", "pools changed"};
		fprintf(out, "<h3>Since census %" PRId64 "</h3>\n<ul>\n", s->previous);
		for (int c = 0; c < CENSUS_CHANGE_COUNT; c++) {
			fprintf(out, "<li>%s: %" PRIu64, what[c], rc->changes[c]);
			for (uint64_t k = 0; k < rc->changes[c] && k < 3; k++) {
				fputs(k ? ", <code>" : " (<code>", out);
				report_html_text(out, rc->examples[c][k]);
				fputs("</code>", out);
			}
			fputs(rc->changes[c] > 3 ? ", ...)" : rc->changes[c] ? ")" : "", out);
			fputs("</li>\n", out);
		}
		fputs("</ul>\n", out);
	}
	fputs("</section>\n", out);
}
