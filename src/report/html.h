/*
 * The report page: one self-contained HTML file (report/data.h's figures,
 * locate results, and Chart.js inlined), readable offline. Everything that
 * comes from data is escaped for HTML; chart data goes into a
 * <script type="application/json"> element as JSON with '<', '>' and '&'
 * escaped (\u003c ...), which the page parses: no data string is ever part
 * of script code.
 */
#ifndef DW_REPORT_HTML_H
#define DW_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report/data.h"
#include "report/locate_json.h"
#include "store/guard.h"

struct report_census;

struct report_page {
	const struct report_data *d;
	const char *chartjs;          /* the library's text, inlined as is (see html.c) */
	size_t chartjs_len;
	const char *chartjs_name;     /* "Chart.js 3.9.1 (Debian libjs-chart.js)" */
	const struct report_locate *loc;
	size_t nloc;
	const struct guard_store_summary *guard; /* the guard's drops; NULL: none */
	int64_t generated_us;
	const struct report_census *census; /* the store's census (report/census.h); NULL: none */
};

/* Write the page to OUT. Returns 0, or -1 if OUT reports an error. */
__attribute__((warn_unused_result))
int report_html_write(FILE *out, const struct report_page *p);

/* HTML text escaping (& < > " '); control characters become U+FFFD. */
void report_html_text(FILE *out, const char *s);
/* Copy library code for a <script> element: "</script" becomes "<\/script"
 * (case kept), and the http:// or https:// of URLs inside comments (license
 * headers) is dropped, so the file names no external URL. */
void report_html_script(FILE *out, const char *code, size_t len);
/* JSON text for a <script type="application/json"> element: '<', '>', '&'
 * become \u003c, \u003e, \u0026 (they can only occur inside JSON strings). */
void report_html_json(FILE *out, const char *json, size_t len);

#endif
