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

void report_guard_html(FILE *out, const struct guard_store_summary *s)
{
	if (!s || !s->present)
		return;
	fputs("<section id=\"guard\"><h2>Replies the guard dropped</h2>\n", out);
	if (!s->drops) {
		fputs("<p class=\"note\"><code>dnswatch guard</code> wrote to this store and dropped no "
		      "reply.</p></section>\n", out);
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
	fputs("</tbody></table></section>\n", out);
}
