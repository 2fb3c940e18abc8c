/* The ClickHouse store over HTTP (see clickhouse.h and docs/store.md). */
#include "store/clickhouse.h"

#include "probe/classify.h"
#include "util/clock.h"
#include "wire/name.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A growable byte buffer: struct ch_buf (clickhouse.h). */

static void buf_need(struct ch_buf *b, size_t more)
{
	if (b->oom || b->n + more + 1 <= b->cap)
		return;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->n + more + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = nc;
}

static void buf_add(struct ch_buf *b, const void *s, size_t n)
{
	buf_need(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void buf_c(struct ch_buf *b, char c)
{
	buf_add(b, &c, 1);
}

__attribute__((format(printf, 2, 3)))
static void buf_printf(struct ch_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (int pass = 0; pass < 2 && !b->oom; pass++) {
		size_t room = b->cap > b->n ? b->cap - b->n : 0;
		va_start(ap, fmt);
		int k = vsnprintf(room ? b->p + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)k < room) {
			b->n += (size_t)k;
			return;
		}
		buf_need(b, (size_t)k);
	}
}

static void buf_free(struct ch_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* TabSeparated escaping (ClickHouse's): backslash, tab, newline and every
 * other control byte or byte over 0x7e as \xNN; QUOTE adds the quote for a
 * string inside an array. */
static void tsv_bytes(struct ch_buf *b, const uint8_t *s, size_t n, bool quote)
{
	buf_need(b, n * 4 + 2);
	if (b->oom)
		return;
	static const char hex[] = "0123456789abcdef";
	char *o = b->p + b->n;
	if (quote)
		*o++ = '\'';
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '\\' || (quote && c == '\'')) {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	if (quote)
		*o++ = '\'';
	b->n = (size_t)(o - b->p);
	b->p[b->n] = 0;
}

static void tsv_str(struct ch_buf *b, const char *s)
{
	tsv_bytes(b, (const uint8_t *)s, strlen(s), false);
}

/* --- the store -------------------------------------------------------------- */

#define CH_QUEUE_MAX 8  /* batches waiting for the sender thread */

enum { T_QUERIES, T_ANSWERS, T_NBATCH };
static const char *const batch_table[T_NBATCH] = {"queries", "answers"};

struct ch_store {
	char *url;              /* as given, for error lines */
	char *host, *db;
	unsigned port;
	char base[300];         /* http://host:port/ */
	char vantage[128];
	struct ch_opts opts;
	CURL *curl;             /* the caller's: DDL, SELECTs */
	CURL *scurl;            /* the sender thread's: inserts, the spool */
	struct dw_error err;
	pthread_mutex_t err_mu; /* err is written by both threads */

	/* The sender thread: batches are posted (or spooled) off the caller's
	 * thread, so a prober never waits for ClickHouse; a full queue makes
	 * the caller wait (nothing dropped). mu guards the queue, busy and
	 * async_st; io is held while a batch is posted, and by a caller
	 * reading what the sender writes (stats, out, down, spool). */
	pthread_t sender;
	bool sender_on, stop, busy;
	pthread_mutex_t mu, io;
	pthread_cond_t cv_item, cv_space, cv_idle;
	struct qitem {
		char table[32];
		enum ch_format fmt;
		struct ch_buf body;
		uint64_t rows;
	} queue[CH_QUEUE_MAX];
	size_t qhead, qcount;
	enum dw_status async_st;  /* the sender's first failure, not yet returned */

	int64_t run;            /* 0: none */
	uint64_t run_started_us;
	char *cmdline, *options;
	struct probe_target *targets;
	size_t ntargets;
	uint16_t qtypes[STORE_QTYPES_MAX];
	size_t nqtypes;
	int64_t next_incident;
	unsigned orphans_left;  /* spools of gone writers not drained at open */

	struct ch_buf batch[T_NBATCH];
	size_t batch_results;
	uint64_t batch_t0_ms;
	struct store_stats stats;

	/* outage and spool */
	char spool_dir[256];
	char spool_path[1024];
	int spool_fd;           /* -1: none yet */
	uint64_t spool_rows;    /* result rows in the spool now */
	bool down;
	uint64_t down_since_ms, last_try_ms;
	struct ch_outage_stats out;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One failure line, kept and written to errlog. Returns ST. */
__attribute__((format(printf, 4, 5)))
static enum dw_status fail(struct ch_store *c, enum dw_status st, const char *why, const char *what,
			   ...)
{
	char w[512];
	va_list ap;
	va_start(ap, what);
	vsnprintf(w, sizeof w, what, ap);
	va_end(ap);
	pthread_mutex_lock(&c->err_mu);
	dw_error_set(&c->err, st, "store: %s: %s while %s", c->url, why, w);
	for (char *p = c->err.text; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (c->opts.errlog && !c->opts.errlog_notes_only && st != DW_E_STATE && st != DW_E_INVALID &&
	    st != DW_E_NORUN) {
		fprintf(c->opts.errlog, "%s\n", c->err.text);
		fflush(c->opts.errlog);
	}
	pthread_mutex_unlock(&c->err_mu);
	return st;
}

__attribute__((format(printf, 2, 3)))
static void note(struct ch_store *c, const char *fmt, ...)
{
	if (!c->opts.errlog)
		return;
	char w[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w, sizeof w, fmt, ap);
	va_end(ap);
	fprintf(c->opts.errlog, "store: %s: %s\n", c->url, w);
	fflush(c->opts.errlog);
}

bool ch_url_is(const char *url)
{
	return url && !strncmp(url, CH_URL_PREFIX, strlen(CH_URL_PREFIX));
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int parse_url(struct ch_store *c, const char *url, struct dw_error *err)
{
	const char *p = url + strlen(CH_URL_PREFIX);
	const char *slash = strchr(p, '/');
	if (!slash || slash == p)
		return dw_error_set(err, DW_E_INVALID,
				    "%s: not clickhouse://HOST[:PORT]/DATABASE", url);
	const char *colon = memchr(p, ':', (size_t)(slash - p));
	size_t hl = (size_t)((colon ? colon : slash) - p);
	c->host = strndup(p, hl);
	c->port = CH_DEFAULT_PORT;
	if (colon) {
		char *end;
		unsigned long v = strtoul(colon + 1, &end, 10);
		if (end != slash || v == 0 || v > 65535)
			return dw_error_set(err, DW_E_INVALID, "%s: bad port", url);
		c->port = (unsigned)v;
	}
	c->db = strdup(slash + 1);
	if (!c->host || !c->db)
		return dw_error_set(err, DW_E_NOMEM, "%s: out of memory", url);
	if (!name_ok(c->db))
		return dw_error_set(err, DW_E_INVALID,
				    "%s: the database name must be letters, digits and _", url);
	for (const char *h = c->host; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != '_')
			return dw_error_set(err, DW_E_INVALID, "%s: bad host name", url);
	snprintf(c->base, sizeof c->base, "http://%s:%u/", c->host, c->port);
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	buf_add(ctx, data, size * n);
	return ((struct ch_buf *)ctx)->oom ? 0 : size * n;
}

enum post_result { POST_OK, POST_DOWN, POST_ERROR };

/*
 * POST BODY to the server, QUERY (may be NULL) in the URL. RESP gets the
 * reply's body. POST_DOWN: the server is not there or cannot take it now
 * (worth spooling); POST_ERROR: it refused (WHY says so).
 */
static enum post_result post(struct ch_store *c, CURL *h, const char *query, const char *body,
			     size_t len, struct ch_buf *resp, char *why, size_t whycap)
{
	char url[4096];
	if (query) {
		char *q = curl_easy_escape(h, query, 0);
		if (!q) {
			snprintf(why, whycap, "out of memory");
			return POST_ERROR;
		}
		snprintf(url, sizeof url, "%s?query=%s", c->base, q);
		curl_free(q);
	} else {
		snprintf(url, sizeof url, "%s", c->base);
	}
	resp->n = 0;
	if (resp->p)
		resp->p[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(why, whycap, "%s (%s)", curl_easy_strerror(rc), c->base);
		return rc == CURLE_WRITE_ERROR || rc == CURLE_OUT_OF_MEMORY ? POST_ERROR : POST_DOWN;
	}
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code == 200)
		return POST_OK;
	/* ClickHouse's own words: "Code: N, e.displayText() = ..." (one line). */
	const char *text = resp->p ? resp->p : "";
	snprintf(why, whycap, "HTTP %ld: %.*s", code, (int)strcspn(text, "\n"), text);
	int chcode = 0;
	if (!strncmp(text, "Code: ", 6))
		chcode = atoi(text + 6);
	/* 202 too many simultaneous queries, 252 too many parts, 241 memory
	 * limit: the server is overloaded, not refusing the data. */
	if (code >= 502 || chcode == 202 || chcode == 252 || chcode == 241)
		return POST_DOWN;
	return POST_ERROR;
}

static const char *const format_name[] = {[CH_TSV] = "TabSeparated", [CH_ROWBINARY] = "RowBinary"};

static enum post_result insert(struct ch_store *c, const char *table, enum ch_format fmt, const char *body,
			       size_t len, char *why, size_t whycap)
{
	char q[256];
	snprintf(q, sizeof q, "INSERT INTO %s.%s FORMAT %s", c->db, table, format_name[fmt]);
	struct ch_buf resp = {0};
	enum post_result r = post(c, c->scurl, q, body, len, &resp, why, whycap);
	buf_free(&resp);
	return r;
}

enum dw_status ch_exec(struct ch_store *c, const char *sql)
{
	struct ch_buf resp = {0};
	char why[600];
	enum post_result r = post(c, c->curl, NULL, sql, strlen(sql), &resp, why, sizeof why);
	buf_free(&resp);
	if (r != POST_OK)
		return fail(c, r == POST_DOWN ? DW_E_IO : DW_E_DB, why, "running \"%.80s\"", sql);
	return DW_OK;
}

/* Unescape a TabSeparated field in place. */
static void tsv_unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case '0': *o++ = '\0'; break;
		case 'x':
			if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
				char h[3] = {p[1], p[2], 0};
				*o++ = (char)strtoul(h, NULL, 16);
				p += 2;
				break;
			}
			*o++ = 'x';
			break;
		default: *o++ = *p; break;
		}
	}
	*o = 0;
}

size_t ch_tsv_rows(char *text, int (*fn)(void *ctx, char **fields, size_t nfields), void *ctx)
{
	char *fields[CH_TSV_FIELDS_MAX];
	size_t rows = 0;
	char *p = text;
	while (p && *p) {
		char *eol = strchr(p, '\n');
		if (eol)
			*eol = 0;
		size_t nf = 0;
		for (char *f = p;;) {
			if (nf == CH_TSV_FIELDS_MAX)
				break;
			fields[nf++] = f;
			char *tab = strchr(f, '\t');
			if (!tab)
				break;
			*tab = 0;
			f = tab + 1;
		}
		for (size_t i = 0; i < nf; i++)
			tsv_unescape(fields[i]);
		rows++;
		if (fn(ctx, fields, nf))
			break;
		p = eol ? eol + 1 : NULL;
	}
	return rows;
}

enum dw_status ch_select(struct ch_store *c, const char *sql,
			 int (*fn)(void *ctx, char **fields, size_t nfields), void *ctx)
{
	struct ch_buf q = {0}, resp = {0};
	buf_printf(&q, "%s FORMAT TabSeparated", sql);
	if (q.oom) {
		buf_free(&q);
		return fail(c, DW_E_NOMEM, "out of memory", "querying");
	}
	char why[600];
	enum post_result r = post(c, c->curl, NULL, q.p, q.n, &resp, why, sizeof why);
	buf_free(&q);
	if (r != POST_OK) {
		buf_free(&resp);
		return fail(c, r == POST_DOWN ? DW_E_IO : DW_E_DB, why, "querying \"%.80s\"", sql);
	}
	if (resp.p)
		(void)ch_tsv_rows(resp.p, fn, ctx);
	buf_free(&resp);
	return DW_OK;
}

/* --- schema ----------------------------------------------------------------- */

/* Every table: ReplacingMergeTree over the identity of a row, partitioned by
 * day (docs/store.md, "ClickHouse"). */
static const struct {
	const char *name, *columns, *engine;
} schema[] = {
	{"runs",
	 "vantage String, run UInt64, version UInt64, "
	"started DateTime, started_us UInt32, finished DateTime, finished_us UInt32, "
	"status String, cmdline String, options String, qtypes String, ntargets UInt32, "
	"nqueries UInt64, outages UInt32, outage_ms UInt64, spooled_rows UInt64",
	 "ReplacingMergeTree(version) PARTITION BY toYYYYMMDD(started) "
	"ORDER BY (vantage, run)"},
	{"targets",
	 "vantage String, run UInt64, started DateTime, "
	"idx UInt16, label String, kind UInt8, family UInt8, addr FixedString(16), port UInt16",
	 "ReplacingMergeTree PARTITION BY toYYYYMMDD(started) "
	"ORDER BY (vantage, run, idx)"},
	{"queries",
	 "vantage String, run UInt64, seq UInt64, "
	"target UInt16, qtype UInt16, line UInt32, qname String, tld String, target_kind UInt8, "
	"sent DateTime, sent_us UInt32, id UInt16, sport UInt16, attempts UInt8, "
	"replies_seen UInt16, verdict UInt8, forged_reply Int8, grp Int32, evidence String, "
	"forged_v4 Array(UInt32), forged_v6 Array(FixedString(16)), "
	"replies Nested(time DateTime, time_us UInt32, rtt_us UInt32, family UInt8, "
	"src FixedString(16), sport UInt16, ip_known UInt8, ip_ttl UInt8, ip_id UInt16, df UInt8, "
	"parsed UInt8, qmatch UInt8, flags UInt16, rcode UInt16, ancount UInt16, nscount UInt16, "
	"arcount UInt16, answer_ptr UInt8, answer_ttl UInt32, naddrs UInt8, ncnames UInt8, "
	"ede Int32, len UInt16, fp String)",
	 "ReplacingMergeTree PARTITION BY toYYYYMMDD(sent) "
	"ORDER BY (vantage, run, seq, target, qtype)"},
	{"answers",
	 "vantage String, run UInt64, seq UInt64, "
	"target UInt16, qtype UInt16, reply UInt8, idx UInt8, sent DateTime, sent_us UInt32, "
	"verdict UInt8, target_kind UInt8, forged UInt8, family UInt8, v4 UInt32, "
	"v6 FixedString(16), ttl UInt32, usable UInt8, ip_ttl UInt8, answer_ttl UInt32, fp String",
	 "ReplacingMergeTree PARTITION BY toYYYYMMDD(sent) "
	"ORDER BY (vantage, run, seq, target, qtype, reply, idx)"},
	{"groups",
	 "vantage String, run UInt64, started DateTime, "
	"id Int32, version UInt64, fingerprint String, count UInt64, addr_v4 Array(UInt32), "
	"addr_v6 Array(FixedString(16))",
	 "ReplacingMergeTree(version) PARTITION BY toYYYYMMDD(started) "
	"ORDER BY (vantage, run, id)"},
	{"incidents",
	 "vantage String, run UInt64, started DateTime, "
	"id Int64, version UInt64, started_us Int64, raised_us Int64, injection_end_us Int64, "
	"ended_us Int64, peak_share Float64, scope String, addresses String, summary String, "
	"cause String, evidence String, hop Int32, hop_router String, locate String, "
	"groups String",
	 "ReplacingMergeTree(version) PARTITION BY toYYYYMMDD(started) "
	"ORDER BY (vantage, run, id)"},
};

static enum dw_status create_schema(struct ch_store *c)
{
	char sql[2048];
	snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", c->db);
	enum dw_status st = ch_exec(c, sql);
	for (size_t i = 0; st == DW_OK && i < sizeof schema / sizeof schema[0]; i++) {
		snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s.%s (%s) ENGINE = %s", c->db,
			 schema[i].name, schema[i].columns, schema[i].engine);
		st = ch_exec(c, sql);
	}
	return st;
}

