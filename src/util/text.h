/*
 * Building a line of text in a fixed buffer, piece by piece: text_cat is
 * dnswatch's one way of appending to a bounded buffer (not `n +=
 * snprintf(buf + n, cap - n, ...)`, whose N can pass CAP, nor
 * `buf + strlen(buf)`).
 */
#ifndef DW_UTIL_TEXT_H
#define DW_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Append printf-style text to BUF[0..CAP) whose first LEN bytes are in use;
 * returns the new length, never past CAP - 1 (the rest is cut, BUF stays
 * terminated). LEN >= CAP is returned as is: once full, later pieces are
 * dropped, so a chain of calls needs no check between them.
 */
size_t text_cat(char *buf, size_t cap, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * A command line as one line of text, as the stores keep it: PREFIX, then
 * each of the ARGC words of ARGV after one space, into BUF (CAP bytes; cut
 * as text_cat cuts). Returns the length.
 */
size_t text_command_line(char *buf, size_t cap, const char *prefix, int argc,
			 char *const *argv);

/* A command-line number: all of S is a number in [LO, HI] (into *V). */
bool text_number(const char *s, double lo, double hi, double *v);

#endif
