/* The lab's network plan and its construction (see topology.h). */
#include "lab/topology.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/netns.h"
#include "lab/proc.h"
#include "util/text.h"

const struct lab_host_def lab_hosts[LAB_NHOSTS] = {
	[LAB_CLIENT] = {"client", "vantage point inside the border", 0},
	[LAB_ISP] = {"isp", "ISP network and its caching resolver (unbound)", 1},
	[LAB_CN] = {"cn", ".cn TLD and authoritative servers, inside the border (nsd)", 0},
	[LAB_BORDER] = {"border", "border router, where the injector sits", 1},
	[LAB_TRANSIT] = {"transit", "router beyond the long-haul link (delay element)", 1},
	[LAB_OUTSIDE] = {"outside", "root, com/net/org TLDs, authoritatives (nsd), public resolver (unbound)", 1},
	/* remote forwards: it is also the VPN's far end (decapsulated traffic
	 * from vpnclient goes on from there). */
	[LAB_REMOTE] = {"remote", "vantage point outside the border; far end of vpnclient's tunnel", 1},
	[LAB_VPNCLIENT] = {"vpnclient", "VPN user inside the border: all traffic abroad through a tunnel to remote", 0},
};

const struct lab_link_def lab_links[] = {
	{LAB_CLIENT, "c0", "198.18.1.2/24", LAB_ISP, "i0", "198.18.1.1/24"},
	{LAB_ISP, "i1", "198.18.2.2/24", LAB_BORDER, "b0", "198.18.2.1/24"},
	{LAB_ISP, "i2", "198.18.3.1/24", LAB_CN, "n0", "198.18.3.2/24"},
	{LAB_BORDER, "b1", "198.18.254.1/24", LAB_TRANSIT, "t0", "198.18.254.2/24"},
	{LAB_TRANSIT, "t1", "198.19.0.1/24", LAB_OUTSIDE, "o0", "198.19.0.2/24"},
	{LAB_OUTSIDE, "o1", "198.19.1.1/24", LAB_REMOTE, "r0", "198.19.1.2/24"},
	/* vpnclient sits beside the client, behind the ISP router */
	{LAB_ISP, "i3", "198.18.4.1/24", LAB_VPNCLIENT, "v0", "198.18.4.2/24"},
};
const size_t lab_nlinks = sizeof lab_links / sizeof lab_links[0];

/* The VPN: VXLAN (RFC 7348) between vpnclient and remote, an L3 subnet
 * 198.19.9.0/24 over it. VXLAN rather than IP-in-IP because this kernel
 * has neither ipip nor gre (`ip link add type ipip`: Unknown device type);
 * what matters holds for both: the border sees the outer packets (UDP port
 * 4789 here, IP protocol 4 for ipip), never a query to port 53. */
const struct lab_tunnel_def lab_tunnels[] = {
	{LAB_VPNCLIENT, "vt", "198.18.4.2", "198.19.1.2", "v0", "198.19.9.2/24"},
	{LAB_REMOTE, "rt", "198.19.1.2", "198.18.4.2", "r0", "198.19.9.1/24"},
};
const size_t lab_ntunnels = sizeof lab_tunnels / sizeof lab_tunnels[0];

/* Routes: only lab prefixes, never a default route, so nothing addressed
 * outside 198.18.0.0/15 can even leave a lab host. */
static const struct {
	int host;
	const char *dst, *via;
} topo_routes[] = {
	{LAB_CLIENT, "198.18.0.0/15", "198.18.1.1"},
	{LAB_ISP, "198.18.48.0/20", "198.18.3.2"}, /* cn servers and the no-DNS address */
	{LAB_ISP, "198.18.0.0/15", "198.18.2.1"},
	{LAB_CN, "198.18.0.0/15", "198.18.3.1"},
	{LAB_BORDER, "198.18.0.0/16", "198.18.2.2"},
	{LAB_BORDER, "198.19.0.0/16", "198.18.254.2"},
	{LAB_TRANSIT, "198.18.0.0/16", "198.18.254.1"},
	{LAB_TRANSIT, "198.19.0.0/16", "198.19.0.2"},
	{LAB_OUTSIDE, "198.18.0.0/16", "198.19.0.1"},
	{LAB_OUTSIDE, "198.19.9.0/24", "198.19.1.2"}, /* the VPN's addresses, behind remote */
	{LAB_REMOTE, "198.18.0.0/15", "198.19.1.1"},
	/* vpnclient: the tunnel's far end by the underlay, the inside too, and
	 * everything outside the border (198.19/16) through the tunnel */
	{LAB_VPNCLIENT, "198.19.1.2/32", "198.18.4.1"},
	{LAB_VPNCLIENT, "198.18.0.0/15", "198.18.4.1"},
	{LAB_VPNCLIENT, "198.19.0.0/16", "198.19.9.1"},
};

