/* Reading the names to probe from a text file (see names.h). */
#include "probe/names.h"

#include <string.h>

#include "util/file.h"

void probe_names_init(struct probe_names *n, FILE *in, const char *label)
{
	memset(n, 0, sizeof *n);
	n->in = in;
	n->label = label;
	dw_error_clear(&n->first_invalid);
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

/* An invalid line: counted, the first kept, and told to the callback. */
static void names_invalid(struct probe_names *n, const struct dw_error *why)
{
	if (!n->invalid++)
		n->first_invalid = *why;
	if (n->on_invalid)
		n->on_invalid(n->ctx, why);
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
		if (!got)
			return 0;
		if (got < 0 && why.status != DW_E_TOO_LARGE)
			return dw_error_set(err, why.status, "%s: read error", n->label);
		n->line++;
		if (got < 0) {
			/* Longer than any name could be: read past, skipped. */
			dw_error_at(&why, why.status, n->label, n->line,
				    "line too long for a domain name, skipped");
			names_invalid(n, &why);
			continue;
		}
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;
		const char *bad = probe_name_check(s, name);
		if (bad) {
			dw_error_at(&why, DW_E_SYNTAX, n->label, n->line, "invalid name '%.80s': %s, skipped",
				    s, bad);
			names_invalid(n, &why);
			continue;
		}
		*line = n->line;
		return 1;
	}
}
