/*
 * The answer key: what each name should resolve to, as a TAB-separated file
 * (docs/lab.md, "the answer key"). The lab writes one for its population;
 * the classifier reads it as the control (`dnswatch probe --control-key`,
 * and watch's control) and watch's panel draws its names from it; a user
 * can write one by hand for names outside a lab. Reader and writer live
 * here together so that the format, its version line and its columns are
 * said once.
 *
 *   # dnswatch lab answer key v1 seed=1 names=7000 zones=1538
 *   name	type	addresses	zone	server	ttl
 *   www.example.com.	A	198.18.1.2,198.18.1.3	example.com.	198.18.0.5	300
 *
 * Only name, type and addresses are required; "addresses" is a comma list
 * of addresses, "-" (no data) or an RCODE name (NXDOMAIN, ...).
 */
#ifndef DW_KEY_KEY_H
#define DW_KEY_KEY_H

#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "wire/name.h"

#define KEY_VERSION 1

/* One row, in the reader's buffer: valid (and the caller's to cut up in
 * place) until the next key_next(); absent columns are NULL. */
struct key_row {
	char *name;                    /* as written */
	uint8_t wire[WIRE_NAME_MAX];   /* its wire form, when name_status is DW_OK */
	enum dw_status name_status;    /* why NAME has no wire form: the caller decides
					* whether that fails the key or skips the row */
	uint16_t type;                 /* WIRE_T_A, ... */
	char *type_text;               /* "A" */
	char *answer;                  /* "198.18.1.2,198.18.1.3", "-", "NXDOMAIN" */
	char *zone, *server;           /* NULL when the key has no such column */
	long ttl;                      /* -1 when absent */
	int columns;                   /* 3 to 6 */
	unsigned long line;            /* its line in the file */
};

struct key_reader {
	FILE *f;
	const char *path;
	char *buf;
	size_t cap;
	unsigned long line;
};

/* Open PATH. 0, or -1 with "PATH: reason" in ERR. */
DW_MUST_CHECK int key_open(struct key_reader *r, const char *path, struct dw_error *err);

/*
 * The next row: 1, 0 at the end, -1 with "PATH:LINE: reason" in ERR (a
 * version this program does not read, fewer than three columns, a type or
 * TTL that does not parse, a line over 64 KiB, a read error).
 */
DW_MUST_CHECK int key_next(struct key_reader *r, struct key_row *row, struct dw_error *err);

void key_close(struct key_reader *r);

/* The version line and the column line. 0, or -1 on a write error. */
DW_MUST_CHECK int key_write_header(FILE *f, uint64_t seed, size_t names, size_t zones);

/* One row (ANSWER as above; ZONE and SERVER may be NULL, TTL < 0 leaves
 * the last three columns out). 0, or -1 on a write error. */
DW_MUST_CHECK int key_write_row(FILE *f, const char *name, const char *type, const char *answer,
				const char *zone, const char *server, long ttl);

#endif
