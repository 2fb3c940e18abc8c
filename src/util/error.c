/* The status table and the error record (see error.h). */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const messages[DW_STATUS_COUNT] = {
	[DW_OK] = "ok",
	[DW_E_TRUNCATED] = "truncated",
	[DW_E_NOSPACE] = "no space left in the output buffer",
	[DW_E_LABEL_TOO_LONG] = "label over 63 octets",
	[DW_E_NAME_TOO_LONG] = "name over 255 octets",
	[DW_E_BAD_LABEL_TYPE] = "reserved label type (0x40 or 0x80)",
	[DW_E_PTR_FORWARD] = "compression pointer does not point backwards (loop)",
	[DW_E_PTR_PAST_END] = "compression pointer past the end of the message",
	[DW_E_PTR_TOO_MANY] = "too many compression pointers",
	[DW_E_COUNT_TOO_BIG] = "count field larger than the message",
	[DW_E_TOO_MANY_RR] = "more records than the parser can hold",
	[DW_E_RDATA_LENGTH] = "rdata length wrong for its type",
	[DW_E_RDATA_FORMAT] = "malformed rdata",
	[DW_E_SECTION_ORDER] = "record added to an earlier section",
	[DW_E_BAD_TEXT] = "bad presentation format",
	[DW_E_INVALID] = "invalid argument",
	[DW_E_PKT_TRUNCATED] = "capture ends inside a header",
	[DW_E_NOT_IP] = "not IP",
	[DW_E_NOT_UDP] = "not UDP",
	[DW_E_FRAGMENT] = "IP fragment",
	[DW_E_BAD_HEADER] = "inconsistent IP or UDP header",
	[DW_E_UNKNOWN_LINK] = "unknown link type",
	[DW_E_IO] = "I/O error",
	[DW_E_NOMEM] = "out of memory",
	[DW_E_TOO_LARGE] = "too large",
	[DW_E_SYNTAX] = "syntax error",
	[DW_E_VERSION] = "format version newer than this program",
	[DW_E_SYSTEM] = "system call failed",
	[DW_E_NOT_FOUND] = "not found",
	[DW_E_TOOL] = "an external program failed",
	[DW_E_INTERRUPTED] = "interrupted",
	[DW_E_OPEN] = "cannot open the database",
	[DW_E_FOREIGN] = "not a dnswatch store",
	[DW_E_FULL] = "disk or database full",
	[DW_E_DB] = "database error",
	[DW_E_NORUN] = "no such run",
	[DW_E_STATE] = "call out of order",
	[DW_E_DUP] = "result already stored",
	[DW_E_EMPTY] = "empty database",
};

const char *dw_strerror(enum dw_status s)
{
	if ((unsigned)s >= DW_STATUS_COUNT || !messages[s])
		return "unknown error";
	return messages[s];
}

__attribute__((format(printf, 3, 0)))
static void set_text(struct dw_error *e, size_t at, const char *fmt, va_list ap)
{
	if (at < sizeof e->text)
		vsnprintf(e->text + at, sizeof e->text - at, fmt, ap);
}

int dw_error_set(struct dw_error *e, enum dw_status s, const char *fmt, ...)
{
	if (!e)
		return -1;
	e->status = s;
	va_list ap;
	va_start(ap, fmt);
	set_text(e, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int dw_error_at(struct dw_error *e, enum dw_status s, const char *file, unsigned long line,
		const char *fmt, ...)
{
	if (!e)
		return -1;
	e->status = s;
	int n = snprintf(e->text, sizeof e->text, "%s:%lu: ", file, line);
	va_list ap;
	va_start(ap, fmt);
	set_text(e, n < 0 ? 0 : (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int dw_error_errno(struct dw_error *e, const char *fmt, ...)
{
	int saved = errno;
	if (!e)
		return -1;
	e->status = saved == ENOENT ? DW_E_NOT_FOUND : saved == ENOMEM ? DW_E_NOMEM : DW_E_SYSTEM;
	va_list ap;
	va_start(ap, fmt);
	set_text(e, 0, fmt, ap);
	va_end(ap);
	size_t n = strlen(e->text);
	snprintf(e->text + n, sizeof e->text - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int dw_error_prefix(struct dw_error *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char tail[DW_ERROR_TEXT];
	memcpy(tail, e->text, sizeof tail);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->text, sizeof e->text, fmt, ap);
	va_end(ap);
	size_t at = n < 0 ? 0 : (size_t)n < sizeof e->text ? (size_t)n : sizeof e->text - 1;
	size_t room = sizeof e->text - at;
	if (room > 2) {
		memcpy(e->text + at, ": ", 2);
		size_t tl = strnlen(tail, sizeof tail - 1);
		if (tl > room - 3)
			tl = room - 3;
		memcpy(e->text + at + 2, tail, tl);
		e->text[at + 2 + tl] = '\0';
	}
	return -1;
}

void dw_error_clear(struct dw_error *e)
{
	if (e) {
		e->status = DW_OK;
		e->text[0] = '\0';
	}
}
