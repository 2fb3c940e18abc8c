/* The report page (see html.h). */
#include "report/html.h"
#include "report/census.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/guard.h"
#include "util/json.h"

/* ---- escaping ------------------------------------------------------------------ */

void report_html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (c < 0x20 && c != '\n' && c != '\t')
				fputs("\xef\xbf\xbd", out);
			else
				putc(c, out);
		}
	}
}

void report_html_script(FILE *out, const char *code, size_t len)
{
	bool comment = false;
	for (size_t i = 0; i < len; i++) {
		char c = code[i];
		/* Track block comments roughly: enough for license headers; a comment
		 * opener inside a string only makes the URL rewrite apply there too. */
		if (!comment && c == '/' && i + 1 < len && code[i + 1] == '*')
			comment = true;
		else if (comment && c == '*' && i + 1 < len && code[i + 1] == '/')
			comment = false;
		if (comment && (c == 'h' || c == 'H')) {
			if (len - i >= 8 && !strncasecmp(code + i, "https://", 8)) {
				i += 7;
				continue;
			}
			if (len - i >= 7 && !strncasecmp(code + i, "http://", 7)) {
				i += 6;
				continue;
			}
		}
		if (c == '<' && len - i >= 8 && code[i + 1] == '/' && !strncasecmp(code + i + 2, "script", 6)) {
			fputs("<\\/", out);
			i += 1;
			continue;
		}
		putc(c, out);
	}
}

void report_html_json(FILE *out, const char *json, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (json[i]) {
		case '<': fputs("\\u003c", out); break;
		case '>': fputs("\\u003e", out); break;
		case '&': fputs("\\u0026", out); break;
		default: putc(json[i], out);
		}
	}
}

/* ---- times and words ------------------------------------------------------------ */

static void fmt_time(int64_t us, char *buf, size_t cap, bool date)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, date ? "%Y-%m-%d %H:%M:%S UTC" : "%H:%M:%S", &tm);
}

