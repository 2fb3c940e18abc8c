/* Reading the names to probe from a list: plain, Tranco/Umbrella CSV,
 * Citizen Lab CSV, zone files (see names.h). */
#include "probe/names.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "util/file.h"
#include "util/hash.h"
#include "wire/msg.h"

static const char *const format_names[] = {
	[PROBE_NAMES_AUTO] = "auto",
	[PROBE_NAMES_PLAIN] = "plain",
	[PROBE_NAMES_CSV_RANK] = "csv-rank",
	[PROBE_NAMES_CITIZENLAB] = "citizenlab",
	[PROBE_NAMES_ZONE] = "zone",
};

void probe_names_init(struct probe_names *n, FILE *in, const char *label)
{
	memset(n, 0, sizeof *n);
	n->in = in;
	n->label = label;
	n->csv.name_col = n->csv.rank_col = -1;
	dw_error_clear(&n->first_invalid);
}

void probe_names_set_format(struct probe_names *n, enum probe_names_format format)
{
	n->asked = format;
}

bool probe_names_format_parse(const char *text, enum probe_names_format *format)
{
	for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
		if (!strcmp(text, format_names[i])) {
			*format = (enum probe_names_format)i;
			return true;
		}
	return false;
}

const char *probe_names_format_name(enum probe_names_format format)
{
	return (unsigned)format < sizeof format_names / sizeof *format_names ? format_names[format]
									       : "?";
}

static void seen_free(uint64_t *t, size_t cap);

void probe_names_free(struct probe_names *n)
{
	seen_free(n->seen, n->seen_cap);
	n->seen = NULL;
	n->seen_cap = n->seen_n = 0;
}

