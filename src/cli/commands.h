/*
 * The subcommand table: one entry per subcommand, driving both dispatch and
 * `dnswatch help [CMD]`. A subcommand's run function gets argv with argv[0]
 * set to its own name and returns the process exit status (0 success, 1 the
 * job failed, 2 usage error).
 */
#ifndef DW_CLI_COMMANDS_H
#define DW_CLI_COMMANDS_H

#include <stdio.h>

#include "util/error.h"

struct cli_command {
	const char *name;
	const char *summary; /* one line for `dnswatch help` */
	const char *usage;   /* the full text for `dnswatch help CMD` */
	int (*run)(int argc, char **argv);
};

/* NULL-terminated by name == NULL. */
extern const struct cli_command cli_commands[];

const struct cli_command *cli_command_find(const char *name);
void cli_print_help(FILE *out);
/* Full help of one command; returns 0, or 2 if there is no such command. */
DW_MUST_CHECK int cli_print_command_help(FILE *out, const char *name);

#endif
