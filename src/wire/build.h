/*
 * Building DNS messages into a caller's buffer, with name compression
 * (RFC 1035 4.1.4) of owner names and of names inside NS, CNAME, PTR, MX and
 * SOA rdata. Sections must be filled in order (questions, answer, authority,
 * additional); the header counts are written by wire_build_finish. Errors are
 * sticky: check the result of wire_build_finish once.
 */
#ifndef DW_WIRE_BUILD_H
#define DW_WIRE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "wire/cursor.h"
#include "wire/msg.h"

/* Names remembered for compression; later names can point at any of them. */
#define WIRE_COMP_MAX 256

struct wire_builder {
	struct wire_cursor c;
	int section;                      /* current section, enum wire_section */
	uint16_t count[WIRE_SEC_COUNT];
	uint16_t comp[WIRE_COMP_MAX];     /* offsets of name suffixes written so far */
	unsigned ncomp;
	int compress;                     /* 0 disables compression */
};

/* Start a message in BUF[0..CAP) with header fields ID and FLAGS. */
void wire_build_init(struct wire_builder *b, uint8_t *buf, size_t cap,
		     uint16_t id, uint16_t flags);

/* Write NAME (uncompressed wire form) at the cursor, compressing if allowed. */
void wire_build_name(struct wire_builder *b, const uint8_t *name);

void wire_build_question(struct wire_builder *b, const uint8_t *name,
			 uint16_t type, uint16_t class);

/* A record with rdata copied as given (no compression inside it). */
void wire_build_rr_raw(struct wire_builder *b, enum wire_section sec,
		       const uint8_t *owner, uint16_t type, uint16_t class,
		       uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/*
 * A record whose owner is a compression pointer to the name already written
 * at OWNER_OFF, whatever that name is, with rdata copied as given. Compression
 * (wire_build_name) decides by itself: it writes the root name as its one
 * zero byte, and a name in full where nothing written matches it. An
 * injector's fingerprint can be the layout itself, an answer that points at
 * the question even for the root name (inject/forge), so that shape is asked
 * for here rather than left to compression. OWNER_OFF must be a name's start
 * in the first 16 KiB, before the cursor (else DW_E_INVALID).
 */
void wire_build_rr_ptr(struct wire_builder *b, enum wire_section sec, uint16_t owner_off,
		       uint16_t type, uint16_t class, uint32_t ttl, const uint8_t *rdata,
		       uint16_t rdlen);

/* A record from typed rdata, compressing names inside it where RFC 3597 allows. */
struct wire_rdata;
void wire_build_rr(struct wire_builder *b, enum wire_section sec,
		   const uint8_t *owner, uint16_t class, uint32_t ttl,
		   const struct wire_rdata *rd);

/* Copy record RR of parsed message SRC (names expanded and recompressed). */
void wire_build_copy_rr(struct wire_builder *b, const struct wire_msg *src,
			const struct wire_rr *rr);

/* OPT pseudo-record in the additional section; OPTIONS are raw TLVs. */
void wire_build_edns(struct wire_builder *b, uint16_t payload, uint8_t ext_rcode,
		     uint8_t version, uint16_t flags, const uint8_t *options,
		     uint16_t options_len);

/* Fill in the counts. Returns the status; *LEN gets the message length. */
DW_MUST_CHECK enum dw_status wire_build_finish(struct wire_builder *b, size_t *len);

/*
 * A whole query: one question, RD as given, EDNS0 with PAYLOAD if non-zero.
 * Returns the length, or 0 if CAP is too small.
 */
DW_MUST_CHECK size_t wire_build_query(uint8_t *buf, size_t cap, uint16_t id, const uint8_t *name,
			uint16_t type, int rd, uint16_t edns_payload);

/* Rebuild a parsed message record by record (round-trip and normalisation). */
DW_MUST_CHECK enum dw_status wire_build_copy_msg(const struct wire_msg *src, uint8_t *buf,
				     size_t cap, size_t *len);

#endif
