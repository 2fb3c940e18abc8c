/* The report's section on the guard (see guard.h). */
#include "report/guard.h"

#include <inttypes.h>
#include <time.h>

#include "report/html.h"

static void put_when(FILE *out, int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[32];
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%s UTC", buf);
}

/* The cached answers purged: how many, when, which names, which addresses. */
static void put_purges(FILE *out, const struct guard_store_summary *s)
{
	if (!s->purges) {
		fputs("<p class=\"note\">No cached answer was purged.</p>\n", out);
		return;
	}
	fprintf(out, "<h3 id=\"guard-purges\">Cached answers purged</h3>\n<p>%" PRIu64
		     " cached answer%s, learned before the forgery was known, %s purged when an address in %s "
		     "proved forged, from ",
		s->purges, s->purges == 1 ? "" : "s", s->purges == 1 ? "was" : "were",
		s->purges == 1 ? "it" : "them");
	put_when(out, s->purge_first_us);
	fputs(" to ", out);
	put_when(out, s->purge_last_us);
	fputs(" (docs/guard.md, \"Purge\"); each name is asked upstream again.</p>\n"
	      "<table><thead><tr><th>name purged</th><th>purges</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < s->npurge_names; i++) {
		fputs("<tr><td><code>", out);
		report_html_text(out, s->purge_names[i].name);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->purge_names[i].count);
	}
	fputs("</tbody></table>\n<table><thead><tr><th>forged address</th><th>purges</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < s->npurge_addrs; i++) {
		fputs("<tr><td><code>", out);
		report_html_text(out, s->purge_addrs[i].addr);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->purge_addrs[i].count);
	}
	fputs("</tbody></table>\n", out);
}

void report_guard_html(FILE *out, const struct guard_store_summary *s)
{
	if (!s || !s->present)
		return;
	fputs("<section id=\"guard\"><h2>Replies the guard dropped</h2>\n", out);
	if (!s->drops) {
		fputs("<p class=\"note\"><code>dnswatch guard</code> wrote to this store and dropped no "
		      "reply.</p>\n", out);
		put_purges(out, s);
		fputs("</section>\n", out);
		return;
	}
	fprintf(out, "<p><code>dnswatch guard</code> dropped %" PRIu64 " upstream repl%s as forged, from ",
		s->drops, s->drops == 1 ? "y" : "ies");
	put_when(out, s->first_us);
	fputs(" to ", out);
	put_when(out, s->last_us);
	fputs(", and served none of them (docs/guard.md). A reply fails one or more checks:</p>\n"
	      "<table><thead><tr><th>check</th><th>replies failing it</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < s->nchecks; i++) {
		fputs("<tr><td>", out);
		report_html_text(out, s->checks[i].check);
		fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->checks[i].count);
	}
	fputs("</tbody></table>\n<table><thead><tr><th>forged answer</th><th>dropped</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < s->naddrs; i++) {
		fputs("<tr><td><code>", out);
		report_html_text(out, s->addrs[i].addr);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->addrs[i].count);
	}
	fputs("</tbody></table>\n<table><thead><tr><th>name</th><th>dropped</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < s->nnames; i++) {
		fputs("<tr><td><code>", out);
		report_html_text(out, s->names[i].name);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->names[i].count);
	}
	fputs("</tbody></table>\n<table><thead><tr><th>upstream</th><th>dropped</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < s->nupstreams; i++) {
		fputs("<tr><td><code>", out);
		report_html_text(out, s->upstreams[i].upstream);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td></tr>\n", s->upstreams[i].count);
	}
	fputs("</tbody></table>\n", out);
	put_purges(out, s);
	fputs("</section>\n", out);
}