static void fmt_dur(int64_t us, char *buf, size_t cap)
{
	int64_t s = (us + 500000) / 1000000;
	if (s < 60)
		snprintf(buf, cap, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(buf, cap, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
	else
		snprintf(buf, cap, "%" PRId64 " h %" PRId64 " min", s / 3600, (s % 3600) / 60);
}

static void put_time(FILE *out, int64_t us, bool date)
{
	char b[64];
	fmt_time(us, b, sizeof b, date);
	fputs(b, out);
}

static void put_dur(FILE *out, int64_t us)
{
	char b[64];
	fmt_dur(us, b, sizeof b);
	fputs(b, out);
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* "a, b and c" of the series in S whose PICK is true, each as <b>PREFIX name</b>. */
static size_t put_list(FILE *out, const struct report_series *s, size_t n,
		       bool (*pick)(const struct report_series *), const char *prefix)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		total += pick(&s[i]);
	for (size_t i = 0; i < n; i++) {
		if (!pick(&s[i]))
			continue;
		if (k > 0)
			fputs(k + 1 == total ? " and " : ", ", out);
		fputs("<b>", out);
		fputs(prefix, out);
		report_html_text(out, s[i].name);
		fputs("</b>", out);
		k++;
	}
	return total;
}

static bool has_injected(const struct report_series *s) { return s->injected_total > 0; }
static bool has_poisoned(const struct report_series *s) { return s->poisoned_total > 0; }
static bool untouched(const struct report_series *s)
{
	return s->judged_total > 0 && s->injected_total + s->poisoned_total == 0;
}

/* ---- locate ------------------------------------------------------------------------ */

/* The router at the injector's hop, or NULL. */
static const char *locate_router(const struct report_locate *l)
{
	for (size_t i = 0; i < l->nhops; i++)
		if (l->hops[i].ttl == l->hop)
			return l->hops[i].router;
	return NULL;
}

static void locate_verdict(FILE *out, const struct report_locate *l)
{
	if (l->hop >= 1) {
		const char *router = locate_router(l);
		fprintf(out, "the injector sits at hop %d", l->hop);
		if (router) {
			fputs(" (", out);
			report_html_text(out, router);
			fputs(")", out);
		}
		if (l->hop_tentative)
			fputs(", tentatively", out);
	} else {
		fputs("the injector could not be placed", out);
	}
	if (l->untrusted_mirroring)
		fputs("; an injector that mirrors the probe's TTL was set aside", out);
}

/* Whether watch ran locate for incident IN (a hop found, or its words why not). */
static bool incident_located(const struct store_incident *in)
{
	return in->hop > 0 || in->locate[0];
}

/* Watch's locate for incident IN, in the words locate_verdict uses. */
static void incident_locate_verdict(FILE *out, const struct store_incident *in)
{
	if (in->hop > 0) {
		fprintf(out, "the injector sits at hop %d", in->hop);
		if (in->hop_router[0]) {
			fputs(" (", out);
			report_html_text(out, in->hop_router);
			fputs(")", out);
		}
	} else {
		fputs("the injector could not be placed", out);
	}
	if (in->locate[0]) {
		fputs("; locate: ", out);
		report_html_text(out, in->locate);
	}
}

/* Words of a space-separated list ("1 2 3": 3). */
static size_t words_count(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p;) {
		p += strspn(p, " ");
		if (!*p)
			break;
		n++;
		p += strcspn(p, " ");
	}
	return n;
}

/* ---- sections ----------------------------------------------------------------------- */

static void put_story(FILE *out, const struct report_data *d)
{
	char a[64], b[64];
	if (d->inj_first_us) {
		fmt_time(d->inj_first_us, a, sizeof a, false);
		fmt_time(d->inj_last_us, b, sizeof b, false);
		fprintf(out, "Between %s and %s UTC an on-path injector forged answers for ", a, b);
		put_list(out, d->tlds, d->ntlds, has_injected, ".");
		if (d->tail_poisoned) {
			fmt_time(d->tail_end_us, a, sizeof a, false);
			fprintf(out, "; caches kept serving the forgery %s %s UTC.",
				d->tail_open ? "at least until" : "until", a);
		} else {
			fputs(", and no cache was seen serving it after.", out);
		}
	} else if (d->npoisoned) {
		fmt_time(d->poi_first_us, a, sizeof a, false);
		fmt_time(d->poi_last_us, b, sizeof b, false);
		fprintf(out, "From %s to %s UTC resolvers served forged answers from their caches; "
			     "no injection was seen by these probes.", a, b);
	} else {
		uint64_t differ = 0;
		for (size_t i = 0; i < d->nruns; i++)
			differ += d->runs[i].verdicts[VERDICT_INCONSISTENT];
		fprintf(out, "No forged answer in %" PRIu64 " judged answer%s: no injection seen",
			d->njudged, plural(d->njudged));
		/* Wrong answers with no injector behind them (changed data, a
		 * lying resolver) are `inconsistent`; watch's record says why. */
		if (differ)
			fprintf(out, "; %" PRIu64 " answer%s differed from the control", differ, plural(differ));
		if (d->nincidents && d->incidents[0].cause[0]) {
			fmt_time(d->incidents[0].started_us, a, sizeof a, false);
			fprintf(out, "; watch recorded %zu incident%s, the first from %s UTC, cause: <b>",
				d->nincidents, plural(d->nincidents), a);
			report_html_text(out, d->incidents[0].cause);
			fputs("</b>", out);
		}
		fputs(".", out);
	}
}

static void put_summary(FILE *out, const struct report_page *p)
{
	const struct report_data *d = p->d;
	fputs("<section id=\"summary\"><h2>What happened</h2>\n<ul class=\"summary\">\n", out);
	fputs("<li>", out);
	fprintf(out, "%zu run%s probed between ", d->nruns, plural(d->nruns));
	put_time(out, d->first_us, true);
	fputs(" and ", out);
	put_time(out, d->t1_us, true);
	fprintf(out, ": %" PRIu64 " answers judged, %" PRIu64 " forged (%" PRIu64 " <code>injected</code>, "
		     "%" PRIu64 " <code>poisoned</code>).</li>\n",
		d->njudged, d->ninjected + d->npoisoned, d->ninjected, d->npoisoned);
	if (d->inj_first_us) {
		fputs("<li id=\"window\"><span class=\"swatch win\"></span><b>Injection window</b>: from ", out);
		put_time(out, d->inj_first_us, false);
		fputs(" to ", out);
		put_time(out, d->inj_last_us, false);
		fputs(" UTC (", out);
		put_dur(out, d->inj_last_us - d->inj_first_us);
		fprintf(out, "): %" PRIu64 " answer%s forged on the path, seen through ", d->ninjected,
			plural(d->ninjected));
		put_list(out, d->paths, d->npaths, has_injected, "");
		fputs(", for names under ", out);
		put_list(out, d->tlds, d->ntlds, has_injected, ".");
		fputs(".</li>\n", out);
	}
	if (d->tail_poisoned) {
		fputs("<li id=\"tail\"><span class=\"swatch tail\"></span><b>Cache tail</b>: ", out);
		if (d->inj_last_us) {
			fputs("after the injection stopped, ", out);
		}
		put_list(out, d->paths, d->npaths, has_poisoned, "");
		fprintf(out, " kept serving forged answers from the cache (%" PRIu64 " <code>poisoned</code>) ",
			d->tail_poisoned);
		if (d->tail_open) {
			fputs("and still did at the last sample, ", out);
			put_time(out, d->tail_end_us, false);
			fputs(" UTC", out);
		} else {
			fputs("until ", out);
			put_time(out, d->tail_end_us, false);
			fputs(" UTC", out);
		}
		if (d->inj_last_us) {
			fputs(", ", out);
			put_dur(out, d->tail_end_us - d->inj_last_us);
			fputs(" after the last injected answer", out);
		}
		fputs(".</li>\n", out);
	} else if (d->inj_first_us) {
		fputs("<li id=\"tail\"><b>Cache tail</b>: none seen: no forged answer after the injection stopped.</li>\n", out);
	}
	if (d->peak_share > 0) {
		fprintf(out, "<li>At the peak, %.0f%% of the answers through <b>", d->peak_share * 100);
		report_html_text(out, d->peak_series);
		fputs("</b> were forged (", out);
		put_time(out, d->peak_us, false);
		fputs(" UTC, ", out);
		put_dur(out, d->bucket_us);
		fputs(" bucket).</li>\n", out);
	}
	size_t nu = 0;
	for (size_t i = 0; i < d->ntlds; i++)
		nu += untouched(&d->tlds[i]);
	if (nu && d->ninjected + d->npoisoned) {
		fputs("<li>Untouched: ", out);
		put_list(out, d->tlds, d->ntlds, untouched, ".");
		fputs(" (every answer unforged, on every path).</li>\n", out);
	}
	if (d->naddrs) {
		const struct report_addr *a = &d->addrs[0];
		fputs("<li>Forged address", out);
		fputs(d->naddrs > 1 ? "es: the most common is <b>" : ": <b>", out);
		report_html_text(out, a->addr);
		fprintf(out, "</b> (%" PRIu64 " answers, first seen ", a->injected + a->poisoned);
		put_time(out, a->first_us, false);
		fputs(", last ", out);
		put_time(out, a->last_us, false);
		fputs(" UTC)", out);
		if (d->naddrs > 1)
			fprintf(out, ", of %zu%s", d->naddrs, d->addrs_cut ? " or more" : "");
		fputs(".</li>\n", out);
	}
	if (d->ngroups)
		fprintf(out, "<li>%zu injector fingerprint%s (groups of forged replies alike below DNS).</li>\n",
			d->ngroups, d->ngroups == 1 ? "" : "s");
	for (size_t i = 0; i < p->nloc; i++) {
		fputs("<li>Locate (", out);
		report_html_text(out, p->loc[i].source);
		fputs("): ", out);
		locate_verdict(out, &p->loc[i]);
		fputs(".</li>\n", out);
	}
	if (d->nincidents)
		fprintf(out, "<li>%zu incident%s recorded by <code>dnswatch watch</code> (below).</li>\n",
			d->nincidents, plural(d->nincidents));
	for (size_t i = 0; !p->nloc && i < d->nincidents; i++) {
		const struct store_incident *in = &d->incidents[i];
		if (!incident_located(in))
			continue;
		fprintf(out, "<li>Located by watch (incident %" PRId64 "): ", in->id);
		incident_locate_verdict(out, in);
		fputs(".</li>\n", out);
	}
	fputs("</ul>\n", out);

	fputs("<h3>Incident records</h3>\n", out);
	if (!d->incidents_present) {
		fputs("<p id=\"incidents\" class=\"note\">This store holds no incident records (they are "
		      "written by <code>dnswatch watch</code>); the summary above is derived from the "
		      "verdicts.</p>\n", out);
	} else if (d->nincidents == 0) {
		fputs("<p id=\"incidents\" class=\"note\">The store's incident table is empty; the "
		      "summary above is derived from the verdicts.</p>\n", out);
	} else {
		fputs("<table id=\"incidents\"><thead><tr><th>#</th><th>started</th><th>injection ended</th>"
		      "<th>tail ended</th><th>raised after</th><th>peak</th><th>cause</th><th>scope</th>"
		      "<th>addresses</th><th>injector groups</th><th>hop</th><th>summary</th>"
		      "</tr></thead><tbody>\n", out);
		for (size_t i = 0; i < d->nincidents; i++) {
			const struct store_incident *in = &d->incidents[i];
			fprintf(out, "<tr><td>%" PRId64 "</td><td>", in->id);
			put_time(out, in->started_us, true);
			fputs("</td><td>", out);
			if (in->injection_end_us)
				put_time(out, in->injection_end_us, false);
			else
				fputs("ongoing", out);
			fputs("</td><td>", out);
			if (in->ended_us)
				put_time(out, in->ended_us, false);
			else
				fputs("ongoing", out);
			fputs("</td><td class=\"num\">", out);
			if (in->raised_us >= in->started_us && in->raised_us)
				fprintf(out, "%.1f s", (double)(in->raised_us - in->started_us) / 1e6);
			fprintf(out, "</td><td class=\"num\">%.0f%%</td><td><b>", in->peak_share * 100);
			report_html_text(out, in->cause[0] ? in->cause : "-");
			fputs("</b><br><small>", out);
			report_html_text(out, in->evidence);
			fputs("</small></td><td>", out);
			report_html_text(out, in->scope);
			fputs("</td><td><code>", out);
			report_html_text(out, in->addresses);
			fputs("</code></td><td class=\"num\">", out);
			if (in->groups[0]) {
				fprintf(out, "%zu <small>(", words_count(in->groups));
				report_html_text(out, in->groups);
				fputs(")</small>", out);
			} else {
				fputs("-", out);
			}
			fputs("</td><td class=\"num\">", out);
			if (in->hop > 0)
				fprintf(out, "%d", in->hop);
			else
				fputs("-", out);
			fputs("</td><td>", out);
			report_html_text(out, in->summary);
			fputs("</td></tr>\n", out);
		}
		fputs("</tbody></table>\n", out);
	}
	fputs("</section>\n", out);
}

static void chart_series(struct jw *j, const struct report_series *s, size_t n, size_t nb)
{
	jw_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		jw_object_begin(j);
		jw_key(j, "name");
		jw_string(j, s[i].name);
		jw_key(j, "judged");
		jw_array_begin(j);
		for (size_t b = 0; b < nb; b++)
			jw_uint(j, s[i].judged[b]);
		jw_array_end(j);
		jw_key(j, "forged");
		jw_array_begin(j);
		for (size_t b = 0; b < nb; b++)
			jw_uint(j, s[i].forged[b]);
		jw_array_end(j);
		jw_object_end(j);
	}
	jw_array_end(j);
}

