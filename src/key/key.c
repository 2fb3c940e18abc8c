/* The answer key's reader and writer (see key.h). */
#include "key/key.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "wire/msg.h"

#define KEY_LINE_MAX 65536

int key_open(struct key_reader *r, const char *path, struct dw_error *err)
{
	memset(r, 0, sizeof *r);
	r->path = path;
	r->f = fopen(path, "r");
	if (!r->f)
		return dw_error_errno(err, "%s", path);
	return 0;
}

void key_close(struct key_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof *r);
}

/* "# dnswatch lab answer key vN ...": refuse a version we do not know. */
static int check_version(struct key_reader *r, const char *line, struct dw_error *err)
{
	const char *v = strstr(line, "answer key v");
	if (!v)
		return 0;
	long ver = strtol(v + 12, NULL, 10);
	if (ver != KEY_VERSION)
		return dw_error_at(err, DW_E_VERSION, r->path, r->line,
				   "answer key version %ld (this reads %d)", ver, KEY_VERSION);
	return 0;
}

int key_next(struct key_reader *r, struct key_row *row, struct dw_error *err)
{
	for (;;) {
		size_t n;
		int got = util_line_read(r->f, &r->buf, &r->cap, &n, KEY_LINE_MAX, err);
		if (!got)
			return 0;
		r->line++;
		if (got < 0)
			return dw_error_prefix(err, "%s:%lu", r->path, r->line);
		char *line = r->buf;
		if (line[0] == '#') {
			if (check_version(r, line, err))
				return -1;
			continue;
		}
		if (!line[0] || !strncmp(line, "name\t", 5))
			continue;
		char *field[6] = {0};
		int nf = 0;
		char *s = line;
		while (s && nf < 6) {
			field[nf++] = s;
			s = strchr(s, '\t');
			if (s)
				*s++ = '\0';
		}
		if (s)
			return dw_error_at(err, DW_E_SYNTAX, r->path, r->line,
					   "more than 6 TAB-separated fields (name type addresses zone server ttl)");
		if (nf < 3)
			return dw_error_at(err, DW_E_SYNTAX, r->path, r->line,
					   "fewer than 3 TAB-separated fields (name type addresses ...)");
		memset(row, 0, sizeof *row);
		row->line = r->line;
		row->name = field[0];
		row->columns = nf;
		size_t wl;
		row->name_status = wire_name_from_text(field[0], row->wire, &wl);
		if (!wire_type_from_name(field[1], &row->type) || row->type == 0)
			return dw_error_at(err, DW_E_SYNTAX, r->path, r->line, "bad type '%.20s'", field[1]);
		row->type_text = field[1];
		row->answer = field[2];
		row->zone = field[3];
		row->server = field[4];
		row->ttl = -1;
		if (field[5]) {
			char *end;
			errno = 0;
			long t = strtol(field[5], &end, 10);
			if (errno || end == field[5] || *end || t < 0 || t > 0x7fffffffL)
				return dw_error_at(err, DW_E_SYNTAX, r->path, r->line, "bad ttl '%.20s'",
						   field[5]);
			row->ttl = t;
		}
		return 1;
	}
}

int key_write_header(FILE *f, uint64_t seed, size_t names, size_t zones)
{
	fprintf(f, "# dnswatch lab answer key v%d seed=%llu names=%zu zones=%zu\n", KEY_VERSION,
		(unsigned long long)seed, names, zones);
	fputs("name\ttype\taddresses\tzone\tserver\tttl\n", f);
	return ferror(f) ? -1 : 0;
}

int key_write_row(FILE *f, const char *name, const char *type, const char *answer,
		  const char *zone, const char *server, long ttl)
{
	fprintf(f, "%s\t%s\t%s", name, type, answer);
	if (ttl >= 0)
		fprintf(f, "\t%s\t%s\t%ld", zone ? zone : "-", server ? server : "-", ttl);
	fputc('\n', f);
	return ferror(f) ? -1 : 0;
}
