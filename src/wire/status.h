/*
 * Status codes of the wire codec: 0 is success, every failure has one code
 * and one message (wire_strerror). Parse failures also carry the offset and
 * the field where they happened (struct wire_error in msg.h).
 */
#ifndef DW_WIRE_STATUS_H
#define DW_WIRE_STATUS_H

enum wire_status {
	WIRE_OK = 0,
	WIRE_E_TRUNCATED,      /* a read ran past the end of the message */
	WIRE_E_NOSPACE,        /* a write ran past the end of the buffer */
	WIRE_E_LABEL_TOO_LONG, /* label length over 63 (RFC 1035 2.3.4) */
	WIRE_E_NAME_TOO_LONG,  /* name over 255 octets in wire form (RFC 1035 2.3.4) */
	WIRE_E_BAD_LABEL_TYPE, /* label type 0x40 or 0x80 (RFC 6891 5: reserved) */
	WIRE_E_PTR_FORWARD,    /* compression pointer to its own offset or later: loops */
	WIRE_E_PTR_PAST_END,   /* compression pointer beyond the message */
	WIRE_E_PTR_TOO_MANY,   /* more pointer hops than a legal name can need */
	WIRE_E_COUNT_TOO_BIG,  /* a section count larger than the message could hold */
	WIRE_E_TOO_MANY_RR,    /* more records than the caller's array holds */
	WIRE_E_RDATA_LENGTH,   /* rdata length wrong for its type, or past the message */
	WIRE_E_RDATA_FORMAT,   /* rdata content malformed for its type */
	WIRE_E_SECTION_ORDER,  /* builder: record added to an earlier section */
	WIRE_E_BAD_TEXT,       /* a presentation-format name or value that does not parse */
	WIRE_E_INVALID,        /* a caller's argument out of range */
	WIRE_STATUS_COUNT
};

/* One line of English for a status; never NULL. */
const char *wire_strerror(enum wire_status s);

#endif
