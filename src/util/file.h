/* Reading a stream (a file or standard input): whole into memory, or a
 * line at a time. */
#ifndef DW_UTIL_FILE_H
#define DW_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

/*
 * Read F to its end into a new buffer (*BUF, NUL-terminated beyond *LEN, so
 * text can be parsed in place). At most MAX bytes: more is DW_E_TOO_LARGE.
 * The caller frees *BUF (NULL on failure).
 */
DW_MUST_CHECK enum dw_status util_read_all(FILE *f, size_t max, uint8_t **buf, size_t *len);

/*
 * dnswatch's one line reader (the names file, the answer key, NDJSON). The
 * next line of F into *BUF, which is grown as needed (*CAP its size; the
 * caller frees it; a buffer of MAX + 1 bytes or more is never grown, so it
 * may be the caller's own array): without its line end (the LF and any CRs
 * before it), NUL-terminated, *LEN bytes. A last line without LF counts.
 * Never holds more than MAX bytes of a line (MAX < SIZE_MAX / 2).
 *
 * Returns 1 with a line; 0 at the end of F; -1 with ERR's status and its
 * reason (no file or line: the caller puts "PATH:LINE" in front, e.g. with
 * dw_error_prefix):
 *   DW_E_TOO_LARGE "line too long": a line longer than MAX bytes; the rest
 *                  of it was read and dropped, never held, so the caller
 *                  may skip it and read on (*BUF has its first MAX bytes);
 *   DW_E_IO        errno's words: a read error;
 *   DW_E_NOMEM     no memory for the line.
 */
DW_MUST_CHECK int util_line_read(FILE *f, char **buf, size_t *cap, size_t *len, size_t max,
				 struct dw_error *err);

#endif
