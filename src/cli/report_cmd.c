/* `dnswatch report` (see report_cmd.h). */
#include "cli/report_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/data.h"
#include "report/census.h"
#include "store/clickhouse.h"
#include "report/html.h"
#include "store/guard.h"
#include "store/sqlite.h"
#include "util/clock.h"
#include "util/file.h"
#include "util/json_read.h"

#define LOCATE_MAX 64

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "dnswatch report: %s%s%s (see `dnswatch help report`)\n", msg,
		arg ? " " : "", arg ? arg : "");
	return 2;
}

/* Read FILE whole into a NUL-terminated malloc'd buffer; -1 with errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *b;
	enum dw_status st = util_read_all(f, DW_JSON_TEXT_MAX * 4u, &b, len);
	fclose(f);
	if (st != DW_OK) {
		errno = st == DW_E_TOO_LARGE ? EFBIG : st == DW_E_NOMEM ? ENOMEM : EIO;
		return -1;
	}
	*buf = (char *)b;
	return 0;
}

/* Parse every non-blank line of PATH as one locate object into LOC. */
static int read_locate(const char *path, struct report_locate *loc, size_t *nloc)
{
	char *text;
	size_t len;
	if (slurp(path, &text, &len) != 0) {
		fprintf(stderr, "dnswatch report: %s: %s\n", path, strerror(errno));
		return -1;
	}
	unsigned line = 0;
	int ret = 0;
	for (char *p = text; p < text + len && ret == 0;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		line++;
		size_t blank = 0;
		while (blank < n && strchr(" \t\r", p[blank]))
			blank++;
		if (blank < n) {
			struct dw_error e;
			struct report_locate l;
			if (report_locate_parse(p, n, &l, &e) != 0) {
				fprintf(stderr, "dnswatch report: %s:%u: %s\n", path, line, e.text);
				ret = -1;
			} else if (*nloc >= LOCATE_MAX) {
				fprintf(stderr, "dnswatch report: %s:%u: more than %d locate results\n", path,
					line, LOCATE_MAX);
				report_locate_free(&l);
				ret = -1;
			} else {
				snprintf(l.source, sizeof l.source, "%s:%u", path, line);
				loc[(*nloc)++] = l;
			}
		}
		p += n + 1;
	}
	free(text);
	return ret;
}

/* "Chart.js 3.9.1": the version from the library's header comment. */
static void chartjs_name(const char *code, size_t len, char *out, size_t cap)
{
	snprintf(out, cap, "Chart.js (Debian libjs-chart.js)");
	const char *p = memmem(code, len < 400 ? len : 400, "Chart.js v", 10);
	if (p) {
		size_t n = strcspn(p + 10, " \r\n*");
		if (n > 0 && n < 32)
			snprintf(out, cap, "Chart.js %.*s (Debian libjs-chart.js)", (int)n, p + 10);
	}
}

/* The command line. */
struct report_args {
	const char *db_path, *out_path, *chartjs;
	const char *locs[LOCATE_MAX];
	size_t nlocs;
};

/* Returns -1 to go on, or the exit status (0 after --help, 2 for a usage
 * error, said). */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	*a = (struct report_args){.out_path = "report.html", .chartjs = REPORT_CHARTJS_DEFAULT};
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(REPORT_USAGE, stdout);
			return 0;
		}
		if (!strcmp(o, "--db")) { /* the same as DB, for clickhouse://... alike */
			if (i + 1 >= argc)
				return usage_error("missing value after", o);
			o = argv[++i];
		} else if (!strcmp(o, "-o") || !strcmp(o, "--locate") || !strcmp(o, "--chartjs")) {
			if (i + 1 >= argc)
				return usage_error("missing value after", o);
			const char *v = argv[++i];
			if (!strcmp(o, "-o"))
				a->out_path = v;
			else if (!strcmp(o, "--chartjs"))
				a->chartjs = v;
			else if (a->nlocs < LOCATE_MAX)
				a->locs[a->nlocs++] = v;
			else
				return usage_error("too many --locate files", NULL);
			continue;
		}
		if (o[0] == '-' && o[1])
			return usage_error("unknown option", o);
		if (a->db_path)
			return usage_error("more than one DB:", o);
		a->db_path = o;
	}
	if (!a->db_path)
		return usage_error("no DB given", NULL);
	return -1;
}

