/*
 * EDNS0 options (RFC 6891 6.1.2) of a parsed message: iteration and names,
 * including Extended DNS Errors (RFC 8914), whose Blocked/Censored/Filtered
 * codes matter to censorship measurement.
 */
#ifndef DW_WIRE_EDNS_H
#define DW_WIRE_EDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/msg.h"

enum wire_edns_option {
	WIRE_EDNS_NSID = 3, WIRE_EDNS_ECS = 8, WIRE_EDNS_COOKIE = 10,
	WIRE_EDNS_KEEPALIVE = 11, WIRE_EDNS_PADDING = 12, WIRE_EDNS_EDE = 15
};

/*
 * Next option of MSG's OPT record: start with *POS = 0. Returns false at the
 * end. The parse has validated the option layout.
 */
bool wire_edns_next_option(const struct wire_msg *msg, size_t *pos, uint16_t *code,
			   const uint8_t **data, uint16_t *len);

/* "NSID", "COOKIE", ...; NULL for an unnamed code. */
const char *wire_edns_option_name(uint16_t code);
/* RFC 8914 4 info-code names ("Censored"); NULL if unassigned. */
const char *wire_ede_name(uint16_t info_code);

#endif
