/* The injector's rule file (see rules.h and docs/rules.md). */
#include "inject/rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"

#define RULES_FILE_MAX (512u << 20) /* 1M rules are about 25 MiB */
#define TOKENS_MAX 4096             /* per line; a pool of 1,781 addresses fits */

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (q)
		*cap = n;
	return q;
}

struct inject_rules *inject_rules_empty(void)
{
	struct inject_rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->match = match_set_new();
	if (!r->match || match_set_finish(r->match) != 0) {
		inject_rules_free(r);
		return NULL;
	}
	snprintf(r->source, sizeof r->source, "(none)");
	return r;
}

void inject_rules_free(struct inject_rules *r)
{
	if (!r)
		return;
	match_set_free(r->match);
	free(r->rules);
	free(r->pools);
	free(r->addrs);
	free(r);
}

struct single_entry {
	uint32_t addr;  /* network byte order */
	uint32_t pool1; /* pool index + 1; 0 = empty slot */
};

/* Parse state for one load. */
struct loader {
	struct inject_rules *r;
	/* a=ADDR makes a pool of one; one per distinct address, found again
	 * through this open-addressing map (address -> pool index + 1). */
	struct single_entry *single;
	size_t nsingle, capsingle;
	const char *name;
	unsigned long line;
	struct dw_error *err;
};

/* "NAME:LINE: reason" with status ST; returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail_as(struct loader *L, enum dw_status st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return dw_error_at(L->err, st, L->name, L->line, "%s", msg);
}

/* A line the rule syntax does not allow. */
#define fail(L, ...) fail_as((L), DW_E_SYNTAX, __VA_ARGS__)

static struct inject_rule_pool *find_pool(struct inject_rules *r, const char *name)
{
	for (size_t i = 0; i < r->npools; i++)
		if (strcmp(r->pools[i].name, name) == 0)
			return &r->pools[i];
	return NULL;
}

/* A new pool of the given addresses (text); returns its index or -1. */
static long add_pool(struct loader *L, const char *name, char **addrs, int n)
{
	struct inject_rules *r = L->r;
	struct inject_rule_pool *p;
	if (!(r->pools = grow(r->pools, &r->cappools, r->npools + 1, sizeof *r->pools)) ||
	    !(r->addrs = grow(r->addrs, &r->capaddrs, r->naddrs + (size_t)n, sizeof *r->addrs))) {
		fail_as(L, DW_E_NOMEM, "%s", "out of memory");
		return -1;
	}
	p = &r->pools[r->npools];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->first = (uint32_t)r->naddrs;
	for (int i = 0; i < n; i++) {
		struct in_addr a;
		if (inet_pton(AF_INET, addrs[i], &a) != 1) {
			fail(L, "'%s' is not an IPv4 address", addrs[i]);
			return -1;
		}
		r->addrs[r->naddrs++] = a.s_addr;
	}
	p->count = (uint32_t)n;
	return (long)r->npools++;
}

static size_t single_slot(const struct loader *L, uint32_t addr)
{
	size_t mask = L->capsingle - 1, i = (addr * 2654435761u) & mask;
	while (L->single[i].pool1 && L->single[i].addr != addr)
		i = (i + 1) & mask;
	return i;
}

/* The pool of the single address TEXT, made on first use. */
static long single_pool(struct loader *L, char *text)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1) {
		fail(L, "'%s' is not an IPv4 address", text);
		return -1;
	}
	if (2 * (L->nsingle + 1) > L->capsingle) { /* keep the load under 1/2 */
		size_t ncap = L->capsingle ? 2 * L->capsingle : 64;
		struct single_entry *old = L->single;
		size_t oldcap = L->capsingle;
		L->single = calloc(ncap, sizeof *L->single);
		if (!L->single) {
			L->single = old;
			fail_as(L, DW_E_NOMEM, "%s", "out of memory");
			return -1;
		}
		L->capsingle = ncap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].pool1)
				L->single[single_slot(L, old[i].addr)] = old[i];
		free(old);
	}
	size_t slot = single_slot(L, a.s_addr);
	if (L->single[slot].pool1)
		return (long)L->single[slot].pool1 - 1;
	char *one[1] = {text};
	long idx = add_pool(L, "", one, 1);
	if (idx < 0)
		return -1;
	L->single[slot].addr = a.s_addr;
	L->single[slot].pool1 = (uint32_t)idx + 1;
	L->nsingle++;
	return idx;
}