/* The Chart.js build to inline, whole. Returns 0, or -1 (said). */
static int read_chartjs(const char *chartjs, char **lib, size_t *liblen)
{
	if (slurp(chartjs, lib, liblen) == 0)
		return 0;
	if (!strcmp(chartjs, REPORT_CHARTJS_DEFAULT))
		fprintf(stderr, "dnswatch report: %s: %s (install Debian's libjs-chart.js: "
				"apt-get install libjs-chart.js, or `make deps`)\n",
			chartjs, strerror(errno));
	else
		fprintf(stderr, "dnswatch report: %s: %s (the Chart.js build to inline)\n", chartjs,
			strerror(errno));
	return -1;
}

/* The store, read-only, with the reason it cannot be read in the user's
 * words. Returns 0 with *DB set, or -1 (said). */
static int open_store(const char *db_path, struct store_db **db)
{
	if (!ch_url_is(db_path) && access(db_path, F_OK) != 0) {
		fprintf(stderr, "dnswatch report: %s: %s\n", db_path, strerror(errno));
		return -1;
	}
	struct store_opts o = {.readonly = true};
	struct dw_error err;
	enum dw_status st = store_open(db, db_path, &o, &err);
	if (st == DW_OK)
		return 0;
	if (st == DW_E_EMPTY)
		fprintf(stderr, "dnswatch report: %s: %s\n", db_path,
			ch_url_is(db_path) ? "no dnswatch tables in that database"
					   : "an empty file, not a dnswatch store");
	else if (st == DW_E_FOREIGN)
		fprintf(stderr, "dnswatch report: %s: not a dnswatch store (an SQLite database "
				"of something else)\n", db_path);
	else if (st != DW_E_NOMEM)
		fprintf(stderr, "dnswatch report: %s\n", err.text);
	else
		fprintf(stderr, "dnswatch report: %s: %s\n", db_path, dw_strerror(st));
	return -1;
}

/* PAGE into OUT_PATH, through a temporary file renamed over it when whole.
 * Returns 0, or -1 (said). */
static int write_page(const char *out_path, const struct report_page *page)
{
	size_t tl = strlen(out_path) + 16;
	char *tmp = malloc(tl);
	FILE *out = NULL;
	if (tmp) {
		snprintf(tmp, tl, "%s.tmpXXXXXX", out_path);
		int fd = mkstemp(tmp);
		if (fd >= 0 && !(out = fdopen(fd, "w")))
			close(fd);
	}
	if (!out) {
		fprintf(stderr, "dnswatch report: %s: cannot write: %s\n", out_path, strerror(errno));
		free(tmp);
		return -1;
	}
	int w = report_html_write(out, page);
	if (fchmod(fileno(out), 0644) != 0)
		w = -1;
	if (fclose(out) != 0)
		w = -1;
	int ret = 0;
	if (w != 0 || rename(tmp, out_path) != 0) {
		fprintf(stderr, "dnswatch report: %s: cannot write: %s\n", out_path,
			strerror(errno ? errno : EIO));
		unlink(tmp);
		ret = -1;
	}
	free(tmp);
	return ret;
}

/* The page from D, the Chart.js code LIB and the locate results, written
 * and summed up in one line. Returns 0, or -1 (said). */
