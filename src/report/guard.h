/* The report's section on the guard: the replies `dnswatch guard --db` dropped (store/guard.h). */
#ifndef DW_REPORT_GUARD_H
#define DW_REPORT_GUARD_H

#include <stdio.h>

#include "store/guard.h"

/* The section, escaped for HTML; nothing when the store has no guard table. */
void report_guard_html(FILE *out, const struct guard_store_summary *s);

#endif
