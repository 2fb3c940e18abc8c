/* Reading a whole stream (a file or standard input) into memory. */
#ifndef DW_UTIL_FILE_H
#define DW_UTIL_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum util_read_status { UTIL_READ_OK = 0, UTIL_READ_TOO_LARGE, UTIL_READ_NOMEM, UTIL_READ_IO };

/*
 * Read F to its end into a new buffer (*BUF, NUL-terminated beyond *LEN, so
 * text can be parsed in place). At most MAX bytes: more is UTIL_READ_TOO_LARGE.
 * The caller frees *BUF (NULL on failure).
 */
enum util_read_status util_read_all(FILE *f, size_t max, uint8_t **buf, size_t *len);

/* "too large", "out of memory", "read error". */
const char *util_read_strerror(enum util_read_status st);

#endif