static int make_page(const char *out_path, const struct report_data *d, const char *lib,
		     size_t liblen, const struct report_locate *loc, size_t nloc)
{
	char name[96];
	chartjs_name(lib, liblen, name, sizeof name);
	struct guard_store_summary guard;
	struct dw_error gerr;
	if (d->db_path && guard_store_summary(d->db_path, &guard, &gerr)) {
		fprintf(stderr, "dnswatch report: %s\n", gerr.text);
		return -1;
	}
	struct report_page page = {
		.d = d, .chartjs = lib, .chartjs_len = liblen, .chartjs_name = name,
		.loc = loc, .nloc = nloc, .guard = d->db_path ? &guard : NULL,
		.generated_us = (int64_t)util_real_us(),
	};
	/* the census section, when the store holds a census */
	struct report_census *census = calloc(1, sizeof *census);
	struct dw_error cerr;
	if (census && d->db_path && report_census_load(census, d->db_path, &cerr) == 0)
		page.census = census;
	else if (census && d->db_path)
		fprintf(stderr, "dnswatch report: %s (the page has no census section)\n", cerr.text);
	int wrote = write_page(out_path, &page);
	free(census);
	if (wrote != 0)
		return -1;
	size_t located = 0; /* incidents watch located, shown when no locate file is given */
	for (size_t i = 0; i < d->nincidents; i++)
		located += d->incidents[i].hop > 0 || d->incidents[i].locate[0];
	char watch_loc[64] = "";
	if (!nloc && located)
		snprintf(watch_loc, sizeof watch_loc, " (watch's locate of %zu incident%s shown)", located,
			 located == 1 ? "" : "s");
	fprintf(stderr, "report: %s: %zu run%s, %" PRIu64 " results, %zu forged address%s, "
			"%zu injector group%s, %zu locate result%s%s\n",
		out_path, d->nruns, d->nruns == 1 ? "" : "s", d->nresults, d->naddrs,
		d->naddrs == 1 ? "" : "es", d->ngroups, d->ngroups == 1 ? "" : "s", nloc,
		nloc == 1 ? "" : "s", watch_loc);
	return 0;
}

/* Read the store and write the page (LOC and LIB read already). Returns 0,
 * or -1 (said). */
static int report_store(const struct report_args *a, const char *lib, size_t liblen,
			const struct report_locate *loc, size_t nloc)
{
	struct store_db *db = NULL;
	struct report_data d;
	memset(&d, 0, sizeof d);
	int ret = open_store(a->db_path, &db);
	if (ret == 0) {
		struct dw_error err;
		if (report_gather(db, &d, &err) != 0) {
			fprintf(stderr, "dnswatch report: %s: %s\n", a->db_path, err.text);
			ret = -1;
		}
		d.db_path = a->db_path;
	}
	if (ret == 0)
		ret = make_page(a->out_path, &d, lib, liblen, loc, nloc);
	report_data_free(&d);
	enum dw_status cst = store_close(db); /* read-only: nothing to commit, so DW_OK */
	if (cst != DW_OK) {
		fprintf(stderr, "dnswatch report: %s: %s\n", a->db_path, dw_strerror(cst));
		ret = -1;
	}
	return ret;
}

int report_cmd(int argc, char **argv)
{
	struct report_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	/* Everything that can fail before the store is read. */
	char *lib;
	size_t liblen;
	if (read_chartjs(a.chartjs, &lib, &liblen) != 0)
		return 1;
	struct report_locate *loc = calloc(LOCATE_MAX, sizeof *loc);
	size_t nloc = 0;
	int ret = 0;
	if (!loc) {
		fprintf(stderr, "dnswatch report: out of memory\n");
		ret = 1;
	}
	for (size_t i = 0; i < a.nlocs && ret == 0; i++)
		if (read_locate(a.locs[i], loc, &nloc) != 0)
			ret = 1;
	if (ret == 0 && report_store(&a, lib, liblen, loc, nloc) != 0)
		ret = 1;
	for (size_t i = 0; i < nloc; i++)
		report_locate_free(&loc[i]);
	free(loc);
	free(lib);
	return ret;
}
