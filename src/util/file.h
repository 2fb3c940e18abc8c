/* Reading a whole stream (a file or standard input) into memory. */
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

#endif