static int count_row(void *ctx, char **f, size_t n)
{
	*(long *)ctx = n ? atol(f[0]) : 0;
	return 0;
}

/* --- spool ------------------------------------------------------------------ */

/* The part of a spool file's name that says which database it is for. */
static void spool_key(const struct ch_store *c, char *out, size_t cap)
{
	snprintf(out, cap, "dnswatch-%s_%u_%s-", c->host, c->port, c->db);
}

static enum dw_status spool_open(struct ch_store *c)
{
	if (c->spool_fd >= 0)
		return DW_OK;
	if (mkdir(c->spool_dir, 0700) != 0 && errno != EEXIST)
		return fail(c, DW_E_IO, strerror(errno), "making the spool directory %s", c->spool_dir);
	char key[200], v[64];
	spool_key(c, key, sizeof key);
	size_t k = 0;
	for (const char *p = c->vantage; *p && k + 1 < sizeof v; p++)
		v[k++] = isalnum((unsigned char)*p) ? *p : '_';
	v[k] = 0;
	snprintf(c->spool_path, sizeof c->spool_path, "%s/%s%s-%ld-%" PRIu64 ".spool", c->spool_dir,
		 key, v, (long)getpid(), util_real_us());
	c->spool_fd = open(c->spool_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (c->spool_fd < 0)
		return fail(c, DW_E_IO, strerror(errno), "opening the spool %s", c->spool_path);
	/* Held while this process lives: a later process drains only spools
	 * whose lock it can take (their writer is gone). */
	if (flock(c->spool_fd, LOCK_EX | LOCK_NB) != 0)
		return fail(c, DW_E_IO, strerror(errno), "locking the spool %s", c->spool_path);
	return DW_OK;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* One record (clickhouse.h, struct ch_spool_rec): its head line, LEN bytes
 * of rows. */
static enum dw_status spool_append(struct ch_store *c, const char *table, enum ch_format fmt,
				   const char *body, size_t len, uint64_t rows)
{
	enum dw_status st = spool_open(c);
	if (st != DW_OK)
		return st;
	char head[128];
	int hn = snprintf(head, sizeof head, "dnswatch-spool 2 %s %s %" PRIu64 " %zu\n", table,
			  format_name[fmt], rows, len);
	if (!write_all(c->spool_fd, head, (size_t)hn) || !write_all(c->spool_fd, body, len))
		return fail(c, DW_E_IO, strerror(errno), "writing the spool %s", c->spool_path);
	c->spool_rows += rows;
	c->out.spooled_rows += rows;
	c->out.spool_pending += (uint64_t)hn + len;
	return DW_OK;
}

static bool spool_table_ok(const char *t)
{
	static const char *const known[] = {"queries", "answers", "runs", "targets", "groups",
					    "incidents", "census_runs", "census_names",
					    "census_replies", "census_groups", "census_rules",
					    "census_overblocked", "census_pools", "guard_drops",
					    "guard_purges"};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(t, known[i]))
			return true;
	return false;
}

int ch_spool_record(const char *buf, size_t size, size_t off, struct ch_spool_rec *rec)
{
	memset(rec, 0, sizeof *rec);
	if (off >= size)
		return -1;
	const char *nl = memchr(buf + off, '\n', size - off < 128 ? size - off : 128);
	if (!nl)
		return -1;
	char head[130], table[32], format[16] = "TabSeparated";
	size_t hl = (size_t)(nl - (buf + off));
	memcpy(head, buf + off, hl);
	head[hl] = 0;
	uint64_t rows, len;
	int used = 0;
	/* Version 1, of the releases before RowBinary: TabSeparated always. */
	if ((sscanf(head, "dnswatch-spool 2 %31s %15s %" SCNu64 " %" SCNu64 "%n", table, format, &rows, &len,
		    &used) != 4 &&
	     sscanf(head, "dnswatch-spool 1 %31s %" SCNu64 " %" SCNu64 "%n", table, &rows, &len, &used) != 3) ||
	    (size_t)used != hl || !spool_table_ok(table))
		return -1;
	size_t f = 0;
	while (f < sizeof format_name / sizeof format_name[0] && strcmp(format, format_name[f]))
		f++;
	if (f == sizeof format_name / sizeof format_name[0])
		return -1;
	rec->format = (enum ch_format)f;
	size_t body = off + hl + 1;
	if (len > size - body)
		return -1;
	snprintf(rec->table, sizeof rec->table, "%s", table);
	rec->rows = rows;
	rec->body_off = body;
	rec->body_len = (size_t)len;
	rec->next = body + (size_t)len;
	return 0;
}

/*
 * Post every record of the spool FD in order. Returns DW_OK with *DRAINED
 * true when all went in (the caller empties the file), DW_OK with false
 * when the server went away again (records already posted will be posted
 * again next time: the tables' keys make that harmless), an error if the
 * file is damaged or the server refuses a record.
 */
static enum dw_status spool_drain_fd(struct ch_store *c, int fd, const char *path, bool *drained,
				     uint64_t *rows_out)
{
	*drained = false;
	*rows_out = 0;
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return fail(c, DW_E_IO, strerror(errno), "reading the spool %s", path);
	size_t size = (size_t)sb.st_size;
	char *all = malloc(size + 1);
	if (!all)
		return fail(c, DW_E_NOMEM, "out of memory", "reading the spool %s", path);
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, all + got, size - got, (off_t)got);
		if (r <= 0) {
			free(all);
			return fail(c, DW_E_IO, r < 0 ? strerror(errno) : "short read", "reading the spool %s",
				    path);
		}
		got += (size_t)r;
	}
	all[size] = 0;
	enum dw_status st = DW_OK;
	size_t off = 0;
	uint64_t rows_done = 0;
	while (off < size) {
		struct ch_spool_rec rec;
		if (ch_spool_record(all, size, off, &rec) != 0) {
			st = fail(c, DW_E_SYNTAX, "not a spool record", "reading the spool %s at byte %zu",
				  path, off);
			break;
		}
		char why[600];
		enum post_result r = insert(c, rec.table, rec.format, all + rec.body_off, rec.body_len, why,
					    sizeof why);
		if (r == POST_DOWN)
			break;
		if (r == POST_ERROR) {
			st = fail(c, DW_E_DB, why, "draining the spool %s (a %s batch at byte %zu)", path,
				  rec.table, off);
			break;
		}
		rows_done += rec.rows;
		off = rec.next;
	}
	free(all);
	*rows_out = rows_done;
	*drained = st == DW_OK && off >= size;
	return st;
}

