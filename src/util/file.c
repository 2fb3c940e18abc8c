/* Whole-stream reading (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum dw_status util_read_all(FILE *f, size_t max, uint8_t **buf, size_t *len)
{
	/* Start small, grow by doubling, never past MAX: a buffer of exactly
	 * MAX bytes that is full is then looked past by one byte. */
	size_t cap = max < (1u << 16) ? max : 1u << 16, n = 0;
	uint8_t *b = malloc(cap + 1);
	*buf = NULL;
	*len = 0;
	if (!b)
		return DW_E_NOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= max)
				break;
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			uint8_t *nb = realloc(b, ncap + 1);
			if (!nb) {
				free(b);
				return DW_E_NOMEM;
			}
			b = nb;
			cap = ncap;
		}
		size_t r = cap > n ? fread(b + n, 1, cap - n, f) : 0;
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		return DW_E_IO;
	}
	/* A full buffer at the limit may still have more behind it. */
	if (n == max && fgetc(f) != EOF) {
		free(b);
		return DW_E_TOO_LARGE;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return DW_OK;
}

/* Room in *BUF for at least one more byte and the NUL, never past
 * MAX + 1 bytes in all. 0, or -1 out of memory. */
static int line_grow(char **buf, size_t *cap, size_t max)
{
	size_t want = *cap ? *cap * 2 : 256;
	if (want > max + 1)
		want = max + 1;
	if (want <= *cap)
		return 0;
	char *nb = realloc(*buf, want);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = want;
	return 0;
}

int util_line_read(FILE *f, char **buf, size_t *cap, size_t *len, size_t max,
		   struct dw_error *err)
{
	size_t n = 0;
	bool any = false, over = false;
	int c = EOF;
	*len = 0;
	if (!*cap && line_grow(buf, cap, max))
		return dw_error_set(err, DW_E_NOMEM, "out of memory for a line");
	errno = 0;
	flockfile(f);
	while ((c = getc_unlocked(f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (n >= max) {
			over = true; /* read past, not held */
			continue;
		}
		if (n + 1 >= *cap && line_grow(buf, cap, max)) {
			funlockfile(f);
			(*buf)[n] = '\0';
			return dw_error_set(err, DW_E_NOMEM, "out of memory for a line of %zu bytes",
					    n + 1);
		}
		(*buf)[n++] = (char)c;
	}
	bool failed = c == EOF && ferror(f);
	int saved = errno;
	funlockfile(f);
	while (n > 0 && (*buf)[n - 1] == '\r')
		n--;
	(*buf)[n] = '\0';
	*len = n;
	if (failed)
		return dw_error_set(err, DW_E_IO, "%s", strerror(saved ? saved : EIO));
	if (!any)
		return 0;
	if (over)
		return dw_error_set(err, DW_E_TOO_LARGE, "line too long");
	return 1;
}
