/*
 * Domain names: reading them out of a message (with compression pointers,
 * loop-safe), converting between wire and presentation form, canonical form
 * and comparison. Names are handled in uncompressed wire form: a sequence of
 * length-prefixed labels ending with the zero-length root label, at most
 * WIRE_NAME_MAX (255) octets (RFC 1035 2.3.4).
 *
 * Comparison is case-insensitive for ASCII letters only (RFC 4343). Because a
 * resolver may randomise the case of its query (the "0x20" defence), a name is
 * also compared byte-exactly when the question of a reply is checked against
 * the query: see wire_name_equal_exact.
 */
#ifndef DW_WIRE_NAME_H
#define DW_WIRE_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define WIRE_NAME_MAX 255      /* octets of a name in wire form */
#define WIRE_LABEL_MAX 63      /* octets of one label */
#define WIRE_NAME_TEXT_MAX 1024 /* presentation form, worst case \DDD for every octet */
/* A legal name has at most 127 labels, so a chain needs at most 127 pointers. */
#define WIRE_PTR_MAX 127

/*
 * Read the (possibly compressed) name at offset OFF of message MSG[0..LEN)
 * and write it uncompressed to OUT (WIRE_NAME_MAX bytes). On success returns
 * DW_OK, sets *OUT_LEN to its wire length and *NEXT to the offset just after
 * the name's in-place bytes (after the first pointer, if any). OUT may be
 * NULL to validate only. On failure *ERR_OFF is the offset of the offending
 * byte. Pointers must point strictly backwards (to an offset before the
 * pointer itself), which makes loops impossible.
 */
DW_MUST_CHECK enum dw_status wire_name_unpack(const uint8_t *msg, size_t len, size_t off,
				  uint8_t *out, size_t *out_len, size_t *next,
				  size_t *err_off);

/* Wire length of an uncompressed name, or 0 if NAME[0..MAX) is not one. */
DW_MUST_CHECK size_t wire_name_len(const uint8_t *name, size_t max);

/* Number of labels, not counting the root label. */
unsigned wire_name_labels(const uint8_t *name);

/*
 * Presentation form ("www.example.com.", root is "."), with RFC 1035 5.1
 * escapes: \. and \\ inside labels, \DDD for bytes outside printable ASCII.
 * Returns the text length; TEXT gets at most CAP-1 chars and a NUL.
 */
size_t wire_name_to_text(const uint8_t *name, char *text, size_t cap);

/* The last label lower-cased, in presentation form without the dot
 * ("com"); "." for the root or a name that is not well formed. The TLD
 * series of the report, over SQLite and ClickHouse alike. */
void wire_name_tld_text(const uint8_t *name, char *out, size_t cap);

/*
 * Parse presentation form into wire form. A missing final dot is taken as
 * absolute. Returns DW_E_BAD_TEXT (empty label, bad escape),
 * DW_E_LABEL_TOO_LONG or DW_E_NAME_TOO_LONG on failure.
 */
DW_MUST_CHECK enum dw_status wire_name_from_text(const char *text, uint8_t *out, size_t *out_len);

/* Lower-case ASCII letters in place (RFC 4034 6.2 canonical form). */
void wire_name_canonicalize(uint8_t *name);

/* Equal ignoring ASCII case. */
bool wire_name_equal(const uint8_t *a, const uint8_t *b);
/* Equal byte for byte, case included (0x20 check). */
bool wire_name_equal_exact(const uint8_t *a, const uint8_t *b);
/* Canonical DNS name order (RFC 4034 6.1): <0, 0, >0. */
int wire_name_compare(const uint8_t *a, const uint8_t *b);
/* NAME is SUFFIX or under it (label-wise, case-insensitive). */
bool wire_name_is_subdomain(const uint8_t *name, const uint8_t *suffix);

/*
 * Randomise letter case from the bits of KEY (0x20 encoding, draft-vixie-
 * dnsext-dns0x20): bit i of the key stream picks the case of the i-th letter.
 * Returns the number of letters, i.e. the bits of entropy added.
 */
unsigned wire_name_apply_0x20(uint8_t *name, uint64_t key);

#endif