/* Try the spool again (during an outage, at most once a second). */
static enum dw_status spool_retry(struct ch_store *c, bool force)
{
	uint64_t now = util_mono_ms();
	if (!c->down || (!force && now - c->last_try_ms < 1000))
		return DW_OK;
	c->last_try_ms = now;
	bool drained;
	uint64_t rows;
	enum dw_status st = spool_drain_fd(c, c->spool_fd, c->spool_path, &drained, &rows);
	if (st != DW_OK || !drained)
		return st;
	if (ftruncate(c->spool_fd, 0) != 0)
		return fail(c, DW_E_IO, strerror(errno), "emptying the spool %s", c->spool_path);
	uint64_t away = now - c->down_since_ms;
	c->out.outage_ms += away;
	c->down = false;
	c->out.down = false;
	c->out.spool_pending = 0;
	note(c, "back after %.1f s; %" PRIu64 " result rows drained from the spool %s, nothing lost",
	     (double)away / 1000.0, c->spool_rows, c->spool_path);
	c->stats.results += c->spool_rows;
	c->spool_rows = 0;
	return DW_OK;
}

static void outage_begin(struct ch_store *c, const char *why)
{
	c->down = true;
	c->out.down = true;
	c->out.outages++;
	c->down_since_ms = c->last_try_ms = util_mono_ms();
	note(c, "unreachable (%s): spooling batches to %s until it is back", why,
	     c->spool_path[0] ? c->spool_path : "a spool file");
}

/*
 * Post one batch, or spool it when the server is away. A batch refused by
 * the server (bad data, a schema not ours) is an error: retrying would not
 * help.
 */
static enum dw_status send_batch(struct ch_store *c, const char *table, enum ch_format fmt,
				 const char *body, size_t len, uint64_t rows)
{
	if (len == 0)
		return DW_OK;
	if (c->down) {
		enum dw_status st = spool_retry(c, false);
		if (st != DW_OK)
			return st;
	}
	if (!c->down) {
		char why[600];
		enum post_result r = insert(c, table, fmt, body, len, why, sizeof why);
		if (r == POST_OK) {
			c->stats.commits++;
			if (!strcmp(table, "queries"))
				c->stats.results += rows;
			return DW_OK;
		}
		if (r == POST_ERROR)
			return fail(c, DW_E_DB, why, "inserting %" PRIu64 " rows into %s.%s", rows, c->db,
				    table);
		enum dw_status st = spool_open(c);
		if (st != DW_OK)
			return st;
		outage_begin(c, why);
	}
	return spool_append(c, table, fmt, body, len, !strcmp(table, "queries") ? rows : 0);
}

/* --- the sender thread -------------------------------------------------------- */

