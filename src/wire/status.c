/* One message per wire status (see status.h). */
#include "wire/status.h"

static const char *const messages[WIRE_STATUS_COUNT] = {
	[WIRE_OK] = "ok",
	[WIRE_E_TRUNCATED] = "truncated",
	[WIRE_E_NOSPACE] = "no space left in the output buffer",
	[WIRE_E_LABEL_TOO_LONG] = "label over 63 octets",
	[WIRE_E_NAME_TOO_LONG] = "name over 255 octets",
	[WIRE_E_BAD_LABEL_TYPE] = "reserved label type (0x40 or 0x80)",
	[WIRE_E_PTR_FORWARD] = "compression pointer does not point backwards (loop)",
	[WIRE_E_PTR_PAST_END] = "compression pointer past the end of the message",
	[WIRE_E_PTR_TOO_MANY] = "too many compression pointers",
	[WIRE_E_COUNT_TOO_BIG] = "count field larger than the message",
	[WIRE_E_TOO_MANY_RR] = "more records than the parser can hold",
	[WIRE_E_RDATA_LENGTH] = "rdata length wrong for its type",
	[WIRE_E_RDATA_FORMAT] = "malformed rdata",
	[WIRE_E_SECTION_ORDER] = "record added to an earlier section",
	[WIRE_E_BAD_TEXT] = "bad presentation format",
	[WIRE_E_INVALID] = "invalid argument",
};

const char *wire_strerror(enum wire_status s)
{
	if ((unsigned)s >= WIRE_STATUS_COUNT || !messages[s])
		return "unknown error";
	return messages[s];
}