const char *probe_name_check(const char *text, uint8_t name[WIRE_NAME_MAX])
{
	for (const char *p = text; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return "bad character (letters, digits, '-', '_' and '.' only)";
	size_t wl;
	enum dw_status st = wire_name_from_text(text, name, &wl);
	if (st)
		return st == DW_E_BAD_TEXT ? "empty label" : dw_strerror(st);
	return NULL;
}

/* An invalid record starting at LINE: counted, the first kept, and told to
 * the callback as "FILE:LINE: <why>, skipped". */
__attribute__((format(printf, 3, 4))) static void names_invalid(struct probe_names *n,
								 unsigned long line,
								 const char *fmt, ...)
{
	struct dw_error why;
	char text[DW_ERROR_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	dw_error_at(&why, DW_E_SYNTAX, n->label, line, "%s, skipped", text);
	if (!n->invalid++)
		n->first_invalid = why;
	if (n->on_invalid)
		n->on_invalid(n->ctx, &why);
}

/* ---- names seen ---------------------------------------------------------- */

/*
 * The set's table, zeroed. Every name probes it at a random place: a
 * million names make it 16 MiB, and with 4 KiB pages nearly every probe
 * missed the TLB as well as the cache (a sixth of the reading thread's
 * time). So a large table asks for transparent huge pages (Linux's default
 * is to give them where asked: "madvise").
 */
#define SEEN_HUGE_BYTES (2u << 20)

static uint64_t *seen_alloc(size_t cap)
{
	size_t bytes = cap * sizeof(uint64_t);
	if (bytes < SEEN_HUGE_BYTES)
		return calloc(cap, sizeof(uint64_t));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, small pages */
	return p;
}

static void seen_free(uint64_t *t, size_t cap)
{
	if (t && cap * sizeof(uint64_t) >= SEEN_HUGE_BYTES)
		munmap(t, cap * sizeof(uint64_t));
	else
		free(t);
}

/* 1 if NAME (wire form) was not seen before (now it is), 0 if it was, -1
 * if the set could not grow. Case does not count (RFC 4343). */
static int seen_add(struct probe_names *n, const uint8_t *name)
{
	size_t len = wire_name_len(name, WIRE_NAME_MAX);
	uint64_t h = HASH_FNV_OFFSET;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = name[i];
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * HASH_FNV_PRIME;
	}
	h = hash_fmix64(h);
	if (!h)
		h = 1; /* 0 marks an empty slot */
	if (n->seen_n >= PROBE_NAMES_SEEN_MAX) {
		/* The bound: look, but remember no more. */
		for (size_t i = h & (n->seen_cap - 1);; i = (i + 1) & (n->seen_cap - 1)) {
			if (n->seen[i] == h)
				return 0;
			if (!n->seen[i])
				break;
		}
		n->unchecked++;
		return 1;
	}
	if (2 * (n->seen_n + 1) > n->seen_cap) {
		size_t cap = n->seen_cap ? 2 * n->seen_cap : 4096;
		uint64_t *t = seen_alloc(cap);
		if (!t)
			return -1;
		for (size_t k = 0; k < n->seen_cap; k++) {
			uint64_t v = n->seen[k];
			if (!v)
				continue;
			size_t i = v & (cap - 1);
			while (t[i])
				i = (i + 1) & (cap - 1);
			t[i] = v;
		}
		seen_free(n->seen, n->seen_cap);
		n->seen = t;
		n->seen_cap = cap;
	}
	size_t i = h & (n->seen_cap - 1);
	while (n->seen[i]) {
		if (n->seen[i] == h)
			return 0;
		i = (i + 1) & (n->seen_cap - 1);
	}
	n->seen[i] = h;
	n->seen_n++;
	return 1;
}

/* ---- small text helpers -------------------------------------------------- */

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Check TEXT as a name into NAME; if it is not one, tell it (WHAT names
 * where it came from) and return false. */
static bool take_name(struct probe_names *n, unsigned long line, const char *what,
		      const char *text, uint8_t name[WIRE_NAME_MAX])
{
	const char *bad = probe_name_check(text, name);
	if (bad) {
		names_invalid(n, line, "invalid name '%.80s'%s: %s", text, what, bad);
		return false;
	}
	return true;
}

/* ---- plain --------------------------------------------------------------- */

/* 1 with a name, 0 if the line has none. */
static int plain_line(struct probe_names *n, char *buf, uint8_t name[WIRE_NAME_MAX])
{
	char *hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	char *s = trim(buf);
	if (!*s)
		return 0;
	return take_name(n, n->line, "", s, name) ? 1 : 0;
}

/* ---- CSV ------------------------------------------------------------------ */

/* Split the one-line record LINE in place into at most MAX fields (RFC
 * 4180 quoting; each field trimmed). Returns the number of fields. */
static unsigned csv_split(char *line, char **field, unsigned max)
{
	unsigned nf = 0;
	char *r = line;
	while (nf < max) {
		while (*r == ' ' || *r == '\t')
			r++;
		char *w = r, *start = r;
		if (*r == '"') {
			r++;
			for (; *r; r++) {
				if (*r == '"') {
					if (r[1] != '"')
						break;
					r++;
				}
				*w++ = *r;
			}
			if (*r == '"')
				r++;
			while (*r && *r != ',')
				r++;
		} else {
			while (*r && *r != ',')
				*w++ = *r++;
		}
		char end = *r;
		*w = '\0';
		field[nf++] = trim(start);
		if (end != ',')
			break;
		r++;
	}
	return nf;
}

/* A header's column holding a name. */
static bool name_column(const char *f)
{
	static const char *const names[] = {"domain", "name", "host", "hostname", "site"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcasecmp(f, names[i]))
			return true;
	return false;
}

/*
 * The first record of a CSV input (one line, in BUF): for citizenlab the
 * header with its url column; for csv-rank a header if its first field is
 * no rank. Returns 1 if the line was a header, 0 if it is data (csv-rank
 * only), -1 (ERR set) if a citizenlab header has no url column. *URL_COL
 * is the url column's index (or -1) whatever the format, for detection.
 */
static int csv_header(struct probe_names *n, char *buf, enum probe_names_format format,
		      struct dw_error *err)
{
	char copy[PROBE_NAMES_LINE_MAX + 1], *field[64];
	snprintf(copy, sizeof copy, "%s", buf);
	unsigned nf = csv_split(copy, field, 64);
	int url = -1, named = -1;
	for (unsigned i = 0; i < nf; i++) {
		if (url < 0 && !strcasecmp(field[i], "url"))
			url = (int)i;
		if (named < 0 && name_column(field[i]))
			named = (int)i;
	}
	if (format == PROBE_NAMES_CITIZENLAB) {
		if (url < 0)
			return dw_error_at(err, DW_E_SYNTAX, n->label, n->line,
					   "no 'url' column in the header (a Citizen Lab test list)");
		n->csv.name_col = url;
		return 1;
	}
	if (all_digits(field[0])) {
		n->csv.rank_col = 0;
		n->csv.name_col = 1;
		return 0;
	}
	n->csv.rank_col = -1;
	n->csv.name_col = named >= 0 ? named : 1;
	return 1;
}

/* The current field ends: kept if it is a column we want. */
static void csv_field_end(struct probe_names_csv *c)
{
	c->fbuf[c->flen] = '\0';
	if ((int)c->field == c->name_col) {
		snprintf(c->name, sizeof c->name, "%s", c->fbuf);
		c->name_over = c->field_over;
	} else if ((int)c->field == c->rank_col) {
		size_t k = c->flen < sizeof c->rank - 1 ? c->flen : sizeof c->rank - 1;
		c->rank_over = c->flen > k;
		memcpy(c->rank, c->fbuf, k);
		c->rank[k] = '\0';
	}
	c->field++;
	c->nfields = c->field;
	c->flen = 0;
	c->field_over = false;
	c->quoted = false;
}

static void csv_put(struct probe_names_csv *c, char ch)
{
	if (c->flen < PROBE_NAMES_FIELD_MAX)
		c->fbuf[c->flen++] = ch;
	else
		c->field_over = true;
}

static bool blanks_only(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Whether HOST (no brackets) is an IP address: IPv4, or a name whose last
 * label is all digits, which no top-level domain is. */
static bool host_is_address(const char *host)
{
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return true;
	const char *last = strrchr(host, '.');
	return all_digits(last ? last + 1 : host);
}

/* The host of URL into HOST (cap bytes). Returns NULL, "address" if the
 * host is an IP address, or why there is no host. */
static const char *url_host(const char *url, char *host, size_t cap)
{
	const char *s = url, *sep = strstr(url, "://");
	if (sep) {
		for (const char *p = url; p < sep; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
				return "bad scheme";
		if (sep == url)
			return "bad scheme";
		s = sep + 3;
	} else if (s[0] == '/' && s[1] == '/') {
		s += 2;
	}
	size_t alen = strcspn(s, "/?#");
	/* userinfo: up to the authority's last '@' */
	for (size_t i = alen; i > 0; i--)
		if (s[i - 1] == '@') {
			s += i;
			alen -= i;
			break;
		}
	if (alen && s[0] == '[')
		return "address";
	size_t hlen = 0;
	while (hlen < alen && s[hlen] != ':')
		hlen++;
	if (hlen < alen) {
		const char *port = s + hlen + 1;
		size_t plen = alen - hlen - 1;
		for (size_t i = 0; i < plen; i++)
			if (port[i] < '0' || port[i] > '9')
				return "bad port";
	}
	if (hlen && s[hlen - 1] == '.')
		hlen--; /* the root's dot: still the same host */
	if (!hlen)
		return "no host";
	if (hlen >= cap)
		return "host too long";
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return host_is_address(host) ? "address" : NULL;
}

/* A whole CSV record: 1 with a name, 0 if none. */
static int csv_record(struct probe_names *n, uint8_t name[WIRE_NAME_MAX])
{
	struct probe_names_csv *c = &n->csv;
	unsigned long line = c->start_line;
	bool url = n->format == PROBE_NAMES_CITIZENLAB;
	if ((int)c->nfields <= c->name_col) {
		names_invalid(n, line, url ? "no url (column %d)" : "no name (column %d)",
			      c->name_col + 1);
		return 0;
	}
	if (c->rank_col >= 0) {
		char *r = trim(c->rank);
		if (c->rank_over || !all_digits(r)) {
			names_invalid(n, line, "bad rank '%.40s' (a rank,name line)", r);
			return 0;
		}
	}
	char *v = trim(c->name);
	if (c->name_over) {
		names_invalid(n, line, "%s longer than %d bytes", url ? "url" : "name",
			      PROBE_NAMES_FIELD_MAX);
		return 0;
	}
	if (!*v) {
		names_invalid(n, line, url ? "empty url" : "empty name");
		return 0;
	}
	if (!url)
		return take_name(n, line, "", v, name) ? 1 : 0;
	char host[WIRE_NAME_TEXT_MAX];
	const char *bad = url_host(v, host, sizeof host);
	if (bad && !strcmp(bad, "address")) {
		n->addresses++;
		return 0;
	}
	if (bad) {
		names_invalid(n, line, "invalid url '%.80s': %s", v, bad);
		return 0;
	}
	return take_name(n, line, " (the url's host)", host, name) ? 1 : 0;
}

/* One physical line of CSV: 1 with a name, 0 if none (yet). */
static int csv_line(struct probe_names *n, const char *buf, uint8_t name[WIRE_NAME_MAX])
{
	struct probe_names_csv *c = &n->csv;
	if (!c->in_record) {
		if (*buf == '#' || buf[strspn(buf, " \t")] == '\0')
			return 0; /* a comment or a blank line between records */
		memset(c->name, 0, sizeof c->name);
		c->rank[0] = '\0';
		c->in_record = true;
		c->in_quote = c->quoted = c->field_over = c->name_over = c->rank_over = false;
		c->field = c->nfields = c->quote_lines = 0;
		c->flen = 0;
		c->start_line = n->line;
	} else if (++c->quote_lines > PROBE_NAMES_QUOTE_LINES_MAX) {
		/* A stray quote: the record is dropped, this line starts afresh. */
		c->in_record = false;
		names_invalid(n, c->start_line, "quoted field not closed within %d lines",
			      PROBE_NAMES_QUOTE_LINES_MAX);
		return csv_line(n, buf, name);
	}
	for (const char *p = buf; *p; p++) {
		if (c->in_quote) {
			if (*p == '"' && p[1] == '"') {
				csv_put(c, '"');
				p++;
			} else if (*p == '"') {
				c->in_quote = false;
			} else {
				csv_put(c, *p);
			}
		} else if (*p == ',') {
			csv_field_end(c);
		} else if (*p == '"' && !c->quoted && blanks_only(c->fbuf, c->flen)) {
			/* A quote opening the field (after blanks): RFC 4180 quoting. */
			c->flen = 0;
			c->in_quote = c->quoted = true;
		} else {
			csv_put(c, *p);
		}
	}
	if (c->in_quote) {
		csv_put(c, '\n'); /* the field goes on at the next line */
		return 0;
	}
	csv_field_end(c);
	c->in_record = false;
	return csv_record(n, name);
}

/* ---- zone files ------------------------------------------------------------ */

static bool zone_is_ttl(const char *t)
{
	if (*t < '0' || *t > '9')
		return false;
	for (; *t; t++)
		if (!((*t >= '0' && *t <= '9') || strchr("smhdwSMHDW", *t)))
			return false;
	return true;
}

static bool zone_is_class(const char *t)
{
	return !strcasecmp(t, "IN") || !strcasecmp(t, "CH") || !strcasecmp(t, "CS") ||
	       !strcasecmp(t, "HS") || (!strncasecmp(t, "CLASS", 5) && all_digits(t + 5));
}

/* Whether a text ends with an unescaped dot (an absolute name). */
static bool zone_absolute(const char *t)
{
	size_t len = strlen(t), bs = 0;
	if (!len || t[len - 1] != '.')
		return false;
	while (bs + 1 < len && t[len - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 0;
}

/* The name T resolved against the origin into OUT: NULL, or why not. */
static const char *zone_resolve(const struct probe_names_zone *z, const char *t, char *out,
				size_t cap)
{
	if (!strcmp(t, "@")) {
		if (!z->origin[0])
			return "'@' and no $ORIGIN";
		snprintf(out, cap, "%s", z->origin);
		return NULL;
	}
	if (zone_absolute(t)) {
		snprintf(out, cap, "%s", t);
		return NULL;
	}
	if (!z->origin[0])
		return "a relative name and no $ORIGIN";
	if (!strcmp(z->origin, "."))
		snprintf(out, cap, "%s.", t);
	else
		snprintf(out, cap, "%s.%s", t, z->origin);
	return NULL;
}

/* A whole zone record (its first fields in z->tok): 1 with a name, 0 if
 * none. */
static int zone_record(struct probe_names *n, uint8_t name[WIRE_NAME_MAX])
{
	struct probe_names_zone *z = &n->zone;
	unsigned long line = z->start_line;
	unsigned i = 0;
	for (unsigned k = 0; k < z->ntok && k < 4; k++)
		if (z->tok_over[k]) {
			names_invalid(n, line, "field %u longer than %d bytes", k + 1,
				      PROBE_NAMES_TOKEN_MAX);
			return 0;
		}
	if (!z->blank_owner && z->tok[0][0] == '$') {
		const char *d = z->tok[0];
		if (!strcasecmp(d, "$ORIGIN")) {
			char o[sizeof z->owner];
			uint8_t w[WIRE_NAME_MAX];
			const char *bad = z->ntok < 2 ? "no name" : NULL;
			if (!bad && !z->origin[0]) /* the first: taken as absolute */
				snprintf(o, sizeof o, "%s", z->tok[1]);
			else if (!bad)
				bad = zone_resolve(z, z->tok[1], o, sizeof o);
			if (!bad)
				bad = probe_name_check(o, w);
			if (!bad && strlen(o) + 1 >= sizeof z->origin)
				bad = "too long";
			if (bad) {
				names_invalid(n, line, "bad $ORIGIN '%.80s': %s", z->ntok < 2 ? "" : z->tok[1],
					      bad);
				return 0;
			}
			memcpy(z->origin, o, strlen(o) + 1); /* fits: checked above */
			if (!zone_absolute(z->origin)) /* "." itself is absolute */
				strcat(z->origin, ".");
		} else if (!strcasecmp(d, "$INCLUDE")) {
			names_invalid(n, line, "$INCLUDE not followed (give the included file itself)");
		} else if (strcasecmp(d, "$TTL")) {
			names_invalid(n, line, "unknown directive '%.40s'", d);
		}
		return 0;
	}
	if (!z->blank_owner) {
		z->have_owner = true;
		z->owner_bad = zone_resolve(z, z->tok[0], z->owner, sizeof z->owner);
		if (z->owner_bad)
			snprintf(z->owner, sizeof z->owner, "%s", z->tok[0]);
		i = 1;
	}
	for (int k = 0; k < 2 && i < z->ntok && i < 4; k++)
		if (zone_is_ttl(z->tok[i]) || zone_is_class(z->tok[i]))
			i++;
	if (i >= z->ntok || i >= 4) {
		names_invalid(n, line, "no record type");
		return 0;
	}
	if (strcasecmp(z->tok[i], "NS") && strcasecmp(z->tok[i], "TYPE2"))
		return 0; /* not an NS record: skipped */
	if (!z->have_owner) {
		names_invalid(n, line, "an NS record with no owner before it");
		return 0;
	}
	if (z->owner_bad) {
		names_invalid(n, line, "invalid owner '%.80s': %s", z->owner, z->owner_bad);
		return 0;
	}
	return take_name(n, line, " (an NS record's owner)", z->owner, name) ? 1 : 0;
}

static void zone_token_end(struct probe_names_zone *z, size_t *tlen, bool *in_tok)
{
	if (!*in_tok)
		return;
	if (z->ntok < 4)
		z->tok[z->ntok][*tlen < PROBE_NAMES_TOKEN_MAX ? *tlen : PROBE_NAMES_TOKEN_MAX] = '\0';
	z->ntok++;
	*tlen = 0;
	*in_tok = false;
}

static void zone_token_put(struct probe_names_zone *z, size_t *tlen, bool *in_tok, char ch)
{
	*in_tok = true;
	if (z->ntok >= 4)
		return;
	if (*tlen < PROBE_NAMES_TOKEN_MAX)
		z->tok[z->ntok][(*tlen)++] = ch;
	else
		z->tok_over[z->ntok] = true;
}

/* One physical line of a zone: 1 with a name, 0 if none (yet). */
static int zone_line(struct probe_names *n, const char *buf, uint8_t name[WIRE_NAME_MAX])
{
	struct probe_names_zone *z = &n->zone;
	if (!z->in_record) {
		z->ntok = 0;
		memset(z->tok_over, 0, sizeof z->tok_over);
		z->blank_owner = *buf == ' ' || *buf == '\t';
		z->start_line = n->line;
		z->depth = 0;
	}
	size_t tlen = 0;
	bool in_tok = false, in_quote = false;
	for (const char *p = buf; *p; p++) {
		char ch = *p;
		if (in_quote) {
			if (ch == '\\' && p[1]) {
				zone_token_put(z, &tlen, &in_tok, ch);
				ch = *++p;
			} else if (ch == '"') {
				in_quote = false;
				continue;
			}
			zone_token_put(z, &tlen, &in_tok, ch);
			continue;
		}
		if (ch == ';')
			break;
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			zone_token_end(z, &tlen, &in_tok);
		} else if (ch == '(' || ch == ')') {
			zone_token_end(z, &tlen, &in_tok);
			if (ch == '(') {
				z->depth++;
			} else if (!z->depth) {
				z->in_record = false;
				names_invalid(n, z->start_line, "')' with no '(' before it");
				return 0;
			} else {
				z->depth--;
			}
		} else if (ch == '"') {
			in_quote = in_tok = true;
		} else if (ch == '\\' && p[1]) {
			zone_token_put(z, &tlen, &in_tok, ch);
			zone_token_put(z, &tlen, &in_tok, *++p);
		} else {
			zone_token_put(z, &tlen, &in_tok, ch);
		}
	}
	zone_token_end(z, &tlen, &in_tok);
	if (in_quote) {
		z->in_record = false;
		names_invalid(n, z->start_line, "a quoted string not closed on its line");
		return 0;
	}
	if (z->depth) {
		z->in_record = true;
		return 0;
	}
	z->in_record = false;
	if (!z->ntok)
		return 0;
	return zone_record(n, name);
}

/* ---- detection ------------------------------------------------------------- */

/* The format of an input whose first line that is not blank or a '#'
 * comment is LINE (see names.h). */
static enum probe_names_format detect(const char *line)
{
	const char *s = line + strspn(line, " \t");
	if (*s == '$' || *s == ';')
		return PROBE_NAMES_ZONE;
	char copy[256], *save = NULL;
	snprintf(copy, sizeof copy, "%s", s);
	unsigned k = 0;
	for (char *t = strtok_r(copy, " \t", &save); t && k < 5; t = strtok_r(NULL, " \t", &save), k++) {
		uint16_t type;
		if (k && (zone_is_class(t) || wire_type_from_name(t, &type)))
			return PROBE_NAMES_ZONE;
	}
	if (strchr(s, ',') || (!strncasecmp(s, "url", 3) && !s[3 + strspn(s + 3, " \t")]))
		return PROBE_NAMES_CSV_RANK; /* citizenlab if its header has a url column */
	return PROBE_NAMES_PLAIN;
}

/* The first record's line: the format fixed, a CSV header read. Returns 1
 * if the line was used up (a header), 0 if it is to be read as a record,
 * -1 (ERR set) if it cannot be read as asked. */
static int begin(struct probe_names *n, char *buf, struct dw_error *err)
{
	enum probe_names_format f = n->asked;
	if (f == PROBE_NAMES_AUTO) {
		f = detect(buf);
		if (f == PROBE_NAMES_CSV_RANK) {
			char copy[PROBE_NAMES_LINE_MAX + 1], *field[64];
			snprintf(copy, sizeof copy, "%s", buf);
			unsigned nf = csv_split(copy, field, 64);
			for (unsigned i = 0; i < nf; i++)
				if (!strcasecmp(field[i], "url"))
					f = PROBE_NAMES_CITIZENLAB;
		}
	}
	n->format = f;
	if (f != PROBE_NAMES_CSV_RANK && f != PROBE_NAMES_CITIZENLAB)
		return 0;
	int h = csv_header(n, buf, f, err);
	if (h > 0)
		n->header = true;
	return h;
}

/* ---- the reader ------------------------------------------------------------ */

/* At the end of the input: a record still open is told. */
static void names_end(struct probe_names *n)
{
	if (n->csv.in_record && n->format != PROBE_NAMES_ZONE) {
		n->csv.in_record = false;
		names_invalid(n, n->csv.start_line, "quoted field not closed at the end of the file");
	}
	if (n->zone.in_record) {
		n->zone.in_record = false;
		names_invalid(n, n->zone.start_line, "'(' not closed at the end of the file");
	}
	probe_names_free(n);
}

int probe_names_next(struct probe_names *n, uint8_t name[WIRE_NAME_MAX], uint64_t *line,
		     struct dw_error *err)
{
	struct dw_error why;
	for (;;) {
		/* The struct's own buffer, of PROBE_NAMES_LINE_MAX + 1 bytes: never
		 * grown (util_line_read). */
		char *buf = n->buf;
		size_t cap = sizeof n->buf, len;
		int got = util_line_read(n->in, &buf, &cap, &len, PROBE_NAMES_LINE_MAX, &why);
		if (!got) {
			names_end(n);
			return 0;
		}
		if (got < 0 && why.status != DW_E_TOO_LARGE)
			return dw_error_set(err, why.status, "%s: read error", n->label);
		n->line++;
		if (got < 0) {
			/* Longer than any record we take: read past, skipped; a
			 * record it was part of ends with it. */
			n->csv.in_record = n->zone.in_record = false;
			if (n->format == PROBE_NAMES_PLAIN ||
			    (n->format == PROBE_NAMES_AUTO && n->asked <= PROBE_NAMES_PLAIN))
				names_invalid(n, n->line, "line too long for a domain name");
			else
				names_invalid(n, n->line, "line longer than %d bytes", PROBE_NAMES_LINE_MAX);
			continue;
		}
		if (strlen(buf) != len) {
			n->csv.in_record = n->zone.in_record = false;
			names_invalid(n, n->line, "a NUL byte in the line");
			continue;
		}
		if (n->line == 1 && !memcmp(buf, "\xef\xbb\xbf", 3))
			memmove(buf, buf + 3, len - 2); /* a UTF-8 byte order mark */
		if (n->format == PROBE_NAMES_AUTO) {
			const char *s = buf + strspn(buf, " \t\r");
			if (!*s || *s == '#')
				continue;
			int b = begin(n, buf, err);
			if (b < 0)
				return -1;
			if (b > 0)
				continue;
		}
		int r;
		switch (n->format) {
		case PROBE_NAMES_CSV_RANK:
		case PROBE_NAMES_CITIZENLAB:
			r = csv_line(n, buf, name);
			break;
		case PROBE_NAMES_ZONE:
			r = zone_line(n, buf, name);
			break;
		default:
			r = plain_line(n, buf, name);
			break;
		}
		if (!r)
			continue;
		int fresh = seen_add(n, name);
		if (fresh < 0)
			return dw_error_set(err, DW_E_NOMEM, "%s: out of memory (the names seen)", n->label);
		if (!fresh) {
			n->duplicates++;
			continue;
		}
		*line = n->format == PROBE_NAMES_CSV_RANK || n->format == PROBE_NAMES_CITIZENLAB
				? n->csv.start_line
			: n->format == PROBE_NAMES_ZONE ? n->zone.start_line
							: n->line;
		return 1;
	}
}
