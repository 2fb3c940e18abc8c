/* `dnswatch locate` (usage in locate_cmd.h). */
#include "cli/locate_cmd.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lab/host.h"
#include "locate/locate.h"
#include "wire/msg.h"

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "dnswatch locate: %s '%s' (see `dnswatch help locate`)\n", what, arg);
	return 2;
}

static bool number(const char *s, long lo, long hi, long *v)
{
	char *end;
	*v = strtol(s, &end, 10);
	return *s && !*end && *v >= lo && *v <= hi;
}

int locate_cmd(int argc, char **argv)
{
	struct locate_config cfg = {.port = 53, .qtype = WIRE_T_A, .max_ttl = 12, .probes = 2,
				    .wait_ms = 300, .seed = (uint64_t)time(NULL)};
	const char *lab = NULL, *from = NULL, *pos[2] = {NULL, NULL};
	bool json = false;
	int npos = 0;
	long v;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--json")) {
			json = true;
			continue;
		}
		if (a[0] != '-') {
			if (npos == 2)
				return bad("too many arguments at", a);
			pos[npos++] = a;
			continue;
		}
		if (!val)
			return bad("a value is missing after", a);
		i++;
		if (!strcmp(a, "--lab"))
			lab = val;
		else if (!strcmp(a, "--from"))
			from = val;
		else if (!strcmp(a, "--max-ttl") && number(val, 1, LOCATE_TTL_MAX, &v))
			cfg.max_ttl = (unsigned)v;
		else if (!strcmp(a, "--probes") && number(val, 1, 16, &v))
			cfg.probes = (unsigned)v;
		else if (!strcmp(a, "--wait") && number(val, 10, 10000, &v))
			cfg.wait_ms = (uint32_t)v;
		else if (!strcmp(a, "--port") && number(val, 1, 65535, &v))
			cfg.port = (uint16_t)v;
		else if (!strcmp(a, "--qtype") && wire_type_from_name(val, &cfg.qtype))
			;
		else
			return bad("bad option or value", a);
	}
	if (npos != 2) {
		fprintf(stderr, "dnswatch locate: needs TARGET and NAME (see `dnswatch help locate`)\n");
		return 2;
	}
	if (inet_pton(AF_INET, pos[0], cfg.target) == 1)
		cfg.family = AF_INET;
	else if (inet_pton(AF_INET6, pos[0], cfg.target) == 1)
		cfg.family = AF_INET6;
	else
		return bad("not an IP address:", pos[0]);
	size_t nl;
	if (wire_name_from_text(pos[1], cfg.qname, &nl))
		return bad("not a domain name:", pos[1]);
	struct dw_error err;
	if ((lab || from) && lab_host_enter(lab ? lab : "dw", from ? from : "client", &err)) {
		fprintf(stderr, "dnswatch locate: %s\n", err.text);
		return 1;
	}
	struct locate_report rep;
	if (locate_run(&cfg, &rep, &err)) {
		fprintf(stderr, "dnswatch locate: %s\n", err.text);
		return 1;
	}
	if (json)
		locate_print_json(stdout, &cfg, &rep);
	else
		locate_print(stdout, &cfg, &rep);
	return 0;
}
