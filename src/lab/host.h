/*
 * Running a tool inside a lab host: `--lab NAME --from HOST` on probe,
 * locate and inject enter the host's network namespace before opening any
 * socket, and the wall refuses to run anywhere but in a lab host.
 */
#ifndef DW_LAB_HOST_H
#define DW_LAB_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* Enter host HOST ("client", "border", ...) of lab LAB. 0 or -1 with ERR. */
int lab_host_enter(const char *lab, const char *host, char *err, size_t errcap);

/* Is the calling thread in a network namespace that a lab made? */
bool lab_host_current(void);

#endif
