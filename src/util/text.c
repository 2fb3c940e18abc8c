/* Appending to a fixed buffer (text.h). */
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

size_t text_cat(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
	if (cap == 0 || len >= cap)
		return len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return len;
	return len + (size_t)n >= cap ? cap - 1 : len + (size_t)n;
}

size_t text_command_line(char *buf, size_t cap, const char *prefix, int argc,
			 char *const *argv)
{
	if (cap)
		buf[0] = '\0';
	size_t n = text_cat(buf, cap, 0, "%s", prefix);
	for (int i = 0; i < argc; i++)
		n = text_cat(buf, cap, n, " %s", argv[i]);
	return n;
}

bool text_number(const char *s, double lo, double hi, double *v)
{
	/* strtod skips leading space and takes '+', "inf" and "nan": a number
	 * on a command line starts with a digit, a '-' or a '.'. */
	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
		return false;
	char *end;
	*v = strtod(s, &end);
	return !*end && *v >= lo && *v <= hi;
}
