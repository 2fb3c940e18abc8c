/* Whole-stream reading (see file.h). */
#include "util/file.h"

#include <stdlib.h>

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