static void *sender_main(void *arg)
{
	struct ch_store *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (c->qcount == 0) {
			if (c->stop)
				break;
			if (c->down) {
				/* Away: try the spool again once a second, idle or not. */
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += 1;
				pthread_cond_timedwait(&c->cv_item, &c->mu, &ts);
				if (c->qcount == 0 && !c->stop) {
					c->busy = true;
					pthread_mutex_unlock(&c->mu);
					pthread_mutex_lock(&c->io);
					enum dw_status st = spool_retry(c, false);
					pthread_mutex_unlock(&c->io);
					pthread_mutex_lock(&c->mu);
					c->busy = false;
					if (st != DW_OK && c->async_st == DW_OK)
						c->async_st = st;
					pthread_cond_broadcast(&c->cv_idle);
				}
			} else {
				pthread_cond_wait(&c->cv_item, &c->mu);
			}
			continue;
		}
		struct qitem it = c->queue[c->qhead];
		memset(&c->queue[c->qhead], 0, sizeof c->queue[c->qhead]);
		c->qhead = (c->qhead + 1) % CH_QUEUE_MAX;
		c->qcount--;
		c->busy = true;
		pthread_cond_broadcast(&c->cv_space);
		pthread_mutex_unlock(&c->mu);
		pthread_mutex_lock(&c->io);
		enum dw_status st = send_batch(c, it.table, it.fmt, it.body.p, it.body.n, it.rows);
		pthread_mutex_unlock(&c->io);
		buf_free(&it.body);
		pthread_mutex_lock(&c->mu);
		c->busy = false;
		if (st != DW_OK && c->async_st == DW_OK)
			c->async_st = st;
		pthread_cond_broadcast(&c->cv_idle);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The sender's failure since the last call, if any (returned once). */
static enum dw_status take_async(struct ch_store *c)
{
	pthread_mutex_lock(&c->mu);
	enum dw_status st = c->async_st;
	c->async_st = DW_OK;
	pthread_mutex_unlock(&c->mu);
	return st;
}

/* Hand B (rows in FMT; taken: *B is left empty) to the sender thread; waits
 * while the queue is full. ROWS: results in it (a queries batch). */
static enum dw_status enqueue(struct ch_store *c, const char *table, enum ch_format fmt, struct ch_buf *b,
			      uint64_t rows)
{
	if (b->n == 0) {
		buf_free(b);
		return take_async(c);
	}
	if (!c->sender_on) {
		pthread_mutex_lock(&c->io);
		enum dw_status st = send_batch(c, table, fmt, b->p, b->n, rows);
		pthread_mutex_unlock(&c->io);
		buf_free(b);
		return st;
	}
	pthread_mutex_lock(&c->mu);
	while (c->qcount == CH_QUEUE_MAX)
		pthread_cond_wait(&c->cv_space, &c->mu);
	struct qitem *it = &c->queue[(c->qhead + c->qcount) % CH_QUEUE_MAX];
	snprintf(it->table, sizeof it->table, "%s", table);
	it->fmt = fmt;
	it->body = *b;
	it->rows = rows;
	c->qcount++;
	pthread_cond_signal(&c->cv_item);
	enum dw_status st = c->async_st;
	c->async_st = DW_OK;
	pthread_mutex_unlock(&c->mu);
	memset(b, 0, sizeof *b);
	return st;
}

/* Wait until the sender has posted (or spooled) everything queued. */
static enum dw_status wait_idle(struct ch_store *c)
{
	if (!c->sender_on)
		return DW_OK;
	pthread_mutex_lock(&c->mu);
	while (c->qcount || c->busy)
		pthread_cond_wait(&c->cv_idle, &c->mu);
	enum dw_status st = c->async_st;
	c->async_st = DW_OK;
	pthread_mutex_unlock(&c->mu);
	return st;
}

/* Spools of this database left by processes that are gone: drain them now. */
static enum dw_status drain_orphans(struct ch_store *c)
{
	DIR *d = opendir(c->spool_dir);
	if (!d)
		return DW_OK;
	char key[200];
	spool_key(c, key, sizeof key);
	enum dw_status st = DW_OK;
	struct dirent *e;
	while (st == DW_OK && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (strncmp(e->d_name, key, strlen(key)) || l < 6 || strcmp(e->d_name + l - 6, ".spool"))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", c->spool_dir, e->d_name);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd); /* its writer is alive */
			continue;
		}
		bool drained;
		uint64_t rows;
		st = spool_drain_fd(c, fd, path, &drained, &rows);
		if (st == DW_OK && !drained)
			c->orphans_left++;
		if (st == DW_OK && drained) {
			unlink(path);
			if (rows)
				note(c, "%" PRIu64 " result rows left in %s by an earlier process: drained",
				     rows, path);
		}
		close(fd);
	}
	closedir(d);
	return st;
}

/* --- open, close ------------------------------------------------------------ */

static void ch_free(struct ch_store *c);

enum dw_status ch_open(struct ch_store **out, const char *url, const struct ch_opts *opts,
		       struct dw_error *err)
{
	struct dw_error local;
	if (!err)
		err = &local;
	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		dw_error_set(err, DW_E_SYSTEM, "store: %s: libcurl: %s", url,
			     curl_easy_strerror(curl_init_rc));
		return DW_E_SYSTEM;
	}
	struct ch_store *c = calloc(1, sizeof *c);
	if (!c) {
		dw_error_set(err, DW_E_NOMEM, "store: %s: out of memory", url);
		return DW_E_NOMEM;
	}
	c->spool_fd = -1;
	pthread_mutex_init(&c->err_mu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->io, NULL);
	pthread_cond_init(&c->cv_item, NULL);
	pthread_cond_init(&c->cv_space, NULL);
	pthread_cond_init(&c->cv_idle, NULL);
	if (opts)
		c->opts = *opts;
	c->url = strdup(url);
	if (!c->url || parse_url(c, url, err) != 0) {
		enum dw_status st = c->url ? err->status : DW_E_NOMEM;
		ch_free(c);
		return st;
	}
	if (c->opts.vantage && c->opts.vantage[0])
		snprintf(c->vantage, sizeof c->vantage, "%s", c->opts.vantage);
	else if (gethostname(c->vantage, sizeof c->vantage - 1) != 0 || !c->vantage[0])
		snprintf(c->vantage, sizeof c->vantage, "unknown");
	const char *sd = c->opts.spool_dir;
	if (!sd || !*sd)
		sd = getenv("DNSWATCH_SPOOL");
	snprintf(c->spool_dir, sizeof c->spool_dir, "%s", sd && *sd ? sd : "/var/tmp/dnswatch-spool");
	c->curl = curl_easy_init();
	c->scurl = curl_easy_init();
	if (!c->curl || !c->scurl) {
		dw_error_set(err, DW_E_NOMEM, "store: %s: cannot make a libcurl handle", url);
		ch_free(c);
		return DW_E_NOMEM;
	}
	CURL *hs[2] = {c->curl, c->scurl};
	for (int i = 0; i < 2; i++) {
		curl_easy_setopt(hs[i], CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(hs[i], CURLOPT_TIMEOUT_MS, 60000L);
		curl_easy_setopt(hs[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(hs[i], CURLOPT_TCP_KEEPALIVE, 1L);
	}
	enum dw_status st = DW_OK;
	if (c->opts.no_schema) {
		/* nothing to create or check */
	} else if (c->opts.readonly) {
		long n = 0;
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT count() FROM system.tables WHERE database = '%s' AND name = 'runs'", c->db);
		st = ch_select(c, sql, count_row, &n);
		if (st == DW_OK && n == 0)
			st = fail(c, DW_E_EMPTY, "no dnswatch tables there", "opening database %s", c->db);
	} else {
		st = create_schema(c);
		if (st == DW_OK)
			st = drain_orphans(c);
		if (st == DW_OK && pthread_create(&c->sender, NULL, sender_main, c) != 0)
			st = fail(c, DW_E_SYSTEM, strerror(errno), "starting the sender thread");
		else if (st == DW_OK)
			c->sender_on = true;
	}
	if (st != DW_OK) {
		*err = c->err;
		ch_free(c);
		return st;
	}
	*out = c;
	return DW_OK;
}

static void run_clear(struct ch_store *c)
{
	free(c->cmdline);
	free(c->options);
	free(c->targets);
	c->cmdline = c->options = NULL;
	c->targets = NULL;
	c->ntargets = c->nqtypes = 0;
	c->run = 0;
}

enum dw_status ch_close(struct ch_store *c)
{
	if (!c)
		return DW_OK;
	enum dw_status st = DW_OK;
	if (c->curl && !c->opts.readonly) {
		st = ch_flush(c);
		pthread_mutex_lock(&c->io);
		if (st == DW_OK && c->down)
			st = spool_retry(c, true);
		pthread_mutex_unlock(&c->io);
		if (st == DW_OK && c->down)
			st = fail(c, DW_E_IO, "the server is still away",
				  "closing: %" PRIu64 " result rows stay in the spool %s for the next "
				  "process to drain", c->spool_rows, c->spool_path);
	}
	if (c->spool_fd >= 0) {
		struct stat sb;
		if (!c->down && fstat(c->spool_fd, &sb) == 0 && sb.st_size == 0)
			unlink(c->spool_path);
		close(c->spool_fd);
		c->spool_fd = -1;
	}
	ch_free(c);
	return st;
}

static void ch_free(struct ch_store *c)
{
	if (c->sender_on) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_signal(&c->cv_item);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->sender, NULL);
		c->sender_on = false;
	}
	for (size_t i = 0; i < CH_QUEUE_MAX; i++)
		buf_free(&c->queue[i].body);
	if (c->spool_fd >= 0)
		close(c->spool_fd);
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->scurl)
		curl_easy_cleanup(c->scurl);
	pthread_mutex_destroy(&c->err_mu);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->io);
	pthread_cond_destroy(&c->cv_item);
	pthread_cond_destroy(&c->cv_space);
	pthread_cond_destroy(&c->cv_idle);
	for (int t = 0; t < T_NBATCH; t++)
		buf_free(&c->batch[t]);
	run_clear(c);
	free(c->url);
	free(c->host);
	free(c->db);
	free(c);
}

