/* Naming a probe target on the command line (target.h). */
#include "cli/target.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lab/servers.h"
#include "probe/names.h"

/* A port: 1 to 5 decimal digits, 1..65535, nothing else (no sign, no
 * space, no trailing text). */
static bool port_parse(const char *s, uint16_t *port)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n])
		return false;
	long p = strtol(s, NULL, 10);
	if (p <= 0 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

int probe_target_parse(const char *spec, bool lab, struct probe_target *t)
{
	memset(t, 0, sizeof *t);
	t->port = 53;
	const char *eq = strchr(spec, '=');
	if (!eq) {
		int i = lab ? lab_server_find(spec) : -1;
		if (i < 0)
			return -1;
		const struct lab_server_def *s = &lab_servers[i];
		snprintf(t->label, sizeof t->label, "%s", s->id);
		t->kind = s->kind == LAB_SRV_NONE ? TARGET_NODNS
			  : s->kind == LAB_SRV_NSD ? TARGET_AUTH : TARGET_RESOLVER;
		t->family = AF_INET;
		return inet_pton(AF_INET, s->addr, t->addr) == 1 ? 0 : -1;
	}
	size_t ll = (size_t)(eq - spec);
	if (ll == 0 || ll >= sizeof t->label)
		return -1;
	memcpy(t->label, spec, ll);
	const char *k = eq + 1, *colon = strchr(k, ':');
	if (!colon)
		return -1;
	if (!strncmp(k, "resolver:", 9))
		t->kind = TARGET_RESOLVER;
	else if (!strncmp(k, "auth:", 5))
		t->kind = TARGET_AUTH;
	else if (!strncmp(k, "nodns:", 6))
		t->kind = TARGET_NODNS;
	else
		return -1;
	/* The longest address with a port, "[v6 with an IPv4 tail]:65535",
	 * fits; a longer one is refused, never cut. */
	char a[80];
	if (strlen(colon + 1) >= sizeof a)
		return -1;
	snprintf(a, sizeof a, "%s", colon + 1);
	if (inet_pton(AF_INET6, a, t->addr) == 1) {
		t->family = AF_INET6;
		return 0;
	}
	if (a[0] == '[') { /* [v6]:port */
		char *close = strchr(a, ']');
		if (!close || close[1] != ':')
			return -1;
		*close = '\0';
		t->family = AF_INET6;
		if (!port_parse(close + 2, &t->port))
			return -1;
		return inet_pton(AF_INET6, a + 1, t->addr) == 1 ? 0 : -1;
	}
	char *pc = strchr(a, ':');
	if (pc) {
		*pc = '\0';
		if (!port_parse(pc + 1, &t->port))
			return -1;
	}
	t->family = AF_INET;
	return inet_pton(AF_INET, a, t->addr) == 1 ? 0 : -1;
}

bool probe_target_local(const struct probe_target *t)
{
	const uint8_t *a = t->addr;
	if (t->family == AF_INET)
		return a[0] == 127 || (a[0] == 198 && (a[1] & 0xfe) == 18);
	static const uint8_t loop6[16] = {[15] = 1},
			     mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (!memcmp(a, loop6, 16))
		return true;
	return !memcmp(a, mapped, 12) && a[12] == 127;
}

int probe_targets_public(const struct probe_target *t, int n)
{
	for (int i = 0; i < n; i++)
		if (!probe_target_local(&t[i]))
			return i;
	return -1;
}

int probe_rate_allowed(const struct probe_target *t, int n, double rate, bool allow_fast,
		       const char *option, char *msg, size_t cap)
{
	int p = probe_targets_public(t, n);
	if (p < 0 || rate <= PROBE_FAST_RATE || allow_fast)
		return 0;
	char addr[INET6_ADDRSTRLEN];
	inet_ntop(t[p].family, t[p].addr, addr, sizeof addr);
	snprintf(msg, cap,
		 "%s asks %g queries/s, over %g, of %s (%s), outside loopback and the lab: "
		 "add --allow-fast-public if that network and server agreed to it (docs/ethics.md)",
		 option, rate, PROBE_FAST_RATE, t[p].label, addr);
	return -1;
}

int probe_target_parse_tls(const char *spec, struct probe_target *t, char *name, size_t cap)
{
	const char *eq = strchr(spec, '=');
	if (!eq || strncmp(eq + 1, "tls:", 4))
		return 0;
	name[0] = '\0';
	const char *addr = eq + 5, *hash = strchr(addr, '#');
	size_t al = hash ? (size_t)(hash - addr) : strlen(addr);
	char re[160];
	if (!al || (size_t)(eq - spec) + al + 11 >= sizeof re)
		return -1;
	/* The same address forms as LABEL=resolver:ADDR[:PORT]. */
	snprintf(re, sizeof re, "%.*s=resolver:%.*s", (int)(eq - spec), spec, (int)al, addr);
	if (probe_target_parse(re, false, t))
		return -1;
	/* No port given (an IPv4 address without ':', an IPv6 one without
	 * brackets): DoT's. */
	bool v4 = t->family == AF_INET;
	if ((v4 && !memchr(addr, ':', al)) || (!v4 && addr[0] != '['))
		t->port = 853;
	if (hash) {
		uint8_t wire[WIRE_NAME_MAX];
		size_t nl = strlen(hash + 1);
		if (!nl || nl >= cap || probe_name_check(hash + 1, wire))
			return -1;
		memcpy(name, hash + 1, nl + 1);
	}
	return 1;
}