static int parse_pool_line(struct loader *L, char **tok, int n)
{
	if (n < 3)
		return fail(L, "%s", "pool needs a name and at least one address");
	const char *name = tok[1];
	if (strlen(name) >= sizeof L->r->pools[0].name || name[0] == '@')
		return fail(L, "bad pool name '%s' (at most 31 characters, no leading @)", name);
	if (find_pool(L->r, name))
		return fail(L, "pool '%s' defined twice", name);
	return add_pool(L, name, tok + 2, n - 2) < 0 ? -1 : 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_prefix6(const char *s, struct inject_rule_rdata_aaaa *out)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", s);
	char *slash = strchr(buf, '/');
	uint32_t len = 128;
	if (slash) {
		*slash = '\0';
		if (parse_u32(slash + 1, &len) || len > 128)
			return -1;
	}
	if (inet_pton(AF_INET6, buf, out->prefix) != 1)
		return -1;
	out->prefix_len = (uint8_t)len;
	out->set = true;
	return 0;
}

/* "gfw2,gfw3": names of the injectors (profiles) that apply the rule. */
static int parse_injectors(struct loader *L, const char *list, uint8_t *mask)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", list);
	char *save = NULL;
	for (char *n = strtok_r(buf, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		struct inject_rules *r = L->r;
		unsigned i = 0;
		while (i < r->ninjectors && strcmp(r->injector[i], n) != 0)
			i++;
		if (i == r->ninjectors) {
			if (i == RULES_INJECTORS_MAX || strlen(n) >= sizeof r->injector[0])
				return fail(L, "too many injector names, or '%s' too long (at most 8 names of 31 characters)", n);
			snprintf(r->injector[i], sizeof r->injector[i], "%s", n);
			r->ninjectors++;
		}
		*mask |= (uint8_t)(1u << i);
	}
	if (!*mask)
		return fail(L, "%s", "injectors= needs at least one name");
	return 0;
}

static int parse_rule_line(struct loader *L, char **tok, int n)
{
	struct inject_rules *r = L->r;
	struct inject_rule rule = {.action = RULE_FORGE, .line = (uint32_t)L->line};
	struct match_qtypes qt = {.all = true};
	int actions = 0;
	struct dw_error err;

	for (int i = 1; i < n; i++) {
		char *t = tok[i];
		if (strncmp(t, "a=", 2) == 0) {
			if (rule.a.set)
				return fail(L, "%s", "a= given twice");
			if (t[2] == '@') {
				struct inject_rule_pool *p = find_pool(r, t + 3);
				if (!p)
					return fail(L, "unknown pool '%s' (define it with a pool line first)", t + 3);
				rule.a.pool = (uint32_t)(p - r->pools);
			} else {
				long idx = single_pool(L, t + 2);
				if (idx < 0)
					return -1;
				rule.a.pool = (uint32_t)idx;
			}
			rule.a.set = true;
		} else if (strncmp(t, "aaaa=", 5) == 0) {
			if (rule.aaaa.set)
				return fail(L, "%s", "aaaa= given twice");
			if (parse_prefix6(t + 5, &rule.aaaa))
				return fail(L, "'%s' is not an IPv6 address or prefix", t + 5);
		} else if (strncmp(t, "ttl=", 4) == 0) {
			if (parse_u32(t + 4, &rule.ttl) || rule.ttl > 0x7fffffff)
				return fail(L, "bad ttl '%s' (0 to 2147483647, RFC 2181 8)", t + 4);
			rule.has_ttl = true;
		} else if (strncmp(t, "qtype=", 6) == 0) {
			if (match_qtypes_parse(t + 6, &qt, &err))
				return fail(L, "%s", err.text);
		} else if (strncmp(t, "injectors=", 10) == 0) {
			if (parse_injectors(L, t + 10, &rule.injectors))
				return -1;
		} else if (strcmp(t, "nxdomain") == 0) {
			rule.action = RULE_NXDOMAIN;
			actions++;
		} else if (strcmp(t, "noreply") == 0) {
			rule.action = RULE_NOREPLY;
			actions++;
		} else if (strcmp(t, "pass") == 0) {
			rule.action = RULE_PASS;
			actions++;
		} else {
			return fail(L, "unknown word '%s' (a=, aaaa=, nxdomain, noreply, pass, ttl=, qtype=, injectors=)", t);
		}
	}
	bool forges = rule.a.set || rule.aaaa.set;
	if (forges)
		actions++;
	if (actions == 0)
		return fail(L, "%s", "no action (a=, aaaa=, nxdomain, noreply or pass)");
	if (actions > 1)
		return fail(L, "%s", "more than one action: forged records, nxdomain, noreply and pass exclude each other");
	if (rule.has_ttl && rule.action != RULE_FORGE && rule.action != RULE_NXDOMAIN)
		return fail(L, "%s", "ttl= only applies to a forged answer");

	if (!(r->rules = grow(r->rules, &r->caprules, r->nrules + 1, sizeof *r->rules)))
		return fail_as(L, DW_E_NOMEM, "%s", "out of memory");
	if (match_set_add(r->match, tok[0], &qt, (uint32_t)r->nrules, &err))
		return fail_as(L, err.status == DW_E_NOMEM ? DW_E_NOMEM : DW_E_SYNTAX, "%s", err.text);
	r->rules[r->nrules++] = rule;
	return 0;
}

