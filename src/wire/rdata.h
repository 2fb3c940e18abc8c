/*
 * Typed rdata of the record types the toolkit reads (A, AAAA, NS, CNAME, SOA,
 * PTR, MX, TXT); any other type is kept as raw bytes (RFC 3597). Validation
 * happens during wire_msg_parse; the accessors here work on a parsed message
 * and cannot fail for a record that parsed.
 */
#ifndef DW_WIRE_RDATA_H
#define DW_WIRE_RDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "wire/msg.h"
#include "wire/name.h"

struct wire_soa {
	uint8_t mname[WIRE_NAME_MAX];
	uint8_t rname[WIRE_NAME_MAX];
	uint32_t serial, refresh, retry, expire, minimum;
};

/* The rdata of one record, expanded. */
struct wire_rdata {
	uint16_t type;
	union {
		uint8_t a[4];
		uint8_t aaaa[16];
		uint8_t name[WIRE_NAME_MAX];   /* NS, CNAME, PTR */
		struct { uint16_t pref; uint8_t exchange[WIRE_NAME_MAX]; } mx;
		struct wire_soa soa;
	} u;
	/* TXT and unknown types: the raw rdata inside the message. */
	const uint8_t *raw;
	uint16_t rawlen;
	/* No rdata at all (RDLENGTH 0 where RFC 2136 allows it, see
	 * wire_rdata_may_be_empty): U is zero and a builder writes no rdata,
	 * whatever the type. */
	bool empty;
};

/* True for the types whose rdata this codec understands (and may compress). */
bool wire_rdata_known(uint16_t type);
/* Types whose rdata names may be compressed (RFC 3597 4: only RFC 1035 types). */
bool wire_rdata_compressible(uint16_t type);

/*
 * True when a record of class CLASS in a message of opcode OPCODE may carry
 * RDLENGTH 0 whatever its type: class NONE (254) and ANY (255), the
 * prerequisites "RRset does not exist" / "RRset exists (value independent)"
 * and the deletes of RFC 2136 2.4.1-2.4.3 and 2.5.2-2.5.4, and any record of
 * an UPDATE (opcode 5). Otherwise the typed length checks of
 * wire_rdata_check apply (an A of class IN in a query's answer has 4 bytes).
 */
bool wire_rdata_may_be_empty(uint16_t class, unsigned opcode);

/*
 * Check the rdata of type TYPE at MSG[OFF..OFF+RDLEN) (names inside may point
 * into MSG). Used by the parser; returns the status and sets *ERR_OFF.
 */
DW_MUST_CHECK enum dw_status wire_rdata_check(const uint8_t *msg, size_t len, uint16_t type,
				  size_t off, size_t rdlen, size_t *err_off);

/* Expand the rdata of record RR of a parsed message. */
void wire_rdata_get(const struct wire_msg *msg, const struct wire_rr *rr,
		    struct wire_rdata *out);

/*
 * Iterate the character-strings of a TXT rdata: call with *POS = 0; returns
 * true and sets *STR, *STRLEN while there is another one.
 */
bool wire_txt_next(const uint8_t *rdata, size_t rdlen, size_t *pos,
		   const uint8_t **str, size_t *strlen);

/*
 * Presentation form of the rdata (as in a zone file; unknown types as
 * "\# LEN HEX", RFC 3597 5). Returns the text length; truncated to CAP-1.
 * Empty rdata is the empty string (RFC 2136 shows no rdata: "example.com.
 * 0 ANY A"), except for an unknown type of a class other than NONE and ANY,
 * whose zero-length data RFC 3597 5 writes "\# 0".
 */
size_t wire_rdata_to_text(const struct wire_msg *msg, const struct wire_rr *rr,
			  char *text, size_t cap);

/* Worst-case text size of any rdata (\# 65535 bytes in hex plus spaces). */
#define WIRE_RDATA_TEXT_MAX (3 * 65536 + 64)

#endif