static void span(struct jw *j, const struct report_data *d, int64_t from, int64_t to)
{
	jw_array_begin(j);
	jw_uint(j, report_bucket_of(d, from));
	jw_uint(j, report_bucket_of(d, to));
	jw_array_end(j);
}

/* The charts' data as JSON, escaped for a script data block. */
static int put_chart_data(FILE *out, const struct report_data *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -1;
	struct jw j;
	jw_init(&j, m);
	jw_object_begin(&j);
	jw_key(&j, "bucket_s");
	jw_int(&j, d->bucket_us / 1000000);
	jw_key(&j, "labels");
	jw_array_begin(&j);
	/* Over most of a day or more, a time of day alone would repeat: add the date. */
	bool days = d->t1_us - d->t0_us > 20 * 3600 * (int64_t)1000000;
	for (size_t b = 0; b < d->nbuckets; b++) {
		char t[32];
		time_t sec = (time_t)((d->t0_us + (int64_t)b * d->bucket_us) / 1000000);
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(t, sizeof t, days ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
		jw_string(&j, t);
	}
	jw_array_end(&j);
	jw_key(&j, "window");
	if (d->inj_first_us)
		span(&j, d, d->inj_first_us, d->inj_last_us);
	else
		jw_null(&j);
	jw_key(&j, "tail");
	if (d->tail_poisoned) {
		/* From the bucket after the window's last (if the tail reaches past it). */
		int64_t from = d->inj_last_us ? d->inj_last_us : d->poi_first_us;
		if (d->inj_last_us && report_bucket_of(d, d->tail_end_us) > report_bucket_of(d, from))
			from += d->bucket_us;
		span(&j, d, from, d->tail_end_us);
	}
	else
		jw_null(&j);
	jw_key(&j, "paths");
	chart_series(&j, d->paths, d->npaths, d->nbuckets);
	jw_key(&j, "tlds");
	chart_series(&j, d->tlds, d->ntlds, d->nbuckets);
	jw_object_end(&j);
	if (fclose(m) != 0 || !buf) {
		free(buf);
		return -1;
	}
	report_html_json(out, buf, len);
	free(buf);
	return 0;
}

static void put_charts(FILE *out, const struct report_data *d)
{
	fputs("<section id=\"charts\"><h2>Forged share over time</h2>\n<p class=\"note\">Share of "
	      "judged answers that were forged (<code>injected</code> or <code>poisoned</code>) in "
	      "each ", out);
	put_dur(out, d->bucket_us);
	fputs(" bucket; gaps are times with no probe. Shaded: <span class=\"swatch win\"></span>the "
	      "injection window and <span class=\"swatch tail\"></span>the cache tail.</p>\n", out);
	fputs("<figure><figcaption>per path (target)</figcaption><div class=\"chart\">"
	      "<canvas id=\"chart-paths\" role=\"img\" aria-label=\"forged share per path\"></canvas>"
	      "</div></figure>\n", out);
	fputs("<figure><figcaption>per TLD</figcaption><div class=\"chart\">"
	      "<canvas id=\"chart-tlds\" role=\"img\" aria-label=\"forged share per TLD\"></canvas>"
	      "</div></figure>\n", out);
	fputs("<table class=\"totals\"><thead><tr><th>path / TLD</th><th>judged</th><th>injected</th>"
	      "<th>poisoned</th><th>forged share</th></tr></thead><tbody>\n", out);
	const struct report_series *all[2] = {d->paths, d->tlds};
	size_t nall[2] = {d->npaths, d->ntlds};
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < nall[k]; i++) {
			const struct report_series *s = &all[k][i];
			fputs("<tr><td>", out);
			if (k == 1)
				fputs(".", out);
			report_html_text(out, s->name);
			fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64
				     "</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.1f%%</td></tr>\n",
				s->judged_total, s->injected_total, s->poisoned_total,
				s->judged_total ? 100.0 * (double)(s->injected_total + s->poisoned_total) /
							  (double)s->judged_total
						: 0.0);
		}
	fputs("</tbody></table>\n</section>\n", out);
}