struct inject_rules *inject_rules_parse(const char *text, size_t len, const char *name,
					struct dw_error *err)
{
	struct loader L = {.name = name, .err = err};
	char **tok = malloc(TOKENS_MAX * sizeof *tok);
	char *copy = malloc(len + 1);
	L.r = calloc(1, sizeof *L.r);
	if (L.r)
		L.r->match = match_set_new();
	if (!tok || !copy || !L.r || !L.r->match) {
		dw_error_set(err, DW_E_NOMEM, "%s: out of memory", name);
		goto fail;
	}
	snprintf(L.r->source, sizeof L.r->source, "%s", name);
	memcpy(copy, text, len);
	copy[len] = '\0';

	for (char *p = copy, *next; p && p < copy + len; p = next) {
		char *eol = memchr(p, '\n', (size_t)(copy + len - p));
		next = eol ? eol + 1 : NULL;
		if (eol)
			*eol = '\0';
		L.line++;
		if (strlen(p) != (size_t)((eol ? eol : copy + len) - p)) {
			fail(&L, "%s", "NUL byte in the line");
			goto fail;
		}
		char *hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		int n = 0;
		for (char *s = strtok(p, " \t\r"); s; s = strtok(NULL, " \t\r")) {
			if (n == TOKENS_MAX) {
				fail(&L, "%s", "more than 4096 words on one line");
				goto fail;
			}
			tok[n++] = s;
		}
		if (n == 0)
			continue;
		int rc = strcmp(tok[0], "pool") == 0 ? parse_pool_line(&L, tok, n)
						      : parse_rule_line(&L, tok, n);
		if (rc)
			goto fail;
	}
	if (match_set_finish(L.r->match) != 0) {
		dw_error_set(err, DW_E_NOMEM, "%s: out of memory building the matcher", name);
		goto fail;
	}
	free(tok);
	free(copy);
	free(L.single);
	return L.r;
fail:
	free(tok);
	free(copy);
	free(L.single);
	inject_rules_free(L.r);
	return NULL;
}

struct inject_rules *inject_rules_load(const char *path, struct dw_error *err)
{
	/* Non-blocking open and a regular file only: a FIFO or a device named
	 * over the control socket must not stall the wall. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		dw_error_errno(err, "%s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		dw_error_set(err, DW_E_INVALID, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		dw_error_errno(err, "%s", path);
		close(fd);
		return NULL;
	}
	uint8_t *buf;
	size_t n;
	enum dw_status st = util_read_all(f, RULES_FILE_MAX, &buf, &n);
	fclose(f);
	if (st) {
		dw_error_set(err, st, "%s: %s", path, dw_strerror(st));
		return NULL;
	}
	struct inject_rules *r = inject_rules_parse((const char *)buf, n, path, err);
	free(buf);
	return r;
}

const struct inject_rule *inject_rules_lookup(const struct inject_rules *r, const uint8_t *name,
				       uint16_t qtype)
{
	struct match_result m;
	if (!match_lookup(r->match, name, qtype, &m) || m.value >= r->nrules)
		return NULL;
	return &r->rules[m.value];
}