const struct dw_error *ch_error(const struct ch_store *c)
{
	return &c->err;
}

const char *ch_database(const struct ch_store *c)
{
	return c->db;
}

/* --- writing ---------------------------------------------------------------- */

static void fixed16(struct ch_buf *b, int family, const uint8_t *addr)
{
	uint8_t a[16] = {0};
	memcpy(a, addr, family == AF_INET ? 4 : 16);
	tsv_bytes(b, a, 16, false);
}

static void fixed16_quoted(struct ch_buf *b, const uint8_t *addr)
{
	tsv_bytes(b, addr, 16, true);
}

static uint32_t v4_num(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* A DateTime as seconds since the epoch, zero-padded: ClickHouse 18.16
 * reads a value whose fifth character is not a digit as "YYYY-MM-DD
 * hh:mm:ss", so a short number ("0\t0\trunning...") would be misread. */
#define DT "%010" PRIu64

/* The common head of every row of the current run. */
static void row_head(struct ch_store *c, struct ch_buf *b)
{
	tsv_str(b, c->vantage);
	buf_printf(b, "\t%" PRId64 "\t", c->run);
}

static void put_run_row(struct ch_store *c, struct ch_buf *b, const char *status, uint64_t finished_us,
			uint64_t nqueries)
{
	char qt[96] = "";
	for (size_t i = 0, k = 0; i < c->nqtypes && k + 8 < sizeof qt; i++)
		k += (size_t)snprintf(qt + k, sizeof qt - k, "%s%u", i ? "," : "", c->qtypes[i]);
	row_head(c, b);
	buf_printf(b, "%" PRIu64 "\t" DT "\t%u\t" DT "\t%u\t", util_real_us(),
		   c->run_started_us / 1000000, (unsigned)(c->run_started_us % 1000000),
		   finished_us / 1000000, (unsigned)(finished_us % 1000000));
	tsv_str(b, status);
	buf_c(b, '\t');
	tsv_str(b, c->cmdline ? c->cmdline : "");
	buf_c(b, '\t');
	tsv_str(b, c->options ? c->options : "");
	buf_c(b, '\t');
	tsv_str(b, qt);
	pthread_mutex_lock(&c->io);
	buf_printf(b, "\t%zu\t%" PRIu64 "\t%u\t%" PRIu64 "\t%" PRIu64 "\n", c->ntargets, nqueries,
		   c->out.outages, c->out.outage_ms + (c->down ? util_mono_ms() - c->down_since_ms : 0),
		   c->out.spooled_rows);
	pthread_mutex_unlock(&c->io);
}

static enum dw_status send_small(struct ch_store *c, const char *table, struct ch_buf *b)
{
	if (b->oom) {
		buf_free(b);
		return fail(c, DW_E_NOMEM, "out of memory", "writing %s", table);
	}
	return enqueue(c, table, CH_TSV, b, 0);
}

enum dw_status ch_run_begin(struct ch_store *c, const char *cmdline, const char *options,
			   const struct probe_target *targets, size_t ntargets,
			   const uint16_t *qtypes, size_t nqtypes, int64_t *run)
{
	if (c->opts.readonly)
		return fail(c, DW_E_STATE, "read-only", "beginning a run");
	if (nqtypes > STORE_QTYPES_MAX || ntargets == 0 || ntargets > UINT16_MAX)
		return fail(c, DW_E_INVALID, "bad arguments", "beginning a run");
	enum dw_status st = ch_flush(c);
	if (st != DW_OK)
		return st;
	run_clear(c);
	c->targets = malloc(ntargets * sizeof *targets);
	c->cmdline = strdup(cmdline ? cmdline : "");
	c->options = strdup(options ? options : "");
	if (!c->targets || !c->cmdline || !c->options)
		return fail(c, DW_E_NOMEM, "out of memory", "beginning a run");
	memcpy(c->targets, targets, ntargets * sizeof *targets);
	c->ntargets = ntargets;
	if (nqtypes)
		memcpy(c->qtypes, qtypes, nqtypes * sizeof *qtypes);
	c->nqtypes = nqtypes;
	c->run_started_us = util_real_us();
	/* The run's id: its start in microseconds, unique for a vantage point
	 * (the key is (vantage, run)), and ordered like the runs. */
	c->run = (int64_t)c->run_started_us;
	c->next_incident = 1;
	struct ch_buf b = {0};
	put_run_row(c, &b, "running", 0, 0);
	st = send_small(c, "runs", &b);
	if (st != DW_OK)
		return st;
	for (size_t i = 0; i < ntargets; i++) {
		const struct probe_target *t = &targets[i];
		row_head(c, &b);
		buf_printf(&b, DT "\t%zu\t", c->run_started_us / 1000000, i);
		tsv_str(&b, t->label);
		buf_printf(&b, "\t%d\t%d\t", (int)t->kind, t->family == AF_INET6 ? 6 : 4);
		fixed16(&b, t->family, t->addr);
		buf_printf(&b, "\t%u\n", t->port);
	}
	st = send_small(c, "targets", &b);
	if (st == DW_OK && run)
		*run = c->run;
	return st;
}

enum dw_status ch_run_finish(struct ch_store *c, bool failed)
{
	if (!c->run)
		return fail(c, DW_E_STATE, "no run", "finishing a run");
	enum dw_status st = ch_flush(c);
	if (st != DW_OK)
		return st;
	struct ch_buf b = {0};
	pthread_mutex_lock(&c->io);
	uint64_t nq = c->stats.results + c->spool_rows;
	pthread_mutex_unlock(&c->io);
	put_run_row(c, &b, failed ? "failed" : "finished", util_real_us(), nq);
	st = send_small(c, "runs", &b);
	if (st == DW_OK)
		st = wait_idle(c); /* a finished run is stored (or spooled) */
	if (st == DW_OK)
		run_clear(c);
	return st;
}

/*
 * RowBinary (the queries and answers tables): each column in the table's
 * order, integers little-endian at their width, a DateTime as its UInt32,
 * a String as its length (LEB128) and bytes, FixedString(16) as 16 bytes,
 * an Array as its length and elements; a Nested column is one Array per
 * field. Against TabSeparated: no printf on the prober's thread (its
 * formatting cost the prober three times the user CPU of NDJSON), a body
 * 40% smaller, and less for the server to parse.
 * As NDJSON's lines are (probe/ndjson.c), a row is written with a cursor
 * into room reserved once for its longest form (RB_*_MAX), each field a
 * store of its width: through a checked append per field, the copies and
 * checks were a third of what storing cost the prober.
 */
#define RB_STR_MAX(n) (10 + (n))          /* a String of at most N bytes */
#define RB_REPLY_MAX (64 + 16 + RB_STR_MAX(128)) /* one reply's fields, src, fp */
#define RB_QUERY_MAX                                                                 \
	(RB_STR_MAX(sizeof ((struct ch_store *)0)->vantage) + 64 +                   \
	 RB_STR_MAX(WIRE_NAME_MAX * 4 + 4) + RB_STR_MAX(256) +                       \
	 RB_STR_MAX(sizeof ((struct probe_result *)0)->evidence) + 20 + 16 * PROBE_ADDRS_MAX + \
	 24 * 10 + PROBE_REPLIES_MAX * RB_REPLY_MAX)
#define RB_ANSWER_MAX (RB_STR_MAX(sizeof ((struct ch_store *)0)->vantage) + 96 + RB_STR_MAX(128))

/* Room for N more bytes at the end of B: a cursor there, or NULL (oom). */
static uint8_t *rb_room(struct ch_buf *b, size_t n)
{
	buf_need(b, n);
	return b->oom ? NULL : (uint8_t *)b->p + b->n;
}

static void rb_done(struct ch_buf *b, const uint8_t *o)
{
	b->n = (size_t)(o - (const uint8_t *)b->p);
}

/* Byte by byte, whatever the host's order (the compiler makes each one
 * store). */
static inline uint8_t *w8(uint8_t *o, uint8_t v)
{
	*o = v;
	return o + 1;
}

static inline uint8_t *w16(uint8_t *o, uint16_t v)
{
	o[0] = (uint8_t)v;
	o[1] = (uint8_t)(v >> 8);
	return o + 2;
}

static inline uint8_t *w32(uint8_t *o, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)(v >> (8 * i));
	return o + 4;
}

