/*
 * The one error model of every dnswatch library.
 *
 * A status is one value of enum dw_status: 0 is success, every failure has
 * one code and one line of English (dw_strerror), whichever library found
 * it: the codec, the packet decoder, file reading, the store. Functions that
 * only classify (the codec's parse and build calls) return the status.
 *
 * Functions that can fail for reasons a person must be told (a file, a
 * line, a system call, a lab host) also fill an error record: the status and
 * one line of text that says what and where, in one of three shapes:
 *   "FILE:LINE: reason"              input read from a file (dw_error_at)
 *   "what: reason at offset N (answer[2] rdata)"
 *                                    a DNS message (wire_error_record)
 *   "what: reason"                   anything else (dw_error_set; for a
 *                                    system call dw_error_errno)
 * Those functions return 0 or -1 (or a count, or NULL); they, and every
 * other library function that can fail, are marked DW_MUST_CHECK, so no
 * caller can drop a failure on the floor. A library hands the line up
 * instead of printing it: the command that called it decides where it goes.
 */
#ifndef DW_UTIL_ERROR_H
#define DW_UTIL_ERROR_H

#include <stddef.h>

#define DW_MUST_CHECK __attribute__((warn_unused_result))

enum dw_status {
	DW_OK = 0,
	/* the wire codec */
	DW_E_TRUNCATED,      /* a read ran past the end of the message */
	DW_E_NOSPACE,        /* a write ran past the end of the buffer */
	DW_E_LABEL_TOO_LONG, /* label length over 63 (RFC 1035 2.3.4) */
	DW_E_NAME_TOO_LONG,  /* name over 255 octets in wire form (RFC 1035 2.3.4) */
	DW_E_BAD_LABEL_TYPE, /* label type 0x40 or 0x80 (RFC 6891 5: reserved) */
	DW_E_PTR_FORWARD,    /* compression pointer to its own offset or later: loops */
	DW_E_PTR_PAST_END,   /* compression pointer beyond the message */
	DW_E_PTR_TOO_MANY,   /* more pointer hops than a legal name can need */
	DW_E_COUNT_TOO_BIG,  /* a section count larger than the message could hold */
	DW_E_TOO_MANY_RR,    /* more records than the caller's array holds */
	DW_E_RDATA_LENGTH,   /* rdata length wrong for its type, or past the message */
	DW_E_RDATA_FORMAT,   /* rdata content malformed for its type */
	DW_E_SECTION_ORDER,  /* builder: record added to an earlier section */
	DW_E_BAD_TEXT,       /* a presentation-format name or value that does not parse */
	DW_E_INVALID,        /* a caller's argument out of range */
	/* captured frames (net/packet) */
	DW_E_PKT_TRUNCATED,  /* the capture ends inside a header */
	DW_E_NOT_IP,         /* ARP and friends */
	DW_E_NOT_UDP,        /* TCP, ICMP, ... */
	DW_E_FRAGMENT,       /* an IP fragment: no whole UDP datagram here */
	DW_E_BAD_HEADER,     /* an IP or UDP header that contradicts itself */
	DW_E_UNKNOWN_LINK,   /* a link type the decoder does not know */
	/* files, input and the system */
	DW_E_IO,             /* a read or write failed (also SQLITE_IOERR) */
	DW_E_NOMEM,          /* out of memory */
	DW_E_TOO_LARGE,      /* an input over the size a reader accepts */
	DW_E_SYNTAX,         /* a line or value of an input file that does not parse */
	DW_E_VERSION,        /* a file format or schema version newer than this program */
	DW_E_SYSTEM,         /* a system call failed (the text has errno's words) */
	DW_E_NOT_FOUND,      /* a named thing (file, lab host, run) is not there */
	DW_E_TOOL,           /* an external program (ip, nsd, ...) failed: the text has its words */
	DW_E_INTERRUPTED,    /* stopped by a signal (Ctrl-C) before it was done */
	/* the store */
	DW_E_OPEN,           /* cannot open or create the database */
	DW_E_FOREIGN,        /* an SQLite database, but not ours */
	DW_E_FULL,           /* disk or database full (SQLITE_FULL) */
	DW_E_DB,             /* any other database failure */
	DW_E_NORUN,          /* no such run (or no unfinished run to resume) */
	DW_E_STATE,          /* call out of order (e.g. put with no run begun) */
	DW_E_DUP,            /* this (seq, target, qtype) is already stored */
	DW_E_EMPTY,          /* an empty database: nothing stored, not even the schema */
	DW_STATUS_COUNT
};

/* One line of English for a status; never NULL. */
const char *dw_strerror(enum dw_status s);

#define DW_ERROR_TEXT 512

/* What failed and where: a status and the line a person reads. */
struct dw_error {
	enum dw_status status;
	char text[DW_ERROR_TEXT];
};

/* Set E (which may be NULL) to S and the formatted text; returns -1, so a
 * failing function can `return dw_error_set(...)`. */
int dw_error_set(struct dw_error *e, enum dw_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE: text" for input read from a file. Returns -1. */
int dw_error_at(struct dw_error *e, enum dw_status s, const char *file, unsigned long line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* "what: strerror(errno)" with DW_E_SYSTEM (DW_E_NOT_FOUND for ENOENT,
 * DW_E_NOMEM for ENOMEM). Reads errno before anything can change it.
 * Returns -1. */
int dw_error_errno(struct dw_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put "PREFIX: " in front of E's text (context from a caller); returns -1. */
int dw_error_prefix(struct dw_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clear E to DW_OK and empty text. */
void dw_error_clear(struct dw_error *e);

#endif
