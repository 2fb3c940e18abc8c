/*
 * The names `dnswatch probe` reads: a text file of one name a line, '#'
 * comments and blank lines skipped, each name checked (probe_name_check)
 * and handed on in wire form with its line number. The probe engine takes
 * names from a callback (engine.h); this reader is what the probe command
 * gives it. Invalid lines are skipped and counted; each is told to a
 * callback as "FILE:LINE: invalid name 'x': reason, skipped", and the first
 * is kept. No printing: the command decides where the lines go.
 */
#ifndef DW_PROBE_NAMES_H
#define DW_PROBE_NAMES_H

#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "wire/name.h"

/* An invalid line, skipped: WHY->text says where and why. */
typedef void (*probe_names_invalid_fn)(void *ctx, const struct dw_error *why);

/* Longest line taken (a name is at most 253 characters; a comment may
 * follow it): a longer one is skipped as invalid. */
#define PROBE_NAMES_LINE_MAX 1024

struct probe_names {
	FILE *in;
	const char *label;              /* file name for messages */
	unsigned long line;             /* last line read */
	unsigned long invalid;          /* invalid lines skipped */
	struct dw_error first_invalid;  /* the first of them (status DW_OK if none) */
	probe_names_invalid_fn on_invalid; /* NULL: counted and the first kept only */
	void *ctx;
	char buf[PROBE_NAMES_LINE_MAX + 1]; /* the line being read */
};

/* Read IN (named LABEL in messages) from its start. */
void probe_names_init(struct probe_names *n, FILE *in, const char *label);

/*
 * Whether TEXT is a name the prober asks (letters, digits, '-', '_' and
 * '.', a valid wire name): NULL and its wire form in NAME, or why not. The
 * same rule decides which names of the answer key watch's panel takes.
 */
const char *probe_name_check(const char *text, uint8_t name[WIRE_NAME_MAX]);

/*
 * The next valid name: its wire form into NAME and its line into *LINE.
 * Returns 1, 0 at the end of the input, or -1 if reading failed ("FILE:
 * read error" in ERR).
 */
int probe_names_next(struct probe_names *n, uint8_t name[WIRE_NAME_MAX], uint64_t *line,
		     struct dw_error *err) DW_MUST_CHECK;

#endif
