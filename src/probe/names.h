/*
 * The names dnswatch probes, read from the lists researchers have: one
 * reader for every command that takes a list (probe, watch's --names, the
 * census). Four formats, told apart from the content or named by the user:
 *
 *   plain       one name a line; '#' starts a comment; blank lines skipped
 *   csv-rank    Tranco/Umbrella top lists, "rank,name" (a header line, a
 *               UTF-8 BOM and CRLF line ends allowed; with a header, its
 *               column named domain/name/host/hostname/site holds the name)
 *   citizenlab  Citizen Lab test lists: CSV whose header has a "url"
 *               column (RFC 4180 quoting, quoted fields may hold commas
 *               and line ends); the URL's host is the name (scheme,
 *               userinfo, port, path dropped); hosts that are IP
 *               addresses (IPv4, or an IPv6 literal in brackets) are not
 *               names: counted in `addresses`, not told as invalid
 *   zone        a zone in master-file syntax (RFC 1035 5.1): the owner
 *               names of its NS records ($ORIGIN, '@', relative owners, a
 *               blank owner continuing the last one, parentheses over
 *               several lines, ';' comments, TTL and class in either
 *               order); every other record is skipped, not invalid
 *
 * Auto-detection (the default) looks at the first line that is not blank
 * and not a '#' comment: a '$' directive, a ';' comment, or a class or
 * record type among its first fields means a zone; a comma means CSV,
 * citizenlab if a field of it is "url", else csv-rank; anything else is
 * plain.
 *
 * Each name is checked (probe_name_check) and handed on in wire form with
 * the line its record starts on. A name seen before (compared in lower
 * case) is counted in `duplicates` and skipped: the set of names seen
 * remembers at most PROBE_NAMES_SEEN_MAX distinct names (64-bit hashes of
 * their wire form, so two different names collide with a chance of about
 * n^2/2^65: 1e-7 at 2 million), 32 MiB at most, growing with the list;
 * names after that many are passed on unchecked (counted in `unchecked`).
 * Invalid lines are skipped and counted; each is told to a callback as
 * "FILE:LINE: <why>, skipped", and the first is kept. No printing: the
 * command decides where the lines go.
 */
#ifndef DW_PROBE_NAMES_H
#define DW_PROBE_NAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"
#include "wire/name.h"

/* An invalid line, skipped: WHY->text says where and why. */
typedef void (*probe_names_invalid_fn)(void *ctx, const struct dw_error *why);

/* Longest physical line taken (a name is at most 253 characters; a CSV
 * record has other fields): a longer one is skipped as invalid. */
#define PROBE_NAMES_LINE_MAX 4096
/* Longest CSV field kept (a URL), and longest zone field kept. */
#define PROBE_NAMES_FIELD_MAX 1024
#define PROBE_NAMES_TOKEN_MAX 255
/* A quoted CSV field open for more lines than this is taken as a stray
 * quote: its record is skipped and reading goes on at the next line. */
#define PROBE_NAMES_QUOTE_LINES_MAX 16
/* Distinct names remembered to skip repeats (the table is twice as many
 * 8-byte slots at most: 32 MiB). */
#define PROBE_NAMES_SEEN_MAX (1u << 21)

enum probe_names_format {
	PROBE_NAMES_AUTO = 0,
	PROBE_NAMES_PLAIN,
	PROBE_NAMES_CSV_RANK,
	PROBE_NAMES_CITIZENLAB,
	PROBE_NAMES_ZONE,
};

/* The CSV record being read (it may span lines inside quotes). */
struct probe_names_csv {
	bool in_record, in_quote, quoted, field_over, name_over;
	unsigned field, nfields, quote_lines;
	unsigned long start_line;
	int name_col, rank_col;             /* -1: none */
	size_t flen;
	char fbuf[PROBE_NAMES_FIELD_MAX + 1]; /* the field being read */
	char name[PROBE_NAMES_FIELD_MAX + 1]; /* the name (or url) column's */
	char rank[32];
	bool rank_over;
};

/* The zone record being read (parentheses may span lines). */
struct probe_names_zone {
	bool in_record, blank_owner;
	unsigned depth, ntok;
	unsigned long start_line;
	char tok[4][PROBE_NAMES_TOKEN_MAX + 1]; /* the first fields of the record */
	bool tok_over[4];
	char origin[PROBE_NAMES_TOKEN_MAX + 2]; /* absolute, with its final dot; "" unset */
	char owner[2 * PROBE_NAMES_TOKEN_MAX + 4]; /* the last owner, resolved */
	const char *owner_bad;                  /* why the last owner is no name, or NULL */
	bool have_owner;
};

struct probe_names {
	FILE *in;
	const char *label;              /* file name for messages */
	unsigned long line;             /* last line read */
	unsigned long invalid;          /* invalid lines skipped */
	unsigned long duplicates;       /* names seen before, skipped */
	unsigned long addresses;        /* citizenlab: URLs whose host is an IP address, skipped */
	unsigned long unchecked;        /* names past the seen set's bound, not checked for repeats */
	struct dw_error first_invalid;  /* the first of them (status DW_OK if none) */
	probe_names_invalid_fn on_invalid; /* NULL: counted and the first kept only */
	void *ctx;
	enum probe_names_format asked;  /* what probe_names_set_format asked (AUTO: detect) */
	enum probe_names_format format; /* what is read: AUTO until the first record */
	bool header;                    /* csv: the first record was a header */
	uint64_t *seen;                 /* hashes of the names handed on (open addressing) */
	size_t seen_cap, seen_n;
	struct probe_names_csv csv;
	struct probe_names_zone zone;
	char buf[PROBE_NAMES_LINE_MAX + 1]; /* the line being read */
};

/* Read IN (named LABEL in messages) from its start, its format detected. */
void probe_names_init(struct probe_names *n, FILE *in, const char *label);

/* Read the input as FORMAT (AUTO: detect it), before the first
 * probe_names_next. */
void probe_names_set_format(struct probe_names *n, enum probe_names_format format);

/* "auto", "plain", "csv-rank", "citizenlab", "zone" into *FORMAT; false
 * if TEXT is none of them. */
bool probe_names_format_parse(const char *text, enum probe_names_format *format);
const char *probe_names_format_name(enum probe_names_format format);

/* The memory of names seen, released (probe_names_next also releases it
 * at the end of the input); N may be read on, with repeats no longer
 * skipped. */
void probe_names_free(struct probe_names *n);

/*
 * Whether TEXT is a name the prober asks (letters, digits, '-', '_' and
 * '.', a valid wire name): NULL and its wire form in NAME, or why not. The
 * same rule decides which names of the answer key watch's panel takes.
 */
const char *probe_name_check(const char *text, uint8_t name[WIRE_NAME_MAX]);

/*
 * The next valid name not seen before: its wire form into NAME and the
 * line its record starts on into *LINE. Returns 1, 0 at the end of the
 * input, or -1 with ERR set: reading failed ("FILE: read error"), the
 * names set could not grow ("FILE: out of memory"), or a citizenlab
 * input has no "url" column ("FILE:LINE: no 'url' column in the header").
 */
int probe_names_next(struct probe_names *n, uint8_t name[WIRE_NAME_MAX], uint64_t *line,
		     struct dw_error *err) DW_MUST_CHECK;

#endif
