/* Scenario files: parsing and checking (see scenario.h, docs/scenarios.md). */
#include "lab/scenario.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject/rules.h"
#include "lab/servers.h"
#include "lab/topology.h"

#define SCN_WORDS_MAX 32

static const char *const scn_names[SCN_NACTIONS] = {
	[SCN_INJECT_LOAD] = "inject load", [SCN_INJECT_OFF] = "inject off",
	[SCN_FLUSH] = "flush",             [SCN_ROGUE_UP] = "rogue up",
	[SCN_ROGUE_DOWN] = "rogue down",   [SCN_ZONE_HIJACK] = "zone hijack",
	[SCN_ZONE_RESTORE] = "zone restore", [SCN_MARK] = "mark",
	[SCN_END] = "end",
};

const char *scn_action_name(int action)
{
	return action >= 0 && action < SCN_NACTIONS ? scn_names[action] : "?";
}

int scn_parse_clock(const char *s, long *out)
{
	int h = 0, m = 0, sec = 0, n = 0;
	size_t len = strlen(s);
	/* H:MM, HH:MM, H:MM:SS or HH:MM:SS, digits only */
	if (len != 4 && len != 5 && len != 7 && len != 8)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == ':' || (s[i] >= '0' && s[i] <= '9')))
			return -1;
	if (len <= 5) {
		if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || (size_t)n != len || s[len - 3] != ':')
			return -1;
	} else if (sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || (size_t)n != len ||
		   s[len - 3] != ':' || s[len - 6] != ':') {
		return -1;
	}
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*out = h * 3600L + m * 60L + sec;
	return 0;
}

void scn_format_clock(long c, char *buf, size_t cap)
{
	long d = ((c % 86400) + 86400) % 86400;
	snprintf(buf, cap, "%02ld:%02ld:%02ld", d / 3600, d / 60 % 60, d % 60);
}

/* "30s", "1min", "1.5h", "500ms": seconds into *OUT. */
static int scn_duration(const char *s, size_t len, double *out)
{
	char buf[32], *end;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!(buf[0] >= '0' && buf[0] <= '9'))
		return -1;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || end == buf || !(v > 0) || v > 1e6)
		return -1;
	double unit;
	if (strcmp(end, "ms") == 0)
		unit = 0.001;
	else if (strcmp(end, "s") == 0)
		unit = 1;
	else if (strcmp(end, "min") == 0 || strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else
		return -1;
	*out = v * unit;
	return 0;
}

int scn_parse_scale(const char *spec, double *out, struct dw_error *err)
{
	const char *eq = strchr(spec, '=');
	double real, scen;
	if (!eq || strchr(eq + 1, '='))
		return dw_error_set(err, DW_E_SYNTAX, "scale wants REAL=SCENARIO, e.g. 1s=1min");
	if (scn_duration(spec, (size_t)(eq - spec), &real) != 0 ||
	    scn_duration(eq + 1, strlen(eq + 1), &scen) != 0)
		return dw_error_set(err, DW_E_SYNTAX,
				    "bad scale '%.40s': durations are a number and ms, s, min or h "
				    "(1s=1min)", spec);
	double f = scen / real;
	if (f < 0.001 || f > 100000)
		return dw_error_set(err, DW_E_INVALID,
				    "scale '%.40s' out of range (1s=1ms to 1s=100000s)", spec);
	*out = f;
	return 0;
}

static int scn_addr(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* Is ADDR free for a rogue server: outside the border, on no lab interface
 * or link, not among the population's answer addresses (198.19.128.0/17,
 * which are on no interface by design: never a destination)? */
