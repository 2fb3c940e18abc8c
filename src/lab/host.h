/*
 * The lab-host interface: the one way a library or command reaches a lab it
 * did not build. Lab hosts are named network namespaces, /run/netns/dw-LAB-HOST
 * (lab/topology.h); a lab's state (its answer key, its state file) lives
 * under LAB_STATE_BASE/LAB. `--lab NAME --from HOST` on probe, locate, watch
 * and inject enter the host's network namespace before opening any socket,
 * and the wall refuses to run anywhere but in a lab host.
 */
#ifndef DW_LAB_HOST_H
#define DW_LAB_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* The state directory of every lab: /run/dnswatch/NAME. */
#define LAB_STATE_BASE "/run/dnswatch"

/* Lab names: 1..8 of [a-z0-9], so "dwNAME-xx" fits an interface name. */
#define LAB_NAME_MAX 8
#define LAB_NAME_DEFAULT "dw"

/* 1 if NAME is a valid lab name. */
int lab_name_valid(const char *name);

/* Enter host HOST ("client", "border", ...) of lab LAB (the calling thread
 * only). 0, or -1 with ERR: DW_E_INVALID for a malformed name, DW_E_NOT_FOUND
 * "lab 'LAB' has no host 'HOST' (PATH: reason); is the lab up?" when its
 * namespace is not there, or, when it is there but cannot be opened or
 * entered, DW_E_SYSTEM "lab 'LAB', host 'HOST': [entering ]PATH: reason". */
DW_MUST_CHECK int lab_host_enter(const char *lab, const char *host, struct dw_error *err);

/* Is the calling thread in a network namespace that a lab made? */
bool lab_host_current(void);

#endif