static inline uint8_t *w64(uint8_t *o, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (8 * i));
	return o + 8;
}

static inline uint8_t *wlen(uint8_t *o, uint64_t v)
{
	while (v > 0x7f) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

/* A String of at most CAP bytes (the bound the row's room was reserved
 * for: S is one of ours, NUL-terminated within it). */
static inline uint8_t *wstr(uint8_t *o, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	o = wlen(o, n);
	memcpy(o, s, n);
	return o + n;
}

static inline uint8_t *waddr16(uint8_t *o, int family, const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;
	memcpy(o, addr, n);
	memset(o + n, 0, 16 - n);
	return o + 16;
}

static void put_query_row(struct ch_store *c, struct ch_buf *b, const struct probe_result *r,
			  const char (*fps)[128])
{
	char name[WIRE_NAME_MAX * 4 + 4], tld[256];
	if (wire_name_to_text(r->qname, name, sizeof name) == 0)
		snprintf(name, sizeof name, "?");
	wire_name_tld_text(r->qname, tld, sizeof tld);
	const struct probe_target *t = &c->targets[r->target];
	uint8_t *o = rb_room(b, RB_QUERY_MAX);
	if (!o)
		return;
	o = wstr(o, c->vantage, sizeof c->vantage);
	o = w64(o, (uint64_t)c->run);
	o = w64(o, r->seq);
	o = w16(o, r->target);
	o = w16(o, r->qtype);
	o = w32(o, r->line);
	o = wstr(o, name, sizeof name);
	o = wstr(o, tld, sizeof tld);
	o = w8(o, (uint8_t)t->kind);
	o = w32(o, (uint32_t)(r->sent_us / 1000000));
	o = w32(o, (uint32_t)(r->sent_us % 1000000));
	o = w16(o, r->id);
	o = w16(o, r->sport);
	o = w8(o, r->attempts);
	o = w16(o, r->replies_seen);
	o = w8(o, (uint8_t)r->verdict);
	o = w8(o, (uint8_t)r->forged_reply);
	o = w32(o, (uint32_t)r->group);
	o = wstr(o, r->evidence, sizeof r->evidence);
	/* The forged reply's answer addresses, IPv4 and IPv6 apart. */
	const struct probe_reply *fr = r->forged_reply >= 0 && r->forged_reply < r->nreplies
					       ? &r->reply[r->forged_reply]
					       : NULL;
	const unsigned fn = fr ? fr->naddrs : 0;
	unsigned n4 = 0;
	for (unsigned i = 0; i < fn; i++)
		n4 += fr->addrs[i].family == AF_INET;
	o = wlen(o, n4);
	for (unsigned i = 0; i < fn; i++)
		if (fr->addrs[i].family == AF_INET)
			o = w32(o, v4_num(fr->addrs[i].addr));
	o = wlen(o, fn - n4);
	for (unsigned i = 0; i < fn; i++)
		if (fr->addrs[i].family == AF_INET6) {
			memcpy(o, fr->addrs[i].addr, 16);
			o += 16;
		}
	/* replies.*: one array per field, in the Nested column's order. */
	const unsigned n = r->nreplies;
	const struct probe_reply *p = r->reply;
#define ARR(put, ...)                                      \
	do {                                               \
		o = wlen(o, n);                            \
		for (unsigned i = 0; i < n; i++)           \
			o = put(o, __VA_ARGS__);           \
	} while (0)
	ARR(w32, (uint32_t)(p[i].time_us / 1000000));
	ARR(w32, (uint32_t)(p[i].time_us % 1000000));
	ARR(w32, p[i].rtt_us);
	ARR(w8, p[i].family == AF_INET6 ? 6 : 4);
	ARR(waddr16, p[i].family, p[i].src);
	ARR(w16, p[i].sport);
	ARR(w8, p[i].ip_known);
	ARR(w8, p[i].ip_ttl);
	ARR(w16, p[i].ip_id);
	ARR(w8, p[i].df);
	ARR(w8, p[i].parsed);
	ARR(w8, p[i].question_match);
	ARR(w16, p[i].flags);
	ARR(w16, p[i].rcode);
	ARR(w16, p[i].ancount);
	ARR(w16, p[i].nscount);
	ARR(w16, p[i].arcount);
	ARR(w8, p[i].answer_ptr);
	ARR(w32, p[i].answer_ttl);
	ARR(w8, p[i].naddrs);
	ARR(w8, p[i].ncnames);
	ARR(w32, p[i].has_ede ? p[i].ede : UINT32_MAX); /* Int32 -1: none */
	ARR(w16, p[i].len);
	ARR(wstr, fps[i], 128);
#undef ARR
	rb_done(b, o);
}

static void put_answer_rows(struct ch_store *c, struct ch_buf *b, const struct probe_result *r,
			    const char (*fps)[128])
{
	const struct probe_target *t = &c->targets[r->target];
	for (unsigned k = 0; k < r->nreplies; k++) {
		const struct probe_reply *p = &r->reply[k];
		const bool usable = p->parsed && p->ip_known && p->family == AF_INET;
		uint8_t *o = p->naddrs ? rb_room(b, p->naddrs * (size_t)RB_ANSWER_MAX) : NULL;
		if (!o)
			continue;
		for (unsigned i = 0; i < p->naddrs; i++) {
			const struct probe_addr *a = &p->addrs[i];
			const bool v6 = a->family == AF_INET6;
			o = wstr(o, c->vantage, sizeof c->vantage);
			o = w64(o, (uint64_t)c->run);
			o = w64(o, r->seq);
			o = w16(o, r->target);
			o = w16(o, r->qtype);
			o = w8(o, (uint8_t)k);
			o = w8(o, (uint8_t)i);
			o = w32(o, (uint32_t)(r->sent_us / 1000000));
			o = w32(o, (uint32_t)(r->sent_us % 1000000));
			o = w8(o, (uint8_t)r->verdict);
			o = w8(o, (uint8_t)t->kind);
			o = w8(o, (int)k == r->forged_reply);
			o = w8(o, v6 ? 6 : 4);
			o = w32(o, v6 ? 0 : v4_num(a->addr));
			memset(o, 0, 16);
			if (v6)
				memcpy(o, a->addr, 16);
			o = w32(o + 16, a->ttl);
			o = w8(o, usable);
			o = w8(o, p->ip_ttl);
			o = w32(o, p->answer_ttl);
			o = wstr(o, fps[k], 128);
		}
		rb_done(b, o);
	}
}

static enum dw_status hand_over(struct ch_store *c);

enum dw_status ch_put(struct ch_store *c, const struct probe_result *r)
{
	if (!c->run)
		return fail(c, DW_E_STATE, "no run begun", "storing a result");
	if (r->target >= c->ntargets || r->nreplies > PROBE_REPLIES_MAX)
		return fail(c, DW_E_INVALID, "bad result", "storing seq %" PRIu64, r->seq);
	if (c->nqtypes) {
		bool ok = false;
		for (size_t i = 0; i < c->nqtypes; i++)
			ok |= c->qtypes[i] == r->qtype;
		if (!ok)
			return fail(c, DW_E_INVALID, "a query type not of the run", "storing seq %" PRIu64,
				    r->seq);
	}
	/* The fingerprint key of each usable reply of an injected result:
	 * what the report needs to give a group its IP TTL and answer TTL
	 * ranges by GROUP BY (report/data.c). */
	char fps[PROBE_REPLIES_MAX][128];
	for (unsigned k = 0; k < r->nreplies; k++) {
		fps[k][0] = 0;
		const struct probe_reply *p = &r->reply[k];
		if (r->verdict == VERDICT_INJECTED && p->parsed && p->ip_known && p->family == AF_INET) {
			struct classify_fp fp;
			classify_fp_of(p, 0, &fp);
			classify_fp_format(&fp, fps[k], sizeof fps[k]);
		}
	}
	if (c->batch_results == 0)
		c->batch_t0_ms = util_mono_ms();
	put_query_row(c, &c->batch[T_QUERIES], r, (const char(*)[128])fps);
	put_answer_rows(c, &c->batch[T_ANSWERS], r, (const char(*)[128])fps);
	if (c->batch[T_QUERIES].oom || c->batch[T_ANSWERS].oom) {
		for (int t = 0; t < T_NBATCH; t++)
			buf_free(&c->batch[t]);
		c->batch_results = 0;
		return fail(c, DW_E_NOMEM, "out of memory", "batching seq %" PRIu64, r->seq);
	}
	c->batch_results++;
	unsigned max = c->opts.batch_rows ? c->opts.batch_rows : 200000;
	if (c->batch_results >= max)
		return hand_over(c);
	return ch_tick(c);
}

/* The open batch to the sender thread. A batch the server refuses is
 * reported (on a later call) and dropped: sending it again would not
 * help; the ones before are stored. */
static enum dw_status hand_over(struct ch_store *c)
{
	enum dw_status st = DW_OK;
	uint64_t rows = c->batch_results;
	/* The answers first: a query row posted means its answers are in (a
	 * resume takes the queries table's rows as what is stored). */
	for (int t = T_NBATCH - 1; t >= 0; t--) {
		size_t size = c->batch[t].n;
		enum dw_status s2 = enqueue(c, batch_table[t], CH_ROWBINARY, &c->batch[t],
					   t == T_QUERIES ? rows : 0);
		if (st == DW_OK)
			st = s2;
		/* The next batch's room at once, the size of this one: grown
		 * by doubling, a batch of tens of megabytes was copied over
		 * twice on the way (realloc within the heap). */
		struct ch_buf *b = &c->batch[t];
		if (size > 4096 && !b->p && (b->p = malloc(size + size / 8)) != NULL) {
			b->cap = size + size / 8;
			b->p[0] = 0;
		}
	}
	c->batch_results = 0;
	return st;
}

enum dw_status ch_flush(struct ch_store *c)
{
	enum dw_status st = hand_over(c);
	enum dw_status s2 = wait_idle(c);
	return st != DW_OK ? st : s2;
}

enum dw_status ch_tick(struct ch_store *c)
{
	unsigned ms = c->opts.batch_ms ? c->opts.batch_ms : 1000;
	if (c->batch_results && util_mono_ms() - c->batch_t0_ms >= ms)
		return hand_over(c);
	return take_async(c);
}

enum dw_status ch_group_put(struct ch_store *c, int32_t id, const char *fingerprint, uint64_t count,
			   const struct probe_addr *addrs, size_t naddrs)
{
	if (!c->run)
		return fail(c, DW_E_STATE, "no run begun", "storing group %d", (int)id);
	struct ch_buf b = {0};
	row_head(c, &b);
	buf_printf(&b, DT "\t%d\t%" PRIu64 "\t", c->run_started_us / 1000000, (int)id,
		   util_real_us());
	tsv_str(&b, fingerprint ? fingerprint : "");
	buf_printf(&b, "\t%" PRIu64 "\t[", count);
	for (size_t i = 0, k = 0; i < naddrs; i++)
		if (addrs[i].family == AF_INET)
			buf_printf(&b, "%s%" PRIu32, k++ ? "," : "", v4_num(addrs[i].addr));
	buf_add(&b, "]\t[", 3);
	for (size_t i = 0, k = 0; i < naddrs; i++)
		if (addrs[i].family == AF_INET6) {
			if (k++)
				buf_c(&b, ',');
			fixed16_quoted(&b, addrs[i].addr);
		}
	buf_add(&b, "]\n", 2);
	return send_small(c, "groups", &b);
}

enum dw_status ch_incident_put(struct ch_store *c, struct store_incident *inc)
{
	if (!c->run)
		return fail(c, DW_E_STATE, "no run begun", "storing an incident");
	if (inc->id == 0)
		inc->id = c->next_incident++;
	else if (inc->id >= c->next_incident)
		c->next_incident = inc->id + 1;
	struct ch_buf b = {0};
	row_head(&*c, &b);
	buf_printf(&b, DT "\t%" PRId64 "\t%" PRIu64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
		       "\t%" PRId64 "\t%.17g\t",
		   c->run_started_us / 1000000, inc->id, util_real_us(), inc->started_us, inc->raised_us,
		   inc->injection_end_us, inc->ended_us, inc->peak_share);
	const char *texts[] = {inc->scope, inc->addresses, inc->summary, inc->cause, inc->evidence};
	for (size_t i = 0; i < 5; i++) {
		tsv_str(&b, texts[i]);
		buf_c(&b, '\t');
	}
	buf_printf(&b, "%d\t", inc->hop);
	tsv_str(&b, inc->hop_router);
	buf_c(&b, '\t');
	tsv_str(&b, inc->locate);
	buf_c(&b, '\t');
	tsv_str(&b, inc->groups);
	buf_c(&b, '\n');
	inc->run = c->run;
	return send_small(c, "incidents", &b);
}

int64_t ch_run_id(const struct ch_store *c)
{
	return c->run;
}

const struct probe_target *ch_run_targets(const struct ch_store *c, size_t *n)
{
	*n = c->ntargets;
	return c->targets;
}

const uint16_t *ch_run_qtypes(const struct ch_store *c, size_t *n)
{
	*n = c->nqtypes;
	return c->qtypes;
}

void ch_get_stats(const struct ch_store *cc, struct store_stats *st)
{
	struct ch_store *c = (struct ch_store *)(uintptr_t)cc; /* its locks */
	pthread_mutex_lock(&c->io);
	pthread_mutex_lock(&c->mu);
	*st = c->stats;
	st->pending = c->batch_results + c->spool_rows;
	for (size_t i = 0; i < c->qcount; i++)
		st->pending += c->queue[(c->qhead + i) % CH_QUEUE_MAX].rows;
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_unlock(&c->io);
}

void ch_get_outage(const struct ch_store *cc, struct ch_outage_stats *st)
{
	struct ch_store *c = (struct ch_store *)(uintptr_t)cc;
	pthread_mutex_lock(&c->io);
	*st = c->out;
	if (c->down)
		st->outage_ms += util_mono_ms() - c->down_since_ms;
	pthread_mutex_unlock(&c->io);
}

/* --- other modules' tables ----------------------------------------------------- */

void ch_buf_str(struct ch_buf *b, const char *s)
{
	tsv_str(b, s ? s : "");
}

void ch_buf_printf(struct ch_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (k < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)k < sizeof small) {
		buf_add(b, small, (size_t)k);
		return;
	}
	char *big = malloc((size_t)k + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)k + 1, fmt, ap);
	va_end(ap);
	buf_add(b, big, (size_t)k);
	free(big);
}