static const char *scn_rogue_taken(uint32_t addr)
{
	if ((addr >> 16) != ((198u << 8) | 19u))
		return "not outside the border (198.19.0.0/16)";
	if ((addr & 0xffff8000u) == 0xc6138000u)
		return "among the population's answer addresses (198.19.128.0/17)";
	for (size_t i = 0; i < lab_nservers; i++) {
		uint32_t a;
		if (scn_addr(lab_servers[i].addr, &a) == 0 && a == addr)
			return "a lab server's address";
	}
	for (size_t i = 0; i < lab_nlinks; i++) {
		const char *cidr[2] = {lab_links[i].a_addr, lab_links[i].b_addr};
		for (int k = 0; k < 2; k++) {
			char ip[32];
			unsigned plen = 32;
			if (sscanf(cidr[k], "%31[0-9.]/%u", ip, &plen) != 2 || plen > 32)
				continue;
			uint32_t a, mask = plen ? 0xffffffffu << (32 - plen) : 0;
			if (scn_addr(ip, &a) == 0 && (a & mask) == (addr & mask))
				return "on a lab link";
		}
	}
	if ((addr & 0xffffff00u) == 0xc6130900u) /* the vpnclient tunnel (topology.c) */
		return "on a lab link";
	return NULL;
}

static int scn_resolver(const char *id)
{
	int i = lab_server_find(id);
	return i >= 0 && lab_servers[i].kind == LAB_SRV_UNBOUND ? i : -1;
}

int scn_tld_index(const char *s)
{
	/* com, net, org: the TLDs served outside the border (cn stays inside). */
	return strcmp(s, "com") == 0 ? 0 : strcmp(s, "net") == 0 ? 1 : strcmp(s, "org") == 0 ? 2 : -1;
}

static int scn_tld(const char *s)
{
	return scn_tld_index(s) >= 0;
}

struct scn_ctx {
	struct scn *s;
	const char *path;
	int line;
	struct dw_error *err;
};

/* "PATH:LINE: reason" (or "PATH: reason" for the file as a whole) with
 * status ST; returns -1. */
__attribute__((format(printf, 3, 4)))
static int scn_fail_as(struct scn_ctx *c, enum dw_status st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->line > 0)
		return dw_error_at(c->err, st, c->path, (unsigned long)c->line, "%s", msg);
	return dw_error_set(c->err, st, "%s: %s", c->path, msg);
}

/* A line (or the file) that does not say what a scenario must. */
#define scn_fail(c, ...) scn_fail_as((c), DW_E_SYNTAX, __VA_ARGS__)

