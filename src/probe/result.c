/* Verdict names (see result.h). */
#include "probe/result.h"

#include <string.h>

static const char *const names[VERDICT_COUNT] = {
	[VERDICT_NONE] = "none",
	[VERDICT_OK] = "ok",
	[VERDICT_INJECTED] = "injected",
	[VERDICT_POISONED] = "poisoned",
	[VERDICT_INCONSISTENT] = "inconsistent",
	[VERDICT_NXDOMAIN] = "nxdomain",
	[VERDICT_SERVFAIL] = "servfail",
	[VERDICT_REFUSED] = "refused",
	[VERDICT_TIMEOUT] = "timeout",
};

const char *probe_target_kind_name(enum probe_target_kind k)
{
	switch (k) {
	case TARGET_RESOLVER: return "resolver";
	case TARGET_AUTH: return "auth";
	case TARGET_NODNS: return "nodns";
	}
	return "?";
}

const char *probe_verdict_name(enum probe_verdict v)
{
	return (unsigned)v < VERDICT_COUNT ? names[v] : "?";
}

bool probe_verdict_from_name(const char *name, enum probe_verdict *v)
{
	for (int i = 0; i < VERDICT_COUNT; i++)
		if (strcmp(names[i], name) == 0) {
			*v = (enum probe_verdict)i;
			return true;
		}
	return false;
}
