/*
 * The lab's hosts, links, addresses and routes (one static plan, drawn in
 * docs/lab.md), and building them into network namespaces or taking them
 * down. Every name carries the lab's name: namespace "dw-NAME-HOST", veth
 * "dwNAME-XX", so several labs live side by side. All addresses are in
 * 198.18.0.0/15 (RFC 2544): 198.18/16 is inside the border, 198.19/16
 * outside. No link ever touches the host namespace, and no namespace has a
 * route for anything outside 198.18.0.0/15.
 */
#ifndef DW_LAB_TOPOLOGY_H
#define DW_LAB_TOPOLOGY_H

#include <stddef.h>

#include "util/error.h"

enum lab_host_id {
	LAB_CLIENT, LAB_ISP, LAB_CN, LAB_BORDER, LAB_TRANSIT, LAB_OUTSIDE, LAB_REMOTE,
	LAB_VPNCLIENT,
	LAB_NHOSTS
};

struct lab_host_def {
	const char *name;
	const char *role;
	int router;            /* forwards packets (net.ipv4.ip_forward=1) */
};

struct lab_link_def {
	int a;
	const char *a_if;      /* veth suffix: interface is "dw" NAME "-" suffix */
	const char *a_addr;    /* CIDR */
	int b;
	const char *b_if;
	const char *b_addr;
};

extern const struct lab_host_def lab_hosts[LAB_NHOSTS];
extern const struct lab_link_def lab_links[];
extern const size_t lab_nlinks;

/* A tunnel end: "as VPN users were", vpnclient reaches the world outside
 * the border through a tunnel to remote, so the border sees only the
 * tunnel's packets (VXLAN, UDP port 4789), never a DNS query. */
struct lab_tunnel_def {
	int host;
	const char *ifname;   /* suffix, as for links */
	const char *local, *remote; /* the underlay addresses of both ends */
	const char *dev;      /* the underlay interface's suffix */
	const char *addr;     /* the tunnel interface's address (CIDR) */
};
extern const struct lab_tunnel_def lab_tunnels[];
extern const size_t lab_ntunnels;
#define LAB_TUNNEL_VNI 53
#define LAB_TUNNEL_PORT 4789

/* The long-haul link (border <-> transit) and the interface on which the
 * delay element works (transit's end; see docs/lab.md for why that end). */
#define LAB_LONGHAUL_LINK 3

/* Host id by name ("client", ...), or -1. */
DW_MUST_CHECK int lab_host_find(const char *name);

/* "dw-NAME-HOST" into BUF. */
void lab_host_ns(const char *lab, int host, char *buf, size_t cap);
/* "dwNAME-SUFFIX" into BUF. */
void lab_ifname(const char *lab, const char *suffix, char *buf, size_t cap);

/*
 * Build every namespace, link, address and route of lab LAB, writing ip
 * batch files under DIR. EXTRA_LO[host] lists extra /32 addresses (dotted
 * quads, space-separated) for that host's loopback: the servers' addresses.
 * *MADE_NETNS_DIR gets bit 0 when /run/netns was created, bit 1 when it was
 * made a mount point (see netns.h). Returns 0, or -1 with
 * one line in ERR; the caller tears down on failure.
 */
DW_MUST_CHECK int lab_topology_build(const char *lab, const char *dir,
				     const char *const extra_lo[LAB_NHOSTS], int *made_netns_dir,
				     struct dw_error *err);

/* Delete every namespace of lab LAB (processes must be gone first). Returns
 * the number of namespaces deleted, or -1 with a line in ERR. */
DW_MUST_CHECK int lab_topology_teardown(const char *lab, struct dw_error *err);

/* Number of namespaces of lab LAB that exist. */
int lab_topology_count(const char *lab);

#endif