void ch_buf_free(struct ch_buf *b)
{
	buf_free(b);
}

void ch_sql_str(char *out, size_t cap, const char *s)
{
	size_t k = 0;
	if (cap < 3) {
		if (cap)
			out[0] = 0;
		return;
	}
	out[k++] = '\'';
	for (; *s && k + 3 < cap; s++) {
		if (*s == '\'' || *s == '\\')
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k++] = '\'';
	out[k] = 0;
}

enum dw_status ch_table_ensure(struct ch_store *c, const char *name, const char *columns,
			       const char *engine)
{
	struct ch_buf q = {0};
	buf_printf(&q, "CREATE TABLE IF NOT EXISTS %s.%s (%s) ENGINE = %s", c->db, name, columns, engine);
	if (q.oom) {
		buf_free(&q);
		return fail(c, DW_E_NOMEM, "out of memory", "creating table %s", name);
	}
	enum dw_status st = ch_exec(c, q.p);
	buf_free(&q);
	return st;
}

enum dw_status ch_insert_rows(struct ch_store *c, const char *table, struct ch_buf *b)
{
	if (c->opts.readonly) {
		buf_free(b);
		return fail(c, DW_E_STATE, "read-only", "writing %s", table);
	}
	if (!spool_table_ok(table)) {
		buf_free(b);
		return fail(c, DW_E_INVALID, "not a table of ours", "writing %s", table);
	}
	return send_small(c, table, b);
}

enum dw_status ch_delete_where(struct ch_store *c, const char *table, const char *where, long *deleted)
{
	struct ch_buf q = {0};
	long n = 0;
	if (deleted)
		*deleted = 0;
	buf_printf(&q, "SELECT count() FROM %s.%s WHERE %s", c->db, table, where);
	enum dw_status st = q.oom ? fail(c, DW_E_NOMEM, "out of memory", "deleting from %s", table)
				  : ch_select(c, q.p, count_row, &n);
	if (st == DW_OK && n > 0) {
		q.n = 0;
		buf_printf(&q, "ALTER TABLE %s.%s DELETE WHERE %s", c->db, table, where);
		st = q.oom ? fail(c, DW_E_NOMEM, "out of memory", "deleting from %s", table) : ch_exec(c, q.p);
		/* a mutation: applied in the background; waited for */
		char sql[512], d[100], t[100];
		ch_sql_str(d, sizeof d, c->db);
		ch_sql_str(t, sizeof t, table);
		snprintf(sql, sizeof sql,
			 "SELECT count() FROM system.mutations WHERE database = %s AND table = %s AND is_done = 0", d, t);
		long pending = 1;
		for (int i = 0; st == DW_OK && i < 1200; i++) {
			if ((st = ch_select(c, sql, count_row, &pending)) != DW_OK || pending == 0)
				break;
			usleep(50000);
		}
		if (st == DW_OK && pending)
			st = fail(c, DW_E_IO, "the server has not applied the delete within 60 s",
				  "deleting %ld rows from %s.%s", n, c->db, table);
	}
	buf_free(&q);
	if (st == DW_OK && deleted)
		*deleted = n;
	return st;
}

