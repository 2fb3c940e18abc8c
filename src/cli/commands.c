/* The subcommand table (see commands.h). Add a subcommand here and only here. */
#include "cli/commands.h"

#include <string.h>

#include "cli/census_cmd.h"
#include "cli/decode_cmd.h"
#include "cli/guard_cmd.h"
#include "cli/inject_cmd.h"
#include "cli/lab_cmd.h"
#include "cli/locate_cmd.h"
#include "cli/probe_cmd.h"
#include "cli/report_cmd.h"
#include "cli/watch_cmd.h"


static int cmd_help(int argc, char **argv);

/* In the order a newcomer meets them: the lab, the wall, the watch, then the
 * tools for reading what was caught. */
const struct cli_command cli_commands[] = {
	{"lab", "build, inspect and tear down the lab (namespaces, nsd, unbound, delay)",
	 lab_usage, lab_main},
	{"inject", "on-path DNS injector for the lab: match queries, race forged replies",
	 INJECT_USAGE, inject_cmd},
	{"probe", "query names through targets, keep every reply, judge tampering",
	 PROBE_USAGE, probe_cmd},
	{"watch", "watch from several vantage points without end: incidents, their cause, cache tails",
	 WATCH_USAGE, watch_cmd},
	{"locate", "find at which hop an on-path injector sits (TTL-limited probes)",
	 LOCATE_USAGE, locate_cmd},
	{"census", "the blocklist read from outside: censored names, inferred rules, pools, day over day",
	 CENSUS_USAGE, census_cmd},
	{"report", "write one self-contained HTML page about a store: timeline, forgeries, injectors",
	 REPORT_USAGE, report_cmd},
	{"guard", "a local resolver that keeps answering right while the wall injects",
	 GUARD_USAGE, guard_cmd},
	{"decode", "print DNS messages from raw, hex or pcap files (dig-like or JSON)",
	 DECODE_USAGE, decode_cmd},
	{"help", "list the subcommands, or explain one",
	 "usage: dnswatch help [CMD]\n"
	 "  Without CMD, list the subcommands; with CMD, print its full help.\n",
	 cmd_help},
	{NULL, NULL, NULL, NULL},
};

const struct cli_command *cli_command_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_print_help(FILE *out)
{
	fputs("dnswatch: reproduce, measure, attribute and survive on-path DNS injection\n\n"
	      "usage: dnswatch CMD [ARGS...]\n\ncommands:\n", out);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fputs("\n`dnswatch help CMD` or `dnswatch CMD --help` explains one command.\n", out);
}

int cli_print_command_help(FILE *out, const char *name)
{
	const struct cli_command *c = cli_command_find(name);
	if (!c) {
		fprintf(stderr, "dnswatch: unknown command '%s' (see `dnswatch help`)\n", name);
		return 2;
	}
	fprintf(out, "dnswatch %s: %s\n\n%s", c->name, c->summary, c->usage);
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "dnswatch help: too many arguments\n");
		return 2;
	}
	if (argc == 2)
		return cli_print_command_help(stdout, argv[1]);
	cli_print_help(stdout);
	return 0;
}
