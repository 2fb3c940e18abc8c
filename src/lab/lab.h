/*
 * `dnswatch lab`: the mini-Internet of network namespaces with real nsd and
 * unbound servers in which injection is reproduced (docs/lab.md).
 *   lab up | down | status | exec HOST CMD... | delay (the delay element)
 */
#ifndef DW_LAB_LAB_H
#define DW_LAB_LAB_H

/* The `lab` subcommand's usage text and entry point (argv[0] == "lab"). */
extern const char lab_usage[];
int lab_main(int argc, char **argv);

/* The state directory of every lab: /run/dnswatch/NAME. */
#define LAB_STATE_BASE "/run/dnswatch"

/* Lab names: 1..8 of [a-z0-9], so "dwNAME-xx" fits an interface name. */
#define LAB_NAME_MAX 8
#define LAB_NAME_DEFAULT "dw"

/* 1 if NAME is a valid lab name. */
int lab_name_valid(const char *name);

#endif