static void put_paths_of(FILE *out, const struct report_data *d, uint64_t mask)
{
	bool first = true;
	for (size_t i = 0; i < d->npaths && i < 64; i++)
		if (mask & (1ull << i)) {
			if (!first)
				fputs(", ", out);
			report_html_text(out, d->paths[i].name);
			first = false;
		}
}

static void put_addrs(FILE *out, const struct report_data *d)
{
	fputs("<section id=\"addresses\"><h2>Top forged addresses</h2>\n", out);
	if (!d->naddrs) {
		fputs("<p class=\"note\">No forged address: no answer was judged forged.</p></section>\n", out);
		return;
	}
	fputs("<table><thead><tr><th>address</th><th>forged answers</th><th>injected</th><th>poisoned</th>"
	      "<th>first seen</th><th>last seen</th><th>paths</th></tr></thead><tbody>\n", out);
	size_t n = d->naddrs < 20 ? d->naddrs : 20;
	for (size_t i = 0; i < n; i++) {
		const struct report_addr *a = &d->addrs[i];
		fputs("<tr><td><code>", out);
		report_html_text(out, a->addr);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%" PRIu64
			     "</td><td class=\"num\">%" PRIu64 "</td><td>",
			a->injected + a->poisoned, a->injected, a->poisoned);
		put_time(out, a->first_us, true);
		fputs("</td><td>", out);
		put_time(out, a->last_us, true);
		fputs("</td><td>", out);
		put_paths_of(out, d, a->path_mask);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (d->naddrs > n)
		fprintf(out, "<p class=\"note\">%zu more not shown.</p>\n", d->naddrs - n);
	fputs("</section>\n", out);
}