int lab_host_find(const char *name)
{
	for (int i = 0; i < LAB_NHOSTS; i++)
		if (strcmp(lab_hosts[i].name, name) == 0)
			return i;
	return -1;
}

void lab_host_ns(const char *lab, int host, char *buf, size_t cap)
{
	snprintf(buf, cap, "dw-%s-%s", lab, lab_hosts[host].name);
}

void lab_ifname(const char *lab, const char *suffix, char *buf, size_t cap)
{
	snprintf(buf, cap, "dw%s-%s", lab, suffix);
}

static int topo_write(const char *path, const char *text, struct dw_error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return dw_error_errno(err, "write %s", path);
	int bad = fputs(text, f) < 0;
	int e = errno;
	if (fclose(f) != 0)
		bad = 1;
	else if (bad)
		errno = e;
	if (bad) {
		if (!errno)
			errno = EIO;
		return dw_error_errno(err, "write %s", path);
	}
	return 0;
}

/* The `ip -batch` text of one host, built piece by piece with text_cat
 * (the plan is small and bounded). */
struct topo_batch {
	char text[8192];
	size_t len;
};

/* Every host's namespace, with forwarding on the routers. */
static int topo_namespaces(const char *lab, char ns[LAB_NHOSTS][64], int *made_netns_dir,
			   struct dw_error *err)
{
	*made_netns_dir = 0;
	for (int h = 0; h < LAB_NHOSTS; h++) {
		int made_dir = 0, made_mount = 0;
		lab_host_ns(lab, h, ns[h], sizeof ns[h]);
		int r = lab_netns_create(ns[h], &made_dir, &made_mount, err);
		*made_netns_dir |= made_dir | made_mount << 1;
		if (r != 0)
			return -1;
		/* No IPv6 in the lab (yet): no router solicitations or DAD noise
		 * in captures. Set before the links exist so they inherit it.
		 * Only quieter captures hang on it, and a kernel without IPv6
		 * has no such sysctl (and no such noise): failures are ignored. */
		if ((lab_netns_sysctl(ns[h], "net/ipv6/conf/default/disable_ipv6", "1") |
		     lab_netns_sysctl(ns[h], "net/ipv6/conf/all/disable_ipv6", "1")) != 0) {
			/* ignored, as said above */
		}
		if (lab_hosts[h].router &&
		    lab_netns_sysctl(ns[h], "net/ipv4/ip_forward", "1") != 0)
			return dw_error_errno(err, "%s: cannot enable ip_forward", ns[h]);
	}
	return 0;
}

/* Phase 1: veth pairs, created from inside side A's namespace with the
 * peer placed straight into side B's: the host namespace never holds them. */
static void topo_plan_links(const char *lab, char ns[LAB_NHOSTS][64], struct topo_batch *batch)
{
	for (size_t i = 0; i < lab_nlinks; i++) {
		const struct lab_link_def *l = &lab_links[i];
		struct topo_batch *ba = &batch[l->a];
		char a[32], b[32];
		lab_ifname(lab, l->a_if, a, sizeof a);
		lab_ifname(lab, l->b_if, b, sizeof b);
		ba->len = text_cat(ba->text, sizeof ba->text, ba->len,
				   "link add %s type veth peer name %s netns %s\n", a, b, ns[l->b]);
	}
}