/* The scenario file's directory + NAME (NAME as is when absolute). */
static int scn_resolve(const char *path, const char *name, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	int n;
	if (name[0] == '/' || !slash)
		n = snprintf(out, cap, "%s", name);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Join WORDS[from..n) with single spaces. */
static int scn_join(char *const *w, int from, int n, char *out, size_t cap)
{
	out[0] = '\0';
	size_t len = 0;
	for (int i = from; i < n; i++) {
		int k = snprintf(out + len, cap - len, "%s%s", i > from ? " " : "", w[i]);
		if (k < 0 || (size_t)k >= cap - len)
			return -1;
		len += (size_t)k;
	}
	return 0;
}

struct scn_seen {
	int scenario, clock, scale, wall, end;
	int rogue_line;          /* line of the `rogue up` in force, 0 if none */
	uint32_t rogue;
	int hijacked[3];         /* com, net, org: line of the hijack in force */
};

static int scn_header(struct scn_ctx *c, struct scn_seen *seen, char **w, int n)
{
	struct scn *s = c->s;
	const char *kw = w[0];
	if (s->nsteps > 0)
		return scn_fail(c, "'%s' after the first timed line (header lines come first)", kw);
	if (strcmp(kw, "scenario") == 0) {
		if (seen->scenario)
			return scn_fail(c, "scenario given twice (line %d)", seen->scenario);
		if (n < 2)
			return scn_fail(c, "scenario needs a name");
		size_t len = strlen(w[1]);
		int okname = len >= 1 && len <= 32;
		for (size_t i = 0; okname && i < len; i++) {
			char ch = w[1][i];
			okname = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		}
		if (!okname)
			return scn_fail(c, "bad scenario name '%.40s' (1 to 32 of A-Z a-z 0-9 . _ -)", w[1]);
		snprintf(s->name, sizeof s->name, "%s", w[1]);
		if (scn_join(w, 2, n, s->title, sizeof s->title) != 0)
			return scn_fail(c, "scenario title too long (at most %zu bytes)", sizeof s->title - 1);
		seen->scenario = c->line;
	} else if (strcmp(kw, "clock") == 0) {
		if (seen->clock)
			return scn_fail(c, "clock given twice (line %d)", seen->clock);
		if (n < 2 || n > 3)
			return scn_fail(c, "clock wants HH:MM[:SS] and an optional zone label (clock 15:10 China)");
		if (scn_parse_clock(w[1], &s->clock_s) != 0)
			return scn_fail(c, "bad clock '%.20s' (HH:MM or HH:MM:SS)", w[1]);
		if (n == 3) {
			if (strlen(w[2]) >= sizeof s->zone)
				return scn_fail(c, "zone label '%.40s' too long (at most %zu bytes)", w[2],
						sizeof s->zone - 1);
			snprintf(s->zone, sizeof s->zone, "%s", w[2]);
		}
		seen->clock = c->line;
	} else if (strcmp(kw, "scale") == 0) {
		if (seen->scale)
			return scn_fail(c, "scale given twice (line %d)", seen->scale);
		if (n != 2)
			return scn_fail(c, "scale wants one REAL=SCENARIO, e.g. 1s=1min");
		struct dw_error e;
		if (scn_parse_scale(w[1], &s->scale, &e) != 0)
			return scn_fail_as(c, e.status, "%s", e.text);
		snprintf(s->scale_text, sizeof s->scale_text, "%.31s", w[1]);
		seen->scale = c->line;
	} else if (strcmp(kw, "wall") == 0) {
		if (seen->wall)
			return scn_fail(c, "wall given twice (line %d)", seen->wall);
		if (n != 2 || (strcmp(w[1], "gfw") && strcmp(w[1], "simple") && strcmp(w[1], "none")))
			return scn_fail(c, "wall wants gfw, simple or none (the preset of the wall replay starts)");
		snprintf(s->wall, sizeof s->wall, "%s", w[1]);
		seen->wall = c->line;
	} else {
		return scn_fail(c, "unknown directive '%.40s' (scenario, clock, scale, wall, or a time "
				   "HH:MM[:SS] and an action)", kw);
	}
	return 0;
}

static int scn_timed(struct scn_ctx *c, struct scn_seen *seen, char **w, int n, int check_files)
{
	struct scn *s = c->s;
	long t;
	if (seen->end)
		return scn_fail(c, "a line after end (line %d)", seen->end);
	if (scn_parse_clock(w[0], &t) != 0)
		return scn_fail(c, "bad time '%.20s' (HH:MM or HH:MM:SS)", w[0]);
	if (!seen->clock)
		return scn_fail(c, "a timed line before the clock line (clock HH:MM comes first)");
	char tb[16], cb[16];
	if (t < s->clock_s) {
		scn_format_clock(t, tb, sizeof tb);
		scn_format_clock(s->clock_s, cb, sizeof cb);
		return scn_fail(c, "time %s is before the clock start %s", tb, cb);
	}
	if (s->nsteps > 0 && t < s->step[s->nsteps - 1].clock_s) {
		scn_format_clock(t, tb, sizeof tb);
		scn_format_clock(s->step[s->nsteps - 1].clock_s, cb, sizeof cb);
		return scn_fail(c, "time %s is before the line above (%s): lines must be in time order", tb, cb);
	}
	if (t - s->clock_s > SCN_SPAN_MAX)
		return scn_fail(c, "more than 24 h after the clock start");
	if (n < 2)
		return scn_fail(c, "missing action after the time");
	if (s->nsteps >= SCN_STEPS_MAX)
		return scn_fail(c, "too many timed lines (at most %d)", SCN_STEPS_MAX);
	struct scn_step *st = &s->step[s->nsteps];
	memset(st, 0, sizeof *st);
	st->line = c->line;
	st->clock_s = t;
	st->offset_s = t - s->clock_s;
	const char *a = w[1];
	if (strcmp(a, "inject") == 0) {
		if (n >= 3 && strcmp(w[2], "off") == 0) {
			if (n != 3)
				return scn_fail(c, "inject off takes nothing more");
			st->action = SCN_INJECT_OFF;
		} else if (n >= 3 && strcmp(w[2], "load") == 0) {
			if (n != 4)
				return scn_fail(c, "inject load wants one rule file");
			if (scn_resolve(c->path, w[3], st->arg, sizeof st->arg) != 0)
				return scn_fail(c, "rule file name too long");
			if (check_files) {
				struct dw_error e;
				struct inject_rules *r = inject_rules_load(st->arg, &e);
				if (!r)
					return scn_fail_as(c, e.status, "rules %s", e.text);
				inject_rules_free(r);
			}
			st->action = SCN_INJECT_LOAD;
		} else {
			return scn_fail(c, "inject wants load FILE or off");
		}
		s->uses_inject = 1;
	} else if (strcmp(a, "flush") == 0) {
		if (n < 3)
			return scn_fail(c, "flush needs a resolver (isp, public)");
		for (int i = 2; i < n; i++)
			if (scn_resolver(w[i]) < 0)
				return scn_fail(c, "unknown resolver '%.40s' (isp, public)", w[i]);
		if (scn_join(w, 2, n, st->arg, sizeof st->arg) != 0)
			return scn_fail(c, "flush: too many resolvers");
		st->action = SCN_FLUSH;
	} else if (strcmp(a, "rogue") == 0) {
		if (n >= 3 && strcmp(w[2], "up") == 0) {
			if (n != 5)
				return scn_fail(c, "rogue up wants ADDR ANSWER (rogue up 198.19.66.66 65.49.2.178)");
			if (scn_addr(w[3], &st->addr) != 0)
				return scn_fail(c, "bad address '%.40s'", w[3]);
			if (scn_addr(w[4], &st->answer) != 0)
				return scn_fail(c, "bad answer address '%.40s'", w[4]);
			const char *why = scn_rogue_taken(st->addr);
			if (why)
				return scn_fail(c, "rogue address %s is %s", w[3], why);
			if (seen->rogue_line)
				return scn_fail(c, "a rogue server is already up (line %d)", seen->rogue_line);
			seen->rogue_line = c->line;
			seen->rogue = st->addr;
			st->action = SCN_ROGUE_UP;
		} else if (n >= 3 && strcmp(w[2], "down") == 0) {
			if (n != 3)
				return scn_fail(c, "rogue down takes nothing more");
			if (!seen->rogue_line)
				return scn_fail(c, "rogue down, but no rogue server is up");
			for (int k = 0; k < 3; k++)
				if (seen->hijacked[k])
					return scn_fail(c, "rogue down while a zone still points to it "
							   "(hijacked at line %d)", seen->hijacked[k]);
			seen->rogue_line = 0;
			st->action = SCN_ROGUE_DOWN;
		} else {
			return scn_fail(c, "rogue wants up ADDR ANSWER or down");
		}
	} else if (strcmp(a, "zone") == 0) {
		if (n < 4)
			return scn_fail(c, "zone wants TLD hijack ADDR or TLD restore");
		if (!scn_tld(w[2]))
			return scn_fail(c, "zone: unknown TLD '%.20s' (com, net, org)", w[2]);
		int k = scn_tld_index(w[2]);
		snprintf(st->arg, sizeof st->arg, "%s", w[2]);
		if (strcmp(w[3], "hijack") == 0) {
			if (n != 5)
				return scn_fail(c, "zone %s hijack wants the rogue address", w[2]);
			if (scn_addr(w[4], &st->addr) != 0)
				return scn_fail(c, "bad address '%.40s'", w[4]);
			if (!seen->rogue_line || seen->rogue != st->addr)
				return scn_fail(c, "zone %s hijack %s: no rogue server is up at that address "
						   "(rogue up %s ANSWER first)", w[2], w[4], w[4]);
			if (seen->hijacked[k])
				return scn_fail(c, "zone %s is already hijacked (line %d)", w[2], seen->hijacked[k]);
			seen->hijacked[k] = c->line;
			st->action = SCN_ZONE_HIJACK;
		} else if (strcmp(w[3], "restore") == 0) {
			if (n != 4)
				return scn_fail(c, "zone %s restore takes nothing more", w[2]);
			if (!seen->hijacked[k])
				return scn_fail(c, "zone %s is not hijacked", w[2]);
			seen->hijacked[k] = 0;
			st->action = SCN_ZONE_RESTORE;
		} else {
			return scn_fail(c, "zone wants TLD hijack ADDR or TLD restore");
		}
	} else if (strcmp(a, "mark") == 0) {
		if (n < 3)
			return scn_fail(c, "mark needs a label");
		if (scn_join(w, 2, n, st->arg, 121) != 0)
			return scn_fail(c, "label too long (at most 120 bytes)");
		st->action = SCN_MARK;
	} else if (strcmp(a, "end") == 0) {
		if (n != 2)
			return scn_fail(c, "end takes nothing more");
		seen->end = c->line;
		st->action = SCN_END;
	} else {
		return scn_fail(c, "unknown action '%.40s' (inject, flush, rogue, zone, mark, end)", a);
	}
	s->nsteps++;
	return 0;
}

int scn_parse(struct scn *s, const char *path, const char *text, size_t len, int check_files,
	      struct dw_error *err)
{
	memset(s, 0, sizeof *s);
	dw_error_clear(err);
	snprintf(s->file, sizeof s->file, "%s", path);
	snprintf(s->wall, sizeof s->wall, "none");
	s->scale = 1;
	snprintf(s->scale_text, sizeof s->scale_text, "1s=1s");
	struct scn_ctx c = {.s = s, .path = path, .line = 0, .err = err};
	struct scn_seen seen;
	memset(&seen, 0, sizeof seen);
	if (len > SCN_FILE_MAX)
		return scn_fail_as(&c, DW_E_TOO_LARGE, "file too large (over %d bytes)", SCN_FILE_MAX);
	size_t pos = 0;
	for (int line = 1; pos < len; line++) {
		c.line = line;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		if (ll >= SCN_LINE_MAX)
			return scn_fail_as(&c, DW_E_TOO_LARGE, "line too long (at most %d bytes)", SCN_LINE_MAX - 1);
		char buf[SCN_LINE_MAX];
		memcpy(buf, text + pos, ll);
		buf[ll] = '\0';
		pos += ll + (nl ? 1 : 0);
		if (memchr(buf, '\0', ll))
			return scn_fail(&c, "NUL byte in the line");
		if (ll && buf[ll - 1] == '\r')
			buf[--ll] = '\0';
		for (size_t i = 0; i < ll; i++)
			if ((unsigned char)buf[i] < 0x20 && buf[i] != '\t')
				return scn_fail(&c, "control character in the line");
		/* words; '#' at the start of a word begins a comment */
		char *w[SCN_WORDS_MAX];
		int n = 0;
		char *save = NULL;
		for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			if (tok[0] == '#')
				break;
			if (n == SCN_WORDS_MAX)
				return scn_fail(&c, "too many words (at most %d)", SCN_WORDS_MAX);
			w[n++] = tok;
		}
		if (n == 0)
			continue;
		int r = w[0][0] >= '0' && w[0][0] <= '9' ? scn_timed(&c, &seen, w, n, check_files)
							   : scn_header(&c, &seen, w, n);
		if (r != 0)
			return -1;
	}
	c.line = 0;
	if (!seen.scenario)
		return scn_fail(&c, "no scenario line (scenario NAME [TITLE])");
	if (!seen.clock)
		return scn_fail(&c, "no clock line (clock HH:MM [ZONE])");
	if (!seen.end)
		return scn_fail(&c, "no end line (HH:MM end): a replay must be bounded");
	double real = (double)s->step[s->nsteps - 1].offset_s / s->scale;
	if (real > SCN_REAL_MAX)
		return scn_fail(&c, "the replay would take %.0f s at scale %s (at most %d s)", real,
				s->scale_text, SCN_REAL_MAX);
	return 0;
}

int scn_load(struct scn *s, const char *path, struct dw_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return dw_error_errno(err, "%s", path);
	static char buf[SCN_FILE_MAX + 1];
	size_t n = fread(buf, 1, sizeof buf, f);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return dw_error_set(err, DW_E_IO, "%s: read error", path);
	return scn_parse(s, path, buf, n, 1, err);
}
