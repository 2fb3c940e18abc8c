/* dnswatch: dispatch argv[1] through the subcommand table. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_print_help(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	const struct cli_command *c = cli_command_find(name);
	if (!c) {
		fprintf(stderr, "dnswatch: unknown command '%s' (see `dnswatch help`)\n", name);
		return 2;
	}
	/* Only directly after the command name, so that `lab exec HOST cmd --help`
	 * reaches the inner command untouched. */
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
		return cli_print_command_help(stdout, c->name);
	return c->run(argc - 1, argv + 1);
}
