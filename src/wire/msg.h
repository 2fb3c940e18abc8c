/*
 * Parsed view of a DNS message (RFC 1035 4.1, EDNS0 RFC 6891).
 *
 * Parsing validates the whole message once and records, for each question and
 * record, where its parts sit in the raw bytes; nothing is copied and nothing
 * is allocated. The raw bytes stay the caller's and stay available beside the
 * view, because forensic tools need both. Names (owners and those inside
 * rdata) are left compressed in place and expanded on demand with
 * wire_msg_name(), which cannot fail after a successful parse.
 *
 * The caller supplies the record array; WIRE_RR_MAX entries hold any message
 * (a record takes at least 11 octets, a question 5).
 */
#ifndef DW_WIRE_MSG_H
#define DW_WIRE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define WIRE_MSG_MAX 65535
#define WIRE_HEADER_LEN 12
#define WIRE_RR_MAX (WIRE_MSG_MAX / 5 + 1)

/* Header flag bits in the 16-bit flags word (RFC 1035 4.1.1, RFC 4035 3.2). */
#define WIRE_FLAG_QR 0x8000
#define WIRE_FLAG_AA 0x0400
#define WIRE_FLAG_TC 0x0200
#define WIRE_FLAG_RD 0x0100
#define WIRE_FLAG_RA 0x0080
#define WIRE_FLAG_Z 0x0040
#define WIRE_FLAG_AD 0x0020
#define WIRE_FLAG_CD 0x0010
#define WIRE_OPCODE(flags) (((flags) >> 11) & 0xf)
#define WIRE_RCODE(flags) ((flags) & 0xf)
/* Opcode of a dynamic update (RFC 2136 2.2): its sections are zone,
 * prerequisite, update and additional, in the places of question, answer,
 * authority and additional. */
#define WIRE_OPCODE_UPDATE 5

enum wire_section {
	WIRE_SEC_QUESTION = 0,
	WIRE_SEC_ANSWER,
	WIRE_SEC_AUTHORITY,
	WIRE_SEC_ADDITIONAL,
	WIRE_SEC_COUNT
};

enum wire_type {
	WIRE_T_A = 1, WIRE_T_NS = 2, WIRE_T_CNAME = 5, WIRE_T_SOA = 6,
	WIRE_T_PTR = 12, WIRE_T_MX = 15, WIRE_T_TXT = 16, WIRE_T_AAAA = 28,
	WIRE_T_OPT = 41, WIRE_T_ANY = 255
};
enum wire_class { WIRE_C_IN = 1, WIRE_C_CH = 3, WIRE_C_NONE = 254, WIRE_C_ANY = 255 };
enum wire_rcode {
	WIRE_RCODE_NOERROR = 0, WIRE_RCODE_FORMERR = 1, WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3, WIRE_RCODE_NOTIMP = 4, WIRE_RCODE_REFUSED = 5
};

struct wire_header {
	uint16_t id;
	uint16_t flags; /* QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode */
	uint16_t count[WIRE_SEC_COUNT]; /* QD, AN, NS, AR */
};

/* One question or resource record, as offsets into the raw message. */
struct wire_rr {
	uint16_t owner_off;  /* offset of the owner name (may be a pointer) */
	uint16_t type;
	uint16_t class;      /* for OPT: the UDP payload size */
	uint16_t rdlen;      /* 0 for questions */
	uint32_t ttl;        /* 0 for questions; for OPT: ext rcode, version, flags */
	uint16_t rdata_off;  /* offset of rdata; for questions, the offset after it */
	uint8_t section;     /* enum wire_section */
	uint8_t pad;
};

/* EDNS0 OPT pseudo-record (RFC 6891 6.1.3). */
struct wire_edns {
	bool present;
	unsigned count;       /* OPT records seen; more than one is a FORMERR (6.1.1) */
	uint16_t payload;     /* requestor's UDP payload size */
	uint8_t ext_rcode;    /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	uint16_t flags;       /* DO is 0x8000 */
	uint16_t rr_index;    /* index of the OPT record in rr[] */
	uint16_t options_off; /* options: rdata of the OPT record */
	uint16_t options_len;
};
#define WIRE_EDNS_DO 0x8000

/* Where a parse failed: the reason, the offset, and the field. */
struct wire_error {
	enum dw_status status;
	size_t offset;
	int section;       /* enum wire_section, or -1 for the header */
	unsigned index;    /* index within the section */
	const char *field; /* "count", "owner", "type", "rdata", "rdlength", ... */
};

struct wire_msg {
	const uint8_t *raw; /* the caller's bytes, not owned */
	size_t len;
	struct wire_header hdr;
	struct wire_rr *rr; /* caller's array: questions, then answer, authority, additional */
	size_t rr_cap;
	size_t rr_count;    /* records parsed (== sum of header counts after success) */
	struct wire_edns edns;
	size_t trailing;    /* bytes after the last record: kept, not an error,
			     * since what a forger appends is itself evidence */
	struct wire_error err;
};

/*
 * Parse RAW[0..LEN) into MSG using RR[0..CAP) for the records. Returns
 * DW_OK, or the failure with MSG->err saying where; on failure MSG still
 * holds the header (if 12 bytes were there) and the records parsed before
 * the failure, so a tool can show what was read. RAW must outlive MSG.
 */
DW_MUST_CHECK enum dw_status wire_msg_parse(struct wire_msg *msg, const uint8_t *raw, size_t len,
				struct wire_rr *rr, size_t cap);

/* First index of section SEC in msg->rr and the number parsed in it. */
size_t wire_msg_section_start(const struct wire_msg *msg, enum wire_section sec);
size_t wire_msg_section_count(const struct wire_msg *msg, enum wire_section sec);

/*
 * Expand the (possibly compressed) name at OFF, which a successful parse has
 * already validated (an owner_off, or a name inside known rdata). OUT holds
 * WIRE_NAME_MAX bytes. Returns the wire length, 0 on failure.
 */
DW_MUST_CHECK size_t wire_msg_name(const struct wire_msg *msg, size_t off, uint8_t *out);

/* Full 12-bit rcode: header rcode plus the OPT extension (RFC 6891 6.1.3). */
unsigned wire_msg_rcode(const struct wire_msg *msg);

/* "truncated at offset 45 (answer[2] rdata)" into BUF; returns BUF. */
const char *wire_error_describe(const struct wire_error *e, char *buf, size_t cap);

/* The same line into the error record ERR (may be NULL), with E's status,
 * as WHAT ("WHAT: truncated at offset 45 (answer[2] rdata)"; no prefix when
 * WHAT is NULL). Returns -1, for `return wire_error_record(...)`. */
int wire_error_record(struct dw_error *err, const struct wire_error *e, const char *what);

/* Names of enum values; unknown numbers print as TYPE65534 etc. (RFC 3597). */
const char *wire_section_name(enum wire_section s);
const char *wire_type_name(uint16_t type, char *buf, size_t cap);
const char *wire_class_name(uint16_t class, char *buf, size_t cap);
const char *wire_rcode_name(unsigned rcode, char *buf, size_t cap);
const char *wire_opcode_name(unsigned opcode, char *buf, size_t cap);
/* Parse "A", "aaaa", "TYPE65" into *TYPE; false if unknown. */
DW_MUST_CHECK bool wire_type_from_name(const char *name, uint16_t *type);

#endif