const char *ch_vantage(const struct ch_store *c)
{
	return c->vantage;
}

unsigned ch_orphans_left(const struct ch_store *c)
{
	return c->orphans_left;
}

/* --- resume ----------------------------------------------------------------------- */

struct resume_run {
	int64_t run;
	bool found, running;
	char qtypes[96];
	long ntargets;
	char *cmdline, *options;
};

static int on_resume_run(void *ctx, char **f, size_t n)
{
	struct resume_run *r = ctx;
	if (n < 6)
		return 1;
	r->found = true;
	r->run = strtoll(f[0], NULL, 10);
	r->running = !strcmp(f[1], "running");
	snprintf(r->qtypes, sizeof r->qtypes, "%s", f[2]);
	r->ntargets = atol(f[3]);
	free(r->cmdline);
	free(r->options);
	r->cmdline = strdup(f[4]);
	r->options = strdup(f[5]);
	return 1;
}

static bool hex16(const char *h, uint8_t out[16])
{
	if (strlen(h) != 32)
		return false;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)h[2 * i]) || !isxdigit((unsigned char)h[2 * i + 1]) ||
		    sscanf(h + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

struct resume_targets {
	struct ch_store *c;
	size_t got;
	bool bad;
};

static int on_resume_target(void *ctx, char **f, size_t n)
{
	struct resume_targets *r = ctx;
	struct ch_store *c = r->c;
	if (n < 6) {
		r->bad = true;
		return 1;
	}
	unsigned long idx = strtoul(f[0], NULL, 10);
	if (idx >= c->ntargets) {
		r->bad = true;
		return 1;
	}
	struct probe_target *t = &c->targets[idx];
	memset(t, 0, sizeof *t);
	snprintf(t->label, sizeof t->label, "%s", f[1]);
	t->kind = (enum probe_target_kind)atoi(f[2]);
	t->family = atoi(f[3]) == 6 ? AF_INET6 : AF_INET;
	uint8_t a[16];
	if (!hex16(f[4], a)) {
		r->bad = true;
		return 1;
	}
	memcpy(t->addr, a, t->family == AF_INET ? 4 : 16);
	t->port = (uint16_t)atoi(f[5]);
	r->got++;
	return 0;
}

struct resume_rows {
	int (*fn)(void *ctx, uint64_t seq, uint16_t target, uint16_t qtype);
	void *ctx;
	uint64_t rows;
	int stop;
};

static int on_resume_row(void *ctx, char **f, size_t n)
{
	struct resume_rows *r = ctx;
	if (n < 3)
		return 0;
	unsigned long long seq = strtoull(f[0], NULL, 10);
	unsigned long t = strtoul(f[1], NULL, 10), q = strtoul(f[2], NULL, 10);
	if (t > UINT16_MAX || q > UINT16_MAX)
		return 0;
	r->rows++;
	return r->stop = r->fn(r->ctx, seq, (uint16_t)t, (uint16_t)q);
}

enum dw_status ch_run_resume(struct ch_store *c, int64_t run,
			     int (*fn)(void *ctx, uint64_t seq, uint16_t target, uint16_t qtype),
			     void *ctx, int64_t *run_out)
{
	if (c->opts.readonly)
		return fail(c, DW_E_STATE, "read-only", "resuming a run");
	if (c->orphans_left)
		return fail(c, DW_E_STATE, "a spool of an earlier writer is not drained yet (the server went away)",
			    "resuming a run: its rows would be probed again");
	enum dw_status st = ch_flush(c);
	if (st != DW_OK)
		return st;
	run_clear(c);
	char v[300], sql[1024];
	ch_sql_str(v, sizeof v, c->vantage);
	/* The run's newest row: argMax over version (FINAL without the merge). */
	char which[64] = "";
	if (run > 0)
		snprintf(which, sizeof which, " AND run = %" PRId64, run);
	snprintf(sql, sizeof sql,
		 "SELECT run, argMax(status, version) AS s, argMax(qtypes, version),"
		 " argMax(ntargets, version), argMax(cmdline, version), argMax(options, version)"
		 " FROM %s.runs WHERE vantage = %s%s GROUP BY run%s ORDER BY run DESC LIMIT 1",
		 c->db, v, which, run > 0 ? "" : " HAVING s = 'running'");
	struct resume_run rr = {0};
	st = ch_select(c, sql, on_resume_run, &rr);
	if (st == DW_OK && !rr.found)
		st = fail(c, DW_E_NORUN, run > 0 ? "no such run" : "no unfinished run",
			  "resuming (vantage point %s)", c->vantage);
	else if (st == DW_OK && !rr.running)
		st = fail(c, DW_E_NORUN, "the run is finished", "resuming run %" PRId64, rr.run);
	else if (st == DW_OK && (rr.ntargets <= 0 || rr.ntargets > UINT16_MAX || !rr.cmdline || !rr.options))
		st = fail(c, DW_E_DB, "the run's row is damaged", "resuming run %" PRId64, rr.run);
	if (st == DW_OK) {
		c->nqtypes = 0;
		for (const char *p = rr.qtypes; *p && c->nqtypes < STORE_QTYPES_MAX;) {
			char *end;
			unsigned long q = strtoul(p, &end, 10);
			if (end == p || q > UINT16_MAX) {
				st = fail(c, DW_E_DB, "the run's query types are damaged", "resuming run %" PRId64,
					  rr.run);
				break;
			}
			c->qtypes[c->nqtypes++] = (uint16_t)q;
			p = *end == ',' ? end + 1 : end;
		}
	}
	if (st != DW_OK) {
		free(rr.cmdline);
		free(rr.options);
		c->nqtypes = 0;
		return st;
	}
	c->cmdline = rr.cmdline;
	c->options = rr.options;
	c->ntargets = (size_t)rr.ntargets;
	c->targets = calloc(c->ntargets, sizeof *c->targets);
	if (!c->targets) {
		run_clear(c);
		return fail(c, DW_E_NOMEM, "out of memory", "resuming run %" PRId64, rr.run);
	}
	snprintf(sql, sizeof sql,
		 "SELECT idx, any(label), any(kind), any(family), hex(any(addr)), any(port) FROM %s.targets"
		 " WHERE vantage = %s AND run = %" PRId64 " GROUP BY idx ORDER BY idx",
		 c->db, v, rr.run);
	struct resume_targets rt = {.c = c};
	st = ch_select(c, sql, on_resume_target, &rt);
	if (st == DW_OK && (rt.bad || rt.got != c->ntargets))
		st = fail(c, DW_E_DB, "the run's targets are missing or damaged",
			  "resuming run %" PRId64 " (%zu of %zu targets)", rr.run, rt.got, c->ntargets);
	/* Answers whose query row never went in (killed between the posts):
	 * gone, so that the query asked again leaves only its own. */
	if (st == DW_OK) {
		char where[1200];
		snprintf(where, sizeof where,
			 "vantage = %s AND run = %" PRId64 " AND (seq, target, qtype) NOT IN (SELECT seq, target,"
			 " qtype FROM %s.queries WHERE vantage = %s AND run = %" PRId64 ")",
			 v, rr.run, c->db, v, rr.run);
		st = ch_delete_where(c, "answers", where, NULL);
	}
	struct resume_rows rw = {.fn = fn, .ctx = ctx};
	if (st == DW_OK) {
		snprintf(sql, sizeof sql,
			 "SELECT seq, target, qtype FROM %s.queries WHERE vantage = %s AND run = %" PRId64
			 " GROUP BY seq, target, qtype", c->db, v, rr.run);
		st = ch_select(c, sql, on_resume_row, &rw);
		if (st == DW_OK && rw.stop)
			st = fail(c, DW_E_STATE, "the stored results do not fit the run", "resuming run %" PRId64,
				  rr.run);
	}
	if (st == DW_OK) {
		long last = 0;
		snprintf(sql, sizeof sql, "SELECT max(id) FROM %s.incidents WHERE vantage = %s AND run = %" PRId64,
			 c->db, v, rr.run);
		st = ch_select(c, sql, count_row, &last);
		c->next_incident = last + 1;
	}
	if (st != DW_OK) {
		run_clear(c);
		return st;
	}
	c->run = rr.run;
	c->run_started_us = (uint64_t)rr.run;
	pthread_mutex_lock(&c->io);
	c->stats.results = rw.rows;
	pthread_mutex_unlock(&c->io);
	if (run_out)
		*run_out = rr.run;
	return DW_OK;
}