/* Phase 2: addresses (the servers' on lo too), links up, the tunnel, routes. */
static void topo_plan_addrs(const char *lab, const char *const extra_lo[LAB_NHOSTS],
			    struct topo_batch *batch)
{
	for (int h = 0; h < LAB_NHOSTS; h++)
		batch[h].len = text_cat(batch[h].text, sizeof batch[h].text, 0, "link set lo up\n");
	for (size_t i = 0; i < lab_nlinks; i++) {
		const struct lab_link_def *l = &lab_links[i];
		struct topo_batch *ba = &batch[l->a], *bb = &batch[l->b];
		char a[32], b[32];
		lab_ifname(lab, l->a_if, a, sizeof a);
		lab_ifname(lab, l->b_if, b, sizeof b);
		ba->len = text_cat(ba->text, sizeof ba->text, ba->len,
				   "addr add %s dev %s\nlink set %s up\n", l->a_addr, a, a);
		bb->len = text_cat(bb->text, sizeof bb->text, bb->len,
				   "addr add %s dev %s\nlink set %s up\n", l->b_addr, b, b);
	}
	for (int h = 0; h < LAB_NHOSTS; h++) {
		const char *s = extra_lo ? extra_lo[h] : NULL;
		for (int k = 0; s && *s && k < 256; k++) {
			size_t n = strcspn(s, " ");
			if (n == 0 || n >= 32)
				break;
			batch[h].len = text_cat(batch[h].text, sizeof batch[h].text, batch[h].len,
						"addr add %.*s/32 dev lo\n", (int)n, s);
			s += n;
			while (*s == ' ')
				s++;
		}
	}
	for (size_t i = 0; i < lab_ntunnels; i++) {
		const struct lab_tunnel_def *t = &lab_tunnels[i];
		struct topo_batch *bt = &batch[t->host];
		char tn[32], dv[32];
		lab_ifname(lab, t->ifname, tn, sizeof tn);
		lab_ifname(lab, t->dev, dv, sizeof dv);
		bt->len = text_cat(bt->text, sizeof bt->text, bt->len,
				   "link add %s type vxlan id %d local %s remote %s dstport %d dev %s\n"
				   "addr add %s dev %s\nlink set %s up\n",
				   tn, LAB_TUNNEL_VNI, t->local, t->remote, LAB_TUNNEL_PORT, dv, t->addr,
				   tn, tn);
	}
	for (size_t i = 0; i < sizeof topo_routes / sizeof topo_routes[0]; i++) {
		struct topo_batch *br = &batch[topo_routes[i].host];
		br->len = text_cat(br->text, sizeof br->text, br->len, "route add %s via %s\n",
				   topo_routes[i].dst, topo_routes[i].via);
	}
}

/* One `ip -batch` per namespace, all running at once; the batch files are
 * kept in DIR. */
static int topo_run(const char *dir, int phase, char ns[LAB_NHOSTS][64],
		    const struct topo_batch *batch, struct dw_error *err)
{
	struct lab_proc p[LAB_NHOSTS];
	int started[LAB_NHOSTS] = {0};
	int failed = 0;
	for (int h = 0; h < LAB_NHOSTS; h++) {
		if (!batch[h].len)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/ip-%d-%s.batch", dir, phase, lab_hosts[h].name);
		if (topo_write(path, batch[h].text, err) != 0) {
			failed = 1;
			break;
		}
		const char *argv[] = {"ip", "-batch", path, NULL};
		if (lab_proc_start(&p[h], ns[h], argv, 0, err) != 0) {
			dw_error_prefix(err, "ip -batch in %s", ns[h]);
			failed = 1;
			break;
		}
		started[h] = 1;
	}
	for (int h = 0; h < LAB_NHOSTS; h++) {
		if (!started[h])
			continue;
		struct dw_error e;
		int st = lab_proc_wait(&p[h], 10000, NULL, 0, &e);
		if (st != 0 && !failed) {
			dw_error_set(err, DW_E_TOOL, "ip -batch in %s failed (status %d): %s", ns[h], st,
				     e.text);
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

int lab_topology_build(const char *lab, const char *dir, const char *const extra_lo[LAB_NHOSTS],
		       int *made_netns_dir, struct dw_error *err)
{
	char ns[LAB_NHOSTS][64];
	if (topo_namespaces(lab, ns, made_netns_dir, err) != 0)
		return -1;
	static struct topo_batch batch[LAB_NHOSTS];
	memset(batch, 0, sizeof batch);
	topo_plan_links(lab, ns, batch);
	if (topo_run(dir, 1, ns, batch, err) != 0)
		return -1;
	memset(batch, 0, sizeof batch);
	topo_plan_addrs(lab, extra_lo, batch);
	return topo_run(dir, 2, ns, batch, err);
}

int lab_topology_teardown(const char *lab, struct dw_error *err)
{
	int n = 0;
	for (int h = 0; h < LAB_NHOSTS; h++) {
		char ns[64];
		lab_host_ns(lab, h, ns, sizeof ns);
		if (!lab_netns_exists(ns))
			continue;
		/* Deleting the namespace takes its veths (and their peers), addresses,
		 * routes and iptables rules with it. */
		if (lab_netns_delete(ns, err) != 0)
			return -1;
		n++;
	}
	return n;
}

int lab_topology_count(const char *lab)
{
	int n = 0;
	for (int h = 0; h < LAB_NHOSTS; h++) {
		char ns[64];
		lab_host_ns(lab, h, ns, sizeof ns);
		n += lab_netns_exists(ns);
	}
	return n;
}
