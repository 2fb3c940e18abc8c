/*
 * Named network namespaces, compatible with `ip netns`: each is an nsfs bind
 * mount at /run/netns/NAME, so `ip netns list`, `ip -n NAME` and
 * `ip netns exec NAME` all see the lab's hosts. We make them ourselves
 * (unshare + bind mount, no fork and exec per host) and, like iproute2, on a
 * /run/netns that is a shared mount point; unlike iproute2 we remember
 * whether we made that mount point (and the directory) and remove them when
 * the last namespace is gone, so the lab leaves no mount behind.
 */
#ifndef DW_LAB_NETNS_H
#define DW_LAB_NETNS_H

#include <stddef.h>

#include "util/error.h"

#define LAB_NETNS_DIR "/run/netns"

/*
 * Create namespace NAME (fails if it exists). *MADE_DIR is set to 1 when this
 * call created /run/netns, *MADE_MOUNT when it made /run/netns a mount point
 * (otherwise left alone). Returns 0 or -1 with "what: reason" in ERR.
 */
DW_MUST_CHECK int lab_netns_create(const char *name, int *made_dir, int *made_mount,
				   struct dw_error *err);

/* What lab_netns_create would have to make of /run/netns now: bit 0 the
 * directory, bit 1 the mount point (0: both there). */
int lab_netns_dir_missing(void);

/* Once /run/netns is empty: unmount it if MADE_MOUNT, remove it if MADE_DIR.
 * Returns 0, or -1 if namespaces (anyone's) are still in it. */
DW_MUST_CHECK int lab_netns_release_dir(int made_dir, int made_mount);

/* Unmount and remove NAME; 0 also when it did not exist, else -1 with
 * "umount PATH: reason" or "unlink PATH: reason" in ERR. */
DW_MUST_CHECK int lab_netns_delete(const char *name, struct dw_error *err);

/* Does /run/netns/NAME exist? */
int lab_netns_exists(const char *name);

/*
 * Switch the calling thread into namespace NAME (/run/netns/NAME): the one
 * place that enters a named namespace (lab hosts, tools run in them, the
 * lab's own checks). Returns 0, or -1 with errno set and, when ERR is not
 * NULL, ERR filled: "/run/netns/NAME: reason" when the namespace cannot be
 * opened (DW_E_NOT_FOUND when it is not there, DW_E_SYSTEM for any other
 * reason), DW_E_SYSTEM with "entering /run/netns/NAME: reason" when setns
 * refuses. With ERR NULL it uses only async-signal-safe calls, so a child
 * between fork and exec may call it.
 */
DW_MUST_CHECK int lab_netns_enter(const char *name, struct dw_error *err);
/* Back to the namespace the process started in; 0 or -1 (errno set). */
DW_MUST_CHECK int lab_netns_leave(void);

/* A socket of TYPE created inside namespace NAME (close-on-exec), or -1
 * (errno set). */
DW_MUST_CHECK int lab_netns_socket(const char *name, int domain, int type);

/* Inode of the namespace NAME (to match /proc/PID/ns/net), or 0. */
unsigned long lab_netns_inode(const char *name);

/* Write VALUE to /proc/sys/PATH as seen from inside namespace NAME
 * (net.* sysctls are per namespace). Returns 0 or -1 (errno set). */
DW_MUST_CHECK int lab_netns_sysctl(const char *name, const char *path, const char *value);

#endif
