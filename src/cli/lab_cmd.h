/*
 * `dnswatch lab`: the mini-Internet of network namespaces with real nsd and
 * unbound servers in which injection is reproduced (docs/lab.md).
 *   lab up | down | status | exec HOST CMD... | delay | replay
 */
#ifndef DW_CLI_LAB_CMD_H
#define DW_CLI_LAB_CMD_H

#include "util/error.h"

/* The `lab` subcommand's usage text and entry point (argv[0] == "lab"). */
extern const char lab_usage[];
DW_MUST_CHECK int lab_main(int argc, char **argv);

#endif