static void put_range(FILE *out, int lo, int hi)
{
	if (lo < 0)
		fputs("?", out);
	else if (lo == hi)
		fprintf(out, "%d", lo);
	else
		fprintf(out, "%d&ndash;%d", lo, hi);
}

/* "1 2 3 5" as "1&ndash;3, 5" (run ids, ascending as gathered). */
static void put_runs_list(FILE *out, const char *list)
{
	long lo = -1, hi = -1;
	bool first = true;
	for (const char *p = list;; ) {
		char *end;
		long v = strtol(p, &end, 10);
		bool more = end != p;
		if (more && lo >= 0 && v == hi + 1) {
			hi = v;
		} else {
			if (lo >= 0) {
				fprintf(out, "%s%ld", first ? "" : ", ", lo);
				if (hi > lo)
					fprintf(out, "%s%ld", hi > lo + 1 ? "&ndash;" : ", ", hi);
				first = false;
			}
			lo = hi = v;
		}
		if (!more)
			break;
		p = end;
	}
}

static void put_groups(FILE *out, const struct report_data *d)
{
	fputs("<section id=\"groups\"><h2>Injector groups</h2>\n", out);
	if (!d->ngroups) {
		fputs("<p class=\"note\">No injector group: no forged reply reached a prober.</p></section>\n", out);
		return;
	}
	fputs("<p class=\"note\">Forged replies grouped by what stays the same from one reply of an "
	      "injector to the next (DF bit, IP ID zero or not, DNS flags, record layout, answer owner); "
	      "merged over runs. IP TTL and answer TTL are ranges (docs/verdicts.md).</p>\n", out);
	fputs("<table><thead><tr><th>#</th><th>fingerprint</th><th>forged replies</th><th>IP TTL</th>"
	      "<th>answer TTL</th><th>addresses</th><th>runs</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct report_group *g = &d->groups[i];
		fprintf(out, "<tr><td>%zu</td><td><code class=\"fp\">", i + 1);
		report_html_text(out, g->key);
		fprintf(out, "</code></td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">", g->count);
		put_range(out, g->ip_ttl_lo, g->ip_ttl_hi);
		fputs("</td><td class=\"num\">", out);
		put_range(out, g->answer_ttl_lo, g->answer_ttl_hi);
		fputs("</td><td><code>", out);
		report_html_text(out, g->addrs[0] ? g->addrs : "-");
		fputs("</code></td><td>", out);
		put_runs_list(out, g->runs);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

static void put_locate(FILE *out, const struct report_page *p)
{
	fputs("<section id=\"locate\"><h2>Where the injector sits</h2>\n", out);
	const struct report_data *d = p->d;
	size_t nwatch = 0;
	for (size_t i = 0; !p->nloc && i < d->nincidents; i++) {
		const struct store_incident *in = &d->incidents[i];
		if (!incident_located(in))
			continue;
		if (!nwatch++)
			fputs("<p class=\"note\">From the store's incident records: <code>dnswatch watch</code> "
			      "ran locate (TTL-limited probes) when it raised each incident "
			      "(<code>dnswatch report --locate FILE</code> shows a locate run's hops instead).</p>\n",
			      out);
		fprintf(out, "<h3>Incident %" PRId64 " <small>(located by watch)</small></h3>\n<p class=\"watch-hop\">",
			in->id);
		incident_locate_verdict(out, in);
		fputs(".</p>\n", out);
	}
	if (nwatch) {
		fputs("</section>\n", out);
		return;
	}
	if (!p->nloc) {
		fputs("<p class=\"note\">No locate results given (<code>dnswatch report --locate FILE</code> "
		      "takes the output of <code>dnswatch locate --json</code>).</p></section>\n", out);
		return;
	}
	for (size_t i = 0; i < p->nloc; i++) {
		const struct report_locate *l = &p->loc[i];
		fputs("<h3>", out);
		report_html_text(out, l->name ? l->name : "?");
		fputs(" towards ", out);
		report_html_text(out, l->target ? l->target : "?");
		fputs(" <small>(", out);
		report_html_text(out, l->source);
		fputs(")</small></h3>\n<p>", out);
		locate_verdict(out, l);
		fputs(".</p>\n", out);
		if (l->nhops) {
			fputs("<table class=\"hops\"><thead><tr><th>probe TTL</th><th>router (time exceeded)</th>"
			      "<th>DNS replies</th></tr></thead><tbody>\n", out);
			for (size_t h = 0; h < l->nhops; h++) {
				const struct report_hop *x = &l->hops[h];
				fprintf(out, "<tr%s><td class=\"num\">%d</td><td>", x->ttl == l->hop ? " class=\"hit\"" : "",
					x->ttl);
				report_html_text(out, x->router ? x->router : "*");
				if (x->target_reached)
					fputs(" (target reached)", out);
				fprintf(out, "</td><td class=\"num\">%.0f</td></tr>\n", x->replies);
			}
			fputs("</tbody></table>\n", out);
		}
		if (l->ninjectors) {
			fputs("<table class=\"injectors\"><thead><tr><th>injector</th><th>flags</th><th>DF</th>"
			      "<th>IP ID</th><th>answer</th><th>replies</th><th>first TTL</th><th>its TTL</th>"
			      "</tr></thead><tbody>\n", out);
			for (size_t k = 0; k < l->ninjectors; k++) {
				const struct report_injector *x = &l->injectors[k];
				fprintf(out, "<tr><td>%c</td><td><code>%04x</code></td><td>%d</td><td>%s</td><td><code>",
					k < 26 ? (char)('A' + k) : '?', x->flags, x->df, x->ipid_zero ? "zero" : "non-zero");
				report_html_text(out, x->answer ? x->answer : "-");
				fprintf(out, "</code></td><td class=\"num\">%.0f</td><td class=\"num\">%.0f</td><td>%s</td></tr>\n",
					x->replies, x->first_ttl,
					x->mirrors_ttl ? "mirrors the probe's (not used to place it)"
						       : "independent of the probe's");
			}
			fputs("</tbody></table>\n", out);
		}
	}
	fputs("</section>\n", out);
}

static void put_runs(FILE *out, const struct report_data *d)
{
	fputs("<section id=\"runs\"><h2>Runs</h2>\n<table><thead><tr><th>run</th><th>started</th>"
	      "<th>ended</th><th>status</th><th>targets</th><th>queries</th><th>verdicts</th>"
	      "<th>command line</th></tr></thead><tbody>\n", out);
	for (size_t i = 0; i < d->nruns; i++) {
		const struct report_run *r = &d->runs[i];
		fprintf(out, "<tr><td>%" PRId64 "</td><td>", r->info.id);
		put_time(out, r->info.started_us, true);
		fputs("</td><td>", out);
		if (r->info.finished_us) {
			put_time(out, r->info.finished_us, false);
			fputs(" (", out);
			put_dur(out, r->info.finished_us - r->info.started_us);
			fputs(")", out);
		} else {
			fputs("-", out);
		}
		fputs("</td><td>", out);
		report_html_text(out, r->info.status);
		fputs("</td><td>", out);
		for (size_t t = 0; t < r->ntargets; t++) {
			const struct probe_target *tg = &r->targets[t];
			char a[64] = "?";
			inet_ntop(tg->family, tg->addr, a, sizeof a);
			fputs(t ? "<br>" : "", out);
			fputs("<b>", out);
			report_html_text(out, tg->label);
			fprintf(out, "</b> %s ", probe_target_kind_name(tg->kind));
			report_html_text(out, a);
		}
		fprintf(out, "</td><td class=\"num\">%" PRIu64 "</td><td>", r->info.nqueries);
		bool first = true;
		for (int v = 1; v < VERDICT_COUNT; v++) {
			if (!r->verdicts[v])
				continue;
			fprintf(out, "%s<span class=\"v v-%s\">%s %" PRIu64 "</span>", first ? "" : " ",
				probe_verdict_name((enum probe_verdict)v),
				probe_verdict_name((enum probe_verdict)v), r->verdicts[v]);
			first = false;
		}
		fputs("</td><td><code class=\"cmd\">", out);
		report_html_text(out, r->info.cmdline);
		fputs("</code></td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

/* ---- the page -------------------------------------------------------------------------- */

static const char style[] =
	":root{--ink:#1d2330;--mute:#5b6475;--line:#dfe3ea;--bg:#f6f7f9;--card:#fff;"
	"--win:rgba(214,48,49,.16);--tail:rgba(240,160,30,.22);--accent:#c0392b}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"color:var(--ink);background:var(--bg)}\n"
	"header{background:#1d2330;color:#fff;padding:28px 40px 22px}\n"
	"header h1{margin:0 0 6px;font-size:24px;font-weight:600;letter-spacing:.2px}\n"
	"header .story{margin:0;font-size:17px;max-width:1100px;color:#f2f4f8}\n"
	"header .story b{color:#ffd479}\n"
	"header .meta{margin:10px 0 0;color:#aab3c5;font-size:13px}\n"
	"main{max-width:1200px;margin:0 auto;padding:20px 40px 40px}\n"
	"section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 24px;"
	"margin:18px 0}\n"
	"h2{margin:0 0 10px;font-size:19px}h3{font-size:15px;margin:16px 0 6px}\n"
	"ul.summary{margin:0;padding-left:20px}ul.summary li{margin:4px 0}\n"
	".note{color:var(--mute);font-size:13.5px}\n"
	"figure{margin:10px 0 18px}figcaption{font-weight:600;margin-bottom:4px}\n"
	".chart{position:relative;height:300px}\n"
	"table{border-collapse:collapse;width:100%;font-size:13.5px;margin:6px 0}\n"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{background:#eef1f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.hit td{background:#fdecea}\n"
	"code{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',monospace;word-break:break-word}\n"
	"#groups td:nth-child(n+3),#addresses td{white-space:nowrap}\n"
	".swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 5px -1px 0}\n"
	".swatch.win{background:var(--win);border:1px solid rgba(214,48,49,.5)}\n"
	".swatch.tail{background:var(--tail);border:1px solid rgba(240,160,30,.7)}\n"
	".v{display:inline-block;padding:0 6px;border-radius:9px;background:#eef1f5;font-size:12px;margin:1px 0}\n"
	".v-injected{background:#fadbd8;color:#922b21}.v-poisoned{background:#fdebd0;color:#9c640c}\n"
	".v-ok{background:#d5f5e3;color:#1e8449}\n"
	"#errors{color:#b00;font-weight:600}\n"
	"footer{color:var(--mute);font-size:12.5px;text-align:center;padding:0 0 30px}\n";

/* The page's own script: parse the data block, draw two charts, and say in
 * the DOM that they rendered (data-rendered, data-painted) or what failed
 * (data-errors), for a headless browser to check. */
static const char page_script[] =
	"(function(){\n"
	"'use strict';\n"
	"var data=JSON.parse(document.getElementById('chart-data').textContent);\n"
	"var palette=['#2e6fd8','#d63031','#16a085','#8e44ad','#e67e22','#2c3e50','#c0392b','#27ae60',"
	"'#f39c12','#7f8c8d'];\n"
	"// Lines that coincide (public and nodns, .com and .net) stay visible: Chart.js\n"
	"// draws the first dataset on top, so each later one is wider than the one above.\n"
	"var points=['circle','rect','triangle','rectRot'];\n"
	"function band(span,n){var a=[];for(var i=0;i<n;i++)a.push(span&&i>=span[0]&&i<=span[1]?100:null);return a;}\n"
	"function datasets(series){\n"
	" var n=data.labels.length,ds=[];\n"
	" series.forEach(function(s,k){var c=palette[k%palette.length];\n"
	"  ds.push({type:'line',label:s.name,data:s.judged.map(function(j,i){return j?Math.round(1000*s.forged[i]/j)/10:null;}),"
	"borderColor:c,backgroundColor:c,borderWidth:Math.min(2+2*k,9),"
	"pointRadius:Math.min(2+k,5),pointStyle:points[k%points.length],tension:0.15,spanGaps:false,order:1});});\n"
	" if(data.window)ds.push({type:'bar',label:'injection window',data:band(data.window,n),"
	"backgroundColor:'rgba(214,48,49,0.16)',borderWidth:0,barPercentage:1,categoryPercentage:1,order:10});\n"
	" if(data.tail)ds.push({type:'bar',label:'cache tail',data:band(data.tail,n),"
	"backgroundColor:'rgba(240,160,30,0.22)',borderWidth:0,barPercentage:1,categoryPercentage:1,order:11});\n"
	" return ds;}\n"
	"function draw(id,series,prefix){\n"
	" var ds=datasets(series.map(function(s){return {name:prefix+s.name,judged:s.judged,forged:s.forged};}));\n"
	" return new Chart(document.getElementById(id),{data:{labels:data.labels,datasets:ds},options:{"
	"animation:false,responsive:true,maintainAspectRatio:false,interaction:{mode:'index',intersect:false},"
	"scales:{x:{stacked:true,ticks:{maxTicksLimit:14,maxRotation:0},title:{display:true,text:'time (UTC), '+data.bucket_s+' s buckets'}},"
	"y:{min:0,max:100,title:{display:true,text:'% of answers forged'}}},"
	"plugins:{legend:{position:'bottom'},tooltip:{filter:function(i){return i.dataset.type==='line';}}}}});}\n"
	"var charts=[draw('chart-paths',data.paths,''),draw('chart-tlds',data.tlds,'.')];\n"
	"var painted=0;charts.forEach(function(c){var cv=c.canvas;if(!cv.width||!cv.height)return;"
	"var px=cv.getContext('2d').getImageData(0,0,cv.width,cv.height).data,k=0;"
	"for(var i=3;i<px.length;i+=4)if(px[i])k++;if(k>100&&c.data.datasets.length)painted++;});\n"
	"document.body.setAttribute('data-rendered',String(charts.length));\n"
	"document.body.setAttribute('data-painted',String(painted));\n"
	"document.getElementById('render-status').textContent='charts rendered: '+charts.length+', painted: '+painted;\n"
	"})();\n";

static const char error_script[] =
	"window.addEventListener('error',function(e){var b=document.body,n=+(b.getAttribute('data-errors')||0)+1;"
	"b.setAttribute('data-errors',String(n));var p=document.getElementById('errors');"
	"if(p)p.textContent+='page error: '+(e.message||e)+' ';});\n";

int report_html_write(FILE *out, const struct report_page *p)
{
	const struct report_data *d = p->d;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"dnswatch report\">\n<title>dnswatch report: ", out);
	report_html_text(out, d->db_path ? d->db_path : "store");
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body data-rendered=\"0\">\n", style);
	fputs("<header><h1>On-path DNS injection: what the probes saw</h1>\n<p class=\"story\">", out);
	put_story(out, d);
	fputs("</p>\n<p class=\"meta\">store <code>", out);
	report_html_text(out, d->db_path ? d->db_path : "");
	fprintf(out, "</code> &middot; %zu run%s &middot; %" PRIu64 " result%s &middot; generated ",
		d->nruns, plural(d->nruns), d->nresults, plural(d->nresults));
	put_time(out, p->generated_us, true);
	fputs(" by dnswatch report</p></header>\n<main>\n", out);
	put_summary(out, p);
	put_charts(out, d);
	put_addrs(out, d);
	put_groups(out, d);
	put_locate(out, p);
	report_census_html(out, p->census);
	report_guard_html(out, p->guard);
	put_runs(out, d);
	fputs("<p id=\"render-status\" class=\"note\">charts not rendered (scripts off?)</p>\n"
	      "<p id=\"errors\"></p>\n</main>\n<footer>Charts drawn with ", out);
	report_html_text(out, p->chartjs_name ? p->chartjs_name : "Chart.js");
	fputs(", inlined (MIT License). This file needs no network.</footer>\n", out);
	fputs("<script type=\"application/json\" id=\"chart-data\">", out);
	if (put_chart_data(out, d) != 0)
		return -1;
	fprintf(out, "</script>\n<script>\n%s</script>\n<script>\n", error_script);
	report_html_script(out, p->chartjs, p->chartjs_len);
	fprintf(out, "\n</script>\n<script>\n%s</script>\n</body>\n</html>\n", page_script);
	return ferror(out) ? -1 : 0;
}
