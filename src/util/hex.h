/* Hex text to bytes and back. */
#ifndef DW_UTIL_HEX_H
#define DW_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit, or -1. */
int hex_digit(int c);
/* Lower-case hex of BYTES into TEXT (2*LEN+1 bytes, NUL-terminated). */
void hex_encode(const uint8_t *bytes, size_t len, char *text);

#endif
